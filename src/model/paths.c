/* paths.c: merges every thread's call tree into one list of call paths (for the text and
 * CSV views): one entry per distinct sequence of zones from a top-level zone.
 *
 * Invariant: paths[] keeps the model's rule that a parent precedes its children, and each
 * parent's children are linked first_child -> next_sibling in descending total_ns order
 * (ties: zone name, then zone index), so every view walks the same deterministic tree. The
 * build is O(n log n): one hash lookup per node and one sort over all paths. */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* Open-addressing hash table from a 64-bit key to a path index. */
typedef struct fz_ptab {
  uint64_t *key;
  uint32_t *val;   /* FATHOM_NONE = empty slot */
  uint64_t mask;
} fz_ptab;

static uint64_t fz_mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static int fz_ptab_init(fz_ptab *t, uint64_t n) {
  uint64_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  t->key = malloc(cap * sizeof *t->key);
  t->val = malloc(cap * sizeof *t->val);
  t->mask = cap - 1;
  if (!t->key || !t->val) {
    free(t->key);
    free(t->val);
    t->key = NULL;
    t->val = NULL;
    return FATHOM_E_NOMEM;
  }
  memset(t->val, 0xff, cap * sizeof *t->val);
  return 0;
}

static void fz_ptab_free(fz_ptab *t) {
  free(t->key);
  free(t->val);
}

/* Returns the slot for key: either holding key or empty. */
static uint64_t fz_ptab_slot(const fz_ptab *t, uint64_t key) {
  uint64_t i = fz_mix64(key) & t->mask;
  while (t->val[i] != FATHOM_NONE && t->key[i] != key) i = (i + 1) & t->mask;
  return i;
}

void fz_paths_free(fz_path *paths, uint32_t n) {
  if (!paths) return;
  for (uint32_t i = 0; i < n; i++) fz_hist_free(&paths[i].hist);
  free(paths);
}

/* One path as the sort sees it: grouped by parent, then by descending total. */
typedef struct fz_psort {
  uint32_t idx;
  uint32_t parent;   /* FATHOM_NONE sorts first */
  uint64_t total;
  const char *name;
} fz_psort;

static int fz_psort_cmp(const void *a, const void *b) {
  const fz_psort *x = a, *y = b;
  uint64_t px = x->parent == FATHOM_NONE ? 0 : (uint64_t)x->parent + 1;
  uint64_t py = y->parent == FATHOM_NONE ? 0 : (uint64_t)y->parent + 1;
  if (px != py) return px < py ? -1 : 1;
  if (x->total != y->total) return x->total > y->total ? -1 : 1;
  int c = strcmp(x->name, y->name);
  if (c) return c;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Links children in descending total order and returns the first top-level path. */
static int fz_paths_link(const fathom_profile *p, fz_path *paths, uint32_t n, uint32_t *first_top) {
  *first_top = FATHOM_NONE;
  if (n == 0) return 0;
  fz_psort *s = malloc((size_t)n * sizeof *s);
  if (!s) return FATHOM_E_NOMEM;
  for (uint32_t i = 0; i < n; i++) {
    const char *nm = p->zones[paths[i].zone].name;
    s[i] = (fz_psort){i, paths[i].parent, paths[i].stats.total_ns, nm ? nm : ""};
    paths[i].first_child = paths[i].next_sibling = FATHOM_NONE;
  }
  qsort(s, n, sizeof *s, fz_psort_cmp);
  for (uint32_t k = n; k-- > 0;) {   /* backwards: prepend keeps sorted order */
    fz_path *e = &paths[s[k].idx];
    if (e->parent == FATHOM_NONE) {
      e->next_sibling = *first_top;
      *first_top = s[k].idx;
    } else {
      e->next_sibling = paths[e->parent].first_child;
      paths[e->parent].first_child = s[k].idx;
    }
  }
  free(s);
  return 0;
}

int fz_paths_build(const fathom_profile *p, fz_path **out, uint32_t *n_out, uint32_t *first_top) {
  if (!p || !out || !n_out || !first_top) return FATHOM_E_INVAL;
  *out = NULL;
  *n_out = 0;
  *first_top = FATHOM_NONE;
  uint32_t nn = p->n_nodes;
  if (nn == 0) return 0;
  for (uint32_t i = 0; i < nn; i++) {
    const fathom_node *nd = &p->nodes[i];
    if (nd->zone >= p->n_zones || (nd->parent != FATHOM_NONE && nd->parent >= i))
      return FATHOM_E_FORMAT;
  }
  fz_path *paths = calloc(nn, sizeof *paths);
  uint32_t *map = malloc((size_t)nn * sizeof *map);   /* node -> path */
  fz_ptab tab = {0}, seen = {0};
  uint32_t n = 0;
  int rc = FATHOM_E_NOMEM;
  if (!paths || !map || fz_ptab_init(&tab, nn) || fz_ptab_init(&seen, nn)) goto done;
  rc = 0;
  for (uint32_t i = 0; i < nn && rc == 0; i++) {
    const fathom_node *nd = &p->nodes[i];
    uint32_t pp = nd->parent == FATHOM_NONE ? FATHOM_NONE : map[nd->parent];
    uint64_t key = ((uint64_t)pp << 32) | nd->zone;
    uint64_t slot = fz_ptab_slot(&tab, key);
    uint32_t pi = tab.val[slot];
    if (pi == FATHOM_NONE) {
      pi = n++;
      tab.key[slot] = key;
      tab.val[slot] = pi;
      fz_path *e = &paths[pi];
      e->zone = nd->zone;
      e->parent = pp;
      e->depth = pp == FATHOM_NONE ? 1 : paths[pp].depth + 1;
      e->first_child = e->next_sibling = FATHOM_NONE;
    }
    map[i] = pi;
    fz_path *e = &paths[pi];
    fz_stats_merge(&e->stats, &nd->stats);
    rc = fz_hist_merge(&e->hist, &nd->hist);
    /* threads: count each distinct (path, thread) pair once */
    uint64_t tkey = ((uint64_t)pi << 32) | nd->thread;
    uint64_t ts = fz_ptab_slot(&seen, tkey);
    if (seen.val[ts] == FATHOM_NONE) {
      seen.key[ts] = tkey;
      seen.val[ts] = 0;
      e->n_threads++;
    }
  }
  if (rc == 0) {
    for (uint32_t i = 0; i < n; i++) fz_stats_set_percentiles(&paths[i].stats, &paths[i].hist);
    rc = fz_paths_link(p, paths, n, first_top);
  }
done:
  if (tab.key) fz_ptab_free(&tab);
  if (seen.key) fz_ptab_free(&seen);
  free(map);
  if (rc) {
    if (paths) fz_paths_free(paths, n);
    *first_top = FATHOM_NONE;
    return rc;
  }
  if (n < nn) {   /* give back the unused tail; failure to shrink is harmless */
    fz_path *small = realloc(paths, (size_t)n * sizeof *paths);
    if (small) paths = small;
  }
  *out = paths;
  *n_out = n;
  return 0;
}

void fz_path_string(const fathom_profile *p, const fz_path *paths, uint32_t i, char *buf,
                    size_t cap) {
  if (!buf || cap == 0) return;
  buf[0] = 0;
  if (!p || !paths) return;
  /* Fill from the right end, leaf first; if the root end does not fit, it becomes "...". */
  size_t pos = cap - 1;   /* buf[pos] is the terminator */
  buf[pos] = 0;
  int truncated = 0;
  for (uint32_t k = i; k != FATHOM_NONE; k = paths[k].parent) {
    const char *nm = p->zones[paths[k].zone].name;
    if (!nm) nm = "";
    /* strnlen: a name longer than what is left is cut anyway, so never read all of it */
    size_t len = strnlen(nm, pos + 1) + (paths[k].parent != FATHOM_NONE ? 1 : 0);
    if (len > pos) {
      truncated = 1;
      break;
    }
    pos -= len;
    if (paths[k].parent != FATHOM_NONE) {
      buf[pos] = '/';
      memcpy(buf + pos + 1, nm, len - 1);
    } else {
      memcpy(buf + pos, nm, len);
    }
  }
  if (truncated) {
    /* keep the tail; make room for "..." by dropping whole characters if needed */
    size_t need = 3;
    while (pos < need && buf[pos]) {
      pos++;
      while (((unsigned char)buf[pos] & 0xC0) == 0x80) pos++;   /* UTF-8 continuation */
    }
    if (pos >= need) {
      pos -= need;
      memcpy(buf + pos, "...", 3);
    } else {
      size_t k = 0;
      for (; k < cap - 1 && k < 3; k++) buf[k] = '.';
      buf[k] = 0;
      return;
    }
  }
  memmove(buf, buf + pos, cap - pos);
}
