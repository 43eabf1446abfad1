#!/usr/bin/env bash
# Side-by-side load times and peak RSS: Python's json.load vs nasx, on the
# same plain JSON text.
#
#   data/bench/testdata/bench_python.sh [path/to/nasx]     # from the module root
#
# NB201: the shared .json.gz is gunzipped to a temp file first, and both
# Python and nasx read that plain file (nasx also reads .gz directly, but the
# comparison is on identical input). "nasx first" is `nasx bench info` with
# an empty $NASX_CACHE: decode + write the cache + rank; "nasx cached" is the
# same command again. Every figure is wall time and peak RSS from
# /usr/bin/time of the whole process (interpreter / binary start-up
# included), best of RUNS runs (default 3).
#
# NB101=1 also measures the full-size synthetic NB101 file (423,624 records,
# 741 MB): NB101_FILE when set, else one generated into the temp folder with
# `nasx bench synth nasbench101 --seed 1` (about a minute on a busy 2-core
# machine). Python's json.load of it needs several GB of RAM.
#
# Environment: SHARED (default ../shared/data), RUNS, NB101, NB101_FILE,
# PYTHON (default /usr/bin/python3).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
nasx=${1:-}
if [ -z "$nasx" ]; then
  nasx=$(mktemp -d)/nasx
  (cd "$root" && go build -o "$nasx" ./cmd/nasx)
fi
SHARED=${SHARED:-$root/../shared/data}
RUNS=${RUNS:-3}
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# best_of CMD...: prints "seconds max_rss_mb" of the fastest of RUNS runs.
best_of() {
  local best=""
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
    read -r s kb <"$tmp/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($s < ${best%% *})}"; then best="$s $((kb / 1024))"; fi
  done
  echo "$best"
}

# first_of CMD...: like best_of, but empties the cache folder before each run.
first_of() {
  local best=""
  for _ in $(seq "$RUNS"); do
    rm -rf "$tmp/cache"
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
    read -r s kb <"$tmp/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($s < ${best%% *})}"; then best="$s $((kb / 1024))"; fi
  done
  echo "$best"
}

export NASX_CACHE=$tmp/cache
report() { # name file
  local py first cached
  py=$(best_of "$PYTHON" -c 'import json, sys; json.load(open(sys.argv[1]))' "$2")
  first=$(first_of "$nasx" bench info -q --bench "$2")
  cached=$(best_of "$nasx" bench info -q --bench "$2")
  printf '%-8s %-22s %8s s %7s MB\n' "$1" "python json.load" ${py}
  printf '%-8s %-22s %8s s %7s MB\n' "$1" "nasx first load" ${first}
  printf '%-8s %-22s %8s s %7s MB\n' "$1" "nasx cached load" ${cached}
  awk -v p="${py%% *}" -v f="${first%% *}" -v n="$1" 'BEGIN{printf "%-8s nasx first / python = %.2f\n", n, f/p}'
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $("$PYTHON" --version 2>&1); $(go version 2>/dev/null || true)"
gunzip -c "$SHARED/nasbench201/nasbench201_with_edge_flops_and_params.json.gz" >"$tmp/nb201.json"
report NB201 "$tmp/nb201.json"
if [ "${NB101:-0}" = 1 ]; then
  nb101=${NB101_FILE:-}
  if [ -z "$nb101" ]; then
    nb101=$tmp/nb101.json
    "$nasx" bench synth nasbench101 -q -o "$nb101" --seed 1
  fi
  report NB101 "$nb101"
fi
