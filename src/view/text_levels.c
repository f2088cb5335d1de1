/* text_levels.c: the text report's header lines for levels per component and the metric
 * switches: which component ran at which level, which families were switched off (their
 * figures are "not measured" in every table) or on.
 *
 * Invariant: prints nothing for a profile without either (older files, plain sessions). */
#include <stdio.h>
#include <string.h>

#include "util/fmt.h"
#include "view/text.h"

/* The names of the families in bits, comma-separated, into dst. */
static void family_list(char *dst, size_t cap, uint32_t bits) {
  size_t at = 0;
  dst[0] = 0;
  for (uint32_t b = 1; b & FATHOM_METRIC_ALL; b <<= 1)
    if ((bits & b) && at < cap) {
      int n = snprintf(dst + at, cap - at, "%s%s", at ? ", " : "", fathom_metric_family_name(b));
      if (n < 0) break;
      at += (size_t)n;
    }
}

void fz_text_levels(const fz_tx *tx, const fathom_profile *p) {
  char v[512], name[64];
  if (p->n_component_levels && p->component_levels) {
    size_t at = 0;
    for (uint32_t i = 0; i < p->n_component_levels && at < sizeof v; i++) {
      fz_clean(name, sizeof name, p->component_levels[i].component, 40);
      fathom_level lv = p->component_levels[i].level;
      int n = snprintf(v + at, sizeof v - at, "%s%s %s%s", i ? ", " : "", name,
                       lv == FATHOM_LEVEL_DISABLED ? "off (not recorded)" : fathom_level_name(lv),
                       lv == FATHOM_LEVEL_BASIC ? " (timed only)" : "");
      if (n < 0) break;
      at += (size_t)n;
    }
    if (at < sizeof v)
      snprintf(v + at, sizeof v - at, "; the others %s%s", fathom_level_name(p->default_level),
               p->default_level == FATHOM_LEVEL_BASIC ? " (timed only)" : "");
    fz_kv(tx, "Components:", v, 0);
  }
  if (p->metrics_off & FATHOM_METRIC_ALL) {
    char fam[256];
    family_list(fam, sizeof fam, p->metrics_off);
    snprintf(v, sizeof v, "%s (switched off: not measured)", fam);
    fz_kv(tx, "Metrics off:", v, 0);
  }
  if (p->metrics_on & FATHOM_METRIC_ALL) {
    char fam[256];
    family_list(fam, sizeof fam, p->metrics_on);
    fz_kv(tx, "Metrics on:", fam, 0);
  }
}
