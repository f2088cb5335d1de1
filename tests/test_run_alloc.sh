# test_run_alloc.sh: `fathom run --alloc` on a program of our own whose allocations are known
# (built -O2, no frame pointers): one function leaks 1000 x 1 KiB, one allocates and frees
# 200000 x 100 B, one holds 8 x 1 MiB at the heap's peak and then frees them, one grows a
# block with realloc, one leaks calloc blocks, one frees aligned blocks, and a forked
# child leaks 500 x 4 KiB. Each path's estimated bytes and objects must lie within 4 standard
# errors of the truth (and the errors must be of the size the sampling gives), leaks only on
# the leaking paths, the peak on the peak's path, the child's allocations under its pid; the
# exit status passes through; `fathom check` passes; pprof names the leak; allocation files
# that are cut short or foreign are refused with a clear message. Under a sanitizer build
# --alloc is not available: that message is checked instead.
set -u
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
. "$SRC/tests/lib/asserts.sh"
F=$B/fathom
T=$(mktemp -d "${FATHOM_TEST_TMP:-/tmp}/run_alloc.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
pass=0
fail=0

cat >alloc.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static void *volatile keep[4096];
__attribute__((noinline)) void leaker(void) {          /* 1000 x 1 KiB, never freed */
  for (int i = 0; i < 1000; i++) { char *p = malloc(1024); memset(p, 1, 1024); keep[i] = p; }
}
__attribute__((noinline)) void churner(void) {         /* 200000 x 100 B, each freed */
  for (int i = 0; i < 200000; i++) { char *p = malloc(100); p[0] = 1; keep[4095] = p; free(p); }
}
__attribute__((noinline)) void peaker(void) {          /* 8 x 1 MiB live at once, then freed */
  void *b[8];
  for (int i = 0; i < 8; i++) { b[i] = malloc(1 << 20); memset(b[i], 2, 1 << 20); }
  for (int i = 0; i < 8; i++) free(b[i]);
}
__attribute__((noinline)) void reallocer(void) {      /* one block grown 2000 times by 64 B */
  char *p = NULL;
  for (int i = 1; i <= 2000; i++) { p = realloc(p, (size_t)i * 64); p[(size_t)i * 64 - 1] = 1; }
  keep[2000] = p;                                      /* the last size stays live */
}
__attribute__((noinline)) void callocer(void) {        /* 300 x calloc(10, 100), never freed */
  for (int i = 0; i < 300; i++) keep[2001 + i] = calloc(10, 100);
}
__attribute__((noinline)) void aligner(void) {         /* 1000 x 4 KiB aligned to 64, freed */
  for (int i = 0; i < 1000; i++) { char *p = aligned_alloc(64, 4096); p[0] = 1; keep[4094] = p; free(p); }
}
__attribute__((noinline)) void child_leaker(void) {    /* in a child: 500 x 4 KiB */
  for (int i = 0; i < 500; i++) keep[1000 + i] = malloc(4096);
}
/* what a broken or foreign process could leave where fathom reads the allocation files */
static void bad_file(const char *kind) {
  const char *pre = getenv("FATHOM_ALLOC_STACKS");
  if (!pre) return;
  char path[4200];
  snprintf(path, sizeof path, "%s.424242", pre);
  FILE *f = fopen(path, "w");
  if (!f) return;
  if (strcmp(kind, "cut") == 0)
    fputs("fathom-alloc 1\npid 424242\nrate 4096\nsamples 1\ndropped 0\nheap_peak 0 0\n", f);
  else
    fputs("\x7f" "ELF this is not an allocation file\n", f);
  fclose(f);
}
int main(int argc, char **argv) {
  leaker();
  churner();
  peaker();
  reallocer();
  callocer();
  aligner();
  pid_t c = fork();
  if (c == 0) { child_leaker(); exit(0); }
  waitpid(c, NULL, 0);
  if (argc > 1) bad_file(argv[1]);
  printf("alloc done\n");
  return 7;
}
EOF
cc -O2 -g -fomit-frame-pointer -o alloc alloc.c || { echo "FAIL: cannot build the test program"; exit 1; }

if [[ -n ${FATHOM_SANITIZE:-} ]]; then
  # the sanitizer's runtime must come first in a process: libfathom.so cannot be preloaded
  echo "note: sanitizer build ($FATHOM_SANITIZE): --alloc is not available here; checking that it says so"
  out=$("$F" run -q --alloc -o san.json -- ./alloc 2>&1)
  rc=$?
  assert_eq "sanitizer build: usage status" 2 "$rc"
  assert_match "sanitizer build: says why" "not available in this build" "$out"
  assert_absent "sanitizer build" san.json
  echo "run_alloc: $pass passed, $fail failed"
  [[ $fail -eq 0 ]]
  exit
fi

RATE=16384
mkdir tmp
out=$(TMPDIR=$T/tmp "$F" run --alloc --alloc-rate 16k -o a.json -- ./alloc 2>err.txt)
rc=$?
assert_eq "exit status passes through" 7 "$rc"
assert_eq "the program's stdout passes through" "alloc done" "$out"
assert_match "summary line counts the processes" "allocations sampled \\(1 per $RATE bytes\\) in 2 processes" "$(cat err.txt)"
chk=$("$F" check a.json 2>&1)
assert_match "fathom check passes" ": ok " "$chk"
assert_eq "no allocation files left behind" "" "$(ls -A tmp)"

# Per path (its own code, all threads and processes): name, bytes, objects, live, peak, their
# standard errors; then the truth checked against them (node prints one verdict a line).
# The allocating lines: where alloc.c calls malloc, realloc and calloc in those functions.
L_LEAK=$(grep -n 'char \*p = malloc(1024)' alloc.c | cut -d: -f1)
L_REALLOC=$(grep -n 'p = realloc(p' alloc.c | cut -d: -f1)
L_CALLOC=$(grep -n '= calloc(10, 100)' alloc.c | cut -d: -f1)
verdicts=$(LINES_WANT="leaker=$L_LEAK reallocer=$L_REALLOC callocer=$L_CALLOC" node -e '
const p = JSON.parse(require("fs").readFileSync("a.json", "utf8"));
const N = '"$RATE"';
const truth = {  // function -> [size, objects, live objects at exit, objects at the peak]
  leaker: [1024, 1000, 1000, 1000], churner: [100, 200000, 0, 0], peaker: [1048576, 8, 0, 8],
  child_leaker: [4096, 500, 500, 500],  // the heap of the child peaks at its exit
  callocer: [1000, 300, 300, 0], aligner: [4096, 1000, 0, 0] };  // callocer: after the peak
// reallocer: realloc counts as a free of the old size and an allocation of the new one
const grown = {bytes: 64 * 2000 * 2001 / 2, n: 2000, live: 128000};
const by = {};
for (const n of p.nodes) {
  const a = n.alloc_self; if (!a) continue;
  const z = p.zones[n.zone].name, t = p.threads[n.thread].name;
  const k = z in truth || z === "reallocer" ? z : "other";
  const e = by[k] || (by[k] = {ab: 0, ao: 0, lb: 0, lo: 0, pb: 0, po: 0, vab: 0, vao: 0, vlb: 0, vpb: 0, threads: new Set()});
  e.ab += a.alloc_bytes; e.ao += a.alloc_count; e.lb += a.live_bytes; e.lo += a.live_count;
  e.pb += a.peak_bytes || 0; e.po += a.peak_count || 0;
  e.vab += (a.alloc_bytes_se || 0) ** 2; e.vao += (a.alloc_count_se || 0) ** 2;
  e.vlb += (a.live_bytes_se || 0) ** 2; e.vpb += (a.peak_bytes_se || 0) ** 2; e.threads.add(t);
  (e.lines || (e.lines = new Set())).add(a.line || 0);
}
const out = [];
const within = (name, est, want, v) => {
  const se = Math.sqrt(v);
  // the truth within 4 standard errors (+1 for rounding to whole bytes and objects)
  out.push((Math.abs(est - want) <= 4 * se + 1 ? "ok " : "BAD ") + name + ": " + est + " vs " + want + " (se " + se.toFixed(1) + ")");
};
for (const [f, [size, n, live, peak]] of Object.entries(truth)) {
  const e = by[f];
  if (!e) { out.push("BAD " + f + ": no allocations on its path"); continue; }
  within(f + " bytes", e.ab, size * n, e.vab);
  within(f + " objects", e.ao, n, e.vao);
  within(f + " live bytes", e.lb, size * live, e.vlb);
  within(f + " bytes at the peak", e.pb, size * peak, e.vpb);
  // the standard error the sampling gives: s sqrt(n (1-p) / p) for n blocks of s bytes
  const q = 1 - Math.exp(-size / N), se = size * Math.sqrt(n * (1 - q) / q);
  const got = Math.sqrt(e.vab);
  out.push((got > se / 3 && got < se * 3 || se < 1 && got < 1 ? "ok " : "BAD ") + f + " se " + got.toFixed(0) + " of the expected " + se.toFixed(0));
  if (live === 0) out.push((e.lb === 0 ? "ok " : "BAD ") + f + " leaks nothing: " + e.lb);
}
{
  const e = by.reallocer;
  if (!e) out.push("BAD reallocer: no allocations on its path");
  else {
    within("reallocer bytes", e.ab, grown.bytes, e.vab);
    within("reallocer objects", e.ao, grown.n, e.vao);
    within("reallocer live bytes", e.lb, grown.live, e.vlb);
    out.push((e.lo <= 1 + 4 * Math.sqrt(e.vao) ? "ok " : "BAD ") + "reallocer: one block live, estimated " + e.lo);
  }
}
for (const w of process.env.LINES_WANT.split(" ")) {
  const [f, line] = w.split("=");
  const got = by[f] ? [...by[f].lines].join(",") : "-";
  out.push((got === line ? "ok " : "BAD ") + f + " allocates at line " + got + " (alloc.c:" + line + ")");
}
const cl = by.child_leaker;
out.push((cl && [...cl.threads].every(t => / \(pid \d+\)$/.test(t)) ? "ok " : "BAD ") + "the child allocations are under its pid: " + (cl ? [...cl.threads].join(",") : "-"));
out.push((p.meta.alloc_tracking ? "ok " : "BAD ") + "meta.alloc_tracking");
console.log(out.join("\n"));
' 2>&1)
while IFS= read -r v; do
  if [[ $v == ok\ * ]]; then pass=$((pass + 1)); else bad "$v"; fi
done <<<"$verdicts"
echo "$verdicts" | sed 's/^/  /'

rep=$("$F" report a.json 2>&1)
assert_match "text report: the leak table names leaker" "still live at the end.*leaker" "$(echo "$rep" | tr '\n' ' ')"
assert_match "text report: estimates with intervals" "~[0-9.]+ [KM]iB ±" "$rep"
assert_match "text report: the peak table names peaker" "heap's peak.*peaker" "$(echo "$rep" | tr '\n' ' ')"
assert_match "text report: the leak's line" "leaker \\(alloc.c:$L_LEAK\\)" "$rep"

# pprof: the in-use space (live at exit) names the leaking functions, and nothing else leaks
if command -v go >/dev/null 2>&1; then
  "$F" report a.json --format pprof -o a.pb.gz
  top=$(go tool pprof -sample_index=inuse_space -top a.pb.gz 2>&1)
  assert_match "pprof inuse_space names leaker" "B .* leaker" "$(echo "$top" | grep -E ' leaker$')"
  assert_eq "pprof inuse_space: churner leaks nothing" "" \
    "$(echo "$top" | grep -E ' churner$' | grep -Ev '^ +0 +0% ')"
else
  echo "note: go is not installed: the pprof check is left out ('bash scripts/deps.sh' installs it)"
fi

# bad allocation files: a clear message, the rest of the profile kept, status 1 for a program
# that succeeded (here it exits 7, which passes through)
for kind in cut foreign; do
  "$F" run -q --alloc -o "bad_$kind.json" -- ./alloc "$kind" >/dev/null 2>"bad_$kind.err"
  rc=$?
  assert_eq "$kind file: the program's status still passes" 7 "$rc"
  want=$([[ $kind == cut ]] && echo "cut short \\(no end marker\\)" || echo "not an allocation file of fathom run")
  assert_match "$kind file: says why" "allocations of one process left out: .*$want" "$(cat "bad_$kind.err")"
  assert_match "$kind file: the profile is still whole" ": ok " "$("$F" check "bad_$kind.json" 2>&1)"
done

# a statically linked program ignores LD_PRELOAD: fathom says that no allocations came back
if cc -O2 -static -o alloc_static alloc.c 2>/dev/null; then
  out=$("$F" run --alloc -o st.json -- ./alloc_static 2>&1 >/dev/null)
  assert_eq "static program: its status passes" 7 "$?"
  assert_match "static program: fathom says no allocations came back" \
    "no process of the program reported its allocations \(a statically linked" "$out"
  assert_match "static program: the CPU profile is still there" ": ok " "$("$F" check st.json 2>&1)"
else
  echo "note: no static libc here: the statically linked case is left out"
fi

# zone attribution beside the sampling: the demo (linked with libfathom.so, allocation tracking
# at DETAILED) attributes the same allocations to its zones with and without --alloc
if [[ -x $B/demo_pipeline ]]; then
  zone_allocs() {
    node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      let b = 0, c = 0, l = 0;
      for (const n of p.nodes) if (n.alloc_self) { b += n.alloc_self.alloc_bytes; c += n.alloc_self.alloc_count; l += n.alloc_self.live_bytes; }
      console.log(p.meta.alloc_tracking + " " + b + " " + c + " " + l);' "$1"
  }
  mkdir -p demo_alone demo_run
  FATHOM_LEVEL=detailed "$B/demo_pipeline" demo_alone 5000 >/dev/null 2>&1
  FATHOM_LEVEL=detailed "$F" run -q --alloc -o demo.json -- "$B/demo_pipeline" demo_run 5000 >/dev/null 2>&1
  alone=$(zone_allocs demo_alone/profile.json)
  assert_match "demo alone tracks allocations by zone" "^true [1-9]" "$alone"
  assert_eq "zone attribution is the same under --alloc" "$alone" "$(zone_allocs demo_run/profile.json)"
  assert_match "the demo's --alloc profile passes fathom check" ": ok " "$("$F" check demo.json 2>&1)"
fi

# default rate, and an option error that never runs the program
"$F" run -q --alloc -o d.json -- ./alloc >/dev/null 2>&1
assert_match "default rate: fathom check passes" ": ok " "$("$F" check d.json 2>&1)"
out=$("$F" run --alloc-rate 0 -- ./alloc 2>&1)
assert_eq "bad --alloc-rate: usage status" 2 "$?"
assert_match "bad --alloc-rate: says what it expects" "expected bytes" "$out"
assert_no_match "bad --alloc-rate: the program did not run" "alloc done" "$out"

echo "run_alloc: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
