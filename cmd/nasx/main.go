// Command nasx is a toolkit for neural architecture search research:
// α-DARTS search, the Neural Architecture Ranker, benchmark queries and
// training of found architectures. Run `nasx help` for the commands.
package main

import (
	"os"

	"github.com/nasx/nasx/internal/cmd/root"
)

func main() { os.Exit(int(root.Main())) }
