#!/usr/bin/env bash
# consumer_test.sh BUILD_DIR CONSUMER_SRC_DIR
set -euo pipefail
build_dir=$1
src_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"

# 1. pkg-config only.
c++ "$src_dir/main.cpp" -o "$work/consumer-pc" $(pkg-config --cflags --libs --static httptrace)
"$work/consumer-pc"

# 2. find_package(httptrace).
cmake -S "$src_dir" -B "$work/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/cmake-build/consumer"
echo "package consumer: ok"
