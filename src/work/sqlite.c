/* sqlite.c: fathom_sqlite_attach / detach, the SQLite trace callback, and the generic
 * fathom_query_begin / end: every statement run is added to its connection's table
 * (sql_tab.c) under its normalised text (sql_norm.c).
 *
 * SQLite is not linked: its functions are looked up in the running program with dlsym. The
 * callback takes three events (sqlite3_trace_v2): STMT (a run starts: fathom's clock and
 * SQLite's counters are read), ROW (a row returned) and PROFILE (the run ended: its time is
 * fathom's clock since STMT; SQLite's own figure, in whole milliseconds on Unix, only for a
 * run whose start fathom did not see). A run's counters are SQLite's cumulative counters of
 * the statement at its end less those at its start (never reset: the program's own readings
 * are not disturbed).
 *
 * Invariant: the callback's context is the table, freed only after sqlite3_trace_v2 took the
 * callback off: SQLite calls it holding the connection's mutex, which trace_v2 takes, so no
 * call is in flight then. The registry's lock is taken before a table's, never inside it.
 * Runs are not zones: a run spans the program's own code between its steps (and may end on
 * another thread), so it nests in no call tree; the profile has them apart ("queries"). */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/record.h"
#include "session/session.h"
#include "work/sql.h"

/* sqlite3.h's values (stable ABI), so that no header of SQLite is needed to build fathom. */
#define SQ_TRACE_STMT 0x01
#define SQ_TRACE_PROFILE 0x02
#define SQ_TRACE_ROW 0x04
#define SQ_TRACE_CLOSE 0x08
#define SQ_STMTSTATUS_FULLSCAN_STEP 1
#define SQ_STMTSTATUS_SORT 2
#define SQ_STMTSTATUS_AUTOINDEX 3
#define SQ_STMTSTATUS_VM_STEP 4

typedef int (*trace_cb)(unsigned, void *, void *, void *);
static struct {
  int (*trace_v2)(void *, unsigned, trace_cb, void *);
  const char *(*sql)(void *);
  char *(*expanded_sql)(void *);
  int (*stmt_status)(void *, int, int);
  void (*free)(void *);
} api;
static int api_ok;
static char why[256];

/* Test seam: how a name is found (NULL: dlsym in the whole program). */
void *(*fz_sq_resolver)(const char *name);

pthread_mutex_t fz_sq_reg_mu = PTHREAD_MUTEX_INITIALIZER;
fz_sq_tab *fz_sq_reg[FATHOM_SQL_MAX_CONNECTIONS];
static int filler_set;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Caller holds the registry's lock. */
static int resolve(void) {
  if (api_ok && !fz_sq_resolver) return 0;
  static const char *const names[] = {"sqlite3_trace_v2", "sqlite3_sql", "sqlite3_expanded_sql",
                                      "sqlite3_stmt_status", "sqlite3_free"};
  void *f[5];
  char miss[120] = "";
  /* the program's SQLite, else one loaded with RTLD_LOCAL (an interpreter module's) */
  void *h = fz_sq_resolver ? NULL : dlopen("libsqlite3.so.0", RTLD_LAZY | RTLD_NOLOAD);
  for (int k = 0; k < 5; k++) {
    f[k] = fz_sq_resolver ? fz_sq_resolver(names[k]) : dlsym(RTLD_DEFAULT, names[k]);
    if (!f[k] && h) f[k] = dlsym(h, names[k]);
    if (!f[k] && strlen(miss) + strlen(names[k]) + 3 < sizeof miss) {
      if (*miss) strcat(miss, ", ");
      strcat(miss, names[k]);
    }
  }
  if (h) dlclose(h);   /* loaded before and still: its functions stay */
  if (*miss) {
    snprintf(why, sizeof why, "no SQLite in this program (%s not found; SQLite 3.14 or later, "
             "linked or loaded, is needed)", miss);
    api_ok = 0;
    return FATHOM_E_NOTSUP;
  }
  *(void **)&api.trace_v2 = f[0];
  *(void **)&api.sql = f[1];
  *(void **)&api.expanded_sql = f[2];
  *(void **)&api.stmt_status = f[3];
  *(void **)&api.free = f[4];
  api_ok = 1;
  return 0;
}

FATHOM_EXTERN const char *fathom_sqlite_why(void) { return why; }

static int is_closed(const fz_sq_tab *t) { return __atomic_load_n(&t->closed, __ATOMIC_ACQUIRE); }

/* A place in the registry: a free one, else that of a closed connection with no run in
 * progress (its figures go; a run in progress could still end, on a connection closed with
 * sqlite3_close_v2). -1 when there is none. */
static int place(void) {
  for (int i = 0; i < FATHOM_SQL_MAX_CONNECTIONS; i++)
    if (!fz_sq_reg[i]) return i;
  for (int i = 0; i < FATHOM_SQL_MAX_CONNECTIONS; i++) {
    fz_sq_tab *t = fz_sq_reg[i];
    if (!is_closed(t)) continue;
    pthread_mutex_lock(&t->mu);
    int running = 0;
    for (uint32_t k = 0; k < FZ_SQ_SLOTS; k++) running |= t->slot[k].running;
    pthread_mutex_unlock(&t->mu);
    if (running) continue;
    fz_sq_tab_free(t);
    fz_sq_reg[i] = NULL;
    return i;
  }
  return -1;
}

/* A closed SQLite connection's table of that name, made the table of db: the runs of
 * connections opened again and again under one name add up. Caller holds the registry's
 * lock. */
static fz_sq_tab *reopen(void *db, const char *name) {
  if (!name || !*name) name = "sqlite";
  for (int i = 0; i < FATHOM_SQL_MAX_CONNECTIONS; i++) {
    fz_sq_tab *t = fz_sq_reg[i];
    if (!t || !t->sqlite || !is_closed(t) || strcmp(t->name, name)) continue;
    pthread_mutex_lock(&t->mu);
    int running = 0;
    for (uint32_t k = 0; k < FZ_SQ_SLOTS; k++) running |= t->slot[k].running;
    if (!running) {
      for (uint32_t k = 0; k < FZ_SQ_SLOTS; k++) {
        memset(&t->slot[k], 0, sizeof t->slot[k]);
        t->slot[k].ent = FZ_SQ_NONE;
      }
      t->db = db;
      __atomic_store_n(&t->closed, 0, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&t->mu);
    if (!running) return t;
  }
  return NULL;
}

fz_sq_tab *fz_sq_lookup(void *db, int create) {
  for (int i = 0; i < FATHOM_SQL_MAX_CONNECTIONS; i++)
    if (fz_sq_reg[i] && fz_sq_reg[i]->db == db && !is_closed(fz_sq_reg[i])) return fz_sq_reg[i];
  int free_at;
  if (!create || (free_at = place()) < 0) return NULL;
  fz_sq_tab *t = fz_sq_tab_new(db, NULL, 0);
  if (t && !filler_set) {
    fz_session_set_queries(fz_sq_fill_profile);
    filler_set = 1;
  }
  return t ? (fz_sq_reg[free_at] = t) : NULL;
}

/* ---- the callback ---- */

static fz_sq_slot *slot_of(fz_sq_tab *t, const void *stmt, int create) {
  uint64_t h = (uint64_t)(uintptr_t)stmt * 0x9E3779B97F4A7C15ull;
  uint32_t j = (uint32_t)(h >> 40) % FZ_SQ_SLOTS;
  fz_sq_slot *free_slot = NULL;
  for (uint32_t k = 0; k < 8; k++) {
    fz_sq_slot *s = &t->slot[(j + k) % FZ_SQ_SLOTS];
    if (s->stmt == stmt) return s;
    if (!free_slot && !s->running) free_slot = s;
  }
  if (!create) return NULL;
  if (!free_slot) free_slot = &t->slot[j];   /* all running: the oldest guess loses its run */
  memset(free_slot, 0, sizeof *free_slot);
  free_slot->stmt = stmt;
  free_slot->ent = FZ_SQ_NONE;
  return free_slot;
}

/* The entry of the statement the slot runs, found again when its SQL or the table changed. */
static void slot_resolve(fz_sq_tab *t, fz_sq_slot *s, void *stmt) {
  const char *sql = api.sql(stmt);
  size_t len = sql ? strlen(sql) : 0;
  uint64_t h = fz_sql_hash(sql ? sql : "", len);
  if (s->sql_hash == h && s->epoch == t->epoch && s->ent != FZ_SQ_NONE) return;
  char buf[2048], *norm = buf;
  size_t cap = 2 * len + 2;
  if (cap > sizeof buf && !(norm = malloc(cap))) {
    norm = buf;
    cap = sizeof buf;
  } else if (cap <= sizeof buf) {
    cap = sizeof buf;
  }
  size_t n = fz_sql_normalise(sql ? sql : "", norm, cap);
  s->ent = fz_sq_find(t, norm, n, 1);
  s->sql_hash = h;
  s->epoch = t->epoch;
  if (norm != buf) free(norm);
}

static void on_start(fz_sq_tab *t, void *stmt) {
  pthread_mutex_lock(&t->mu);
  fz_sq_tab_session(t, FZ_LD(fz_rec_gen));
  fz_sq_slot *s = slot_of(t, stmt, 1);
  slot_resolve(t, s, stmt);
  s->running = 1;
  s->rows = 0;
  for (int k = 0; k < 4; k++) s->c0[k] = api.stmt_status(stmt, SQ_STMTSTATUS_FULLSCAN_STEP + k, 0);
  s->t0 = now_ns();
  pthread_mutex_unlock(&t->mu);
}

static void on_row(fz_sq_tab *t, void *stmt) {
  pthread_mutex_lock(&t->mu);
  fz_sq_slot *s = slot_of(t, stmt, 0);
  if (s && s->running) s->rows++;
  pthread_mutex_unlock(&t->mu);
}

static void on_end(fz_sq_tab *t, void *stmt, uint64_t sqlite_ns) {
  uint64_t t1 = now_ns();
  pthread_mutex_lock(&t->mu);
  fz_sq_tab_session(t, FZ_LD(fz_rec_gen));
  fz_sq_slot *s = slot_of(t, stmt, 1);
  if (!s->running || s->epoch != t->epoch) slot_resolve(t, s, stmt);   /* else: at its start */
  fz_sq_run r = {.sqlite = 1};
  if (s->running) {
    r.ns = t1 > s->t0 ? t1 - s->t0 : 0;
    r.rows = s->rows;
    for (int k = 0; k < 4; k++) {
      int c = api.stmt_status(stmt, SQ_STMTSTATUS_FULLSCAN_STEP + k, 0);
      r.c[k] = (uint64_t)(c >= s->c0[k] ? c - s->c0[k] : c);   /* reset meanwhile: since then */
    }
  } else {
    r.ns = sqlite_ns;   /* its start not seen (attached during the run) */
  }
  s->running = 0;
  int want_sql;
  fz_sq_add(t, s->ent, &r, &want_sql);
  if (want_sql) {
    char *x = api.expanded_sql(stmt);
    fz_sq_add_sql(t, s->ent, r.ns, x ? x : "");
    if (x) api.free(x);
  }
  pthread_mutex_unlock(&t->mu);
}

static int trace(unsigned type, void *ctx, void *p, void *x) {
  fz_sq_tab *t = ctx;
  if (!t || !p) return 0;
  if (type == SQ_TRACE_STMT) {
    const char *text = x;
    if (text && text[0] == '-' && text[1] == '-') return 0;   /* a trigger inside the run */
    on_start(t, p);
  } else if (type == SQ_TRACE_ROW) {
    on_row(t, p);
  } else if (type == SQ_TRACE_PROFILE) {
    on_end(t, p, x ? *(const uint64_t *)x : 0);
  } else if (type == SQ_TRACE_CLOSE) {   /* its figures stay until the place is needed */
    __atomic_store_n(&t->closed, 1, __ATOMIC_RELEASE);
  }
  return 0;
}

/* ---- the API ---- */

FATHOM_EXTERN int fathom_sqlite_attach(void *db, const char *name) {
  if (!db) return FATHOM_E_INVAL;
  pthread_mutex_lock(&fz_sq_reg_mu);
  int rc = resolve();
  fz_sq_tab *t = NULL;
  if (!rc && fz_sq_lookup(db, 0)) rc = FATHOM_E_INVAL;
  if (!rc) {
    why[0] = 0;
    unsigned mask = SQ_TRACE_STMT | SQ_TRACE_PROFILE | SQ_TRACE_ROW | SQ_TRACE_CLOSE;
    int i = -1;
    if (!(t = reopen(db, name))) {
      if ((i = place()) < 0) rc = FATHOM_E_LIMIT;
      else if (!(t = fz_sq_tab_new(db, name, 1))) rc = FATHOM_E_NOMEM;
    }
    if (!rc && api.trace_v2(db, mask, trace, t) != 0) {
      rc = FATHOM_E_IO;
      if (i < 0) __atomic_store_n(&t->closed, 1, __ATOMIC_RELEASE);   /* stays closed */
      else fz_sq_tab_free(t);
    }
    if (!rc) {
      if (i >= 0) fz_sq_reg[i] = t;
      if (!filler_set) {
        fz_session_set_queries(fz_sq_fill_profile);
        filler_set = 1;
      }
    }
  }
  pthread_mutex_unlock(&fz_sq_reg_mu);
  return rc;
}

FATHOM_EXTERN int fathom_sqlite_detach(void *db) {
  if (!db) return FATHOM_E_INVAL;
  pthread_mutex_lock(&fz_sq_reg_mu);
  fz_sq_tab *t = NULL;
  for (int i = 0; i < FATHOM_SQL_MAX_CONNECTIONS && !t; i++)
    if (fz_sq_reg[i] && fz_sq_reg[i]->db == db && !is_closed(fz_sq_reg[i])) {
      t = fz_sq_reg[i];
      fz_sq_reg[i] = NULL;
    }
  pthread_mutex_unlock(&fz_sq_reg_mu);
  if (!t) return FATHOM_E_NOTFOUND;
  if (t->sqlite && api_ok) api.trace_v2(db, 0, NULL, NULL);   /* open: it is not closed */
  pthread_mutex_lock(&t->mu);   /* a generic run being added finishes first */
  pthread_mutex_unlock(&t->mu);
  fz_sq_tab_free(t);
  return 0;
}

FATHOM_EXTERN fathom_query fathom_query_begin(void *db, const char *statement) {
  fathom_query q = {0};
  if (!db || !statement) return q;
  q.db_ = db;
  q.statement_ = statement;
  q.t0_ = now_ns();
  return q;
}

FATHOM_EXTERN int fathom_query_end(fathom_query q, uint64_t rows) {
  if (!q.db_ || !q.statement_) return FATHOM_E_ENDED;
  uint64_t t1 = now_ns();
  fz_sq_run r = {.ns = t1 > q.t0_ ? t1 - q.t0_ : 0, .rows = rows};
  size_t len = strlen(q.statement_), cap = 2 * len + 2;
  char buf[2048], *norm = cap > sizeof buf ? malloc(cap) : buf;
  if (!norm) return FATHOM_E_NOMEM;
  size_t n = fz_sql_normalise(q.statement_, norm, norm == buf ? sizeof buf : cap);
  pthread_mutex_lock(&fz_sq_reg_mu);
  fz_sq_tab *t = fz_sq_lookup(q.db_, 1);
  if (t) pthread_mutex_lock(&t->mu);
  pthread_mutex_unlock(&fz_sq_reg_mu);
  int rc = FATHOM_E_LIMIT;
  if (t) {
    fz_sq_tab_session(t, FZ_LD(fz_rec_gen));
    uint32_t i = fz_sq_find(t, norm, n, 0);
    int want_sql;
    fz_sq_add(t, i, &r, &want_sql);
    if (want_sql) fz_sq_add_sql(t, i, r.ns, q.statement_);
    if (i != FZ_SQ_NONE) rc = 0;
    pthread_mutex_unlock(&t->mu);
  }
  if (norm != buf) free(norm);
  return rc;
}
