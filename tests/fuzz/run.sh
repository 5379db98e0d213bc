#!/usr/bin/env bash
# A meson test of the 'fuzz' suite: run one libFuzzer target for a short,
# fixed time (scripts/fuzz TARGET SECONDS), binaries and corpus in the build
# directory. Skips (77) with the reason when clang has no libFuzzer.
set -euo pipefail
target=${1:?usage: run.sh TARGET SECONDS}
seconds=${2:-10}
export TG_FUZZ_DIR="$TG_BUILD_ROOT/fuzz"
fuzz="$TG_SOURCE_ROOT/scripts/fuzz"
if ! why=$("$fuzz" --available); then
	echo "SKIP: fuzz $target: $why"
	exit 77
fi
# libFuzzer's own output is long: keep it, show its end on failure.
log="$TG_FUZZ_DIR/$target.log"
if ! "$fuzz" "$target" "$seconds" >"$log" 2>&1; then
	tail -n 60 "$log"
	echo "FAIL: fuzz $target: see $log (crash-* in $TG_FUZZ_DIR)"
	exit 1
fi
grep -E '^(Done|stat::number_of_executed_units)' "$log" || true
