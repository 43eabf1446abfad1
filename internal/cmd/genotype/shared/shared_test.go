package shared

import (
	"errors"
	"strings"
	"testing"

	"github.com/nasx/nasx/searchspace"
)

func TestPrefixLines(t *testing.T) {
	err := PrefixLines("g.json", errors.Join(errors.New("a"), searchspace.ErrInvalidGenotype))
	if want := "g.json: a\ng.json: invalid genotype"; err.Error() != want {
		t.Errorf("PrefixLines = %q, want %q", err, want)
	}
	if !errors.Is(err, searchspace.ErrInvalidGenotype) {
		t.Errorf("PrefixLines lost the wrapped error")
	}
	if PrefixLines("x", nil) != nil {
		t.Errorf("PrefixLines(nil) != nil")
	}
	if got := Problems(nil); got == nil || len(got) != 0 {
		t.Errorf("Problems(nil) = %#v, want an empty, non-nil slice (JSON [])", got)
	}
}

func TestLoadStdin(t *testing.T) {
	ng, label, err := Load(strings.NewReader("X = Genotype(\n  normal=[('a', 0)], normal_concat=[], reduce=[], reduce_concat=[])"), Stdin, "")
	if err != nil || label != "<stdin>" || ng.Name != "X" || ng.Genotype.Normal[0].Op != "a" {
		t.Errorf("Load(stdin) = %v, %q, %v", ng, label, err)
	}
	_, _, err = Load(strings.NewReader("X = Genotype(\n  normal=[('a' 0)])"), Stdin, "")
	if want := "<stdin>:2:16: want ',' after the op of normal[0], got number 0"; err == nil || err.Error() != want {
		t.Errorf("Load(stdin, bad) error = %v, want %s", err, want)
	}
	_, _, err = Load(strings.NewReader(dartsJSONTwice()), Stdin, "")
	if err == nil || !strings.HasPrefix(err.Error(), "<stdin>:") {
		t.Errorf("Load(stdin, trailing data) error = %v, want a <stdin>: prefix", err)
	}
	ng, label, err = Load(nil, "DARTS", "")
	if err != nil || label != "DARTS" || ng.Name != "DARTS" {
		t.Errorf("Load(DARTS) = %v, %q, %v", ng, label, err)
	}
}

func dartsJSONTwice() string {
	g, _ := searchspace.BuiltinGenotype("DARTS")
	return string(g.JSON()) + string(g.JSON())
}
