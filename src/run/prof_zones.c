/* prof_zones.c: the samples placed in the zones of a program instrumented with fathom (see
 * prof.h, fz_run_prof_zones; the zones' timeline comes from zones.c). Every kept sample is
 * added again, on a path with the zones open on its thread when it was taken, each right
 * after the frame of the function that opened it.
 *
 * Invariant: the figures do not change, only where they are: every sample adds the same
 * period to a path as before, and a sample taken in the opener's own code keeps the opener as
 * its leaf (the opener again below its zone), so each function keeps its self time. */
#include <stdlib.h>
#include <string.h>

#include "run/prof_int.h"
#include "run/zones.h"

/* Whether function zone fz is the function named func (C's __func__: "load"; C++: the
 * demangled name's last component before its parameters). */
static int is_func(const char *fz, const char *func) {
  size_t n = strlen(func);
  if (!n) return 0;
  if (!strcmp(fz, func)) return 1;
  const char *paren = strchr(fz, '(');
  size_t end = paren ? (size_t)(paren - fz) : strlen(fz);
  return end >= n && !strncmp(fz + end - n, func, n) &&
         (end == n || (end > n + 1 && fz[end - n - 1] == ':'));
}

int64_t fz_run_prof_zones(fz_run_prof *rp, const struct fz_run_zones *z) {
  if (rp->oom) return -1;
  if (rp->kept_short) return -2;
  if (!z || !rp->n_kept) return 0;
  pnode *old = rp->nodes;
  free(rp->child_tab);
  rp->nodes = NULL;
  rp->child_tab = NULL;
  rp->n_nodes = rp->cap_nodes = rp->child_cap = 0;
  for (uint32_t t = 0; t < rp->n_threads; t++) rp->threads[t].wait_leaf = FATHOM_NONE;
  static uint32_t path[MAX_FRAMES * 4 + 64], out[MAX_FRAMES * 4 + 64];
  int64_t placed = 0;
  for (uint32_t k = 0; k < rp->n_kept && !rp->oom; k++) {
    const kept *e = &rp->kept[k];
    uint32_t depth = 0, thread = old[e->leaf].thread;
    for (uint32_t a = e->leaf; a != FATHOM_NONE && depth < MAX_FRAMES * 4; a = old[a].parent)
      path[depth++] = old[a].zone;
    for (uint32_t i = 0; i < depth / 2; i++) {   /* outermost first */
      uint32_t x = path[i];
      path[i] = path[depth - 1 - i];
      path[depth - 1 - i] = x;
    }
    fz_run_zone zs[64];
    int nz = fz_run_zones_at(z, rp->threads[thread].pid, rp->threads[thread].tid, e->time_ns,
                             zs, 64);
    /* each zone after the frame of the function that opened it (the first from where the
     * zone before it went); when that frame is not there (inlined, unnamed): above the leaf */
    uint32_t n = 0, d = 0, from = 0;   /* one function may open nested zones: from its frame */
    int zone_last = 0;
    for (int j = 0; j < nz; j++) {
      uint32_t at = from;
      while (at < depth && !is_func(rp->zones[path[at]].name, zs[j].func)) at++;
      if (at < depth) from = at;
      at = at < depth ? at + 1 : (depth > d ? depth - 1 : d);
      if (at < d) at = d;   /* after the zones placed there already: nested in them */
      while (d < at) out[n++] = path[d++];
      uint32_t zz = fz_rp_zone_of_k(rp, zs[j].name, zs[j].component, zs[j].file,
                              zs[j].line > 0 ? (uint32_t)zs[j].line : 0, 1);
      if (zz == FATHOM_NONE) break;
      out[n++] = zz;
      zone_last = d == depth;
    }
    while (d < depth) out[n++] = path[d++];
    /* taken in the opener's own code: the opener again below its zone, so that its own
     * code keeps its self time (and its lines theirs): main;load;loading;load */
    if (zone_last && depth) out[n++] = path[depth - 1];
    if (nz > 0) placed++;
    uint32_t node = FATHOM_NONE;
    for (uint32_t i = 0; i < n && !rp->oom; i++) node = fz_rp_child_of(rp, node, out[i], thread);
    if (node == FATHOM_NONE) break;
    double p = (double)e->period_ns;
    fz_rp_add_up(rp, node, p, e->off == 2 ? 0 : p * p, e->off != 0);
  }
  free(old);
  return rp->oom ? -1 : placed;
}
