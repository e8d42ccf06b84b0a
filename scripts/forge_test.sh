#!/usr/bin/env bash
# Solidity fuzz and invariant tests (forge/test) with forge from npm, offline, compiled by
# the repo's solc-js shim. Used by `make forge-test` (part of `make check-deep`).
# Extra arguments go to `forge test`, e.g. `scripts/forge_test.sh --match-contract SplitMath`.
# Sizes: FORGE_FUZZ_RUNS (default 2000), FORGE_INVARIANT_RUNS / FORGE_INVARIANT_DEPTH
# (default 64 / 64).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "forge_test: unsupported machine $(uname -m)" >&2; exit 2 ;;
esac
case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "forge_test: unsupported system $(uname -s)" >&2; exit 2 ;;
esac
forge="$root/node_modules/@foundry-rs/forge-$os-$arch/bin/forge"
if [ ! -x "$forge" ]; then
    echo "forge_test: $forge missing; run 'make node-deps'" >&2
    exit 2
fi

mkdir -p "$root/var/forge"
# forge wants an absolute compiler path; foundry.toml keeps only relative paths.
export FOUNDRY_SOLC="$root/chain/toolchain/solc"
export FOUNDRY_OFFLINE=true
export FOUNDRY_FUZZ_RUNS="${FORGE_FUZZ_RUNS:-2000}"
export FOUNDRY_INVARIANT_RUNS="${FORGE_INVARIANT_RUNS:-64}"
export FOUNDRY_INVARIANT_DEPTH="${FORGE_INVARIANT_DEPTH:-64}"

cd "$root/forge"
start=$(date +%s)
status=0
"$forge" test --root "$root/forge" "$@" || status=$?
echo "forge_test: fuzz runs $FOUNDRY_FUZZ_RUNS, invariant runs $FOUNDRY_INVARIANT_RUNS depth" \
    "$FOUNDRY_INVARIANT_DEPTH, $(( $(date +%s) - start )) s, exit $status"
exit "$status"
