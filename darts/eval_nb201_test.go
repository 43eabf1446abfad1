package darts

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/searchspace"
)

// TestNB201NetworkMatchesBenchmarkCosts compares the parameter count of NB201Network with
// searchspace.NB201Cost, which equals the values in NAR's nasbench201_with_edge_flops_and_params.json for
// all 15,625 cells (the CIFAR-10 skeleton alone is 73,306 parameters, algorithms.md F).
func TestNB201NetworkMatchesBenchmarkCosts(t *testing.T) {
	archs := searchspace.SampleNB201(rand.New(rand.NewPCG(4, 4)), 12)
	archs = append(archs, searchspace.NB201Arch{}, searchspace.NB201Arch{3, 3, 3, 3, 3, 3})
	for _, a := range archs {
		for _, ds := range []struct {
			name    string
			classes int
			size    int
		}{{"cifar10-valid", 10, 32}, {"cifar100", 100, 32}, {"ImageNet16-120", 120, 16}} {
			want, err := searchspace.NB201Cost(a, ds.name)
			if err != nil {
				t.Fatal(err)
			}
			g := G.NewGraph()
			n, err := NewNB201Network(g, NB201Config{Arch: a, C: 16, N: 5, Classes: ds.classes})
			if err != nil {
				t.Fatal(err)
			}
			x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 3, ds.size, ds.size))
			if _, err := n.Forward(x); err != nil {
				t.Fatal(err)
			}
			if got := int64(n.NumParams()); got != want.TotalParams {
				t.Errorf("%s on %s: %d params, benchmark %d", a, ds.name, got, want.TotalParams)
			}
			// The benchmark's FLOPs also count BN, pools and additions (about 0.95M more on CIFAR), so
			// MultAdds, which counts convolutions and linear layers only, must stay below them.
			if got := n.MultAdds(); got <= 0 || got > want.TotalFlops {
				t.Errorf("%s on %s: %d mult-adds, want in (0, %d]", a, ds.name, got, want.TotalFlops)
			}
		}
	}
}
