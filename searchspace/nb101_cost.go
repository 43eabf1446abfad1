package searchspace

import (
	"fmt"
	"slices"
)

// NAS-Bench-101 network constants (google-research/nasbench
// nasbench/lib/config.py defaults; algorithms.md E): a 3×3 conv-BN-ReLU stem
// of 128 channels on 32×32×3 CIFAR-10 images, 3 stacks of 3 modules, 10
// labels.
const (
	nb101StemChannels = 128
	nb101Stacks       = 3
	nb101Modules      = 3
	nb101InputSide    = 32
	nb101Labels       = 10
)

// NB101CellCost is the cost of one module (cell) of the NAS-Bench-101
// network, per vertex of the pruned spec.
type NB101CellCost struct {
	// Key is "stack{s}/module{m}" as in NAR's vertex_flops/vertex_params.
	Key string `json:"key"`
	// InChannels and OutChannels are the module's input and output widths;
	// H and W its resolution.
	InChannels  int `json:"in_channels"`
	OutChannels int `json:"out_channels"`
	H           int `json:"h"`
	W           int `json:"w"`
	// VertexChannels are NAS-Bench-101's compute_vertex_channels.
	VertexChannels []int `json:"vertex_channels"`
	// VertexFlops and VertexParams are NAR's per-vertex FLOPs and params:
	// the vertex's input projection (if any), the sum of its inputs and its
	// op. Input and output vertices are 0.
	VertexFlops  []int64 `json:"vertex_flops"`
	VertexParams []int64 `json:"vertex_params"`
	// OutputProjectionFlops and OutputProjectionParams are the 1×1
	// projection of the module input added to the output, when the input
	// feeds the output directly; they belong to no vertex.
	OutputProjectionFlops  int64 `json:"output_projection_flops"`
	OutputProjectionParams int64 `json:"output_projection_params"`
}

// NB101Costs is the cost of the NAS-Bench-101 network built on one cell.
type NB101Costs struct {
	// Spec is the pruned spec the network is built on.
	Spec NB101Spec `json:"spec"`
	// Cells are the 9 modules, stack-major.
	Cells []NB101CellCost `json:"cells"`
	// Flops is NAR's whole-network "flops" (multiply and add counted
	// separately, BN and ReLU free; see NB101Cost).
	Flops int64 `json:"flops"`
	// TrainableParameters is NAS-Bench-101's trainable_parameters.
	TrainableParameters int64 `json:"trainable_parameters"`
}

// nb101VertexChannels is NAS-Bench-101's compute_vertex_channels
// (nasbench/lib/model_builder.py) for a pruned matrix: the output's channels
// are split evenly over the vertices feeding it (the first ones get the
// remainder), and other interior vertices take the widest of their
// successors.
func nb101VertexChannels(cin, cout int, m [][]int) []int {
	n := len(m)
	vc := make([]int, n)
	vc[0], vc[n-1] = cin, cout
	if n == 2 {
		return vc
	}
	inOut := 0 // in-degree of the output, not counting the input vertex
	for v := 1; v < n; v++ {
		inOut += m[v][n-1]
	}
	if inOut == 0 { // cannot happen for a pruned spec with n > 2
		return vc
	}
	interior, correction := cout/inOut, cout%inOut
	for v := 1; v < n-1; v++ {
		if m[v][n-1] != 0 {
			vc[v] = interior
			if correction > 0 {
				vc[v]++
				correction--
			}
		}
	}
	for v := n - 3; v > 0; v-- {
		if m[v][n-1] == 0 {
			for dst := v + 1; dst < n-1; dst++ {
				if m[v][dst] != 0 {
					vc[v] = max(vc[v], vc[dst])
				}
			}
		}
	}
	return vc
}

// convBNReLU returns the FLOPs (2 per multiply-add, BN and ReLU free) and
// parameters (conv without bias, BN γ and β) of a k×k conv-BN-ReLU from ci to
// co channels at hw output pixels.
func convBNReLU(k, ci, co, hw int64) (flops, params int64) {
	return 2 * k * k * ci * co * hw, k*k*ci*co + 2*co
}

// nb101Module returns the cost of one module with input cin, output cout at
// hw pixels.
func nb101Module(s NB101Spec, cin, cout int, side int64) NB101CellCost {
	n := len(s.Matrix)
	hw := side * side
	vc := nb101VertexChannels(cin, cout, s.Matrix)
	c := NB101CellCost{
		InChannels: cin, OutChannels: cout, H: int(side), W: int(side),
		VertexChannels: vc,
		VertexFlops:    make([]int64, n),
		VertexParams:   make([]int64, n),
	}
	feedsOut := false
	for t := 1; t < n-1; t++ {
		ch := int64(vc[t])
		inputs := 0
		for src := 1; src < t; src++ {
			inputs += s.Matrix[src][t] // truncation is a slice: free
		}
		var f, p int64
		if s.Matrix[0][t] != 0 {
			f, p = convBNReLU(1, int64(cin), ch, hw)
			inputs++
		}
		if inputs > 1 {
			f += int64(inputs-1) * ch * hw
		}
		switch s.Ops[t] {
		case "conv3x3-bn-relu":
			of, op := convBNReLU(3, ch, ch, hw)
			f, p = f+of, p+op
		case "conv1x1-bn-relu":
			of, op := convBNReLU(1, ch, ch, hw)
			f, p = f+of, p+op
		case "maxpool3x3":
			f += 9 * ch * hw
		}
		c.VertexFlops[t], c.VertexParams[t] = f, p
		if s.Matrix[t][n-1] != 0 {
			feedsOut = true
		}
	}
	if s.Matrix[0][n-1] != 0 || !feedsOut {
		c.OutputProjectionFlops, c.OutputProjectionParams = convBNReLU(1, int64(cin), int64(cout), hw)
	}
	return c
}

// NB101Cost builds the NAS-Bench-101 network (google-research/nasbench
// nasbench/lib/model_builder.py; algorithms.md E) on the pruned cell of s
// and returns its per-vertex FLOPs and params for the 9 modules (NAR's
// vertex_flops and vertex_params), the whole network's FLOPs (NAR's "flops")
// and NAS-Bench-101's trainable_parameters. s must be valid (see Validate).
//
// The network: stem conv-BN-ReLU 3×3, 3 → 128 at 32×32; 3 stacks of 3
// modules, stacks 1 and 2 preceded by a 2×2 stride-2 max-pool that halves
// the resolution while the module output doubles the channels (128, 256,
// 512); global average pooling; dense 512 → 10 with bias. Whole-network
// FLOPs add the stem conv, every vertex, every output projection, each
// down-sampling max-pool (4·C·H_out·W_out), the global average pool (C·H·W)
// and the dense layer (2·512·10 + 10).
func NB101Cost(s NB101Spec) (NB101Costs, error) {
	p, err := s.validPruned()
	if err != nil {
		return NB101Costs{}, err
	}
	out := NB101Costs{Spec: p, Cells: make([]NB101CellCost, 0, nb101Stacks*nb101Modules)}
	side := int64(nb101InputSide)
	stemF, stemP := convBNReLU(3, 3, nb101StemChannels, side*side)
	out.Flops, out.TrainableParameters = stemF, stemP
	ch := nb101StemChannels
	for stack := range nb101Stacks {
		cin := ch
		if stack > 0 {
			side /= 2
			out.Flops += 4 * int64(ch) * side * side // 2×2 max-pool
			ch *= 2
		}
		for mod := range nb101Modules {
			c := nb101Module(p, cin, ch, side)
			c.Key = fmt.Sprintf("stack%d/module%d", stack, mod)
			for t := range c.VertexFlops {
				out.Flops += c.VertexFlops[t]
				out.TrainableParameters += c.VertexParams[t]
			}
			out.Flops += c.OutputProjectionFlops
			out.TrainableParameters += c.OutputProjectionParams
			out.Cells = append(out.Cells, c)
			cin = ch
		}
	}
	out.Flops += int64(ch) * side * side               // global average pool
	out.Flops += 2*int64(ch)*nb101Labels + nb101Labels // dense
	out.TrainableParameters += int64(ch)*nb101Labels + nb101Labels
	return out, nil
}

// VertexFlops returns the cells' per-vertex FLOPs keyed like NAR's
// vertex_flops ("stack0/module0" ...).
func (c NB101Costs) VertexFlops() map[string][]int64 {
	m := make(map[string][]int64, len(c.Cells))
	for _, cell := range c.Cells {
		m[cell.Key] = slices.Clone(cell.VertexFlops)
	}
	return m
}

// VertexParams returns the cells' per-vertex parameters keyed like NAR's
// vertex_params.
func (c NB101Costs) VertexParams() map[string][]int64 {
	m := make(map[string][]int64, len(c.Cells))
	for _, cell := range c.Cells {
		m[cell.Key] = slices.Clone(cell.VertexParams)
	}
	return m
}
