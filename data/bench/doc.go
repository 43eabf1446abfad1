// Package bench reads the NAS-Bench-201 and NAS-Bench-101 benchmark files
// that NAR (Neural Architecture Ranker, arXiv:2201.12725) uses, and the
// official NAS-Bench-101 nasbench_only108.tfrecord, into compact flat tables
// with one small query interface (Table): lookup by index, arch string, hash
// or spec, iteration, and the best architectures by a metric.
//
// # Files
//
//   - NAR's nasbench201_with_edge_flops_and_params.json (plain or gzip): a
//     JSON object keyed "0".."15624" (algorithms.md B.6).
//   - NAR's nasbench_only108_with_vertex_flops_and_params.json: a JSON list
//     of 423,624 records.
//   - NAS-Bench-101's nasbench_only108.tfrecord (Ying et al., 2019).
//
// JSON is decoded as a stream by a schema-driven scanner; the raw text is
// never held in memory. The first load of a file writes a binary cache
// (see Open), and later loads read the cache instead.
//
// # Conventions
//
// Accuracies are percentages. NB201 values are the 200-epoch results; NB101
// values are the mean over the 3 runs at 108 epochs, times 100.
package bench
