package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSearchPresetsValidate(t *testing.T) {
	names := SearchPresets()
	if len(names) != 6 {
		t.Errorf("SearchPresets() = %v, want the 6 presets of issue 6", names)
	}
	for _, name := range names {
		s, err := LoadSearch(name, DefaultSearch())
		if err != nil {
			t.Fatalf("LoadSearch(%q): %v", name, err)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
		if s.Note == "" {
			t.Errorf("preset %s has no note", name)
		}
	}
	// With the folder and extension, as in `--config configs/search_smoke.json`.
	s, err := LoadSearch("configs/search_smoke.json", DefaultSearch())
	if err != nil || s.Dataset != "synthetic" {
		t.Errorf("LoadSearch(configs/search_smoke.json) = %v, %v", s.Dataset, err)
	}
}

func TestDefaultSearchIsDARTS(t *testing.T) {
	d := DefaultSearch()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	// quark0/darts cnn/train_search.py argparse (algorithms.md C.2)
	if d.LR != 0.025 || d.LRMin != 0.001 || d.Momentum != 0.9 || d.WeightDecay != 3e-4 || d.GradClip != 5 ||
		d.ArchLR != 3e-4 || d.ArchBeta1 != 0.5 || d.ArchBeta2 != 0.999 || d.ArchWeightDecay != 1e-3 ||
		d.TrainPortion != 0.5 || d.BatchSize != 64 || d.Epochs != 50 || d.Layers != 8 || d.InitChannels != 16 || d.Seed != 2 {
		t.Errorf("DefaultSearch() = %+v, want the DARTS reference settings", d)
	}
}

func TestLoadSearchErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"typo.json", `{"arch_learning_rate": 1}`, `unknown field "arch_learning_rate"`},
		{"type.json", `{"epochs": "ten"}`, "field epochs: got a JSON string, want int"},
		{"syntax.json", `{"epochs": 3,}`, "offset"},
		{"trailing.json", `{"epochs": 3} {}`, "trailing data"},
	} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSearch(p, DefaultSearch())
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("LoadSearch(%s) = %v, want an error naming the file and %q", tc.name, err, tc.want)
		}
	}
	if _, err := LoadSearch(filepath.Join(dir, "missing.json"), DefaultSearch()); err == nil || !strings.Contains(err.Error(), "not a preset (presets: search_") {
		t.Errorf("missing file: %v", err)
	}
}

func TestSearchValidateNamesFieldValueAndRange(t *testing.T) {
	s := DefaultSearch()
	s.LR = -0.1
	s.Epochs = 0
	s.TrainPortion = 1.5
	s.Dataset = "mnist"
	s.MaskRatio = 1
	s.Bench = "nb201.json" // darts space
	err := s.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"lr: got -0.1, want > 0",
		"epochs: got 0, want in [1, 10000]",
		"train_portion: got 1.5, want in (0, 1)",
		`dataset: got "mnist", want one of cifar10, cifar100, imagenet16, synthetic`,
		"mask_ratio: got 1, want in [0, 1)",
		`bench: set for space "darts", want space nasbench201`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v\nmissing %q", err, want)
		}
	}
}
