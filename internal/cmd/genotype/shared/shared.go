package shared

import (
	"fmt"
	"io"
	"strings"

	"github.com/nasx/nasx/searchspace"
)

// Stdin is the argument that reads the genotype from standard input.
const Stdin = "-"

// Load reads the genotype arg names: "-" reads in, a built-in name returns
// that genotype, anything else is a file path. name picks an assignment in
// a Python file with several. It returns the genotype with its name (the
// built-in or Python assignment name, "" if none) and the label to put in
// front of messages about it (the path, "<stdin>" or the built-in name).
// The genotype is not validated.
func Load(in io.Reader, arg, name string) (ng searchspace.NamedGenotype, label string, err error) {
	if arg != Stdin {
		ng, err = searchspace.LoadNamedGenotype(arg, name)
		return ng, arg, err
	}
	src, err := io.ReadAll(in)
	if err != nil {
		return ng, "<stdin>", fmt.Errorf("<stdin>: %w", err)
	}
	ng, err = searchspace.ParseNamedGenotype(src, name)
	if err != nil {
		if _, ok := err.(*searchspace.SyntaxPosError); ok {
			return ng, "<stdin>", fmt.Errorf("<stdin>:%w", err)
		}
		return ng, "<stdin>", fmt.Errorf("<stdin>: %w", err)
	}
	return ng, "<stdin>", nil
}

// PrefixLines returns err with "label: " in front of every line of its
// message (Validate joins one problem per line). It keeps err in the chain.
func PrefixLines(label string, err error) error {
	if err == nil {
		return nil
	}
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = label + ": " + l
	}
	return &prefixed{msg: strings.Join(lines, "\n"), err: err}
}

type prefixed struct {
	msg string
	err error
}

func (e *prefixed) Error() string { return e.msg }
func (e *prefixed) Unwrap() error { return e.err }

// Problems returns the messages of the problems joined in err, one per
// element, for --json reports.
func Problems(err error) []string {
	if err == nil {
		return []string{}
	}
	return strings.Split(err.Error(), "\n")
}
