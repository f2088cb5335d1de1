/* lines.c: the source lines of a sampled profile (see lines.h): for each (function, file,
 * line) the samples taken there and those with it on the stack, as the model's lines table.
 *
 * Invariant: a sample adds its period at most once to a line's total (a line that recurs on
 * one stack counts once), and to the self of the one line it was taken at; so a line's self
 * is at most its total, and the lines of a function add up to at most its own figures. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/lines.h"

typedef struct lent {
  uint32_t zone, line;
  const char *file;        /* the unwinder's interned string: equal files, equal pointers */
  uint64_t k_self, k_total, stamp;
  double ns_self, sq_self, ns_total, sq_total;
} lent;

struct fz_run_lines {
  lent *e;
  uint32_t n, cap;
  uint32_t *tab, tcap;     /* open addressing: entry + 1 */
  uint64_t seq;            /* samples seen: the stamp that keeps a total counted once */
  int oom;
};

fz_run_lines *fz_run_lines_new(void) { return calloc(1, sizeof(fz_run_lines)); }

void fz_run_lines_free(fz_run_lines *l) {
  if (!l) return;
  free(l->e);
  free(l->tab);
  free(l);
}

static uint64_t key(uint32_t zone, const char *file, uint32_t line) {
  uint64_t h = ((uint64_t)zone << 32 | line) ^ (uint64_t)(uintptr_t)file * 0x9E3779B97F4A7C15ull;
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 29);
}

static int rehash(fz_run_lines *l) {
  uint32_t nc = l->tcap ? l->tcap * 2 : 1024;
  uint32_t *nt = calloc(nc, sizeof *nt);
  if (!nt) return -1;
  for (uint32_t i = 0; i < l->n; i++) {
    uint64_t h = key(l->e[i].zone, l->e[i].file, l->e[i].line) & (nc - 1);
    while (nt[h]) h = (h + 1) & (nc - 1);
    nt[h] = i + 1;
  }
  free(l->tab);
  l->tab = nt;
  l->tcap = nc;
  return 0;
}

static lent *entry(fz_run_lines *l, uint32_t zone, const char *file, uint32_t line) {
  if (l->n * 2 >= l->tcap && rehash(l)) return NULL;
  uint64_t h = key(zone, file, line) & (l->tcap - 1);
  for (; l->tab[h]; h = (h + 1) & (l->tcap - 1)) {
    lent *e = &l->e[l->tab[h] - 1];
    if (e->zone == zone && e->line == line && e->file == file) return e;
  }
  if (l->n == l->cap) {
    uint32_t nc = l->cap ? l->cap * 2 : 256;
    lent *ne = realloc(l->e, (size_t)nc * sizeof *ne);
    if (!ne) return NULL;
    l->e = ne;
    l->cap = nc;
  }
  lent *e = &l->e[l->n];
  memset(e, 0, sizeof *e);
  e->zone = zone;
  e->file = file;
  e->line = line;
  l->tab[h] = ++l->n;
  return e;
}

void fz_run_lines_sample(fz_run_lines *l, const uint32_t *zones, const char *const *files,
                         const uint32_t *lines, uint32_t depth, double period) {
  if (!l || l->oom) return;
  l->seq++;
  double sq = period * period;
  for (uint32_t d = 0; d < depth; d++) {
    if (!files[d] || !lines[d]) continue;
    lent *e = entry(l, zones[d], files[d], lines[d]);
    if (!e) {
      l->oom = 1;
      return;
    }
    if (e->stamp != l->seq) {
      e->stamp = l->seq;
      e->k_total++;
      e->ns_total += period;
      e->sq_total += sq;
    }
    if (d == depth - 1) {
      e->k_self++;
      e->ns_self += period;
      e->sq_self += sq;
    }
  }
}

static int by_zone_self(const void *a, const void *b) {
  const fathom_line_info *x = a, *y = b;
  if (x->zone != y->zone) return x->zone < y->zone ? -1 : 1;
  if (x->self_ns != y->self_ns) return x->self_ns > y->self_ns ? -1 : 1;
  if (x->total_ns != y->total_ns) return x->total_ns > y->total_ns ? -1 : 1;
  int c = strcmp(x->file, y->file);
  return c ? c : (x->line > y->line) - (x->line < y->line);
}

int fz_run_lines_build(const fz_run_lines *l, fathom_profile *p) {
  if (!l || !l->n) return 0;
  if (l->oom) return -1;
  fathom_line_info *out = calloc(l->n, sizeof *out);
  if (!out) return -1;
  for (uint32_t i = 0; i < l->n; i++) {
    const lent *e = &l->e[i];
    fathom_line_info *o = &out[i];
    o->zone = e->zone;
    o->line = e->line;
    o->file = strdup(e->file);
    o->samples_self = e->k_self;
    o->samples_total = e->k_total;
    o->self_ns = e->ns_self;
    o->self_se_ns = sqrt(e->sq_self);
    o->total_ns = e->ns_total;
    o->total_se_ns = sqrt(e->sq_total);
    if (!o->file) {
      for (uint32_t k = 0; k < i; k++) free(out[k].file);
      free(out);
      return -1;
    }
  }
  qsort(out, l->n, sizeof *out, by_zone_self);
  p->lines = out;
  p->n_lines = l->n;
  return 0;
}
