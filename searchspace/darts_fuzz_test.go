package searchspace

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParseGenotypeJSON checks that no input makes the JSON reader panic,
// that every error is a positioned syntax error, and that whatever it
// accepts survives a write/read round trip.
func FuzzParseGenotypeJSON(f *testing.F) {
	for _, name := range []string{"DARTS_V1", "DARTS_V2"} {
		g, _ := BuiltinGenotype(name)
		f.Add(g.JSON())
	}
	f.Add([]byte(`{"normal": [{"op": "skip_connect", "input": 0}], "normal_concat": [], "reduce": [], "reduce_concat": [2]}`))
	f.Add([]byte(`{"normal": [["x", 1.5]]`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte("\uFEFF{\"normal\":null}"))
	f.Fuzz(func(t *testing.T, src []byte) {
		g, err := ParseGenotypeJSON(src)
		if err != nil {
			var se *SyntaxPosError
			if !errors.As(err, &se) || !errors.Is(err, ErrGenotypeSyntax) {
				t.Fatalf("error %v is not a *SyntaxPosError", err)
			}
			return
		}
		_ = g.Validate()
		for _, e := range append(g.Normal, g.Reduce...) {
			if !utf8.ValidString(e.Op) {
				return // encoding/json replaces invalid UTF-8; no identity to check
			}
		}
		back, err := ParseGenotypeJSON(g.JSON())
		if err != nil || !back.Equal(g) {
			t.Fatalf("round trip of %q: %v, %v", g.JSON(), back, err)
		}
	})
}

// FuzzParseGenotypePython checks that no input makes the Python reader
// panic, that every error is a syntax error, and that each genotype it reads
// survives a Python write/read round trip.
func FuzzParseGenotypePython(f *testing.F) {
	f.Add([]byte(dartsV1Line))
	f.Add([]byte(pastedFile))
	f.Add([]byte("G = Genotype(normal=[(\"a\\\\'\", -1,)], normal_concat=range(2, 6, -1), reduce=(), reduce_concat=list(range(4)),)"))
	f.Add([]byte("x = '''\nGenotype(\n''' ; G = genotypes.Genotype([], [], [], [])\\\n"))
	f.Add([]byte("G = Genotype(normal=[('sep_conv_3x3, 0)])"))
	f.Fuzz(func(t *testing.T, src []byte) {
		all, err := ParseGenotypesPython(src)
		if err != nil {
			if !errors.Is(err, ErrGenotypeSyntax) {
				t.Fatalf("error %v does not wrap ErrGenotypeSyntax", err)
			}
			return
		}
		for _, ng := range all {
			_ = ng.Genotype.Validate()
			_ = ng.Genotype.Text(ng.Name)
			_ = ng.Genotype.DOT(ng.Name)
			text := ng.Genotype.Python()
			back, err := ParseGenotypePython([]byte(text), "")
			if err != nil || !back.Equal(ng.Genotype) {
				t.Fatalf("round trip of %q: %v, %v", text, back, err)
			}
		}
	})
}
