// Package space implements `nasx space`, the commands that inspect the
// search spaces of package searchspace: list, show, sample, cost and hash.
// Each subcommand lives in its own package below this one.
package space
