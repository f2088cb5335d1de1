# shellcheck shell=bash disable=SC2034  # sourced by run.sh: fail is its variable
# run_ir.sh: the instruction-count section of bench/run.sh (sourced; uses B, fail, QUICK).
# The figures and their definitions are described at the top of run.sh.
if ! command -v valgrind >/dev/null 2>&1; then
  echo "BENCH-SKIP zone_basic_ir zone_idle_ir cyg_pair_ir cyg_idle_extra_ir: valgrind not installed"
else
  IR_N=${IR_N:-${QUICK:+200000}}; IR_N=${IR_N:-1000000}
  IR_TMP=$(mktemp -d "${TMPDIR:-/tmp}/fathom-ir.XXXXXX")
  : >"$IR_TMP/log"
  # ir_count NAME BINARY ARGS...: instructions collected inside ir_loop_*; the programs' own
  # lines (self-check failures, "#" notes) go to $IR_TMP/log, printed at the end
  ir_count() {
    local name=$1 out="$IR_TMP/out" rc c; shift
    valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='ir_loop_*' "$@" >"$out" 2>&1
    rc=$?
    grep -E '^(BENCH-FAIL|# )' "$out" >>"$IR_TMP/log"
    c=$(awk '/Collected :/ {print $NF}' "$out")
    if [[ $rc -ne 0 || -z $c || $c == 0 ]]; then
      { echo "BENCH-FAIL $name: $* under callgrind: exit $rc, collected '${c}'"; sed -n '1,5p' "$out"; } >>"$IR_TMP/log"
      return 1
    fi
    echo "$c"
  }
  # ir_per NAME BINARY MODE [rot]: instructions per iteration, (count(2N) - count(N)) / N
  ir_per() {
    local name=$1 bin=$2 mode=$3 a b
    a=$(ir_count "$name" "$bin" "$mode" "$IR_N" ${4:+"$4"}) || return 1
    b=$(ir_count "$name" "$bin" "$mode" $((2 * IR_N)) ${4:+"$4"}) || return 1
    awk -v a="$a" -v b="$b" -v n="$IR_N" 'BEGIN{printf "%.3f", (b - a) / n}'
  }
  ir_fig() {  # ir_fig NAME VALUE GOAL_MAX (GOAL_MAX "-": none)
    echo "BENCH $1 $2 instructions"
    if [[ $3 != - ]] && ! awk -v v="$2" -v g="$3" 'BEGIN{exit !(v <= g + 0.05)}'; then
      echo "# goal missed: $1 = $2 instructions (goal <= $3)"
    fi
  }
  ok=1
  plain=$(ir_per zone_basic_ir "$B/ir_zone" plain) || ok=0
  idle=$(ir_per zone_idle_ir "$B/ir_zone" idle) || ok=0
  basic=$(ir_per zone_basic_ir "$B/ir_zone" basic) || ok=0
  if [[ $ok == 1 ]]; then
    echo "# ir: loop without zones $plain instructions per iteration; callgrind, N = $IR_N and $((2 * IR_N))"
    ir_fig zone_basic_ir "$(awk -v a="$basic" -v b="$plain" 'BEGIN{printf "%.2f", a - b}')" 60
    ir_fig zone_idle_ir "$(awk -v a="$idle" -v b="$plain" 'BEGIN{printf "%.2f", a - b}')" 5
  else
    fail=1
  fi
  ok=1
  e1=$(ir_per cyg_pair_ir "$B/ir_cyg_empty" idle) || ok=0
  f0=$(ir_per cyg_idle_extra_ir "$B/ir_cyg_fathom" idle) || ok=0
  f1=$(ir_per cyg_pair_ir "$B/ir_cyg_fathom" basic) || ok=0
  e4=$(ir_per cyg_pair_rotating_ir "$B/ir_cyg_empty" idle rot) || ok=0
  f4=$(ir_per cyg_pair_rotating_ir "$B/ir_cyg_fathom" basic rot) || ok=0
  if [[ $ok == 1 ]]; then
    echo "# ir: leaf call with empty hooks $e1 instructions per iteration (four leaves in turn: $e4)"
    ir_fig cyg_pair_ir "$(awk -v a="$f1" -v b="$e1" 'BEGIN{printf "%.2f", a - b}')" 70
    ir_fig cyg_idle_extra_ir "$(awk -v a="$f0" -v b="$e1" 'BEGIN{printf "%.2f", a - b}')" 8
    ir_fig cyg_pair_rotating_ir "$(awk -v a="$f4" -v b="$e4" 'BEGIN{printf "%.2f", a - b}')" -
  else
    fail=1
  fi
  sort -u "$IR_TMP/log"
  grep -q '^BENCH-FAIL' "$IR_TMP/log" && fail=1
  rm -rf "$IR_TMP"
fi
