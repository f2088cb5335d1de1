/* write.c: the table of views (see view.h): each format's name, the file-name endings that
 * choose it, and its writer; writing a model to a stream or, atomically, to a file; output
 * file names.
 *
 * Invariant: the table is the only place that lists the formats; every entry point here
 * answers FATHOM_E_INVAL for a format it does not hold. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/afile.h"
#include "view/view.h"

typedef struct view {
  fathom_format fmt;
  const char *name;                 /* for fathom_format_parse and --format */
  const char *ends[2];              /* file-name endings that choose it, most specific first */
  int (*write)(const fathom_profile *p, FILE *f, int color);
} view;

/* In the order file-name endings are tried: "trace.json" and ".speedscope.json" before
 * ".json"; text, with no ending, is the fallback. */
static const view views[] = {
    {FATHOM_FORMAT_CHROME, "chrome", {"trace.json", NULL}, fz_write_chrome},
    {FATHOM_FORMAT_SPEEDSCOPE, "speedscope", {".speedscope.json", NULL}, fz_write_speedscope},
    {FATHOM_FORMAT_HTML, "html", {".html", ".htm"}, fz_write_html},
    {FATHOM_FORMAT_FOLDED, "folded", {".folded", NULL}, fz_write_folded},
    {FATHOM_FORMAT_JSON, "json", {".json", NULL}, fz_write_json},
    {FATHOM_FORMAT_CSV, "csv", {".csv", NULL}, fz_write_csv},
    {FATHOM_FORMAT_PPROF, "pprof", {".pb.gz", ".pprof"}, fz_write_pprof},
    {FATHOM_FORMAT_TEXT, "text", {NULL, NULL}, fz_write_text},
};
#define N_VIEWS (sizeof views / sizeof views[0])

static const view *find(fathom_format fmt) {
  for (size_t i = 0; i < N_VIEWS; i++)
    if (views[i].fmt == fmt) return &views[i];
  return NULL;
}

int fathom_format_parse(const char *s, fathom_format *out) {
  if (!s || !out) return FATHOM_E_INVAL;
  for (size_t i = 0; i < N_VIEWS; i++) {
    if (strcasecmp(s, views[i].name) == 0) {
      *out = views[i].fmt;
      return 0;
    }
  }
  return FATHOM_E_INVAL;
}

int fathom_profile_write(const fathom_profile *p, fathom_format fmt, FILE *f, int color) {
  const view *v = find(fmt);
  if (!p || !f || !v) return FATHOM_E_INVAL;
  return v->write(p, f, color);
}

int fathom_profile_save(const fathom_profile *p, fathom_format fmt, const char *path) {
  if (!p || !path || !find(fmt)) return FATHOM_E_INVAL;
  fz_afile a;
  int rc = fz_afile_open(&a, path);
  if (rc) return rc;
  rc = fathom_profile_write(p, fmt, a.f, 0);
  if (rc) {
    fz_afile_abort(&a);
    return rc;
  }
  return fz_afile_commit(&a);
}

fathom_format fz_format_for_path(const char *path) {
  size_t n = strlen(path);
  for (size_t i = 0; i < N_VIEWS; i++)
    for (int k = 0; k < 2 && views[i].ends[k]; k++) {
      size_t m = strlen(views[i].ends[k]);
      if (n >= m && strcasecmp(path + n - m, views[i].ends[k]) == 0) return views[i].fmt;
    }
  return FATHOM_FORMAT_TEXT;
}

void fz_out_name(const char *path, int forked, char *buf, size_t cap) {
  size_t k = 0;
  int had = 0;
  for (const char *p = path; *p && k + 24 < cap; p++) {
    if (p[0] == '%' && p[1] == 'p') {
      k += (size_t)snprintf(buf + k, cap - k, "%ld", (long)getpid());
      p++;
      had = 1;
    } else {
      buf[k++] = *p;
    }
  }
  buf[k] = 0;
  if (!had && forked) snprintf(buf + k, cap - k, ".%ld", (long)getpid());
}
