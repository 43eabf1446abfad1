package op_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/op"
)

// A 3×3 convolution with a fused ReLU, then the gradient of sum(y) with respect to the weights, on a
// TapeMachine. The input holds −1..7 on a 3×3 plane; relu zeroes −1, and the all-ones kernel sums each
// zero-padded 3×3 neighbourhood. With this symmetric kernel and an all-ones output gradient, dL/dw[a][b]
// (the sum of relu(x) over the window shifted by (a−1, b−1)) happens to equal y[a][b].
func ExampleConv2d() {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 1, 3, 3), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(1, 1, 3, 3), tensor.WithBacking([]float32{-1, 0, 1, 2, 3, 4, 5, 6, 7}))))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 1, 3, 3), G.WithName("w"),
		G.WithValue(tensor.Ones(tensor.Float32, 1, 1, 3, 3)))
	y, err := op.Conv2d(x, w, nil, op.ConvParams{Padding: [2]int{1, 1}, Groups: 1, ReLU: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	loss := G.Must(G.Sum(G.Must(G.Reshape(y, tensor.Shape{9}))))
	grads, err := G.Grad(loss, w)
	if err != nil {
		fmt.Println(err)
		return
	}
	var yv, dw G.Value
	G.Read(y, &yv)
	G.Read(grads[0], &dw)
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Op())
	fmt.Println(yv.Data())
	fmt.Println(dw.Data())
	// Output:
	// Conv2d{s1x1,p1x1,d1x1,g1,relutrue,false}
	// [5 10 8 16 28 21 16 27 20]
	// [5 10 8 16 28 21 16 27 20]
}
