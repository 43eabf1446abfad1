package validate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nasx/nasx/internal/iostreams"
)

func TestValidateRun(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.py")
	// Node 3's second edge reads state 5, node 3 itself; reduce_concat repeats 2.
	src := `G = Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 5)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 2, 4, 5])`
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	wantLines := []string{
		bad + ": normal[7]: node 3 (edge 2 of 2): input 5 out of range [0, 5)",
		bad + ": reduce_concat[1]: duplicate state 2",
	}

	ios, _, out, _ := iostreams.Test()
	err := validateRun(&Options{IO: ios, File: bad})
	if err == nil || err.Error() != strings.Join(wantLines, "\n") {
		t.Errorf("validateRun(bad) error =\n%v\nwant\n%s", err, strings.Join(wantLines, "\n"))
	}
	if out.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", out)
	}

	ios, _, out, _ = iostreams.Test()
	err = validateRun(&Options{IO: ios, File: bad, JSON: true})
	if err == nil {
		t.Errorf("validateRun(bad, --json) = nil error, want exit 1")
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if r.Valid || r.Name != "G" || r.File != bad || strings.Join(r.Errors, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("report = %+v", r)
	}

	ios, _, out, _ = iostreams.Test()
	if err := validateRun(&Options{IO: ios, File: "DARTS_V1"}); err != nil || out.String() != "DARTS_V1: ok\n" {
		t.Errorf("validateRun(DARTS_V1) = %q, %v; want \"DARTS_V1: ok\"", out, err)
	}
}
