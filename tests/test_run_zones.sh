# test_run_zones.sh: `fathom run` on a program that is itself instrumented with fathom's zones:
# each sample is placed in the zones open on its thread when it was taken. The program spends
# twice as long in the zone "loading" (opened in load()) as in "storing" (opened in store()),
# both in the same function spin(); the profile must show spin under each zone, 2:1, with the
# zone after the function that opened it, and a program without zones must show none.
set -u
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
. "$SRC/tests/lib/asserts.sh"
F=$B/fathom
T=$(mktemp -d "${FATHOM_TEST_TMP:-/tmp}/run_zones.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^FATHOM(_|$)')
cache() { sed -n "s/^$1:[A-Z]*=//p" "$B/CMakeCache.txt" | head -n1; }
case "$(cache FATHOM_SANITIZE)" in
  address) SAN=(-fsanitize=address,undefined) ;;
  thread) SAN=(-fsanitize=thread) ;;
  *) SAN=() ;;
esac

cat >zt.c <<'C'
#include <fathom.h>
#include <stdlib.h>
static volatile unsigned long sink;
__attribute__((noinline)) static unsigned long spin(unsigned long n, unsigned long x) {
  for (unsigned long i = 0; i < n; i++) {
    x = x * 6364136223846793005ul + 1442695040888963407ul;
    sink = x;
  }
  return x;
}
__attribute__((noinline)) static void load(unsigned long n) {
  FATHOM_ZONE("loading", "app");
  sink = spin(2 * n, n) ^ n;
}
__attribute__((noinline)) static void store(unsigned long n) {
  FATHOM_ZONE("storing", "app");
  sink = spin(n, n + 1) ^ n;
}
int main(int argc, char **argv) {
  unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
  fathom_session_begin("zt", NULL);
  for (int r = 0; r < 20; r++) {
    load(n);
    store(n);
  }
  fathom_session_end(NULL);
  return 0;
}
C
cc -O2 -g -fomit-frame-pointer "${SAN[@]}" -I"$SRC/include" zt.c "$B/libfathom.a" -lpthread -ldl -lm -o zt ||
  { echo "FAIL: cannot build the instrumented test program"; exit 1; }

pass=0
fail=0
TMPDIR="$T" "$F" run -q -o zt.json -- ./zt 1500000 >/dev/null 2>zt.err
assert_eq "the instrumented program's exit status" 0 "$?"
"$F" check zt.json >/dev/null 2>&1 || { echo "FAIL: fathom check: $("$F" check zt.json 2>&1 | head -3)"; fail=1; }
"$F" report zt.json --format folded -o zt.folded
# weight of the stacks ending in TAIL (the weight is the last field; names may hold spaces)
# (or passing through it: a sanitizer's own functions may be called from spin)
w() { awk -v tail="$1" '{ x = $NF; p = substr($0, 1, length($0) - length(x) - 1) ";"
                           if (index(p, tail ";") > 0) s += x }
                         END { printf "%.0f", s }' zt.folded; }
all=$(awk '{ s += $NF } END { printf "%.0f", s }' zt.folded)
a=$(w ";load;loading;spin")
b=$(w ";store;storing;spin")
echo "zones: loading;spin $a, storing;spin $b of $all ns"
# (most of the run is spin; a sanitizer's fathom spends more of it in its own threads)
awk -v a="$a" -v b="$b" -v t="$all" 'BEGIN { exit !(t > 0 && (a + b) / t >= 0.6 && a / b >= 1.6 && a / b <= 2.5) }' ||
  { echo "FAIL: the samples are not placed in their zones 2:1 ($a / $b of $all): $(sort -t' ' -k2 -nr zt.folded | head -4)"; fail=1; }
grep -q '"name":"loading","component":"app".*"kind":"zone"' zt.json ||
  { echo "FAIL: the zone loading is not a zone of kind zone in the profile"; fail=1; }
ls -d "$T"/fathom-run.* >/dev/null 2>&1 && { echo "FAIL: fathom run left its zones directory behind"; fail=1; }

# a program without zones: no zone frames
cat >plain.c <<'C'
#include <stdio.h>
int main(void) { volatile unsigned long x = 1; for (unsigned long i = 0; i < 50000000; i++) x = x * 3 + i; printf("%lu\n", x); return 0; }
C
cc -O2 -o plain plain.c
"$F" run -q -o plain.json -- ./plain >/dev/null
grep -q '"kind":"zone"' plain.json && { echo "FAIL: a program without zones got zone frames"; fail=1; }
echo "run_zones: $pass passed, $fail failed"
((fail == 0))
