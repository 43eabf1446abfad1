package mim

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/internal/weights"

	"github.com/nasx/nasx/internal/op"
)

// Fixtures come from testdata/gen_mim.py (torch 1.13), a port of SD@d525eed
// utils.py and model_search.py. Masks are exact; the decoder and the losses
// run in float64 on both sides and compare at atol 1e-10, rtol 1e-8
// (float64 vs float64, differing only in summation order).
const atol, rtol = 1e-10, 1e-8

func npy(t *testing.T, name string) *tensor.Dense {
	t.Helper()
	return numtest.MustReadNpy(t, filepath.Join("testdata", name+".npy"))
}

func TestPatchifyRoundTrip(t *testing.T) {
	x := npy(t, "mask_x").Float32s()
	for _, p := range []int{4, 8} {
		g := Geometry{N: 2, C: 3, H: 32, W: 32, P: p}
		pt := make([]float32, len(x))
		if err := Patchify(pt, x, g); err != nil {
			t.Fatal(err)
		}
		want := npy(t, map[int]string{4: "mask_target_p4", 8: "mask_target_p8"}[p]).Float32s()
		numtest.AllClose(t, pt, want, 0, 0) // a permutation: exact
		back := make([]float32, len(x))
		if err := Unpatchify(back, pt, g); err != nil {
			t.Fatal(err)
		}
		numtest.AllClose(t, back, x, 0, 0)
	}
}

func TestMaskMatchesReference(t *testing.T) {
	x := npy(t, "mask_x").Float32s()
	for _, tc := range []struct {
		p     int
		ratio float64
	}{{4, 0.8}, {8, 0.6}} {
		tag := map[int]string{4: "p4", 8: "p8"}[tc.p]
		g := Geometry{N: 2, C: 3, H: 32, W: 32, P: tc.p}
		noise := npy(t, "mask_noise_"+tag).Float64s()
		mask := make([]float32, g.N*g.L())
		if err := MaskFromNoise(mask, noise, g.N, g.L(), KeepCount(g.L(), tc.ratio)); err != nil {
			t.Fatal(err)
		}
		numtest.AllClose(t, mask, npy(t, "mask_mask_"+tag).Float32s(), 0, 0)
		dst, target := make([]float32, len(x)), make([]float32, len(x))
		if err := ApplyMask(dst, target, x, mask, g, DefaultFill); err != nil {
			t.Fatal(err)
		}
		numtest.AllClose(t, dst, npy(t, "mask_xm_"+tag).Float32s(), 0, 0)
		numtest.AllClose(t, target, npy(t, "mask_target_"+tag).Float32s(), 0, 0)
	}
}

func TestMaskerSeededAndCounts(t *testing.T) {
	cfg := DefaultMaskConfig()
	n, c, h, w := 3, 3, 32, 32
	x := make([]float32, n*c*h*w)
	run := func(seed uint64) []float32 {
		m, err := NewMasker(cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		dst, target, mask := make([]float32, len(x)), make([]float32, len(x)), make([]float32, n*64)
		if err := Mask(m, dst, target, mask, x, n, c, h, w); err != nil {
			t.Fatal(err)
		}
		return mask
	}
	a, b, d := run(1), run(1), run(2)
	numtest.AllClose(t, a, b, 0, 0)
	same := true
	for i := range a {
		same = same && a[i] == d[i]
	}
	if same {
		t.Error("seeds 1 and 2 gave the same mask")
	}
	for i := 0; i < n; i++ { // L=64, keep int(64·0.2)=12, so 52 removed per image
		var s float32
		for _, v := range a[i*64 : (i+1)*64] {
			s += v
		}
		if s != 52 {
			t.Errorf("image %d: %v patches removed, want 52", i, s)
		}
	}
}

func TestMaskErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  MaskConfig
		want string
	}{
		{MaskConfig{Ratio: 1, PatchSize: 4}, "mask ratio: got 1, want in [0, 1)"},
		{MaskConfig{Ratio: -0.1, PatchSize: 4}, "mask ratio"},
		{MaskConfig{Ratio: 0.5, PatchSize: 0}, "patch size: got 0"},
	} {
		if _, err := NewMasker(tc.cfg, 1); err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("NewMasker(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	m, _ := NewMasker(MaskConfig{Ratio: 0.5, PatchSize: 5}, 1)
	x := make([]float32, 3*32*32)
	if err := Mask(m, x, x, make([]float32, 64), x, 1, 3, 32, 32); err == nil || !contains(err.Error(), "patch size 5 must be > 0 and divide") {
		t.Errorf("patch 5 on 32×32: %v", err)
	}
	if _, err := ParseTask("cls-mask"); err == nil || !contains(err.Error(), `unknown task "cls-mask"`) {
		t.Errorf("ParseTask: %v", err)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}
func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// run executes the graph of loss with gradients w.r.t. wrt and returns the
// values of outs and the gradients, read through G.Read nodes.
func run(t *testing.T, g *G.ExprGraph, loss *G.Node, wrt G.Nodes, outs G.Nodes) ([]G.Value, []G.Value) {
	t.Helper()
	grads, err := G.Grad(loss, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	ov, gv := make([]G.Value, len(outs)), make([]G.Value, len(grads))
	for i, o := range outs {
		G.Read(o, &ov[i])
	}
	for i, gr := range grads {
		G.Read(gr, &gv[i])
	}
	m := G.NewTapeMachine(g, G.FreeIntermediates(op.Buffers))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	return ov, gv
}

func f64(t *testing.T, v G.Value) []float64 {
	t.Helper()
	switch x := v.(type) {
	case *tensor.Dense:
		return x.Float64s()
	case *G.F64:
		return []float64{float64(*x)}
	}
	t.Fatalf("value %T", v)
	return nil
}

func newDecoder(t *testing.T, g *G.ExprGraph) *Decoder {
	t.Helper()
	d, err := NewDecoder(g, "rec_decoder", DecoderConfig{C: 8, Lo: -1.99, Hi: 2.13, Dtype: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Params().Load(filepath.Join("testdata", "dec_weights.safetensors"), true); err != nil {
		t.Fatal(err)
	}
	return d
}

func input(g *G.ExprGraph, name string, d *tensor.Dense) *G.Node {
	return G.NewTensor(g, d.Dtype(), d.Dims(), G.WithShape(d.Shape().Clone()...), G.WithValue(d), G.WithName(name))
}

func compareGrads(t *testing.T, file string, d *Decoder, got []G.Value) {
	t.Helper()
	f, err := weights.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range d.Params().Entries() {
		if e.Node == nil {
			continue
		}
		want, ok := f.Tensor(e.Name)
		if !ok {
			t.Fatalf("%s: no gradient %s", file, e.Name)
		}
		t.Run(e.Name, func(t *testing.T) { numtest.AllClose(t, f64(t, got[i]), want.Data.([]float64), atol, rtol) })
	}
}

func TestDecoderForwardBackward(t *testing.T) {
	g := G.NewGraph()
	d := newDecoder(t, g)
	feat := input(g, "feat", npy(t, "dec_feat"))
	out, err := d.Forward(feat)
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, input(g, "R", npy(t, "dec_R"))))))
	wrt := append(G.Nodes{feat}, d.Learnables()...)
	ov, gv := run(t, g, loss, wrt, G.Nodes{out})
	numtest.AllClose(t, f64(t, ov[0]), npy(t, "dec_out").Float64s(), atol, rtol)
	numtest.AllClose(t, f64(t, gv[0]), npy(t, "dec_dfeat").Float64s(), atol, rtol)
	// gv[1:] follow d.Learnables(), i.e. the learnable entries in order.
	compareGrads(t, "dec_grads.safetensors", d, learnableAligned(d, gv[1:]))
	// The running statistics after one training forward, as torch's.
	after, err := weights.ReadFile(filepath.Join("testdata", "dec_after.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range d.Params().Entries() {
		if e.Buffer == nil {
			continue
		}
		want, _ := after.Tensor(e.Name)
		got := e.Buffer.State()
		switch w := want.Data.(type) {
		case []float64:
			numtest.AllClose(t, got.Data.([]float64), w, atol, rtol)
		case []int64:
			if got.Data.([]int64)[0] != w[0] {
				t.Errorf("%s = %v, want %v", e.Name, got.Data, w)
			}
		}
	}
}

// learnableAligned spreads the learnable gradients over the entries of d's
// registry (nil at buffers), so index i matches Entries()[i].
func learnableAligned(d *Decoder, gv []G.Value) []G.Value {
	var out []G.Value
	k := 0
	for _, e := range d.Params().Entries() {
		if e.Node == nil {
			out = append(out, nil)
			continue
		}
		out = append(out, gv[k])
		k++
	}
	return out
}

func TestBalancedLossMatchesReference(t *testing.T) {
	for _, tag := range []string{"plain", "norm"} {
		t.Run(tag, func(t *testing.T) {
			g := G.NewGraph()
			d := newDecoder(t, g)
			feat := input(g, "feat", npy(t, "dec_feat"))
			logits := input(g, "logits", npy(t, "loss_logits"))
			labels := input(g, "labels", npy(t, "loss_labels"))
			target := npy(t, "loss_target")
			if tag == "norm" {
				if err := NormPixTarget(target.Float64s(), 48); err != nil {
					t.Fatal(err)
				}
			}
			out, err := d.Forward(feat)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := RecLoss(out, input(g, "target", target), input(g, "mask", npy(t, "loss_mask")), 4)
			if err != nil {
				t.Fatal(err)
			}
			cls := G.Must(crossEntropy(logits, labels))
			total, err := Balanced(cls, rec)
			if err != nil {
				t.Fatal(err)
			}
			wrt := append(G.Nodes{feat, logits}, d.Learnables()...)
			ov, gv := run(t, g, total, wrt, G.Nodes{rec, cls, total})
			numtest.AllClose(t, f64(t, ov[0]), npy(t, "loss_rec_"+tag).Float64s(), atol, rtol)
			numtest.AllClose(t, f64(t, ov[1]), npy(t, "loss_cls_"+tag).Float64s(), atol, rtol)
			numtest.AllClose(t, f64(t, ov[2]), npy(t, "loss_total_"+tag).Float64s(), atol, rtol)
			numtest.AllClose(t, f64(t, gv[0]), npy(t, "loss_dfeat_"+tag).Float64s(), atol, rtol)
			numtest.AllClose(t, f64(t, gv[1]), npy(t, "loss_dlogits_"+tag).Float64s(), atol, rtol)
			compareGrads(t, "loss_grads_"+tag+".safetensors", d, learnableAligned(d, gv[2:]))
		})
	}
}

// TestBalancedGradFD checks the balanced op against finite differences of
// its definition with the ratio held fixed: dL/dcls = 1, dL/drec = cls/rec.
func TestBalancedGradFD(t *testing.T) {
	g := G.NewGraph()
	a := G.NewScalar(g, tensor.Float64, G.WithName("cls"), G.WithValue(2.5))
	b := G.NewScalar(g, tensor.Float64, G.WithName("rec"), G.WithValue(0.4))
	l, err := Balanced(a, b)
	if err != nil {
		t.Fatal(err)
	}
	ov, gv := run(t, g, l, G.Nodes{a, b}, G.Nodes{l})
	val := float64(*ov[0].(*G.F64))
	if math.Abs(val-5) > 1e-12 { // 2.5 + 0.4/(0.4/2.5) = 2·2.5
		t.Errorf("value %v, want 5", val)
	}
	if g0, g1 := float64(*gv[0].(*G.F64)), float64(*gv[1].(*G.F64)); math.Abs(g0-1) > 1e-12 || math.Abs(g1-2.5/0.4) > 1e-12 {
		t.Errorf("grads (%v, %v), want (1, %v)", g0, g1, 2.5/0.4)
	}
}

func TestNormPixTarget(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 4*12)
	for i := range x {
		x[i] = rng.NormFloat64()*3 + 1
	}
	if err := NormPixTarget(x, 12); err != nil {
		t.Fatal(err)
	}
	for r := 0; r < 4; r++ { // each row: mean 0, unbiased variance 1/(1+1e-6/var) ≈ 1
		var m, ss float64
		for _, v := range x[r*12 : (r+1)*12] {
			m += v
		}
		m /= 12
		for _, v := range x[r*12 : (r+1)*12] {
			ss += (v - m) * (v - m)
		}
		if math.Abs(m) > 1e-12 || math.Abs(ss/11-1) > 1e-6 {
			t.Errorf("row %d: mean %v var %v", r, m, ss/11)
		}
	}
	if err := NormPixTarget(x, 5); err == nil {
		t.Error("48 values in rows of 5: no error")
	}
}
