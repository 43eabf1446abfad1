package searchspace

import (
	"math/rand/v2"
	"testing"
)

var genotypeSink Genotype

// BenchmarkDerive derives a genotype from random 14×8 α tables, as a DARTS
// search does once per epoch.
func BenchmarkDerive(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	an, ar := zeros(), zeros()
	for r := range an {
		for c := range an[r] {
			an[r][c], ar[r][c] = rng.NormFloat64(), rng.NormFloat64()
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		g, err := Derive(an, ar)
		if err != nil {
			b.Fatal(err)
		}
		genotypeSink = g
	}
}

// BenchmarkParseGenotype reads DARTS_V2 in both text forms.
func BenchmarkParseGenotype(b *testing.B) {
	v2, _ := BuiltinGenotype("DARTS_V2")
	for _, tt := range []struct {
		name, pick string
		src        []byte
	}{{"json", "", v2.JSON()}, {"python", "DARTS_V2", []byte(pastedFile)}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tt.src)))
			for b.Loop() {
				g, err := ParseGenotype(tt.src, tt.pick)
				if err != nil {
					b.Fatal(err)
				}
				genotypeSink = g
			}
		})
	}
}
