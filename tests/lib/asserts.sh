# tests/lib/asserts.sh: the assertions and the tool runner shared by the shell tests. Needs
# FATHOM (the tool), T (a scratch folder) and the counters pass=0, fail=0; each assertion
# adds one to pass, or prints both sides and adds one to fail.

bad() {   # bad NAME LINE...: one failure with its details
  fail=$((fail + 1))
  printf 'FAIL: %s\n' "$1"
  shift
  local l
  for l in "$@"; do printf '    %s\n' "$l"; done
}
assert_eq() {   # assert_eq NAME EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then pass=$((pass + 1)); else
    bad "$1" "expected: $(printf '%q' "$2")" "actual:   $(printf '%q' "$3")"; fi
}
assert_match() {   # assert_match NAME ERE ACTUAL (a long ACTUAL is shown cut at 3000 bytes)
  if [[ "$3" =~ $2 ]]; then pass=$((pass + 1)); else
    bad "$1" "expected to match: $2" "actual: $(printf '%q' "$3" | head -c 3000)"; fi
}
assert_no_match() {   # assert_no_match NAME ERE ACTUAL
  if [[ "$3" =~ $2 ]]; then bad "$1" "expected NOT to match: $2" "actual: $(printf '%q' "$3" | head -c 3000)"
  else pass=$((pass + 1)); fi
}
assert_no_tmp() {   # assert_no_tmp NAME PATH: no PATH.tmp.* beside PATH
  local left
  left=$(find "$(dirname "$2")" -maxdepth 1 -name "$(basename "$2").tmp.*" 2>/dev/null)
  assert_eq "$1: no temp file left" "" "$left"
}
assert_same_file() {   # assert_same_file NAME EXPECTED_FILE ACTUAL_FILE
  if cmp -s "$2" "$3"; then pass=$((pass + 1)); else
    bad "$1" "expected $2 ($(wc -c <"$2" 2>/dev/null || echo missing) bytes)" \
      "actual   $3 ($(wc -c <"$3" 2>/dev/null || echo missing) bytes)" \
      "first difference: $(cmp "$2" "$3" 2>&1 | head -n 1)"; fi
}
assert_absent() {   # assert_absent NAME PATH: PATH does not exist, nor PATH.tmp.* beside it
  if [[ -e "$2" ]]; then bad "$1: no output file" "expected no file at $2" "actual: $(ls -ld "$2")"
  else pass=$((pass + 1)); fi
  assert_no_tmp "$1" "$2"
}

# run ARGS...: runs the tool (stdin from /dev/null unless IN is set); sets RC, OUT, ERR, NERR
run() {
  "$FATHOM" "$@" <"${IN:-/dev/null}" >"$T/stdout" 2>"$T/stderr"
  RC=$?
  OUT=$(cat "$T/stdout")
  ERR=$(cat "$T/stderr")
  NERR=$(wc -l <"$T/stderr")
  NERR=${NERR// /}
}
