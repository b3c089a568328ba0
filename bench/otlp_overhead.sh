#!/usr/bin/env bash
# `load --otlp` overhead: the same closed-model run against one local nginx, without export and
# with requests exported as spans (--otlp-sample SAMPLE, default 1: all), RUNS times each,
# interleaved. The
# collector is a second nginx server block that accepts any POST and discards it, so what is
# measured is our side of the export (spans, JSON, POSTs, the queue), not a collector's
# decoding. Prints each run's requests/s and export counts, then the median ratio
# (docs/otel.md "Overhead"; the issue's bar is >= 0.95). Loopback only. Not part of the tests:
# it measures the machine.
#
#   bench/otlp_overhead.sh BUILD_DIR [SECONDS] [RUNS] [CONNECTIONS] [SAMPLE]
#   e.g. bench/otlp_overhead.sh build 10 3 50
set -euo pipefail

build=${1:?usage: otlp_overhead.sh BUILD_DIR [SECONDS] [RUNS] [CONNECTIONS] [SAMPLE]}
seconds=${2:-10}
runs=${3:-3}
connections=${4:-50}
sample=${5:-1}
httptrace="$build/bin/httptrace"
[ -x "$httptrace" ] || { echo "otlp_overhead: no $httptrace (build the CLI first)" >&2; exit 2; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "otlp_overhead: nginx not found" >&2; exit 2; }

work=$(mktemp -d)
nginx_pid=
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Two free loopback ports, chosen by the kernel (bound to port 0, then released).
read -r port collector_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

mkdir -p "$work/logs"
cat >"$work/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    location = /hello { return 200 "hello world\n"; }
  }
  server {
    listen 127.0.0.1:$collector_port;
    client_max_body_size 64m;
    # OTLP/HTTP "Full Success": 200 with an empty ExportTraceServiceResponse.
    location / { default_type application/json; return 200 "{}"; }
  }
}
CONF
"$nginx" -p "$work" -c "$work/nginx.conf" &
nginx_pid=$!
for _ in $(seq 50); do
  up=$(python3 -c "
import socket
try:
    socket.create_connection(('127.0.0.1', $port), 0.2).close(); print(1)
except OSError: print(0)")
  [ "$up" = 1 ] && break
  sleep 0.1
done

url="http://127.0.0.1:$port/hello"
collector="http://127.0.0.1:$collector_port"
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

plain=()
traced=()
echo "load -c $connections -z ${seconds}s $url, $runs runs each (nginx: 1 worker)"
for i in $(seq "$runs"); do
  rps=$("$httptrace" load --json -c "$connections" -z "${seconds}s" "$url" |
        field 'd["requests_per_sec"]')
  plain+=("$rps")
  echo "  run $i  no export        $rps req/s"
  out=$("$httptrace" load --json -c "$connections" -z "${seconds}s" --otlp "$collector" --otlp-sample "$sample" "$url")
  rps=$(echo "$out" | field 'd["requests_per_sec"]')
  traced+=("$rps")
  echo "  run $i  --otlp (sample $sample) $rps req/s  $(echo "$out" | field '"spans exported {spans_exported}, dropped {spans_dropped} ({requests_dropped} requests), failed {spans_failed}".format(**d["otlp"])')"
done
python3 - "${plain[*]}" "${traced[*]}" <<'PY'
import statistics, sys
plain = [float(x) for x in sys.argv[1].split()]
traced = [float(x) for x in sys.argv[2].split()]
p, t = statistics.median(plain), statistics.median(traced)
print(f"median: {p:.0f} req/s without export, {t:.0f} with --otlp: ratio {t / p:.3f}")
PY
