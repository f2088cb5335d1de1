# test_pprof.sh: the pprof view (`--format pprof`, a gzip-compressed profile.proto) read back
# by `go tool pprof` (Debian's golang-go, installed by scripts/deps.sh for the tests): for a
# stack-sampled profile (`fathom run` on a program of our own with a known 7:3 split) and for
# an instrumented one (the demo pipeline), pprof's flat figure of a function must be fathom's
# self time and its stacks fathom's call paths.
set -u
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
. "$SRC/tests/lib/asserts.sh"
F=$B/fathom
pass=0
fail=0
T=$(mktemp -d "${FATHOM_TEST_TMP:-/tmp}/pprof.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
if ! command -v go >/dev/null 2>&1; then
  echo "FAIL: go is not installed: 'bash scripts/deps.sh' installs golang-go (go tool pprof reads the files back)"
  exit 1
fi
export GOCACHE=$T/gocache GOPATH=$T/gopath HOME=$T   # nothing written outside the test's folder

cat >hot.c <<'C'
#include <stdio.h>
static volatile unsigned long sink;
__attribute__((noinline)) static unsigned long spin(unsigned long n, unsigned long x) {
  for (unsigned long i = 0; i < n; i++) { x = x * 6364136223846793005ul + 1; sink = x; }
  return x;
}
__attribute__((noinline)) unsigned long burn_a(unsigned long n) { return spin(7 * n, n) ^ n; }
__attribute__((noinline)) unsigned long burn_b(unsigned long n) { return spin(3 * n, n) ^ n; }
int main(void) {
  unsigned long s = 0;
  for (int r = 0; r < 20; r++) s += burn_a(1500000) + burn_b(1500000);
  printf("%lu\n", s & 1);
  return 0;
}
C
cc -O2 -g -fomit-frame-pointer -o hot hot.c || { echo "FAIL: cannot build the test program"; exit 1; }
"$F" run -q -o hot.json -- ./hot >/dev/null
assert_eq "fathom run: exit 0" 0 "$?"
"$F" report hot.json --format pprof -o hot.pb.gz
assert_eq "report --format pprof: exit 0" 0 "$?"
gzip -t hot.pb.gz 2>/dev/null
assert_eq "the file is valid gzip" 0 "$?"
# the format also follows the output's name
"$F" run -q -o named.pb.gz -- ./hot >/dev/null
gzip -t named.pb.gz 2>/dev/null && go tool pprof -top named.pb.gz >/dev/null 2>&1
assert_eq "fathom run -o x.pb.gz writes pprof" 0 "$?"

top=$(go tool pprof -top -nodecount=50 hot.pb.gz 2>&1)
assert_match "pprof reads a sampled profile as cpu" 'Type: cpu' "$top"
# flat of spin in ms against fathom's self time of spin
flat=$(awk '$NF == "spin" {print $1}' <<<"$top")
self=$("$F" report hot.json --format csv | awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "self_ns") c = i}
                                                    $0 ~ /(^|,)"?spin"?,/ && c {s += $c} END {printf "%.0f", s / 1e6}')
assert_match "pprof's flat of spin is a time" '^[0-9.]+m?s$' "$flat"
fl=$(awk -v v="$flat" 'BEGIN {u = v; sub(/[a-z]+$/, "", u); m = (v ~ /ms$/) ? 1 : 1000; printf "%.0f", u * m}')
assert_eq "pprof's flat of spin (ms) = fathom's self time of spin" "$self" "$fl"
traces=$(go tool pprof -traces hot.pb.gz 2>&1)
assert_match "a stack spin < burn_a < main" 'spin[[:space:]]+burn_a[[:space:]]+main' "$traces"
assert_match "a stack spin < burn_b < main" 'spin[[:space:]]+burn_b[[:space:]]+main' "$traces"
assert_match "the thread is a label" 'thread:' "$traces"
list=$(go tool pprof -list '^spin$' hot.pb.gz 2>&1)
assert_match "-list finds spin's source file" 'ROUTINE =+ spin in .*hot\.c' "$list"

# an instrumented profile: the demo pipeline's zones, calls and self times
"$B/demo_pipeline" demo >/dev/null 2>&1 || { echo "FAIL: the demo did not run"; exit 1; }
"$F" report demo/profile.json --format pprof -o demo.pb.gz
assert_eq "an instrumented profile as pprof: exit 0" 0 "$?"
calls=$(go tool pprof -top -sample_index=calls -nodecount=50 demo.pb.gz 2>&1)
assert_match "pprof counts parse_record's 20,000 calls" '^ *20000 .* parse_record$' "$(grep parse_record <<<"$calls")"
time_=$(go tool pprof -top -sample_index=time -nodecount=50 -unit=ns demo.pb.gz 2>&1)
want=$("$F" report demo/profile.json --format json | grep -o '{"name":"parse_record"[^}]*' | grep -o '"self_ns":[0-9]*' | cut -d: -f2)
got=$(awk '$NF == "parse_record" {v = $1; sub(/ns$/, "", v); print v}' <<<"$time_")
assert_eq "pprof's flat of parse_record (ns) = fathom's self time" "$want" "$got"

# heap values: the demo tracks allocations where libfathom.so's allocator hooks are the
# process's malloc (not under a sanitizer's runtime, for one); pprof gets them exactly then
read -r tracked want_live want_bytes why <<<"$(node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1]));
  let n = 0, b = 0; for (const x of p.nodes) if (x.alloc_self) { n += x.alloc_self.live_count; b += x.alloc_self.alloc_bytes; }
  const pr = (p.probes || []).find(x => x.name === "allocations");
  console.log((p.meta.alloc_tracking ? 1 : 0) + " " + n + " " + b + " " + (pr ? pr.detail : "?").replace(/\s+/g, "_"))' demo/profile.json)"
# pprof -raw: one line per sample, its values then ": locations"
raw=$(go tool pprof -raw demo.pb.gz 2>/dev/null)
col() { awk -v c="$1" '/^Samples:/ {on = 1; next} /^Locations/ {on = 0} on && /^ *[0-9]+ +[0-9]+/ {s += $c} END {print s + 0}' <<<"$raw"; }
if [[ $tracked == 1 ]]; then
  assert_match "pprof -raw lists the six values" 'calls/count time/nanoseconds\[dflt\] alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes' "$raw"
  assert_eq "pprof's inuse_objects = the objects the paths left live" "$want_live" "$(col 5)"
  assert_eq "pprof's alloc_space = the bytes the paths allocated" "$want_bytes" "$(col 4)"
else
  echo "note: the demo did not track allocations here (${why//_/ }): pprof must then hold calls and time only"
  assert_match "pprof -raw lists calls and time only" 'calls/count time/nanoseconds\[dflt\]'$'\n' "$raw"
fi

# bad input: a truncated file is no profile
head -c 40 hot.pb.gz >cut.pb.gz
go tool pprof -top cut.pb.gz >/dev/null 2>&1
assert_eq "pprof refuses a truncated file (the test can tell a broken file)" 1 "$(( $? != 0 ))"
echo "pprof: $pass passed, $fail failed"
((fail == 0))
