/* model/pathres.c: the schema-2 figures (probed resources, allocations, FLOPs, governor
 * bits) of the call paths merged across threads, for the text and CSV views, and the map from
 * nodes to merged paths that they and model/estimates.c use.
 *
 * Invariant: out[i] describes exactly the nodes that fz_paths_build merged into paths[i]:
 * a node belongs to the path whose (parent path, zone) pair it has, found through a hash of
 * the paths themselves, so this file relies on no detail of how paths.c numbers them. */
#include <stdlib.h>
#include <string.h>

#include "model/estimates.h"
#include "model/model.h"

static uint64_t pr_mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x9e3779b97f4a7c15ULL;
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 32;
  return x;
}

static uint64_t pr_key(uint32_t parent, uint32_t zone) {
  return ((uint64_t)parent << 32) | zone;
}

int fz_paths_node_map(const fathom_profile *p, const fz_path *paths, uint32_t n, uint32_t *map) {
  if (p->n_nodes == 0) return 0;
  if (n == 0) return FATHOM_E_FORMAT;
  uint64_t cap = 16;
  while (cap < (uint64_t)n * 2) cap <<= 1;
  uint64_t *key = malloc(cap * sizeof *key);
  uint32_t *val = malloc(cap * sizeof *val);
  int rc = FATHOM_E_NOMEM;
  if (!key || !val) goto done;
  memset(val, 0xff, cap * sizeof *val);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t k = pr_key(paths[i].parent, paths[i].zone), s = pr_mix(k) & (cap - 1);
    while (val[s] != FATHOM_NONE) s = (s + 1) & (cap - 1);
    key[s] = k;
    val[s] = i;
  }
  rc = 0;
  for (uint32_t i = 0; i < p->n_nodes && rc == 0; i++) {
    const fathom_node *nd = &p->nodes[i];
    if (nd->parent != FATHOM_NONE && nd->parent >= i) {
      rc = FATHOM_E_FORMAT;
      break;
    }
    uint32_t pp = nd->parent == FATHOM_NONE ? FATHOM_NONE : map[nd->parent];
    uint64_t k = pr_key(pp, nd->zone), s = pr_mix(k) & (cap - 1);
    while (val[s] != FATHOM_NONE && key[s] != k) s = (s + 1) & (cap - 1);
    if (val[s] == FATHOM_NONE) {
      rc = FATHOM_E_FORMAT;
      break;
    }
    map[i] = val[s];
  }
done:
  free(key);
  free(val);
  return rc;
}

int fz_paths_res_build(const fathom_profile *p, const fz_path *paths, uint32_t n,
                       fz_path_res **out) {
  *out = NULL;
  if (n == 0) return 0;
  uint32_t *map = malloc((size_t)(p->n_nodes ? p->n_nodes : 1) * sizeof *map);
  double *gw = calloc(n, 2 * sizeof *gw);   /* growth x calls, inclusive and self */
  uint64_t *calls = calloc(n, sizeof *calls);
  fz_path_res *r = calloc(n, sizeof *r);
  int rc = FATHOM_E_NOMEM;
  if (!map || !gw || !calls || !r) goto done;
  rc = fz_paths_node_map(p, paths, n, map);
  for (uint32_t i = 0; i < p->n_nodes && rc == 0; i++) {
    const fathom_node *nd = &p->nodes[i];
    uint32_t pi = map[i];
    fz_path_res *e = &r[pi];
    fz_res_add(&e->res, &nd->res);
    fz_alloc_add(&e->alloc, &nd->alloc);
    fz_alloc_add(&e->alloc_self, &nd->alloc_self);
    e->flops += nd->flops;
    e->flops_self += nd->flops_self;
    e->gov |= nd->gov;
    if (nd->time_every > e->time_every) e->time_every = nd->time_every;
    e->timed += nd->stats.timed ? nd->stats.timed : nd->stats.count;
    gw[2 * (size_t)pi] += nd->alloc.growth_bytes_per_call * (double)nd->stats.count;
    gw[2 * (size_t)pi + 1] += nd->alloc_self.growth_bytes_per_call * (double)nd->stats.count;
    calls[pi] += nd->stats.count;
  }
  for (uint32_t i = 0; i < n && rc == 0; i++) {
    if (!calls[i]) continue;
    r[i].alloc.growth_bytes_per_call = gw[2 * (size_t)i] / (double)calls[i];
    r[i].alloc_self.growth_bytes_per_call = gw[2 * (size_t)i + 1] / (double)calls[i];
  }
done:
  free(map);
  free(gw);
  free(calls);
  if (rc) free(r);
  else *out = r;
  return rc;
}
