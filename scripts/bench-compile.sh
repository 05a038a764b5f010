#!/usr/bin/env bash
# bench-compile.sh compares `rampart build --target all` with plain
# `cue export` on the same generated policy (1000 routes by default), best
# of several runs, and reports wall time and peak memory.
#
# Usage: scripts/bench-compile.sh
# Environment: ROUTES (default 1000), RUNS (default 3), CUE (a cue binary;
# default ~/go/bin/cue, else cuelang.org/go/cmd/cue@v0.17.1 is installed
# into a temporary GOBIN).
#
# The last line is always:
#   compile-ratio: R (rampart Xs, cue export Ys, N routes)
# with R = rampart time / cue export time.
set -euo pipefail

ROUTES=${ROUTES:-1000}
RUNS=${RUNS:-3}
CUE_VERSION=v0.17.1

cd "$(dirname "$0")/.."
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rampart-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

log() { echo "bench-compile: $*" >&2; }

# Tools.
go build -o "$TMP/rampart" ./cmd/rampart
go build -o "$TMP/rampart-gen" ./cmd/rampart-gen
if [[ -n ${CUE:-} ]]; then
	:
elif [[ -x $HOME/go/bin/cue ]]; then
	CUE=$HOME/go/bin/cue
else
	log "installing cue $CUE_VERSION into $TMP/gobin"
	GOBIN="$TMP/gobin" go install "cuelang.org/go/cmd/cue@$CUE_VERSION"
	CUE=$TMP/gobin/cue
fi
log "rampart: $("$TMP/rampart" version 2>/dev/null | head -n1 || echo dev)"
log "cue: $("$CUE" version | head -n1)"

POLICY=$TMP/policy
"$TMP/rampart-gen" -routes "$ROUTES" -o "$POLICY"

TIME_BIN=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M true >/dev/null 2>&1; then
	TIME_BIN=/usr/bin/time
else
	log "GNU time not found (apt-get install -y time): peak memory is not measured"
fi

# run NAME VAR CMD...: runs CMD once, fails the script if it fails, and
# keeps the fastest time (seconds) in VAR_TIME and that run's peak resident
# set (KiB, empty without GNU time) in VAR_RSS.
run() {
	local name=$1 var=$2
	shift 2
	local start end t rss="" best
	rm -rf "$TMP/out" "$TMP/cue.json"
	start=$(date +%s.%N)
	if [[ -n $TIME_BIN ]]; then
		set -- "$TIME_BIN" -f %M -o "$TMP/rss" "$@"
	fi
	if ! "$@" >"$TMP/stdout" 2>"$TMP/stderr"; then
		log "$name failed:"
		cat "$TMP/stdout" "$TMP/stderr" >&2
		exit 1
	fi
	end=$(date +%s.%N)
	t=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
	[[ -n $TIME_BIN ]] && rss=$(tail -n1 "$TMP/rss")
	log "$name: ${t}s${rss:+, max RSS ${rss} KiB}"
	best=${var}_TIME
	if [[ -z ${!best} ]] || awk -v a="$t" -v b="${!best}" 'BEGIN { exit !(a < b) }'; then
		printf -v "${var}_TIME" '%s' "$t"
		printf -v "${var}_RSS" '%s' "$rss"
	fi
}

# Interleave the two tools so that background load hits both alike.
R_TIME="" R_RSS="" C_TIME="" C_RSS=""
for ((i = 1; i <= RUNS; i++)); do
	run "run $i rampart build" R "$TMP/rampart" build --target all -o "$TMP/out" "$POLICY"
	# cue finds the module (cue.mod) from its working directory.
	run "run $i cue export" C sh -c 'cd "$1" && exec "$2" export --out json -o "$3" .' sh "$POLICY" "$CUE" "$TMP/cue.json"
done

mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
if [[ -n $R_RSS && -n $C_RSS ]]; then
	echo "max-rss: rampart $(mib "$R_RSS"), cue export $(mib "$C_RSS") ($(awk -v a="$R_RSS" -v b="$C_RSS" 'BEGIN { printf "%.2f", a / b }')x, $ROUTES routes)"
else
	echo "max-rss: unavailable (GNU time not installed)"
fi
RATIO=$(awk -v a="$R_TIME" -v b="$C_TIME" 'BEGIN { printf "%.2f", a / b }')
printf 'compile-ratio: %s (rampart %.2fs, cue export %.2fs, %d routes)\n' "$RATIO" "$R_TIME" "$C_TIME" "$ROUTES"
