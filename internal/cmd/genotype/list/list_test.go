package list

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/searchspace"
)

func TestListRun(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := listRun(&Options{IO: ios}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	names := searchspace.BuiltinGenotypeNames()
	if len(lines) != len(names) {
		t.Fatalf("list = %q, want %d lines", out, len(names))
	}
	for i, n := range names {
		if !strings.HasPrefix(lines[i], n+" ") {
			t.Errorf("line %d = %q, want it to start with %s", i, lines[i], n)
		}
	}

	ios, _, out, _ = iostreams.Test()
	if err := listRun(&Options{IO: ios, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	if err := json.Unmarshal(out.Bytes(), &entries); err != nil {
		t.Fatalf("--json output: %v", err)
	}
	v2, _ := searchspace.BuiltinGenotype("DARTS_V2")
	if len(entries) != len(names) || entries[2].Name != "DARTS_V2" || !entries[2].Genotype.Equal(v2) {
		t.Errorf("--json entries = %+v", entries)
	}
}
