# test_diff.sh: `fathom diff` on hand-built profiles with known changes (tests/diff_gen.c): the
# text, JSON (parsed with node) and HTML (loaded in headless Chromium) views, the judgement of
# each change against noise (with sampled timing: the estimates' standard errors and the timed
# calls), --fail-on-regression's exit codes both ways, identical profiles and identical runs,
# profiles that cannot be fully compared, a real recorded profile, and every error path.
# Invariant: every failing command exits 2 (1 for output errors, 3 only for the regression
# gate), prints one error line on stderr (plus the hint for usage errors), nothing on stdout,
# and leaves no output or temporary file. Needs node and chromium: fails when they are missing.
set -u

FATHOM=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}/fathom
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
mkdir -p "${FATHOM_TEST_TMP:?FATHOM_TEST_TMP not set}"
T=$(mktemp -d "$FATHOM_TEST_TMP/diff.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export LC_ALL=C
unset NO_COLOR

pass=0
fail=0
ESC=$'\033'
HINT="Try 'fathom diff --help'."

. "$SRC/tests/lib/asserts.sh"   # bad, assert_*, run

# expect_fail NAME CODE HINT ERE -- ARGS...: exit CODE, empty stdout, one error line matching
# ERE, then HINT ("" = none); and the same with -o leaves no file
expect_fail() {
  local name=$1 code=$2 hint=$3 ere=$4
  shift 5
  run "$@"
  assert_eq "$name: exit code" "$code" "$RC"
  assert_eq "$name: stdout empty" "" "$OUT"
  assert_match "$name: message" "$ere" "${ERR%%$'\n'*}"
  if [[ -n "$hint" ]]; then
    assert_eq "$name: stderr lines" "2" "$NERR"
    assert_eq "$name: hint" "$hint" "${ERR#*$'\n'}"
  else
    assert_eq "$name: stderr lines" "1" "$NERR"
  fi
  run "$1" -o "$T/err-out.txt" "${@:2}"
  assert_eq "$name -o: exit code" "$code" "$RC"
  assert_absent "$name -o" "$T/err-out.txt"
}

# jcheck NAME FILE JS: runs JS with `d` = the parsed JSON of FILE; JS calls ok(cond, what)
jcheck() {
  local out
  out=$(node -e '
    const fs = require("fs");
    let d; try { d = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); }
    catch (e) { console.log("FAIL not JSON: " + e.message); process.exit(0); }
    const zone = (n, list) => (list || d.zones).find(z => z.name === n);
    const ok = (c, what) => console.log((c ? "PASS " : "FAIL ") + what);
    try { new Function("d", "zone", "ok", process.argv[2])(d, zone, ok); }
    catch (e) { console.log("FAIL exception: " + e.message); }
    ' "$2" "$3" 2>&1)
  local line
  while IFS= read -r line; do
    case $line in
      PASS*) pass=$((pass + 1)) ;;
      *) bad "$1: ${line#FAIL }" ;;
    esac
  done <<<"$out"
}

for tool in node chromium cc; do
  command -v "$tool" >/dev/null || { echo "FAIL: test_diff needs '$tool' (scripts/deps.sh installs it)"; exit 1; }
done
[[ -x "$FATHOM" ]] || { echo "FAIL: no tool at $FATHOM"; exit 1; }

# ---- the profiles ---------------------------------------------------------------------------
gen_flags=()
case $(sed -n 's/^FATHOM_SANITIZE:[A-Z]*=//p' "$FATHOM_BUILD_DIR/CMakeCache.txt" 2>/dev/null) in
  address) gen_flags=(-fsanitize=address,undefined) ;;
  thread) gen_flags=(-fsanitize=thread) ;;
esac
for g in diff_gen cli_gen; do
  if ! cc -std=gnu11 ${gen_flags[@]+"${gen_flags[@]}"} -I"$SRC/include" "$SRC/tests/$g.c" \
    "$FATHOM_BUILD_DIR/libfathom.a" -lpthread -lm -ldl -o "$T/$g" 2>"$T/gen.err"; then
    echo "FAIL: cannot build tests/$g.c: $(head -n 5 "$T/gen.err")"
    exit 1
  fi
done
for v in base new other ebase enew erun nbase nrun nslow tie; do
  "$T/diff_gen" "$v" "$T/$v.json" || { echo "FAIL: diff_gen $v"; exit 1; }
done
cp "$T/tie.json" "$T/tie2.json"
cd "$T" || exit 1

# ---- help -----------------------------------------------------------------------------------
run diff --help
assert_eq "--help: exit 0" "0" "$RC"
assert_match "--help: usage" '^Usage: fathom diff BASE.json NEW.json' "$OUT"
for word in --fail-on-regression --fail-metric --format --min-share --top --sort --paths --sigma --noise-floor 'exit|Exit status' ' 3 '; do
  assert_match "--help mentions $word" "$word" "$OUT"
done
run help diff
assert_match "help diff" '^Usage: fathom diff' "$OUT"
run --help
assert_match "fathom --help lists diff" $'\n  diff ' "$OUT"

# ---- text -----------------------------------------------------------------------------------
run diff base.json new.json --color never --noise-floor 0
assert_eq "text: exit 0 (no gate)" "0" "$RC"
assert_eq "text: stderr empty" "" "$ERR"
assert_no_match "text --color never: no escapes" "$ESC" "$OUT"
row() { sed -n '/^Zones (/,/^$/p' <<<"$OUT" | grep -E "^  $1 " | head -n 1; }
assert_match "text: A mean 2x, beyond noise, slower" '\+100\.0%\*.*\+100\.0%\*.*slower$' "$(row A)"
assert_match "text: G faster" '-50\.0%\*.*faster$' "$(row G)"
assert_match "text: E calls changed" '100 → 150 .*\+50\.0%\*' "$(row E)"
assert_match "text: F allocations beyond noise" '\+1\.00 MiB\*' "$(row F)"
assert_eq "text: B and T hidden by --min-share" "" "$(row B)$(row T)"
assert_match "text: added C" $'Zones added \\(1\\)\n  \\+ C \\(work\\): 50 calls' "$OUT"
assert_match "text: gone D" $'Zones gone \\(1\\)\n  - D \\(work\\): 50 calls' "$OUT"
assert_match "text: memory section" 'Memory \(zones above' "$OUT"
assert_match "text: summary" 'wall time .*\+66\.8%' "$OUT"
assert_match "text: top regressions name A" $'Top regressions \\(mean, beyond noise; by own time\\)\n  A ' "$OUT"
assert_match "text: top improvements name G" $'Top improvements \\(mean, beyond noise; by own time\\)\n  G ' "$OUT"
assert_eq "text: verdict is the last line" \
  "mixed: 1 zone slower and 1 faster in mean, beyond noise, of 6 judged; first: A +100.0 % (own time +999.47 ms)" \
  "$(tail -n 1 "$T/stdout")"
run diff base.json new.json --color never --min-share 0
assert_match "text --min-share 0: B 5 % within noise" '^  B +work +3 .* \+5\.0% ' "$(row B)"
assert_no_match "text: B's changes carry no beyond-noise mark" '\*' "$(row B)"
assert_match "text --min-share 0: T shown" 'T +work' "$(row T)"
run diff base.json new.json --color always
assert_match "text --color always: red regression" "${ESC}\\[31m\\+100\\.0%\\*" "$OUT"
assert_match "text --color always: green improvement" "${ESC}\\[32m-50\\.0%\\*" "$OUT"
run diff base.json new.json --color never --top 2
assert_match "--top 2" 'Zones \(2 of 8 compared shown' "$OUT"
run diff base.json new.json --color never --sort name --min-share 0
z=$(sed -n '/^Zones (/,/^$/p' "$T/stdout" | awk 'NR>3 && NF {print $1}' | tr '\n' ' ')
assert_eq "--sort name (bytewise)" "A B E F G S T main " "$z"
run diff base.json new.json --color never --paths
assert_match "--paths: path table" $'Call paths.*\n.*\n.*\n  main;A ' "$OUT"

# ---- JSON -----------------------------------------------------------------------------------
"$FATHOM" diff base.json new.json --format json --min-share 0 --noise-floor 0 >j.json 2>j.err
assert_eq "json: exit 0" "0" "$?"
jcheck json j.json '
ok(d.fathom_diff_version === 1, "fathom_diff_version 1");
ok(d.base.file === "base.json" && d.new.file === "new.json", "files named");
const A = zone("A"), B = zone("B"), E = zone("E"), F = zone("F"), G = zone("G"), S = zone("S");
ok(A && A.metrics.mean_ns.judgement === "beyond_noise" && A.metrics.mean_ns.method === "welch", "A mean beyond noise (welch)");
ok(A && Math.abs(A.metrics.mean_ns.pct - 100) < 0.5 && A.change === "regressed", "A +100 %, regressed");
ok(A && A.metrics.p50_ns.beyond_noise && A.metrics.p99_ns.beyond_noise && A.metrics.p99_ns.method === "quantile", "A p50/p99 beyond noise");
ok(A && A.metrics.p50_ns.interval_base[1] < A.metrics.p50_ns.interval_new[0], "A p50 intervals apart");
ok(A && A.metrics.calls.judgement === "unchanged", "A calls unchanged");
ok(B && B.metrics.mean_ns.judgement === "within_noise" && Math.abs(B.metrics.mean_ns.pct - 5) < 0.1, "B +5 % within noise");
ok(B && !B.metrics.p50_ns.beyond_noise && !B.metrics.p99_ns.beyond_noise && B.metrics.p99_ns.interval_new[1] === null, "B percentiles within noise, p99 open above");
ok(B && B.change === "none", "B not a regression");
ok(E && E.metrics.calls.judgement === "beyond_noise" && E.metrics.calls.method === "exact" && E.metrics.calls.delta === 50, "E calls +50, exact");
ok(E && E.metrics.total_ns.beyond_noise && E.metrics.mean_ns.judgement === "unchanged", "E total beyond noise, mean unchanged");
ok(F && F.metrics.alloc_bytes.judgement === "beyond_noise" && F.metrics.alloc_bytes.delta === 1048576, "F alloc bytes +1 MiB");
ok(F && F.metrics.alloc_count.delta === 100 && F.metrics.rss_delta_bytes.judgement === "not_comparable", "F allocations +100, no RSS");
ok(G && G.change === "improved" && G.metrics.mean_ns.pct < -49, "G improved");
ok(S && Object.values(S.metrics).every(m => !m.beyond_noise), "S nothing beyond noise");
ok(d.added.length === 1 && d.added[0].name === "C" && d.added[0].metrics.calls.base === null && d.added[0].metrics.calls.new === 50, "C added");
ok(d.gone.length === 1 && d.gone[0].name === "D" && d.gone[0].metrics.calls.new === null, "D gone");
ok(d.paths.some(p => p.path === "main;A" && p.change === "regressed"), "path main;A regressed");
ok(d.paths_added.some(p => p.path === "main;C") && d.paths_gone.some(p => p.path === "main;D"), "paths added and gone");
ok(d.summary.regressed === 2 && d.summary.improved === 1 && d.summary.added === 1 && d.summary.gone === 1, "summary counts (A and T regressed)");
ok(d.summary.wall_ns.base > 0 && d.summary.wall_ns.judgement === "unknown", "session wall time compared, no noise estimate");
ok(d.verdict.status === "mixed" && d.verdict.gate === "off", "verdict mixed, gate off");
ok(d.top_regressions[0].name === "A" && d.top_improvements[0].name === "G", "top lists");
ok(d.comparable.allocations === true && d.notes.length === 0, "fully comparable");
'
assert_eq "json: stderr empty" "" "$(cat j.err)"
"$FATHOM" diff base.json new.json --format json >j2.json
jcheck "json default" j2.json '
ok(!zone("B") && !zone("T") && d.summary.below_min_share === 2, "B and T below the default --min-share");
ok(d.zones.length === 6 && d.options.top === 0, "json shows every other compared zone");'

# ---- the regression gate --------------------------------------------------------------------
run diff base.json new.json --fail-on-regression 50 --color never
assert_eq "gate 50 %: exit 3" "3" "$RC"
assert_eq "gate 50 %: stderr empty" "" "$ERR"
assert_match "gate 50 %: verdict" '^FAIL: 1 zone regressed by more than 50 % in mean, beyond noise; first: A \+100\.0 % \(own time \+999\.47 ms\)$' "$(tail -n 1 "$T/stdout")"
assert_match "gate 50 %: A marked" 'FAIL$' "$(row A)"
run diff base.json new.json --fail-on-regression 150 --color never
assert_eq "gate 150 %: exit 0" "0" "$RC"
assert_match "gate 150 %: PASS" '^PASS \(no mean regression above 150 %\)' "$(tail -n 1 "$T/stdout")"
run diff base.json new.json --fail-on-regression 40 --fail-metric total --format json --noise-floor 0
assert_eq "gate on total: exit 3" "3" "$RC"
printf '%s\n' "$OUT" >g.json
jcheck "gate on total" g.json '
ok(d.summary.gate_failures === 2 && zone("A").gate_failed && zone("E").gate_failed, "A and E fail on total");
ok(d.verdict.gate === "fail", "verdict gate fail");'
run diff base.json new.json --fail-on-regression 1 --min-share 0 --format json --noise-floor 0
printf '%s\n' "$OUT" >g2.json
jcheck "gate 1 %" g2.json '
ok(!zone("B").gate_failed, "B (+5 %, 3 calls) within noise: not gated");
ok(zone("T").gate_failed && d.summary.gate_failures === 2, "T gated once shown");'
run diff base.json new.json --fail-on-regression 1 --format json
printf '%s\n' "$OUT" >g3.json
jcheck "gate default min-share" g3.json 'ok(d.summary.gate_failures === 1, "T below --min-share: not gated");'
run diff base.json new.json --fail-on-regression 50 -o gate.txt
assert_eq "gate with -o: exit 3" "3" "$RC"
assert_match "gate with -o: file written" 'FAIL: 1 zone' "$(cat gate.txt)"
run diff new.json base.json --fail-on-regression 10
assert_eq "reverse direction: G regressed" "3" "$RC"

# ---- identical profiles, the same file twice ------------------------------------------------
run diff base.json base.json --fail-on-regression 0 --color never --min-share 0
assert_eq "identical: exit 0" "0" "$RC"
assert_match "identical: unchanged" '^PASS \(no mean regression above 0 %\): unchanged: no zone' "$(tail -n 1 "$T/stdout")"
"$FATHOM" diff base.json base.json --format json --min-share 0 >same.json
jcheck identical same.json '
ok(d.zones.length === 9 && d.zones.every(z => Object.entries(z.metrics).every(([k, m]) => m.judgement === (k === "rss_delta_bytes" || k === "self_cpu_ns" ? "not_comparable" : "unchanged"))), "every figure unchanged (RSS and CPU not measured)");
ok(d.added.length === 0 && d.gone.length === 0 && d.verdict.status === "unchanged", "nothing added, gone or changed");'
"$T/cli_gen" --detailed real.json 2>/dev/null || bad "cli_gen writes a real profile"
run diff real.json real.json --fail-on-regression 0 --paths
assert_eq "real profile against itself: exit 0" "0" "$RC"
assert_match "real profile: unchanged" 'unchanged: no zone' "$(tail -n 1 "$T/stdout")"
assert_match "real profile: its zones" 'train_step' "$OUT"
IN=base.json run diff - new.json --format json
assert_eq "BASE from stdin" "0" "$RC"
assert_match "BASE from stdin: named" '"file":"-"' "$OUT"
sed 's/"schema_version":[0-9]*/"schema_version":2/' base.json >v2.json
run diff v2.json new.json
assert_eq "a schema-2 file against the current schema" "0" "$RC"

# ---- what cannot be compared ---------------------------------------------------------------
run diff base.json other.json --color never
assert_eq "other: exit 0" "0" "$RC"
assert_match "other: levels note" '! levels differ \(basic vs detailed\)' "$OUT"
assert_match "other: clock note" '! clock sources differ \(clock_monotonic vs tsc\)' "$OUT"
assert_match "other: allocations note" '! allocations were tracked in the base profile only' "$OUT"
"$FATHOM" diff base.json other.json --format json >o.json
jcheck other o.json '
ok(d.comparable.allocations === false && d.notes.length === 3, "three notes");
ok(zone("F").metrics.alloc_bytes.judgement === "not_comparable", "allocations not compared");
ok(zone("A").metrics.mean_ns.beyond_noise, "A still beyond noise");'

# ---- sampled timing: estimates with their errors (schema 4) ---------------------------------
run diff ebase.json enew.json --color never --noise-floor 0
assert_eq "sampled: exit 0 (no gate)" "0" "$RC"
assert_match "sampled: header says how many calls were timed" \
  'base +session "before", .* 800,001 zone calls \(206,001 timed: a sample\)' "$OUT"
assert_match "sampled: H shows its timed calls" '^  H +work +200,000 +2,000 ' "$(row H)"
assert_match "sampled: X had every call timed" '^  X +work +200,000 +all ' "$(row X)"
assert_no_match "sampled: H +0.3 % is within the sampling error" '\*|slower' "$(row H)"
assert_match "sampled: X +0.3 % is beyond noise with every call timed" '\+0\.3%\*.*slower$' "$(row X)"
assert_match "sampled: K +10 % beyond the sampling error" '\+9\.[0-9]%\*.*slower$' "$(row K)"
assert_no_match "sampled: W +1.5 % within its recorded 3 % error" '\*|slower' "$(row W)"
"$FATHOM" diff ebase.json enew.json --format json --noise-floor 0 >e.json
jcheck sampled e.json '
const H = zone("H"), X = zone("X"), K = zone("K"), W = zone("W");
ok(d.base.zone_calls === 800001 && d.base.zone_calls_timed === 206001 && d.new.zone_calls_timed === 206001, "sides: zone calls and timed");
ok(H && H.timed.base === 2000 && H.timed.new === 2000 && X.timed.base === 200000, "rows: timed calls on each side");
ok(H && H.metrics.total_ns.judgement === "within_noise" && H.metrics.mean_ns.judgement === "within_noise" && H.change === "none", "H within noise");
ok(H && H.metrics.total_ns.pct > 0.2 && H.metrics.total_ns.se_base > 0 && H.metrics.total_ns.se_new > 0, "H: changed, compared with its standard errors");
ok(X && X.metrics.total_ns.beyond_noise && X.metrics.mean_ns.beyond_noise && X.change === "regressed" && X.metrics.total_ns.se_base === 0, "X (exact) beyond noise, no sampling error");
ok(K && K.change === "regressed" && K.metrics.total_ns.beyond_noise && K.metrics.p50_ns.beyond_noise, "K regressed");
ok(W && Math.abs(W.metrics.total_ns.se_base / W.metrics.total_ns.base - 0.03) < 0.003, "W: the recorded error (3 % of its total) is the one used");
ok(W && W.metrics.total_ns.pct > 1 && W.metrics.total_ns.judgement === "within_noise" && W.metrics.mean_ns.judgement === "within_noise", "W +1.5 % within that error");
ok(d.summary.regressed === 2 && d.verdict.status === "regressed", "K and X regressed");'
run diff ebase.json enew.json --fail-on-regression 5
assert_eq "sampled: gate 5 % fails on K" "3" "$RC"
run diff ebase.json enew.json --fail-on-regression 5 --min-share 0 --format json
printf '%s\n' "$OUT" >eg.json
jcheck "sampled gate" eg.json 'ok(d.summary.gate_failures === 1 && zone("K").gate_failed && !zone("H").gate_failed && !zone("W").gate_failed, "only K fails the 5 % gate");'
# the same program run twice: the same calls, another random sample timed
for m in mean total p50 p99; do
  run diff ebase.json erun.json --fail-on-regression 0 --fail-metric $m --min-share 0 --color never
  assert_eq "identical runs, another sample ($m): gate passes" "0" "$RC"
  assert_match "identical runs, another sample ($m): unchanged" "^PASS \\(no [a-z0-9 ]+ regression above 0 %\\): unchanged: no zone" "$(tail -n 1 "$T/stdout")"
  run diff erun.json ebase.json --fail-on-regression 0 --fail-metric $m --min-share 0
  assert_eq "identical runs reversed ($m): gate passes" "0" "$RC"
done
"$FATHOM" diff ebase.json erun.json --format json --min-share 0 >er.json
jcheck "identical runs" er.json '
ok(["H", "K", "W"].every(n => zone(n).metrics.total_ns.delta !== 0 && zone(n).metrics.total_ns.judgement === "within_noise"), "sampled totals differ by sampling alone: within noise");
ok(zone("X").metrics.total_ns.judgement === "unchanged", "X identical");
ok(d.zones.every(z => z.change === "none") && d.summary.regressed === 0 && d.summary.improved === 0, "nothing flagged");'
run diff ebase.json ebase.json --fail-on-regression 0 --min-share 0 --format json
assert_eq "sampled profile against itself: exit 0" "0" "$RC"
printf '%s\n' "$OUT" >ee.json
jcheck "sampled against itself" ee.json '
ok(d.zones.every(z => ["calls", "total_ns", "mean_ns", "p50_ns", "p99_ns"].every(k => z.metrics[k].judgement === "unchanged")), "every timing figure unchanged");'
run diff ebase.json enew.json --format html -o e.html
assert_eq "sampled html: exit 0" "0" "$RC"
assert_match "sampled html: timed column" '<th title="calls whose duration was measured">timed</th>' "$(cat e.html)"
assert_match "sampled html: timed calls of H" '<td class="l">H</td>.*<td data-v="2000">2,000</td>' "$(cat e.html)"
assert_match "sampled html: header" '206001 timed \(a sample\)' "$(cat e.html)"

# ---- the gate on runs with CPU samples (diff_gen nbase, nrun, nslow) ------------------------
# call-path rows whose sort keys are all equal (more paths than zones), in every format
for fmt in text json html; do
  for srt in impact pct total mean calls name; do
    run diff tie.json tie2.json --paths --min-share 0 --format $fmt --sort $srt --fail-on-regression 0
    assert_eq "equal path rows ($fmt, --sort $srt): exit 0" "0" "$RC"
  done
done
"$FATHOM" diff tie.json tie2.json --paths --min-share 0 --format json >tie.out.json
jcheck "equal path rows" tie.out.json '
const want = ["main", "main;a", "main;b", "main;c", "main;a;b", "main;a;c", "main;b;a", "main;b;c", "main;c;a", "main;c;b"];
ok(d.paths.length === want.length && want.every(p => d.paths.some(q => q.path === p)), "every path listed once, named by its zones");
ok(d.paths.every(q => q.name === q.path.split(";").pop()), "a path row is named by its last zone");
ok(d.verdict.status === "unchanged" && d.summary.regressed === 0, "nothing changed");'
# the same run again (per-call times 3 % off either way, CPU samples within 2 standard
# errors, the run 5 % slower): passes in every format, whatever is compared
for fmt in text json html; do
  for m in mean total p50 p99; do
    run diff nbase.json nrun.json --fail-on-regression 10 --fail-metric $m --format $fmt
    assert_eq "rerun ($fmt, $m): the gate passes" "0" "$RC"
  done
done
run diff nbase.json nrun.json --fail-on-regression 10 --color never
assert_match "rerun: unchanged" '^PASS \(no own CPU time per call regression above 10 %\): unchanged' "$(tail -n 1 "$T/stdout")"
"$FATHOM" diff nbase.json nrun.json --format json --noise-floor 0 >nrun.out.json
jcheck "rerun, no floor" nrun.out.json '
ok(zone("z05").metrics.mean_ns.method === "welch" && Math.abs(Math.abs(zone("z05").metrics.mean_ns.pct) - 3) < 0.2, "z05 3 % off, compared with Welch");
ok(d.summary.regressed === 0 && d.summary.improved === 0, "own CPU times within their error: nothing flagged");
ok(d.options.cpu_samples_compared === true && d.options.cpu_dispersion >= 1, "CPU samples compared");'
"$FATHOM" diff nbase.json nrun.json --format json >nrun.f.json
jcheck "rerun, floor" nrun.f.json '
const z = zone("z05").metrics.mean_ns;
ok(z.judgement === "within_noise" && z.below_noise_floor === true, "a 3 % change of a zone worth under 1 % of the run is below the floor");
ok(Math.abs(d.options.noise_floor_ns / Math.max(d.base.duration_ns, d.new.duration_ns) - 0.01) < 1e-9, "the floor is 1 % of the longer run");'
# hot's own work 4x, burst called 21,700,000 times instead of once
for fmt in text json html; do
  run diff nbase.json nslow.json --fail-on-regression 10 --format $fmt --color never
  assert_eq "hot 4x ($fmt): the gate fails" "3" "$RC"
done
run diff nbase.json nslow.json --fail-on-regression 10 --color never
assert_match "hot 4x: verdict names hot first" '^FAIL: 2 zones regressed by more than 10 % in own CPU time per call, beyond noise; first: hot \+' "$(tail -n 1 "$T/stdout")"
assert_match "hot 4x: the top list names hot first" $'Top regressions \\(own CPU time, beyond noise; by own time\\)\n  hot ' "$OUT"
assert_match "burst: calls printed as counts" 'burst .*calls 1 → 21,700,000\)' "$OUT"
assert_no_match "outer (hot's caller) is not a regression" $'\n  outer [^\n]*(slower|FAIL)' "$OUT"
"$FATHOM" diff nbase.json nslow.json --fail-on-regression 10 --format json >nslow.out.json
jcheck "hot 4x" nslow.out.json '
const hot = zone("hot"), outer = zone("outer"), burst = zone("burst");
ok(d.top_regressions[0].name === "hot" && d.top_regressions[1].name === "burst", "hot first, burst second");
ok(d.verdict.line.includes("first: " + d.top_regressions[0].name + " "), "the verdict names the top list first");
ok(Math.abs(hot.metrics.mean_ns.new / hot.metrics.mean_ns.base - 4) < 0.05, "hot 4x per call");
ok(Math.abs(hot.metrics.self_cpu_ns.new / hot.metrics.self_cpu_ns.base - 4.2) < 0.3, "hot own CPU about 4x (and the run 5 % slower)");
ok(hot.gate_failed && outer.change === "none" && !outer.gate_failed, "hot fails the gate, its caller outer does not");
ok(outer.metrics.total_ns.delta > 0.99 * hot.metrics.total_ns.delta, "outer total grew with hot");
ok(burst.metrics.calls.base === 1 && burst.metrics.calls.new === 21700000 && burst.metrics.calls.method === "exact", "burst calls exact");
ok(d.top_regressions[1].calls.base === 1 && d.top_regressions[1].calls.new === 21700000, "top list: burst calls as counts");
ok(burst.metrics.mean_ns.judgement === "unknown", "burst: one call on the base side, cannot judge its time");'
run diff nbase.json nslow.json --format html -o nslow.html
assert_match "html: top regressions, hot first" '<h2>Top regressions</h2><ol id="worse">.<li><b>hot</b>' "$(tr '\n' '.' <nslow.html)"
assert_match "html: burst's calls change as a count" '<td class="l">burst</td>.*<td class="changed" data-v="21699999" title="beyond_noise">\+21,699,999</td>' "$(cat nslow.html)"
run diff nslow.json nbase.json --fail-on-regression 10 --color never
assert_eq "hot 4x reversed: no regression" "0" "$RC"
assert_match "hot 4x reversed: hot the first improvement" $'Top improvements \\(own CPU time, beyond noise; by own time\\)\n  hot ' "$OUT"

# ---- the SLA gate of fathom report on a sampled profile (--fail-on-sla) -----------------------
# H: 2,000 of 200,000 calls timed, p50 ~10 us with a 95 % interval of about 9.9 to 10.1 us
sla_gate() {   # sla_gate NAME WANT_RC SPEC [OPTIONS...]
  local name=$1 want=$2 spec=$3
  shift 3
  run report ebase.json --sla "$spec" --fail-on-sla --color never "$@"
  assert_eq "sla gate $name: exit $want" "$want" "$RC"
}
sla_gate "exact zone met" 0 'X:p50<=20us'
sla_gate "exact zone missed" 3 'X:p50<=5us'
sla_gate "sampled, interval under the target" 0 'H:p50<=100us'
sla_gate "sampled, interval above the target" 3 'H:p50<=5us'
sla_gate "sampled, target inside the interval" 3 'H:p50<=10us'
assert_eq "sla gate: nothing on stderr when it fails" "" "$ERR"
assert_match "sla gate: the finding says why" 'not enough data \(2000 timed calls\)' "$OUT"
assert_match "sla gate: the SLA table says it" 'not enough data' "$(sed -n '/^Latency SLAs/,/^$/p' "$T/stdout")"
sla_gate "sampled, too few timed for p99.99" 3 'H:p99.99<=1s'
assert_match "sla gate p99.99: fewer than 10000 timed" 'fewer than 10000 timed calls' "$OUT"
sla_gate "not enough data passed on request" 0 'H:p50<=10us' --sla-unverified pass
assert_match "sla gate: a passed unverified SLA is named on stderr" \
  '^fathom: report: SLA H:p50 not verified: not enough data \(2000 timed calls\); passed' "$ERR"
sla_gate "missed fails whatever --sla-unverified says" 3 'H:p50<=10us;K:p50<=5us' --sla-unverified pass
sla_gate "no calls fails" 3 'ghost:p50<=1ms'
sla_gate "no calls passed on request" 0 'ghost:p50<=1ms' --sla-unverified pass
run report ebase.json --fail-on-sla -o gate-none.txt
assert_eq "sla gate without SLAs: exit 3" "3" "$RC"
assert_match "sla gate without SLAs: says so" 'no SLA was checked' "$ERR"
assert_match "sla gate without SLAs: the report is written" 'H' "$(cat gate-none.txt)"
run report ebase.json --sla 'H:p50<=10us' --sla-unverified maybe
assert_eq "--sla-unverified maybe: usage error" "2" "$RC"
assert_match "--sla-unverified maybe: message" "unknown --sla-unverified value 'maybe'" "$ERR"

# ---- HTML -----------------------------------------------------------------------------------
run diff base.json new.json --format html --paths --min-share 0 --noise-floor 0 -o d.html
assert_eq "html: exit 0" "0" "$RC"
H=$(cat d.html)
assert_match "html: doctype" '^<!DOCTYPE html>' "$H"
assert_no_match "html: no network" '(src|href)=|https?://|@import|url\(' "$H"
assert_match "html: regression row red" '<tr class="worse"><td class="l">A</td>' "$H"
assert_match "html: improvement row green" '<tr class="better"><td class="l">G</td>' "$H"
tags=$(node -e '
  const s = require("fs").readFileSync(process.argv[1], "utf8").replace(/<(script|style)>[\s\S]*?<\/\1>/g, "");
  const voids = new Set(["meta", "br", "img", "hr", "input", "link"]);
  const st = [];
  for (const m of s.matchAll(/<(\/?)([a-zA-Z0-9]+)[^>]*>/g)) {
    const t = m[2].toLowerCase();
    if (voids.has(t)) continue;
    if (!m[1]) st.push(t);
    else if (st.pop() !== t) { console.log("mismatched </" + t + ">"); process.exit(0); }
  }
  console.log(st.length ? "unclosed " + st.join(",") : "balanced");' d.html)
assert_eq "html: tags balanced" "balanced" "$tags"
timeout 120 chromium --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
  --dump-dom "file://$T/d.html" >dom.html 2>chromium.err
assert_eq "chromium: exit 0" "0" "$?"
DOM=$(cat dom.html)
assert_match "chromium: zone table rendered" '<table class="sortable" id="zones">' "$DOM"
assert_match "chromium: the verdict" 'id="verdict">mixed: 2 zones slower' "$DOM"
assert_match "chromium: path table" '<td class="l">main;A</td>' "$DOM"
assert_no_match "chromium: no script errors" 'Uncaught|SyntaxError' "$(cat chromium.err)"

# ---- errors ---------------------------------------------------------------------------------
expect_fail "missing operands" 2 "$HINT" '^fathom: diff: missing BASE.json and NEW.json' -- diff
expect_fail "missing NEW" 2 "$HINT" '^fathom: diff: missing NEW.json' -- diff base.json
expect_fail "too many" 2 "$HINT" "^fathom: diff: too many arguments \\('x' after 'new.json'\\)" -- diff base.json new.json x
expect_fail "unknown option" 2 "$HINT" "^fathom: diff: unknown option '--frob'" -- diff base.json new.json --frob
expect_fail "format csv" 2 "$HINT" "^fathom: diff: unknown --format value 'csv'" -- diff base.json new.json --format csv
expect_fail "bad PCT" 2 "$HINT" "^fathom: diff: option '--fail-on-regression' needs a number" -- diff base.json new.json --fail-on-regression abc
expect_fail "negative PCT" 2 "$HINT" "needs a number from 0" -- diff base.json new.json --fail-on-regression -5
expect_fail "bad metric" 2 "$HINT" "unknown --fail-metric value 'p42'" -- diff base.json new.json --fail-metric p42
expect_fail "bad sort" 2 "$HINT" "unknown --sort value 'x'" -- diff base.json new.json --sort x
expect_fail "bad top" 2 "$HINT" "option '--top' needs a whole number" -- diff base.json new.json --top 1.5
expect_fail "bad min-share" 2 "$HINT" "option '--min-share' needs a number" -- diff base.json new.json --min-share 101
expect_fail "bad noise floor" 2 "$HINT" "option '--noise-floor' needs a number from 0 to 100" -- diff base.json new.json --noise-floor x
expect_fail "missing arg" 2 "$HINT" "option '--sigma' needs an argument" -- diff base.json new.json --sigma
expect_fail "stdin twice" 2 "$HINT" 'read only once' -- diff - -
expect_fail "missing BASE file" 2 "" '^fathom: nothere.json: .*(No such file|cannot open)' -- diff nothere.json new.json
expect_fail "missing NEW file" 2 "" '^fathom: nothere.json: ' -- diff base.json nothere.json
head -c 2000 new.json >trunc.json
expect_fail "truncated" 2 "" '^fathom: trunc.json: ' -- diff base.json trunc.json
printf 'not json\n' >junk.json
expect_fail "malformed" 2 "" '^fathom: junk.json: ' -- diff junk.json new.json
sed 's/"schema_version":[0-9]*/"schema_version":99/' new.json >future.json
expect_fail "wrong schema" 2 "" '^fathom: future.json: .*schema' -- diff base.json future.json
mkdir -p adir
expect_fail "directory" 2 "" '^fathom: adir: is a directory' -- diff adir new.json
printf 'old\n' >keep.txt
run diff base.json future.json -o keep.txt
assert_eq "error keeps an existing output" "old" "$(cat keep.txt)"
run diff base.json new.json -o "$T/no/such/dir/out.txt"
assert_eq "unwritable output: exit 1" "1" "$RC"
assert_match "unwritable output: message" '^fathom: .*/no/such/dir/out.txt: cannot write' "$ERR"
assert_absent "unwritable output" "$T/no/such/dir/out.txt"
assert_eq "no temp file anywhere" "" "$(find "$T" -name '*.tmp.*')"

echo "diff: $pass passed, $fail failed"
((fail == 0))
