#!/usr/bin/env bash
# bench-drift.sh runs BenchmarkDriftKong5000 and BenchmarkDriftEnvoy5000
# (drift over a 5,000-route Kong /config answer and Envoy config_dump,
# replayed: Kong and Envoy are not run) and, as a peer measured in the same
# run, `cue export` of the same generated policy.
#
# Usage: scripts/bench-drift.sh
# Environment: BENCHTIME (default 3x), CUE (a cue binary; default
# ~/go/bin/cue, else cue export is skipped).
#
# The last lines are always:
#   drift-kong-yaml: Xs/op, drift-kong-json: Xs/op, drift-envoy: Ys/op,
#   drift-envoy-one-route-changed: Ys/op, cue-export: Zs (5000 routes)
set -euo pipefail

BENCHTIME=${BENCHTIME:-3x}
cd "$(dirname "$0")/.."
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rampart-bench-drift.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

go test -run '^$' -bench 'BenchmarkDrift(Kong|Envoy)5000$' -benchtime "$BENCHTIME" -benchmem -timeout 60m \
	./targets/kong/live/ ./targets/envoy/live/ | tee "$TMP/bench.txt"

CUE=${CUE:-$HOME/go/bin/cue}
cue_s=skipped
if [[ -x $CUE ]]; then
	go run ./cmd/rampart-gen -routes 5000 -o "$TMP/policy" >/dev/null
	start=$(date +%s.%N)
	(cd "$TMP/policy" && "$CUE" export . >/dev/null)
	cue_s=$(echo "$(date +%s.%N) - $start" | bc)
fi
per_op() { awk -v b="$1" '$1 ~ b {printf "%.2f", $3/1e9}' "$TMP/bench.txt"; }
echo "drift-kong-yaml: $(per_op 'DriftKong5000/dbless')s/op, drift-kong-json: $(per_op 'DriftKong5000/dbmode')s/op, drift-envoy: $(per_op 'DriftEnvoy5000/untouched')s/op, drift-envoy-one-route-changed: $(per_op 'DriftEnvoy5000/one-route')s/op, cue-export: ${cue_s}s (5000 routes)"
