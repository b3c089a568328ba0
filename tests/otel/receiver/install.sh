#!/bin/sh
# Installs the receiver's npm packages (test-only tools, pinned by package-lock.json) into
# DIR/node_modules, once per lock file: tests call it before starting the receiver, and skip
# when it fails (no npm, or the registry unreachable). A failure is remembered for ten minutes
# so that every test of a run does not wait for the registry again.
#   install.sh DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$1
mkdir -p "$dir"
# One install at a time per DIR: test processes of one build may start together.
exec 9>"$dir/.install.lock"
flock 9
if cmp -s "$here/package-lock.json" "$dir/.installed-lock.json" && [ -d "$dir/node_modules" ]; then
  exit 0
fi
if [ -n "$(find "$dir" -maxdepth 1 -name .install-failed -mmin -10 2>/dev/null)" ]; then
  echo "install.sh: the last attempt (under ten minutes ago) failed:" >&2
  cat "$dir/.install-failed" >&2
  exit 1
fi
rm -rf "$dir/node_modules" "$dir/.installed-lock.json" "$dir/.install-failed"
cp "$here/package.json" "$here/package-lock.json" "$dir/"
cd "$dir"
if ! command -v npm >/dev/null; then
  echo "npm not found" >"$dir/.install-failed"
elif ! timeout 120 npm ci --prefer-offline --no-audit --no-fund --ignore-scripts \
    --fetch-retries=1 --fetch-timeout=20000 --loglevel=error >"$dir/npm.log" 2>&1; then
  # npm's first error lines say what happened ("code ECONNREFUSED", "request to … failed").
  { grep -m 3 '^npm error' "$dir/npm.log" || tail -n 3 "$dir/npm.log"; } >"$dir/.install-failed"
fi
if [ -e "$dir/.install-failed" ]; then
  cat "$dir/.install-failed" >&2
  exit 1
fi
cp "$here/package-lock.json" "$dir/.installed-lock.json"
