/* view/html_ext.c: the extensions (fathom_ext.h) in the HTML report's data:
 *   ,"exts":[[name, every_call (0/1), [metric names], [units], report text or null,
 *             [[zone name, calls read, calls, total, total_se, self, self_se] per metric...]
 *              per zone read, by the first metric's total, at most ROWS zones]], ...]
 * rendered by report.js's Extensions section (docs/html.md).
 *
 * Invariant: text only through fz_hj_str; written even when empty ("exts":[]). */
#include <stdlib.h>

#include "view/html.h"

#define ROWS 200

static const fathom_profile *cmp_p;
static uint32_t cmp_k;
static int by_total(const void *a, const void *b) {
  double x = cmp_p->zones[*(const uint32_t *)a].ext[cmp_k].total;
  double y = cmp_p->zones[*(const uint32_t *)b].ext[cmp_k].total;
  return x < y ? 1 : x > y ? -1 : 0;
}

static void put_one(FILE *f, const fathom_profile *p, const fathom_ext_info *x, uint32_t *ord) {
  fputc('[', f);
  fz_hj_str(f, x->name);
  fprintf(f, ",%d,[", (x->flags & FATHOM_EXT_EVERY_CALL) ? 1 : 0);
  for (uint32_t k = 0; k < x->n_metrics; k++) {
    if (k) fputc(',', f);
    fz_hj_str(f, x->metrics[k].name);
  }
  fputs("],[", f);
  for (uint32_t k = 0; k < x->n_metrics; k++) {
    if (k) fputc(',', f);
    fz_hj_str(f, x->metrics[k].unit);
  }
  fputs("],", f);
  if (x->report) fz_hj_str(f, x->report);
  else fputs("null", f);
  fputs(",[", f);
  uint32_t n = 0;
  for (uint32_t z = 0; ord && z < p->n_zones; z++)
    if (p->zones[z].ext && p->zones[z].ext[x->first].samples) ord[n++] = z;
  cmp_p = p;
  cmp_k = x->first;
  if (ord) qsort(ord, n, sizeof *ord, by_total);
  for (uint32_t r = 0; r < n && r < ROWS; r++) {
    const fathom_zone_info *zi = &p->zones[ord[r]];
    fputs(r ? ",\n[" : "[", f);
    fz_hj_str(f, zi->name);
    for (uint32_t k = 0; k < x->n_metrics; k++) {
      const fathom_ext_value *v = &zi->ext[x->first + k];
      const double w[] = {(double)v->samples, (double)zi->stats.count, v->total, v->total_se,
                          v->self, v->self_se};
      fputs(",[", f);
      for (size_t j = 0; j < sizeof w / sizeof w[0]; j++) {
        if (j) fputc(',', f);
        fz_hj_num(f, w[j]);
      }
      fputc(']', f);
    }
    fputc(']', f);
  }
  fputs("]]", f);
}

void fz_html_ext_data(FILE *f, const fathom_profile *p) {
  fputs(",\"exts\":[", f);
  uint32_t *ord = malloc((size_t)(p->n_zones ? p->n_zones : 1) * sizeof *ord);
  for (uint32_t i = 0; p->exts && i < p->n_exts; i++) {
    if (i) fputs(",\n", f);
    put_one(f, p, &p->exts[i], ord);
  }
  free(ord);
  fputc(']', f);
}
