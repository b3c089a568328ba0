#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the demo need — only the missing
# ones, so a second run costs a few dpkg queries. Pass extra package groups as arguments
# ("bench" adds what `make bench` needs).
set -euo pipefail

packages=(
  # toolchain
  g++-12 cmake ninja-build ccache pkg-config make
  # the library's dependencies
  libssl-dev libc-ares-dev libnghttp2-dev zlib1g-dev
  # the CLI
  libcli11-dev libfmt-dev nlohmann-json3-dev
  # tests and the real peers they start on loopback
  libgtest-dev libgmock-dev openssl nginx-light dnsmasq-base tinyproxy-bin nghttp2-server
  # the reference the `events` comparison runs against (Go 1.19's net/http)
  golang-go
  # fuzzing: clang-16 with libc++ (libstdc++ 12's std::expected is invisible to clang)
  clang-16 libc++-16-dev libc++abi-16-dev libclang-rt-16-dev
)
# The OTLP receiver the OpenTelemetry tests run (tests/otel/receiver): Node.js and npm, unless
# both are already on PATH (e.g. from NodeSource, whose nodejs bundles npm).
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
for group in "$@"; do
  case "$group" in
    bench) packages+=(libbenchmark-dev libcurl4-openssl-dev wrk valgrind) ;;
    *) echo "install-deps: unknown group '$group'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run 'make' as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
# The nginx and dnsmasq packages try to start system services; the tests start their own.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.httptrace
chmod +x /usr/sbin/policy-rc.d.httptrace
had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
[ $had_policy -eq 0 ] && cp /usr/sbin/policy-rc.d.httptrace /usr/sbin/policy-rc.d
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ $had_policy -eq 0 ] && rm -f /usr/sbin/policy-rc.d
rm -f /usr/sbin/policy-rc.d.httptrace
echo "install-deps: done"
