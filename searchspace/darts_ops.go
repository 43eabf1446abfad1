package searchspace

// DARTSPrimitives are the candidate ops of the DARTS CNN space in the order
// of the reference PRIMITIVES list (quark0/darts cnn/genotypes.py): index i
// names column i of α_normal and α_reduce. Index 0 is "none".
var DARTSPrimitives = []string{
	"none",
	"max_pool_3x3",
	"avg_pool_3x3",
	"skip_connect",
	"sep_conv_3x3",
	"sep_conv_5x5",
	"dil_conv_3x3",
	"dil_conv_5x5",
}
