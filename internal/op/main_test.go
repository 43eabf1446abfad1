package op

import (
	"os"
	"testing"

	"github.com/nasx/nasx/internal/numtest"
)

// TestMain runs every op test on machines that free values after their last use and reuse their buffers (see
// Buffers), the configuration training uses.
func TestMain(m *testing.M) {
	numtest.Recycler = Buffers
	os.Exit(m.Run())
}
