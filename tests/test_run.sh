# test_run.sh: `fathom run` on programs of our own whose hot spots are known: a program that
# spends about 70 % of its CPU in one function and 30 % in another, built with -O2 and no
# frame pointers, with and without debug information, dynamically and statically linked;
# one that forks and execs; the program's output, exit status and signals passing through;
# bad usage. The verdicts come from the profile itself (folded stacks and `fathom check`).
set -u
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
. "$SRC/tests/lib/asserts.sh"
F=$B/fathom
T=$(mktemp -d "${FATHOM_TEST_TMP:-/tmp}/run.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

cat >hot.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
static volatile unsigned long sink;
/* a loop of n dependent steps through memory: CPU time proportional to n */
__attribute__((noinline)) static unsigned long spin(unsigned long n, unsigned long x) {
  for (unsigned long i = 0; i < n; i++) {
    x = x * 6364136223846793005ul + 1442695040888963407ul;
    sink = x;
  }
  return x;
}
/* the xor after the call keeps each caller's frame (no tail call) */
__attribute__((noinline)) unsigned long burn_a(unsigned long n) { return spin(7 * n, n) ^ n; }
__attribute__((noinline)) unsigned long burn_b(unsigned long n) { return spin(3 * n, n + 1) ^ n; }
__attribute__((noinline)) unsigned long work(unsigned long n) {
  unsigned long s = 0;
  for (int r = 0; r < 20; r++) s += burn_a(n) + burn_b(n);
  return s;
}
int main(int argc, char **argv) {
  unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 3000000;
  sink = work(n);
  printf("hot done\n");
  return argc > 2 ? atoi(argv[2]) : 0;
}
EOF
cc -O2 -g -fomit-frame-pointer -o hot_g hot.c || { echo "FAIL: cannot build the test program"; exit 1; }
cc -O2 -fomit-frame-pointer -o hot_nog hot.c
cc -O2 -g -fomit-frame-pointer -static -o hot_static hot.c 2>/dev/null || rm -f hot_static

# Folded lines are "frame;frame;... WEIGHT" and a frame's name may hold spaces (a name that
# two modules define gets " [module]"): the weight is the last field, the path the rest.
# share FILE FUNC: FUNC's share (percent) of the self time in the folded profile FILE
share() {
  awk -v f="$2" '{ w = $NF; p = substr($0, 1, length($0) - length(w) - 1); n = split(p, fr, ";")
                   leaf = fr[n]; sub(/ \[[^]]*\]$/, "", leaf); t += w; if (leaf == f) s += w }
                 END { if (t > 0) printf "%.1f", 100 * s / t; else print "nan" }' "$1"
}
# via FILE TAIL: the share (percent) of the self time on paths ending in TAIL ("burn_a;spin")
via() {
  awk -v tail="$2" '{ w = $NF; p = substr($0, 1, length($0) - length(w) - 1); t += w
                      if (substr(p, length(p) - length(tail) + 1) == tail &&
                          (length(p) == length(tail) || substr(p, length(p) - length(tail), 1) == ";")) s += w }
                    END { printf "%.1f", t ? 100 * s / t : 0 }' "$1"
}

pass=0
fail=0
for v in hot_g hot_nog hot_static; do
  [[ -x $v ]] || { echo "note: $v not built (no static libc here)"; continue; }
  out=$("$F" run -q -o "$v.json" -- "./$v" 3000000 2>"$v.err")
  rc=$?
  assert_eq "$v: exit status" 0 "$rc"
  assert_eq "$v: the program's stdout passes through" "hot done" "$out"
  "$F" check "$v.json" >/dev/null 2>&1 || { echo "FAIL: $v: fathom check: $("$F" check "$v.json" 2>&1 | head -3)"; fail=1; }
  "$F" report "$v.json" --format folded -o "$v.folded" || { echo "FAIL: $v: no folded view"; fail=1; continue; }
  a=$(share "$v.folded" spin)
  # spin holds nearly all the CPU; which caller it ran for is the stack's job:
  sa=$(via "$v.folded" "burn_a;spin")
  sb=$(via "$v.folded" "burn_b;spin")
  echo "$v: spin $a % of the samples; via burn_a $sa %, via burn_b $sb % (7:3 expected)"
  awk -v a="$a" 'BEGIN {exit !(a >= 85)}' || { echo "FAIL: $v: spin has only $a % of the samples"; fail=1; }
  # through code without frame pointers: main;work;burn_a;spin (inlined callers may add frames)
  awk -v a="$sa" -v b="$sb" 'BEGIN {exit !(a >= 55 && a <= 85 && b >= 15 && b <= 45)}' ||
    { echo "FAIL: $v: the stacks do not split spin 7:3 between burn_a and burn_b ($sa / $sb)"; fail=1; }
  grep -q ";main;work;burn_a;spin [0-9]*$" "$v.folded" ||
    { echo "FAIL: $v: no full stack main;work;burn_a;spin: $(sort -k2 -nr "$v.folded" | head -3)"; fail=1; }
done

# source lines with -g: spin's zone knows its file and line
"$F" report hot_g.json --format json -o hot_g.out.json
grep -q '{"name":"spin","component":"hot_g","tags":"","file":"[^"]*hot\.c","func":"spin","line":[1-9]' hot_g.out.json ||
  { echo "FAIL: spin has no source file and line in the -g build's profile"; fail=1; }
grep -q '{"name":"spin","component":"hot_nog","tags":"","file":""' <("$F" report hot_nog.json --format json) ||
  { echo "FAIL: the build without -g: spin is named from the symbol table, with no file"; fail=1; }

# hot lines with -g: spin's own samples all fall on the lines of its loop (hot.c 6-8), its
# lines' self times add up to its self time, and its caller burn_a's samples (total) are on
# line 13, the line of its call; the text report shows them with their source text
awk -v want=spin '
  /^"zones":\[/ { inz = 1; zi = 0; next }
  inz && /^\{"name":/ { if (index($0, "{\"name\":\"" want "\",\"component\":\"hot_g\"") == 1) {
                          z = zi; match($0, /"self_ns":[0-9]+/); zself = substr($0, RSTART + 10, RLENGTH - 10) }
                        zi++; if ($0 ~ /\]$/) inz = 0; next }
  /^"lines":\[/ { inl = 1; next }
  inl && /^\{"zone":/ { match($0, /"zone":[0-9]+/); lz = substr($0, RSTART + 7, RLENGTH - 7)
                        match($0, /"line":[0-9]+/); ln = substr($0, RSTART + 7, RLENGTH - 7)
                        match($0, /"self_ns":[0-9.e+]+/); ls = substr($0, RSTART + 10, RLENGTH - 10)
                        if (lz == z) { sum += ls; if (ls > 0 && (ln < 6 || ln > 8)) bad = bad " " ln }
                        if ($0 ~ /\]$/) inl = 0 }
  END { if (z == "" || sum == 0) { print "FAIL: no lines for spin"; exit 1 }
        if (bad != "") { print "FAIL: spin has samples on lines outside its loop:" bad; exit 1 }
        if (sum != zself) { print "FAIL: spin lines self " sum " != its self " zself; exit 1 } }
' hot_g.out.json || fail=1
grep -q '"file":"[^"]*hot\.c","line":13,"samples_self":0,"samples_total":[1-9]' hot_g.out.json ||
  { echo "FAIL: burn_a's call line (13) holds no samples (total)"; fail=1; }
# the time series of the program's processes (one row a poll, every 100 ms): a CPU-bound
# single thread uses about one CPU, never more (a loaded machine gives it much less; the
# kernel counts CPU time in clock ticks, so an interval may show a tick more)
awk '/^"series":/ { ins = 1; next } ins && /^\[/ { gsub(/[\[\]]/, ""); split($0, v, ","); if (v[2] != "null") { n++; c[n] = v[2] } }
     ins && /\]\]\}/ { ins = 0 }
     END { if (n < 3) { print "FAIL: " n " rows with CPU in the series"; exit 1 }
           m = 0; for (i = 1; i <= n; i++) if (c[i] > m) m = c[i]
           if (m < 10 || m > 125) { print "FAIL: the series peaks at " m " % of a CPU"; exit 1 } }' hot_g.json || fail=1
# the lines table reads back unchanged (fathom report loads the file and writes it again)
cmp -s <(grep '^{"zone":[0-9]*,"file"' hot_g.json) <(grep '^{"zone":[0-9]*,"file"' hot_g.out.json) ||
  { echo "FAIL: the lines table does not read back unchanged"; fail=1; }
"$F" report hot_g.json >hot_g.txt
grep -q "^Hot lines" hot_g.txt || { echo "FAIL: no Hot lines section in the text report"; fail=1; }
grep -q "hot\.c:[678] .*sink = x;\|hot\.c:[678] .*for (unsigned long i = 0" hot_g.txt ||
  { echo "FAIL: the hot lines table shows no source text: $(sed -n '/^Hot lines/,/^$/p' hot_g.txt | head)"; fail=1; }
grep -q '"file":"[^"]*hot\.c","line"' <("$F" report hot_nog.json --format json) &&
  { echo "FAIL: a build without -g has no source lines, yet the profile has lines of hot.c"; fail=1; }

# a stripped program: the samples are in code without symbols, and fathom says so
strip --strip-all -o hot_stripped hot_nog
"$F" run -o stripped.json -- ./hot_stripped 300000 >/dev/null 2>stripped.err
assert_match "a stripped program: fathom names the module without symbols" \
  'of the samples are in code without symbols, most in hot_stripped' "$(cat stripped.err)"

# exit status and signals pass through
"$F" run -q -o st.json -- ./hot_g 1000 7 >/dev/null
assert_eq "exit status 7 passes through" 7 "$?"
"$F" run -q -o sig.json -- sh -c 'kill -TERM $$' >/dev/null
assert_eq "a program killed by SIGTERM: fathom ends the same way" 143 "$?"
[[ -s sig.json ]] || { echo "FAIL: no profile written for the killed program"; fail=1; }
# (a background job of a script starts with SIGINT ignored, so SIGTERM is the one sent here;
# the program's loop is bounded, so a signal that never arrives fails the test, not hangs it)
"$F" run -q -o term.json -- sh -c 'trap "echo got TERM; exit 5" TERM; i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; exit 9' >term.out &
fp=$!
sleep 1
kill -TERM "$fp"
wait "$fp"
rc=$?
assert_eq "SIGTERM sent to fathom reaches the program (its handler's exit 5)" 5 "$rc"
assert_eq "the program's handler ran" "got TERM" "$(cat term.out)"

# a program that forks and execs: every process is in the profile
"$F" run -q -o fork.json -- sh -c './hot_g 1000000 & ./hot_g 1000000; wait' >/dev/null
"$F" report fork.json --format json -o fork.out.json
n=$(grep -o '(pid [0-9]*)' fork.out.json | sort -u | wc -l)
awk -v n="$n" 'BEGIN {exit !(n >= 2)}' || { echo "FAIL: only $n other processes named in the profile of a forking program"; fail=1; }
# the processes table: the shell (no parent, its exit status known: 4), the two hot_g, each
# a child of the shell; their sampled CPU adds up to the profile's self CPU
"$F" run -q -o procs.json -- sh -c './hot_g 500000 & ./hot_g 500000; wait; exit 4' >/dev/null
assert_eq "the shell's exit status passes through" 4 "$?"
"$F" check procs.json >/dev/null 2>&1 || { echo "FAIL: procs.json: $("$F" check procs.json 2>&1 | head -3)"; fail=1; }
"$F" report procs.json --format json -o procs.out.json
cmp -s <(grep '^{"pid":' procs.json) <(grep '^{"pid":' procs.out.json) ||
  { echo "FAIL: the processes table does not read back unchanged"; fail=1; }
awk '/^"processes":\[/ { inp = 1; next }
     inp && /^\{"pid":/ { n++
       if ($0 ~ /"ppid":-1,/) { root = $0; rpid = $0; sub(/^\{"pid":/, "", rpid); sub(/,.*/, "", rpid) }
       else kids[n] = $0
       if ($0 ~ /hot_g/) hot++
       match($0, /"cpu_ns":[0-9.e+]+/); cpu += substr($0, RSTART + 9, RLENGTH - 9)
       if ($0 ~ /\]$/) inp = 0 }
     END { if (root !~ /"status_known":true,"exit_code":4,"signal":0/) { print "FAIL: the root process: " root; exit 1 }
           for (k in kids) if (kids[k] !~ "\"ppid\":" rpid ",") { print "FAIL: not a child of the shell: " kids[k]; exit 1 }
           if (hot < 2) { print "FAIL: " hot " hot_g processes in the table"; exit 1 }
           printf "%.0f\n", cpu > "procs.cpu" }' procs.out.json || fail=1
node_cpu=$(awk '/^"nodes":\[/ {inn = 1; next} inn && /^\{"zone":/ {match($0, /"self_cpu_ns":[0-9.e+]+/); s += substr($0, RSTART + 14, RLENGTH - 14); if ($0 ~ /\]$/) inn = 0} END {printf "%.0f", s}' procs.out.json)
assert_eq "the processes' sampled CPU adds up to the profile's" "$node_cpu" "$(cat procs.cpu 2>/dev/null)"
grep -q "^Processes" <("$F" report procs.json) || { echo "FAIL: no Processes section in the text report"; fail=1; }

# two variants built under different names compare function by function: burn_b's work
# tripled (its total grows beyond its sampling error), burn_a's did not
sed 's/spin(3 \* n, n + 1)/spin(9 * n, n + 1)/' hot.c >hot3.c && cc -O2 -g -fomit-frame-pointer -o hot3 hot3.c
"$F" run -q -o v1.json -- ./hot_g 1500000 >/dev/null
"$F" run -q -o v3.json -- ./hot3 1500000 >/dev/null
"$F" compare v1.json v3.json --top 0 >cmp.txt
grep -qE "^  burn_b .* \+[0-9.]+% \+$" cmp.txt || { echo "FAIL: burn_b's tripled work is not beyond noise: $(grep burn_b cmp.txt)"; fail=1; }
# (burn_a's own work is the same: its change is the machine's, a few % on a quiet one)
awk '$1 == "burn_a" { for (i = 2; i <= NF; i++) if ($i ~ /%$/) { v = $i; sub(/%/, "", v); v += 0; ok = v > -20 && v < 20 } }
     END { exit !ok }' cmp.txt || { echo "FAIL: burn_a's unchanged work moved: $(grep burn_a cmp.txt)"; fail=1; }

# usage errors: nothing runs
"$F" run -q -o x.json -- ./no-such-program 2>err.txt
rc=$?
assert_eq "a missing program: exit 2" 2 "$rc"
grep -q "no-such-program" err.txt || { echo "FAIL: the error does not name the program: $(cat err.txt)"; fail=1; }
[[ -e x.json ]] && { echo "FAIL: a profile was written for a program that never ran"; fail=1; }
"$F" run 2>/dev/null
assert_eq "no program: exit 2" 2 "$?"
"$F" run --freq 0 -- ./hot_g 2>/dev/null
assert_eq "--freq 0: exit 2" 2 "$?"
echo "run: $pass passed, $fail failed"
((fail == 0))
