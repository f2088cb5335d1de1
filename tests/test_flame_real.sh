#!/usr/bin/env bash
# test_flame_real.sh: fathom's flame-graph views (folded stacks, speedscope JSON) of real
# recorded sessions, read back by a real external importer, speedscope (npm package, pinned),
# and by a small independent folded-stacks parser; both compared with the session's JSON
# profile: frames, per-thread profiles, self and total weights, nesting, hostile names.
#
# Invariant: this test never passes without having run the importer. If node, npm or the
# package is unavailable it says so and fails (exit 1); it does not skip.
#
# How: as in test_chrome_real.sh, speedscope's bundle is evaluated in a node vm context
# (tests/lib/speedscope_load.cjs) and its own importProfileGroupFromText(name, text), the
# function the app runs on a dropped file, reads each file; the profiles it returns are
# walked with forEachCall.
set -euo pipefail

SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
BUILD=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
TMP=${FATHOM_TEST_TMP:-$BUILD/test-tmp}/flame_real
mkdir -p "$TMP"

fail() { echo "FAIL: $*" >&2; exit 1; }
. "$SRC/tests/lib/common.sh"
. "$SRC/tests/lib/speedscope.sh"

# ---- the importer -------------------------------------------------------------------------
speedscope_install

# ---- the sessions, recorded by a program linked like the library was built -------------------
build_gen flame_gen
"$TMP/flame_gen" tree "$TMP" || fail "flame_gen tree failed"
"$TMP/flame_gen" timeline "$TMP" || fail "flame_gen timeline failed"

# the CLI writes the same views from the saved profile (checked below like the library's)
"$BUILD/fathom" report "$TMP/tree.json" --format folded -o "$TMP/cli.folded" || fail "fathom report --format folded"
"$BUILD/fathom" report "$TMP/timeline.json" --format speedscope -o "$TMP/cli.speedscope.json" || fail "fathom report --format speedscope"

# ---- the driver -----------------------------------------------------------------------
cat >"$TMP/drive.cjs" <<'EOF'
// drive.cjs MODE DIST VIEW PROFILE.json: imports VIEW with speedscope and compares it with
// the fathom profile. MODE: sampled (speedscope JSON of a call tree), evented (speedscope JSON
// of a timeline), folded (folded stacks; also parsed independently).
const fs = require('fs'), path = require('path');
const [mode, dir, viewPath, modelPath] = process.argv.slice(2);
const die = msg => { console.error('FAIL (' + mode + '): ' + msg); process.exit(1); };

const { ctx, warnings } =
  require(path.join(process.env.FATHOM_SOURCE_DIR, 'tests/lib/speedscope_load.cjs'))(dir, die);

// ---- the reference: fathom's JSON profile ----
const model = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
const zones = model.zones, nodes = model.nodes, threads = model.threads;
const byName = {};
zones.forEach(z => { byName[z.name] = (byName[z.name] || 0) + 1; });
const sslabel = zones.map(z => {
  const n = z.name === '' ? '(empty)' : z.name;
  return byName[z.name] > 1 ? `${n} [${z.component || 'default'}]` : n;
});
const foldlabel = sslabel.map(s => s.replace(/;/g, ',').replace(/[\x00-\x1f\x7f]/g, ' '));
if (zones.length < 15) die(`the session recorded only ${zones.length} zones`);
if (new Set(foldlabel).size !== zones.length) die('two zones share a label');

// expected per-frame self/total and parent>child edges over the nodes keep(n) selects
function expected(keep, label) {
  const self = {}, total = {}, edges = new Set();
  let sum = 0;
  nodes.forEach((n, i) => {
    if (!keep(n)) return;
    const l = label[n.zone];
    self[l] = (self[l] || 0) + n.stats.self_ns;
    sum += n.stats.self_ns;
    let nested = false;
    for (let a = n.parent; a !== null; a = nodes[a].parent) if (nodes[a].zone === n.zone) nested = true;
    if (!nested) total[l] = (total[l] || 0) + n.stats.total_ns;
    if (n.stats.self_ns > 0)
      for (let c = i; nodes[c].parent !== null; c = nodes[c].parent)
        edges.add(label[nodes[nodes[c].parent].zone] + '>' + label[nodes[c].zone]);
  });
  for (const k of Object.keys(self)) if (!self[k] && !total[k]) { delete self[k]; delete total[k]; }
  return { self, total, edges, sum };
}

// what speedscope read: per-frame self/total (recursion once), edges, and the calls
function readBack(prof) {
  const self = {}, total = {}, edges = new Set(), calls = [], open = [];
  prof.forEachCall(
    (node, t) => {
      const name = node.frame.name;
      if (open.length) edges.add(open[open.length - 1].name + '>' + name);
      open.push({ name, t, child: 0, call: calls.length });
      calls.push([name, t, null, open.length]);
    },
    (node, t) => {
      const o = open.pop();
      if (o.name !== node.frame.name) die(`close of ${node.frame.name} while ${o.name} is open`);
      const d = t - o.t;
      calls[o.call][2] = t;
      self[o.name] = (self[o.name] || 0) + d - o.child;
      if (!open.some(x => x.name === o.name)) total[o.name] = (total[o.name] || 0) + d;
      if (open.length) open[open.length - 1].child += d;
    });
  return { self, total, edges, calls };
}

function sameMap(what, got, want) {
  const keys = new Set([...Object.keys(got), ...Object.keys(want)]);
  for (const k of keys)
    if ((got[k] || 0) !== (want[k] || 0))
      die(`${what} of ${JSON.stringify(k)}: speedscope read ${got[k]}, the model says ${want[k]}`);
}
function sameSet(what, got, want) {
  for (const e of want) if (!got.has(e)) die(`${what}: ${JSON.stringify(e)} missing`);
  for (const e of got) if (!want.has(e)) die(`${what}: ${JSON.stringify(e)} unexpected`);
}

// independent folded parser: "f1;f2;...;fn <integer>" per line
function parseFolded(text) {
  const lines = text.split('\n');
  if (lines.pop() !== '') die('the folded file does not end with a newline');
  const paths = {};
  for (const line of lines) {
    const m = /^(.+) (\d+)$/.exec(line);
    if (!m) die('folded line not "stack count": ' + JSON.stringify(line));
    const frames = m[1].split(';');
    if (frames.some(f => f === '' || /[\x00-\x1f\x7f]/.test(f))) die('bad frame in ' + JSON.stringify(line));
    if (m[1] in paths) die('stack written twice: ' + JSON.stringify(m[1]));
    paths[m[1]] = Number(m[2]);
    if (!(paths[m[1]] > 0)) die('zero weight line ' + JSON.stringify(line));
  }
  return paths;
}

(async () => {
  const text = fs.readFileSync(viewPath, 'utf8');
  const imp = await ctx.__fathomImporter;
  const group = await imp.importProfileGroupFromText(path.basename(viewPath), text);
  if (!group || !group.profiles || !group.profiles.length) die('speedscope could not import ' + viewPath);
  if (warnings.length) die('speedscope warned while importing:\n  ' + warnings.join('\n  '));
  const profiles = group.profiles;
  let checked = 0;
  if (mode === 'folded') {
    if (profiles.length !== 1) die(`${profiles.length} profiles from a folded file`);
    const want = expected(() => true, foldlabel), got = readBack(profiles[0]);
    if (profiles[0].getTotalWeight() !== want.sum) die(`total weight ${profiles[0].getTotalWeight()}, want ${want.sum}`);
    sameMap('self weight', got.self, want.self);
    sameMap('total weight', got.total, want.total);
    sameSet('nesting', got.edges, want.edges);
    // the independent parser: one line per merged path, its self time; sums per leaf
    const paths = parseFolded(text), wantPaths = {}, leaf = {};
    const key = i => (nodes[i].parent === null ? '' : key(nodes[i].parent) + ';') + foldlabel[nodes[i].zone];
    nodes.forEach((n, i) => { if (n.stats.self_ns) { const k = key(i); wantPaths[k] = (wantPaths[k] || 0) + n.stats.self_ns; } });
    sameMap('folded line', paths, wantPaths);
    for (const [k, v] of Object.entries(paths)) { const l = k.split(';').pop(); leaf[l] = (leaf[l] || 0) + v; }
    sameMap('folded leaf sum', leaf, want.self);
    checked = Object.keys(paths).length;
  } else {
    const json = JSON.parse(text);
    if (json.$schema !== 'https://www.speedscope.app/file-format-schema.json') die('$schema: ' + json.$schema);
    if (json.shared.frames.length !== zones.length) die(`${json.shared.frames.length} frames, ${zones.length} zones`);
    json.shared.frames.forEach((f, i) => { if (f.name !== sslabel[i]) die(`frame ${i}: ${JSON.stringify(f.name)}, want ${JSON.stringify(sslabel[i])}`); });
    const evs = mode === 'evented' ? model.timeline.events : [];
    if (mode === 'evented' && evs.length < 50) die(`only ${evs.length} timeline events`);
    const active = threads.map((t, i) => i).filter(i =>
      mode === 'evented' ? evs.some(e => e[0] === i) : nodes.some(n => n.thread === i && n.stats.self_ns > 0));
    if (active.length !== 3) die(`${active.length} threads with data, the workload has 3`);
    if (profiles.length !== active.length) die(`${profiles.length} profiles, want ${active.length}`);
    active.forEach((ti, k) => {
      const prof = profiles[k], t = threads[ti];
      if (!prof.getName().includes(t.name) || !prof.getName().includes(String(t.tid))) die(`profile ${k} is named ${prof.getName()}, want thread ${t.name}`);
      if (prof.getWeightUnit() !== 'nanoseconds') die(`${t.name}: weight unit ${prof.getWeightUnit()}`);
      const got = readBack(prof);
      if (mode === 'sampled') {
        const want = expected(n => n.thread === ti, sslabel);
        if (prof.getTotalWeight() !== want.sum) die(`${t.name}: total weight ${prof.getTotalWeight()}, want ${want.sum}`);
        sameMap(t.name + ' self weight', got.self, want.self);
        sameMap(t.name + ' total weight', got.total, want.total);
        sameSet(t.name + ' nesting', got.edges, want.edges);
        checked += got.calls.length;
      } else {
        // every recorded call, at its time: [name, begin, end, depth]
        const want = evs.filter(e => e[0] === ti).map(e => [sslabel[e[1]], e[3], e[3] + e[4], e[2]]);
        if (got.calls.length !== want.length) die(`${t.name}: ${got.calls.length} calls read, ${want.length} recorded`);
        want.forEach((w, i) => {
          const g = got.calls[i];
          if (g[0] !== w[0] || g[1] !== w[1] || g[3] !== w[3] || Math.abs(g[2] - w[2]) > 2)
            die(`${t.name}: call ${i} read ${JSON.stringify(g)}, recorded ${JSON.stringify(w)}`);
        });
        const end = Math.max(...want.map(w => w[2]));
        if (Math.abs(prof.getTotalWeight() - end) > 2) die(`${t.name}: total weight ${prof.getTotalWeight()}, want ${end}`);
        checked += want.length;
      }
    });
  }
  console.log(`ok: speedscope ${require(path.join(dir, '../../package.json')).version} read ${path.basename(viewPath)}: ${profiles.length} profile(s), ${checked} checked`);
})().catch(e => die(e.stack || String(e)));
EOF

node "$TMP/drive.cjs" sampled "$DIST" "$TMP/tree.speedscope.json" "$TMP/tree.json" || fail "speedscope JSON of a call tree"
node "$TMP/drive.cjs" evented "$DIST" "$TMP/timeline.speedscope.json" "$TMP/timeline.json" || fail "speedscope JSON of a timeline"
node "$TMP/drive.cjs" folded "$DIST" "$TMP/tree.folded" "$TMP/tree.json" || fail "folded stacks of a call tree"
node "$TMP/drive.cjs" folded "$DIST" "$TMP/timeline.folded" "$TMP/timeline.json" || fail "folded stacks of a timeline session"
node "$TMP/drive.cjs" folded "$DIST" "$TMP/cli.folded" "$TMP/tree.json" || fail "fathom report --format folded"
node "$TMP/drive.cjs" evented "$DIST" "$TMP/cli.speedscope.json" "$TMP/timeline.json" || fail "fathom report --format speedscope"
echo "flame_real: 6 passed, 0 failed"
