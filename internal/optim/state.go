package optim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nasx/nasx/internal/weights"
)

// StateTensors converts an optimiser state dict (StateDict of SGD or Adam)
// into named tensors for a safetensors checkpoint, sorted by key, each key
// prefixed with prefix (for example "optim.w."). Buffers take the shape of
// their parameter from shapes (by param name); "<param>.step" is a scalar,
// as in torch 1.13.
func StateTensors[T Float](sd map[string][]T, shapes map[string][]int, prefix string) ([]weights.Tensor, error) {
	keys := make([]string, 0, len(sd))
	for k := range sd {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]weights.Tensor, 0, len(keys))
	for _, k := range keys {
		v := slices.Clone(sd[k])
		t := weights.Tensor{Name: prefix + k, Data: any(v)}
		if strings.HasSuffix(k, ".step") && len(v) == 1 {
			t.Shape = []int{}
		} else {
			i := strings.LastIndexByte(k, '.')
			if i <= 0 {
				return nil, fmt.Errorf("optim: state key %q has no param name", k)
			}
			shape, ok := shapes[k[:i]]
			if !ok {
				return nil, fmt.Errorf("optim: state key %q: no shape for param %q", k, k[:i])
			}
			t.Shape = slices.Clone(shape)
		}
		out = append(out, t)
	}
	return out, nil
}

// StateFromTensors is the inverse of StateTensors: it selects the tensors
// whose names start with prefix, strips it, and returns them as a state
// dict for LoadStateDict. Their data must have element type T.
func StateFromTensors[T Float](ts []weights.Tensor, prefix string) (map[string][]T, error) {
	sd := map[string][]T{}
	for _, t := range ts {
		k, ok := strings.CutPrefix(t.Name, prefix)
		if !ok {
			continue
		}
		v, ok := t.Data.([]T)
		if !ok {
			var zero T
			return nil, fmt.Errorf("optim: state tensor %q holds %T, want []%T", t.Name, t.Data, zero)
		}
		sd[k] = slices.Clone(v)
	}
	return sd, nil
}
