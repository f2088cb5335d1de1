#!/usr/bin/env bash
# test_chrome_real.sh: feeds fathom's Chrome traces to a real external importer, speedscope
# (npm package, pinned), and checks what it reads back: frames, nesting, times, threads; the
# traces also carry the monitor's "C" counter tracks, which must not disturb the import.
#
# Invariant: this test never passes without having run the importer. If npm or the package
# is unavailable it says so and fails (exit 1); it does not skip.
#
# How: speedscope ships only its built web app; tests/lib/speedscope_load.cjs evaluates its
# bundle in a node vm context and exposes the importer, and we call
# importProfileGroupFromText(name, text): the same function the app runs when a file is
# dropped on it. Anything the importer logs as a warning is a failure.
set -euo pipefail

SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
BUILD=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
TMP=${FATHOM_TEST_TMP:-$BUILD/test-tmp}/chrome_real
mkdir -p "$TMP"

fail() { echo "FAIL: $*" >&2; exit 1; }
. "$SRC/tests/lib/common.sh"
. "$SRC/tests/lib/speedscope.sh"

# ---- the importer -------------------------------------------------------------------------
speedscope_install

# ---- the generator, linked like the library was built -----------------------------------------
build_gen chrome_gen

"$TMP/chrome_gen" timeline "$TMP/timeline.json" || fail "chrome_gen timeline failed"
"$TMP/chrome_gen" synth "$TMP/synth.json" || fail "chrome_gen synth failed"

# ---- the driver -----------------------------------------------------------------------
cat >"$TMP/drive.cjs" <<'EOF'
// Imports a trace with speedscope's own importer and compares what it reads with `expect`.
const fs = require('fs'), path = require('path');
const [dir, tracePath, expectJson] = process.argv.slice(2);
const expect = JSON.parse(expectJson);
const die = msg => { console.error('FAIL: ' + msg); process.exit(1); };

const { ctx, warnings } =
  require(path.join(process.env.FATHOM_SOURCE_DIR, 'tests/lib/speedscope_load.cjs'))(dir, die);

(async () => {
  const text = fs.readFileSync(tracePath, 'utf8');
  const json = JSON.parse(text);   // plain JSON validity first
  const xs = json.traceEvents.filter(e => e.ph === 'X');
  if (xs.length !== expect.x_events) die(`X events: ${xs.length}, want ${expect.x_events}`);
  if (json.otherData.synthesized !== expect.synthesized) die('otherData.synthesized: ' + json.otherData.synthesized);
  // the monitor's counter tracks: per track, how many samples and the first sample's args
  const cs = json.traceEvents.filter(e => e.ph === 'C');
  for (const [track, want] of Object.entries(expect.counters || {})) {
    const got = cs.filter(e => e.name === track);
    if (got.length !== want.n) die(`counter track "${track}": ${got.length} events, want ${want.n}`);
    if (JSON.stringify(got[0].args) !== JSON.stringify(want.first))
      die(`counter track "${track}": first args ${JSON.stringify(got[0].args)}, want ${JSON.stringify(want.first)}`);
    if (Math.abs(got[0].ts - want.ts) > 1e-9) die(`counter track "${track}": first ts ${got[0].ts}, want ${want.ts}`);
  }
  if (expect.counters && cs.some(e => Object.values(e.args).some(v => typeof v !== 'number')))
    die('a counter event has a value that is not a number');

  const imp = await ctx.__fathomImporter;
  const group = await imp.importProfileGroupFromText(path.basename(tracePath), text);
  if (!group || !group.profiles) die('speedscope could not import the trace');
  if (warnings.length) die('speedscope warned while importing:\n  ' + warnings.join('\n  '));
  const profiles = group.profiles;
  if (profiles.length !== Object.keys(expect.threads).length)
    die(`profiles: ${profiles.length} (${profiles.map(p => p.getName()).join(', ')}), want ${Object.keys(expect.threads).length}`);
  let calls = 0;
  for (const [label, want] of Object.entries(expect.threads)) {
    const prof = profiles.find(p => p.getName().includes(label));
    if (!prof) die(`no profile named like "${label}" among: ${profiles.map(p => p.getName()).join(', ')}`);
    if (prof.getWeightUnit() !== 'microseconds') die(`${label}: weight unit ${prof.getWeightUnit()}`);
    // speedscope names an X frame "name {args json}"; strip the args to get the zone name.
    // A recorded event has no args (no depth), so one function is one frame.
    const got = [], open = [];
    if (!expect.synthesized)
      prof.forEachCall(node => { if (node.frame.name.includes(' {')) die(`frame with args: ${node.frame.name}`); }, () => {});
    prof.forEachCall(
      (node, t) => { open.push(got.length); got.push([node.frame.name.replace(/ \{.*\}$/, ''), t, null, open.length]); },
      (node, t) => { got[open.pop()][2] = t; });
    // times are relative to the profile's first event; compare shapes after the same shift
    const t0 = Math.min(...want.map(w => w[1]));
    const norm = want.map(w => [w[0], w[1] - t0, w[2] - t0, w[3]]);
    const show = a => a.map(c => `${c[0]}@${c[1]}-${c[2]}/d${c[3]}`).join(' ');
    const near = (a, b) => Math.abs(a - b) < 1e-6;
    const g0 = got.length ? got[0][1] : 0;
    const same = got.length === norm.length && got.every((c, i) =>
      c[0] === norm[i][0] && near(c[1] - g0, norm[i][1]) && near(c[2] - g0, norm[i][2]) && c[3] === norm[i][3]);
    if (!same) die(`${label}: speedscope read\n  ${show(got.map(c => [c[0], c[1] - g0, c[2] - g0, c[3]]))}\nwant\n  ${show(norm)}`);
    const span = Math.max(...norm.map(w => w[2]));
    if (!near(prof.getTotalWeight(), span)) die(`${label}: total weight ${prof.getTotalWeight()}, want ${span}`);
    calls += got.length;
  }
  if (calls !== expect.x_events) die(`calls read ${calls}, X events ${expect.x_events}`);
  console.log(`ok: speedscope ${require(path.join(dir, '../../package.json')).version} imported ` +
              `${profiles.length} threads, ${calls} calls from ${path.basename(tracePath)}`);
})().catch(e => die(e.stack || String(e)));
EOF

# [zone name, begin us, end us, depth] per thread, in the order of a depth-first walk.
# Mirrors tests/chrome_gen.c.
node "$TMP/drive.cjs" "$DIST" "$TMP/timeline.json" '{
  "synthesized": false, "x_events": 7,
  "counters": {"cpu": {"n": 3, "ts": 1, "first": {"user_pct": 50}},
               "memory": {"n": 3, "ts": 1, "first": {"rss_bytes": 1048576}},
               "gpu0 util": {"n": 2, "ts": 1, "first": {"util_pct": 10}},
               "gpu1 util": {"n": 3, "ts": 1, "first": {"util_pct": 20}},
               "gpu1 memory": {"n": 3, "ts": 1, "first": {"mem_used_bytes": 4096}}},
  "threads": {
    "main (tid 101)": [["main_loop",0,10,1],["load",0,3,2],["parse \"json\"",0.2,1.2,3],
                       ["compute",3,8.5,2],["compute",9.2,9.9,2]],
    "worker (tid 102)": [["compute",0.5,2.5,1],["décode",0.6,1.1,2]]
  }}' || fail "speedscope import of the recorded timeline"

node "$TMP/drive.cjs" "$DIST" "$TMP/synth.json" '{
  "synthesized": true, "x_events": 6,
  "counters": {"cpu": {"n": 3, "ts": 1, "first": {"user_pct": 50}},
               "gpu0 util": {"n": 2, "ts": 1, "first": {"util_pct": 10}}},
  "threads": {
    "main (tid 101)": [["main_loop",0,10,1],["compute",0,6.2,2],["load",6.2,9.2,2],
                       ["parse \"json\"",6.2,7.2,3]],
    "worker (tid 102)": [["compute",0,2,1],["décode",0,0.5,2]]
  }}' || fail "speedscope import of the synthesized flame chart"

echo "chrome_real: 2 passed, 0 failed"
