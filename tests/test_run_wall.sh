# test_run_wall.sh: `fathom run --wall` on programs of our own whose waits are known: main burns
# CPU (70 % in burn_a, 30 % in burn_b) holding a mutex while one thread sleeps in snooze, one
# waits for the mutex in take_lock and one reads a pipe in wait_pipe that main writes after
# sleeping in pause_main; each thread measures its own wait and the program prints them (the
# ground truth). Built with -O2 and no frame pointers. The verdicts come from the profile:
# each wait's path holds about its measured time (bounds from the sampling interval, generous
# for a loaded machine, yet a missing or doubled wait fails them), the waits are not CPU time,
# the CPU split matches a run without --wall, no thread's total passes the run's duration,
# `fathom check` passes, the text and HTML reports say wall-clock, the waiting finding names
# the sleep (not the CPU-bound code, not the run queue); without --wall the waits are not
# there. A child process's waits, and a run as an unprivileged user (when the test runs as
# root: nobody, with setpriv) too.
set -u
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
. "$SRC/tests/lib/asserts.sh"
F=$B/fathom
pass=0
fail=0
T=$(mktemp -d "${FATHOM_TEST_TMP:-/tmp}/run_wall.XXXXXX") || exit 1
U=""
trap 'rm -rf "$T" ${U:+"$U"}' EXIT
cd "$T" || exit 1

cat >waits.c <<'EOF'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static volatile unsigned long sink;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int pfd[2];
static double snooze_ms, lock_ms, pipe_ms, pause_ms;
static double now_ms(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
/* spins for ms of this thread's CPU time */
__attribute__((noinline)) static void spin(double ms) {
  double end = now_ms(CLOCK_THREAD_CPUTIME_ID) + ms;
  unsigned long x = 1;
  do {
    for (int i = 0; i < 20000; i++) { x = x * 6364136223846793005ul + 1442695040888963407ul; sink = x; }
  } while (now_ms(CLOCK_THREAD_CPUTIME_ID) < end);
}
__attribute__((noinline)) void burn_a(double ms) { spin(ms); sink++; }
__attribute__((noinline)) void burn_b(double ms) { spin(ms); sink++; }
__attribute__((noinline)) static double nap(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  double t0 = now_ms(CLOCK_MONOTONIC);
  while (nanosleep(&ts, &ts) != 0) continue;
  return now_ms(CLOCK_MONOTONIC) - t0;
}
__attribute__((noinline)) void snooze(void) { snooze_ms = nap(500); sink++; }
__attribute__((noinline)) void pause_main(void) { pause_ms = nap(100); sink++; }
__attribute__((noinline)) void take_lock(void) {
  double t0 = now_ms(CLOCK_MONOTONIC);
  pthread_mutex_lock(&mu);
  lock_ms = now_ms(CLOCK_MONOTONIC) - t0;
  pthread_mutex_unlock(&mu);
}
__attribute__((noinline)) void wait_pipe(void) {
  char c;
  double t0 = now_ms(CLOCK_MONOTONIC);
  if (read(pfd[0], &c, 1) != 1) abort();
  pipe_ms = now_ms(CLOCK_MONOTONIC) - t0;
}
static void *sleeper(void *a) { snooze(); return a; }
static void *locker(void *a) { take_lock(); return a; }
static void *reader(void *a) { wait_pipe(); return a; }
int main(int argc, char **argv) {
  double cpu = argc > 1 ? atof(argv[1]) : 300;   /* ms of CPU time in burn_a and burn_b */
  pthread_t t[3];
  if (pipe(pfd)) return 1;
  pthread_mutex_lock(&mu);
  pthread_create(&t[0], NULL, sleeper, NULL);
  pthread_create(&t[1], NULL, locker, NULL);
  pthread_create(&t[2], NULL, reader, NULL);
  burn_a(0.7 * cpu);
  burn_b(0.3 * cpu);
  pthread_mutex_unlock(&mu);
  pause_main();
  if (write(pfd[1], "x", 1) != 1) return 1;
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  printf("snooze %.1f lock %.1f pipe %.1f pause %.1f\n", snooze_ms, lock_ms, pipe_ms, pause_ms);
  return 0;
}
EOF
cc -O2 -g -fomit-frame-pointer -pthread -o waits waits.c || { echo "FAIL: cannot build the test program"; exit 1; }

# through FILE FRAME: the weight (ms) of the folded paths that pass through FRAME
through() {
  awk -v f="$2" '{ w = $NF; p = substr($0, 1, length($0) - length(w) - 1); n = split(p, fr, ";")
                   for (i = 1; i <= n; i++) { x = fr[i]; sub(/ \[[^]]*\]$/, "", x); if (x == f) { s += w; break } } }
                 END { printf "%.1f", s / 1e6 }' "$1"
}
# leaf FILE FRAME: the innermost frame of the heaviest path through FRAME
leaf() {
  awk -v f="$2" '{ w = $NF; p = substr($0, 1, length($0) - length(w) - 1); n = split(p, fr, ";")
                   for (i = 1; i <= n; i++) if (fr[i] == f && w > best) { best = w; l = fr[n] } }
                 END { print l }' "$1"
}
# zstat JSON ZONE FIELD: FIELD of ZONE's stats in a profile written by `fathom report --format json`
zstat() {
  grep -o "{\"name\":\"$2\",\"component\":[^}]*}" "$1" | head -n 1 | grep -o "\"$3\":[0-9.e+]*" | cut -d: -f2
}
# near NAME EST TRUTH: EST within 10 % + 25 ms of TRUTH (ms): the sampling interval is 1 ms
# on average, a wait's two ends cost at most ~2 intervals, a poller held up by a loaded
# machine a few more; a wait not sampled (0) or counted twice fails
near() {
  if awk -v e="$2" -v t="$3" 'BEGIN { d = e - t; if (d < 0) d = -d; exit !(t > 0 && d <= 0.1 * t + 25) }'; then
    pass=$((pass + 1))
  else
    bad "$1" "profile: $2 ms" "measured by the program: $3 ms"
  fi
}
# fewer NAME A B: A <= B
fewer() {
  if awk -v a="$2" -v b="$3" 'BEGIN { exit !(a <= b) }'; then pass=$((pass + 1)); else bad "$1" "$2 > $3"; fi
}

# ---- the waits of one process ----------------------------------------------------------------
truth=$("$F" run --wall -o wall.json -- ./waits 300 2>wall.err)
rc=$?
assert_eq "--wall: exit status" 0 "$rc"
assert_match "--wall: the program's stdout passes through" '^snooze [0-9.]+ lock [0-9.]+ pipe [0-9.]+ pause [0-9.]+$' "$truth"
assert_match "--wall: the summary counts the waiting threads' samples" ' samples \([0-9.]+ s of CPU\), [1-9][0-9]* of waiting threads; profile: ' "$(cat wall.err)"
read -r _ t_snooze _ t_lock _ t_pipe _ t_pause <<<"$truth"
"$F" check wall.json >check.out 2>&1
assert_eq "--wall: fathom check passes" "0" "$?"
"$F" report wall.json --format folded -o wall.folded
"$F" report wall.json --format json -o wall.out.json
echo "measured: snooze $t_snooze, take_lock $t_lock, wait_pipe $t_pipe, pause_main $t_pause ms"
echo "profile:  snooze $(through wall.folded snooze), take_lock $(through wall.folded take_lock)," \
     "wait_pipe $(through wall.folded wait_pipe), pause_main $(through wall.folded pause_main) ms"
near "a thread sleeping in nanosleep: snooze's path holds its sleep" "$(through wall.folded snooze)" "$t_snooze"
near "a thread waiting for a mutex: take_lock's path holds its wait" "$(through wall.folded take_lock)" "$t_lock"
near "a thread reading a pipe: wait_pipe's path holds its wait" "$(through wall.folded wait_pipe)" "$t_pipe"
near "main's own sleep: pause_main's path holds it" "$(through wall.folded pause_main)" "$t_pause"
# the stack where it waits is unwound to the program's frames (no frame pointers): the
# sleeper's path is its thread's start, sleeper, snooze, nap, then the C library's sleep
assert_match "the waiting stack is unwound through the program's frames" \
  '(^|;)sleeper;snooze;nap;[^ ]*nanosleep[^ ]* [0-9]+$' "$(grep ';snooze;' wall.folded)"
assert_match "meta says wall-clock" '"clock_source":"perf_event\+wall"' "$(grep -o '"clock_source":"[^"]*"' wall.out.json)"
assert_match "the text report says the samples are wall-clock" 'Samples: +wall-clock: ' "$("$F" report wall.json)"

# the HTML report says it too (its script draws the summary: rendered in headless Chromium,
# as tests/test_html.sh does)
"$F" report wall.json --format html -o wall.html
if command -v chromium >/dev/null 2>&1; then
  mkdir -p home
  HOME=$T/home timeout 120 chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
    --disable-extensions --disable-background-networking --user-data-dir="$T/chrome" \
    --virtual-time-budget=8000 --dump-dom "file://$T/wall.html" >wall.dom 2>chrome.log
  assert_match "the HTML report's Samples line says wall-clock" '>wall-clock: [0-9,]+ stack samples, one per ' "$(cat wall.dom)"
else
  bad "chromium is not installed: the HTML report cannot be checked (scripts/deps.sh installs it)"
fi

# pprof's view: a wall-clock profile (go tool pprof reads it back, as tests/test_pprof.sh does)
if command -v go >/dev/null 2>&1; then
  "$F" report wall.json --format pprof -o wall.pb.gz
  assert_eq "pprof's view of a wall-clock profile is of type wall" "Type: wall" \
    "$(HOME=$T GOCACHE=$T/gocache GOPATH=$T/gopath go tool pprof -top wall.pb.gz 2>&1 | grep -x 'Type: .*')"
else
  bad "go is not installed: pprof's view cannot be read back (scripts/deps.sh installs golang-go)"
fi

# waiting is not CPU time: the sleep's leaf function has (nearly) no CPU time of its own,
# spin's own time is all CPU
w=$(leaf wall.folded snooze)
self=$(zstat wall.out.json "$w" self_ns)
cpu=$(zstat wall.out.json "$w" self_cpu_ns)
echo "$w: self $self ns, of which CPU $cpu ns"
fewer "the sleep's leaf ($w) has some self time" 400000000 "${self:-0}"
fewer "the sleep's leaf ($w): its self time is not CPU time" "${cpu:-1e18}" "$(awk -v s="${self:-0}" 'BEGIN { print 0.02 * s }')"
s_self=$(zstat wall.out.json spin self_ns)
s_cpu=$(zstat wall.out.json spin self_cpu_ns)
assert_eq "spin's self time is all CPU time" "${s_self:-none}" "${s_cpu:-other}"

# the waiting finding (fathom run stores none: the report analyses the profile when given
# thresholds): the sleep's leaf waits; spin computes; the run queue is no wait
rep=$("$F" report wall.json --thresholds waiting_pct=50)
assert_match "the waiting finding names the sleep's leaf ($w)" " waiting +$w +its own code took" "$rep"
assert_no_match "spin is no waiting finding" " waiting +spin " "$rep"
assert_no_match "[waiting for a CPU] is no waiting finding" " waiting +\[waiting for a CPU\]" "$rep"

# no thread's total passes the run's duration
dur=$(grep -o '"duration_ns":[0-9]*' wall.out.json | head -n 1 | cut -d: -f2)
over=$(awk -v d="$dur" '/"parent":null/ { match($0, /"thread":[0-9]+/); t = substr($0, RSTART + 9, RLENGTH - 9)
                         match($0, /"total_ns":[0-9]+/); s[t] += substr($0, RSTART + 11, RLENGTH - 11) }
                       END { for (t in s) { n++; if (s[t] > d) printf "thread %s: %d > %d; ", t, s[t], d }
                             if (n < 4) printf "only %d threads", n }' wall.out.json)
assert_eq "every thread's total is at most the run's duration ($dur ns), 4 threads" "" "$over"

# the CPU split is the same as without --wall, and without --wall the waits are not there
"$F" run -q -o cpu.json -- ./waits 300 >/dev/null
"$F" check cpu.json >/dev/null 2>&1 || bad "without --wall: fathom check" "$("$F" check cpu.json 2>&1 | head -3)"
"$F" report cpu.json --format folded -o cpu.folded
share_a() { awk -v a="$(through "$1" burn_a)" -v b="$(through "$1" burn_b)" 'BEGIN { printf "%.1f", (a + b > 0 ? 100 * a / (a + b) : 0) }'; }
sw=$(share_a wall.folded)
sc=$(share_a cpu.folded)
echo "burn_a's share of burn_a + burn_b: $sw % with --wall, $sc % without (70 % expected)"
if awk -v w="$sw" -v c="$sc" 'BEGIN { d = w - c; if (d < 0) d = -d; exit !(w >= 60 && w <= 80 && c >= 60 && c <= 80 && d <= 10) }'; then
  pass=$((pass + 1))
else
  bad "the CPU split with --wall matches the one without" "--wall: $sw %" "without: $sc %"
fi
for fn in snooze take_lock wait_pipe pause_main; do
  # (they run for microseconds: a CPU sample may fall there, hardly ever more than one)
  fewer "without --wall, $fn's wait is not in the profile" "$(through cpu.folded $fn)" 3
done
assert_no_match "without --wall: no waiting finding" " waiting +[^ ]+ +its own code took" \
  "$("$F" report cpu.json --thresholds waiting_pct=50)"
if command -v go >/dev/null 2>&1; then
  "$F" report cpu.json --format pprof -o cpu.pb.gz
  assert_eq "without --wall, pprof's view is of type cpu" "Type: cpu" \
    "$(HOME=$T GOCACHE=$T/gocache GOPATH=$T/gopath go tool pprof -top cpu.pb.gz 2>&1 | grep -x 'Type: .*')"
fi
assert_match "without --wall: CPU time only" '"clock_source":"perf_event"' "$("$F" report cpu.json --format json | grep -o '"clock_source":"[^"]*"')"

# ---- a child process's waits (the program forks and execs) -----------------------------------
truth=$("$F" run -q --wall -o child.json -- sh -c './waits 100; exit 0')
read -r _ t_snooze _ _ _ _ _ _ <<<"$truth"
"$F" report child.json --format folded -o child.folded
near "a child process: its sleeping thread's wait" "$(through child.folded snooze)" "${t_snooze:-0}"
"$F" check child.json >/dev/null 2>&1 || bad "a child process: fathom check" "$("$F" check child.json 2>&1 | head -3)"

# ---- without root --------------------------------------------------------------------------
# (perf events on one's own processes and /proc and stack reads of one's own children are all
# it takes; run as nobody when the test runs as root, else the whole test ran without it)
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null 2>&1; then
  U=$(mktemp -d /tmp/run_wall_user.XXXXXX) && chmod 755 "$U" && cp "$F" waits "$U/" &&
    mkdir "$U/out" && chmod 777 "$U/out"
  truth=$(cd "$U/out" && setpriv --reuid=65534 --regid=65534 --clear-groups -- "$U/fathom" run -q --wall -o u.json -- "$U/waits" 100 2>"$T/user.err")
  rc=$?
  if [[ $rc == 0 ]]; then
    read -r _ t_snooze _ _ _ _ _ _ <<<"$truth"
    "$F" report "$U/out/u.json" --format folded -o user.folded
    near "as an unprivileged user: the sleeping thread's wait" "$(through user.folded snooze)" "${t_snooze:-0}"
  else
    bad "as an unprivileged user (nobody): fathom run --wall ran" "exit $rc: $(head -c 500 "$T/user.err")"
  fi
  # a program that makes itself non-dumpable: an unprivileged fathom may not read where its
  # threads wait; their waits are still counted, as [blocked], and fathom says why
  cat >nodump.c <<'EOF'
#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>
static volatile int sink;
__attribute__((noinline)) void snooze(void) { struct timespec ts = {0, 300000000}; nanosleep(&ts, 0); sink++; }
static void *thr(void *a) { snooze(); return a; }
int main(void) {
  prctl(PR_SET_DUMPABLE, 0);
  pthread_t t;
  pthread_create(&t, 0, thr, 0);
  pthread_join(t, 0);
  return 0;
}
EOF
  cc -O2 -pthread -o "$U/nodump" nodump.c
  (cd "$U/out" && setpriv --reuid=65534 --regid=65534 --clear-groups -- "$U/fathom" run --wall -o nd.json -- "$U/nodump" 2>"$T/nd.err")
  assert_match "a non-dumpable program: fathom says why its waiting stacks are unknown" \
    "wall-clock mode: reading a thread's /proc/PID/task/TID/syscall \\(its stack is unknown\\): " "$(cat "$T/nd.err")"
  "$F" report "$U/out/nd.json" --format folded -o nd.folded
  # two threads wait about 300 ms each (main joins the sleeper)
  near "a non-dumpable program: its waits are [blocked]" "$(through nd.folded '[blocked]')" 600
else
  echo "note: not root: this whole test ran as an unprivileged user"
fi

# ---- bad usage: nothing runs ---------------------------------------------------------------
"$F" run --wall -q -o x.json -- ./no-such-program 2>err.txt
assert_eq "--wall, a missing program: exit 2" 2 "$?"
[[ -e x.json ]] && bad "--wall: a profile was written for a program that never ran"
"$F" run --wall=1 -- ./waits 2>/dev/null
assert_eq "--wall takes no value: exit 2" 2 "$?"

echo "run_wall: $pass passed, $fail failed"
((fail == 0))
