# test_compare.sh: `fathom compare BASE NEW...` on the hand-built profiles of tests/diff_gen.c,
# whose differences are known: each profile's verdict and each cell's judgement must be what
# `fathom diff BASE NEW` says of that pair; a profile identical to the base is unchanged; the
# regression gate exits 3; bad usage exits 2 with nothing on stdout; the HTML view holds the
# same verdicts and judgements (cells coloured by them). Then sampled profiles
# (`fathom run`) of a program of ours whose work is a knob: the same work again reads
# unchanged and passes the gate (three pairs); twice the work in every function (no share
# moves) reads regressed and fails it, in `fathom diff` and `fathom compare` alike.
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

# the HTML view: one page with every profile's name, its verdict (as the text view gives it),
# the cells coloured by their judgement, nothing fetched from the network, tags balanced
"$F" compare base.json same.json new.json --metric mean --format html -o cmp.html
assert_eq "compare --format html: exit status" 0 "$?"
html=$(cat cmp.html 2>/dev/null)
assert_match "html: a page" '^<!DOCTYPE html>.*</html>$' "$(tr -d '\n' <cmp.html)"
for p in base.json same.json new.json; do
  grep -q ">$p<\|>\[[12]\] $p<" cmp.html && pass=$((pass + 1)) || bad "html: names $p" "$(grep -o '<h1>.*' cmp.html | head -3)"
done
assert_match "html: same.json's verdict" '<div class="verdict" id="verdict-1">unchanged: ' "$html"
assert_match "html: new.json's verdict is diff's ($want)" "<div class=\"verdict[a-z ]*\" id=\"verdict-2\">$want: " "$html"
assert_match "html: A's cell is red, +100 % beyond noise" '<td class="worse" [^>]*>[^<]* \+100\.0% \+</td></tr>' "$(grep '<td class="l">A</td>' cmp.html)"
assert_match "html: G's cell is green, -50 % beyond noise" '<td class="better" [^>]*>[^<]* -50\.0% -</td></tr>' "$(grep '<td class="l">G</td>' cmp.html)"
assert_match "html: B's cell is within noise" '<td class="noise" [^>]*>[^<]* ~</td></tr>' "$(grep '<td class="l">B</td>' cmp.html)"
assert_match "html: D is gone in new.json" '\(gone\)</td></tr>' "$(grep '<td class="l">D</td>' cmp.html)"
assert_no_match "html: nothing fetched (no src= or href= to a network address)" '(src|href)="?(https?:)?//' "$html"
for t in table tr td th ol li div script style; do
  o=$(grep -o "<$t[ >]" cmp.html | wc -l)
  c=$(grep -o "</$t>" cmp.html | wc -l)
  [[ $o -eq $c && $o -gt 0 ]] && pass=$((pass + 1)) || bad "html: <$t> tags balanced" "$o opened, $c closed"
done
"$F" compare base.json new.json --fail-on-regression 10 --format html -o gate.html
assert_eq "html: the regression gate still exits 3" 3 "$?"
grep -q 'class="verdict bad" id="verdict-1">FAIL: ' gate.html && pass=$((pass + 1)) || bad "html: the failed gate's verdict" "$(grep -o 'id="verdict-1">[^<]*' gate.html)"
out=$("$F" compare base.json new.json --format xml -o bad.html 2>err.txt)
assert_eq "an unknown format: exit 2" 2 "$?"
assert_match "an unknown format: says which formats exist" "unknown --format value 'xml' \(use text, json or html\)" "$(cat err.txt)"
assert_absent "an unknown format" bad.html
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
# ---- sampled profiles: the run's whole CPU time ------------------------------------------
# CPU time proportional to the first argument (about 0.4 s per unit on an idle machine): a
# uniform slow-down, every function's own CPU time x that factor, no function's share moved
cat >knob.c <<'EOF'
#include <stdlib.h>
static volatile unsigned long sink;
__attribute__((noinline)) static unsigned long spin(unsigned long n, unsigned long x) {
  for (unsigned long i = 0; i < n; i++) {
    x = x * 6364136223846793005ul + 1442695040888963407ul;
    sink = x;
  }
  return x;
}
__attribute__((noinline)) unsigned long burn_a(unsigned long n) { return spin(7 * n, n) ^ n; }
__attribute__((noinline)) unsigned long burn_b(unsigned long n) { return spin(3 * n, n + 1) ^ n; }
int main(int argc, char **argv) {
  unsigned long k = argc > 1 ? strtoul(argv[1], NULL, 10) : 1, s = 0;
  for (int r = 0; r < 20; r++) s += burn_a(k * 1300000) + burn_b(k * 1300000);
  sink = s;
  return 0;
}
EOF
cc -O2 -g -o knob knob.c || { echo "FAIL: cannot build the test program"; exit 1; }
for f in r1 r1b r1c r1d; do
  "$F" run -q -o $f.json -- ./knob 1 || { echo "FAIL: fathom run ./knob 1"; exit 1; }
done
"$F" run -q -o r2.json -- ./knob 2 || { echo "FAIL: fathom run ./knob 2"; exit 1; }
"$F" diff r1.json r2.json --fail-on-regression 10 --format json -o up.json
assert_eq "2x the work: the gate fails (exit 3)" 3 "$?"
assert_match "2x the work: the run's CPU time regressed" \
  '"change":"regressed","gate_failed":true' "$(grep -o '"run_cpu":{[^}]*}' up.json)"
assert_match "2x the work: status regressed" '"verdict":\{"status":"regressed","gate":"fail"' "$(cat up.json)"
cpu=$(grep -o '"sampled_cpu_ns":{[^}]*}' up.json)
assert_match "2x the work: the CPU time is beyond noise" '"judgement":"beyond_noise"' "$cpu"
pct=$(grep -o '"pct":[-0-9.e+]*' <<<"$cpu" | cut -d: -f2)
awk -v p="$pct" 'BEGIN { exit !(p > 60 && p < 160) }' && pass=$((pass + 1)) ||
  bad "2x the work: the CPU time grew about 100 %" "actual: $pct %"
"$F" diff r1.json r2.json --fail-on-regression 10 --color never >up.txt
assert_eq "2x the work, text: exit 3" 3 "$?"
assert_match "2x the work: the verdict line says why" \
  "^FAIL: the run's sampled CPU time grew by [0-9.]+ % \(more than 10 %\), beyond noise" "$(tail -n1 up.txt)"
"$F" diff r2.json r1.json --fail-on-regression 10 --format json -o down.json
assert_eq "half the work: no regression (exit 0)" 0 "$?"
assert_match "half the work: improved" '"status":"improved","gate":"pass"' "$(cat down.json)"
for f in r1b r1c r1d; do
  "$F" diff r1.json $f.json --fail-on-regression 10 --format json -o same.json
  assert_eq "the same work again ($f): passes the gate" 0 "$?"
  assert_match "the same work again ($f): unchanged, the run's CPU time within noise" \
    '"status":"unchanged","gate":"pass".*"run_cpu":\{"change":"none"' "$(cat same.json)"
done
"$F" compare r1.json r1b.json r2.json --fail-on-regression 10 >rc.txt
assert_eq "compare, sampled: the gate fails on 2x the work (exit 3)" 3 "$?"
assert_match "compare, sampled: the same work is unchanged" \
  '^  \[1\] r1b\.json: unchanged — sampled CPU time ([-+][0-9.]+% ~|unchanged),' "$(sed -n 3p rc.txt)"
assert_match "compare, sampled: 2x the work regressed, over the gate" \
  "^  \[2\] r2\.json: regressed — sampled CPU time \+[0-9.]+% \+,.*the run's CPU time over the regression gate" "$(sed -n 4p rc.txt)"
# the figure judged is the program's sampled CPU time: its one process's in the profile
for side in base:r1 new:r2; do
  want=$(sed -n '/^"processes":\[$/,$p' ${side#*:}.json | grep -o '"cpu_ns":[0-9.e+]*' | head -n1 | cut -d: -f2)
  got=$(grep -o "\"${side%%:*}\":[0-9.e+]*" <<<"$cpu" | cut -d: -f2)
  awk -v a="$want" -v b="$got" 'BEGIN { exit !(a > 0 && a == b) }' && pass=$((pass + 1)) ||
    bad "2x the work: the ${side%%:*} run's sampled CPU time is the process's" "process: $want" "judged: $got"
done
echo "compare: $pass passed, $fail failed"
((fail == 0))
