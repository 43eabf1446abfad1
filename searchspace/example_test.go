package searchspace_test

import (
	"fmt"

	"github.com/nasx/nasx/searchspace"
)

func ExampleParseNB201() {
	a, err := searchspace.ParseNB201("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a[0], a.OpCounts())
	fmt.Println(a.Adjacency())
	_, err = searchspace.ParseNB201("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|")
	fmt.Println(err)
	// Output:
	// 4 [0 3 2 0 1]
	// [[0 4 2 2] [0 0 1 1] [0 0 0 1] [0 0 0 0]]
	// searchspace: nb201 arch "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|": edge 2<-1 (offset 33): unknown op "skip" (valid: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)
}

func ExampleNB201Cost() {
	a, _ := searchspace.ParseNB201("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|")
	c, _ := searchspace.NB201Cost(a, "cifar10")
	fmt.Println(c.Dataset, c.TotalFlops, c.TotalParams, c.Cells[0].Key, c.Cells[0].Flops)
	// Output:
	// cifar10-valid 16315008 129306 cells0 [0 294912 0 294912 0 0]
}

func ExampleNB101Spec_Hash() {
	// NAR's example cell (../shared/data/nasbench101/nar_example.json).
	s := searchspace.NB101Spec{
		Matrix: [][]int{
			{0, 1, 0, 0, 1, 1, 0},
			{0, 0, 1, 0, 0, 0, 0},
			{0, 0, 0, 1, 0, 0, 1},
			{0, 0, 0, 0, 0, 1, 0},
			{0, 0, 0, 0, 0, 1, 0},
			{0, 0, 0, 0, 0, 0, 1},
			{0, 0, 0, 0, 0, 0, 0},
		},
		Ops: []string{"input", "conv3x3-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"},
	}
	h, _ := s.Hash()
	c, _ := searchspace.NB101Cost(s)
	fmt.Println(h, c.TrainableParameters, c.Flops)
	// Output:
	// 00005c142e6f48ac74fdcf73e3439874 8555530 2527684618
}
