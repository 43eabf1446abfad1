package data

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/internal/sharedtest"
)

func testFactory(env map[string]string) (*cli.Factory, *bytes.Buffer, *bytes.Buffer) {
	ios, _, out, errOut := iostreams.Test()
	return &cli.Factory{IOStreams: ios, Now: time.Now, Getenv: func(k string) string { return env[k] }}, out, errOut
}

func TestNewCmdInfo(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    InfoOptions
		wantErr string
	}{
		{"defaults", []string{"cifar10"}, InfoOptions{Dataset: "cifar10", Classes: 120}, ""},
		{"all flags", []string{"cifar100", "--data-dir", "/x", "--no-download", "--json", "--coarse", "--workers", "3", "--mirror", "http://m"},
			InfoOptions{Dataset: "cifar100", DataDir: "/x", NoDownload: true, JSON: true, Coarse: true, Classes: 120, Workers: 3, Mirror: "http://m"}, ""},
		{"classes", []string{"imagenet16", "--classes", "1000"}, InfoOptions{Dataset: "imagenet16", Classes: 1000}, ""},
		{"unknown dataset", []string{"mnist"}, InfoOptions{}, `unknown "mnist"`},
		{"no dataset", []string{}, InfoOptions{}, "want {cifar10|"},
		{"coarse on cifar10", []string{"cifar10", "--coarse"}, InfoOptions{}, "--coarse applies to cifar100 only"},
		{"classes on cifar10", []string{"cifar10", "--classes", "5"}, InfoOptions{}, "--classes applies to imagenet16 only"},
		{"classes range", []string{"imagenet16", "--classes", "0"}, InfoOptions{}, "want in [1, 1000]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(nil)
			var got *InfoOptions
			cmd := NewCmdInfo(f, func(_ context.Context, o *InfoOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !cli.IsFlagError(err) {
					t.Fatalf("error %v, want a usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			g := *got
			g.IO, g.Getenv = nil, nil
			if g.Dataset != tt.want.Dataset || g.DataDir != tt.want.DataDir || g.NoDownload != tt.want.NoDownload || g.JSON != tt.want.JSON ||
				g.Coarse != tt.want.Coarse || g.Classes != tt.want.Classes || g.Workers != tt.want.Workers || g.Mirror != tt.want.Mirror {
				t.Errorf("options %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// TestInfoRunCIFAR10 is issue 4's acceptance check: 50,000 + 10,000
// images, 5,000 per class, mean/std within 0.005 of the published
// (0.4914, 0.4822, 0.4465) / (0.2470, 0.2435, 0.2616).
func TestInfoRunCIFAR10(t *testing.T) {
	dir := filepath.Dir(sharedtest.Path(t, "cifar10/cifar-10-binary.tar.gz"))
	f, out, _ := testFactory(nil)
	opts := &InfoOptions{IO: f.IOStreams, Getenv: f.Getenv, Dataset: "cifar10", DataDir: dir, NoDownload: true, JSON: true, Classes: 120}
	if err := infoRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var info Info
	if err := json.Unmarshal(out.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	if info.Train != 50000 || info.Test != 10000 || info.Classes != 10 {
		t.Errorf("train %d test %d classes %d", info.Train, info.Test, info.Classes)
	}
	for c, n := range info.Histogram {
		if n != 5000 {
			t.Errorf("class %d: %d", c, n)
		}
	}
	pubMean := [3]float64{0.4914, 0.4822, 0.4465}
	pubStd := [3]float64{0.2470, 0.2435, 0.2616}
	for c := 0; c < 3; c++ {
		if math.Abs(info.Mean[c]-pubMean[c]) > 0.005 || math.Abs(info.Std[c]-pubStd[c]) > 0.005 {
			t.Errorf("channel %d: mean %.4f std %.4f", c, info.Mean[c], info.Std[c])
		}
	}
}

func TestInfoRunTextAndMissing(t *testing.T) {
	f, out, _ := testFactory(nil)
	if err := infoRun(context.Background(), &InfoOptions{IO: f.IOStreams, Getenv: f.Getenv, Dataset: "synthetic", Classes: 120}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"train    5000", "test     1000", "classes  10", "mean     0.50"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	// NASX_DATA decides the folder when --data-dir is absent.
	root := t.TempDir()
	f, _, _ = testFactory(map[string]string{"NASX_DATA": root})
	err := infoRun(context.Background(), &InfoOptions{IO: f.IOStreams, Getenv: f.Getenv, Dataset: "cifar100", NoDownload: true, Classes: 120})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "cifar100")) || !strings.Contains(err.Error(), "nasx data download cifar100") {
		t.Errorf("missing cifar100: %v", err)
	}
}

// TestDownloadRunChecksum: a mirror serving other bytes than the
// published archive fails the MD5 check and leaves no archive behind.
func TestDownloadRunChecksum(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cifar-10-binary.tar.gz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("not the CIFAR archive"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	f, out, errOut := testFactory(nil)
	err := downloadRun(context.Background(), &DownloadOptions{IO: f.IOStreams, Getenv: f.Getenv, Dataset: "cifar10", DataDir: dir, Mirror: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "MD5") {
		t.Fatalf("error %v, want an MD5 mismatch", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cifar-10-binary.tar.gz")); !os.IsNotExist(err) {
		t.Error("archive placed despite the MD5 mismatch")
	}
	if out.Len() != 0 || !strings.Contains(errOut.String(), "downloading cifar10 from "+srv.URL) {
		t.Errorf("stdout %q stderr %q", out, errOut)
	}
}

// TestInfoRunImageNet16 reads the committed pickle fixtures: the counts
// are those of the labels ≤ 120 listed in imagenet16_ref.json (written by
// data/testdata/gen_imagenet16.py).
func TestInfoRunImageNet16(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "testdata", "imagenet16_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]json.RawMessage
	json.Unmarshal(b, &ref)
	count := func(name string) int {
		var r struct{ Labels []int }
		json.Unmarshal(ref[name], &r)
		n := 0
		for _, l := range r.Labels {
			if l <= 120 {
				n++
			}
		}
		return n
	}
	wantTrain := 0
	for k := 1; k <= 10; k++ {
		wantTrain += count("train_data_batch_" + strconv.Itoa(k))
	}
	f, out, _ := testFactory(nil)
	opts := &InfoOptions{IO: f.IOStreams, Getenv: f.Getenv, Dataset: "imagenet16", JSON: true, Classes: 120,
		DataDir: filepath.Join("..", "..", "..", "data", "testdata", "imagenet16")}
	if err := infoRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var info Info
	json.Unmarshal(out.Bytes(), &info)
	if info.Train != wantTrain || info.Test != count("val_data") || info.Classes != 120 || len(info.Histogram) != 120 {
		t.Errorf("train %d test %d classes %d, want %d %d 120", info.Train, info.Test, info.Classes, wantTrain, count("val_data"))
	}
}
