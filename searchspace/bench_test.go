package searchspace

import (
	"math/rand/v2"
	"testing"
)

var (
	sinkString string
	sinkInt    int64
	sinkArch   NB201Arch
)

func BenchmarkParseNB201(b *testing.B) {
	archs := SampleNB201(rand.New(rand.NewPCG(1, 1)), 256)
	strs := make([]string, len(archs))
	for i, a := range archs {
		strs[i] = a.String()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		a, err := ParseNB201(strs[i%len(strs)])
		if err != nil {
			b.Fatal(err)
		}
		sinkArch = a
	}
}

func BenchmarkNB201Cost(b *testing.B) {
	archs := SampleNB201(rand.New(rand.NewPCG(1, 1)), 256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c, err := NB201Cost(archs[i%len(archs)], "cifar10-valid")
		if err != nil {
			b.Fatal(err)
		}
		sinkInt = c.TotalFlops
	}
}

func BenchmarkNB101Hash(b *testing.B) {
	specs := SampleNB101(rand.New(rand.NewPCG(1, 1)), 256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		h, err := specs[i%len(specs)].Hash()
		if err != nil {
			b.Fatal(err)
		}
		sinkString = h
	}
}

func BenchmarkNB101Cost(b *testing.B) {
	specs := SampleNB101(rand.New(rand.NewPCG(1, 1)), 256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c, err := NB101Cost(specs[i%len(specs)])
		if err != nil {
			b.Fatal(err)
		}
		sinkInt = c.TrainableParameters
	}
}
