#!/usr/bin/env bash
# `load --otlp` overhead: the same closed-model run against one local nginx, without export and
# with requests exported as spans (--otlp-sample SAMPLE, default 1: all), RUNS pairs in
# alternating order. The collector is a second nginx, its own process, that accepts any POST
# and discards it, so what is measured is our side of the export (spans, JSON, POSTs, the
# queue), not a collector's decoding. A collector runs on another machine; on this one it would
# take its CPU from the server under test, so by default it runs at idle priority
# (COLLECTOR_PRIORITY=normal puts it level with the load, to see what sharing the machine with
# a collector costs). Prints each run's requests/s and export counts, then the median of the
# pairs' ratios (docs/otel.md "Overhead"; the issue's bar is >= 0.95). Loopback only. Not part
# of the tests: it measures the machine.
#
#   [COLLECTOR_PRIORITY=idle|normal] bench/otlp_overhead.sh BUILD_DIR [SECONDS] [RUNS] \
#       [CONNECTIONS] [SAMPLE]
#   e.g. bench/otlp_overhead.sh build 10 3 50
set -euo pipefail

build=${1:?usage: otlp_overhead.sh BUILD_DIR [SECONDS] [RUNS] [CONNECTIONS] [SAMPLE]}
seconds=${2:-10}
runs=${3:-3}
connections=${4:-50}
sample=${5:-1}
collector_priority=${COLLECTOR_PRIORITY:-idle}
case "$collector_priority" in
  idle) as_collector=(chrt --idle 0) ;;
  normal) as_collector=() ;;
  *) echo "otlp_overhead: COLLECTOR_PRIORITY is idle or normal" >&2; exit 2 ;;
esac
httptrace="$build/bin/httptrace"
[ -x "$httptrace" ] || { echo "otlp_overhead: no $httptrace (build the CLI first)" >&2; exit 2; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "otlp_overhead: nginx not found" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# Two free loopback ports, chosen by the kernel (bound to port 0, then released).
read -r port collector_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

# One nginx configuration per process: the server under test, and the collector.
nginx_conf() {  # NAME SERVER_BLOCK
  mkdir -p "$work/$1/logs"
  cat >"$work/$1/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $work/$1/nginx.pid;
error_log $work/$1/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/$1/body;
  keepalive_requests 1000000;
  $2
}
CONF
}
nginx_conf server "server {
    listen 127.0.0.1:$port;
    location = /hello { return 200 \"hello world\\n\"; }
  }"
# OTLP/HTTP "Full Success": 200 with an empty ExportTraceServiceResponse.
nginx_conf collector "server {
    listen 127.0.0.1:$collector_port;
    client_max_body_size 64m;
    location / { default_type application/json; return 200 \"{}\"; }
  }"
"$nginx" -p "$work/server" -c "$work/server/nginx.conf" &
pids+=($!)
"${as_collector[@]}" "$nginx" -p "$work/collector" -c "$work/collector/nginx.conf" &
pids+=($!)
wait_for_port() {
  for _ in $(seq 50); do
    up=$(python3 -c "
import socket
try:
    socket.create_connection(('127.0.0.1', $1), 0.2).close(); print(1)
except OSError: print(0)")
    [ "$up" = 1 ] && return 0
    sleep 0.1
  done
  echo "otlp_overhead: nothing listens on port $1" >&2
  exit 2
}
wait_for_port "$port"
wait_for_port "$collector_port"

url="http://127.0.0.1:$port/hello"
collector="http://127.0.0.1:$collector_port"
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

plain=()
traced=()
run_plain() {
  rps=$("$httptrace" load --json -c "$connections" -z "${seconds}s" "$url" |
        field 'd["requests_per_sec"]')
  plain+=("$rps")
  echo "  run $i  no export        $rps req/s"
}
run_traced() {
  out=$("$httptrace" load --json -c "$connections" -z "${seconds}s" --otlp "$collector" \
        --otlp-sample "$sample" "$url")
  rps=$(echo "$out" | field 'd["requests_per_sec"]')
  traced+=("$rps")
  echo "  run $i  --otlp (sample $sample) $rps req/s  $(echo "$out" | field '"spans exported {spans_exported}, dropped {spans_dropped} ({requests_dropped} requests), failed {spans_failed}".format(**d["otlp"])')"
}
echo "load -c $connections -z ${seconds}s $url, $runs runs each (nginx: 1 worker;" \
  "collector at $collector_priority priority)"
# Pairs in alternating order (A B, B A, ...), so a drift in the machine's speed hits both
# sides alike; the verdict is the median of the pairs' ratios.
for i in $(seq "$runs"); do
  if [ $((i % 2)) = 1 ]; then run_plain; run_traced; else run_traced; run_plain; fi
done
python3 - "${plain[*]}" "${traced[*]}" <<'PY'
import statistics, sys
plain = [float(x) for x in sys.argv[1].split()]
traced = [float(x) for x in sys.argv[2].split()]
ratios = sorted(t / p for p, t in zip(plain, traced))
print(f"medians: {statistics.median(plain):.0f} req/s without export, "
      f"{statistics.median(traced):.0f} with --otlp; pair ratios {ratios[0]:.3f}-{ratios[-1]:.3f}, "
      f"median ratio {statistics.median(ratios):.3f}")
PY
