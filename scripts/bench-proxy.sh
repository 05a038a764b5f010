#!/usr/bin/env bash
# bench-proxy.sh compares `rampart serve` with nginx enforcing the same
# policy in front of the same upstream, over TLS, with wrk.
#
# Usage: scripts/bench-proxy.sh        (make bench-proxy)
# Environment:
#   RAMPART    a rampart binary (default: built from this checkout)
#   DURATION   seconds per measured wrk run (default 15)
#   ROUNDS     rounds; each round measures both proxies once (default 2)
#   CONNS      wrk connections (default 64); THREADS wrk threads (default 2)
#   NGINX_AUTO 1 (default) also measures nginx with worker_processes auto,
#              for information only; 0 skips it
#   UPSTREAM_WORKERS  the upstream nginx's worker_processes (default 1)
#
# Setup, all on loopback on this machine:
#   upstream   nginx, worker_processes 1, answering 200 "ok\n" on plain
#              HTTP. The script measures it directly first so that the
#              report shows it is faster than both proxies: on a 2-CPU
#              machine one worker serves 45-80k rps alone, at least 3x
#              either proxy, and "auto" made neither proxy faster (it only
#              adds a process competing with wrk and the proxy for CPU).
#   rampart    rampart serve --policy (scripts/bench-proxy/policy.cue.tmpl),
#              GOMAXPROCS unset (every core).
#   nginx      worker_processes 1 (scripts/bench-proxy/nginx.conf.tmpl), the
#              reference measurement the ratio is taken against.
#   Both proxies: API-key auth, a per-IP rate limit that never triggers, a
#   JSON access log to a file with X-API-Key redacted, HSTS + nosniff +
#   DENY + no-referrer + CSP, TLS Mozilla intermediate with a throwaway
#   ECDSA P-256 certificate, keep-alive to the upstream.
#   Load: wrk -t THREADS -c CONNS over HTTPS with keep-alive, 2 s warm-up
#   per proxy, then ROUNDS rounds in ABBA order (rampart, nginx, nginx,
#   rampart, ...); the best requests/s of each proxy counts, with that
#   run's p50 and p99.
#
# Before measuring, both proxies must answer 200 with the key, 401 without
# it, and their access logs must never contain the key; otherwise the
# script fails.
#
# Per run, the proxy's own CPU time per request (/proc, nginx's workers
# included) is logged too: on a shared machine it is steadier than
# requests/s and shows where an optimisation went.
#
# The last line is always:
#   proxy-ratio: R (rampart N rps, nginx M rps)
# with R = rampart rps / nginx rps; the line before it is
#   p99-ratio: P (rampart Xms, nginx Yms)
set -euo pipefail

DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
NGINX_AUTO=${NGINX_AUTO:-1}
UPSTREAM_WORKERS=${UPSTREAM_WORKERS:-1}
WARMUP=2

cd "$(dirname "$0")/.."
HERE=$PWD/scripts/bench-proxy

log() { echo "bench-proxy: $*" >&2; }
die() {
	log "FAIL: $*"
	exit 1
}

for tool in nginx wrk curl openssl sha256sum; do
	command -v "$tool" >/dev/null || [[ $tool == nginx && -x /usr/sbin/nginx ]] ||
		die "$tool not found (apt-get install -y nginx-light wrk curl openssl)"
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/rampart-bench-proxy.XXXXXX")
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		# Give each process 5 s to go, then kill it.
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# free_port prints a loopback TCP port nothing listens on.
USED_PORTS=" "
free_port() {
	local p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 40000))
		[[ $USED_PORTS == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			USED_PORTS+="$p "
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

# render TEMPLATE OUT VAR=VALUE...: replaces @VAR@ in TEMPLATE.
render() {
	local tmpl=$1 out=$2 kv expr=()
	shift 2
	for kv in "$@"; do
		expr+=(-e "s|@${kv%%=*}@|${kv#*=}|g")
	done
	sed "${expr[@]}" "$tmpl" >"$out"
	if grep -q '@[A-Z_0-9]*@' "$out"; then
		die "$out: unfilled placeholder: $(grep -o '@[A-Z_0-9]*@' "$out" | head -n1)"
	fi
}

# wait_http URL PID: waits up to 60 s for URL to answer anything over
# HTTP(S), giving up early if PID exits.
wait_http() {
	for _ in $(seq 600); do
		if curl -ksS -o /dev/null --max-time 1 -H 'Host: bench.local' "$1" 2>/dev/null; then
			return 0
		fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# alive PID NAME LOGFILE: fails the script if PID has exited.
alive() {
	kill -0 "$1" 2>/dev/null && return 0
	log "$2 exited:"
	cat "$3" >&2 || true
	exit 1
}

# ---------------------------------------------------------------- setup
if [[ -n ${RAMPART:-} ]]; then
	:
else
	log "building rampart"
	go build -o "$TMP/rampart" ./cmd/rampart
	RAMPART=$TMP/rampart
fi

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=bench.local -addext subjectAltName=DNS:bench.local \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 ||
	die "openssl could not make a certificate"
API_KEY=bench-$(openssl rand -hex 24)
KEY_SHA256=$(printf '%s' "$API_KEY" | sha256sum | cut -d' ' -f1)

UPSTREAM_PORT=$(free_port)
RAMPART_PORT=$(free_port)
NGINX_PORT=$(free_port)
NGINX_AUTO_PORT=$(free_port)

render "$HERE/upstream.conf.tmpl" "$TMP/upstream.conf" DIR="$TMP" WORKERS="$UPSTREAM_WORKERS" UPSTREAM_PORT="$UPSTREAM_PORT"
mkdir -p "$TMP/policy"
render "$HERE/policy.cue.tmpl" "$TMP/policy/policy.cue" PROXY_PORT="$RAMPART_PORT" \
	CERT="$TMP/cert.pem" KEY="$TMP/key.pem" KEY_SHA256="$KEY_SHA256" \
	UPSTREAM_PORT="$UPSTREAM_PORT" ACCESS_LOG="$TMP/rampart-access.log"
nginx_conf() { # NAME WORKERS PORT
	render "$HERE/nginx.conf.tmpl" "$TMP/$1.conf" NAME="$1" WORKERS="$2" PROXY_PORT="$3" \
		DIR="$TMP" CERT="$TMP/cert.pem" KEY="$TMP/key.pem" API_KEY="$API_KEY" UPSTREAM_PORT="$UPSTREAM_PORT"
}
nginx_conf nginx 1 "$NGINX_PORT"
nginx_conf nginx-auto auto "$NGINX_AUTO_PORT"

start_nginx() { # NAME
	"$NGINX" -t -q -p "$TMP" -e "$TMP/$1-error.log" -c "$TMP/$1.conf" 2>"$TMP/$1-t.log" || {
		cat "$TMP/$1-t.log" >&2
		die "nginx -t refused $1.conf"
	}
	"$NGINX" -p "$TMP" -e "$TMP/$1-error.log" -c "$TMP/$1.conf" 2>>"$TMP/$1-error.log" &
	PIDS+=($!)
	eval "${1//-/_}_PID=$!"
}

start_nginx upstream
wait_http "http://127.0.0.1:$UPSTREAM_PORT/orders" "$upstream_PID" || die "the upstream did not start"

start_nginx nginx
wait_http "https://127.0.0.1:$NGINX_PORT/orders" "$nginx_PID" || die "nginx did not start"

"$RAMPART" serve --policy "$TMP/policy" --admin off >"$TMP/rampart-stdout.log" 2>"$TMP/rampart-stderr.log" &
PIDS+=($!)
rampart_PID=$!
wait_http "https://127.0.0.1:$RAMPART_PORT/orders" "$rampart_PID" || {
	cat "$TMP/rampart-stderr.log" >&2
	die "rampart serve did not start"
}

# ---------------------------------------------------------------- checks
URL_rampart=https://127.0.0.1:$RAMPART_PORT/orders
URL_nginx=https://127.0.0.1:$NGINX_PORT/orders
URL_nginx_auto=https://127.0.0.1:$NGINX_AUTO_PORT/orders

status() { # URL [curl args]
	local url=$1
	shift
	curl -ks -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: bench.local' "$@" "$url" || true
}

check_proxy() { # NAME URL ACCESSLOG
	local name=$1 url=$2 logf=$3 got
	got=$(status "$url" -H "X-API-Key: $API_KEY")
	[[ $got == 200 ]] || die "$name: GET /orders with the key answered $got, want 200"
	got=$(status "$url")
	[[ $got == 401 ]] || die "$name: GET /orders without a key answered $got, want 401"
	got=$(status "$url" -H "X-API-Key: not-$API_KEY")
	[[ $got == 401 ]] || die "$name: GET /orders with a wrong key answered $got, want 401"
	got=$(status "${url%/orders}/elsewhere" -H "X-API-Key: $API_KEY")
	[[ $got == 404 ]] || die "$name: GET /elsewhere answered $got, want 404"
	local hdrs
	hdrs=$(curl -ksS -D - -o /dev/null --max-time 5 -H 'Host: bench.local' -H "X-API-Key: $API_KEY" "$url" | tr -d '\r')
	local h
	for h in 'strict-transport-security: max-age=63072000; includeSubDomains' \
		'x-content-type-options: nosniff' 'x-frame-options: DENY' 'referrer-policy: no-referrer' \
		"content-security-policy: default-src 'none'; frame-ancestors 'none'"; do
		grep -qiF "$h" <<<"$hdrs" || die "$name: response lacks '$h'"
		# Sent twice is not a failure (the values agree) but is worth knowing.
		if (($(grep -ciF "${h%%:*}:" <<<"$hdrs") > 1)); then
			log "WARNING: $name sends ${h%%:*} more than once"
		fi
	done
	# TLS: 1.1 refused, 1.2 with an intermediate suite accepted.
	if curl -ksS -o /dev/null --max-time 5 --tls-max 1.1 -H 'Host: bench.local' "$url" 2>/dev/null; then
		die "$name: accepted TLS 1.1"
	fi
	curl -ksS -o /dev/null --max-time 5 --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 \
		-H 'Host: bench.local' "$url" || die "$name: refused TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256"
	sleep 0.2 # let the log line reach the file
	[[ -s $logf ]] || die "$name: access log $logf is empty"
	grep -q '\[redacted\]' "$logf" || die "$name: access log does not show the redacted key"
}

check_no_key() { # NAME FILE...
	local name=$1 f
	shift
	for f in "$@"; do
		[[ -e $f ]] || continue
		if grep -qF -- "$API_KEY" "$f"; then
			die "$name: $f contains the API key"
		fi
	done
}

check_proxy rampart "$URL_rampart" "$TMP/rampart-access.log"
check_proxy nginx "$URL_nginx" "$TMP/nginx-access.log"
check_no_key rampart "$TMP/rampart-access.log" "$TMP/rampart-stdout.log" "$TMP/rampart-stderr.log"
check_no_key nginx "$TMP/nginx-access.log" "$TMP/nginx-error.log"
log "checks passed: 200 with the key, 401 without, 404 elsewhere, headers, TLS, redacted logs"
log "rampart log line: $(tail -n1 "$TMP/rampart-access.log")"
log "nginx log line:   $(tail -n1 "$TMP/nginx-access.log")"

# ---------------------------------------------------------------- load
# to_ms VALUE: wrk's "1.23ms" / "456.00us" / "1.01s" in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
		printf "%.2f", n }'
}

# run_wrk NAME URL SECONDS: prints "rps p50ms p99ms errors requests".
run_wrk() {
	local name=$1 url=$2 secs=$3 out=$TMP/wrk-$1.txt rps p50 p99 errs
	wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --latency --timeout 5s \
		-H "X-API-Key: $API_KEY" -H 'Host: bench.local' "$url" >"$out" 2>&1 ||
		{
			cat "$out" >&2
			die "wrk failed against $name"
		}
	rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
	p50=$(awk '$1 == "50%" { print $2 }' "$out")
	p99=$(awk '$1 == "99%" { print $2 }' "$out")
	errs=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$out")
	[[ -n $rps && -n $p50 && -n $p99 ]] || {
		cat "$out" >&2
		die "could not read wrk's output for $name"
	}
	echo "$rps $(to_ms "$p50") $(to_ms "$p99") $errs $(awk '/ requests in / { print $1 }' "$out")"
}

# cpu_ticks PID...: user+system CPU ticks of the PIDs and their children
# (nginx's workers), from /proc.
TICKS_PER_S=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_ticks() {
	local pids=" $* " f t=0 stat rest
	for f in /proc/[0-9]*/stat; do
		{ read -r stat <"$f"; } 2>/dev/null || continue
		rest=${stat##*) }
		# fields after the command: state ppid ... utime(12) stime(13)
		set -- $rest
		if [[ $pids == *" ${f//[^0-9]/} "* || $pids == *" $2 "* ]]; then
			t=$((t + ${12} + ${13}))
		fi
	done
	echo "$t"
}

declare -A BEST_RPS BEST_P50 BEST_P99 BEST_CPU
measure() { # NAME URL PID
	local name=$1 url=$2 pid=$3 r
	local errlog=$TMP/$name-error.log
	[[ $name == rampart ]] && errlog=$TMP/rampart-stderr.log
	alive "$pid" "$name" "$errlog"
	local t0 t1 cpu
	t0=$(cpu_ticks "$pid")
	r=$(run_wrk "$name" "$url" "$DURATION")
	t1=$(cpu_ticks "$pid")
	read -r rps p50 p99 errs total <<<"$r"
	cpu=$(awk -v t=$((t1 - t0)) -v hz="$TICKS_PER_S" -v n="$total" 'BEGIN { printf "%.0f", n ? t * 1e6 / hz / n : 0 }')
	log "$(printf '%-8s %8s rps  p50 %7s ms  p99 %7s ms  %4s us CPU/req  errors %s' "$name" "$rps" "$p50" "$p99" "$cpu" "$errs")"
	((errs == 0)) || die "$name: $errs requests failed or were not 2xx under load"
	if [[ -z ${BEST_RPS[$name]:-} ]] || ((rps > BEST_RPS[$name])); then
		BEST_RPS[$name]=$rps BEST_P50[$name]=$p50 BEST_P99[$name]=$p99
	fi
	if [[ -z ${BEST_CPU[$name]:-} ]] || ((cpu < BEST_CPU[$name])); then
		BEST_CPU[$name]=$cpu
	fi
}

log "upstream alone (plain HTTP, 5 s): measuring"
read -r up_rps up_p50 up_p99 _ <<<"$(wrk -t"$THREADS" -c"$CONNS" -d5s --latency "http://127.0.0.1:$UPSTREAM_PORT/orders" >"$TMP/wrk-up.txt" 2>&1 &&
	echo "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$TMP/wrk-up.txt") $(to_ms "$(awk '$1 == "50%" { print $2 }' "$TMP/wrk-up.txt")") $(to_ms "$(awk '$1 == "99%" { print $2 }' "$TMP/wrk-up.txt")")")"
log "upstream alone: ${up_rps:-?} rps, p50 ${up_p50:-?} ms, p99 ${up_p99:-?} ms"

log "warming up (${WARMUP} s each)"
run_wrk rampart "$URL_rampart" "$WARMUP" >/dev/null
run_wrk nginx "$URL_nginx" "$WARMUP" >/dev/null

log "measuring: $ROUNDS rounds of ${DURATION} s, wrk -t$THREADS -c$CONNS, ABBA order"
for ((i = 0; i < ROUNDS; i++)); do
	if ((i % 2 == 0)); then
		measure rampart "$URL_rampart" "$rampart_PID"
		measure nginx "$URL_nginx" "$nginx_PID"
	else
		measure nginx "$URL_nginx" "$nginx_PID"
		measure rampart "$URL_rampart" "$rampart_PID"
	fi
done

AUTO_LINE=""
if [[ $NGINX_AUTO == 1 ]]; then
	kill -TERM "$nginx_PID" 2>/dev/null || true # one nginx at a time
	start_nginx nginx-auto
	wait_http "$URL_nginx_auto" "$nginx_auto_PID" || die "nginx (worker_processes auto) did not start"
	run_wrk nginx-auto "$URL_nginx_auto" "$WARMUP" >/dev/null
	read -r a_rps a_p50 a_p99 _ _ <<<"$(run_wrk nginx-auto "$URL_nginx_auto" "$DURATION")"
	AUTO_LINE=$(printf '%-28s %9s rps   p50 %7s ms   p99 %7s ms   (information only, 1 run)' \
		"nginx, worker_processes auto" "$a_rps" "$a_p50" "$a_p99")
	check_no_key nginx-auto "$TMP/nginx-auto-access.log"
fi

check_no_key rampart "$TMP/rampart-access.log" "$TMP/rampart-stdout.log" "$TMP/rampart-stderr.log"
check_no_key nginx "$TMP/nginx-access.log" "$TMP/nginx-error.log"

# ---------------------------------------------------------------- report
R_RPS=${BEST_RPS[rampart]} N_RPS=${BEST_RPS[nginx]}
R_P99=${BEST_P99[rampart]} N_P99=${BEST_P99[nginx]}
echo "bench-proxy: $(nproc) CPUs; wrk -t$THREADS -c$CONNS ${DURATION}s x $ROUNDS per proxy over HTTPS keep-alive; best run shown"
echo "bench-proxy: $("$RAMPART" version 2>/dev/null | head -n1 || echo dev), GOMAXPROCS ${GOMAXPROCS:-unset}; $("$NGINX" -v 2>&1); $(openssl version | cut -d' ' -f1-2)"
printf '%-28s %9s rps   p50 %7s ms   p99 %7s ms\n' "upstream (nginx, $UPSTREAM_WORKERS worker)" "${up_rps:-?}" "${up_p50:-?}" "${up_p99:-?}"
printf '%-28s %9s rps   p50 %7s ms   p99 %7s ms   %4s us CPU/req\n' "rampart serve" "$R_RPS" "${BEST_P50[rampart]}" "$R_P99" "${BEST_CPU[rampart]}"
printf '%-28s %9s rps   p50 %7s ms   p99 %7s ms   %4s us CPU/req\n' "nginx, worker_processes 1" "$N_RPS" "${BEST_P50[nginx]}" "$N_P99" "${BEST_CPU[nginx]}"
[[ -n $AUTO_LINE ]] && echo "$AUTO_LINE"
echo "p99-ratio: $(awk -v a="$R_P99" -v b="$N_P99" 'BEGIN { printf "%.2f", a / b }') (rampart ${R_P99}ms, nginx ${N_P99}ms)"
echo "proxy-ratio: $(awk -v a="$R_RPS" -v b="$N_RPS" 'BEGIN { printf "%.2f", a / b }') (rampart $R_RPS rps, nginx $N_RPS rps)"
