// Package rank implements `nasx rank nasbench201` and `nasx rank
// nasbench101`: train NAR (the ranker package) on a benchmark file, report
// its ranking quality on the held-out architectures, run its tier-guided
// search, and score architectures with a saved model (--model DIR --predict).
package rank
