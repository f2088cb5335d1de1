/* view/csv_ext.c: the CSV view's extension columns (fathom_ext.h), after the fixed ones:
 * for each extension metric, in order, "ext:<extension>.<metric>:total", ":total_se",
 * ":self" and ":self_se" (its figures on the merged path: the sum over the path's nodes on
 * every thread, errors combined as independent ones). None when the profile has no
 * extensions, so profiles without them keep the fixed columns only.
 *
 * Invariant: the header and every row get the same number of extension fields (4 per
 * metric); names are letters, digits, '_', '-', '.' (the registry refuses others), so a
 * header cell never needs quoting. */
#include <math.h>
#include <stdlib.h>

#include "model/estimates.h"
#include "view/view.h"

int fz_csv_ext_build(const fathom_profile *p, const fz_path *paths, uint32_t n, double **out) {
  uint32_t K = p->n_ext_metrics;
  *out = NULL;
  if (!K || !p->exts || !n) return 0;
  double *v = calloc((size_t)n * K * 4, sizeof *v);
  uint32_t *map = malloc((size_t)(p->n_nodes ? p->n_nodes : 1) * sizeof *map);
  int rc = v && map ? fz_paths_node_map(p, paths, n, map) : FATHOM_E_NOMEM;
  for (uint32_t i = 0; i < p->n_nodes && rc == 0; i++) {
    const fathom_ext_value *e = p->nodes[i].ext;
    if (!e || map[i] >= n) continue;
    double *d = &v[(size_t)map[i] * K * 4];
    for (uint32_t k = 0; k < K; k++) {
      d[4 * k] += e[k].total;
      d[4 * k + 1] += e[k].total_se * e[k].total_se;
      d[4 * k + 2] += e[k].self;
      d[4 * k + 3] += e[k].self_se * e[k].self_se;
    }
  }
  free(map);
  if (rc) {
    free(v);
    return rc;
  }
  for (size_t j = 0; j < (size_t)n * K; j++) {
    v[4 * j + 1] = sqrt(v[4 * j + 1]);
    v[4 * j + 3] = sqrt(v[4 * j + 3]);
  }
  *out = v;
  return 0;
}

void fz_csv_ext_header(FILE *f, const fathom_profile *p) {
  static const char *const part[] = {"total", "total_se", "self", "self_se"};
  for (uint32_t e = 0; p->exts && e < p->n_exts; e++)
    for (uint32_t k = 0; k < p->exts[e].n_metrics; k++)
      for (int j = 0; j < 4; j++)
        fprintf(f, ",ext:%s.%s:%s", p->exts[e].name, p->exts[e].metrics[k].name, part[j]);
}

void fz_csv_ext_cells(FILE *f, const fathom_profile *p, const double *v) {
  for (uint32_t k = 0; v && k < 4 * p->n_ext_metrics; k++) {
    if (isfinite(v[k])) fprintf(f, ",%.17g", v[k]);
    else fputc(',', f);
  }
}
