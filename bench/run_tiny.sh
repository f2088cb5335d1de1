# shellcheck shell=bash disable=SC2034  # sourced by run.sh: fail is its variable
# run_tiny.sh: overhead_reported_over_measured_tiny, a section of bench/run.sh (sourced; uses
# B, fail, QUICK and run.sh's helpers). Interleaved pairs of tiny_off (FATHOM_DISABLE) and
# tiny_on (default configuration: BASIC, governor on), zones around ~30 ns of work.
TINY_N=${TINY_ZONES:-${QUICK:+10000000}}; TINY_N=${TINY_N:-40000000}
TINY_RUNS=${TINY_RUNS:-${QUICK:+3}}; TINY_RUNS=${TINY_RUNS:-9}
tiny_slow=() tiny_rep=() tiny_impl=() tiny_ns=() tiny_unt=() tiny_cost=()
for _ in $(seq 1 "$TINY_RUNS"); do
  read -r t_off _ s_off _ _ _ _ _ _ < <("$B/tiny_off" "$TINY_N" 24) || fail=1
  read -r t_on z_on s_on o_on ons cpu timed unt zc < <("$B/tiny_on" "$TINY_N" 24) || fail=1
  if [[ -z ${s_on:-} || ${s_off:-x} != "$s_on" ]]; then
    echo "BENCH-FAIL overhead_reported_over_measured_tiny: results differ (${s_off:-} vs ${s_on:-})"; fail=1; break
  fi
  if [[ $z_on != "$TINY_N" ]]; then
    echo "BENCH-FAIL overhead_reported_over_measured_tiny: the profile holds $z_on of $TINY_N zones"; fail=1; break
  fi
  tiny_slow+=("$(pct "$t_on" "$t_off")"); tiny_rep+=("$o_on")
  tiny_impl+=("$(awk -v o="$ons" -v c="$cpu" 'BEGIN{printf "%.6f", (c > o) ? 100 * o / (c - o) : 0}')")
  tiny_unt+=("$unt"); tiny_cost+=("$zc")
  tiny_ns+=("$(awk -v t="$t_off" -v n="$TINY_N" 'BEGIN{printf "%.2f", t / n}')")
done
if [[ ${#tiny_slow[@]} -eq $TINY_RUNS ]]; then
  echo "# tiny: $TINY_N zones, $(median "${tiny_ns[@]}") ns per iteration without fathom; $TINY_RUNS pairs; last run timed $timed calls"
  echo "# tiny: measured slowdown per pair $(list "${tiny_slow[@]}") %"
  echo "# tiny: fathom's overhead_pct per run $(list "${tiny_rep[@]}") %"
  echo "# tiny: fathom's calibrated costs per run: counted-only call $(list "${tiny_unt[@]}") ns, timed zone $(list "${tiny_cost[@]}") ns; the measured slowdown is $(awk -v s="$(median "${tiny_slow[@]}")" -v t="$(median "${tiny_ns[@]}")" 'BEGIN{printf "%.2f", s / 100 * t}') ns per zone"
  echo "BENCH tiny_overhead_pct $(median "${tiny_slow[@]}") %"
  reported_over_measured overhead_reported_over_measured_tiny "$(median "${tiny_rep[@]}")" "$(median "${tiny_slow[@]}")"
fi
