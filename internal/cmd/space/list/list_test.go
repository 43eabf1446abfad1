package list

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nasx/nasx/internal/iostreams"
)

func TestListRun(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := listRun(&Options{IO: ios}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "darts ") ||
		!strings.HasPrefix(lines[2], "nasbench201 ") || !strings.HasPrefix(lines[3], "nasbench101 ") {
		t.Errorf("output:\n%s\nwant a header and darts, nasbench201, nasbench101", out)
	}
	out.Reset()
	if err := listRun(&Options{IO: ios, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var got []Entry
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got) != 3 || got[1].Name != "nasbench201" {
		t.Errorf("JSON = %s (%v), want 3 spaces", out, err)
	}
}
