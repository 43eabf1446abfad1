package show

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

func TestNewCmdShowArgs(t *testing.T) {
	for _, args := range [][]string{{}, {"nasbench301"}, {"darts", "x"}} {
		ios, _, _, _ := iostreams.Test()
		f := &cli.Factory{IOStreams: ios, Now: time.Now, Getenv: os.Getenv}
		cmd := NewCmdShow(f, func(*Options) error { return nil })
		cmd.SetArgs(args)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		if err := cmd.Execute(); !cli.IsFlagError(err) {
			t.Errorf("Execute(%q) = %v, want a usage error", args, err)
		}
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		space  string
		ops    int
		edges  int
		size   uint64
		first  string
		lastEd string
	}{
		// DARTS: 8 PRIMITIVES, 14 edges (quark0/darts model_search.py);
		// size (1·3·6·10·7^8)^2 = 1,037,664,180^2.
		{"darts", 8, 14, 1037664180 * 1037664180, "none", "5<-4"},
		// NB201: 5 ops, 6 edges, 5^6 cells (Dong & Yang 2020).
		{"nasbench201", 5, 6, 15625, "none", "3<-2"},
		// NB101: 3 interior ops; 423,624 unique cells (Ying et al. 2019).
		{"nasbench101", 3, 0, 423624, "conv3x3-bn-relu", ""},
	}
	for _, tt := range tests {
		info, err := Describe(tt.space)
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Ops) != tt.ops || len(info.Edges) != tt.edges || info.Size != tt.size || info.Ops[0] != tt.first {
			t.Errorf("Describe(%s) = %d ops, %d edges, size %d, first op %s; want %d, %d, %d, %s", tt.space, len(info.Ops), len(info.Edges), info.Size, info.Ops[0], tt.ops, tt.edges, tt.size, tt.first)
		}
		if tt.edges > 0 && info.Edges[tt.edges-1] != tt.lastEd {
			t.Errorf("Describe(%s) last edge %s, want %s", tt.space, info.Edges[tt.edges-1], tt.lastEd)
		}
	}
	if _, err := Describe("nope"); err == nil {
		t.Error("Describe(nope) = nil error")
	}
}

func TestShowRun(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := showRun(&Options{IO: ios, Space: "nasbench101", JSON: true}); err != nil {
		t.Fatal(err)
	}
	var info Info
	if err := json.Unmarshal(out.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	if info.MaxVertices != 7 || info.MaxEdges != 9 {
		t.Errorf("nasbench101 limits %d/%d, want 7/9", info.MaxVertices, info.MaxEdges)
	}
	out.Reset()
	if err := showRun(&Options{IO: ios, Space: "nasbench201"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1<-0 2<-0 2<-1 3<-0 3<-1 3<-2", "size", "15625", "constraints:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
