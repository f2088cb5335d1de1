/* sql.h: database statement profiling, private to src/work: the normaliser (sql_norm.c), the
 * per-connection tables (sql_tab.c), the SQLite trace callback (sqlite.c) and the readers
 * (sql_out.c).
 *
 * Invariant: a table is changed and read only under its own lock; the registry of tables
 * under the registry's lock, taken before a table's and never inside it; no lock of these is
 * held while the session's lock is (the profile's reader runs outside it). */
#ifndef FATHOM_WORK_SQL_H
#define FATHOM_WORK_SQL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "fathom.h"

#define FZ_SQ_NONE UINT32_MAX
#define FZ_SQ_SLOTS 256        /* prepared statements remembered per connection */

/* Normalises sql into out (at most cap bytes with the terminating 0; a longer result is cut).
 * Returns the length written. */
size_t fz_sql_normalise(const char *sql, char *out, size_t cap);
uint64_t fz_sql_hash(const char *s, size_t n);

/* One normalised statement's figures. */
typedef struct fz_sq_ent {
  char *text;
  uint64_t hash;
  uint64_t count, rows, fullscan, sorts, autoidx, vm_steps;
  uint64_t total_ns, min_ns, max_ns;
  uint64_t *samples;          /* run times: all of them, or a uniform sample (reservoir) */
  uint32_t n_samples, cap_samples;
  uint32_t n_slow;
  uint64_t slow_ns[FATHOM_QUERY_SLOWEST];
  char *slow_sql[FATHOM_QUERY_SLOWEST];
  int sqlite;
} fz_sq_ent;

/* A prepared statement seen on the connection: the statement it runs and its run so far. */
typedef struct fz_sq_slot {
  const void *stmt;
  uint64_t sql_hash;          /* of its SQL as written (sqlite3_sql) */
  uint32_t ent, epoch;        /* its entry, valid while epoch is the table's */
  int running;                /* between its start and its end */
  uint64_t t0, rows;
  int c0[4];                  /* SQLite's counters at its start */
} fz_sq_slot;

typedef struct fz_sq_tab {
  pthread_mutex_t mu;
  void *db;
  char *name;
  int sqlite;                 /* attached with fathom_sqlite_attach */
  int closed;                 /* the program closed the connection (its figures stay) */
  uint32_t gen;               /* the session whose runs it counts (0: none) */
  uint32_t epoch;             /* bumped when its entries are cleared */
  fz_sq_ent *e;
  uint32_t n, cap;
  uint32_t *idx;              /* open addressing: entry index + 1, 0 empty */
  uint32_t idx_cap;
  uint64_t runs, dropped, rng;
  fz_sq_slot slot[FZ_SQ_SLOTS];
} fz_sq_tab;

/* A run to add. */
typedef struct fz_sq_run {
  uint64_t ns, rows;
  int sqlite;
  uint64_t c[4];              /* fullscan, sort, autoindex, vm steps */
} fz_sq_run;

/* ---- sql_tab.c (callers hold t->mu unless said) ---- */
fz_sq_tab *fz_sq_tab_new(void *db, const char *name, int sqlite);
void fz_sq_tab_free(fz_sq_tab *t);
/* Clears the figures when a session began since they started (gen: fathom_recording_). */
void fz_sq_tab_session(fz_sq_tab *t, uint32_t gen);
/* The entry of a normalised statement, created when new: FZ_SQ_NONE at the cap (or out of
 * memory). */
uint32_t fz_sq_find(fz_sq_tab *t, const char *norm, size_t len, int sqlite);
/* Adds a run to entry i (FZ_SQ_NONE: counted as dropped). want_sql is set when the run is
 * among the slowest and its SQL would be kept: the caller then passes it to fz_sq_add_sql. */
void fz_sq_add(fz_sq_tab *t, uint32_t i, const fz_sq_run *r, int *want_sql);
void fz_sq_add_sql(fz_sq_tab *t, uint32_t i, uint64_t ns, const char *sql);

/* ---- the registry (sqlite.c) ---- */
extern pthread_mutex_t fz_sq_reg_mu;
extern fz_sq_tab *fz_sq_reg[FATHOM_SQL_MAX_CONNECTIONS];
/* The table of db, or registers a generic one (fathom_query_begin). Caller holds the
 * registry's lock. NULL at the cap or out of memory. */
fz_sq_tab *fz_sq_lookup(void *db, int create);

/* ---- sql_out.c ---- */
/* Copies table t's entries into q[*n..] (room checked by the caller). Caller holds t->mu. */
int fz_sq_copy(const fz_sq_tab *t, fathom_query_info *q, uint32_t *n);
/* The profile's "queries" for session generation g (handed to the session as a function
 * pointer at the first attach). */
int fz_sq_fill_profile(fathom_profile *p, uint32_t g);
void fz_sq_info_free(fathom_query_info *q);

#endif
