package mim

import (
	G "gorgonia.org/gorgonia"

	"github.com/nasx/nasx/internal/op"
)

func crossEntropy(logits, labels *G.Node) (*G.Node, error) { return op.CrossEntropy(logits, labels, 0) }
