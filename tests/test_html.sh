#!/usr/bin/env bash
# test_html.sh: the HTML report (`fathom report FILE.json --format html`) checked in a real
# browser, Debian's headless Chromium: each page must load with no console message and no
# script error, and its script must have drawn every section (the DOM dump shows the zone
# table rows, the flame graph, the findings, the timeline when recorded); the interactive
# parts are driven through the URL hash (#search=, #zoom=, #sort=, #filter=, #threads=) and
# read back from the data-* attributes they set. Screenshots are written to
# $FATHOM_TEST_TMP/html/*.png.
#
# Profiles: the demo pipeline's (the current schema, written by the current library, timeline
# on); a hostile one from tests/html_gen.c (names with "</script><b>&\"'", UTF-8 and invalid
# UTF-8, findings, SLAs and throughput); a 100 000-node hand-built one (size goal < 10 MB); an
# estimated one (schema 4: sampled timing with errors and intervals, fixed costs); one of 506
# zones with known totals (what comes first, what long tables leave out, the flame graph's
# widths against the table's totals, labels against cells).
#
# Invariant: never passes without having run Chromium. If it is missing the test says so
# and fails (exit 1); it does not skip.
set -euo pipefail

SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
BUILD=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
TMP=${FATHOM_TEST_TMP:-$BUILD/test-tmp}/html
rm -rf "$TMP"
mkdir -p "$TMP"
FATHOM=$BUILD/fathom

pass=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { pass=$((pass + 1)); echo "ok: $*"; }
. "$SRC/tests/lib/common.sh"

command -v chromium >/dev/null ||
  fail "chromium is not installed: this test needs Debian's chromium (apt-get install chromium; scripts/deps.sh)"
[ -x "$FATHOM" ] || fail "$FATHOM not built"

# ---- the assets can never end their element early ------------------------------------
if grep -il '</script\|</style\|<!--' "$SRC"/src/view/html/*.js "$SRC"/src/view/html/*.css; then
  fail "an asset in src/lib/html holds </script, </style or <!--"
fi
ok "assets hold no </script, </style or <!--"

# ---- the browser -------------------------------------------------------------------------
# Chromium needs a writable home; its own logs (dbus, gpu) are noise, console lines are not.
export HOME=$TMP/home
mkdir -p "$HOME"
CHROME=(chromium --headless=new --no-sandbox --disable-gpu --no-first-run --no-default-browser-check
        --disable-extensions --disable-background-networking --user-data-dir="$TMP/profile"
        --enable-logging=stderr --v=0 --virtual-time-budget=8000)

# dump PAGE#HASH NAME: the DOM after the scripts ran into $TMP/NAME.dom; fails on console
# output, on a recorded script error and when the page did not finish drawing.
dump() {
  local url=$1 name=$2
  timeout 120 "${CHROME[@]}" --dump-dom "file://$url" >"$TMP/$name.dom" 2>"$TMP/$name.log" ||
    fail "$name: chromium failed (exit $?), see $TMP/$name.log"
  if grep -a 'CONSOLE' "$TMP/$name.log" >&2; then fail "$name: the page wrote to the console"; fi
  if grep -ao 'data-errors="[^"]*"' "$TMP/$name.dom" >&2; then fail "$name: script errors in the page"; fi
  grep -q 'data-rendered="1"' "$TMP/$name.dom" || fail "$name: the page did not finish drawing (no data-rendered)"
}

# attr NAME ID ATTR: the value of ATTR on the element with id ID in the dump.
attr() {
  local v
  v=$(grep -ao "<[a-z]* [^>]*id=\"$2\"[^>]*>" "$TMP/$1.dom" | head -1 | grep -o "$3=\"[^\"]*\"" | head -1) || true
  v=${v#*=\"}
  echo "${v%\"}"
}

expect_eq() {  # what got want
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

screenshot() {  # PAGE PNG
  timeout 120 "${CHROME[@]}" --hide-scrollbars --window-size=1400,2000 --screenshot="$2" \
    "file://$1" >"$TMP/shot.log" 2>&1 || fail "chromium screenshot of $1 failed"
  [ -f "$2" ] || fail "no screenshot written at $2"
  local size
  size=$(stat -c %s "$2")
  [ "$size" -gt 20000 ] || fail "screenshot $2 is only $size bytes"
}

self_contained() {  # PAGE: nothing fetched from anywhere
  local f=$1
  head -c 15 "$f" | grep -q '<!DOCTYPE html>' || fail "$f does not start with <!DOCTYPE html>"
  if grep -aEo '(src|href|action)=["'"'"']?(https?:)?//|@import|url\(|fetch\(|XMLHttpRequest|WebSocket|EventSource' "$f" | head -3 | grep . >&2; then
    fail "$f refers to something outside itself"
  fi
  grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$f" || fail "$f has no CSP forbidding fetches"
}

# ---- 1. the demo pipeline's profile, written by the current library -------------------
"$BUILD/demo_pipeline" "$TMP/demo" 4000 >"$TMP/demo.out" 2>&1 || fail "demo_pipeline failed"
"$FATHOM" report "$TMP/demo/profile.json" --format html -o "$TMP/demo.html" || fail "fathom report --format html failed"
self_contained "$TMP/demo.html"
"$FATHOM" report "$TMP/demo/profile.json" --format=html >"$TMP/demo.stdout.html" || fail "report to stdout failed"
cmp -s "$TMP/demo.html" "$TMP/demo.stdout.html" || fail "-o and stdout give different pages"
ok "demo profile rendered ($(stat -c %s "$TMP/demo.html") bytes), self-contained"

dump "$TMP/demo.html" demo
rows=$(grep -ao '<tr data-zone="' "$TMP/demo.dom" | wc -l)
zones=$(grep -ao '"zones":\[\[' "$TMP/demo.html" | wc -l)
[ "$zones" = 1 ] || fail "demo: no zones in the data block"
[ "$rows" -ge 10 ] || fail "demo: zone table has $rows rows, want the demo's 13 zones"
grep -q 'id="zone-table"' "$TMP/demo.dom" || fail "demo: no zone table"
grep -aq '>parse_record<' "$TMP/demo.dom" || fail "demo: zone parse_record not in the table"
drawn=$(attr demo flamegraph data-frames-drawn)
[ "${drawn:-0}" -ge 5 ] || fail "demo: flame graph drew '${drawn}' frames"
grep -q 'id="findings"' "$TMP/demo.dom" || fail "demo: no findings section"
grep -Eq 'class="finding |id="no-findings"' "$TMP/demo.dom" || fail "demo: findings section is empty"
ev=$(attr demo timeline-view data-events-drawn)
[ "${ev:-0}" -gt 0 ] || fail "demo: timeline drew '${ev}' events"
charts=$(grep -ao 'data-charts="[0-9]*"' "$TMP/demo.dom" | grep -o '[0-9]*')
[ "${charts:-0}" -ge 2 ] || fail "demo: ${charts:-no} resource charts"
grep -aq 'id="summary-line">[^<]*Wall Time: ' "$TMP/demo.dom" || fail "demo: no one-line summary"
for id in summary zones flame timeline resources-time threads notes metadata; do
  grep -q "<section id=\"$id\"" "$TMP/demo.dom" || fail "demo: section $id missing"
done
ok "demo page: $rows zone rows, $drawn frames, $ev timeline events, $charts charts, no console output"

screenshot "$TMP/demo.html" "$TMP/report.png"
ok "screenshot $TMP/report.png ($(stat -c %s "$TMP/report.png") bytes)"

# sorting and filtering through the hash
dump "$TMP/demo.html#sort=-calls" demo_sort
expect_eq "sort" "$(attr demo_sort zone-table data-sort)" "-calls"
first=$(grep -ao '<tr data-zone="[0-9]*"><td[^>]*>[^<]*' "$TMP/demo_sort.dom" | head -1 | sed 's/.*>//')
case "$first" in
  parse_record|format_record|dense_layer|normalize) ;;   # the 4000-call zones
  *) fail "sort by calls: first row is '$first'" ;;
esac
most=$first
dump "$TMP/demo.html#sort=name" demo_sort_name
first=$(grep -ao '<tr data-zone="[0-9]*"><td[^>]*>[^<]*' "$TMP/demo_sort_name.dom" | head -1 | sed 's/.*>//')
expect_eq "sort by name, first row" "$first" "compute_batch"
dump "$TMP/demo.html#filter=record" demo_filter
expect_eq "filter=record rows" "$(attr demo_filter zone-table data-rows)" "2"
ok "zone table sorts (most calls: $most; by name: $first) and filters through the hash"

# ---- 2. hostile names, findings, SLAs, throughput --------------------------------------
build_gen html_gen
"$TMP/html_gen" hostile "$TMP/hostile" || fail "html_gen hostile failed"
self_contained "$TMP/hostile.html"
# a session started from the environment writes the page itself (.html extension)
FATHOM_OUT="$TMP/direct.html" "$TMP/html_gen" plain || fail "html_gen plain with FATHOM_OUT=direct.html failed"
self_contained "$TMP/direct.html"
grep -q 'id="fathom-data">{"v":1,' "$TMP/direct.html" || fail "the session's .html output has no data block"
dump "$TMP/direct.html" direct
grep -q '<tr data-zone=' "$TMP/direct.dom" || fail "direct.html: no zone rows"
if grep -aq '</script><b>' "$TMP/hostile.html"; then fail "hostile: a name reached the page unescaped"; fi
[ "$(grep -ac '</script>' "$TMP/hostile.html")" = 3 ] || fail "hostile: not exactly the page's own 3 </script>"
grep -aq '<title>session &lt;/script&gt;&lt;b&gt;&amp;&quot;&#39; ' "$TMP/hostile.html" || fail "hostile: title not escaped"

dump "$TMP/hostile.html" hostile
grep -aq '<b>' "$TMP/hostile.dom" && fail "hostile: a <b> element was created from a name"
n=$(grep -ao 'parse &lt;/script&gt;&lt;b&gt;&amp;"'"'" "$TMP/hostile.dom" | wc -l)
[ "$n" -ge 4 ] || fail "hostile: the name shows as text $n times, want it in table, findings, SLA, throughput"
grep -aq "d$(printf '\xc3\xa9')cod$(printf '\xc3\xa9') $(printf '\xe5\xad\x97')" "$TMP/hostile.dom" || fail "hostile: UTF-8 name lost"
grep -aq "bad$(printf '\xef\xbf\xbd')byte" "$TMP/hostile.dom" || fail "hostile: invalid UTF-8 not shown as U+FFFD"
grep -q 'class="finding sev-critical" data-class="hot_path"' "$TMP/hostile.dom" || fail "hostile: critical finding missing"
grep -q 'class="finding sev-warning" data-class="alloc_churn"' "$TMP/hostile.dom" || fail "hostile: warning finding missing"
grep -aq 'Suggestion &lt;/script&gt;&lt;b&gt;&amp;"'"'"': hoist' "$TMP/hostile.dom" || fail "hostile: suggestion missing"
grep -aq '61.2%' "$TMP/hostile.dom" || fail "hostile: finding figure missing"
grep -q '<section id="slas"' "$TMP/hostile.dom" && grep -q 'MISSED' "$TMP/hostile.dom" &&
  grep -q 'not measurable' "$TMP/hostile.dom" || fail "hostile: SLA table wrong"
grep -q '<section id="throughput"' "$TMP/hostile.dom" || fail "hostile: throughput table missing"
ok "hostile names escaped everywhere; findings, SLAs, throughput rendered; FATHOM_OUT=x.html works"

# flame graph search and zoom: "parse" matches the merged main-thread frame and the
# worker's top-level frame
dump "$TMP/hostile.html#search=parse" hostile_search
expect_eq "search" "$(attr hostile_search flamegraph data-search)" "parse"
expect_eq "search matches" "$(attr hostile_search flamegraph data-matches)" "2"
pct=$(attr hostile_search flamegraph data-match-pct)
awk -v p="$pct" 'BEGIN { exit !(p > 0 && p < 100) }' || fail "search share '$pct'%, want between 0 and 100"
dump "$TMP/hostile.html#zoom=outer;middle&search=parse" hostile_zoom
expect_eq "zoom" "$(attr hostile_zoom flamegraph data-zoom)" "outer;middle"
zpct=$(attr hostile_zoom flamegraph data-match-pct)
# the share is now of the zoomed frame's time: another figure, still a proper share
awk -v p="$zpct" -v q="$pct" 'BEGIN { exit !(p > 0 && p < 100 && p != q) }' ||
  fail "zoomed share $zpct% should be a share of outer;middle, not the whole's $pct%"
dump "$TMP/hostile.html#threads=1&zoom=middle" hostile_threads
case "$(attr hostile_threads flamegraph data-zoom)" in
  *";outer;middle") ;;
  *) fail "per-thread zoom: '$(attr hostile_threads flamegraph data-zoom)'" ;;
esac
ok "flame search ($pct% of all, $zpct% of outer;middle), zoom and per-thread trees"
screenshot "$TMP/hostile.html#search=parse" "$TMP/hostile.png"

# the hostile profile through the JSON loader, as `fathom report` reads it
"$FATHOM" report "$TMP/hostile.json" --format html -o "$TMP/hostile_loaded.html" || fail "report of hostile.json"
dump "$TMP/hostile_loaded.html" hostile_loaded
grep -q '<tr data-zone=' "$TMP/hostile_loaded.dom" || fail "hostile.json: no zone rows"
ok "hostile profile round trip through JSON renders"

# ---- 3. a large profile: 100 000 call-tree nodes, no timeline -------------------------------
"$TMP/html_gen" big 100000 "$TMP/big.html" | tee "$TMP/big.txt" || fail "html_gen big failed"
bytes=$(stat -c %s "$TMP/big.html")
[ "$bytes" -lt 10000000 ] || fail "100k-node page is $bytes bytes, goal < 10 MB"
dump "$TMP/big.html" big
expect_eq "big zone rows" "$(attr big zone-table data-rows)" "30"
grep -q '<button type="button" class="more" id="zones-more">show all 1,000 zones</button>' "$TMP/big.dom" ||
  fail "big: no 'show all' button under the zone table"
drawn=$(attr big flamegraph data-frames-drawn)
[ "${drawn:-0}" -gt 10 ] && [ "$drawn" -lt 100000 ] || fail "big: drew '$drawn' frames (sub-pixel ones must be skipped)"
grep -q 'id="timeline-view"' "$TMP/big.dom" && fail "big: a timeline without one recorded"
ok "100k nodes: $bytes bytes, 30 of 1000 zone rows shown (the rest behind 'show all'), $drawn frames drawn"

# ---- 4. an empty model still gives a working page ---------------------------------------
"$TMP/html_gen" empty "$TMP/empty.html" || fail "html_gen empty failed"
dump "$TMP/empty.html" empty
grep -q 'id="no-findings"' "$TMP/empty.dom" || fail "empty: no 'no findings' note"
grep -q 'No zones were recorded' "$TMP/empty.dom" || fail "empty: no 'no zones' note"
ok "an empty model renders (no findings, no zones)"

# ---- 5. estimates (schema 4): sampled timing, a child estimated above its parent ---------
"$TMP/html_gen" estimated "$TMP/estimated.html" || fail "html_gen estimated failed"
dump "$TMP/estimated.html#search=hot_loop" estimated
row=$(grep -ao '<tr data-zone="1">.*' "$TMP/estimated.dom" | sed 's|</tr>.*||')
case "$row" in
  *'>~1.020 s ±0.029<'*) ;;
  *) fail "estimated: hot_loop's total is not shown as an estimate with its 95 % interval: $row" ;;
esac
grep -q 'class="num est" title="estimated from 10,000 timed of 1,000,000 calls' <<<"$row" ||
  fail "estimated: no tooltip saying what the estimate rests on"
grep -q '>≥' <<<"$row" || fail "estimated: max not shown as a bound of the timed calls"
grep -Eq '>~[0-9.]+ [^ <]+ \[[0-9.]+, [0-9.]+\]<' <<<"$row" || fail "estimated: no percentile interval"
grep -aq '<dt>Estimates</dt><dd>~ marks figures estimated' "$TMP/estimated.dom" || fail "estimated: no legend"
grep -aq '<dt>Operations</dt><dd>1,000,101 zone calls, 10,101 timed' "$TMP/estimated.dom" ||
  fail "estimated: timed calls not shown beside the calls"
grep -aq '<dt>Fixed costs</dt><dd>setup 1.20 ms, background thread 8.00 ms, model build 3.40 ms = 12.60 ms' \
  "$TMP/estimated.dom" || fail "estimated: fixed costs missing or added to the overhead"
grep -aq 'zones only' "$TMP/estimated.dom" || fail "estimated: overhead not said to be the zones' only"
grep -aq 'not enough data' "$TMP/estimated.dom" || fail "estimated: SLA 'not enough data' missing"
pct=$(attr estimated flamegraph data-match-pct)
awk -v p="$pct" 'BEGIN { exit !(p > 90 && p <= 100) }' || fail "estimated: search share '$pct'%, want in (90, 100]"
if grep -aoE '[0-9]+(\.[0-9]+)?%' "$TMP/estimated.dom" | tr -d '%' | awk '$1 > 100 { bad = 1 } END { exit !bad }'; then
  fail "estimated: a share above 100 % on the page"
fi
ok "estimates: ~ and ± with tooltips, intervals, bounds, legend, fixed costs apart, shares <= 100 % ($pct%)"

# ---- 6. hundreds of zones (as -finstrument-functions gives): what comes first, what is cut -
# html_gen many: 506 zones on two threads with known totals; it prints them
"$TMP/html_gen" many "$TMP/many.html" >"$TMP/many.txt" || fail "html_gen many failed"
want() { awk -v k="$1" -v n="${2:-}" '$1 == k && (n == "" || $2 == n) { print $(n == "" ? 2 : 3); exit }' "$TMP/many.txt"; }
bytes=$(stat -c %s "$TMP/many.html")
[ "$bytes" -lt 400000 ] || fail "many: a 506-zone page is $bytes bytes, want < 400 kB"
CHROME+=(--window-size=1400,900)   # a screen: 900 px high
dump "$TMP/many.html" many
# the zones and the flame graph first; the page before the throughput table under 10 screens
layout=$(grep -ao 'data-layout="[^"]*"' "$TMP/many.dom" | sed 's/.*="//; s/"$//')
top_of() { tr ',' '\n' <<<"$layout" | awk -F: -v s="$1" '$1 == s { print $2 }'; }
z=$(top_of zones); fl=$(top_of flame); fi=$(top_of findings); tp=$(top_of throughput)
[ -n "$z" ] && [ -n "$fl" ] && [ -n "$fi" ] && [ -n "$tp" ] || fail "many: sections missing: $layout"
[ "$z" -lt "$fl" ] && [ "$fl" -lt "$fi" ] && [ "$fi" -lt "$tp" ] ||
  fail "many: want zones, flame graph, findings, throughput in this order: $layout"
[ "$tp" -lt 9000 ] || fail "many: the throughput section starts $tp px down, want under 10 screens (9000 px)"
expect_eq "many zone rows" "$(attr many zone-table data-rows)" "30"
grep -q 'id="zones-more">show all 506 zones<' "$TMP/many.dom" || fail "many: no 'show all 506 zones'"
# throughput: only rates that mean something (counters, zones of 100 calls or more), 15 shown
expect_eq "many throughput rows" "$(attr many tput-table data-total)" "$(want tput_meaningful)"
expect_eq "many throughput rows shown" "$(attr many tput-table data-rows)" "15"
tput=$(sed -n 's|.*\(<section id="throughput".*\)|\1|p' "$TMP/many.dom" | sed 's|</section>.*||')
grep -q '>work_497<' <<<"$tput" || fail "many: work_497 (501 calls) not in the throughput table"
grep -q '>work_001<' <<<"$tput" && fail "many: work_001 (1 call) has a throughput row"
grep -q '433 zones called fewer than 100 times are left out' <<<"$tput" ||
  fail "many: the throughput section does not say which zones it left out"
# every "mean /s" cell is a plain number (the unit is in the header)
cells=$(grep -o '<tr><td>zone</td><td>[^<]*</td><td class="num">[^<]*</td><td class="num">[^<]*</td>' <<<"$tput" |
        sed 's|.*<td class="num">||; s|</td>$||')
[ -n "$cells" ] || fail "many: no zone rows in the throughput table"
if grep -v '^[0-9][0-9.,]*$' <<<"$cells"; then fail "many: a 'mean /s' cell is not a plain number"; fi
# the flame graph agrees with the table: a zone's frames (outermost, under many parents, one
# recursive) are as wide as its total, to the nanosecond, and the table shows that total
for zn in shared_util work_000; do
  dump "$TMP/many.html#zone=$zn&filter=$zn" "many_$zn"
  expect_eq "flame width of $zn" "$(attr "many_$zn" flamegraph data-match-ns)" "$(want zone "$zn")"
  idx=$(grep -ao '<tr data-zone="[0-9]*"><td[^>]*>'"$zn"'<' "$TMP/many_$zn.dom" | grep -o '[0-9][0-9]*' | head -1)
  [ -n "$idx" ] || fail "many: $zn not in the zone table filtered by its name"
  row=$(grep -ao '<tr data-zone="'"$idx"'">.*' "$TMP/many_$zn.dom" | sed 's|</tr>.*||')
  total_text=$(awk -v n="$zn" '$1 == "zone" && $2 == n { print $4 " " $5 }' "$TMP/many.txt")
  grep -q ">$total_text<" <<<"$row" || fail "many: the table's row of $zn lacks its total $total_text: $row"
done
# labels with a unit match their cells: a finding's figure "p50_ns" reads "p50" "365.00 µs"
grep -aq '<dt>p50</dt><dd>365.00 µs</dd>' "$TMP/many.dom" || fail "many: finding figure p50 not labelled as its value"
if grep -aoE '<(dt|th)[^>]*>[^<]*[ _](ns|pct|bytes)</(dt|th)>' "$TMP/many.dom"; then
  fail "many: a label names a unit its cell does not use"
fi
ok "506 zones ($bytes bytes): zones and flame graph first, throughput at $tp px with $(want tput_meaningful) rows with a rate, flame widths = table totals, labels match cells"

# ---- 6b. workload tables: a variant ranking and outcome events, drawn ------------------
"$BUILD/variants_example" "$TMP/variants.json" >/dev/null 2>&1 || fail "variants_example failed"
"$BUILD/growth_events" "$TMP/growth.json" >/dev/null 2>&1 || fail "growth_events failed"
for w in variants growth; do
  "$FATHOM" report "$TMP/$w.json" --format html -o "$TMP/$w.html" || fail "$w: report --format html failed"
  dump "$TMP/$w.html" "$w"
done
grep -q '<section id="rankings"' "$TMP/variants.dom" || fail "variants: no Variants section drawn"
grep -aq 'grow by 16' "$TMP/variants.dom" || fail "variants: the ranking's rows are not drawn"
grep -q '<section id="outcomes"' "$TMP/growth.dom" || fail "growth: no Outcome events section drawn"
grep -aq 'growth: accuracy_gain per second of time' "$TMP/growth.dom" || fail "growth: no ranking by time drawn"
for s in widen add_layer random_prune; do
  grep -aq "<td>$s</td>" "$TMP/growth.dom" || fail "growth: subject $s not drawn"
done
ok "a variant ranking and outcome events drawn"

# GPU zones (CUDA events; no GPU here, so the table is added to a real profile by hand):
# the section lists them with their GPU times, the CPU zone's time per call beside, and the
# device memory where it was read (matmul: every pair, +3 MiB; reduce: not measured)
node -e '
const fs = require("fs"), p = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
p.gpu_zones = [
  {name: "matmul", zone: null, count: 3, total_ms: 6, mean_ms: 2, min_ms: 1, max_ms: 3, unresolved: 1, dropped: 0,
   mem_calls: 3, mem_change_mean: 3145728, mem_change_se: 0, mem_before_max: 1048576, mem_after_max: 4194304,
   mem_peak: 4194304},
  {name: "reduce", zone: null, count: 2, total_ms: 1, mean_ms: 0.5, min_ms: 0.25, max_ms: 0.75, unresolved: 0, dropped: 2}];
fs.writeFileSync(process.argv[2], JSON.stringify(p));
' "$TMP/growth.json" "$TMP/gpu.json" || fail "could not write the GPU zones profile"
"$FATHOM" check "$TMP/gpu.json" >/dev/null || fail "gpu: the hand-made profile does not check: $("$FATHOM" check "$TMP/gpu.json" 2>&1 | head -3)"
"$FATHOM" report "$TMP/gpu.json" --format html -o "$TMP/gpu.html" || fail "gpu: report --format html failed"
dump "$TMP/gpu.html" gpu
grep -q '<section id="gpu-zones"' "$TMP/gpu.dom" || fail "gpu: no GPU zones section drawn"
grep -aq '<td>matmul</td><td class="num">3</td><td class="num">6.00 ms</td><td class="num">2.00 ms</td>' "$TMP/gpu.dom" ||
  fail "gpu: matmul's row is not drawn as expected: $(grep -ao '<td>matmul</td>.\{0,200\}' "$TMP/gpu.dom" | head -1)"
grep -aq '<td>reduce</td>' "$TMP/gpu.dom" || fail "gpu: reduce's row is missing"
grep -aq '<td class="num">3</td><td class="num">+3.00 MiB</td><td class="num">≥4.00 MiB</td></tr>' "$TMP/gpu.dom" ||
  fail "gpu: matmul's memory is not drawn as expected: $(grep -ao '<td>matmul</td>.\{0,400\}' "$TMP/gpu.dom" | head -1)"
grep -aq '<td class="num">–</td><td class="num">–</td><td class="num">–</td></tr>' "$TMP/gpu.dom" ||
  fail "gpu: reduce's memory is not shown as not measured"
ok "GPU zones drawn with their GPU times and device memory"

# extensions: examples/ext_profiler's object pool, its section drawn with the exact figures of
# serve_keeping (1,499 misses in 2,000 calls) and the report callback's text
"$BUILD/ext_profiler" "$TMP/ext.json" >/dev/null 2>&1 || fail "ext_profiler failed"
"$FATHOM" report "$TMP/ext.json" --format html -o "$TMP/ext.html" || fail "ext: report --format html failed"
dump "$TMP/ext.html" ext
grep -q '<section id="ext-object_pool"' "$TMP/ext.dom" || fail "ext: no Extension section drawn"
grep -aq '<td>serve_keeping</td><td class="num">2,000</td><td class="num">501</td><td class="num">501</td><td class="num">0.2505</td><td class="num">1,499</td>' "$TMP/ext.dom" ||
  fail "ext: serve_keeping's row is not drawn as expected: $(grep -ao '<td>serve_keeping</td>.\{0,300\}' "$TMP/ext.dom" | head -1)"
grep -aq 'object pool: 4000 requests, 62.5% served from the free list' "$TMP/ext.dom" || fail "ext: the report section is missing"
ok "an extension's section drawn with its exact figures and report"

# ---- 6b. database statements: examples/sqlite_slow's profile (two connections, one statement
# each of 300 runs): the section lists both, with the unindexed one's scan steps
"$BUILD/sqlite_slow" "$TMP/sql.json" >"$TMP/sql.out" 2>&1 || fail "sqlite_slow failed"
"$FATHOM" report "$TMP/sql.json" --format html -o "$TMP/sql.html" || fail "report of sqlite_slow's profile failed"
dump "$TMP/sql.html" sql
expect_eq "sql statement rows" "$(attr sql query-table data-total)" "2"
n=$(grep -ao '<code title="slowest run: SELECT SUM(amount) FROM orders WHERE customer = [0-9]*">SELECT SUM(amount) FROM orders WHERE customer = ?</code></td><td>[a-z ]*</td>' "$TMP/sql.dom" | wc -l)
expect_eq "sql statements with their slowest run" "$n" "2"
grep -aq '<td class="num">14,999,700</td>' "$TMP/sql.dom" || fail "sql: no 14,999,700 full-scan steps (300 runs x 49,999)"
ok "database statements: both connections' statement, its slowest run, the scan steps"

# ---- 6b'. network requests: examples/http_client's profile (libcurl through the hook, three
# endpoints): the section lists them, each with its slowest request's URL as the tooltip
FATHOM_CURL=1 "$BUILD/http_client" "$TMP/net.json" >"$TMP/net.out" 2>&1 || fail "http_client failed"
"$FATHOM" report "$TMP/net.json" --format html -o "$TMP/net.html" || fail "report of http_client's profile failed"
dump "$TMP/net.html" net
grep -q '<section id="requests"' "$TMP/net.dom" || fail "net: no Network requests section drawn"
expect_eq "net endpoint rows" "$(attr net request-table data-total)" "3"
grep -aqE '<code title="slowest: http://127\.0\.0\.1:[0-9]+/report\?day=1">http://127\.0\.0\.1:[0-9]+/report</code>' "$TMP/net.dom" ||
  fail "net: /report's row is not drawn with its slowest request: $(grep -ao '<code title="slowest[^<]*' "$TMP/net.dom" | head -3)"
ok "network requests: three endpoints, each with its slowest request"

# ---- 6b''. rolling windows: examples/latency_window's profile (a window of the last 200 of
# 10,000 requests): the section has its row, the window's limits and its 200 calls
"$BUILD/latency_window" "$TMP/win.json" >/dev/null 2>&1 || fail "latency_window failed"
"$FATHOM" report "$TMP/win.json" --format html -o "$TMP/win.html" || fail "report of latency_window's profile failed"
dump "$TMP/win.html" win
grep -q '<section id="windows"' "$TMP/win.dom" || fail "win: no Recent windows section drawn"
grep -aq '<td><code>request</code></td><td>last 200 calls</td><td class="num">200</td>' "$TMP/win.dom" ||
  fail "win: the request window's row is not drawn as expected: $(grep -ao '<td><code>request</code></td>.\{0,200\}' "$TMP/win.dom" | head -1)"
grep -aq '<td class="num">10,000</td></tr>' "$TMP/win.dom" || fail "win: the whole run's 10,000 calls are not shown"
ok "rolling windows: the last 200 requests beside the whole run"

# ---- 6c. locks: one lock and striped locks, drawn ---------------------------------------
"$BUILD/lock_contention" "$TMP/locks.json" >/dev/null 2>&1 || fail "lock_contention failed"
"$FATHOM" report "$TMP/locks.json" --format html -o "$TMP/locks.html" || fail "locks: report --format html failed"
dump "$TMP/locks.html" locks
grep -q '<section id="locks"' "$TMP/locks.dom" || fail "locks: no Locks section drawn"
for s in table stripes; do
  grep -aq "<td>$s</td>" "$TMP/locks.dom" || fail "locks: lock $s not drawn"
done
grep -aqE 'Held in</dt><dd>insert_locked [0-9.]+ [mµ]?s \(100.0%, 1,600\)' "$TMP/locks.dom" || fail "locks: the zone holding the lock is not drawn"
ok "locks drawn"

# ---- 7. errors leave nothing behind ----------------------------------------------------
set +e
"$FATHOM" report "$TMP/nonexistent.json" --format html -o "$TMP/x.html" 2>/dev/null; rc=$?
set -e
[ "$rc" = 2 ] || fail "missing input: exit $rc, want 2"
[ -e "$TMP/x.html" ] && fail "missing input left $TMP/x.html"
set +e
"$FATHOM" report "$TMP/demo/profile.json" --format html -o "$TMP/no/such/dir/x.html" 2>/dev/null; rc=$?
set -e
[ "$rc" = 1 ] || fail "unwritable output: exit $rc, want 1"
ok "bad input and unwritable output fail cleanly"

echo "html: $pass passed, 0 failed"
