#!/usr/bin/env bash
# fuzz/run.sh: builds fathom's libFuzzer harnesses (fuzz/CMakeLists.txt, clang with
# -fsanitize=fuzzer,address,undefined) and runs each for FUZZ_SECONDS with its seed corpus
# and dictionary. `make fuzz` runs it.
#
#   bash fuzz/run.sh [HARNESS...]     load, diff, config (default: all three)
#
# Environment: FUZZ_SECONDS (60) per harness; FUZZ_DIR (build-fuzz) the build directory;
# FUZZ_BUILD_ONLY=1 only builds; FUZZ_ARGS extra libFuzzer arguments. Inputs that find new
# coverage are kept in FUZZ_DIR/corpus/HARNESS (the committed seeds in fuzz/corpus are only
# read); each run's log is FUZZ_DIR/logs/HARNESS.log. Exits 1 when a harness found a crash,
# a leak, a hang (10 s per input) or a broken promise: the input is saved as
# FUZZ_DIR/artifacts/HARNESS-crash-* (or -leak-, -timeout-, -oom-) and the log's tail printed;
# replay it with FUZZ_DIR/fuzz_HARNESS FILE.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${FUZZ_SECONDS:-60}
dir=${FUZZ_DIR:-build-fuzz}
harnesses=("$@")
[[ ${#harnesses[@]} -gt 0 ]] || harnesses=(load diff config)
for h in "${harnesses[@]}"; do
  [[ -f "fuzz/fuzz_$h.c" ]] || { echo "fuzz: no harness '$h' (load, diff, config)" >&2; exit 2; }
done

bash scripts/deps.sh --fuzz --quiet
start=$SECONDS
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  gen=$(command -v ninja >/dev/null && echo Ninja || echo "Unix Makefiles")
  cmake -S fuzz -B "$dir" -G "$gen" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE= >/dev/null
fi
cmake --build "$dir" -j "${JOBS:-$(nproc 2>/dev/null || echo 2)}" >"$dir/build.log" 2>&1 ||
  { tail -n 40 "$dir/build.log" >&2; echo "fuzz: build failed ($dir/build.log)" >&2; exit 1; }
echo "== fuzz: harnesses built in $dir ($((SECONDS - start)) s)"
[[ "${FUZZ_BUILD_ONLY:-}" == 1 ]] && exit 0

declare -A max_len=([load]=32768 [diff]=49152 [config]=2048)
declare -A dict=([load]=profile [diff]=profile [config]=config)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$dir/logs" "$dir/artifacts"
failed=()
for h in "${harnesses[@]}"; do
  mkdir -p "$dir/corpus/$h"
  log="$dir/logs/$h.log"
  rc=0
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of words
  "$dir/fuzz_$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len="${max_len[$h]}" -dict="fuzz/${dict[$h]}.dict" -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/$h-" ${FUZZ_ARGS:-} \
    "$dir/corpus/$h" "fuzz/corpus/$h" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p; s/^#\([0-9]*\):* .*cov:.*/\1/p' "$log" |
    tail -n 1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
  if [[ $rc -ne 0 ]]; then
    echo "== fuzz: $h FAILED (exit $rc) after ${runs:-?} runs; log: $log" >&2
    tail -n 60 "$log" >&2
    failed+=("$h")
  else
    kept=$(find "$dir/corpus/$h" -type f | wc -l)
    seeds=$(find "fuzz/corpus/$h" -type f | wc -l)
    echo "== fuzz: $h: ${runs:-?} runs in $seconds s, ${cov:-no coverage line}," \
      "corpus $kept + $seeds seeds"
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "== fuzz: FAILED: ${failed[*]} (inputs in $dir/artifacts/;" \
    "replay with $dir/fuzz_HARNESS FILE)" >&2
  exit 1
fi
echo "== fuzz: every harness passed ($((SECONDS - start)) s)"
