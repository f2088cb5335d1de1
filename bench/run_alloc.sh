# shellcheck shell=bash disable=SC2034  # sourced by run.sh: fail is its variable
# run_alloc.sh: `fathom run --alloc` in bench/run.sh (sourced, in section run, or alone with
# BENCH_ONLY=run_alloc; uses B, fail, QUICK). The workload, built here: PAIRS malloc/free pairs
# of 16-271 bytes (a fixed xorshift sequence, a ring of 64 live blocks) in one function, and
# 4096 blocks of 1000 bytes leaked by another; it prints the exact bytes and objects it
# allocated in each, so the profile's estimates are checked against the truth.
#   run_alloc_wall_ratio      `fathom run --alloc` (default rate: 1 sample per 512 KiB) against
#                             the program alone: wall time, the fastest of ROUNDS interleaved
#                             runs each (goal: <= 1.3)
#   alloc_inproc_wall_ratio   the program alone with libfathom.so preloaded and sampling as
#                             --alloc sets it, without `fathom run` (no perf sampling, no
#                             profile to build): what the program itself pays
#   run_alloc_lua_wall_ratio  Lua's plain build (of the lua section, when it is there) on
#                             bench/lua/work.lua under `fathom run --alloc`, against it alone:
#                             a program that does more than allocate (goal: <= 1.3)
#   heaptrack_wall_ratio      the same under heaptrack, which records every allocation (for
#                             comparison)
#   alloc_sample_pair_ir      instructions per malloc/free pair added by libfathom.so with
#                             sampling on (FATHOM_ALLOC_SAMPLE at the default rate), against the
#                             program alone: callgrind, (count(2N) - count(N)) / N
#   alloc_nosample_pair_ir    the same with libfathom.so preloaded and sampling off
#   run_alloc_max_err_se      the largest |estimate - truth| / standard error over the two
#                             functions' bytes and objects (goal: <= 4; BENCH-FAIL above 6)
RA_ROUNDS=${RA_ROUNDS:-${QUICK:+2}}; RA_ROUNDS=${RA_ROUNDS:-5}
RA_PAIRS=${RA_PAIRS:-${QUICK:+8000000}}; RA_PAIRS=${RA_PAIRS:-64000000}
ra_names="run_alloc_wall_ratio alloc_inproc_wall_ratio run_alloc_lua_wall_ratio heaptrack_wall_ratio alloc_sample_pair_ir alloc_nosample_pair_ir run_alloc_max_err_se"

run_alloc_section() {
  local D=$B/bench-run-alloc
  rm -rf "$D"; mkdir -p "$D"
  if [[ ! -e $B/libfathom.so || ! -x $B/fathom ]]; then echo "BENCH-SKIP $ra_names: no libfathom.so or fathom in $B"; return 0; fi
  cat >"$D/churn.c" <<'EOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
static uint64_t bytes_churn, bytes_leak;
static void *volatile keep[4096];
__attribute__((noinline)) static uint64_t churn(uint64_t pairs) {
  unsigned char *ring[64] = {0};
  uint64_t x = 0x9E3779B97F4A7C15ull, sum = 0;
  for (uint64_t i = 0; i < pairs; i++) {
    unsigned k = (unsigned)(i % 64);
    if (ring[k]) { sum += ring[k][0]; free(ring[k]); }
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    size_t n = 16 + (size_t)(x & 255);
    ring[k] = malloc(n);
    ring[k][0] = (unsigned char)x;
    bytes_churn += n;
  }
  for (unsigned k = 0; k < 64; k++) free(ring[k]);
  return sum;
}
__attribute__((noinline)) static void leak(void) {
  for (int i = 0; i < 4096; i++) { keep[i] = malloc(1000); bytes_leak += 1000; }
}
int main(int argc, char **argv) {
  uint64_t pairs = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
  uint64_t s = churn(pairs);
  leak();
  printf("TRUTH churn %llu %llu leak %llu %d sum %llu\n", (unsigned long long)bytes_churn,
         (unsigned long long)pairs, (unsigned long long)bytes_leak, 4096, (unsigned long long)s);
  return 0;
}
EOF
  if ! cc -O2 -g -fomit-frame-pointer -o "$D/churn" "$D/churn.c"; then echo "BENCH-FAIL run_alloc: cannot build the workload"; fail=1; return 0; fi
  local P=$D/churn have_ht=0 r t0 bp=999 bf=999 bh=999 bi=999 want got
  command -v heaptrack >/dev/null 2>&1 && have_ht=1
  want=$("$P" "$RA_PAIRS")
  for r in $(seq 1 "$RA_ROUNDS"); do
    t0=${EPOCHREALTIME/,/.}; "$P" "$RA_PAIRS" >/dev/null; bp=$(awk -v b="$bp" -v a="$t0" -v n="${EPOCHREALTIME/,/.}" 'BEGIN{t=n-a; print (t<b?t:b)}')
    t0=${EPOCHREALTIME/,/.}; got=$("$B/fathom" run -q --alloc -o "$D/run.json" -- "$P" "$RA_PAIRS"); bf=$(awk -v b="$bf" -v a="$t0" -v n="${EPOCHREALTIME/,/.}" 'BEGIN{t=n-a; print (t<b?t:b)}')
    [[ $got == "$want" ]] || { echo "BENCH-FAIL run_alloc_wall_ratio: the workload under fathom run --alloc printed '$got', alone '$want'"; fail=1; return 0; }
    t0=${EPOCHREALTIME/,/.}; LD_PRELOAD=$B/libfathom.so FATHOM_ALLOC_SAMPLE=524288 FATHOM_ALLOC_STACKS=$D/inproc "$P" "$RA_PAIRS" >/dev/null
    bi=$(awk -v b="$bi" -v a="$t0" -v n="${EPOCHREALTIME/,/.}" 'BEGIN{t=n-a; print (t<b?t:b)}')
    rm -f "$D"/inproc.*
    if [[ $have_ht == 1 ]]; then
      t0=${EPOCHREALTIME/,/.}; heaptrack -o "$D/ht" "$P" "$RA_PAIRS" >/dev/null 2>&1
      bh=$(awk -v b="$bh" -v a="$t0" -v n="${EPOCHREALTIME/,/.}" 'BEGIN{t=n-a; print (t<b?t:b)}')
      rm -f "$D"/ht*
    fi
  done
  local v
  v=$(awk -v a="$bf" -v b="$bp" 'BEGIN{printf "%.4f", a / b}')
  echo "BENCH run_alloc_wall_ratio $v x"
  echo "BENCH alloc_inproc_wall_ratio $(awk -v a="$bi" -v b="$bp" 'BEGIN{printf "%.4f", a / b}') x"
  echo "# run_alloc: $RA_PAIRS malloc/free pairs, fastest of $RA_ROUNDS: alone $bp s, fathom run --alloc $bf s, preloaded and sampling alone $bi s$([[ $have_ht == 1 ]] && echo ", heaptrack $bh s")"
  awk -v v="$v" 'BEGIN{exit !(v <= 1.3)}' || echo "# goal missed: run_alloc_wall_ratio = $v (goal: <= 1.3)"
  if [[ $have_ht == 1 ]]; then echo "BENCH heaptrack_wall_ratio $(awk -v a="$bh" -v b="$bp" 'BEGIN{printf "%.4f", a / b}') x"
  else echo "BENCH-SKIP heaptrack_wall_ratio: heaptrack is not installed"; fi

  # Lua: the same comparison on a real program (its build from the lua or run section)
  local LP=$B/bench-lua/lua-plain LW=$HERE/lua/work.lua la=999 lf=999 lwant lgot
  if [[ -x $LP && -f $LW ]]; then
    lwant=$("$LP" "$LW" "${RUN_SCALE:-1}")
    for r in $(seq 1 "$RA_ROUNDS"); do
      t0=${EPOCHREALTIME/,/.}; "$LP" "$LW" "${RUN_SCALE:-1}" >/dev/null; la=$(awk -v b="$la" -v a="$t0" -v n="${EPOCHREALTIME/,/.}" 'BEGIN{t=n-a; print (t<b?t:b)}')
      t0=${EPOCHREALTIME/,/.}; lgot=$("$B/fathom" run -q --alloc -o "$D/lua.json" -- "$LP" "$LW" "${RUN_SCALE:-1}"); lf=$(awk -v b="$lf" -v a="$t0" -v n="${EPOCHREALTIME/,/.}" 'BEGIN{t=n-a; print (t<b?t:b)}')
      [[ $lgot == "$lwant" ]] || { echo "BENCH-FAIL run_alloc_lua_wall_ratio: Lua under fathom run --alloc printed '$lgot', alone '$lwant'"; fail=1; break; }
    done
    if "$B/fathom" check "$D/lua.json" >/dev/null 2>&1; then
      v=$(awk -v a="$lf" -v b="$la" 'BEGIN{printf "%.4f", a / b}')
      echo "BENCH run_alloc_lua_wall_ratio $v x"
      echo "# run_alloc_lua: Lua scale ${RUN_SCALE:-1}, fastest of $RA_ROUNDS: alone $la s, fathom run --alloc $lf s"
      awk -v v="$v" 'BEGIN{exit !(v <= 1.3)}' || echo "# goal missed: run_alloc_lua_wall_ratio = $v (goal: <= 1.3)"
    else
      echo "BENCH-FAIL run_alloc_lua_wall_ratio: fathom check failed on Lua's profile"; fail=1
    fi
  else
    echo "BENCH-SKIP run_alloc_lua_wall_ratio: no Lua build in $B/bench-lua (sections lua or run build it)"
  fi

  # the estimates against the truth the program printed
  if ! "$B/fathom" check "$D/run.json" >/dev/null 2>&1; then echo "BENCH-FAIL run_alloc_max_err_se: fathom check failed on the profile"; fail=1
  elif ! command -v node >/dev/null 2>&1; then echo "BENCH-SKIP run_alloc_max_err_se: node is not installed"
  else
    local res
    res=$(TRUTH="$want" node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const t = process.env.TRUTH.split(/\s+/);
const truth = {churn: [+t[2], +t[3]], leak: [+t[5], +t[6]]};
let worst = 0;
for (const [f, [b, o]] of Object.entries(truth)) {
  let eb = 0, eo = 0, vb = 0, vo = 0;
  for (const n of p.nodes) if (n.alloc_self && p.zones[n.zone].name === f) {
    eb += n.alloc_self.alloc_bytes; eo += n.alloc_self.alloc_count;
    vb += (n.alloc_self.alloc_bytes_se || 0) ** 2; vo += (n.alloc_self.alloc_count_se || 0) ** 2; }
  const zb = Math.abs(eb - b) / Math.max(Math.sqrt(vb), 1), zo = Math.abs(eo - o) / Math.max(Math.sqrt(vo), 1);
  console.log("# " + f + ": bytes ~" + eb + " (truth " + b + ", se " + Math.sqrt(vb).toFixed(0) + "), objects ~" + eo + " (truth " + o + ", se " + Math.sqrt(vo).toFixed(0) + ")");
  worst = Math.max(worst, zb, zo);
}
console.log("R " + worst.toFixed(3));' "$D/run.json")
    grep '^#' <<<"$res"
    v=$(grep '^R' <<<"$res" | cut -d' ' -f2)
    if [[ -z $v ]]; then echo "BENCH-FAIL run_alloc_max_err_se: the profile could not be read"; fail=1
    else
      echo "BENCH run_alloc_max_err_se $v ratio"
      awk -v v="$v" 'BEGIN{exit !(v <= 6)}' || { echo "BENCH-FAIL run_alloc_max_err_se: an estimate is $v standard errors from the truth"; fail=1; }
      awk -v v="$v" 'BEGIN{exit !(v <= 4)}' || echo "# goal missed: run_alloc_max_err_se = $v (goal: <= 4)"
    fi
  fi

  # instructions per pair: callgrind counts the whole run; (2N - N) / N leaves the pairs only
  if ! command -v valgrind >/dev/null 2>&1; then echo "BENCH-SKIP alloc_sample_pair_ir alloc_nosample_pair_ir: valgrind is not installed"; return 0; fi
  local N=1000000 mode k ir
  declare -A IR
  for mode in plain nosample sample; do
    for k in 1 2; do
      local env=()
      [[ $mode != plain ]] && env+=("LD_PRELOAD=$B/libfathom.so")
      [[ $mode == sample ]] && env+=("FATHOM_ALLOC_SAMPLE=524288" "FATHOM_ALLOC_STACKS=$D/ir")
      env "${env[@]}" valgrind --tool=callgrind --callgrind-out-file="$D/cg.out" "$P" $((k * N)) >/dev/null 2>&1
      ir=$(awk '/^summary:/ {print $2}' "$D/cg.out")
      [[ -n $ir ]] || { echo "BENCH-FAIL alloc_sample_pair_ir: callgrind gave no count ($mode)"; fail=1; return 0; }
      IR[$mode$k]=$ir
      rm -f "$D/cg.out" "$D"/ir.*
    done
  done
  local plain nos smp
  plain=$(awk -v a="${IR[plain2]}" -v b="${IR[plain1]}" -v n=$N 'BEGIN{printf "%.2f", (a - b) / n}')
  nos=$(awk -v a="${IR[nosample2]}" -v b="${IR[nosample1]}" -v n=$N -v p="$plain" 'BEGIN{printf "%.2f", (a - b) / n - p}')
  smp=$(awk -v a="${IR[sample2]}" -v b="${IR[sample1]}" -v n=$N -v p="$plain" 'BEGIN{printf "%.2f", (a - b) / n - p}')
  echo "BENCH alloc_nosample_pair_ir $nos instructions"
  echo "BENCH alloc_sample_pair_ir $smp instructions"
  echo "# alloc pair: $plain instructions a pair alone (the loop and glibc); libfathom.so adds $nos without sampling, $smp with it"
}
run_alloc_section
