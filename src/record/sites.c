/* sites.c: the call-site registry: static sites, interned dynamic names, function sites for
 * -finstrument-functions, interned strings, and the per-site activation filters.
 *
 * Invariant: sites and interned strings are never freed while the process runs, so a site
 * pointer or id taken once stays valid; everything here runs under fz_g.lock except the
 * lock-free read of a site's state on the hot path (published with a release store). */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"

int fz_symbolize(const void *addr, char *name, size_t cap, char *module, size_t mcap);

/* Distinct dynamic zone names (fathom_zone_begin, timers); the calls of further names are
 * recorded under one fz_overflow_zone_name site per component (at most MAX_OVERFLOW_SITES
 * components, then under component "default"), so every call is still counted. */
#define MAX_DYNAMIC_SITES 65536
#define MAX_OVERFLOW_SITES 1024
const char fz_overflow_zone_name[] = "(other dynamic zones)";
static uint32_t n_dynamic, n_overflow;
uint32_t fz_dynamic_names_cap(void) { return MAX_DYNAMIC_SITES; }

static fathom_site **sites;
static uint32_t n_sites, cap_sites;

typedef struct hent {
  uint64_t h;
  const void *a, *b;   /* keys */
  void *v;
} hent;
typedef struct htab {
  hent *e;
  size_t n, cap;
} htab;

static htab strings, named, funcs;

static uint64_t hash_str(const char *s, uint64_t h) {
  h ^= 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h | 1;
}
static uint64_t hash_ptr(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x | 1;
}

/* Open addressing with linear probing; eq decides key equality. */
static hent *ht_find(htab *t, uint64_t h, const void *a, const void *b,
                     int (*eq)(const hent *, const void *, const void *)) {
  if (!t->cap) return NULL;
  for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
    hent *e = &t->e[i];
    if (!e->h) return e;
    if (e->h == h && eq(e, a, b)) return e;
  }
}
static int ht_grow(htab *t) {
  if ((t->n + 1) * 2 <= t->cap) return 0;
  size_t cap = t->cap ? t->cap * 2 : 256;
  hent *e = calloc(cap, sizeof *e);
  if (!e) return FATHOM_E_NOMEM;
  for (size_t i = 0; i < t->cap; i++) {
    if (!t->e[i].h) continue;
    size_t j = t->e[i].h & (cap - 1);
    while (e[j].h) j = (j + 1) & (cap - 1);
    e[j] = t->e[i];
  }
  free(t->e);
  t->e = e;
  t->cap = cap;
  return 0;
}
static int eq_str(const hent *e, const void *a, const void *b) {
  (void)b;
  return strcmp(e->a, a) == 0;
}
static int eq_named(const hent *e, const void *a, const void *b) {
  return strcmp(e->a, a) == 0 && strcmp(e->b, b) == 0;
}
static int eq_ptr(const hent *e, const void *a, const void *b) {
  (void)b;
  return e->a == a;
}

const char *fz_intern_locked(const char *s) {
  uint64_t h = hash_str(s, 0);
  hent *e = ht_find(&strings, h, s, NULL, eq_str);
  if (e && e->h) return e->v;
  if (ht_grow(&strings)) return NULL;
  e = ht_find(&strings, h, s, NULL, eq_str);
  char *c = strdup(s);
  if (!c) return NULL;
  *e = (hent){h, c, NULL, c};
  strings.n++;
  return c;
}

const char *fz_intern(const char *s) {
  int saved = errno;
  fz_glock();
  const char *r = fz_intern_locked(s ? s : "(null)");
  fz_gunlock();
  errno = saved;
  return r;
}

/* Decides whether site s is recorded: its component's level (off: not recorded; a level
 * per component, record/levels.c), the component list, then the user's filter. */
static int site_allowed(const fathom_site *s) {
  if (fz_site_level(s) == FATHOM_LEVEL_DISABLED) return 0;
  if (fz_g.components) {
    int ok = 0;
    for (char **c = fz_g.components; *c; c++)
      if (strcmp(*c, s->component) == 0) ok = 1;
    if (!ok) return 0;
  }
  if (fz_g.filter && !fz_g.filter(s, fz_g.filter_user)) return 0;
  return 1;
}

/* Sites of fathom's own calibration (made on its hidden thread): never the program's. */
extern __thread int fz_calibrating __attribute__((tls_model("initial-exec")));
static uint32_t own_ids[8], n_own;

static int add_site_locked(fathom_site *s) {
  if (n_sites == cap_sites) {
    uint32_t cap = cap_sites ? cap_sites * 2 : 1024;
    fathom_site **n = realloc(sites, cap * sizeof *n);
    if (!n) return FATHOM_E_NOMEM;
    sites = n;
    cap_sites = cap;
  }
  s->id_ = n_sites;
  sites[n_sites++] = s;
  if (fz_calibrating && n_own < 8) own_ids[n_own++] = s->id_;
  return 0;
}

int fz_site_register(fathom_site *s) {
  int saved = errno;
  fz_glock();
  if (s->state_ == 0) {
    if (!s->name || !*s->name) s->name = s->name ? "(empty)" : "(null)";
    if (!s->component || !*s->component) s->component = "default";
    if (add_site_locked(s) == 0) FZ_STR(s->state_, site_allowed(s) ? 1 : 2);
  }
  int st = s->state_;
  fz_gunlock();
  errno = saved;
  return st;
}

static char **excludes; /* FATHOM_EXCLUDE patterns */

static int excluded(const char *name, const char *module) {
  if (!excludes) return 0;
  const char *base = strrchr(module, '/');
  base = base ? base + 1 : module;
  for (char **p = excludes; *p; p++)
    if (fnmatch(*p, name, 0) == 0 || (*module && fnmatch(*p, base, 0) == 0)) return 1;
  return 0;
}

/* A new heap site (caller holds the lock; strings already interned), registered and
 * entered in table t under key (a, b) with hash h. NULL when out of memory. */
static fathom_site *new_site_locked(htab *t, uint64_t h, const void *a, const void *b,
                                    const char *name, const char *comp, const char *file,
                                    int extra_muted) {
  fathom_site *s = name && comp && file ? calloc(1, sizeof *s) : NULL;
  if (!s) return NULL;
  s->name = name;
  s->component = comp;
  s->file = file;
  s->func = t == &funcs ? name : "";
  if (add_site_locked(s) != 0) {
    free(s);
    return NULL;
  }
  hent *e = ht_find(t, h, a, b, t == &named ? eq_named : eq_ptr);
  *e = (hent){h, a, b, s};
  t->n++;
  FZ_STR(s->state_, !extra_muted && site_allowed(s) ? 1 : 2);
  return s;
}

/* The dynamic site (name, comp), made now (caller holds the lock; h is its hash). */
static fathom_site *named_site_locked(uint64_t h, const char *name, const char *comp) {
  if (ht_grow(&named) != 0) return NULL;
  const char *in = fz_intern_locked(name), *ic = fz_intern_locked(comp);
  return new_site_locked(&named, h, in, ic, in, ic, "", 0);
}

/* The site standing for comp's dynamic names beyond the cap (caller holds the lock). */
static fathom_site *overflow_site_locked(const char *comp) {
  if (n_overflow >= MAX_OVERFLOW_SITES) comp = "default";
  uint64_t h = hash_str(comp, hash_str(fz_overflow_zone_name, 0));
  hent *e = ht_find(&named, h, fz_overflow_zone_name, comp, eq_named);
  if (e && e->h) return e->v;
  fathom_site *s = named_site_locked(h, fz_overflow_zone_name, comp);
  if (s) n_overflow++;
  return s;
}

fathom_site *fz_site_intern(const char *name, const char *comp) {
  int saved = errno;
  if (!comp || !*comp) comp = "default";
  fathom_site *s = NULL;
  fz_glock();
  uint64_t h = hash_str(comp, hash_str(name, 0));
  hent *e = ht_find(&named, h, name, comp, eq_named);
  if (e && e->h) {
    s = e->v;
  } else if (n_dynamic < MAX_DYNAMIC_SITES) {
    s = named_site_locked(h, name, comp);
    n_dynamic += s != NULL;
  } else {
    s = overflow_site_locked(comp);
  }
  fz_gunlock();
  if (!s) { /* out of memory: the call is not recorded, but counted */
    fz_thread *t = FZ_LD(fz_rec_gen) ? fz_thread_get_fast() : NULL;
    if (t) FZ_ST(t->dropped_zones, t->dropped_zones + 1);
  }
  errno = saved;
  return s;
}

fathom_site *fz_site_for_function(const void *fn) {
  int saved = errno;
  uint64_t h = hash_ptr(fn);
  fz_glock();
  hent *e = ht_find(&funcs, h, fn, NULL, eq_ptr);
  fathom_site *s = e && e->h ? e->v : NULL;
  fz_gunlock();
  if (s) {
    errno = saved;
    return s;
  }
  /* resolve outside the lock: dladdr and ELF reads are slow */
  char name[512], module[512];
  fz_alloc_pause();
  fz_symbolize(fn, name, sizeof name, module, sizeof module);
  fz_alloc_resume();
  fz_glock();
  e = ht_find(&funcs, h, fn, NULL, eq_ptr);
  if (e && e->h) {
    s = e->v;
  } else if (ht_grow(&funcs) == 0) {
    const char *in = fz_intern_locked(name), *im = fz_intern_locked(module);
    s = new_site_locked(&funcs, h, fn, NULL, in, "functions", im, in && im && excluded(in, im));
  }
  fz_gunlock();
  errno = saved;
  return s;
}

/* Splits a comma list into a NULL-terminated array (one allocation). */
char **fz_split_list(const char *s) {
  if (!s || !*s) return NULL;
  size_t n = 2, len = strlen(s);
  for (const char *p = s; *p; p++) n += *p == ',';
  char **v = malloc(n * sizeof *v + len + 1);
  if (!v) return NULL;
  char *buf = (char *)(v + n);
  memcpy(buf, s, len + 1);
  size_t k = 0;
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
    if (*tok) v[k++] = tok;
  v[k] = NULL;
  return v;
}

/* Caller holds the lock: re-applies filters to every known site (new session / reset). */
void fz_sites_refilter(void) {
  for (uint32_t i = 0; i < n_sites; i++) {
    fathom_site *s = sites[i];
    int ok = site_allowed(s);
    if (s->component && strcmp(s->component, "functions") == 0 && s->file)
      ok = ok && !excluded(s->name, s->file);
    FZ_STR(s->state_, ok ? 1 : 2);
  }
}

void fz_sites_set_excludes(const char *list) {
  free(excludes);
  excludes = fz_split_list(list);
}

void fz_sites_muted(const char *exe, uint32_t *excl, uint32_t *filt, char *pat, size_t cap) {
  *excl = *filt = 0;
  if (cap) pat[0] = 0;
  const char *base = strrchr(exe, '/');
  base = base ? base + 1 : exe;
  fz_glock();
  for (uint32_t i = 0, k = 0; i < n_sites; i++) {
    const fathom_site *s = sites[i];
    while (k < n_own && own_ids[k] < i) k++;
    if (s->state_ != 2 || (k < n_own && own_ids[k] == i)) continue;
    int fn = s->component && strcmp(s->component, "functions") == 0 && s->file;
    if (fn && excluded(s->name, s->file))
      (*excl)++;
    else
      (*filt)++;
  }
  for (char **p = excludes; p && *p; p++)
    if (fnmatch(*p, base, 0) == 0) {
      snprintf(pat, cap, "%s", *p);
      break;
    }
  fz_gunlock();
}

/* Caller holds the lock. */
fathom_site *fz_site_by_id(uint32_t id) { return id < n_sites ? sites[id] : NULL; }
uint32_t fz_site_count(void) { return n_sites; }

FATHOM_EXTERN void fathom_set_site_filter(fathom_site_filter fn, void *user) {
  fz_glock();
  fz_g.filter = fn;
  fz_g.filter_user = user;
  fz_gunlock();
}

/* Sets aside the dynamic sites of component comp (named profilers' reset): each gets the
 * component `retired` and leaves the (name, comp) table, so the next call of that name makes
 * a fresh site. Static sites are the program's and keep theirs. The component pointer is
 * published with a release store: the name cache of manual.c reads it with an acquire load,
 * everything else under fz_g.lock. Returns how many sites were set aside, or
 * FATHOM_E_NOMEM. */
int fz_sites_retire_component(const char *comp, const char *retired) {
  int saved = errno;
  int n = 0;
  fz_glock();
  const char *rc = fz_intern_locked(retired);
  if (!rc) {
    n = FATHOM_E_NOMEM;
  } else {
    for (size_t i = 0; i < named.cap; i++) {
      hent *e = &named.e[i];
      if (!e->h || strcmp(e->b, comp) != 0) continue;
      fathom_site *s = e->v;
      e->b = rc; /* its hash no longer matches a lookup of (name, comp) nor of (name, rc) */
      __atomic_store_n(&s->component, rc, __ATOMIC_RELEASE);
      n++;
    }
  }
  fz_gunlock();
  errno = saved;
  return n;
}
