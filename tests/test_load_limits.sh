# test_load_limits.sh: what `fathom` promises on big and hostile profiles (issue 12, items 12
# and 13), end to end through the tool, with profiles made by tests/load_gen.c:
#   - loading a ~30 MB profile peaks at most 4x its size in RSS (plus a fixed allowance for the
#     program), where jansson's whole-document values took ~13x;
#   - running out of memory while loading says so, "out of memory loading this profile (needs
#     ~N MB)", under a cap (FATHOM_LOAD_MAX_MB) and under a real address-space limit
#     (ulimit -v), never "malformed JSON";
#   - a call chain deeper than the recorder records (4096) is refused with a clear message;
#   - a 4096-deep-allowed but hostile chain (long names, each row repeating its path) gives
#     outputs at most 32x the input in every format.
# The RSS and ulimit checks are skipped in sanitizer builds (their shadow memory and huge
# reservations make both meaningless).
# Invariant: every profile is written under a scratch folder removed at exit.
set -u

FATHOM=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}/fathom
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
mkdir -p "${FATHOM_TEST_TMP:?FATHOM_TEST_TMP not set}"
T=$(mktemp -d "$FATHOM_TEST_TMP/limits.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export LC_ALL=C
unset FATHOM_LOAD_MAX_MB

pass=0
fail=0
. "$SRC/tests/lib/asserts.sh"

sanitized=${FATHOM_SANITIZE:-}
gen_flags=()   # a sanitizer build's libraries need the same runtime linked in
case $sanitized in
  address) gen_flags=(-fsanitize=address,undefined) ;;
  thread) gen_flags=(-fsanitize=thread) ;;
esac
# shellcheck disable=SC2046
if ! cc -std=gnu11 ${gen_flags[@]+"${gen_flags[@]}"} -I"$SRC/include" -I"$SRC/src/load" \
  "$SRC/tests/load_gen.c" "$FATHOM_BUILD_DIR/libfathom_load.a" "$FATHOM_BUILD_DIR/libfathom.a" \
  $(pkg-config --cflags --libs jansson) -lpthread -lm -ldl -o "$T/load_gen" 2>"$T/gen.err"; then
  bad "load_gen builds" "$(head -n 5 "$T/gen.err")"
  echo "load_limits: $pass passed, $fail failed"
  exit 1
fi

# ---- item 12: memory ------------------------------------------------------------------------
BIG=$T/big.json
"$T/load_gen" big "$BIG" 40000 400000 || bad "load_gen writes a big profile"
size=$(stat -c %s "$BIG")
size_mb=$(((size + 1048575) / 1048576))
if [[ -z $sanitized ]]; then
  read -r rss_kb bytes code < <("$T/load_gen" rss "$BIG")
  assert_eq "big profile loads" "0" "$code"
  limit_kb=$((4 * bytes / 1024 + 24 * 1024))   # 4x the file, plus the program itself
  if ((rss_kb <= limit_kb)); then pass=$((pass + 1)); else
    bad "peak RSS of a load is at most 4x the file (+24 MiB)" \
      "file: $bytes bytes; peak RSS: $rss_kb KiB; limit: $limit_kb KiB" \
      "($((rss_kb * 1024 / bytes))x the file)"
  fi
  echo "info: loading $bytes bytes peaked at $rss_kb KiB RSS ($((rss_kb * 1024 * 10 / bytes))/10 x)"
fi

# a cap below what the load needs: out of memory, with the need, one line, exit 2
run report "$BIG" --format json -o "$T/out.json"
assert_eq "big profile: report exit 0" "0" "$RC"
FATHOM_LOAD_MAX_MB=$((size_mb / 2)) run report "$BIG" --format json -o "$T/capped.json"
assert_eq "cap: exit 2" "2" "$RC"
assert_eq "cap: one line" "1" "$NERR"
assert_match "cap: out of memory, with the need and the cap" \
  "^fathom: $BIG: out of memory loading this profile \(needs ~[0-9]+ MB; FATHOM_LOAD_MAX_MB allows $((size_mb / 2))\)$" "$ERR"
need=$(sed -n 's/.*needs ~\([0-9]*\) MB.*/\1/p' <<<"$ERR")
if [[ -n $need ]] && ((need >= size_mb && need <= 4 * size_mb + 16)); then pass=$((pass + 1)); else
  bad "cap: the need is between the file's size and 4x it" "file: $size_mb MB; need: ${need:-?} MB"
fi
assert_absent "cap: no output" "$T/capped.json"
# a cap it fits under (4x the file): loads, and the same as without a cap
FATHOM_LOAD_MAX_MB=$((4 * size_mb)) run report "$BIG" --format json -o "$T/fits.json"
assert_eq "cap of 4x the file: loads" "0" "$RC"
assert_same_file "cap of 4x the file: same output" "$T/out.json" "$T/fits.json"
# malformed input under a cap is still malformed, not out of memory
head -c $((size / 2)) "$BIG" >"$T/half.json"
FATHOM_LOAD_MAX_MB=$((4 * size_mb)) run report "$T/half.json"
assert_match "cut file under a cap: malformed" "truncated or malformed JSON at line" "$ERR"

if [[ -z $sanitized ]]; then
  # a real limit: what the tool needs for a tiny profile, plus the file's size (the load
  # needs ~2.5x it)
  "$T/load_gen" deep "$T/tiny.json" 2 8 || bad "load_gen writes a tiny profile"
  base_kb=
  for kb in 16384 24576 32768 49152 65536 98304; do
    if (ulimit -v $kb && exec "$FATHOM" report "$T/tiny.json" --format json -o /dev/null) \
      >/dev/null 2>&1; then base_kb=$kb; break; fi
  done
  [[ -n $base_kb ]] || bad "ulimit -v: the tool runs on a tiny profile under 96 MiB"
  (ulimit -v $((${base_kb:-0} + size / 1024)) && exec "$FATHOM" report "$BIG" --format json \
    -o "$T/ulimit.json") >"$T/stdout" 2>"$T/stderr"
  RC=$?
  ERR=$(cat "$T/stderr")
  assert_eq "ulimit -v: exit 2" "2" "$RC"
  assert_match "ulimit -v: out of memory, with the need" \
    "^fathom: $BIG: out of memory loading this profile \(needs ~[0-9]+ MB\)$" "$ERR"
  assert_no_match "ulimit -v: not called malformed" "malformed" "$ERR"
fi

# ---- item 13: depth and bounded output --------------------------------------------------------
"$T/load_gen" deep "$T/deep.json" 4200 8 || bad "load_gen writes a 4200-deep chain"
run report "$T/deep.json" --format csv -o "$T/deep.csv"
assert_eq "4200-deep chain: refused (exit 2)" "2" "$RC"
assert_match "4200-deep chain: says why" \
  "^fathom: $T/deep.json: nodes\[4096\]: depth 4097 is deeper than fathom records \(at most 4096 levels\)" "$ERR"
assert_absent "4200-deep chain: no output" "$T/deep.csv"
"$T/load_gen" deep "$T/edge.json" 4096 8 || bad "load_gen writes a 4096-deep chain"
run report "$T/edge.json" --format folded -o "$T/edge.folded"
assert_eq "4096-deep chain (the recorder's maximum): loads" "0" "$RC"

# the hostile chain the loader accepts: 400 deep, one 1000-byte name on every frame
"$T/load_gen" deep "$T/long.json" 400 1000 || bad "load_gen writes a chain of long names"
in=$(stat -c %s "$T/long.json")
for fmt in csv folded speedscope chrome json text html; do
  run report "$T/long.json" --format "$fmt" -o "$T/long.$fmt"
  assert_eq "long names, $fmt: exit 0" "0" "$RC"
  out=$(stat -c %s "$T/long.$fmt" 2>/dev/null || echo 0)
  if ((out > 0 && out <= 32 * in)); then pass=$((pass + 1)); else
    bad "long names, $fmt: output at most 32x the input" "input $in bytes, output $out bytes"
  fi
done
assert_match "folded: the cut stack ends in the marker" \
  ';\[deeper frames cut\] [0-9]+$' "$(tail -n 1 "$T/long.folded")"
total=$(awk '{s += $NF} END {print s}' "$T/long.folded")
assert_eq "folded: the cut keeps every nanosecond (400 nodes x 1000 ns)" "400000" "$total"

# schema 2 and 3 files are held to timed <= count too (found by fuzz_load: such a file
# loaded, and the JSON written from it did not)
run report "$FATHOM_SOURCE_DIR/fuzz/corpus/load/old_schema_timed.json" --format json -o "$T/timed.json"
assert_eq "schema 3 with more timed calls than calls: refused" "2" "$RC"
assert_match "schema 3 timed > count: the message names the field" \
  'stats\.timed: 101 timed calls of 100 \(more than were made\)' "$ERR"

# schema 2 and 3 files are held to timed <= count too (found by fuzz_load: such a file
# loaded, and the JSON written from it did not)
run report "$SRC/fuzz/corpus/load/old_schema_timed.json" --format json -o "$T/timed.json"
assert_eq "schema 3 with more timed calls than calls: refused" "2" "$RC"
assert_match "schema 3 timed > count: the message names the field" \
  'stats\.timed: 101 timed calls of 100 \(more than were made\)' "$ERR"

echo "load_limits: $pass passed, $fail failed"
((fail == 0))
