# test_check_cli.sh: `fathom check FILE...`: exit 0 when every rule holds, 1 when one is
# violated (each violation one line on stdout, naming the node's path), 2 for usage errors and
# files that do not load (one line on stderr; the other files are still checked); --quiet;
# standard input; help. (test_check.c and test_check_hostile.c test the rules themselves.)
# The profiles are schema-1 files written here: that form loads in every fathom, and with all
# durations 0 no rule depends on figures a newer schema adds.
set -u

FATHOM=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}/fathom
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
mkdir -p "${FATHOM_TEST_TMP:?FATHOM_TEST_TMP not set}"
T=$(mktemp -d "$FATHOM_TEST_TMP/check_cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export LC_ALL=C

pass=0
fail=0
. "$SRC/tests/lib/asserts.sh"

# profile PARSE_TOTAL MAIN_ZONE_COUNT: main (2 calls) > parse (4 calls) on one thread
profile() {
  local st0='"min_ns":0,"max_ns":0,"mean_ns":0,"stddev_ns":0,"p50_ns":0,"p90_ns":0,"p95_ns":0,"p99_ns":0,"p999_ns":0'
  cat <<EOF
{"format":"fathom-profile","schema_version":1,
"meta":{"fathom_version":"0.1.0","session_name":"check","session_id":7,"start_unix_ns":0,"start_utc":null,"duration_ns":2000,"pid":1,"program":null,"host":null,"os":null,"kernel":null,"arch":null,"cpu_model":null,"n_cpus":1,"level":"basic","clock_source":"tsc","clock_resolution_ns":1,"clock_read_ns":5,"tsc_hz":0,"zone_cost_ns":20,"overhead_ns":0,"overhead_pct":0,"cpu_time_ns":2000,"n_zones":6,"dropped_zones":0,"dropped_events":0,"misuse":0,"fathom_bytes":0},
"zones":[
{"name":"main","component":null,"tags":null,"file":null,"func":null,"line":0,"kind":"zone","stats":{"count":$2,"total_ns":0,"self_ns":0,$st0},"hist":{"bucket":[],"count":[]}},
{"name":"parse","component":null,"tags":null,"file":null,"func":null,"line":0,"kind":"zone","stats":{"count":4,"total_ns":$1,"self_ns":$1,$st0},"hist":{"bucket":[],"count":[]}}],
"nodes":[
{"zone":0,"parent":null,"thread":0,"depth":1,"stats":{"count":2,"total_ns":0,"self_ns":0,$st0},"hist":{"bucket":[],"count":[]},"metrics":[]},
{"zone":1,"parent":0,"thread":0,"depth":2,"stats":{"count":4,"total_ns":$1,"self_ns":$1,$st0},"hist":{"bucket":[],"count":[]},"metrics":[]}],
"threads":[
{"tid":1,"name":"main","exited":false,"n_open":0,"n_zones":6,"n_dropped":0}],
"counters":[],
"timeline":{"recorded":false,"events":[],"counter_events":[]}}
EOF
}
profile 0 2 >"$T/ok.json"
profile 5000 2 >"$T/bad.json"    # parse's 5 us inside main's 0
profile 5000 3 >"$T/bad2.json"   # and main's zone counts a call its node does not have
printf 'not json\n' >"$T/junk.json"
mkdir "$T/dir.json"
cd "$T" || exit 1

CHILDREN='node 0 (main, thread 0): children total 5.00 us > total 0 ns (+5000 ns, 1 children)'
COUNT="zone 0 (main): count 3 != 2, the sum of its 1 nodes' counts"

# ---- every rule holds: exit 0 ----------------------------------------------------------------
run check ok.json
assert_eq "ok: exit 0" "0" "$RC"
assert_eq "ok: the verdict" "ok.json: ok (2 nodes, 2 zones)" "$OUT"
assert_eq "ok: stderr empty" "" "$ERR"
run check --quiet ok.json
assert_eq "ok --quiet: exit 0" "0" "$RC"
assert_eq "ok --quiet: prints nothing" "" "$OUT"
run check -q ok.json ok.json
assert_eq "ok -q twice: exit 0" "0" "$RC"
assert_eq "ok -q twice: prints nothing" "" "$OUT"
IN=ok.json run check -
assert_eq "stdin: exit 0" "0" "$RC"
assert_eq "stdin: named standard input" "standard input: ok (2 nodes, 2 zones)" "$OUT"

# ---- a rule is violated: exit 1, one line per violation on stdout ----------------------------
run check bad.json
assert_eq "bad: exit 1" "1" "$RC"
assert_eq "bad: the violation, then the count" \
  "bad.json: $CHILDREN"$'\n'"bad.json: 1 violation (2 nodes, 2 zones)" "$OUT"
assert_eq "bad: stderr empty" "" "$ERR"
run check --quiet bad.json
assert_eq "bad --quiet: exit 1" "1" "$RC"
assert_eq "bad --quiet: only the violation" "bad.json: $CHILDREN" "$OUT"
run check bad2.json --quiet
assert_eq "bad2: exit 1" "1" "$RC"
assert_eq "bad2: both violations" "bad2.json: $CHILDREN"$'\n'"bad2.json: $COUNT" "$OUT"
run check bad2.json
assert_match "bad2: counted" $'\n''bad2\.json: 2 violations \(2 nodes, 2 zones\)$' "$OUT"
run check ok.json bad.json
assert_eq "ok + bad: exit 1" "1" "$RC"
assert_eq "ok + bad: both files" \
  "ok.json: ok (2 nodes, 2 zones)"$'\n'"bad.json: $CHILDREN"$'\n'"bad.json: 1 violation (2 nodes, 2 zones)" "$OUT"

# ---- files that do not load: exit 2, one line on stderr each, the others still checked -------
for f in missing.json junk.json dir.json; do
  run check "$f"
  assert_eq "$f: exit 2" "2" "$RC"
  assert_eq "$f: stdout empty" "" "$OUT"
  assert_eq "$f: one stderr line" "1" "$NERR"
  assert_match "$f: names the file" "^fathom: $f: " "$ERR"
done
run check ok.json missing.json bad.json
assert_eq "ok + missing + bad: exit 2" "2" "$RC"
assert_eq "ok + missing + bad: the others checked" \
  "ok.json: ok (2 nodes, 2 zones)"$'\n'"bad.json: $CHILDREN"$'\n'"bad.json: 1 violation (2 nodes, 2 zones)" "$OUT"
assert_match "ok + missing + bad: the missing one" "^fathom: missing.json: cannot open" "$ERR"
assert_eq "ok + missing + bad: one stderr line" "1" "$NERR"

# ---- usage ---------------------------------------------------------------------------------
run check
assert_eq "no file: exit 2" "2" "$RC"
assert_eq "no file: stdout empty" "" "$OUT"
assert_match "no file: message" "^fathom: check: missing FILE" "$ERR"
assert_match "no file: hint" $'\n'"Try 'fathom check --help'.$" "$ERR"
run check --frob ok.json
assert_eq "unknown option: exit 2" "2" "$RC"
assert_match "unknown option: message" "^fathom: check: unknown option '--frob'" "$ERR"
run check - -
assert_eq "stdin twice: exit 2" "2" "$RC"
run check ''
assert_eq "empty name: exit 2" "2" "$RC"

# ---- help ----------------------------------------------------------------------------------
run check --help
assert_eq "check --help: exit 0" "0" "$RC"
assert_match "check --help: usage" '^Usage: fathom check ' "$OUT"
assert_match "check --help: exit codes" 'Exit status: 0 every rule holds' "$OUT"
help=$OUT
run help check
assert_eq "help check = check --help" "$help" "$OUT"
run help
assert_match "help lists check" $'\n''  check +check that saved profiles add up' "$OUT"

# ---- the views that are not profiles: a Chrome trace and a speedscope file ------------------
"$FATHOM" report "$T/ok.json" --format chrome -o "$T/trace.json"
"$FATHOM" report "$T/ok.json" --format speedscope -o "$T/ok.speedscope.json"
run check "$T/trace.json" "$T/ok.speedscope.json"
assert_eq "views written by fathom: exit 0" "0" "$RC"
assert_match "trace: ok line" 'trace\.json: ok \(Chrome trace: [0-9]+ events, [0-9]+ threads\)' "$OUT"
assert_match "speedscope: ok line" 'ok\.speedscope\.json: ok \(speedscope file: 1 profiles?, 2 frames\)' "$OUT"
cat >"$T/nest.json" <<'EOF2'
{"traceEvents":[
{"ph":"X","name":"parent","pid":1,"tid":1,"ts":10,"dur":5},
{"ph":"X","name":"child","pid":1,"tid":1,"ts":12,"dur":2},
{"ph":"X","name":"other thread","pid":1,"tid":2,"ts":11,"dur":9},
{"ph":"X","name":"straddles","pid":1,"tid":1,"ts":13,"dur":4},
{"ph":"X","name":"negative","pid":1,"tid":1,"ts":30,"dur":-1}]}
EOF2
run check "$T/nest.json"
assert_eq "trace with a child beyond its parent: exit 1" "1" "$RC"
assert_match "trace: the child beyond its parent is named" \
  'traceEvents\[3\] \(straddles, \[13\.000, 17\.000\] us\) begins inside traceEvents\[1\] \(child, \[12\.000, 14\.000\] us\) and ends after it' "$OUT"
assert_match "trace: a negative duration is named" 'traceEvents\[4\] \(negative\): ts and dur must be' "$OUT"
assert_match "trace: the count" 'nest\.json: 2 violations \(Chrome trace' "$OUT"
cat >"$T/bad.speedscope.json" <<'EOF2'
{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"},{"name":"b"}]},
"profiles":[{"type":"evented","name":"t","unit":"nanoseconds","startValue":0,"endValue":100,
"events":[{"type":"O","frame":0,"at":0},{"type":"O","frame":1,"at":10},{"type":"C","frame":0,"at":20},{"type":"O","frame":5,"at":30}]},
{"type":"sampled","name":"s","unit":"nanoseconds","startValue":0,"endValue":10,"samples":[[0],[1]],"weights":[8,7]}]}
EOF2
run check "$T/bad.speedscope.json"
assert_eq "speedscope with unbalanced events: exit 1" "1" "$RC"
assert_match "speedscope: a close of the wrong frame" 'events\[2\]: closes frame 0, which is not the one opened last' "$OUT"
assert_match "speedscope: a frame out of range" 'events\[3\]: needs a type' "$OUT"
assert_match "speedscope: frames left open" 'profiles\[0\]: 2 frames left open' "$OUT"
assert_match "speedscope: weights beyond the profile's span" 'weights add up to 15, more than endValue - startValue = 10' "$OUT"
printf '{"traceEvents":[' >"$T/cut.json"
run check "$T/cut.json" "$T/ok.json"
assert_eq "a cut trace: exit 2" "2" "$RC"
assert_match "a cut trace: one line on stderr" 'cut\.json: not valid JSON' "$ERR"
assert_match "a cut trace: the other file still checked" 'ok\.json: ok' "$OUT"

echo "check_cli: $pass passed, $fail failed"
((fail == 0))
