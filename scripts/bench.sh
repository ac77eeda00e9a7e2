#!/usr/bin/env bash
# make bench: builds the binaries, runs the pipeline (cloud-core, one edge
# agent, fleetsim) on loopback ports in a temporary folder under load,
# runs the same payloads through the baselines and the Go micro-benchmarks,
# and writes bench/results/latest.{json,md,svg}. About 4 minutes on a
# 2-core machine; bench/README.md says how each figure is measured.
#
# Extra arguments go to benchrun (bench/cmd/benchrun), e.g.
#   scripts/bench.sh --points 1000000 --micro=false
#   scripts/bench.sh --uplink-batch 10000 --uplink-linger 50ms
# BENCH_OUT (default bench/results) is where the results go; BENCH_KEEP=1
# keeps the work folder (data and logs) after a successful run.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
OUT=${BENCH_OUT:-bench/results}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tributary-bench.XXXXXX")
ok=0
cleanup() {
	if [ "$ok" = 1 ] && [ "${BENCH_KEEP:-0}" != 1 ]; then
		rm -rf "$WORK"
	else
		echo "bench: work folder kept: $WORK" >&2
	fi
}
trap cleanup EXIT

echo "== building into $WORK/bin"
"$GO" build -o "$WORK/bin/" ./edge-agent ./cloud-core ./simulators/fleetsim ./bench/cmd/benchrun

echo "== running (results in $OUT)"
"$WORK/bin/benchrun" --bin "$WORK/bin" --work "$WORK/run" --keep --out "$OUT" --repo . --go "$GO" \
	--timeout "${BENCH_TIMEOUT:-9m}" --quiet-wait "${BENCH_QUIET_WAIT:-90s}" "$@"
ok=1
