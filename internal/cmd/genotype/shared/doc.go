// Package shared holds what the `nasx genotype` subcommands share: reading
// a genotype from a built-in name, a file or stdin, and prefixing each line
// of a (possibly joined) error with the file it came from.
package shared
