/* zones.c: the zones open at a moment on a thread of an instrumented program (see zones.h).
 *
 * Each file is a profile with a timeline (completed zones: thread, zone, depth, start and
 * duration since the session's start); its name gives the process and the session's start
 * on CLOCK_MONOTONIC, so an event's start is START + ts_ns on the samples' clock. Per thread
 * the events are sorted by start, each with its enclosing event: the zones open at t are the
 * last event that started at or before t and those of its enclosing events still open at t
 * (zones nest, so any zone open at t encloses that last event).
 *
 * Invariant: names point into the loaded profiles, which live as long as the fz_run_zones. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom_load.h"
#include "run/zones.h"

typedef struct zev {
  uint64_t t0, t1;      /* CLOCK_MONOTONIC */
  uint32_t zone, up;    /* zone in its profile; enclosing event (index), UINT32_MAX: none */
  uint32_t depth;
} zev;

typedef struct zthr {
  uint32_t pid, tid;
  const fathom_profile *p;
  zev *ev;
  uint32_t n;
} zthr;

struct fz_run_zones {
  fathom_profile **profs;
  uint32_t nprofs;
  zthr *th;
  uint32_t nth;
  uint64_t events;
};

void fz_run_zones_free(fz_run_zones *z) {
  if (!z) return;
  for (uint32_t i = 0; i < z->nprofs; i++) fathom_profile_free(z->profs[i]);
  for (uint32_t i = 0; i < z->nth; i++) free(z->th[i].ev);
  free(z->profs);
  free(z->th);
  free(z);
}

static int by_start(const void *a, const void *b) {
  const zev *x = a, *y = b;
  if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
  return (x->depth > y->depth) - (x->depth < y->depth);   /* the outer one first */
}

/* Adds the threads of profile p (process pid, session start t0 on CLOCK_MONOTONIC). */
static int add_profile(fz_run_zones *z, const fathom_profile *p, uint32_t pid, uint64_t t0) {
  for (uint32_t t = 0; t < p->n_threads; t++) {
    uint32_t n = 0;
    for (uint64_t i = 0; i < p->n_events; i++) n += p->events[i].thread == t;
    if (!n) continue;
    zthr *nt = realloc(z->th, (size_t)(z->nth + 1) * sizeof *nt);
    if (!nt) return -1;
    z->th = nt;
    zthr *th = &z->th[z->nth];
    th->ev = malloc((size_t)n * sizeof *th->ev);
    if (!th->ev) return -1;
    z->nth++;
    th->pid = pid;
    th->tid = (uint32_t)p->threads[t].tid;
    th->p = p;
    th->n = 0;
    for (uint64_t i = 0; i < p->n_events; i++) {
      const fathom_event *e = &p->events[i];
      if (e->thread != t || e->zone >= p->n_zones) continue;
      th->ev[th->n++] = (zev){t0 + e->ts_ns, t0 + e->ts_ns + e->dur_ns, e->zone, UINT32_MAX,
                              e->depth};
    }
    qsort(th->ev, th->n, sizeof *th->ev, by_start);
    /* enclosing events: a stack of the events still open at each start */
    uint32_t *stk = malloc((size_t)th->n * sizeof *stk), sp = 0;
    if (!stk) return -1;
    for (uint32_t i = 0; i < th->n; i++) {
      while (sp && (th->ev[stk[sp - 1]].t1 <= th->ev[i].t0 ||
                    th->ev[stk[sp - 1]].depth >= th->ev[i].depth))
        sp--;
      th->ev[i].up = sp ? stk[sp - 1] : UINT32_MAX;
      stk[sp++] = i;
    }
    free(stk);
    z->events += th->n;
  }
  return 0;
}

fz_run_zones *fz_run_zones_load(const char *dir, int *bad) {
  *bad = 0;
  DIR *d = opendir(dir);
  if (!d) return NULL;
  fz_run_zones *z = calloc(1, sizeof *z);
  struct dirent *de;
  while (z && (de = readdir(d))) {
    unsigned long pid;
    unsigned long long t0;
    char tail[8];
    if (sscanf(de->d_name, "zones.%lu.%llu.%7s", &pid, &t0, tail) != 3 || strcmp(tail, "json"))
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    fathom_profile *p = NULL;
    char err[256];
    if (fathom_profile_load(path, &p, err, sizeof err) != 0 || !p) {
      (*bad)++;
      continue;
    }
    fathom_profile **np = realloc(z->profs, (size_t)(z->nprofs + 1) * sizeof *np);
    if (!np) {
      fathom_profile_free(p);
      fz_run_zones_free(z);
      z = NULL;
      break;
    }
    z->profs = np;
    z->profs[z->nprofs++] = p;
    if (add_profile(z, p, (uint32_t)pid, t0)) {
      fz_run_zones_free(z);
      z = NULL;
    }
  }
  closedir(d);
  if (z && !z->nth) {
    fz_run_zones_free(z);
    z = NULL;
  }
  return z;
}

uint64_t fz_run_zones_events(const fz_run_zones *z) { return z ? z->events : 0; }

int fz_run_zones_at(const fz_run_zones *z, uint32_t pid, uint32_t tid, uint64_t t,
                    fz_run_zone *out, int max) {
  if (!z || max <= 0) return 0;
  const zthr *th = NULL;
  for (uint32_t i = 0; i < z->nth && !th; i++)
    if (z->th[i].tid == tid && z->th[i].pid == pid) th = &z->th[i];
  if (!th || !th->n || th->ev[0].t0 > t) return 0;
  uint32_t lo = 0, hi = th->n;   /* the last event with t0 <= t */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (th->ev[mid].t0 <= t) lo = mid;
    else hi = mid;
  }
  uint32_t chain[256];
  int n = 0;
  for (uint32_t i = lo; i != UINT32_MAX && n < (int)(sizeof chain / sizeof chain[0]);
       i = th->ev[i].up)
    if (th->ev[i].t1 > t) chain[n++] = i;
  int k = 0;
  for (int i = n - 1; i >= 0 && k < max; i--) {   /* outermost first */
    const fathom_zone_info *zi = &th->p->zones[th->ev[chain[i]].zone];
    out[k++] = (fz_run_zone){zi->name, zi->component, zi->file, zi->func ? zi->func : "",
                             zi->line};
  }
  return k;
}
