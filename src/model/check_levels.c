/* check_levels.c: the rules for levels per component and the metric switches, part of
 * fathom_profile_check (check_run.c calls fz_check_levels):
 *   switches: only known families, none both switched off and on;
 *   component levels: a non-empty name listed once, a level, none above the session's
 *          (meta.level is the highest any component ran at), nor the default level;
 *   what was not measured is absent: no zone or path has a figure of a family switched off
 *          (its mask bit clear: "not measured", never 0), and the paths of a component listed
 *          at basic or off have no probe figures at all.
 *
 * Invariant: reads only what the counts announce and the arrays that are there. */
#include <stdio.h>
#include <string.h>

#include "model/check.h"

/* The resource figures (bits of fathom_res.mask) each probed family gives. */
static uint32_t family_mask(uint32_t fam) {
#define B(x) (1u << FATHOM_RES_##x)
  uint32_t m = 0;
  if (fam & FATHOM_METRIC_MEMORY) m |= B(RSS_DELTA_BYTES);
  if (fam & FATHOM_METRIC_CPU)
    m |= B(CPU_USER_NS) | B(CPU_SYS_NS) | B(CPU_NS) | B(CTX_VOL) | B(CTX_INVOL) | B(MINFLT) |
         B(MAJFLT);
  if (fam & FATHOM_METRIC_IO)
    m |= B(READ_BYTES) | B(WRITE_BYTES) | B(DISK_READ_BYTES) | B(DISK_WRITE_BYTES) |
         B(READ_OPS) | B(WRITE_OPS);
  if (fam & FATHOM_METRIC_NETWORK) m |= B(SOCK_SENT_BYTES) | B(SOCK_RECV_BYTES);
  if (fam & FATHOM_METRIC_HWCOUNTERS)
    m |= B(INSTRUCTIONS) | B(CYCLES) | B(CACHE_REFS) | B(CACHE_MISSES) | B(BRANCH_MISSES) |
         B(FP_OPS);
#undef B
  return m;
}

/* The level component comp was listed at, or -1. */
static int listed_level(const fathom_profile *p, const char *comp) {
  for (uint32_t i = 0; comp && p->component_levels && i < p->n_component_levels; i++)
    if (p->component_levels[i].component && strcmp(p->component_levels[i].component, comp) == 0)
      return (int)p->component_levels[i].level;
  return -1;
}

void fz_check_levels(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                     void *ctx) {
  char b[320];
  if ((p->metrics_off | p->metrics_on) & ~FATHOM_METRIC_ALL) {
    snprintf(b, sizeof b, "metric switches: unknown family bits 0x%x",
             (p->metrics_off | p->metrics_on) & ~FATHOM_METRIC_ALL);
    report(ctx, b);
  }
  if (p->metrics_off & p->metrics_on) {
    snprintf(b, sizeof b, "metric switches: families 0x%x both switched off and on",
             p->metrics_off & p->metrics_on);
    report(ctx, b);
  }
  if (p->n_component_levels && !p->component_levels) {
    snprintf(b, sizeof b, "%u component levels but a NULL component_levels array",
             p->n_component_levels);
    report(ctx, b);
  }
  for (uint32_t i = 0; p->component_levels && i < p->n_component_levels; i++) {
    const fathom_component_level *e = &p->component_levels[i];
    if (!e->component || !*e->component) {
      snprintf(b, sizeof b, "component level %u: no component name", i);
      report(ctx, b);
      continue;
    }
    if ((unsigned)e->level > (unsigned)p->meta.level) {
      snprintf(b, sizeof b, "component '%.100s': level %d above the session's %d", e->component,
               (int)e->level, (int)p->meta.level);
      report(ctx, b);
    }
    for (uint32_t j = 0; j < i; j++)
      if (p->component_levels[j].component &&
          strcmp(p->component_levels[j].component, e->component) == 0) {
        snprintf(b, sizeof b, "component '%.100s' listed twice", e->component);
        report(ctx, b);
      }
  }
  if (p->n_component_levels && (unsigned)p->default_level > (unsigned)p->meta.level) {
    snprintf(b, sizeof b, "default level %d above the session's %d", (int)p->default_level,
             (int)p->meta.level);
    report(ctx, b);
  }
  uint32_t off = family_mask(p->metrics_off & FATHOM_METRIC_ALL);
  for (uint32_t i = 0; p->zones && i < p->n_zones; i++) {
    const fathom_zone_info *z = &p->zones[i];
    int lv = listed_level(p, z->component);
    if (z->res.mask & off) {
      snprintf(b, sizeof b, "zone '%.100s': figures of a family switched off (mask 0x%x)",
               z->name ? z->name : "?", z->res.mask & off);
      report(ctx, b);
    }
    if (lv >= 0 && lv < FATHOM_LEVEL_DETAILED && (z->res.mask || z->res.samples)) {
      snprintf(b, sizeof b, "zone '%.100s': component '%.100s' ran at %s but has probe figures",
               z->name ? z->name : "?", z->component, fathom_level_name((fathom_level)lv));
      report(ctx, b);
    }
  }
  for (uint32_t i = 0; p->nodes && i < p->n_nodes; i++) {
    const fathom_node *n = &p->nodes[i];
    const fathom_zone_info *z = p->zones && n->zone < p->n_zones ? &p->zones[n->zone] : NULL;
    int lv = z ? listed_level(p, z->component) : -1;
    if ((n->res.mask & off) || (lv >= 0 && lv < FATHOM_LEVEL_DETAILED && n->res.mask)) {
      snprintf(b, sizeof b, "node %u ('%.100s'): probe figures its level or the metric "
               "switches leave out (mask 0x%x)", i, z && z->name ? z->name : "?", n->res.mask);
      report(ctx, b);
    }
  }
}
