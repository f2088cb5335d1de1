#!/usr/bin/env bash
# run.sh BUILD_DIR: profiles a real program nobody here wrote, the way the README tells a user
# to profile their own: zstd (Debian's source package `libzstd`), every function instrumented
# with -finstrument-functions and linked with BUILD_DIR/libfathom.a after its objects. Four
# builds of the same sources (plain; empty hooks; fathom; fathom with the tiniest hot
# functions excluded at compile time) compress one generated input at fathom's default
# level, in two interleaved rounds. It prints one `BENCH <name> <value> <unit>` line per
# figure (comments start with '#'):
#   - each build's mean wall time over the two rounds, and the ratios;
#   - the profile's figures: zone calls, timed calls, the overhead fathom reports, the top 5
#     functions by self time and by self CPU time (estimates where only a sample of the calls
#     was timed: their standard errors are printed beside them);
#   - `fathom check` on the profiles, and `fathom diff A B --fail-on-regression 10` on the
#     profiles of the two identical fathom runs (its exit status: 0 expected).
# Every run's output must be the same bytes, decompressing to the input.
# The sources are fetched with ../shared/tools/debsrc ($DEBSRC to use another) into
# BUILD_DIR/realworld, never into the source tree; ZSTD_SRC=DIR uses an unpacked tree instead
# (copied first). When neither can be had it prints BENCH-SKIP with the reason and exits 0,
# so a machine without network never fails. Exit 1 when something ran and failed (a build, a
# run, outputs that differ, a profile that does not load or does not add up, diff ending in
# anything but 0); the figures measured until then are printed.
# Environment: RW_INPUT_MB (input size before base64, default 30), RW_THREADS (zstd -T,
# default 2), RW_LEVEL (zstd level, default 3), RW_EXCLUDE (the exclusion list), JOBS (make
# -j, default 2).
set -u
B=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd) || exit 2
HERE=$(cd "$(dirname "$0")" && pwd)
W=$B/realworld
DEBSRC=${DEBSRC:-$HERE/../../../shared/tools/debsrc}
MB=${RW_INPUT_MB:-30}
THREADS=${RW_THREADS:-2}
LEVEL=${RW_LEVEL:-3}
JOBS=${JOBS:-2}
FATHOM=$B/fathom
QUERY=$B/bench_profile_query
fail=0
names="zstd_plain_s zstd_empty_hooks_s zstd_fathom_s zstd_excluded_s zstd_fathom_over_plain zstd_fathom_over_empty_hooks zstd_excluded_over_plain zstd_zone_calls zstd_timed_calls zstd_overhead_pct zstd_excluded_zone_calls zstd_excluded_overhead_pct zstd_check_rc zstd_diff_rc"

skip() { echo "BENCH-SKIP $names: $*"; exit 0; }
bad() { echo "BENCH-FAIL $*"; fail=1; }
now_s() { local t=${EPOCHREALTIME/,/.}; echo "$t"; }

for f in "$B/libfathom.a" "$FATHOM" "$QUERY"; do
  [[ -e $f ]] || { echo "run.sh: $f missing: build first (make build)" >&2; exit 2; }
done
mkdir -p "$W"

# ---- the sources ---------------------------------------------------------------------------
if [[ -n ${ZSTD_SRC:-} ]]; then
  [[ -f $ZSTD_SRC/programs/Makefile ]] || skip "ZSTD_SRC=$ZSTD_SRC holds no zstd sources"
  src=$ZSTD_SRC
else
  [[ -x $DEBSRC ]] || skip "the zstd sources could not be had: $DEBSRC not found (set ZSTD_SRC=DIR)"
  # offline, debsrc fails (apt-get cannot fetch) unless an earlier run left the package here
  timeout 600 "$DEBSRC" libzstd "$W/debsrc" >"$W/debsrc.out" 2>"$W/debsrc.log"
  rc=$?
  src=$(tail -1 "$W/debsrc.out")
  if [[ $rc -ne 0 || ! -f $src/programs/Makefile ]]; then
    skip "the zstd sources could not be had: $DEBSRC libzstd exit $rc: $(tail -1 "$W/debsrc.log" 2>/dev/null || true)"
  fi
fi
S=$W/zstd-src
if [[ ! -f $S/programs/Makefile || $(cat "$W/zstd-src.from" 2>/dev/null) != "$src" ]]; then
  rm -rf "$S" && mkdir -p "$S" && cp -a "$src/." "$S/" && echo "$src" >"$W/zstd-src.from" ||
    { bad "zstd: copying $src failed"; exit 1; }
fi
echo "# zstd: sources $src (built in $S)"

# ---- four builds of the same sources -------------------------------------------------------
# plain: no instrumentation; empty: -finstrument-functions with hooks that do nothing
# (bench/empty_hooks.c: what the instrumentation itself costs, without fathom); fathom: the
# same objects linked as the README says (objects, then libfathom.a -lpthread -ldl -lm);
# excluded: the same with the tiniest hot functions left out at compile time, as the README
# advises (-finstrument-functions-exclude-function-list matches substrings of the names).
# Each set of flags compiles into its own programs/obj/DIR; the binaries are removed first, so
# every run relinks with the current libfathom.a.
EXCLUDE=${RW_EXCLUDE:-HUF_getNbBits,HUF_addBits,HUF_encodeSymbol,HUF_getValueFast,MEM_,XXH}
zmake() {  # zmake NAME DIR MAKE-ARGS...: builds programs/obj/DIR/zstd, copied to $W/zstd-NAME
  local name=$1 dir=$2; shift 2
  rm -f "$S/programs/zstd" "$S/programs/obj/$dir/zstd" "$W/zstd-$name"
  if ! make -j"$JOBS" -C "$S/programs" zstd BUILD_DIR="obj/$dir" HAVE_ZLIB=0 HAVE_LZMA=0 \
       HAVE_LZ4=0 "$@" >"$W/build-$name.log" 2>&1; then
    bad "zstd: the $name build failed (see $W/build-$name.log)"; tail -5 "$W/build-$name.log" | sed 's/^/#   /'
    exit 1
  fi
  cp "$S/programs/zstd" "$W/zstd-$name"
}
cc -O2 -c "$HERE/../empty_hooks.c" -o "$W/empty_hooks.o" || { bad "zstd: empty_hooks.c did not compile"; exit 1; }
zmake plain plain
zmake empty inst MOREFLAGS="-finstrument-functions" LDLIBS="$W/empty_hooks.o -lpthread"
zmake fathom inst MOREFLAGS="-finstrument-functions" LDLIBS="$B/libfathom.a -lpthread -ldl -lm"
zmake excluded instx MOREFLAGS="-finstrument-functions -finstrument-functions-exclude-function-list=$EXCLUDE" \
  LDLIBS="$B/libfathom.a -lpthread -ldl -lm"

# ---- runs -----------------------------------------------------------------------------------
R=$W/run
rm -rf "$R" && mkdir -p "$R"
head -c $((MB * 1000000)) /dev/urandom | base64 >"$R/in.txt"
# zrun NAME BINARY [VAR=VALUE...]: compresses in.txt to NAME.zst with only the FATHOM
# variables given; sets T (wall seconds); returns zstd's status
zrun() {
  local name=$1 bin=$2 t0 rc; shift 2
  t0=$(now_s)
  ( while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^FATHOM(_|$)')
    for kv in "$@"; do export "${kv?}"; done
    exec "$bin" -T"$THREADS" -"$LEVEL" -q -f -o "$R/$name.zst" "$R/in.txt" ) >"$R/$name.out" 2>"$R/$name.err"
  rc=$?
  T=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN{printf "%.3f", b - a}')
  return $rc
}
declare -A wall
# two rounds, interleaved, so that a busy host slows every build alike; the two profiled runs
# of the fathom build are A and B (the profiles fathom diff compares), the excluded build's X1, X2
for run in plain1 empty1 A X1 plain2 empty2 B X2; do
  case $run in
    plain*) zrun "$run" "$W/zstd-plain" ;;
    empty*) zrun "$run" "$W/zstd-empty" ;;
    X*) zrun "$run" "$W/zstd-excluded" "FATHOM_OUT=$R/$run.json" ;;
    *) zrun "$run" "$W/zstd-fathom" "FATHOM_OUT=$R/$run.json" ;;
  esac || { bad "zstd: run $run failed: $(tail -2 "$R/$run.err")"; exit 1; }
  wall[$run]=$T
  [[ $run == plain* || $run == empty* ]] || [[ -s $R/$run.json ]] ||
    { bad "zstd: FATHOM_OUT wrote no profile for run $run: $(tail -2 "$R/$run.err")"; exit 1; }
done
# the output is the program's, whatever fathom does: every run's bytes are the same, and they
# decompress to the input
for run in empty1 A X1 plain2 empty2 B X2; do
  cmp -s "$R/plain1.zst" "$R/$run.zst" || bad "zstd: run $run's output differs from the plain build's"
done
"$W/zstd-plain" -d -q -c "$R/plain1.zst" | cmp -s - "$R/in.txt" || bad "zstd: the output does not decompress to the input"

echo "# zstd: $(stat -c %s "$R/in.txt") bytes of base64 text, zstd -T$THREADS -$LEVEL; wall seconds, two rounds:" \
  "plain ${wall[plain1]}, ${wall[plain2]}; empty hooks ${wall[empty1]}, ${wall[empty2]};" \
  "fathom ${wall[A]}, ${wall[B]}; fathom, tiny functions excluded ${wall[X1]}, ${wall[X2]}"
mean2() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", (a + b) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; }
tp=$(mean2 "${wall[plain1]}" "${wall[plain2]}")
te=$(mean2 "${wall[empty1]}" "${wall[empty2]}")
tf=$(mean2 "${wall[A]}" "${wall[B]}")
tx=$(mean2 "${wall[X1]}" "${wall[X2]}")
echo "BENCH zstd_plain_s $tp s"
echo "BENCH zstd_empty_hooks_s $te s"
echo "BENCH zstd_fathom_s $tf s"
echo "BENCH zstd_excluded_s $tx s"
echo "BENCH zstd_fathom_over_plain $(ratio "$tf" "$tp") x"
echo "BENCH zstd_fathom_over_empty_hooks $(ratio "$tf" "$te") x"
echo "BENCH zstd_excluded_over_plain $(ratio "$tx" "$tp") x"

# ---- the profiles' figures --------------------------------------------------------------------
mval() { awk -F'\t' -v k="$2" '$1 == "M" && $2 == k {print $3}' "$1"; }
ms() { awk -v v="$1" 'BEGIN{printf "%.1f", v / 1e6}'; }
for run in A B X1; do
  "$QUERY" "$R/$run.json" >"$R/$run.q" 2>"$R/$run.q.err" ||
    { bad "zstd: profile $run does not load: $(cat "$R/$run.q.err")"; exit 1; }
done
q=$R/A.q
echo "# zstd: profile A: $(stat -c %s "$R/A.json") bytes, $(mval "$q" n_nodes) call-tree nodes, $(awk -F'\t' '$1 == "Z"' "$q" | wc -l) functions, $(mval "$q" n_threads) threads, dropped $(mval "$q" dropped_zones) calls"
echo "BENCH zstd_zone_calls $(mval "$q" n_zones) calls"
echo "BENCH zstd_timed_calls $(mval "$q" n_timed) calls"
echo "BENCH zstd_overhead_pct $(awk -v v="$(mval "$q" overhead_pct)" 'BEGIN{printf "%.1f", v}') %"
echo "BENCH zstd_excluded_zone_calls $(mval "$R/X1.q" n_zones) calls"
echo "BENCH zstd_excluded_overhead_pct $(awk -v v="$(mval "$R/X1.q" overhead_pct)" 'BEGIN{printf "%.1f", v}') %"
echo "# zstd: overhead_pct is the slowdown fathom reports (an estimate from its CPU sampler: the share"
echo "# zstd: of samples in fathom's own code); compare zstd_fathom_over_empty_hooks and _over_plain"
# Z lines: kind count timed self_nodes self total overhead time_every gov n_nodes self_se name
# self_cpu self_cpu_se; self is wall time (a waiting thread's too), self_cpu the CPU sampler's
top5() {  # top5 FIELD LABEL: the 5 functions of profile A with the largest FIELD
  echo "# zstd: top 5 by $2 (profile A; ± one standard error: estimates where a sample was timed or sampled):"
  awk -F'\t' -v f="$1" '$1 == "Z" {print $f "\t" $6 "\t" $12 "\t" $14 "\t" $15 "\t" $3 "\t" $4 "\t" $13}' "$q" |
    sort -t$'\t' -k1,1 -g -r | head -5 |
    while IFS=$'\t' read -r _ self se cpu cse count timed name; do
      printf '# zstd:   %-44s self %9s ms ± %s, CPU %8s ms ± %s; %s calls, %s timed\n' "$name" \
        "$(ms "$self")" "$(ms "$se")" "$(ms "$cpu")" "$(ms "$cse")" "$count" "$timed"
      if [[ $1 == 6 ]]; then echo "BENCH zstd_self_$name $(ms "$self") ms"
      else echo "BENCH zstd_self_cpu_$name $(ms "$cpu") ms"; fi
    done
}
top5 6 "self time (wall)"
top5 14 "self CPU time"

# ---- fathom check, fathom diff ----------------------------------------------------------------
"$FATHOM" check "$R/A.json" "$R/B.json" "$R/X1.json" >"$R/check.out" 2>&1
rc=$?
sed 's/^/# check: /' "$R/check.out" | head -20
echo "BENCH zstd_check_rc $rc exit"
[[ $rc -eq 0 ]] || bad "zstd: fathom check exit $rc (0: every rule holds)"

"$FATHOM" diff "$R/A.json" "$R/B.json" --fail-on-regression 10 --color never >"$R/diff.out" 2>"$R/diff.err"
rc=$?
echo "# diff: $(grep -c '' "$R/diff.out") lines of output; the last (the verdict): $(tail -1 "$R/diff.out")"
[[ -s $R/diff.err ]] && sed 's/^/# diff stderr: /' "$R/diff.err" | head -5
echo "BENCH zstd_diff_rc $rc exit"
if [[ $rc -ge 128 ]]; then bad "zstd: fathom diff died of signal $((rc - 128)) on two identical runs"
elif [[ $rc -ne 0 ]]; then bad "zstd: fathom diff --fail-on-regression 10 exit $rc on two identical runs (0 expected)"
fi
echo "# zstd: profiles and outputs in $R"
exit $fail
