package bench

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// TestCostObjectErrors covers the key errors of both per-cell cost objects
// (NB201 cells, NB101 modules), which share scanner.costObject.
func TestCostObjectErrors(t *testing.T) {
	six := "[1,2,3,4,5,6]"
	var cells, modules []string
	for _, c := range []int{0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16} {
		cells = append(cells, `"cells`+itoa(c)+`":`+six)
	}
	for s := 0; s < 3; s++ {
		for m := 0; m < 3; m++ {
			modules = append(modules, `"stack`+itoa(s)+`/module`+itoa(m)+`":[0,5,0]`)
		}
	}
	nb201 := func(in string) error {
		_, err := newScanner(strings.NewReader(in)).cellCosts(make([]uint32, 15*6), nil)
		return err
	}
	nb101 := func(in string) error {
		_, err := newScanner(strings.NewReader(in)).vertexCosts(make([]uint32, 9*nb101V), make([]int, 9), nil)
		return err
	}
	tests := []struct {
		name string
		read func(string) error
		in   string
		want string // "" = no error
	}{
		{"nb201 ok", nb201, "{" + strings.Join(cells, ",") + "}", ""},
		{"nb201 unknown", nb201, `{"cells5":` + six + "}", `unknown cell key "cells5" (want cells0-4, cells6-10, cells12-16)`},
		{"nb201 twice", nb201, `{"cells0":` + six + `,"cells0":` + six + "}", `cell "cells0" appears twice`},
		{"nb201 missing", nb201, "{" + strings.Join(cells[:14], ",") + "}", `cell "cells16" is missing`},
		{"nb201 short", nb201, `{"cells0":[1]}`, `cell "cells0" has 1 values, want 6 (one per edge)`},
		{"nb101 ok", nb101, "{" + strings.Join(modules, ",") + "}", ""},
		{"nb101 unknown", nb101, `{"stack3/module0":[1]}`, `unknown key "stack3/module0" (want stack0/module0 .. stack2/module2)`},
		{"nb101 twice", nb101, "{" + modules[0] + "," + modules[0] + "}", `"stack0/module0" appears twice`},
		{"nb101 missing", nb101, "{" + strings.Join(modules[1:], ",") + "}", `"stack0/module0" is missing`},
		{"nb101 long", nb101, `{"stack0/module0":[1,2,3,4,5,6,7,8]}`, `"stack0/module0" has 8 values, want at most 7`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(tt.in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrFormat) {
				t.Fatalf("got error %v, want one containing %q and wrapping ErrFormat", err, tt.want)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
