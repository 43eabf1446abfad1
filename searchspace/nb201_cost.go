package searchspace

import (
	"fmt"
	"strings"
)

// NB201Datasets are the datasets of the NAS-Bench-201 cost model, spelled as
// in NAR's nasbench201_with_edge_flops_and_params.json keys
// ("cifar10-valid_total_flops", ...).
var NB201Datasets = []string{"cifar10-valid", "cifar100", "ImageNet16-120"}

// NB201DatasetShortNames are the CLI names of NB201Datasets, in the same
// order.
var NB201DatasetShortNames = []string{"cifar10", "cifar100", "imagenet16"}

// ResolveNB201Dataset maps a short name (cifar10, cifar100, imagenet16) or a
// full name in NB201Datasets to the full name. Errors wrap
// ErrUnknownDataset.
func ResolveNB201Dataset(name string) (string, error) {
	for i, s := range NB201DatasetShortNames {
		if name == s || name == NB201Datasets[i] {
			return NB201Datasets[i], nil
		}
	}
	return "", fmt.Errorf("searchspace: nb201 dataset %q: %w (valid: %s, or %s)", name, ErrUnknownDataset,
		strings.Join(NB201DatasetShortNames, ", "), strings.Join(NB201Datasets, ", "))
}

// NAS-Bench-201 macro skeleton (NATS-Bench models/cell_infers/tiny_network.py;
// algorithms.md F): C = 16 channels, N = 5 cells per stage.
const (
	nb201C = 16
	nb201N = 5
)

// nb201Input is the input resolution and the number of classes of each
// dataset of NB201Datasets: 32×32 CIFAR with 10 and 100 classes,
// 16×16 ImageNet16-120 with 120 classes.
var nb201Input = map[string]struct{ hw, classes int64 }{
	"cifar10-valid":  {32, 10},
	"cifar100":       {32, 100},
	"ImageNet16-120": {16, 120},
}

// NB201CellKeys are the keys of the 15 searched cells in NAR's per-cell
// fields (X_opt_flops, X_opt_params), in network order: stage 1 "cells0" to
// "cells4", stage 2 "cells6" to "cells10", stage 3 "cells12" to "cells16";
// 5 and 11 are the residual reduction blocks, which have no cell.
var NB201CellKeys = []string{
	"cells0", "cells1", "cells2", "cells3", "cells4",
	"cells6", "cells7", "cells8", "cells9", "cells10",
	"cells12", "cells13", "cells14", "cells15", "cells16",
}

// NB201CellCost is the cost of one cell of the NAS-Bench-201 network.
type NB201CellCost struct {
	// Key names the cell as NAR's file does: "cells0".."cells4" (stage 1),
	// "cells6".."cells10" (stage 2), "cells12".."cells16" (stage 3); 5 and
	// 11 are the residual reduction blocks.
	Key string `json:"key"`
	// Channels is C of the cell; H and W its resolution.
	Channels int `json:"channels"`
	H        int `json:"h"`
	W        int `json:"w"`
	// Flops and Params are per edge, in NB201Edges order.
	Flops  [NB201NumEdges]int64 `json:"flops"`
	Params [NB201NumEdges]int64 `json:"params"`
}

// NB201Costs is the FLOPs and parameter count of a NAS-Bench-201 network in
// the convention of NAR's nasbench201_with_edge_flops_and_params.json.
type NB201Costs struct {
	// Dataset is the full dataset name (an element of NB201Datasets).
	Dataset string `json:"dataset"`
	// Cells are the 15 searched cells in NAR's key order.
	Cells []NB201CellCost `json:"cells"`
	// SkeletonFlops and SkeletonParams are the cell-independent part: stem,
	// the two residual reduction blocks, the last BN, pooling, classifier.
	SkeletonFlops  int64 `json:"skeleton_flops"`
	SkeletonParams int64 `json:"skeleton_params"`
	// TotalFlops and TotalParams are the skeleton plus all cells
	// (X_total_flops, X_total_params in NAR's file).
	TotalFlops  int64 `json:"total_flops"`
	TotalParams int64 `json:"total_params"`
}

// nb201EdgeCost is the cost of one edge with op code op in a cell of c
// channels at hw pixels: nor_conv_k×k (ReLU, conv without bias, affine BN)
// costs c·c·k·k·hw multiply-adds plus 2·c·hw for the BN, and c·c·k·k + 2·c
// parameters; none, skip_connect and avg_pool_3x3 cost 0
// (../shared/data/README.md).
func nb201EdgeCost(op int, c, hw int64) (flops, params int64) {
	var k int64
	switch NB201Ops[op] {
	case "nor_conv_1x1":
		k = 1
	case "nor_conv_3x3":
		k = 3
	default:
		return 0, 0
	}
	return c*c*k*k*hw + 2*c*hw, c*c*k*k + 2*c
}

// nb201Skeleton returns the FLOPs and params of the network outside the
// cells, in the convention of the edges (a conv counts ci·co·k·k·HW_out,
// a BN 2·C·HW and 2·C params, global average pooling C·HW, the classifier
// in·out FLOPs and in·out + out params; ReLU and the residual AvgPool2d are
// free):
//   - stem Conv3×3(3 → C) + BN at the input resolution;
//   - two ResNetBasicblock(ci → 2ci, stride 2): ReLUConvBN 3×3 s2, ReLUConvBN
//     3×3, and the residual AvgPool2d(2,2) + Conv1×1 (no BN), at the output
//     resolution;
//   - the last BN + ReLU, global average pooling, Linear(4C, classes).
//
// This reproduces the constants of NAR's file (checked in the tests):
// params 73,306 / 79,156 / 80,456 (algorithms.md F) and FLOPs 7,877,248 /
// 7,883,008 / 1,976,832 (total minus cells of record 0, nar_example_arch0.json)
// for cifar10-valid / cifar100 / ImageNet16-120.
func nb201Skeleton(hw0, classes int64) (flops, params int64) {
	c := int64(nb201C)
	res := hw0 * hw0
	flops += 3*c*9*res + 2*c*res // stem conv + BN
	params += 3*c*9 + 2*c
	for _, ci := range []int64{c, 2 * c} {
		co := 2 * ci
		res /= 4 // stride 2
		flops += ci*co*9*res + 2*co*res + co*co*9*res + 2*co*res + ci*co*res
		params += ci*co*9 + 2*co + co*co*9 + 2*co + ci*co
	}
	c4 := 4 * c
	flops += 2*c4*res + c4*res + c4*classes // last BN, global average pool, classifier
	params += 2*c4 + c4*classes + classes
	return flops, params
}

// NB201Cost returns the per-edge and total FLOPs and parameters of the
// NAS-Bench-201 network with cell a on dataset (a full name of NB201Datasets
// or a short name of NB201DatasetShortNames). Cells of stage s (s = 0, 1, 2)
// have C = 16·2^s channels at (H/2^s)×(W/2^s), H×W being 32×32 for CIFAR and
// 16×16 for ImageNet16-120. The values equal those of NAR's
// nasbench201_with_edge_flops_and_params.json for all 15,625 cells.
func NB201Cost(a NB201Arch, dataset string) (NB201Costs, error) {
	ds, err := ResolveNB201Dataset(dataset)
	if err != nil {
		return NB201Costs{}, err
	}
	if err := a.Validate(); err != nil {
		return NB201Costs{}, err
	}
	in := nb201Input[ds]
	out := NB201Costs{Dataset: ds, Cells: make([]NB201CellCost, 0, 3*nb201N)}
	out.SkeletonFlops, out.SkeletonParams = nb201Skeleton(in.hw, in.classes)
	out.TotalFlops, out.TotalParams = out.SkeletonFlops, out.SkeletonParams
	for stage := range 3 {
		c := int64(nb201C) << stage
		side := in.hw >> stage
		for i := range nb201N {
			cell := NB201CellCost{
				Key:      NB201CellKeys[stage*nb201N+i],
				Channels: int(c), H: int(side), W: int(side),
			}
			for e, op := range a {
				f, p := nb201EdgeCost(op, c, side*side)
				cell.Flops[e], cell.Params[e] = f, p
				out.TotalFlops += f
				out.TotalParams += p
			}
			out.Cells = append(out.Cells, cell)
		}
	}
	return out, nil
}
