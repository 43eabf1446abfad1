package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalDefaultsValidate(t *testing.T) {
	for name, c := range map[string]Eval{"cifar": DefaultEvalCIFAR(), "imagenet": DefaultEvalImageNet(), "nb201": DefaultEvalNB201()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// DARTS train.py / train_imagenet.py / NB201 hp=200 values (algorithms.md C.3, C.4, F).
	if c := DefaultEvalCIFAR(); c.Layers != 20 || c.InitChannels != 36 || c.BatchSize != 96 || c.LR != 0.025 || c.Epochs != 600 {
		t.Errorf("DefaultEvalCIFAR = %+v", c)
	}
	if c := DefaultEvalImageNet(); c.Layers != 14 || c.InitChannels != 48 || c.LabelSmoothing != 0.1 || c.Gamma != 0.97 || c.Schedule != "step" {
		t.Errorf("DefaultEvalImageNet = %+v", c)
	}
	if c := DefaultEvalNB201(); !c.Nesterov || c.BatchSize != 256 || c.WeightDecay != 5e-4 || c.Layers != 5 {
		t.Errorf("DefaultEvalNB201 = %+v", c)
	}
	if c := DefaultEval("darts", "cifar100"); c.Dataset != "cifar100" || c.Layers != 20 {
		t.Errorf("DefaultEval(darts, cifar100) = %+v", c)
	}
}

func TestEvalValidateReportsEveryProblem(t *testing.T) {
	c := DefaultEvalCIFAR()
	c.LR, c.Epochs, c.Space, c.DropPath, c.Subset = -0.1, 0, "nb101", 1, -1
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`space: got "nb101"`, "lr: got -0.1, want > 0", "epochs: got 0, want > 0",
		"drop_path: got 1, want in [0, 1)", "subset: got -1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	nb := DefaultEvalNB201()
	nb.Auxiliary, nb.DropPath = true, 0.2
	if err := nb.Validate(); err == nil || !strings.Contains(err.Error(), "auxiliary") || !strings.Contains(err.Error(), "drop_path") {
		t.Errorf("nasbench201 with aux and drop-path: %v", err)
	}
}

func TestLoadEval(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := LoadEval(write("ok.json", `{"epochs": 5, "init_channels": 16}`), DefaultEvalCIFAR())
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultEvalCIFAR()
	want.Epochs, want.InitChannels = 5, 16
	if got != want {
		t.Errorf("LoadEval = %+v, want %+v", got, want)
	}
	for name, tc := range map[string]struct{ src, want string }{
		"unknown.json":  {`{"epoch": 5}`, `unknown field "epoch"`},
		"syntax.json":   {`{"epochs": 5,}`, "offset"},
		"trailing.json": {`{"epochs": 5} {}`, "data after the JSON object"},
		"type.json":     {`{"epochs": "5"}`, "epochs"},
	} {
		p := write(name, tc.src)
		if _, err := LoadEval(p, DefaultEvalCIFAR()); err == nil || !strings.Contains(err.Error(), tc.want) ||
			!strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want the file name and %q", name, err, tc.want)
		}
	}
	if _, err := LoadEval(filepath.Join(dir, "absent.json"), DefaultEvalCIFAR()); err == nil {
		t.Error("missing file: no error")
	}
}

func FuzzLoadEval(f *testing.F) {
	f.Add([]byte(`{"epochs": 5}`))
	f.Add([]byte(`{"space": "nasbench201", "lr": 1e308, "seed": 18446744073709551615}`))
	f.Add([]byte(`[`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "c.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := LoadEval(p, DefaultEvalCIFAR())
		if err == nil {
			_ = c.Validate() // must not panic
		}
	})
}

// TestPresets loads every preset in presets/ over the defaults of its space and dataset and validates it.
// alpha_darts_imagenet.json is algorithms.md A.3 (α-DARTS train_imagenet_dist.py): lr 0.5, batch 1024,
// linear decay with a 5-epoch warm-up, label smoothing 0.1, no drop-path.
func TestEvalPresets(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("presets", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no presets (%v)", err)
	}
	for _, p := range files {
		peek, err := LoadEval(p, Eval{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := LoadEval(p, DefaultEval(peek.Space, peek.Dataset))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
