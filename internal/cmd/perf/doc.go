// Package perf implements `nasx perf`, performance measurements that tell a
// researcher what a run will cost on their machine before starting it.
// `nasx perf step` times the search step of the supernet `nasx search darts`
// would build, on synthetic data of the same shape, and projects the time
// of a search epoch.
package perf
