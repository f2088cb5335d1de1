#!/usr/bin/env bash
# test_trace_budget.sh: traces with far more events than their budget stay bounded, keep the
# long outer frames and the whole run (not a prefix), nest, say what they left out, and
# import in speedscope.
#
# Invariant: every expectation comes from ground truth the generator gives (tests/chrome_gen.c):
# the built model's events one per line (budget mode), or the counts of a real recording
# (record mode); nothing depends on timing. Never skips: node, speedscope (npm) and `fathom
# check` must all run.
#
# Parts:
#   1. export budget: 40 402 built events, FATHOM_TRACE_EVENTS=2000: the Chrome trace and the
#      speedscope file hold exactly the events at least otherData.trace.min_dur_ns long, that
#      threshold is the lowest that fits the budget, the counts add up, the outer frames and
#      every step are kept, the last 10 % of the run has events, no event has a depth argument;
#      FATHOM_TRACE_EVENTS=0 writes them all.
#   2. recorder budget: 8 201 zone calls and 8 000 counter updates recorded with
#      max_trace_events 1000: at most 1000 of each are kept, kept + dropped_events = calls +
#      updates, the outer zone and the last step are kept, every kept leaf has its enclosing
#      step, the kept updates are evenly spaced from the first to the end of the run; once
#      with leaves of the same lengths all run long, once with leaves longer step after step
#      (most calls pass the threshold as they end: the recorder's file is compacted).
set -euo pipefail

SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
BUILD=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
TMP=${FATHOM_TEST_TMP:-$BUILD/test-tmp}/trace_budget
mkdir -p "$TMP"
FATHOM="$BUILD/fathom"

fail() { echo "FAIL: $*" >&2; exit 1; }
. "$SRC/tests/lib/common.sh"
. "$SRC/tests/lib/speedscope.sh"
speedscope_install
build_gen chrome_gen

check() { "$FATHOM" check "$1" >"$TMP/check.out" 2>&1 || { cat "$TMP/check.out" >&2; fail "fathom check $1"; }; }

# ---- 1. the export budget ------------------------------------------------------------------
FATHOM_TRACE_EVENTS=2000 "$TMP/chrome_gen" budget "$TMP/b.json" "$TMP/b.speedscope.json" \
  "$TMP/truth.txt" || fail "chrome_gen budget"
FATHOM_TRACE_EVENTS=0 "$TMP/chrome_gen" budget "$TMP/all.json" "$TMP/all.speedscope.json" \
  "$TMP/truth_all.txt" || fail "chrome_gen budget (no limit)"
for f in b.json b.speedscope.json all.json all.speedscope.json; do check "$TMP/$f"; done

cat >"$TMP/budget.cjs" <<'EOF'
// Compares a budgeted Chrome trace and speedscope file with the generator's ground truth.
const fs = require('fs'), path = require('path');
const [dir, chromePath, ssPath, truthPath, budgetArg] = process.argv.slice(2);
const budget = Number(budgetArg);
const die = msg => { console.error('FAIL: ' + msg); process.exit(1); };
const truth = fs.readFileSync(truthPath, 'utf8').trim().split('\n').map(l => {
  const [th, zone, ts, dur] = l.split(' ');
  return {tid: th === '0' ? 201 : 202, zone, ts: Number(ts), dur: Number(dur)};
});
const N = truth.length;
const j = JSON.parse(fs.readFileSync(chromePath, 'utf8'));
const xs = j.traceEvents.filter(e => e.ph === 'X');
const meta = j.otherData.trace;
if (!meta) die('otherData.trace missing');
if (meta.budget !== budget) die(`trace.budget ${meta.budget}, want ${budget}`);
if (meta.events !== N) die(`trace.events ${meta.events}, want the ${N} generated`);
if (meta.written !== xs.length) die(`trace.written ${meta.written}, X events ${xs.length}`);
if (meta.left_out !== N - xs.length) die(`trace.left_out ${meta.left_out}, want ${N} - ${xs.length}`);
if (budget && xs.length > budget) die(`${xs.length} events, budget ${budget}`);
const T = meta.min_dur_ns;
if (budget && N > budget) {
  // the lowest threshold that fits: one ns lower would take more than the budget
  if (truth.filter(e => e.dur >= T).length > budget) die(`min_dur_ns ${T} keeps more than the budget`);
  if (truth.filter(e => e.dur >= T - 1).length <= budget) die(`min_dur_ns ${T} is not the lowest that fits`);
} else if (T !== 0 || meta.left_out !== 0) die(`nothing to leave out, yet min_dur_ns ${T}, left_out ${meta.left_out}`);
// exactly the events at least T long, with their times (ns from the exact-decimal us)
const key = e => `${e.tid} ${e.zone} ${e.ts} ${e.dur}`;
const want = truth.filter(e => e.dur >= T).map(key).sort();
const got = xs.map(e => key({tid: e.tid, zone: e.name, ts: Math.round(e.ts * 1000),
                             dur: Math.round(e.dur * 1000)})).sort();
if (want.length !== got.length || want.some((k, i) => k !== got[i]))
  die(`written events differ from the generated events >= ${T} ns (${got.length} vs ${want.length})`);
// the outer frames, every step, and the end of the run
const named = n => xs.filter(e => e.name === n).length;
if (named('main_loop') !== 1 || named('load') !== 1) die('an outer frame was left out');
if (named('compute') !== truth.filter(e => e.zone === 'compute').length) die('a step was left out');
const end = Math.max(...truth.map(e => e.ts + e.dur));
if (!xs.some(e => e.ts * 1000 >= 0.9 * end && e.name === 'parse'))
  die('no leaf from the last 10 % of the run');
if (xs.some(e => e.args && 'depth' in e.args)) die('an event has a depth argument');
// speedscope: the same budget and counts; one frame per zone (no args in names)
const s = JSON.parse(fs.readFileSync(ssPath, 'utf8'));
if (JSON.stringify(s.fathom_trace) !== JSON.stringify(meta))
  die(`speedscope fathom_trace ${JSON.stringify(s.fathom_trace)}, chrome ${JSON.stringify(meta)}`);
const opens = s.profiles.reduce((a, p) => a + p.events.filter(e => e.type === 'O').length, 0);
if (opens !== xs.length) die(`speedscope opens ${opens}, want ${xs.length}`);
// both files import in speedscope, without warnings, with one frame per zone
const { ctx, warnings } = require(path.join(process.env.FATHOM_SOURCE_DIR, 'tests/lib/speedscope_load.cjs'))(dir, die);
(async () => {
  const imp = await ctx.__fathomImporter;
  for (const f of [chromePath, ssPath]) {
    const g = await imp.importProfileGroupFromText(path.basename(f), fs.readFileSync(f, 'utf8'));
    if (!g || !g.profiles || g.profiles.length !== 2) die(`speedscope could not import ${f}`);
    if (warnings.length) die(`speedscope warned on ${f}:\n  ` + warnings.join('\n  '));
    let calls = 0;
    const frames = new Set();
    for (const p of g.profiles) p.forEachCall(n => { calls++; frames.add(n.frame.name); }, () => {});
    if (calls !== xs.length) die(`${f}: speedscope read ${calls} calls, want ${xs.length}`);
    if ([...frames].some(n => n.includes('{'))) die(`${f}: a frame name carries args: ${[...frames]}`);
  }
  console.log(`ok: ${xs.length} of ${N} events (budget ${budget || 'none'}, min ${T} ns)`);
})().catch(e => die(e.stack || String(e)));
EOF
node "$TMP/budget.cjs" "$DIST" "$TMP/b.json" "$TMP/b.speedscope.json" "$TMP/truth.txt" 2000 ||
  fail "export budget 2000"
node "$TMP/budget.cjs" "$DIST" "$TMP/all.json" "$TMP/all.speedscope.json" "$TMP/truth_all.txt" 0 ||
  fail "export without a budget"

# ---- 2. the recorder's budget --------------------------------------------------------------
cat >"$TMP/record.cjs" <<'EOF'
// A real recording past the recorder's budget: counts, outer frame, end of run, parents.
const fs = require('fs');
const [tracePath, gen, kept, dropped, updates, ckept] = process.argv.slice(2).map((a, i) => i ? Number(a) : a);
const die = msg => { console.error('FAIL: ' + msg); process.exit(1); };
const j = JSON.parse(fs.readFileSync(tracePath, 'utf8'));
const xs = j.traceEvents.filter(e => e.ph === 'X');
if (kept > 1000 || ckept > 1000) die(`the recorder kept ${kept} calls, ${ckept} updates, budget 1000 each`);
if (kept + ckept + dropped !== gen + updates)
  die(`kept ${kept} + ${ckept} + dropped ${dropped} != ${gen} calls + ${updates} updates`);
if (xs.length !== kept) die(`X events ${xs.length}, the model has ${kept}`);
if (j.otherData.dropped_events !== gen + updates - xs.length - ckept)
  die(`otherData.dropped_events ${j.otherData.dropped_events}, want ${gen} + ${updates} - ${xs.length} - ${ckept}`);
// counter updates (running totals 1..updates): the kept ones evenly spaced over the run
const vs = j.traceEvents.filter(e => e.ph === 'C' && e.name === 'leaves_done').map(e => e.args.value);
if (vs.length !== ckept) die(`counter events ${vs.length}, the model has ${ckept}`);
const step = vs[1] - vs[0];
if (vs[0] !== 1 || vs.some((v, i) => i && v - vs[i - 1] !== step) || vs[vs.length - 1] + step <= updates)
  die(`kept counter values not evenly spread over 1..${updates}: ${vs.slice(0, 5)} ... ${vs.slice(-3)}`);
const loop = xs.filter(e => e.name === 'main_loop');
if (loop.length !== 1) die('the outer zone was not kept');
const steps = xs.filter(e => e.name === 'compute');
const lastStart = Math.max(...steps.map(e => e.ts));
const end = loop[0].ts + loop[0].dur;
if (lastStart < loop[0].ts + 0.9 * loop[0].dur) die('no step from the last 10 % of the run');
for (const e of xs.filter(e => e.name === 'parse'))
  if (!steps.some(s => s.ts <= e.ts && e.ts + e.dur <= s.ts + s.dur)) die(`a kept leaf at ${e.ts} has no kept step`);
if (xs.some(e => e.args && 'depth' in e.args)) die('an event has a depth argument');
console.log(`ok: recorder kept ${kept} of ${gen} calls (dropped ${dropped}), run ends at ${end} us`);
EOF
# record: leaves of 8 lengths all run long; record-rising: leaves longer step after step, so
# most calls pass the threshold when they end and the recorder compacts its file
for mode in record record-rising; do
  FATHOM_TRACE_EVENTS=0 "$TMP/chrome_gen" $mode 1000 "$TMP/r.json" "$TMP/r.speedscope.json" \
    >"$TMP/record.out" || fail "chrome_gen $mode"
  check "$TMP/r.json"
  check "$TMP/r.speedscope.json"
  read -r _ gen _ kept _ dropped _ updates _ ckept <"$TMP/record.out"
  node "$TMP/record.cjs" "$TMP/r.json" "$gen" "$kept" "$dropped" "$updates" "$ckept" ||
    fail "recorder budget ($mode)"
done

echo "trace_budget: 4 passed, 0 failed"
