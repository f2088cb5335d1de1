# shellcheck shell=bash disable=SC2034  # sourced by run.sh: fail is its variable
# run_lua.sh: the Lua section of bench/run.sh (sourced; uses B, fail, QUICK, HERE and
# run.sh's helpers). The figures and their definitions are described at the top of run.sh.
LUA_SCALE=${LUA_SCALE:-${QUICK:+0.3}}; LUA_SCALE=${LUA_SCALE:-1}
LUA_ROUNDS=${LUA_ROUNDS:-${QUICK:+3}}; LUA_ROUNDS=${LUA_ROUNDS:-5}
LUA_PERF_FREQ=${LUA_PERF_FREQ:-8000}
LW=$HERE/lua/work.lua
lua_names="lua_idle_ratio lua_profiled_ratio lua_empty_hooks_ratio overhead_reported_over_measured_lua selftime_top10_max_rel_err selftime_top10_median_rel_err selftime_top10_same_run_max_rel_err"
now_s() { local t=${EPOCHREALTIME/,/.}; echo "$t"; }
# lua_run OUT BINARY [VAR=VALUE...]: the workload under argv[0] "lua" (the same strings, so
# the same garbage collection, in every build) with no FATHOM variables but those given;
# sets LUA_T (wall seconds); returns the program's status
lua_run() {
  local out=$1 bin=$2 t0 rc; shift 2
  t0=$(now_s)
  ( unset FATHOM FATHOM_OUT FATHOM_LEVEL FATHOM_GOVERNOR
    for kv in "$@"; do export "${kv?}"; done
    exec -a lua "$bin" "$LW" "$LUA_SCALE" ) >"$out" 2>"$out.err"
  rc=$?
  LUA_T=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN{printf "%.6f", b - a}')
  return $rc
}
# mval FILE KEY: a meta value from bench_profile_query's output
mval() { awk -F'\t' -v k="$2" '$1 == "M" && $2 == k {print $3}' "$1"; }

lua_section() {
  local L LT rc want_sum r
  LT=$B/bench-lua/run
  mkdir -p "$B/bench-lua"
  L=$(bash "$HERE/lua/build.sh" "$B" 2>"$B/bench-lua/build.log"); rc=$?
  if [[ $rc -eq 3 ]]; then
    echo "BENCH-SKIP $lua_names: the Lua sources could not be had ($(tail -1 "$B/bench-lua/build.log"))"
    return 0
  elif [[ $rc -ne 0 ]]; then
    echo "BENCH-FAIL lua: building Lua failed (see $B/bench-lua/build.log):"; tail -5 "$B/bench-lua/build.log" | sed 's/^/#   /'
    fail=1; return 0
  fi
  rm -rf "$LT"; mkdir -p "$LT"
  if ! [[ -x $B/bench_profile_query ]]; then echo "BENCH-FAIL lua: $B/bench_profile_query missing"; fail=1; return 0; fi

  # the documented link (objects, libfathom.a, -lpthread -ldl -lm) must start a session from
  # the environment; when it does not, say so and measure the build that pulls it in by hand
  local LF=$L/lua-fathom
  ( unset FATHOM; export FATHOM_OUT=$LT/link.json; exec -a lua "$LF" -e "" ) >/dev/null 2>&1
  if [[ ! -s $LT/link.json ]]; then
    echo "BENCH-FAIL lua_link: FATHOM_OUT wrote no profile: Lua linked as documented (objects, then libfathom.a -lpthread -ldl -lm) left fathom's session code (its FATHOM/FATHOM_OUT constructor) out of the link; measured with -Wl,-u,fathom_session_begin instead"
    fail=1
    LF=$L/lua-fathom-u
  fi

  # rounds of interleaved runs
  local tp te ti tf cs pq
  local r_idle=() r_prof=() r_empty=() r_profp=() slow_e=() slow_p=() rep=() t_plain=() summ=()
  want_sum=""
  for r in $(seq 1 "$LUA_ROUNDS"); do
    lua_run "$LT/plain.out" "$L/lua-plain" || { echo "BENCH-FAIL lua: the plain build failed"; fail=1; return 0; }
    tp=$LUA_T
    lua_run "$LT/empty.out" "$L/lua-empty" || { echo "BENCH-FAIL lua: the empty-hooks build failed"; fail=1; return 0; }
    te=$LUA_T
    lua_run "$LT/idle.out" "$LF" || { echo "BENCH-FAIL lua: the fathom build (no session) failed"; fail=1; return 0; }
    ti=$LUA_T
    lua_run "$LT/prof.out" "$LF" "FATHOM_OUT=$LT/prof-$r.json" || { echo "BENCH-FAIL lua: the profiled run failed: $(tail -2 "$LT/prof.out.err")"; fail=1; return 0; }
    tf=$LUA_T
    [[ -z $want_sum ]] && want_sum=$(cat "$LT/plain.out")
    for v in plain empty idle prof; do
      cs=$(cat "$LT/$v.out")
      if [[ $cs != "$want_sum" || $cs != checksum* ]]; then
        echo "BENCH-FAIL lua: results differ ($v: '$cs', plain: '$want_sum')"; fail=1; return 0
      fi
    done
    pq=$LT/prof-$r.txt
    if ! "$B/bench_profile_query" "$LT/prof-$r.json" >"$pq" 2>"$pq.err"; then
      echo "BENCH-FAIL lua: the profile does not load: $(cat "$pq.err")"; fail=1; return 0
    fi
    r_idle+=("$(awk -v a="$ti" -v b="$te" 'BEGIN{printf "%.4f", a / b}')")
    r_prof+=("$(awk -v a="$tf" -v b="$te" 'BEGIN{printf "%.4f", a / b}')")
    r_profp+=("$(awk -v a="$tf" -v b="$tp" 'BEGIN{printf "%.4f", a / b}')")
    r_empty+=("$(awk -v a="$te" -v b="$tp" 'BEGIN{printf "%.4f", a / b}')")
    slow_e+=("$(pct "$tf" "$te")"); slow_p+=("$(pct "$tf" "$tp")")
    rep+=("$(mval "$pq" overhead_pct)")
    t_plain+=("$tp")
    summ+=("$(printf '%s plain %.3f empty %.3f idle %.3f profiled %.3f s' "$r" "$tp" "$te" "$ti" "$tf")")
  done
  local p1=$LT/prof-1.txt
  # self-check: the profile holds every call (counting hooks on the same objects)
  lua_run "$LT/count.out" "$L/lua-count" "BENCH_COUNT_OUT=$LT/count.txt" || { echo "BENCH-FAIL lua: the counting build failed"; fail=1; return 0; }
  local counted held dropped
  counted=$(awk '{print $2}' "$LT/count.txt" 2>/dev/null)
  held=$(awk -F'\t' '$1 == "Z" && $2 == "function" {s += $3} END {printf "%.0f", s}' "$p1")
  dropped=$(mval "$p1" dropped_zones)
  if [[ -z $counted ]] || ! awk -v a="$held" -v b="$counted" 'BEGIN{d = a - b; if (d < 0) d = -d; exit !(b > 0 && d <= 1e-5 * b)}'; then
    echo "BENCH-FAIL lua: the profile holds $held calls, the counting hooks counted ${counted:-nothing}"; fail=1
  fi
  if [[ ${dropped:-0} != 0 ]]; then echo "BENCH-FAIL lua: the profile dropped $dropped calls"; fail=1; fi

  echo "# lua: $LUA_ROUNDS rounds at scale $LUA_SCALE (bench/lua/work.lua), plain build median $(median "${t_plain[@]}") s; fathom build: $(basename "$LF")"
  printf '# lua: round %s\n' "${summ[@]}"
  echo "# lua: profile holds $held calls (counting hooks: $counted), $(mval "$p1" n_timed) timed, $(mval "$p1" n_nodes) call-tree nodes, $(mval "$p1" n_gov_actions) governor actions"
  echo "# lua: time_every of the function zones (zones x interval): $(awk -F'\t' '$1 == "Z" && $2 == "function" {n[$9]++} END {for (k in n) printf "%s x %s, ", n[k], k}' "$p1")"
  echo "# lua: fathom's costs: hook $(mval "$p1" hook_cost_ns) ns timed, $(mval "$p1" hook_untimed_cost_ns) ns counted, $(mval "$p1" hook_special_cost_ns) ns special; fixed $(awk -v f="$(mval "$p1" fixed_cost_ns)" 'BEGIN{printf "%.0f", f / 1e6}') ms (setup $(awk -v f="$(mval "$p1" setup_ns)" 'BEGIN{printf "%.1f", f / 1e6}'), background thread $(awk -v f="$(mval "$p1" monitor_cpu_ns)" 'BEGIN{printf "%.0f", f / 1e6}'), build $(awk -v f="$(mval "$p1" build_ns)" 'BEGIN{printf "%.0f", f / 1e6}') ms); profile $(stat -c %s "$LT/prof-1.json") bytes"
  echo "# lua: ratios per round: idle $(list "${r_idle[@]}"); profiled $(list "${r_prof[@]}"); empty/plain $(list "${r_empty[@]}")"
  local v
  v=$(median "${r_idle[@]}"); echo "BENCH lua_idle_ratio $v x"; ratio_goal lua_idle_ratio "$v" 0 1.1
  v=$(median "${r_prof[@]}"); echo "BENCH lua_profiled_ratio $v x"; ratio_goal lua_profiled_ratio "$v" 0 1.5
  echo "BENCH lua_empty_hooks_ratio $(median "${r_empty[@]}") x"
  echo "BENCH lua_profiled_over_plain_ratio $(median "${r_profp[@]}") x"
  echo "# lua: fathom's overhead_pct per run $(list "${rep[@]}") %; measured slowdown vs empty hooks $(list "${slow_e[@]}") %"
  reported_over_measured overhead_reported_over_measured_lua "$(median "${rep[@]}")" "$(median "${slow_e[@]}")"
  v=$(awk -v a="$(median "${rep[@]}")" -v b="$(median "${slow_p[@]}")" 'BEGIN{if (b > 0) printf "%.4f", a / b; else print "nan"}')
  echo "BENCH overhead_reported_over_measured_lua_plain $v ratio"
  echo "# overhead_reported_over_measured_lua_plain: against the plain build (slowdown $(median "${slow_p[@]}") %), for information"

  # self times against perf on the empty-hooks build
  if ! command -v perf >/dev/null 2>&1; then
    echo "BENCH-SKIP selftime_top10_max_rel_err selftime_top10_median_rel_err: perf not installed"; return 0
  fi
  local ev=""
  for e in cpu-clock cpu-clock:u; do
    if perf record -q -e "$e" -F "$LUA_PERF_FREQ" --call-graph dwarf,2048 -o "$LT/probe.data" -- true >/dev/null 2>&1; then ev=$e; break; fi
  done
  rm -f "$LT/probe.data"
  if [[ -z $ev ]]; then
    echo "BENCH-SKIP selftime_top10_max_rel_err selftime_top10_median_rel_err: perf record -e cpu-clock --call-graph dwarf does not work here (perf_event_paranoid $(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null))"
    return 0
  fi
  # perf_attrib VARIANT: perf on lua-VARIANT, its samples attributed (perf_self.awk) into
  # $LT/perf_VARIANT.txt; returns 1 (and says why) when that did not work
  perf_attrib() {
    ( exec -a lua perf record -q -e "$ev" -F "$LUA_PERF_FREQ" --call-graph dwarf,2048 -o "$LT/perf.data" -- "$L/lua-$1" "$LW" "$LUA_SCALE" ) >"$LT/perf.out" 2>"$LT/perf.err"
    if [[ $(cat "$LT/perf.out") != "$want_sum" ]]; then
      echo "BENCH-FAIL selftime_top10_max_rel_err: lua-$1 under perf printed '$(cat "$LT/perf.out")' $(tail -1 "$LT/perf.err")"; fail=1; return 1
    fi
    perf script -i "$LT/perf.data" -F ip,sym,dso 2>/dev/null | awk -v bin="lua-$1" -f "$HERE/lua/perf_self.awk" >"$LT/perf_$1.txt"
    rm -f "$LT/perf.data"
    local n; n=$(awk '$1 == "T" {print $6}' "$LT/perf_$1.txt")
    if [[ -z $n || $n -lt 1000 ]]; then
      echo "BENCH-FAIL selftime_top10_max_rel_err: perf recorded ${n:-no} samples of lua-$1"; fail=1; return 1
    fi
  }
  perf_attrib empty || return 0
  local tl res all per_round=""
  tl=$(awk '$1 == "T"' "$LT/perf_empty.txt")
  all=$(awk '{print $6}' <<<"$tl")
  echo "# selftime: perf record -e $ev -F $LUA_PERF_FREQ --call-graph dwarf,2048 on lua-empty: $all samples; $(awk '{printf "%.1f %% in the empty hooks (left out), %.1f %% in libc and the like (given to the calling function), %.1f %% with no frame of the program (left out)", 100 * $3 / $6, 100 * $4 / $6, 100 * $5 / $6}' <<<"$tl")"
  for r in $(seq 1 "$LUA_ROUNDS"); do
    res=$(awk -v mode=S -f "$HERE/lua/selftime.awk" "$LT/prof-$r.txt" "$LT/perf_empty.txt" | awk '$1 == "R" {print $2}')
    per_round+=" $res"
  done
  res=$(awk -v mode=S -f "$HERE/lua/selftime.awk" "$p1" "$LT/perf_empty.txt")
  read -r _ v med _ pc fc _ <<<"$(grep '^R' <<<"$res")"
  if [[ $v == nan ]]; then echo "BENCH-FAIL selftime_top10_max_rel_err: no function in both profiles"; fail=1; return 0; fi
  echo "# selftime: fathom's profile of round 1 (BASIC, governor on) against perf; normalised over the functions in both ($(awk -v a="$pc" -v b="$fc" 'BEGIN{printf "%.1f %% of perf'"'"'s attributed samples, %.1f %% of fathom'"'"'s self time", 100 * a, 100 * b}'))"
  grep '^#' <<<"$res"
  echo "BENCH selftime_top10_max_rel_err $v ratio"
  echo "BENCH selftime_top10_median_rel_err $med ratio"
  awk -v v="$v" 'BEGIN{exit !(v <= 0.25)}' || echo "# goal missed: selftime_top10_max_rel_err = $v (goal: every one <= 0.25)"
  echo "# selftime: max rel err with the profile of each round:$per_round"
  # a profile with every call timed (governor off): sampling apart from the cost correction
  if lua_run "$LT/nogov.out" "$LF" "FATHOM_OUT=$LT/nogov.json" FATHOM_GOVERNOR=0 &&
     "$B/bench_profile_query" "$LT/nogov.json" >"$LT/nogov.txt" 2>/dev/null; then
    res=$(awk -v mode=S -f "$HERE/lua/selftime.awk" "$LT/nogov.txt" "$LT/perf_empty.txt")
    read -r _ v med _ <<<"$(grep '^R' <<<"$res")"
    echo "BENCH selftime_top10_nogov_max_rel_err $v ratio"
    echo "BENCH selftime_top10_nogov_median_rel_err $med ratio"
    echo "# selftime_top10_nogov_*: the same with a profile taken with the governor off (every call timed, $(printf '%.1f' "$LUA_T") s, overhead_pct $(mval "$LT/nogov.txt" overhead_pct)):"
    grep '^#' <<<"$res"
  else
    echo "BENCH-FAIL selftime_top10_nogov_max_rel_err: the run with FATHOM_GOVERNOR=0 failed"; fail=1
  fi
  # the run fathom profiles is itself slower in places (its hooks evict the program's data
  # and code from the caches: l_alloc's malloc takes a larger share): perf on that very run,
  # fathom's own code left out, says whether fathom's figures are true of the run they describe
  nm --defined-only "$B/libfathom.a" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[tT]$/ {sub(/\..*/, "", $3); print $3}' | sort -u >"$LT/own.txt"
  if ( export FATHOM_OUT=$LT/same.json; exec -a lua perf record -q -e "$ev" -F "$LUA_PERF_FREQ" --call-graph dwarf,2048 -o "$LT/perf.data" -- "$LF" "$LW" "$LUA_SCALE" ) >"$LT/same.out" 2>"$LT/same.err" &&
     [[ $(cat "$LT/same.out") == "$want_sum" ]] && "$B/bench_profile_query" "$LT/same.json" >"$LT/same.txt" 2>/dev/null; then
    perf script -i "$LT/perf.data" -F ip,sym,dso 2>/dev/null | awk -v bin="$(basename "$LF")" -v own="$LT/own.txt" -f "$HERE/lua/perf_self.awk" >"$LT/perf_same.txt"
    rm -f "$LT/perf.data"
    res=$(awk -v mode=S -f "$HERE/lua/selftime.awk" "$LT/same.txt" "$LT/perf_same.txt")
    read -r _ v med _ <<<"$(grep '^R' <<<"$res")"
    echo "BENCH selftime_top10_same_run_max_rel_err $v ratio"
    echo "BENCH selftime_top10_same_run_median_rel_err $med ratio"
    echo "# selftime_top10_same_run_*: fathom's profile against perf recording the same profiled run ($(awk '$1 == "T" {printf "%d samples, %.1f %% in fathom'"'"'s hooks and code, left out", $6, 100 * $3 / $6}' "$LT/perf_same.txt")):"
    grep '^#' <<<"$res"
  else
    rm -f "$LT/perf.data"
    echo "BENCH-FAIL selftime_top10_same_run_max_rel_err: the profiled run under perf failed: $(tail -1 "$LT/same.err")"; fail=1
  fi
  res=$(awk -v mode=L -f "$HERE/lua/selftime.awk" "$p1" "$LT/perf_empty.txt")
  read -r _ v med _ <<<"$(grep '^R' <<<"$res")"
  echo "BENCH selftime_top10_sym_max_rel_err $v ratio"
  echo "BENCH selftime_top10_sym_median_rel_err $med ratio"
  echo "# selftime_top10_sym_*: against perf's shares by the sample's own symbol (perf report --sort symbol: inlined functions in their callers, libc apart), for comparison"
  # the same attribution on the plain build: no instrumentation's calls inside small
  # functions (which perf counts in their self time on the empty-hooks build), but other
  # inlining and tail calls (a function ending in a call to libc is not on the stack)
  perf_attrib plain || return 0
  res=$(awk -v mode=S -f "$HERE/lua/selftime.awk" "$p1" "$LT/perf_plain.txt")
  read -r _ v med _ <<<"$(grep '^R' <<<"$res")"
  echo "BENCH selftime_top10_vs_plain_max_rel_err $v ratio"
  echo "BENCH selftime_top10_vs_plain_median_rel_err $med ratio"
  echo "# selftime_top10_vs_plain_*: the same against perf on the plain build (for information: other inlining, tail calls):"
  grep '^#' <<<"$res"
}
lua_section
