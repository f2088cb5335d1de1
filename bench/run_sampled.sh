# shellcheck shell=bash disable=SC2034  # sourced by run.sh: fail is its variable
# run_sampled.sh: the `fathom run` section of bench/run.sh (sourced; uses B, fail, QUICK,
# HERE; needs the Lua build of the lua section, built here when missing):
#   run_wall_ratio          Lua's plain build (-O2, no frame pointers) under `fathom run` at
#                           1 kHz against the same build alone: wall time, the fastest of
#                           ROUNDS interleaved runs each (goal: <= 1.03)
#   perf_record_wall_ratio  the same under `perf record -e cpu-clock -F 1000 --call-graph
#                           dwarf` (for comparison)
#   run_selftime_vs_perf_max_rel_err, _median_  the self time of every function above 5 % of
#                           the samples, `fathom run --no-inline` against `perf record`
#                           sampling the very same run (perf runs fathom, whose program it
#                           follows): |fathom share - perf share| / perf share (goal: every one
#                           <= 0.15). Lua hashes strings with a seed drawn per run, so two runs
#                           differ by more than the sampling error: only one run is fair.
#   run_stack_depth_vs_perf_ratio  frames per sample without frame pointers (inlined functions
#                           left out), fathom against perf --call-graph dwarf (goal: >= 0.97);
#   run_stacks_reaching_main  the share of fathom's samples whose stack reaches main
RUN_ROUNDS=${RUN_ROUNDS:-${QUICK:+2}}; RUN_ROUNDS=${RUN_ROUNDS:-5}
RUN_SCALE=${RUN_SCALE:-${QUICK:+0.3}}; RUN_SCALE=${RUN_SCALE:-1}
run_names="run_wall_ratio perf_record_wall_ratio run_selftime_vs_perf_max_rel_err run_selftime_vs_perf_median_rel_err run_stack_depth_vs_perf_ratio run_stacks_reaching_main"

sampled_section() {
  local L RT rc
  RT=$B/bench-lua/sampled
  L=$(bash "$HERE/lua/build.sh" "$B" 2>"$B/bench-lua/build.log"); rc=$?
  if [[ $rc -eq 3 ]]; then echo "BENCH-SKIP $run_names: the Lua sources could not be had"; return 0; fi
  if [[ $rc -ne 0 ]]; then echo "BENCH-FAIL run: building Lua failed"; fail=1; return 0; fi
  rm -rf "$RT"; mkdir -p "$RT"
  local LP=$L/lua-plain W=$HERE/lua/work.lua
  local have_perf=0
  command -v perf >/dev/null 2>&1 &&
    perf record -q -e cpu-clock -F 1000 --call-graph dwarf -o "$RT/probe.data" -- true >/dev/null 2>&1 && have_perf=1
  rm -f "$RT/probe.data"
  # wall: plain, fathom run, perf record, interleaved; the fastest of each
  local r t0 bp=999 bf=999 bq=999 want="" got
  for r in $(seq 1 "$RUN_ROUNDS"); do
    t0=${EPOCHREALTIME/,/.}; got=$("$LP" "$W" "$RUN_SCALE"); bp=$(awk -v b="$bp" -v a="$t0" -v n="${EPOCHREALTIME/,/.}" 'BEGIN{t=n-a; print (t<b?t:b)}')
    [[ -z $want ]] && want=$got
    t0=${EPOCHREALTIME/,/.}; got=$("$B/fathom" run -q -o "$RT/run.json" -- "$LP" "$W" "$RUN_SCALE"); bf=$(awk -v b="$bf" -v a="$t0" -v n="${EPOCHREALTIME/,/.}" 'BEGIN{t=n-a; print (t<b?t:b)}')
    [[ $got == "$want" ]] || { echo "BENCH-FAIL run_wall_ratio: Lua under fathom run printed '$got', alone '$want'"; fail=1; return 0; }
    if [[ $have_perf == 1 ]]; then
      rm -f "$RT/perf.data"
      t0=${EPOCHREALTIME/,/.}; perf record -q -e cpu-clock -F 1000 --call-graph dwarf -o "$RT/perf.data" -- "$LP" "$W" "$RUN_SCALE" >/dev/null 2>&1
      bq=$(awk -v b="$bq" -v a="$t0" -v n="${EPOCHREALTIME/,/.}" 'BEGIN{t=n-a; print (t<b?t:b)}')
    fi
  done
  "$B/fathom" check "$RT/run.json" >/dev/null 2>&1 || { echo "BENCH-FAIL run_wall_ratio: fathom check failed on the profile"; fail=1; }
  local v
  v=$(awk -v a="$bf" -v b="$bp" 'BEGIN{printf "%.4f", a / b}')
  echo "BENCH run_wall_ratio $v x"
  echo "# run: Lua scale $RUN_SCALE, fastest of $RUN_ROUNDS: alone $bp s, fathom run $bf s$([[ $have_perf == 1 ]] && echo ", perf record $bq s")"
  awk -v v="$v" 'BEGIN{exit !(v <= 1.03)}' || echo "# goal missed: run_wall_ratio = $v (goal: <= 1.03)"
  if [[ $have_perf != 1 ]]; then
    echo "BENCH-SKIP perf_record_wall_ratio run_selftime_vs_perf_max_rel_err run_selftime_vs_perf_median_rel_err run_stack_depth_vs_perf_ratio run_stacks_reaching_main: perf record does not work here"
    return 0
  fi
  echo "BENCH perf_record_wall_ratio $(awk -v a="$bq" -v b="$bp" 'BEGIN{printf "%.4f", a / b}') x"
  # self time against perf on the same run
  perf record -q -e cpu-clock:u -F 2000 -o "$RT/nest.data" -- "$B/fathom" run -q --no-inline -F 2000 -o "$RT/nest.json" -- "$LP" "$W" "$RUN_SCALE" >/dev/null 2>&1
  perf report -i "$RT/nest.data" --comm lua-plain --percentage relative --sort symbol --stdio 2>/dev/null |
    awk '$1 ~ /%$/ && $2 == "[.]" {sub(/%/, "", $1); print "P", $3, $1}' >"$RT/cmp.txt"
  rm -f "$RT/nest.data"
  "$B/fathom" report "$RT/nest.json" --format folded |
    awk '{w = $NF; p = substr($0, 1, length($0) - length(w) - 1); n = split(p, fr, ";"); l = fr[n]
          sub(/ \[[^]]*\]$/, "", l); s[l] += w; t += w}
         END {for (k in s) printf "F %s %.4f\n", k, 100 * s[k] / t}' >>"$RT/cmp.txt"
  local res
  res=$(awk '$1 == "P" {P[$2] = $3} $1 == "F" {F[$2] = $3}
             END {n = 0; max = 0
                  for (k in P) if (P[k] >= 5) { e = (F[k] > P[k] ? F[k] - P[k] : P[k] - F[k]) / P[k]
                    err[++n] = e; if (e > max) max = e
                    printf "# %-24s perf %6.2f %%  fathom %6.2f %%  err %.3f\n", k, P[k], F[k] + 0, e }
                  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (err[j] < err[i]) { x = err[i]; err[i] = err[j]; err[j] = x }
                  med = n ? (n % 2 ? err[(n + 1) / 2] : (err[n / 2] + err[n / 2 + 1]) / 2) : -1
                  printf "R %.4f %.4f %d\n", n ? max : -1, med, n}' "$RT/cmp.txt")
  local max med n
  read -r _ max med n <<<"$(grep '^R' <<<"$res")"
  if [[ ${n:-0} -lt 1 ]]; then echo "BENCH-FAIL run_selftime_vs_perf_max_rel_err: no function above 5 % in perf's report"; fail=1; return 0; fi
  # stack depth: frames per sample (functions, inlined ones left out), fathom's profile of the
  # run above against perf's --call-graph dwarf of the last wall round, and the share of the
  # samples whose stack reaches main
  local pd fd
  pd=$(perf script -i "$RT/perf.data" -F comm,ip,sym --no-inline 2>/dev/null |
       awk 'NF == 0 { if (d) { n++; s += d; if (m) mm++ } d = 0; m = 0; next }
            $1 == "lua-plain" { next } { d++; if ($2 == "main") m = 1 }
            END { if (n) printf "%.4f %.4f", s / n, mm / n }')
  fd=$("$B/fathom" report "$RT/nest.json" --format folded |
       awk '{ w = $NF; p = substr($0, 1, length($0) - length(w) - 1); k = split(p, fr, ";")
              s += k * w; t += w; if (p ~ /(^|;)main(;|$)/) m += w }
            END { if (t) printf "%.4f %.4f", s / t, m / t }')
  rm -f "$RT/perf.data"
  if [[ -n $pd && -n $fd ]]; then
    echo "BENCH run_stack_depth_vs_perf_ratio $(awk -v f="${fd% *}" -v p="${pd% *}" 'BEGIN{printf "%.4f", f / p}') ratio"
    echo "BENCH run_stacks_reaching_main ${fd#* } ratio"
    echo "# stack depth: fathom ${fd% *} frames per sample (${fd#* } reach main), perf --call-graph dwarf ${pd% *} (${pd#* })"
    awk -v f="${fd% *}" -v p="${pd% *}" 'BEGIN{exit !(f / p >= 0.97)}' ||
      echo "# goal missed: fathom's stacks are shallower than perf's (${fd% *} vs ${pd% *} frames)"
  else
    echo "BENCH-FAIL run_stack_depth_vs_perf_ratio: no stacks to compare (perf script or the folded view gave none)"; fail=1
  fi
  echo "BENCH run_selftime_vs_perf_max_rel_err $max ratio"
  echo "BENCH run_selftime_vs_perf_median_rel_err $med ratio"
  echo "# run_selftime_vs_perf: the $n functions above 5 % of perf's samples of the same run (both at 2 kHz):"
  grep '^#' <<<"$res"
  awk -v v="$max" 'BEGIN{exit !(v <= 0.15)}' || echo "# goal missed: run_selftime_vs_perf_max_rel_err = $max (goal: <= 0.15)"
}
sampled_section
