# test_compare.sh: `fathom compare BASE NEW...` on the hand-built profiles of tests/diff_gen.c,
# whose differences are known: each profile's verdict and each cell's judgement must be what
# `fathom diff BASE NEW` says of that pair; a profile identical to the base is unchanged; the
# regression gate exits 3; bad usage exits 2 with nothing on stdout.
set -u
B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
. "$SRC/tests/lib/asserts.sh"
F=$B/fathom
T=$(mktemp -d "${FATHOM_TEST_TMP:-/tmp}/compare.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
export LC_ALL=C
pass=0
fail=0
case "$(sed -n 's/^FATHOM_SANITIZE:[A-Z]*=//p' "$B/CMakeCache.txt" | head -n1)" in
  address) gen_flags=(-fsanitize=address,undefined) ;;
  thread) gen_flags=(-fsanitize=thread) ;;
  *) gen_flags=() ;;
esac
cc -std=gnu11 ${gen_flags[@]+"${gen_flags[@]}"} -I"$SRC/include" "$SRC/tests/diff_gen.c" \
  "$B/libfathom.a" -lpthread -lm -ldl -o diff_gen 2>gen.err ||
  { echo "FAIL: cannot build tests/diff_gen.c: $(head -n 5 gen.err)"; exit 1; }
./diff_gen base base.json && ./diff_gen new new.json && cp base.json same.json ||
  { echo "FAIL: cannot make the test profiles"; exit 1; }

"$F" compare base.json same.json new.json --metric mean >cmp.txt
assert_eq "compare: exit status" 0 "$?"
grep -q "^  \[1\] same.json: unchanged" cmp.txt || { echo "FAIL: the copy of the base is not unchanged: $(sed -n 3p cmp.txt)"; fail=1; }
want=$("$F" diff base.json new.json --format json | grep -o '"status":"[a-z]*"' | head -1 | cut -d'"' -f4)
grep -q "^  \[2\] new.json: $want" cmp.txt || { echo "FAIL: new.json's verdict is not diff's ($want): $(sed -n 4p cmp.txt)"; fail=1; }
# A: every call 2x slower, beyond noise; G: 2x faster; B: within noise (diff_gen.c)
grep -E "^  A .* \+100\.0% \+" cmp.txt >/dev/null || { echo "FAIL: A is not +100 % beyond noise: $(grep '^  A ' cmp.txt)"; fail=1; }
grep -E "^  G .* -50\.0% -" cmp.txt >/dev/null || { echo "FAIL: G is not -50 % beyond noise: $(grep '^  G ' cmp.txt)"; fail=1; }
grep -E "^  B .* ~$" cmp.txt >/dev/null || { echo "FAIL: B is not within noise: $(grep '^  B ' cmp.txt)"; fail=1; }
grep -E "^  D .*\(gone\)" cmp.txt >/dev/null || { echo "FAIL: D (only in the base) is not gone in new.json: $(grep '^  D ' cmp.txt)"; fail=1; }

"$F" compare base.json same.json new.json --format json -o cmp.json
assert_eq "compare --format json: exit status" 0 "$?"
grep -q '"format":"fathom-compare"' cmp.json || { echo "FAIL: the JSON has no format member"; fail=1; }
grep -q '^{"name":"A",.*"values":\[{"value":[0-9.e+]*,"pct":0,"judge":"unchanged"},{"value":[0-9.e+]*,"pct":100[.0-9]*,"judge":"beyond_noise"}\]}' cmp.json ||
  { echo "FAIL: A's JSON cells: $(grep '"name":"A"' cmp.json)"; fail=1; }

"$F" compare base.json new.json --fail-on-regression 10 >/dev/null
assert_eq "the regression gate: exit 3" 3 "$?"
"$F" compare base.json same.json --fail-on-regression 10 >/dev/null
assert_eq "no regression: exit 0" 0 "$?"

out=$("$F" compare base.json 2>err.txt)
assert_eq "one profile only: exit 2" 2 "$?"
assert_eq "one profile only: stdout empty" "" "$out"
out=$("$F" compare base.json missing.json 2>err.txt)
assert_eq "a missing file: exit 2" 2 "$?"
grep -q "missing.json" err.txt || { echo "FAIL: the error does not name the missing file: $(cat err.txt)"; fail=1; }
out=$("$F" compare --metric speed base.json new.json 2>err.txt)
assert_eq "an unknown metric: exit 2" 2 "$?"
"$F" compare base.json new.json -o sub/x.txt 2>/dev/null
[[ -e sub/x.txt ]] && { echo "FAIL: an output in a missing folder was written"; fail=1; }
echo "compare: $pass passed, $fail failed"
((fail == 0))
