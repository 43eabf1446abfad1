// Package root assembles the nasx command tree and runs it: it maps errors
// to exit codes (0 ok, 1 error, 2 usage, 130 interrupted) and never lets a
// panic reach the user.
package root
