package nn

import G "gorgonia.org/gorgonia"

// Module is a differentiable block that owns learnable nodes.
type Module interface {
	// Forward adds the block's computation on x to x's graph and returns
	// the output node.
	Forward(x *G.Node) (*G.Node, error)
	// Learnables returns the block's learnable nodes, in registry order.
	Learnables() G.Nodes
}
