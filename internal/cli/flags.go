package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// enumValue is a pflag.Value that accepts only one of a fixed set of strings.
type enumValue struct {
	target  *string
	allowed []string
}

func (e *enumValue) String() string { return *e.target }
func (e *enumValue) Type() string   { return "string" }
func (e *enumValue) Set(v string) error {
	for _, a := range e.allowed {
		if v == a {
			*e.target = v
			return nil
		}
	}
	return fmt.Errorf("valid values are {%s}", strings.Join(e.allowed, "|"))
}

// StringEnumFlag defines a string flag that rejects values outside allowed,
// lists them in its help text and offers them to shell completion.
func StringEnumFlag(cmd *cobra.Command, p *string, name, shorthand, defaultValue string, allowed []string, usage string) {
	*p = defaultValue
	val := &enumValue{target: p, allowed: allowed}
	cmd.Flags().VarP(val, name, shorthand, fmt.Sprintf("%s: {%s}", usage, strings.Join(allowed, "|")))
	_ = cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return allowed, cobra.ShellCompDirectiveNoFileComp
	})
}

// ExactArgs is cobra.ExactArgs whose error is a usage error.
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return FlagErrorf("%q takes %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

// RangeArgs is cobra.RangeArgs whose error is a usage error.
func RangeArgs(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return FlagErrorf("%q takes %d to %d arguments, got %d", cmd.CommandPath(), min, max, len(args))
		}
		return nil
	}
}

// NoArgs is cobra.NoArgs whose error is a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("%q takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// OneOfArgs accepts exactly one argument among allowed, as the first
// argument, plus up to extra more.
func OneOfArgs(allowed []string, extra int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < 1 || len(args) > 1+extra {
			return FlagErrorf("%q: want {%s} and up to %d more argument(s), got %d argument(s)", cmd.CommandPath(), strings.Join(allowed, "|"), extra, len(args))
		}
		for _, a := range allowed {
			if args[0] == a {
				return nil
			}
		}
		return FlagErrorf("%q: unknown %q (valid: %s)", cmd.CommandPath(), args[0], strings.Join(allowed, ", "))
	}
}
