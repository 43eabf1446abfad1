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
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "DARTS ") || !strings.HasPrefix(lines[2], "DARTS_V2 ") {
		t.Errorf("list = %q, want DARTS, DARTS_V1, DARTS_V2 one per line", out)
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
	if len(entries) != 3 || entries[2].Name != "DARTS_V2" || !entries[2].Genotype.Equal(v2) {
		t.Errorf("--json entries = %+v", entries)
	}
}
