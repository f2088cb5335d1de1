# test_cli.sh: the `fathom` command: help, version, every usage and input error, and rendering a
# real profile (made by tests/cli_gen.c) in every format, to stdout and with -o; profiles with
# every schema-2 resource section (hand-built and recorded at DETAILED); a schema-1 file.
# Invariant: every failing command must exit 2 (1 for output errors), print exactly one line on
# stderr (plus the hint for usage errors), nothing on stdout, and leave no output or temp file.
set -u

FATHOM=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}/fathom
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
mkdir -p "${FATHOM_TEST_TMP:?FATHOM_TEST_TMP not set}"
T=$(mktemp -d "$FATHOM_TEST_TMP/cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export LC_ALL=C
unset NO_COLOR

pass=0
fail=0
ESC=$'\033'
HINT_TOP="Try 'fathom --help'."
HINT_REPORT="Try 'fathom report --help'."

# ---- assertions (each prints both sides on failure) and the tool runner: RC, OUT, ERR, NERR
. "$SRC/tests/lib/asserts.sh"

re_quote() {   # re_quote STRING: STRING as an ERE matching itself
  sed 's/[][\\.*^$(){}?+|]/\\&/g' <<<"$1"
}

# expect_fail NAME CODE HINT ERE -- ARGS...: the tool fails with exit CODE, nothing on stdout,
# stderr = one line "fathom: <what>: <why>" matching ERE, then HINT as a second line ("" = none)
expect_fail() {
  local name=$1 code=$2 hint=$3 ere=$4
  shift 5
  run "$@"
  assert_eq "$name: exit code" "$code" "$RC"
  assert_eq "$name: stdout empty" "" "$OUT"
  local first=${ERR%%$'\n'*}
  assert_match "$name: one 'fathom: what: why' line" '^fathom: .+: .+$' "$first"
  assert_match "$name: message" "$ere" "$first"
  if [[ -n "$hint" ]]; then
    assert_eq "$name: stderr lines" "2" "$NERR"
    assert_eq "$name: hint line" "$hint" "${ERR#*$'\n'}"
  else
    assert_eq "$name: stderr lines" "1" "$NERR"
  fi
}

# expect_bad_input NAME ERE FILE: FILE is refused (exit 2, one line "fathom: FILE: <why>" with
# <why> matching ERE), to stdout and with -o, which must leave neither the output nor a temp file, nor touch an existing file
expect_bad_input() {
  local name=$1 ere=$2 file=$3 o="$T/outdir"
  mkdir -p "$o"
  ere="^fathom: $(re_quote "$file"): .*($ere)"   # the why, after the file's name
  expect_fail "$name" 2 "" "$ere" -- report "$file"
  expect_fail "$name -o" 2 "" "$ere" -- report "$file" --format json -o "$o/out.json"
  assert_absent "$name -o" "$o/out.json"
  printf 'old\n' >"$o/keep.txt"
  expect_fail "$name -o existing" 2 "" "$ere" -- report "$file" -o "$o/keep.txt"
  assert_eq "$name: existing output untouched" "old" "$(cat "$o/keep.txt")"
  assert_no_tmp "$name: existing" "$o/keep.txt"
  rm -f "$o/keep.txt"
}

if [[ ! -x "$FATHOM" ]]; then
  bad "tool built" "expected an executable at $FATHOM"
  echo "cli: $pass passed, $fail failed"
  exit 1
fi

# ---- help and version -----------------------------------------------------------------------
ver=$(sed -n 's/^#define FATHOM_VERSION_STRING "\(.*\)"$/\1/p' "$SRC/include/fathom.h")
schema=$(sed -n 's/^#define FATHOM_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$SRC/include/fathom.h")
for opt in --version -V; do
  run "$opt"
  assert_eq "$opt: exit 0" "0" "$RC"
  assert_eq "$opt: text" "fathom $ver (profile schema $schema)" "$OUT"
  assert_eq "$opt: stderr empty" "" "$ERR"
done
for opt in --help -h help; do
  run "$opt"
  assert_eq "$opt: exit 0" "0" "$RC"
  assert_match "$opt: usage line" '^Usage: fathom ' "$OUT"
  assert_match "$opt: lists report" $'\n  report ' "$OUT"
  assert_match "$opt: lists help" $'\n  help ' "$OUT"
  assert_eq "$opt: stderr empty" "" "$ERR"
done
run report --help
report_help=$OUT
assert_eq "report --help: exit 0" "0" "$RC"
assert_match "report --help: usage" '^Usage: fathom report FILE' "$OUT"
for word in --format --output --color text json csv chrome 'Exit status'; do
  assert_match "report --help mentions $word" "$word" "$OUT"
done
run report -h
assert_eq "report -h = report --help" "$report_help" "$OUT"
run help report
assert_eq "help report = report --help" "$report_help" "$OUT"
assert_eq "help report: exit 0" "0" "$RC"

# ---- usage errors ---------------------------------------------------------------------------
expect_fail "no arguments" 2 "$HINT_TOP" '^fathom: .*[Uu]sage: fathom ' --
expect_fail "unknown command" 2 "$HINT_TOP" "^fathom: frobnicate: unknown command .*report" -- frobnicate
expect_fail "unknown top option" 2 "$HINT_TOP" "^fathom: --frob: unknown option" -- --frob
expect_fail "unknown top short option" 2 "$HINT_TOP" "'?-x'?.*unknown option|unknown option.*-x" -- -x report
expect_fail "help unknown command" 2 "$HINT_TOP" "^fathom: nope: unknown command" -- help nope
expect_fail "help too many" 2 "Try 'fathom help --help'." "too many" -- help report report
expect_fail "report no file" 2 "$HINT_REPORT" "^fathom: report: missing FILE" -- report
expect_fail "report two files" 2 "$HINT_REPORT" "^fathom: report: too many arguments" -- report a.json b.json
expect_fail "report unknown long option" 2 "$HINT_REPORT" "unknown option '--frob'" -- report --frob a.json
expect_fail "report unknown short option" 2 "$HINT_REPORT" "unknown option '-x'" -- report -x a.json
expect_fail "report --help=x" 2 "$HINT_REPORT" "'--help' takes no argument" -- report --help=x
expect_fail "report --format no argument" 2 "$HINT_REPORT" "'--format' needs an argument" -- report a.json --format
expect_fail "report -o no argument" 2 "$HINT_REPORT" "'-o' needs an argument" -- report a.json -o
expect_fail "report --output no argument" 2 "$HINT_REPORT" "'--output' needs an argument" -- report a.json --output
expect_fail "report unknown format" 2 "$HINT_REPORT" "unknown format 'xml'.*text.*json.*csv.*chrome" -- report a.json --format xml
expect_fail "report --format=" 2 "$HINT_REPORT" "unknown format ''" -- report a.json --format=
expect_fail "report unknown --color" 2 "$HINT_REPORT" "'sometimes'.*auto.*always.*never" -- report a.json --color sometimes
expect_fail "report -o ''" 2 "$HINT_REPORT" "--output" -- report a.json -o ''
# a usage error is found before any file is read or written
mkdir -p "$T/u"
expect_fail "usage error with -o" 2 "$HINT_REPORT" "unknown format" -- report a.json --format=xml -o "$T/u/out.txt"
assert_absent "usage error with -o" "$T/u/out.txt"

# ---- bad input files (independent of the recorder) ------------------------------------------
expect_bad_input "missing file" '[Nn]o such file|not found|does not exist|cannot open' "$T/missing.json"
mkdir -p "$T/adir"
expect_bad_input "directory" 'directory' "$T/adir"
: >"$T/empty.json"
expect_bad_input "empty file" 'empty|truncated|end of (file|input)|EOF|malformed|not JSON|invalid' "$T/empty.json"
printf '{"schema_version": 1, "zones": [' >"$T/cut.json"
expect_bad_input "truncated JSON (hand-made)" \
  'truncated|end of (file|input)|premature|EOF|malformed|invalid|not JSON' "$T/cut.json"
printf '{"schema_version": 1,, "zones": ]}\n' >"$T/bad.json"
expect_bad_input "malformed JSON" 'malformed|invalid|not JSON|parse|syntax|unexpected|expected' "$T/bad.json"
printf 'this is not a profile\n' >"$T/text.json"
expect_bad_input "not JSON at all" 'malformed|invalid|not JSON|parse|syntax|unexpected|expected' "$T/text.json"
printf '[1, 2, 3]\n' >"$T/array.json"
expect_bad_input "JSON but not a profile" 'malformed|invalid|missing|expected|not a|object|schema' "$T/array.json"
IN="$T/bad.json" expect_fail "malformed on stdin" 2 "" '^fathom: standard input: ' -- report -
if [[ $EUID -ne 0 ]]; then   # root reads anything, so this case means nothing there
  printf '{}' >"$T/noread.json"
  chmod 000 "$T/noread.json"
  expect_bad_input "unreadable file" '[Pp]ermission|cannot|denied' "$T/noread.json"
fi

# ---- a real profile from the recorder -------------------------------------------------------
P="$T/p.json"
have_profile=0
gen_flags=()   # a sanitizer build's library needs the same runtime linked in
case $(sed -n 's/^FATHOM_SANITIZE:[A-Z]*=//p' "$FATHOM_BUILD_DIR/CMakeCache.txt" 2>/dev/null) in
  address) gen_flags=(-fsanitize=address,undefined) ;;
  thread) gen_flags=(-fsanitize=thread) ;;
esac
if ! cc -std=gnu11 ${gen_flags[@]+"${gen_flags[@]}"} -I"$SRC/include" "$SRC/tests/cli_gen.c" \
  "$FATHOM_BUILD_DIR/libfathom.a" -lpthread -lm -ldl -o "$T/gen" 2>"$T/gen.err"; then
  bad "generator builds" "cc $SRC/tests/cli_gen.c failed:" "$(head -n 5 "$T/gen.err")"
elif ! "$T/gen" "$P" 2>"$T/gen.err" || [[ ! -s "$P" ]]; then
  bad "generator writes a profile" "$(head -n 5 "$T/gen.err")"
else
  pass=$((pass + 1))
  have_profile=1
fi

if ((have_profile)); then
  # the file the library wrote loads and renders in every format, to stdout and with -o
  mkdir -p "$T/r"
  for fmt in text json csv chrome; do
    run report "$P" --format "$fmt"
    assert_eq "report $fmt: exit 0" "0" "$RC"
    assert_eq "report $fmt: stderr empty" "" "$ERR"
    assert_match "report $fmt: mentions a zone" 'train_step' "$OUT"
    assert_no_match "report $fmt: no colour on a pipe" "$ESC" "$OUT"
    cp "$T/stdout" "$T/r/stdout.$fmt"
    run report "$P" --format="$fmt" -o "$T/r/out.$fmt"
    assert_eq "report $fmt -o: exit 0" "0" "$RC"
    assert_eq "report $fmt -o: stdout empty" "" "$OUT"
    assert_eq "report $fmt -o: stderr empty" "" "$ERR"
    assert_same_file "report $fmt -o = stdout" "$T/r/stdout.$fmt" "$T/r/out.$fmt"
    run report "-o$T/r/short.$fmt" "--format=$fmt" "$P"
    assert_same_file "report -oFILE --format=$fmt" "$T/r/stdout.$fmt" "$T/r/short.$fmt"
    run report "$P" --format "$fmt" -o -
    assert_same_file "report $fmt -o -" "$T/r/stdout.$fmt" "$T/stdout"
    run report "$P" --format "$fmt" --color always
    if [[ $fmt != text ]]; then
      assert_no_match "report $fmt --color always: never coloured" "$ESC" "$OUT"
    fi
  done
  run report "$P"
  assert_same_file "default format is text" "$T/r/stdout.text" "$T/stdout"
  IN="$P" run report -
  assert_same_file "profile on stdin ('-')" "$T/r/stdout.text" "$T/stdout"
  assert_match "json view is an object" '^[[:space:]]*\{' "$(cat "$T/r/out.json")"
  assert_match "chrome view has trace events" '"ph"' "$(cat "$T/r/out.chrome")"
  assert_match "csv view has a header row" ',' "$(head -n 1 "$T/r/out.csv")"

  # the json view loads back into the same model: same text report
  run report "$T/r/out.json"
  assert_eq "json view re-loads: exit 0" "0" "$RC"
  assert_same_file "json view re-loads to the same text" "$T/r/stdout.text" "$T/stdout"
  run report "$T/r/out.json" --format json
  assert_same_file "json view re-saves identically" "$T/r/out.json" "$T/stdout"

  # -o replaces an existing file
  printf 'old\n' >"$T/r/replace.txt"
  run report "$P" -o "$T/r/replace.txt"
  assert_same_file "-o replaces an existing file" "$T/r/stdout.text" "$T/r/replace.txt"

  # files derived from the real one
  head -c $(($(wc -c <"$P") / 2)) "$P" >"$T/half.json"
  expect_bad_input "truncated JSON (half a real file)" \
    'truncated|end of (file|input)|premature|EOF|malformed|invalid|not JSON' "$T/half.json"
  head -c $(($(wc -c <"$P") - 2)) "$P" >"$T/short.json"
  expect_bad_input "truncated JSON (last bytes cut)" \
    'truncated|end of (file|input)|premature|EOF|malformed|invalid|not JSON' "$T/short.json"
  for v in 999 0; do
    sed -E 's/("schema_version"[[:space:]]*:[[:space:]]*)[0-9]+/\1'$v'/' "$P" >"$T/schema$v.json"
    if cmp -s "$P" "$T/schema$v.json"; then
      bad "schema_version $v" "sed found no \"schema_version\": N in $P"
    else
      expect_bad_input "schema_version $v" '[Ss]chema|[Vv]ersion' "$T/schema$v.json"
    fi
  done

  # output errors: exit 1, one line, nothing left behind
  expect_fail "-o into a missing directory" 1 "" "^fathom: $(re_quote "$T/nodir/out.txt"): " -- \
    report "$P" -o "$T/nodir/out.txt"
  assert_absent "-o into a missing directory" "$T/nodir/out.txt"
  mkdir -p "$T/r/isdir"
  expect_fail "-o onto a directory" 1 "" "^fathom: $(re_quote "$T/r/isdir"): " -- \
    report "$P" -o "$T/r/isdir"
  assert_no_tmp "-o onto a directory" "$T/r/isdir"
  if [[ -w /dev/full ]]; then
    "$FATHOM" report "$P" >/dev/full 2>"$T/stderr"
    assert_eq "stdout to /dev/full: exit 1" "1" "$?"
    assert_match "stdout to /dev/full: message" '^fathom: standard output: .+' "$(cat "$T/stderr")"
    assert_eq "stdout to /dev/full: one line" "1" "$(wc -l <"$T/stderr" | tr -d ' ')"
  fi

  # colour: only on a terminal, NO_COLOR (non-empty) turns it off, --color overrides both
  run report "$P" --color always
  assert_match "--color always colours the text view" "$ESC" "$OUT"
  NO_COLOR=1 run report "$P" --color always
  assert_match "--color always beats NO_COLOR" "$ESC" "$OUT"
  run report "$P" --color never
  assert_same_file "--color never = plain" "$T/r/stdout.text" "$T/stdout"
  run report "$P" --color always -o "$T/r/color.txt"
  assert_match "--color always -o keeps colour" "$ESC" "$(cat "$T/r/color.txt")"
  if script -qec true /dev/null >/dev/null 2>&1; then
    tty_run() {   # tty_run ARGS...: the tool with stdout on a pseudo-terminal -> $T/tty
      local cmd
      printf -v cmd '%q ' "$FATHOM" "$@"
      script -qec "$cmd" /dev/null </dev/null >"$T/tty" 2>&1
    }
    tty_run report "$P"
    assert_match "terminal: coloured by default" "$ESC" "$(cat "$T/tty")"
    NO_COLOR=1 tty_run report "$P"
    assert_no_match "terminal: NO_COLOR=1 respected" "$ESC" "$(cat "$T/tty")"
    NO_COLOR= tty_run report "$P"
    assert_match "terminal: empty NO_COLOR ignored" "$ESC" "$(cat "$T/tty")"
    tty_run report "$P" --color never
    assert_no_match "terminal: --color never" "$ESC" "$(cat "$T/tty")"
    tty_run report "$P" --format json
    assert_no_match "terminal: json never coloured" "$ESC" "$(cat "$T/tty")"
  else
    echo "note: script(1) unavailable; terminal colour cases skipped"
  fi
fi

# ---- schema 2: resource sections, from a hand-built model and a DETAILED recording -----------
# check_rich NAME FILE: every format renders; the json view reloads to the same text and
# re-saves byte for byte; every CSV record has the header's field count
check_rich() {
  local name=$1 file=$2 fmt
  mkdir -p "$T/$name"
  for fmt in text json csv chrome; do
    run report "$file" --format "$fmt" -o "$T/$name/out.$fmt"
    assert_eq "$name $fmt: exit 0" "0" "$RC"
    assert_eq "$name $fmt: stderr empty" "" "$ERR"
  done
  run report "$T/$name/out.json"
  assert_same_file "$name: json view re-loads to the same text" "$T/$name/out.text" "$T/stdout"
  run report "$T/$name/out.json" --format json
  assert_same_file "$name: json view re-saves identically" "$T/$name/out.json" "$T/stdout"
  local counts
  counts=$(awk -F, '{ print NF }' "$T/$name/out.csv" | sort -u | tr '\n' ' ')
  assert_eq "$name: csv records all have 80 fields" "80 " "$counts"
  assert_no_match "$name: no colour in a file" "$ESC" "$(cat "$T/$name/out.text")"
}
if ((have_profile)) && "$T/gen" --model "$T/model.json" 2>"$T/gen.err"; then
  pass=$((pass + 1))
  check_rich model "$T/model.json"
  text=$(cat "$T/model/out.text")
  for want in 'Summary: +Peak RAM: 190\.7 MiB, Wall Time: 4\.000 s' 'Resources \(whole session' \
    'memory +peak RAM' 'GPUs' 'Probes not available' 'perf_hw +not supported here' \
    'Resources per operation' '1 in 16, 20 of 100' 'Memory still live at the end' \
    'Memory snapshots' 'before -> after +load_batch +\+5\.00 KiB' 'Overhead governor' \
    'probe interval raised to +32'; do
    assert_match "model text: $want" "$want" "$text"
  done
  assert_match "model chrome: counter tracks" '"ph":"C","name":"gpu0 util"' "$(cat "$T/model/out.chrome")"
  assert_match "model json: schema $schema" "\"schema_version\":$schema" "$(head -n 1 "$T/model/out.json")"
  # schema 4: load_batch's estimated time (+-1.96 x 20 ms), its p99 interval, timed calls,
  # the legend, fixed costs apart from the overhead, CPU known only as user + system
  for want in 'Estimates: +~ marks figures estimated' '300 zone calls, 150 timed' \
    'load_batch +data +200 +50 +~1\.000 s ±0\.039' '~5\.00 ms \[4\.50, 5\.50\]' \
    'Fixed costs: setup 2\.00 ms, model build 5\.00 ms = 7\.00 ms \(apart from the overhead\)' \
    'zones only' 'split unknown'; do
    assert_match "model text: $want" "$want" "$text"
  done
  est_col=$(head -n 1 "$T/model/out.csv" | tr ',' '\n' | grep -nx 'estimated' | cut -d: -f1)
  assert_eq "model csv: estimated column" "79" "$est_col"
  assert_eq "model csv: load_batch estimated" "1" \
    "$(grep '^train_step/load_batch,' "$T/model/out.csv" | cut -d, -f"${est_col:-79}")"
  assert_eq "model csv: train_step exact" "0" \
    "$(grep '^train_step,' "$T/model/out.csv" | cut -d, -f"${est_col:-79}")"
elif ((have_profile)); then
  bad "generator writes a model" "$(head -n 5 "$T/gen.err")"
fi
if ((have_profile)) && "$T/gen" --detailed "$T/detailed.json" 2>"$T/gen.err"; then
  pass=$((pass + 1))
  check_rich detailed "$T/detailed.json"
  assert_match "detailed text: level" 'Level: +detailed' "$(cat "$T/detailed/out.text")"
  assert_match "detailed text: a zone" 'train_step' "$(cat "$T/detailed/out.text")"
elif ((have_profile)); then
  bad "generator records at DETAILED" "$(head -n 5 "$T/gen.err")"
fi

# ---- schema 1 files still load (a file fathom 0.1 wrote) ------------------------------------
cat >"$T/v1.json" <<'EOF'
{"format":"fathom-profile","schema_version":1,
"meta":{"fathom_version":"0.1.0","session_name":"old","session_id":7,"start_unix_ns":0,"start_utc":null,"duration_ns":2000,"pid":1,"program":null,"host":null,"os":null,"kernel":null,"arch":null,"cpu_model":null,"n_cpus":1,"level":"basic","clock_source":"tsc","clock_resolution_ns":1,"clock_read_ns":5,"tsc_hz":0,"zone_cost_ns":20,"overhead_ns":20,"overhead_pct":1,"cpu_time_ns":2000,"n_zones":1,"dropped_zones":0,"dropped_events":0,"misuse":0,"fathom_bytes":0},
"zones":[
{"name":"old_zone","component":null,"tags":null,"file":null,"func":null,"line":0,"kind":"zone","stats":{"count":1,"total_ns":1000,"self_ns":1000,"min_ns":1000,"max_ns":1000,"mean_ns":1000,"stddev_ns":0,"p50_ns":1000,"p90_ns":1000,"p95_ns":1000,"p99_ns":1000,"p999_ns":1000},"hist":{"bucket":[],"count":[]}}],
"nodes":[
{"zone":0,"parent":null,"thread":0,"depth":1,"stats":{"count":1,"total_ns":1000,"self_ns":1000,"min_ns":1000,"max_ns":1000,"mean_ns":1000,"stddev_ns":0,"p50_ns":1000,"p90_ns":1000,"p95_ns":1000,"p99_ns":1000,"p999_ns":1000},"hist":{"bucket":[],"count":[]},"metrics":[]}],
"threads":[
{"tid":1,"name":"main","exited":false,"n_open":0,"n_zones":1,"n_dropped":0}],
"counters":[],
"timeline":{"recorded":false,"events":[],"counter_events":[]}}
EOF
for fmt in text json csv chrome; do
  run report "$T/v1.json" --format "$fmt"
  assert_eq "schema 1 $fmt: exit 0" "0" "$RC"
  assert_eq "schema 1 $fmt: stderr empty" "" "$ERR"
  assert_match "schema 1 $fmt: the zone" 'old_zone' "$OUT"
done
run report "$T/v1.json" --format json
assert_match "schema 1 re-saved as schema $schema" "\"schema_version\":$schema" "$OUT"
run report "$T/v1.json"
assert_no_match "schema 1 text: no resource sections" 'Resources|Governor|Probes' "$OUT"

left=$(find "$T" -name '*.tmp.*')
assert_eq "no temp file left anywhere" "" "$left"

echo "cli: $pass passed, $fail failed"
((fail == 0))
