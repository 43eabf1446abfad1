package mim

import (
	"testing"

	"github.com/nasx/nasx/internal/optest"
)

// TestMain poisons the ops' outputs and scratch space with NaN in this package's tests (see optest.Main).
func TestMain(m *testing.M) { optest.Main(m) }
