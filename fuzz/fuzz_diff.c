/* fuzz_diff.c: libFuzzer harness of `fathom diff`: the comparison of two loaded profiles
 * (src/tool/diff.c, diff_stat.c, diff_sum.c) and its text, JSON and HTML outputs.
 *
 * Input: one byte of options, then the base profile, the line "@@", and the new profile:
 *   OPT BASE.json "\n@@\n" NEW.json
 * Without the separator the rest is both profiles: a file compared with itself, which
 * docs/diff.md promises is `unchanged` everywhere (checked here, with the regression gate
 * at 0 %). OPT's bits choose the options: 0-2 --sort (mod 6), 3-4 --fail-metric, 5 --paths,
 * 6 --top 3 (else all), 7 --min-share 0 (else the default 0.1 %).
 * Invariant: two inputs the loader accepts must always compare and render without a crash,
 * a leak, a failed write or invalid JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "fuzz_common.h"

#define SEP "\n@@\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fails unless a profile compared with itself is unchanged and nothing is gated. */
static void check_self(const diff_result *r) {
  if (r->n_gated || r->n_worse || r->n_better || strcmp(r->status, "unchanged") != 0)
    fuzz_fail("a profile compared with itself is '%s' (%u worse, %u better, %u gated)",
              r->status, r->n_worse, r->n_better, r->n_gated);
  for (uint32_t i = 0; i < r->n_zones; i++) {
    const diff_row *row = &r->zones[i];
    for (int k = 0; k < DM_N; k++)
      if (row->m[k].judge != DJ_SAME && row->m[k].judge != DJ_NA)
        fuzz_fail("self diff: zone row %u (%s) figure %s judged %s", i,
                  diff_row_name(r, row), dm_name(k), dj_name(row->m[k].judge));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned opt = data[0];
  const char *rest = (const char *)data + 1;
  size_t n = size - 1;
  const char *sep = memmem(rest, n, SEP, strlen(SEP));
  size_t na = sep ? (size_t)(sep - rest) : n;
  const char *b_at = sep ? sep + strlen(SEP) : rest;
  size_t nb = sep ? n - na - strlen(SEP) : n;

  fathom_profile *a = fuzz_load(rest, na);
  if (!a) return 0;
  fathom_profile *b = fuzz_load(b_at, nb);
  if (!b) {
    fathom_profile_free(a);
    return 0;
  }
  static const dm_id metrics[] = {DM_MEAN, DM_TOTAL, DM_P50, DM_P99};
  diff_opts o;
  diff_opts_init(&o);
  o.sort = (dsort)((opt & 7) % 6);
  o.fail_metric = metrics[(opt >> 3) & 3];
  o.paths = (opt >> 5) & 1;
  o.top = (opt & 0x40) ? 3 : 0;
  if (opt & 0x80) o.min_share_pct = 0;
  o.fail_pct = sep ? 5 : 0;

  diff_result r;
  int rc = diff_build(&r, a, "base.json", b, "new.json", &o);
  if (rc == 0) {
    if (!sep) check_self(&r);
    FILE *f = fuzz_sink();
    for (int color = 0; color <= 1; color++) {
      r.opt.color = color;
      if (diff_write_text(&r, f)) fuzz_fail("diff_write_text failed");
    }
    char *js = NULL;
    size_t jn = 0;
    FILE *jf = open_memstream(&js, &jn);
    if (!jf || diff_write_json(&r, jf) || fclose(jf)) fuzz_fail("diff_write_json failed");
    fuzz_check_json("diff_write_json", js, jn);
    free(js);
    if (diff_write_html(&r, f)) fuzz_fail("diff_write_html failed");
    fflush(f);
    diff_free(&r);
  } else if (rc != FATHOM_E_NOMEM) {
    fuzz_fail("diff_build: %d", rc);
  }
  fathom_profile_free(a);
  fathom_profile_free(b);
  return 0;
}
