#!/usr/bin/env bash
# run.sh: runs every benchmark and prints one "BENCH <name> <value> <unit>" line per figure.
# Exits non-zero if any benchmark's self-check failed. Usage: bench/run.sh BUILD_DIR
set -u
B=${1:-build}
fail=0
echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, $(uname -sr)"
"$B/bench_zone" || fail=1
"$B/bench_cyg" || fail=1

# basic_overhead_pct: the demo pipeline with and without fathom, interleaved runs
N=${PIPELINE_RECORDS:-400000}
RUNS=${PIPELINE_RUNS:-9}
on=(); off=(); zones=0; ref=""
for i in $(seq 1 "$RUNS"); do
  read -r t_off z_off s_off < <("$B/pipeline_off" "$N") || fail=1
  read -r t_on z_on s_on < <("$B/pipeline_on" "$N") || fail=1
  off+=("$t_off"); on+=("$t_on"); zones=$z_on
  # the result must not depend on profiling (sums of doubles: relative 1e-9)
  if ! awk -v a="$s_off" -v b="$s_on" 'BEGIN{d=a-b; if(d<0)d=-d; exit !(d <= 1e-9*(a<0?-a:a))}'; then
    echo "BENCH-FAIL basic_overhead_pct: checksums differ ($s_off vs $s_on)"; fail=1
  fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
m_on=$(median "${on[@]}"); m_off=$(median "${off[@]}")
# the overhead is the median of the per-pair ratios (each run with fathom against the run
# without it just before): drift on a shared machine cancels within a pair
ratios=()
for i in "${!on[@]}"; do ratios+=("$(awk -v a="${on[$i]}" -v b="${off[$i]}" 'BEGIN{printf "%.6f", (a-b)/b*100}')"); done
m_pct=$(median "${ratios[@]}")
awk -v on="$m_on" -v off="$m_off" -v z="$zones" -v pct="$m_pct" 'BEGIN{
  printf "BENCH pipeline_wall_off_ms %.3f ms\n", off/1e6;
  printf "BENCH pipeline_wall_on_ms %.3f ms\n", on/1e6;
  printf "BENCH pipeline_zones_per_s %.3f M/s\n", z/(on/1e9)/1e6;
  printf "BENCH basic_overhead_pct %.3f %%\n", pct }'
# the reference workload must run >= 1 s at >= 1 M zones/s to count
if ! awk -v on="$m_on" -v z="$zones" 'BEGIN{exit !(on >= 1e9 && z/(on/1e9) >= 1e6)}'; then
  echo "BENCH-FAIL basic_overhead_pct: the workload ran $(awk -v on="$m_on" 'BEGIN{print on/1e9}') s with $zones zones (needs >= 1 s and >= 1 M zones/s; raise PIPELINE_RECORDS)"
  fail=1
fi
exit $fail
