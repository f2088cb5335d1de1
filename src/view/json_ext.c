/* view/json_ext.c: the profile's "extensions" member (fathom_ext.h): each extension's
 * description, its metrics' figures on the call paths that have any, its sample rows and its
 * report section. Read back by src/load/json_ext.c; docs/json-schema.md describes it.
 *
 * Invariant: written only when the profile has extensions (older readers never see it);
 * numbers as fz_json_write_double writes them, so a round trip is bit for bit. */
#include <stdio.h>

#include "util/jsonw.h"
#include "view/view.h"

static void put_series(FILE *f, const fathom_series *se) {
  fputs(",\"series\":{\"interval_s\":", f);
  fz_json_write_double(f, se->interval_s);
  fputs(",\"columns\":[", f);
  for (uint32_t c = 0; c < se->n_cols; c++) {
    if (c) fputc(',', f);
    fz_json_write_str(f, se->cols ? se->cols[c] : "", 0);
  }
  fputs("],\"rows\":[", f);
  for (uint64_t i = 0; i < se->n && se->ts_ns && se->v; i++) {
    fputs(i ? ",[" : "[", f);
    fz_json_write_u64(f, se->ts_ns[i]);
    for (uint32_t c = 0; c < se->n_cols; c++) {
      fputc(',', f);
      fz_json_write_double(f, se->v[i * se->n_cols + c]);
    }
    fputc(']', f);
  }
  fputs("]}", f);
}

static void put_ext(FILE *f, const fathom_profile *p, const fathom_ext_info *x) {
  fputs("{\"name\":", f);
  fz_json_write_str(f, x->name, 0);
  fputs(",\"flags\":[", f);
  int n = 0;
  if (x->flags & FATHOM_EXT_EVERY_CALL) fputs(n++ ? ",\"every_call\"" : "\"every_call\"", f);
  if (x->flags & FATHOM_EXT_SIGNED) fputs(n++ ? ",\"signed\"" : "\"signed\"", f);
  fputs("],\"metrics\":[", f);
  for (uint32_t k = 0; k < x->n_metrics; k++) {
    fputs(k ? ",{\"name\":" : "{\"name\":", f);
    fz_json_write_str(f, x->metrics[k].name, 0);
    fputs(",\"unit\":", f);
    fz_json_write_str(f, x->metrics[k].unit, 0);
    fz_json_num_member(f, "threshold", x->metrics[k].threshold);
    fputc('}', f);
  }
  fputs("],\"report\":", f);
  fz_json_write_str(f, x->report, FZ_JSTR_NULL);
  put_series(f, &x->series);
  /* [node, metric, samples, total, total_se, self, self_se] for paths with calls read */
  fputs(",\"nodes\":[", f);
  int first = 1;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_ext_value *v = p->nodes[i].ext;
    if (!v) continue;
    for (uint32_t k = 0; k < x->n_metrics; k++) {
      const fathom_ext_value *e = &v[x->first + k];
      if (!e->samples && e->total == 0 && e->self == 0) continue;
      fputs(first ? "\n[" : ",\n[", f);
      first = 0;
      fprintf(f, "%u,%u,", i, k);
      fz_json_write_u64(f, e->samples);
      fputc(',', f);
      fz_json_write_double(f, e->total);
      fputc(',', f);
      fz_json_write_double(f, e->total_se);
      fputc(',', f);
      fz_json_write_double(f, e->self);
      fputc(',', f);
      fz_json_write_double(f, e->self_se);
      fputc(']', f);
    }
  }
  fputs("]}", f);
}

void fz_json_put_ext(FILE *f, const fathom_profile *p) {
  if (!p->n_exts || !p->exts) return;
  fputs(",\n\"extensions\":[", f);
  for (uint32_t i = 0; i < p->n_exts; i++) {
    fputs(i ? ",\n" : "\n", f);
    put_ext(f, p, &p->exts[i]);
  }
  fputc(']', f);
}
