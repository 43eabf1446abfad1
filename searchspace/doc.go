// Package searchspace holds the cell-based search spaces of nasx as pure
// data: the DARTS CNN space (Liu et al., arXiv:1806.09055), NAS-Bench-201
// (Dong & Yang, arXiv:2001.00326) and NAS-Bench-101 (Ying et al.,
// arXiv:1902.09635). It parses, formats, validates, hashes and samples
// architectures, derives genotypes from α, and computes FLOPs and parameter
// counts. It imports no tensor engine and no data loaders.
package searchspace
