#!/usr/bin/env bash
# test_examples.sh: the examples run and write what they promise. sink_tracker forwards
# fathom's sink metrics to a W&B-style history file: one JSON object per flush (periodic ones
# and the final one), each with _step, _timestamp and per-zone keys; node parses every line.
# parallel_map runs a CPU-bound and a sleeping task with auto-tune: its JSON results count
# every item once, and the profile (FATHOM_OUT) has one zone call per item on threads
# fathom-map-N. batch_loader, preprocess, bench_sorts.sh and levels_example: see their
# sections below.
set -euo pipefail
B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
mkdir -p "${FATHOM_TEST_TMP:?FATHOM_TEST_TMP not set}"
T=$(mktemp -d "$FATHOM_TEST_TMP/examples.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v node >/dev/null || fail "node is not installed: this test needs it (apt-get install nodejs)"

out=$("$B/sink_tracker" "$T/history.jsonl" 2>&1) || fail "sink_tracker exited non-zero: $out"
[[ -s $T/history.jsonl ]] || fail "sink_tracker wrote no history ($out)"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
if (lines.length < 2) throw new Error(`expected at least 2 steps (periodic + final), got ${lines.length}`);
lines.forEach((l, i) => {
  const o = JSON.parse(l);
  if (o._step !== i + 1) throw new Error(`line ${i}: _step is ${o._step}, expected ${i + 1}`);
  if (o._final !== (i === lines.length - 1)) throw new Error(`line ${i}: _final is ${o._final}`);
  if (typeof o._timestamp !== "number") throw new Error(`line ${i}: no _timestamp`);
  if (!Object.keys(o).some(k => k.startsWith("zone/"))) throw new Error(`line ${i}: no zone/ keys`);
});
const msg = process.argv[2];
if (!msg.includes(`${lines.length} tracker steps`)) throw new Error(`sink_tracker said "${msg}"`);
' "$T/history.jsonl" "$out" || fail "the tracker history is not what the example promises"
echo "examples: sink_tracker wrote $(wc -l <"$T/history.jsonl") tracker steps"

# variants_example: growing an array by 16 elements copies quadratically: it ranks last,
# far slower than doubling, with an interval that excludes 1; the session's profile holds the
# ranking and adds up
out=$("$B/variants_example" "$T/variants.json" 2>&1) || fail "variants_example exited non-zero: $out"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (p.format !== "fathom-profile") throw new Error("format " + p.format);
const r = p.rankings && p.rankings[0];
if (!r || r.name !== "growth") throw new Error("no ranking named growth");
const last = r.variants[r.variants.length - 1];
if (last.variant !== "grow by 16" || last.rank !== 3) throw new Error("last: " + JSON.stringify(last));
if (!(last.ratio_lo > 5)) throw new Error("grow by 16 only " + last.ratio + "x the fastest");
if (r.variants[0].variant === "grow by 16") throw new Error("grow by 16 ranked first");
' "$T/variants.json" || fail "the variants ranking is not what the example promises: $out"
"$B/fathom" check "$T/variants.json" >/dev/null || fail "fathom check: $("$B/fathom" check "$T/variants.json" 2>&1 | head -3)"
"$B/fathom" report "$T/variants.json" >"$T/variants.txt" || fail "fathom report failed on the example's profile"
grep -q "^Variants: growth" "$T/variants.txt" || fail "the report has no Variants section"
echo "examples: variants_example ranked $(grep -c '^[0-9]' <<<"$out") strategies"

pm=$(FATHOM_OUT="$T/pmap.json" "$B/parallel_map" json 2>&1) || fail "parallel_map exited non-zero: $pm"
node -e '
const fs = require("fs");
const res = process.argv[1].split("\n").filter(Boolean).map(l => JSON.parse(l));
const want = [20000, 1200];
if (res.length !== 2) throw new Error(`expected 2 results, got ${res.length}`);
res.forEach((r, i) => {
  if (r.n_items !== want[i]) throw new Error(`result ${i}: n_items ${r.n_items}`);
  const tasks = r.per_worker.reduce((a, w) => a + w.tasks, 0);
  if (tasks !== want[i]) throw new Error(`result ${i}: workers ran ${tasks} items, not ${want[i]}`);
  if (r.workers < 1 || r.workers > r.per_worker.length) throw new Error(`result ${i}: workers ${r.workers}`);
  r.per_worker.forEach(w => { if (w.busy_ns + w.idle_ns > r.wall_ns) throw new Error(`result ${i}: busy + idle over the wall time`); });
});
const p = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const calls = n => (p.zones.find(z => z.name === n) || {stats: {count: -1}}).stats.count;
if (calls("hash") !== 20000 || calls("fetch") !== 1200)
  throw new Error(`zone calls: hash ${calls("hash")}, fetch ${calls("fetch")}`);
if (!p.threads.some(t => /^fathom-map-[0-9]+$/.test(t.name))) throw new Error("no thread fathom-map-N");
' "$pm" "$T/pmap.json" || fail "parallel_map: the results or the profile are not what the example promises"
echo "examples: parallel_map ran 21200 items, each once, each a zone"

# batch_loader: three loader configurations, 40 measured batches each in 8 rounds (a warm-up
# batch each round): every load and consume is a zone; the result counts the records each
# configuration measured, ranks them 1..3 at most, and its shares stay within 0..100 %
bl=$("$B/batch_loader" "$T/batch_loader.json" --json 2>&1) || fail "batch_loader exited non-zero: $bl"
json=${bl#*\{\"format\":\"fathom-batches\"}
node -e '
const fs = require("fs");
const r = JSON.parse("{\"format\":\"fathom-batches\"" + process.argv[1]);
const per = {"batch 64": 64, "batch 2048": 2048, "batch 2048, prefetch 2": 2048};
if (r.configurations.length !== 3) throw new Error("configurations: " + r.configurations.length);
r.configurations.forEach(c => {
  if (c.batches !== 40 || c.items !== 40 * per[c.name]) throw new Error(`${c.name}: ${c.batches} batches, ${c.items} items`);
  if (!(c.wait_pct >= 0 && c.wait_pct <= 100) || c.rank < 1 || c.rank > 3) throw new Error(`${c.name}: ${JSON.stringify(c)}`);
  if (Math.abs(c.items_per_s - c.items / (c.wall_ns / 1e9)) > 1e-6 * c.items_per_s) throw new Error(`${c.name}: items/s`);
});
const p = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
for (const n of Object.keys(per)) for (const k of ["load", "consume"]) {
  const z = p.zones.find(z => z.name === `${n}: ${k}` && z.component === "loader");
  if (!z || z.stats.count !== 48) throw new Error(`zone ${n}: ${k}: ${z ? z.stats.count : "missing"}`);
}
' "$json" "$T/batch_loader.json" || fail "batch_loader: the result or the profile is not what the example promises: $bl"
"$B/fathom" check "$T/batch_loader.json" >/dev/null || fail "fathom check on batch_loader's profile"
echo "examples: batch_loader compared 3 configurations"

# preprocess: "count words" hashes every word with 24 rounds a byte: it is the bottleneck,
# each of the 4 steps ran 8 times, the shares add up to 100 %
pp=$("$B/preprocess" "$T/preprocess.json" --json 2>&1) || fail "preprocess exited non-zero: $pp"
grep -q "bottleneck: count words" <<<"$pp" || fail "preprocess did not name count words the bottleneck: $pp"
json=${pp#*\{\"format\":\"fathom-pipeline\"}
node -e '
const r = JSON.parse("{\"format\":\"fathom-pipeline\"" + process.argv[1]);
if (r.bottleneck !== 2 || r.steps.length !== 4) throw new Error(`bottleneck ${r.bottleneck}`);
const share = r.steps.reduce((a, s) => a + s.share_pct, 0);
if (Math.abs(share - 100) > 1e-6) throw new Error("shares add up to " + share);
r.steps.forEach(s => { if (s.runs !== 8) throw new Error(`${s.name}: ${s.runs} runs`); });
' "$json" || fail "preprocess: the result is not what the example promises: $pp"
"$B/fathom" check "$T/preprocess.json" >/dev/null || fail "fathom check on preprocess's profile"
echo "examples: preprocess named its bottleneck"

# bench_sorts.sh: fathom bench of two commands, 10 runs each, both exported, and a profile
# of each in which the sort's own functions appear (cmp_keys under qsort, radix_pass)
bs=$(bash "$(dirname "$0")/../examples/bench_sorts.sh" "$B" "$T/bench" 2>&1) || fail "bench_sorts.sh failed: $bs"
node -e '
const fs = require("fs");
const b = JSON.parse(fs.readFileSync(process.argv[1] + "/bench.json", "utf8"));
if (b.results.length !== 2) throw new Error("results: " + b.results.length);
b.results.forEach(r => { if (r.times.length !== 10 || r.runs !== 10) throw new Error(`${r.command}: ${r.times.length} times`); });
const has = (f, fn) => JSON.parse(fs.readFileSync(process.argv[1] + "/bench-profiles/" + f, "utf8")).zones.some(z => z.name === fn);
if (!has("1.json", "radix_pass") && !has("2.json", "radix_pass")) throw new Error("no profile has radix_pass");
if (!has("1.json", "cmp_keys") && !has("2.json", "cmp_keys")) throw new Error("no profile has cmp_keys");
' "$T/bench" || fail "bench_sorts.sh: the exports or profiles are not what the example promises: $bs"
[[ -s $T/bench/bench.md ]] || fail "bench_sorts.sh wrote no Markdown table"
echo "examples: bench_sorts.sh timed and profiled two commands"

# growth_events: 24 growth steps of three strategies as outcome events; the report ranks
# them by accuracy gained per second, and the profile holds every event and checks clean
ge=$("$B/growth_events" "$T/growth.json" 2>&1) || fail "growth_events exited non-zero: $ge"
grep -q "accuracy_gain per second of time" <<<"$ge" || fail "growth_events: no efficiency ranking: $ge"
grep -q "^growth: 24 events" <<<"$ge" || fail "growth_events: not 24 events: $ge"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const e = p.outcome_events || [];
if (e.length !== 24) throw new Error("outcome_events: " + e.length);
if (!e.every(x => x.time_ns > 0 && x.outcomes.length === 2)) throw new Error("an event without its time or outcomes");
' "$T/growth.json" || fail "growth_events: the profile does not hold the events"
"$B/fathom" check "$T/growth.json" >/dev/null || fail "fathom check on growth_events's profile"
echo "examples: growth_events ranked 3 strategies"

# sqlite_slow: the same 300 lookups on a database without and with an index: each connection's
# runs are one statement of 300 runs and 300 rows, full-scan steps on the unindexed one only,
# and its slow_query finding names the column; fathom check reads the profile
out=$("$B/sqlite_slow" "$T/sqlite.json" 2>&1) || fail "sqlite_slow exited non-zero: $out"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const q = db => p.queries.find(x => x.db === db);
const a = q("no index"), b = q("with index");
if (!a || !b) throw new Error("a connection is missing from queries");
[a, b].forEach(x => {
  if (x.statement !== "SELECT SUM(amount) FROM orders WHERE customer = ?" || x.count !== 300 || x.rows !== 300)
    throw new Error(`${x.db}: ${x.statement}, ${x.count} runs, ${x.rows} rows`);
});
if (!(a.fullscan_steps >= 300 * 49999) || b.fullscan_steps !== 0)
  throw new Error(`full-scan steps ${a.fullscan_steps} and ${b.fullscan_steps}`);
const f = p.findings.find(x => x.class === "slow_query" && x.summary.includes("no index"));
if (!f || !f.suggestions.some(s => s.includes("orders(customer)"))) throw new Error("no finding naming orders(customer)");
' "$T/sqlite.json" || fail "sqlite_slow: the profile is not what the example promises: $out"
"$B/fathom" check "$T/sqlite.json" >/dev/null || fail "fathom check on sqlite_slow's profile"
echo "examples: sqlite_slow found the scan and the column to index"

# http_client: 40 item requests, 10 slow reports and 3 missing pages through libcurl, recorded
# by libfathom.so's curl_easy_perform (FATHOM_CURL=1): every request counted under its
# endpoint (query strings dropped), the bodies' bytes exact, the 404s as errors, each call a
# zone of component "net", and the slow_endpoint finding on /report says the server is slow
out=$(FATHOM_CURL=1 "$B/http_client" "$T/http.json" 2>&1) || fail "http_client exited non-zero: $out"
grep -q "^Network requests" <<<"$out" || fail "http_client: no Network requests table: $out"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const r = path => (p.requests || []).find(x => /^http:\/\/127\.0\.0\.1:[0-9]+\//.test(x.endpoint) &&
                                              x.endpoint.endsWith(path));
const items = r("/items"), rep = r("/report"), old = r("/old-page");
if (!items || !rep || !old || p.requests.length !== 3) throw new Error("endpoints: " + p.requests.map(x => x.endpoint));
if (items.count !== 40 || items.bytes_received !== 40 * 2048 || items.errors !== 0) throw new Error("items");
if (rep.count !== 10 || rep.bytes_received !== 10 * 1024 || rep.errors !== 0) throw new Error("report");
if (old.count !== 3 || old.errors !== 3 || old.http_errors !== 3 || old.slowest[0].status !== 404) throw new Error("old-page");
[items, rep, old].forEach(x => {
  if (x.phased !== x.count) throw new Error(`${x.endpoint}: phases of ${x.phased}`);
  const sum = x.dns_ns + x.connect_ns + x.tls_ns + x.wait_ns + x.transfer_ns;
  if (!(sum <= x.phased_ns && x.phased_ns <= x.total_ns)) throw new Error(`${x.endpoint}: phases ${sum}`);
});
const z = p.zones.find(x => x.name === "curl_easy_perform" && x.component === "net");
if (!z || z.stats.count !== 53) throw new Error("the curl_easy_perform zone");
const f = p.findings.find(x => x.class === "slow_endpoint" && x.path === rep.endpoint);
if (!f || !f.suggestions.some(s => s.includes("the server is slow"))) throw new Error("no slow_endpoint finding on /report");
' "$T/http.json" || fail "http_client: the profile is not what the example promises: $out"
"$B/fathom" check "$T/http.json" >/dev/null || fail "fathom check on http_client's profile"
echo "examples: http_client counted 53 requests on 3 endpoints and found the slow server"

# lock_contention: four workers on one mutex, then on 16 striped mutexes: both locks are in
# the profile with every acquisition counted, the one lock waited on and the stripes less,
# and the profile checks clean
lc=$("$B/lock_contention" "$T/locks.json" 2>&1) || fail "lock_contention exited non-zero: $lc"
grep -q "^Locks" <<<"$lc" || fail "lock_contention: no Locks section: $lc"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const l = Object.fromEntries((p.locks || []).map(x => [x.name, x]));
if (!l.table || !l.stripes) throw new Error("locks: " + Object.keys(l));
if (l.table.acquisitions !== 1600 || l.stripes.acquisitions !== 1600) throw new Error("acquisitions");
if (l.stripes.addresses !== 16 || l.table.addresses !== 1) throw new Error("addresses");
if (!(l.table.hold_ns > l.stripes.hold_ns)) throw new Error("the one lock is not held longer");
if (l.table.holders[0].zone !== "insert_locked") throw new Error("holder " + l.table.holders[0].zone);
' "$T/locks.json" || fail "lock_contention: the profile does not hold the locks"
"$B/fathom" check "$T/locks.json" >/dev/null || fail "fathom check on lock_contention's profile"
echo "examples: lock_contention profiled one lock and 16 stripes"

# profilers: two word counters, each under a named profiler reset after a warm-up round: each
# profiler's report holds only its own zones and 5 calls of "count" (rounds 2-6); the session's
# profile keeps every call (the warm-up under "NAME (before reset 1)") and checks clean, and
# `fathom report --component` gives the same part of it
po=$("$B/profilers" "$T/profilers.json" 2>&1) || fail "profilers exited non-zero: $po"
grep -q "^hash: 5 counts, .*sorted: 5 counts" <<<"$po" || fail "profilers: not 5 counts each: $po"
grep -q "Session: *profilers \[profiler sorted\]" <<<"$po" || fail "profilers: no report of 'sorted'"
grep -q "tokenize" <<<"$po" && fail "profilers: a profiler's report shows the shared tokenizer"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const c = (comp, n) => p.zones.filter(z => z.component === comp && z.name === n).reduce((a, z) => a + z.stats.count, 0);
if (c("hash", "count") !== 5 || c("hash (before reset 1)", "count") !== 1) throw new Error("hash counts");
if (c("sorted", "insert") + c("sorted (before reset 1)", "insert") !== 6 * 3000) throw new Error("inserts");
if (c("default", "tokenize") !== 6) throw new Error("tokenize");
' "$T/profilers.json" || fail "profilers: the session profile does not keep every call"
"$B/fathom" check "$T/profilers.json" >/dev/null || fail "fathom check on the profilers example's profile"
"$B/fathom" report "$T/profilers.json" --component sorted --format json -o "$T/sorted.json" ||
  fail "fathom report --component failed"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (!p.zones.length || !p.zones.every(z => z.component === "sorted")) throw new Error("zones " + JSON.stringify(p.zones.map(z => z.component)));
' "$T/sorted.json" || fail "fathom report --component kept other components"
"$B/fathom" check "$T/sorted.json" >/dev/null || fail "fathom check on a --component profile"
if "$B/fathom" report "$T/profilers.json" --component nosuch >/dev/null 2>"$T/err"; then
  fail "fathom report --component nosuch succeeded"
fi
grep -q "no zone of component 'nosuch'" "$T/err" || fail "--component nosuch: $(cat "$T/err")"
echo "examples: profilers reported two implementations apart"

# latency_window: 10,000 requests, the last 200 three times the work: the window over the
# last 200 holds exactly those, and its median is well above the whole run's (which the 2 %
# of slow requests leave where the fast ones are)
lw=$("$B/latency_window" "$T/lw.json" 2>&1) || fail "latency_window exited non-zero: $lw"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const w = p.windows && p.windows.find(x => x.name === "request");
if (!w) throw new Error("no window named request");
if (w.last_calls !== 200 || w.calls !== 200) throw new Error(`window calls ${w.calls} of ${w.last_calls}`);
if (w.run_calls !== 10000) throw new Error(`run_calls ${w.run_calls}`);
const z = p.zones.find(x => x.name === "request");
if (!z || z.stats.count !== 10000) throw new Error("zone request: " + JSON.stringify(z && z.stats.count));
/* 3x the work; fixed per-call costs (fathom and a sanitizer add their own) narrow the ratio: 1.9x
   seen under ASan */
if (!(w.p50_ns > 1.5 * z.stats.p50_ns)) throw new Error(`window p50 ${w.p50_ns} ns, run p50 ${z.stats.p50_ns} ns`);
if (!(w.min_ns <= w.p50_ns && w.p50_ns <= w.p90_ns && w.p90_ns <= w.p95_ns && w.p95_ns <= w.p99_ns && w.p99_ns <= w.max_ns))
  throw new Error("window percentiles out of order");
' "$T/lw.json" || fail "latency_window: the window does not show what the example promises: $lw"
"$B/fathom" check "$T/lw.json" >/dev/null || fail "fathom check on latency_window's profile"
"$B/fathom" report "$T/lw.json" >"$T/lw.txt" || fail "fathom report on latency_window's profile"
grep -q "^Recent windows" "$T/lw.txt" || fail "latency_window: no Recent windows section"
echo "examples: latency_window's window saw the last 200 requests slow down"

# levels_example: parse at detailed, render at basic, net off, FATHOM_METRICS=-io: render's
# 2000 calls are timed with no resource figures, parse's 40 calls are probed without any I/O
# figure (switched off: absent, not 0), net_send is not in the profile, the profile keeps the
# levels and the switch, and fathom check reads it clean
lv=$("$B/levels_example" "$T/levels.json" 2>&1) || fail "levels_example exited non-zero: $lv"
grep -q "^net_send not recorded" <<<"$lv" || fail "levels_example: net_send recorded: $lv"
grep -q "Metrics off: *io (switched off: not measured)" <<<"$lv" || fail "levels_example: no Metrics off line: $lv"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const z = Object.fromEntries(p.zones.map(x => [x.name, x]));
if (z.net_send) throw new Error("net_send was recorded");
if (!z.render_row || z.render_row.stats.count !== 2000 || z.render_row.res) throw new Error("render_row: " + JSON.stringify(z.render_row && z.render_row.res));
const r = z.parse_record && z.parse_record.res;
if (!z.parse_record || z.parse_record.stats.count !== 40) throw new Error("parse_record");
if (r && ["read_bytes", "write_bytes", "read_ops", "write_ops"].some(k => k in r.sum)) throw new Error("an I/O figure: " + JSON.stringify(r.sum));
const lv = (p.component_levels || []).map(x => x.component + "=" + x.level).join(",");
if (lv !== "parse=detailed,render=basic,net=disabled" || p.default_level !== "basic") throw new Error("levels: " + lv);
if (JSON.stringify(p.metrics_off) !== "[\"io\"]") throw new Error("metrics_off: " + p.metrics_off);
' "$T/levels.json" || fail "levels_example: the profile does not hold what the levels say"
"$B/fathom" check "$T/levels.json" >/dev/null || fail "fathom check on levels_example's profile"
echo "examples: levels_example ran three components at three levels, I/O switched off"

# ext_profiler: an extension reads an object pool's hits, misses and bytes around every timed
# call: the first phase misses once (the empty pool), the second keeps 3 in 4 buffers, so its
# calls miss exactly as often as the buffers kept before them; every figure is exact (every
# call read), self = total for the leaf zones, the threshold finding names serve_keeping
# only, the series and the report section are in the profile, and it checks clean
ep=$("$B/ext_profiler" "$T/ext.json" 2>&1) || fail "ext_profiler exited non-zero: $ep"
grep -q "^Extension object_pool (read on every timed call)" <<<"$ep" || fail "ext_profiler: no Extension section: $ep"
grep -q "object pool: 4000 requests" <<<"$ep" || fail "ext_profiler: no report section: $ep"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const x = p.extensions && p.extensions[0];
if (!x || x.name !== "object_pool" || x.flags[0] !== "every_call") throw new Error("extension " + JSON.stringify(x && x.name));
const zone = n => p.zones.findIndex(z => z.name === n);
const node = n => p.nodes.findIndex(d => d.zone === zone(n));
const fig = (n, k) => x.nodes.find(r => r[0] === node(n) && r[1] === k);
// serve_keeping i keeps buffer i when i % 4 != 0: requests after the first miss unless a
// buffer came back (i % 4 == 0 returns one): 2000 calls, 500 returned, so 1500 misses less
// the returned ones reused: hits 501 (the one left by phase 1, then each returned one)
const keepHits = 501, keepMiss = 1499, retMiss = 1;
const a = fig("serve_keeping", 1), b = fig("serve_returning", 1), h = fig("serve_keeping", 0);
if (!a || a[2] !== 2000 || a[3] !== keepMiss || a[4] !== 0 || a[5] !== keepMiss) throw new Error("serve_keeping misses " + a);
if (!h || h[3] !== keepHits) throw new Error("serve_keeping hits " + h);
if (!b || b[3] !== retMiss || b[5] !== retMiss) throw new Error("serve_returning misses " + b);
const by = fig("serve_keeping", 2);
if (!by || by[3] !== keepMiss * 4096) throw new Error("serve_keeping bytes " + by);
const ph = fig("keeping_phase", 1);
if (!ph || ph[3] !== keepMiss || ph[5] !== 0) throw new Error("keeping_phase misses " + ph);
const f = p.findings.filter(f => f.class === "ext_threshold");
if (f.length !== 1 || p.zones[f[0].zone].name !== "serve_keeping") throw new Error("findings " + JSON.stringify(f.map(f => f.summary)));
if (!(x.series.rows.length >= 1) || x.series.columns.join() !== "hits,misses,bytes") throw new Error("series");
if (!x.report || !x.report.includes("62.5% served from the free list")) throw new Error("report " + x.report);
' "$T/ext.json" || fail "ext_profiler: the profile is not what the example promises"
"$B/fathom" check "$T/ext.json" >/dev/null || fail "fathom check on ext_profiler's profile: $("$B/fathom" check "$T/ext.json" 2>&1 | head -3)"
# (the report into a variable first: under pipefail, grep -q quitting early could fail fathom
# with SIGPIPE)
er=$("$B/fathom" report "$T/ext.json") || fail "fathom report of ext_profiler's profile failed"
grep -q "^Extension object_pool" <<<"$er" || fail "fathom report of the saved profile has no Extension section"
"$B/fathom" report "$T/ext.json" --format html -o "$T/ext.html" || fail "fathom report --format html on ext_profiler's profile"
grep -q '"exts":\[\["object_pool",1,\["hits","misses","bytes"\]' "$T/ext.html" || fail "the HTML page's data holds no extension"
echo "examples: ext_profiler measured the pool per zone"
