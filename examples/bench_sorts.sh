#!/usr/bin/env bash
# bench_sorts.sh: how much faster is a radix sort than qsort on 2 million keys? `fathom bench`
# runs both commands (build/sorts, examples/sorts.c) interleaved, 10 runs each: mean ± σ, the
# confidence interval of each mean, and how many times faster the radix sort is, with its
# interval and a significance test. With --profile, each command also runs once under
# `fathom run`, and the report shows which functions the difference comes from (qsort's
# comparisons against the radix passes).
#
#   examples/bench_sorts.sh BUILD_DIR OUT_DIR
#     writes OUT_DIR/bench.json, OUT_DIR/bench.md and OUT_DIR/bench-profiles/{1,2}.json
set -euo pipefail
build=${1:?usage: bench_sorts.sh BUILD_DIR OUT_DIR}
out=${2:?usage: bench_sorts.sh BUILD_DIR OUT_DIR}
mkdir -p "$out"
"$build/fathom" bench --runs 10 --export-json "$out/bench.json" \
  --export-markdown "$out/bench.md" --profile "$out/bench-profiles" \
  "$build/sorts qsort 2000000" "$build/sorts radix 2000000"
