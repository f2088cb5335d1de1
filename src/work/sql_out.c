/* sql_out.c: the statements' figures read out of the connections' tables: for the program
 * (fathom_sql_stats_get, its text and JSON) and for the session's profile ("queries", handed
 * to the session as a function pointer). Percentiles are the nearest rank over the run times
 * kept: exact while every run's time is kept, else estimates from the uniform sample.
 *
 * Invariant: a copy owns all its strings; tables are read under their lock, with the
 * registry's lock around (registry first, then each table). */
#include <stdlib.h>
#include <string.h>

#include "view/view.h"
#include "work/sql.h"

static int by_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static int by_total(const void *a, const void *b) {
  const fathom_query_info *x = a, *y = b;
  if (x->total_ns != y->total_ns) return x->total_ns < y->total_ns ? 1 : -1;
  return strcmp(x->statement, y->statement);
}

static double rank(const uint64_t *s, uint32_t n, double q) {   /* nearest rank, s sorted */
  uint64_t r = (uint64_t)(q * n + 0.999999999);
  if (r < 1) r = 1;
  if (r > n) r = n;
  return (double)s[r - 1];
}

void fz_sq_info_free(fathom_query_info *q) {
  free(q->db);
  free(q->statement);
  for (uint32_t k = 0; k < q->n_slowest && k < FATHOM_QUERY_SLOWEST; k++) free(q->slowest_sql[k]);
  memset(q, 0, sizeof *q);
}

static int copy_one(const fz_sq_tab *t, const fz_sq_ent *e, fathom_query_info *q) {
  memset(q, 0, sizeof *q);
  q->db = strdup(t->name);
  q->statement = strdup(e->text);
  uint64_t *s = malloc((e->n_samples ? e->n_samples : 1) * sizeof *s);
  if (!q->db || !q->statement || !s) {
    free(s);
    fz_sq_info_free(q);
    return -1;
  }
  q->count = e->count;
  q->total_ns = (double)e->total_ns;
  q->mean_ns = e->count ? (double)e->total_ns / (double)e->count : 0;
  q->min_ns = (double)e->min_ns;
  q->max_ns = (double)e->max_ns;
  memcpy(s, e->samples, e->n_samples * sizeof *s);
  qsort(s, e->n_samples, sizeof *s, by_u64);
  if (e->n_samples) {
    q->p50_ns = rank(s, e->n_samples, 0.50);
    q->p95_ns = rank(s, e->n_samples, 0.95);
    q->p99_ns = rank(s, e->n_samples, 0.99);
  }
  free(s);
  q->exact = e->n_samples == e->count;
  q->rows = e->rows;
  q->sqlite = e->sqlite;
  q->fullscan_steps = e->fullscan;
  q->sorts = e->sorts;
  q->autoindexes = e->autoidx;
  q->vm_steps = e->vm_steps;
  for (uint32_t k = 0; k < e->n_slow; k++) {
    if (!(q->slowest_sql[k] = strdup(e->slow_sql[k] ? e->slow_sql[k] : ""))) {
      fz_sq_info_free(q);
      return -1;
    }
    q->slowest_ns[k] = (double)e->slow_ns[k];
    q->n_slowest = k + 1;
  }
  return 0;
}

int fz_sq_copy(const fz_sq_tab *t, fathom_query_info *q, uint32_t *n) {
  for (uint32_t i = 0; i < t->n; i++) {
    if (!t->e[i].count) continue;
    if (copy_one(t, &t->e[i], &q[*n])) return FATHOM_E_NOMEM;
    (*n)++;
  }
  return 0;
}

/* Every table (g 0) or those counting session g's runs (db NULL: all connections). */
static int gather(void *db, int by_gen, uint32_t g, fathom_sql_stats *out) {
  memset(out, 0, sizeof *out);
  int rc = 0, found = !db;
  pthread_mutex_lock(&fz_sq_reg_mu);
  size_t room = 0;
  for (int i = 0; i < FATHOM_SQL_MAX_CONNECTIONS; i++) {
    fz_sq_tab *t = fz_sq_reg[i];
    if (!t || (db && (t->db != db || __atomic_load_n(&t->closed, __ATOMIC_ACQUIRE)))) continue;
    pthread_mutex_lock(&t->mu);
    if (!by_gen || t->gen == g) room += t->n;
    pthread_mutex_unlock(&t->mu);
  }
  out->q = calloc(room ? room : 1, sizeof *out->q);
  if (!out->q) rc = FATHOM_E_NOMEM;
  for (int i = 0; i < FATHOM_SQL_MAX_CONNECTIONS && !rc; i++) {
    fz_sq_tab *t = fz_sq_reg[i];
    if (!t || (db && (t->db != db || __atomic_load_n(&t->closed, __ATOMIC_ACQUIRE)))) continue;
    found = 1;
    pthread_mutex_lock(&t->mu);
    if ((!by_gen || t->gen == g) && out->n + t->n <= room) {   /* room: no table grew since */
      rc = fz_sq_copy(t, out->q, &out->n);
      out->dropped += t->dropped;
    }
    pthread_mutex_unlock(&t->mu);
  }
  pthread_mutex_unlock(&fz_sq_reg_mu);
  if (!rc && !found) rc = FATHOM_E_NOTFOUND;
  if (rc) {
    fathom_sql_stats_free(out);
    return rc;
  }
  qsort(out->q, out->n, sizeof *out->q, by_total);
  for (uint32_t i = 0; i < out->n; i++) {
    out->runs += out->q[i].count;
    out->total_ns += out->q[i].total_ns;
  }
  return 0;
}

int fz_sq_fill_profile(fathom_profile *p, uint32_t g) {
  fathom_sql_stats s;
  int rc = gather(NULL, 1, g, &s);
  if (rc) return rc;
  if (!s.n && !s.dropped) {
    fathom_sql_stats_free(&s);
    return 0;
  }
  p->queries = s.q;
  p->n_queries = s.n;
  p->queries_dropped = s.dropped;
  return 0;
}

FATHOM_EXTERN int fathom_sql_stats_get(void *db, fathom_sql_stats *out) {
  if (!out) return FATHOM_E_INVAL;
  return gather(db, 0, 0, out);
}

FATHOM_EXTERN void fathom_sql_stats_free(fathom_sql_stats *s) {
  if (!s) return;
  for (uint32_t i = 0; s->q && i < s->n; i++) fz_sq_info_free(&s->q[i]);
  free(s->q);
  memset(s, 0, sizeof *s);
}

FATHOM_EXTERN int fathom_sql_stats_print(FILE *f, const fathom_sql_stats *s) {
  if (!f || !s) return FATHOM_E_INVAL;
  if (!s->n && !s->dropped) {
    fputs("Database statements: none ran\n", f);
    return ferror(f) ? FATHOM_E_IO : 0;
  }
  return fz_queries_text(f, 0, s->q, s->n, s->dropped, 0);
}

FATHOM_EXTERN int fathom_sql_stats_json(FILE *f, const fathom_sql_stats *s) {
  if (!f || !s) return FATHOM_E_INVAL;
  fputs("{\"queries\":", f);
  fz_json_queries(f, s->q, s->n);
  fputs(",\"queries_dropped\":", f);
  fprintf(f, "%llu", (unsigned long long)s->dropped);
  fputs("}\n", f);
  return fflush(f) || ferror(f) ? FATHOM_E_IO : 0;
}
