package show

import (
	"strings"
	"testing"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/searchspace"
)

func TestNewCmdShow(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{"defaults", []string{"DARTS_V2"}, Options{Genotype: "DARTS_V2", Format: "text"}, ""},
		{"format and name", []string{"g.py", "--format", "dot", "--name", "X"}, Options{Genotype: "g.py", Format: "dot", Name: "X"}, ""},
		{"short format", []string{"-", "-f", "json"}, Options{Genotype: "-", Format: "json"}, ""},
		{"unknown format", []string{"DARTS", "--format", "yaml"}, Options{}, `invalid argument "yaml" for "-f, --format" flag: valid values are {text|json|python|dot}`},
		{"no argument", []string{}, Options{}, `"show" takes 1 argument(s), got 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			var got *Options
			cmd := NewCmdShow(&cli.Factory{IOStreams: ios}, func(o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&strings.Builder{})
			cmd.SetErr(&strings.Builder{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Genotype != tt.want.Genotype || got.Format != tt.want.Format || got.Name != tt.want.Name {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestShowRun(t *testing.T) {
	ios, in, out, errOut := iostreams.Test()
	g, _ := searchspace.BuiltinGenotype("DARTS_V1")
	in.Write(g.JSON())
	if err := showRun(&Options{IO: ios, Genotype: "-", Format: "python"}); err != nil {
		t.Fatal(err)
	}
	if want := g.Python() + "\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", errOut)
	}

	ios, in, out, _ = iostreams.Test()
	in.WriteString(`{"normal": [["none", 0]], "normal_concat": [2], "reduce": [], "reduce_concat": [2]}`)
	err := showRun(&Options{IO: ios, Genotype: "-", Format: "text"})
	if err == nil || !strings.HasPrefix(err.Error(), "<stdin>: normal: got 1 edges, want 8") {
		t.Errorf("showRun(invalid) error = %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("stdout = %q, want nothing for an invalid genotype", out)
	}

	ios, in, _, _ = iostreams.Test()
	in.WriteString("{\"normal\": [\n")
	err = showRun(&Options{IO: ios, Genotype: "-", Format: "text"})
	if want := "<stdin>:2:1: unexpected end of input, want ']' closing the normal edge list (truncated JSON?)"; err == nil || err.Error() != want {
		t.Errorf("showRun(truncated) error = %v, want %s", err, want)
	}
}
