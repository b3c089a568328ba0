#!/usr/bin/env bash
# run-fuzzer.sh FUZZER CORPUS_DIR: runs FUZZER for $FUZZ_SECONDS (default 60) over a copy of
# the checked-in corpus, so a run never rewrites the repository. A crash fails the test and
# leaves the reproducer in the current directory (add it to the corpus as a regression case).
set -euo pipefail
fuzzer=$1
corpus=$2
seconds=${FUZZ_SECONDS:-60}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
[ -d "$corpus" ] && cp -r "$corpus"/. "$scratch"/
dict=${corpus%/}.dict
extra=()
[ -f "$dict" ] && extra+=(-dict="$dict")
exec "$fuzzer" "$scratch" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 "${extra[@]}"
