# test_bench.sh: `fathom bench` with commands whose times are known (sleep 0.05 against sleep
# 0.1, identical commands): the ranking, the ratio and its interval, the significance verdict;
# the JSON (parsed with node), CSV and Markdown exports; parameter scans and lists; the
# resources of a command that uses a known amount of memory; --fail-if-slower against the
# first command and against a saved --baseline; --profile's profiles and diff; failing
# commands and every usage error. These assertions test the statistics on sleeps with generous
# bounds, never fathom's speed; a significance verdict on sleeps gets up to three tries (a
# loaded machine can delay a sleep a lot, and a 95 % test errs 5 % of the time).
# Invariant: every usage error exits 2 with one error line, the hint, nothing on stdout and no
# export file; a failing command exits 2 the same way (without the hint).
set -u

FATHOM=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}/fathom
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
mkdir -p "${FATHOM_TEST_TMP:?FATHOM_TEST_TMP not set}"
T=$(mktemp -d "$FATHOM_TEST_TMP/bench.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export LC_ALL=C

pass=0
fail=0
HINT="Try 'fathom bench --help'."
. "$SRC/tests/lib/asserts.sh"   # bad, assert_*, run

command -v node >/dev/null || { echo "FAIL: test_bench needs node (scripts/deps.sh installs it)"; exit 1; }
[[ -x "$FATHOM" ]] || { echo "FAIL: no tool at $FATHOM"; exit 1; }
cd "$T" || exit 1

# jcheck NAME FILE JS: runs JS with `d` = the parsed JSON of FILE; JS calls ok(cond, what)
jcheck() {
  local out line
  out=$(node -e '
    const fs = require("fs");
    let d; try { d = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); }
    catch (e) { console.log("FAIL not JSON: " + e.message); process.exit(0); }
    const ok = (c, what) => console.log((c ? "PASS " : "FAIL ") + what);
    try { new Function("d", "ok", process.argv[2])(d, ok); }
    catch (e) { console.log("FAIL exception: " + e.message); }
    ' "$2" "$3" 2>&1)
  while IFS= read -r line; do
    case $line in
      PASS*) pass=$((pass + 1)) ;;
      *) bad "$1: ${line#FAIL }" ;;
    esac
  done <<<"$out"
}

# expect_usage NAME ERE ARGS...: exit 2, nothing on stdout, the message and the hint
expect_usage() {
  local name=$1 ere=$2
  shift 2
  run bench --export-json "$T/u.json" "$@"
  assert_eq "$name: exit code" "2" "$RC"
  assert_eq "$name: stdout empty" "" "$OUT"
  assert_match "$name: message" "$ere" "${ERR%%$'\n'*}"
  assert_eq "$name: hint" "$HINT" "${ERR#*$'\n'}"
  assert_absent "$name" "$T/u.json"
}

# ---- usage errors ---------------------------------------------------------------------------
expect_usage "no command" '^fathom: bench: no command to benchmark$'
expect_usage "unknown option" "^fathom: bench: unknown option '--frob'" --frob true
expect_usage "bad number" "^fathom: bench: option '--min-runs' needs a whole number" --min-runs x true
expect_usage "one run" "^fathom: bench: option '--runs' needs a whole number from 2" --runs 1 true
expect_usage "min above max" "min-runs \\(20\\) is above --max-runs \\(5\\)" -m 20 -M 5 true
expect_usage "baseline alone" "baseline needs --fail-if-slower" --baseline x.json true
expect_usage "gate, one command" "fail-if-slower needs two commands" --fail-if-slower 5 true
expect_usage "option after the commands" "options come before the commands" true --runs 3
expect_usage "empty command" "an empty command" ''
expect_usage "scan backwards" "MAX \\(1\\) is below MIN \\(3\\)" -P n 3 1 'true {n}'
expect_usage "scan, missing MAX" "parameter-scan needs NAME MIN MAX" -P n 3
expect_usage "two parameters" "one --parameter-scan or --parameter-list" -L a 1 -L b 2 true
run bench --help
assert_eq "--help: exit 0" "0" "$RC"
assert_match "--help: usage" '^Usage: fathom bench' "$OUT"
run help bench
assert_match "help bench" '--fail-if-slower' "$OUT"
run --help
assert_match "listed in fathom --help" 'bench +time commands' "$OUT"

# ---- a failing command ----------------------------------------------------------------------
run bench -r 3 --export-json "$T/f.json" 'exit 3'
assert_eq "failing command: exit 2" "2" "$RC"
assert_eq "failing command: stdout empty" "" "$OUT"
assert_eq "failing command: message" \
  "fathom: bench: command 'exit 3' failed (exit status 3) on its warm-up run; use --ignore-failure to time it anyway" "$ERR"
assert_absent "failing command" "$T/f.json"
run bench -r 3 -w 0 'kill -9 $$'
assert_match "killed command" "failed \\(signal 9\\) on its timed run" "$ERR"
run bench -r 3 -w 0 "ulimit -f 1; head -c 100000 /dev/zero >$T/big"
assert_match "file size limit: the command gets SIGXFSZ, not fathom's ignoring it" \
  "failed \\(signal 25\\) on its timed run" "$ERR"
run bench -r 3 -w 0 -N --export-json "$T/f.json" './no-such-program'
assert_eq "missing program: exit 2" "2" "$RC"
assert_match "missing program: message" "cannot run './no-such-program': No such file" "$ERR"
run bench -r 3 -N "true $(printf 'w %.0s' {1..300})"
assert_match "--shell none, 300 words: message" "cannot run 'true w .*': Argument list too long" "$ERR"
run bench -r 3 -i --export-json "$T/f.json" 'exit 3'
assert_eq "--ignore-failure: exit 0" "0" "$RC"
assert_match "--ignore-failure: counted" '3 runs \(3 exited non-zero\)' "$OUT"
jcheck "--ignore-failure JSON" "$T/f.json" '
  const r = d.results[0];
  ok(r.failed_runs === 3, "failed_runs 3");
  ok(r.exit_codes.length === 3 && r.exit_codes.every(c => c === 3), "exit codes 3");'

# ---- 0.05 s against 0.1 s: ranked, a ratio near 2, significant --------------------------------
# On a loaded machine a sleep can overrun by a lot: the verdict must hold in one of three tries.
for _ in 1 2 3; do
  run bench -r 10 --export-json "$T/s.json" --export-csv "$T/s.csv" --export-markdown "$T/s.md" \
    'sleep 0.1' 'sleep 0.05'
  node -e 'const v = require(process.argv[1]).vs_fastest[0];
    process.exit(v.significant && v.ratio > 1.6 && v.ratio < 2.2 && v.ratio_ci95[0] > 1 ? 0 : 1)' \
    "$T/s.json" 2>/dev/null && break
done
assert_eq "sleeps: exit 0" "0" "$RC"
assert_match "sleeps: ranked" '1\. sleep 0\.05 \(benchmark 2\).*2\. sleep 0\.1 \(benchmark 1\)' "$OUT"
assert_match "sleeps: verdict" 'sleep 0\.05 ran [0-9.]+ ± [0-9.]+ times faster than sleep 0\.1' "$OUT"
assert_match "sleeps: Welch" "times slower than 1\\. \\(95 % CI of the ratio [0-9.]+ … [0-9.]+; Welch's t-test p = " "$OUT"
assert_match "sleeps: resources" 'peak RSS [0-9]+ KiB, context switches' "$OUT"
jcheck "sleeps JSON" "$T/s.json" '
  ok(d.results.length === 2, "two results");
  const [slow, fast] = d.results;
  ok(slow.command === "sleep 0.1" && fast.command === "sleep 0.05", "commands in order");
  ok(slow.runs === 10 && slow.times.length === 10 && fast.times.length === 10, "10 runs each");
  for (const r of d.results) {
    const m = r.times.reduce((a, b) => a + b, 0) / r.times.length;
    ok(Math.abs(m - r.mean) < 1e-12, "mean of times: " + r.command);
    ok(r.min <= r.median && r.median <= r.max && r.min <= r.mean && r.mean <= r.max, "order");
    ok(r.ci95[0] < r.mean && r.mean < r.ci95[1], "CI around the mean");
    ok(r.stddev > 0 && r.user >= 0 && r.system >= 0, "spread and CPU");
  }
  ok(fast.mean > 0.045 && fast.mean < 0.08 && slow.mean > 0.095 && slow.mean < 0.14, "means");
  ok(JSON.stringify(d.ranking) === "[1,0]", "ranking");
  const v = d.vs_fastest[0];
  ok(v.command === 0 && v.fastest === 1, "compared pair");
  ok(v.ratio > 1.6 && v.ratio < 2.2, "ratio near 2: " + v.ratio);
  ok(v.ratio_ci95[0] > 1 && v.ratio_ci95[0] < v.ratio && v.ratio < v.ratio_ci95[1], "ratio CI excludes 1");
  ok(v.ratio_ci95[0] < 2.2 && v.ratio_ci95[1] > 1.6, "ratio CI near 2");
  ok(v.significant === true && v.p_value < 0.001, "significant");'
assert_eq "CSV header" \
  "command,mean,stddev,median,user,system,min,max,ci95_low,ci95_high,runs,outliers,max_rss_kib,voluntary_context_switches,involuntary_context_switches,minor_page_faults,major_page_faults,block_input_ops,block_output_ops" \
  "$(head -n 1 "$T/s.csv")"
assert_eq "CSV rows" "3" "$(wc -l <"$T/s.csv" | tr -d ' ')"
assert_eq "CSV means = JSON means" \
  "$(node -e 'const d=require(process.argv[1]); console.log(d.results.map(r=>r.mean.toPrecision(9)).join(" "))' "$T/s.json")" \
  "$(awk -F, 'NR > 1 {printf "%s%.8e", (NR > 2 ? " " : ""), $2}' "$T/s.csv" | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>console.log(s.split(" ").map(Number).map(x=>x.toPrecision(9)).join(" ")))')"
assert_match "Markdown table" '^\| Command \| Mean \[ms\] .*\| `sleep 0\.1` \| [0-9.]+ ± [0-9.]+ \|.*\| `sleep 0\.05` \|.* 1\.00 \|' "$(tr '\n' ' ' <"$T/s.md")"

# ---- identical commands: cannot be told apart (p >= 0.05 fails by chance 5 % of the time:
# the verdict must hold in one of three tries) ---------------------------------------------------
same=0
for _ in 1 2 3; do
  run bench -r 10 -w 0 --export-json "$T/i.json" 'sleep 0.02' 'sleep 0.02'
  if [[ $OUT == *"cannot be told apart from 1. at 95 %"* ]]; then same=1; break; fi
done
assert_eq "identical commands: cannot be told apart" "1" "$same"
jcheck "identical JSON" "$T/i.json" 'ok(d.vs_fastest[0].significant === false, "not significant");
  ok(d.vs_fastest[0].p_value >= 0.05, "p >= 0.05");'

# ---- parameters ------------------------------------------------------------------------------
run bench -r 2 -w 0 --export-json "$T/p.json" -P n 1 3 'exit 0 # n={n}'
assert_eq "scan: exit 0" "0" "$RC"
jcheck "scan" "$T/p.json" '
  ok(d.results.map(r => r.command).join("|") === "exit 0 # n=1|exit 0 # n=2|exit 0 # n=3", "substituted");
  ok(d.results.map(r => r.parameters.n).join(",") === "1,2,3", "parameters");'
run bench -r 2 -w 0 --export-json "$T/p.json" -P x 0 1 -D 0.5 'exit 0 # {x} {x}'
jcheck "scan step" "$T/p.json" '
  ok(d.results.map(r => r.command).join("|") === "exit 0 # 0 0|exit 0 # 0.5 0.5|exit 0 # 1 1", "steps of 0.5");'
run bench -r 2 -w 0 --export-json "$T/p.json" -L v a,bb 'exit 0 # {v}' 'true {v}'
jcheck "list" "$T/p.json" '
  ok(d.results.map(r => r.command).join("|") === "exit 0 # a|exit 0 # bb|true a|true bb", "every command, every value");'

# ---- resources, --shell none -----------------------------------------------------------------
run bench -r 2 -w 0 -N --export-json "$T/r.json" 'true' \
  'dd if=/dev/zero of=/dev/null bs=50M count=1 status=none'
assert_eq "--shell none: exit 0" "0" "$RC"
jcheck "resources" "$T/r.json" '
  ok(d.shell === null && d.shell_startup === 0, "no shell, nothing subtracted");
  const [t, a] = d.results;
  ok(a.max_rss_kib > 48000, "a 50 MiB buffer: peak RSS " + a.max_rss_kib + " KiB");
  ok(t.max_rss_kib < 20000, "true: peak RSS " + t.max_rss_kib + " KiB");
  ok(a.minor_page_faults > 10000, "its pages faulted in");'

# ---- the gate --------------------------------------------------------------------------------
for _ in 1 2 3; do   # significance on a loaded machine: in one of three tries
  run bench -r 5 -w 0 --fail-if-slower 10 'sleep 0.01' 'sleep 0.05'
  [[ $RC == 3 ]] && break
done
assert_eq "gate: slower: exit 3" "3" "$RC"
assert_match "gate: verdict" 'sleep 0\.05: \+[0-9.]+ % \(Welch p = [0-9.e-]+\): SLOWER beyond the limit' "$OUT"
assert_eq "gate: message" "fathom: bench: 1 command is slower than the baseline by more than 10 %" "$ERR"
run bench -r 5 -w 0 --fail-if-slower 10 'sleep 0.05' 'sleep 0.01'
assert_eq "gate: faster: exit 0" "0" "$RC"
assert_match "gate: ok" 'sleep 0\.01: -[0-9.]+ % .*: ok' "$OUT"
D=0.01 run bench -r 5 -w 0 --export-json "$T/base.json" 'sleep $D'
assert_eq "baseline saved" "0" "$RC"
for _ in 1 2 3; do   # significance on a loaded machine: in one of three tries
  D=0.05 run bench -r 5 -w 0 --baseline "$T/base.json" --fail-if-slower 10 'sleep $D'
  [[ $RC == 3 ]] && break
done
assert_eq "--baseline: slower: exit 3" "3" "$RC"
D=0.01 run bench -r 5 -w 0 --baseline "$T/base.json" --fail-if-slower 400 'sleep $D'
assert_eq "--baseline: within the limit: exit 0" "0" "$RC"
run bench -r 5 --baseline "$T/base.json" --fail-if-slower 10 'sleep 0.01'
assert_eq "--baseline without the command: exit 2" "2" "$RC"
assert_match "--baseline without the command: message" "base.json: no result with at least 2 times for the command sleep 0.01" "$ERR"
printf 'nope' >"$T/junk.json"
run bench -r 5 --baseline "$T/junk.json" --fail-if-slower 10 'true'
assert_eq "bad baseline: exit 2" "2" "$RC"
assert_match "bad baseline: message" "junk.json: cannot read the baseline" "$ERR"

# ---- --profile: each command once more under fathom run, and fathom diff's view -------------
run bench -r 2 -w 0 --profile "$T/prof" "awk 'BEGIN{for(i=0;i<300000;i++)s+=i}'" \
  "awk 'BEGIN{for(i=0;i<300000;i++)s+=sin(i)}'"
assert_eq "--profile: exit 0" "0" "$RC"
assert_match "--profile: names the profiles" "Profiles \(fathom run, one more run of each\): $T/prof/1.json \.\.\. $T/prof/2.json" "$OUT"
assert_match "--profile: the diff" "Biggest differences, benchmark [12] \(fastest\) against benchmark [12] \(fathom diff " "$OUT"
run check "$T/prof/1.json" "$T/prof/2.json"
assert_eq "--profile: the profiles pass fathom check" "0" "$RC"
run bench -r 2 -w 0 --profile "$T/s.csv/x" true
assert_eq "--profile: no folder: exit 1" "1" "$RC"
assert_match "--profile: no folder: message" "s.csv/x: cannot make the --profile folder" "$ERR"

# ---- an export that cannot be written --------------------------------------------------------
run bench -r 2 -w 0 --export-csv "$T/no/dir/x.csv" true
assert_eq "unwritable export: exit 1" "1" "$RC"
assert_match "unwritable export: message" "no/dir/x.csv: cannot write" "$ERR"
assert_absent "unwritable export" "$T/no/dir/x.csv"

# ---- exports pointed at a device node or a FIFO: written through, never replaced ---------------
# (run as root, an output renamed over a device node would destroy it: /dev/null in the help's
# example is the benchmarked program's output, but a user may point an export there too)
if mknod "$T/dev" c 1 3 2>/dev/null; then   # /dev/null's numbers; needs root
  run bench -r 2 -w 0 --export-json "$T/dev" --export-csv "$T/dev" --export-markdown "$T/dev" true
  assert_eq "exports to a device node: exit 0" "0" "$RC"
  [[ -c $T/dev ]] && pass=$((pass + 1)) || bad "exports to a device node: the node was replaced"
fi
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/fifo.out" &
run bench -r 2 -w 0 --export-json "$T/fifo" true
wait
assert_eq "export to a FIFO: exit 0" "0" "$RC"
[[ -p $T/fifo ]] && pass=$((pass + 1)) || bad "export to a FIFO: the FIFO was replaced"
jcheck "export to a FIFO" "$T/fifo.out" 'ok(Array.isArray(d.results) && d.results.length === 1, "one result read through the FIFO")'

echo "bench: $pass passed, $fail failed"
((fail == 0))
