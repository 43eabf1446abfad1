#!/usr/bin/env bash
# speedup.sh [RUNS]: the 2-thread speed-up of the engine blocks, as the README reports it. For each block it runs
# the benchmark RUNS times (default 10) with GOMAXPROCS=1 and 2 alternating, each run in its own process (the mixed
# edge at -benchtime 200x, the cell and the transformer layer at 10x), and prints the median (range) in ms of each
# thread count, the ratio of the medians and the median of the RUNS pair ratios. Run it on an otherwise idle
# machine: other jobs take cores from the 2-thread runs first.
set -euo pipefail
runs=${1:-10}
cd "$(dirname "$0")"
bin=$(mktemp -d)/engine.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" .
ms() { # GOMAXPROCS BENCH BENCHTIME -> ms per step
	GOMAXPROCS=$1 "$bin" -test.run '^$' -test.bench "$2" -test.benchtime "$3" | awk '/ns\/op/ {print $3 / 1e6}'
}
for spec in 'MixedEdge$ 200x' 'Cell$ 10x' 'TransformerLayer$ 10x'; do
	read -r bench bt <<<"$spec"
	one=() two=()
	for ((i = 0; i < runs; i++)); do
		one+=("$(ms 1 "$bench" "$bt")")
		two+=("$(ms 2 "$bench" "$bt")")
	done
	printf '%s\n' "${one[@]}" >"$bin.1"
	printf '%s\n' "${two[@]}" >"$bin.2"
	paste "$bin.1" "$bin.2" | awk '{print $1 / $2}' >"$bin.r"
	med() { sort -g "$1" | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f (%.2f-%.2f)", m, v[1], v[NR]}'; }
	m1=$(med "$bin.1") m2=$(med "$bin.2") mr=$(med "$bin.r")
	printf '%-18s 1 thread %s ms, 2 threads %s ms, 2 vs 1: %.2fx by the medians, %s by the pairs\n' \
		"${bench%\$}" "$m1" "$m2" "$(awk -v a="${m1%% *}" -v b="${m2%% *}" 'BEGIN {print a / b}')" "$mr"
done
