/* sql_tab.c: a connection's table of statements: one entry per normalised statement (found
 * by its hash), with the runs' count, times, rows and SQLite counters, a uniform sample of
 * the run times for the percentiles, and the slowest runs' SQL.
 *
 * Invariant: at most FATHOM_SQL_MAX_STATEMENTS entries (runs of further statements are
 * counted in `dropped`, never lost silently); at most FATHOM_QUERY_SAMPLES run times per
 * entry (every run's while there are no more, then a reservoir: each run's time is kept with
 * the same probability); slowest runs sorted slowest first; everything under t->mu. */
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "util/resv.h"
#include "work/sql.h"

fz_sq_tab *fz_sq_tab_new(void *db, const char *name, int sqlite) {
  fz_sq_tab *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->name = strdup(name && *name ? name : sqlite ? "sqlite" : "db");
  t->idx_cap = 2 * FATHOM_SQL_MAX_STATEMENTS;
  t->idx = calloc(t->idx_cap, sizeof *t->idx);
  if (!t->name || !t->idx || pthread_mutex_init(&t->mu, NULL)) {
    free(t->name);
    free(t->idx);
    free(t);
    return NULL;
  }
  t->db = db;
  t->sqlite = sqlite;
  t->gen = FZ_LD(fz_rec_gen);
  t->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)t;
  for (uint32_t i = 0; i < FZ_SQ_SLOTS; i++) t->slot[i].ent = FZ_SQ_NONE;
  return t;
}

static void clear(fz_sq_tab *t) {
  for (uint32_t i = 0; i < t->n; i++) {
    fz_sq_ent *e = &t->e[i];
    free(e->text);
    free(e->samples);
    for (uint32_t k = 0; k < e->n_slow; k++) free(e->slow_sql[k]);
  }
  t->n = 0;
  memset(t->idx, 0, t->idx_cap * sizeof *t->idx);
  t->runs = t->dropped = 0;
  t->epoch++;
}

void fz_sq_tab_free(fz_sq_tab *t) {
  if (!t) return;
  clear(t);
  free(t->e);
  free(t->idx);
  free(t->name);
  pthread_mutex_destroy(&t->mu);
  free(t);
}

void fz_sq_tab_session(fz_sq_tab *t, uint32_t gen) {
  if (!gen || gen == t->gen) return;
  clear(t);
  t->gen = gen;
}

uint32_t fz_sq_find(fz_sq_tab *t, const char *norm, size_t len, int sqlite) {
  uint64_t h = fz_sql_hash(norm, len);
  uint32_t mask = t->idx_cap - 1, j = (uint32_t)h & mask;
  for (;; j = (j + 1) & mask) {
    uint32_t v = t->idx[j];
    if (!v) break;
    fz_sq_ent *e = &t->e[v - 1];
    if (e->hash == h && strlen(e->text) == len && memcmp(e->text, norm, len) == 0) return v - 1;
  }
  if (t->n >= FATHOM_SQL_MAX_STATEMENTS) return FZ_SQ_NONE;
  if (t->n == t->cap) {
    uint32_t nc = t->cap ? t->cap * 2 : 16;
    fz_sq_ent *ne = realloc(t->e, nc * sizeof *ne);
    if (!ne) return FZ_SQ_NONE;
    t->e = ne;
    t->cap = nc;
  }
  fz_sq_ent *e = &t->e[t->n];
  memset(e, 0, sizeof *e);
  if (!(e->text = malloc(len + 1))) return FZ_SQ_NONE;
  memcpy(e->text, norm, len);
  e->text[len] = 0;
  e->hash = h;
  e->sqlite = sqlite;
  t->idx[j] = ++t->n;
  return t->n - 1;
}

/* Where a run of ns would go among the slowest (n_slow when it would not be kept). */
static uint32_t slow_pos(const fz_sq_ent *e, uint64_t ns) {
  uint32_t k = 0;
  while (k < e->n_slow && e->slow_ns[k] >= ns) k++;
  return k < FATHOM_QUERY_SLOWEST ? k : FATHOM_QUERY_SLOWEST;
}

void fz_sq_add(fz_sq_tab *t, uint32_t i, const fz_sq_run *r, int *want_sql) {
  *want_sql = 0;
  if (i == FZ_SQ_NONE || i >= t->n) {
    t->dropped++;
    return;
  }
  fz_sq_ent *e = &t->e[i];
  if (!e->count || r->ns < e->min_ns) e->min_ns = r->ns;
  if (r->ns > e->max_ns) e->max_ns = r->ns;
  e->count++;
  e->total_ns += r->ns;
  e->rows += r->rows;
  if (r->sqlite) {
    e->fullscan += r->c[0];
    e->sorts += r->c[1];
    e->autoidx += r->c[2];
    e->vm_steps += r->c[3];
  }
  t->runs++;
  fz_resv_offer(&e->samples, &e->n_samples, &e->cap_samples, FATHOM_QUERY_SAMPLES, &t->rng, e->count,
                r->ns);   /* e->count already counts this one */
  if (slow_pos(e, r->ns) < FATHOM_QUERY_SLOWEST) *want_sql = 1;
}

void fz_sq_add_sql(fz_sq_tab *t, uint32_t i, uint64_t ns, const char *sql) {
  if (i == FZ_SQ_NONE || i >= t->n) return;
  fz_sq_ent *e = &t->e[i];
  uint32_t k = slow_pos(e, ns);
  if (k >= FATHOM_QUERY_SLOWEST) return;
  size_t len = sql ? strlen(sql) : 0;
  if (len >= FATHOM_QUERY_TEXT_MAX) {   /* cut before a character, never inside one */
    len = FATHOM_QUERY_TEXT_MAX - 1;
    while (len && ((unsigned char)sql[len] & 0xC0) == 0x80) len--;
  }
  char *c = malloc(len + 1);
  if (!c) return;
  if (len) memcpy(c, sql, len);
  c[len] = 0;
  if (e->n_slow == FATHOM_QUERY_SLOWEST) free(e->slow_sql[--e->n_slow]);
  memmove(&e->slow_ns[k + 1], &e->slow_ns[k], (e->n_slow - k) * sizeof *e->slow_ns);
  memmove(&e->slow_sql[k + 1], &e->slow_sql[k], (e->n_slow - k) * sizeof *e->slow_sql);
  e->slow_ns[k] = ns;
  e->slow_sql[k] = c;
  e->n_slow++;
}
