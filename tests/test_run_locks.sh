# test_run_locks.sh: `fathom run --locks` on an unmodified program that nobody told about
# fathom: two threads take turns holding a mutex for 2 ms while the other, told that it is
# held, asks for it (ROUNDS rounds: every acquisition and every hold known), plus a mutex
# taken around a condition wait. The profile's locks must count each acquisition exactly,
# name each lock by the function that took it first, show contention on the first, keep the
# program's output and exit status, and pass fathom check; without --locks there is no locks
# table. --net turns on libfathom.so's libcurl hook: an unmodified libcurl client's requests
# reach the profile per endpoint; --sql its SQLite hook: an unmodified SQLite program's
# statements reach it per normalised statement, each run counted. Under a sanitizer build
# these options are not available: that message is checked instead.
set -u
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
. "$SRC/tests/lib/asserts.sh"
F=$B/fathom
T=$(mktemp -d "${FATHOM_TEST_TMP:-/tmp}/run_locks.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
SANITIZE=${FATHOM_SANITIZE:-}
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^FATHOM(_|$)')
pass=0
fail=0

cat >pp.c <<'EOF2'
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#define ROUNDS 10
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn, holding;
__attribute__((noinline)) static void pingpong(int me) {
  for (int r = 0; r < ROUNDS; r++) {
    if (r % 2 == me) {
      while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != r) sched_yield();
      pthread_mutex_lock(&m);
      __atomic_store_n(&holding, r + 1, __ATOMIC_RELEASE);
      struct timespec ts = {0, 2000000};
      nanosleep(&ts, NULL);
      pthread_mutex_unlock(&m);
    } else {
      while (__atomic_load_n(&holding, __ATOMIC_ACQUIRE) != r + 1) sched_yield();
      pthread_mutex_lock(&m);
      pthread_mutex_unlock(&m);
      __atomic_store_n(&turn, r + 1, __ATOMIC_RELEASE);
    }
  }
}
static void *other(void *a) { (void)a; pingpong(1); return NULL; }
__attribute__((noinline)) static void waiter(void) {
  pthread_mutex_lock(&cm);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += 20000000;
  if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
  while (pthread_cond_timedwait(&cv, &cm, &until) == 0) continue;
  pthread_mutex_unlock(&cm);
}
int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, other, NULL);
  pingpong(0);
  pthread_join(t, NULL);
  waiter();
  printf("pingpong done\n");
  return 3;
}
EOF2
cc -O2 -g -o pp pp.c -lpthread || { echo "FAIL: cannot build the test program"; exit 1; }

if [[ -n $SANITIZE ]]; then
  echo "note: sanitizer build ($SANITIZE): --locks is not available here; checking that it says so"
  out=$("$F" run -q --locks -o san.json -- ./pp 2>&1)
  assert_eq "sanitizer build: usage status" 2 "$?"
  assert_match "sanitizer build: says why" "not available in this build" "$out"
  [[ -e san.json ]] && bad "sanitizer build: a profile was written"
  echo "run_locks: $pass passed, $fail failed"
  [[ $fail -eq 0 ]]
  exit
fi

out=$(TMPDIR=$T "$F" run --locks -o l.json -- ./pp 2>err.txt)
assert_eq "the program's exit status" 3 "$?"
assert_eq "the program's output" "pingpong done" "$out"
assert_match "the summary line counts the locks" "2 locks in 1 process, [1-9][0-9]* contended" "$(cat err.txt)"
"$F" check l.json >/dev/null 2>&1 || bad "fathom check" "$("$F" check l.json 2>&1 | head -3)"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const ls = p.locks || [];
const pp = ls.find(l => / \(first taken in pingpong\)$/.test(l.name));
const cm = ls.find(l => / \(first taken in waiter\)$/.test(l.name));
if (ls.length !== 2 || !pp || !cm) throw new Error("locks: " + ls.map(l => l.name).join(", "));
if (pp.acquisitions !== 20 || pp.holds !== 20) throw new Error("pingpong: " + pp.acquisitions + " acquisitions, " + pp.holds + " holds (want 20)");
if (!(pp.contended > 0 && pp.contended <= 10)) throw new Error("pingpong: contended " + pp.contended);
if (!(pp.hold_ns >= 10 * 2e6)) throw new Error("pingpong: 10 holds of 2 ms hold " + pp.hold_ns + " ns");
if (cm.acquisitions !== 1 || cm.holds !== 1) throw new Error("waiter: " + cm.acquisitions + " acquisitions");
if (!(cm.hold_ns < 20e6)) throw new Error("waiter: the 20 ms condition wait counted as a hold: " + cm.hold_ns);
' l.json 2>node.err && pass=$((pass + 1)) || bad "the locks table" "$(cat node.err | head -5)"
ls -d "$T"/fathom-run.* >/dev/null 2>&1 && bad "fathom run left its zones directory behind"
report=$("$F" report l.json 2>&1)
assert_match "the report's Locks section" "first taken in pingpong" "$report"

"$F" run -q -o n.json -- ./pp >/dev/null 2>&1
grep -q '"locks"' n.json && bad "without --locks, the profile has a locks table"

# --net sets FATHOM_CURL=1: a libcurl client that knows nothing of fathom fetches
# three pages from a local server (node); the profile gets its requests per endpoint, the
# bodies' bytes exact, the 404 counted as an error
cat >cl.c <<'EOF2'
#include <curl/curl.h>
#include <stdio.h>
static size_t drop(char *p, size_t s, size_t n, void *u) { (void)p; (void)u; return s * n; }
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, argv[i]);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, drop);
    if (curl_easy_perform(h) != CURLE_OK) return 1;
    curl_easy_cleanup(h);
  }
  printf("fetched %d\n", argc - 1);
  return 0;
}
EOF2
cc -O2 -o cl cl.c $(pkg-config --cflags --libs libcurl) || { echo "FAIL: cannot build the curl client"; exit 1; }
node -e '
const srv = require("http").createServer((q, r) => {
  const ok = q.url.startsWith("/page");
  r.writeHead(ok ? 200 : 404, {"Content-Type": "text/plain"});
  r.end(ok ? "x".repeat(3000) : "gone");
});
srv.listen(0, "127.0.0.1", () => { require("fs").writeFileSync("port", String(srv.address().port)); });
setTimeout(() => process.exit(0), 60000);
' & srv=$!
for _ in $(seq 100); do [[ -s port ]] && break; sleep 0.1; done
port=$(cat port 2>/dev/null)
out=$(TMPDIR=$T "$F" run -q --net -o c.json -- ./cl "http://127.0.0.1:$port/page?n=1" \
      "http://127.0.0.1:$port/page?n=2" "http://127.0.0.1:$port/old" 2>err.txt)
kill "$srv" 2>/dev/null
assert_eq "the curl client's output" "fetched 3" "$out"
"$F" check c.json >/dev/null 2>&1 || bad "fathom check of the curl client's profile" "$("$F" check c.json 2>&1 | head -3)"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")), port = process.argv[2];
const r = p.requests || [];
const page = r.find(x => x.endpoint === `http://127.0.0.1:${port}/page`);
const old = r.find(x => x.endpoint === `http://127.0.0.1:${port}/old`);
if (r.length !== 2 || !page || !old) throw new Error("requests: " + r.map(x => x.endpoint).join(", "));
if (page.count !== 2 || page.bytes_received !== 6000 || page.errors !== 0) throw new Error("page: " + JSON.stringify(page));
if (old.count !== 1 || old.errors !== 1 || old.http_errors !== 1) throw new Error("old: " + JSON.stringify(old));
' c.json "$port" 2>node.err && pass=$((pass + 1)) || bad "the curl client's requests" "$(head -5 node.err)"
grep -q '"locks"' c.json && bad "--net alone: the profile has a locks table"

# --sql sets FATHOM_SQLITE=1: a program using SQLite that knows nothing of fathom makes a
# table of 500 rows (one INSERT run 500 times with different values) and looks 40 of them up
# by an unindexed column; the profile has one row per normalised statement with its runs
# counted exactly, the lookups' full-scan steps, and the slow query finding's evidence
cat >sq.c <<'EOF2'
#include <sqlite3.h>
#include <stdio.h>
int main(void) {
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
  sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)", 0, 0, 0);
  char sql[128];
  for (int i = 0; i < 500; i++) {
    snprintf(sql, sizeof sql, "INSERT INTO t(v) VALUES (%d)", i * 7);
    if (sqlite3_exec(db, sql, 0, 0, 0) != SQLITE_OK) return 1;
  }
  int found = 0;
  for (int i = 0; i < 40; i++) {
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, "SELECT id FROM t WHERE v = %d", i * 70);
    if (sqlite3_prepare_v2(db, sql, -1, &st, 0) != SQLITE_OK) return 1;
    while (sqlite3_step(st) == SQLITE_ROW) found++;
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  printf("found %d\n", found);
  return 0;
}
EOF2
cc -O2 -o sq sq.c $(pkg-config --cflags --libs sqlite3) || { echo "FAIL: cannot build the SQLite program"; exit 1; }
out=$(TMPDIR=$T "$F" run -q --sql -o s.json -- ./sq 2>err.txt)
assert_eq "the SQLite program's output" "found 40" "$out"
"$F" check s.json >/dev/null 2>&1 || bad "fathom check of the SQLite program's profile" "$("$F" check s.json 2>&1 | head -3)"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const q = p.queries || [];
const ins = q.find(x => /^INSERT INTO t/.test(x.statement));
const sel = q.find(x => /^SELECT id FROM t WHERE v = \?/.test(x.statement));
if (!ins || !sel) throw new Error("statements: " + q.map(x => x.statement).join(" | "));
if (ins.count !== 500) throw new Error("INSERT runs " + ins.count);
if (sel.count !== 40 || sel.rows !== 40) throw new Error("SELECT: " + JSON.stringify({count: sel.count, rows: sel.rows}));
if (!(sel.fullscan_steps > 0)) throw new Error("SELECT full-scan steps " + sel.fullscan_steps);
if (p.requests || p.locks) throw new Error("--sql alone gave requests or locks");
' s.json 2>node.err && pass=$((pass + 1)) || bad "the SQLite program's statements" "$(head -5 node.err)"
echo "run_locks: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
