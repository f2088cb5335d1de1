/* fuzz_common.c: see fuzz_common.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fathom_load.h"
#include "fuzz_common.h"

void fuzz_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("fuzz: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fflush(stderr);
  abort();
}

FILE *fuzz_sink(void) {
  static FILE *sink;
  if (!sink && !(sink = fopen("/dev/null", "w"))) fuzz_fail("cannot open /dev/null");
  return sink;
}

fathom_profile *fuzz_load(const void *d, size_t n) {
  fathom_profile *p = NULL;
  char err[512];
  int rc = fathom_profile_load_buffer((const char *)d, n, &p, err, sizeof err);
  if (rc == 0 && !p) fuzz_fail("the loader returned 0 and no profile");
  if (rc != 0 && p) fuzz_fail("the loader returned %d (%s) and a profile", rc, err);
  if (rc != 0 && !err[0]) fuzz_fail("the loader returned %d with no message", rc);
  return p;
}

static const fathom_format all_formats[] = {
    FATHOM_FORMAT_TEXT,   FATHOM_FORMAT_JSON,   FATHOM_FORMAT_CSV,       FATHOM_FORMAT_CHROME,
    FATHOM_FORMAT_HTML,   FATHOM_FORMAT_FOLDED, FATHOM_FORMAT_SPEEDSCOPE, FATHOM_FORMAT_PPROF};

void fuzz_check_json(const char *what, const char *buf, size_t n) {
  json_error_t e;
  json_t *j = json_loadb(buf, n, 0, &e);
  if (!j) {
    size_t at = e.position > 200 ? (size_t)e.position - 200 : 0;
    if (at > n) at = 0;
    fuzz_fail("%s wrote invalid JSON: %s at line %d column %d, near: %.*s", what, e.text,
              e.line, e.column, (int)(at + 300 < n ? 300 : n - at), buf + at);
  }
  json_decref(j);
}

/* The name of a view that must be valid JSON, NULL for the others. */
static const char *json_view(fathom_format fmt) {
  return fmt == FATHOM_FORMAT_JSON         ? "the JSON view"
         : fmt == FATHOM_FORMAT_CHROME     ? "the Chrome trace"
         : fmt == FATHOM_FORMAT_SPEEDSCOPE ? "the speedscope view"
                                           : NULL;
}

char *fuzz_render(const fathom_profile *p, fathom_format fmt, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  if (!f) fuzz_fail("open_memstream failed");
  int rc = fathom_profile_write(p, fmt, f, 0);
  if (fclose(f) != 0) fuzz_fail("closing the memory stream failed");
  if (rc != 0) fuzz_fail("view %d failed: %d (%s)", (int)fmt, rc, fathom_strerror(rc));
  return buf;
}

void fuzz_views(const fathom_profile *p) {
  FILE *f = fuzz_sink();
  size_t n = sizeof all_formats / sizeof all_formats[0];
  for (size_t i = 0; i < n; i++) {
    const char *what = json_view(all_formats[i]);
    if (what) {
      size_t len;
      char *buf = fuzz_render(p, all_formats[i], &len);
      fuzz_check_json(what, buf, len);
      free(buf);
      continue;
    }
    int rc = fathom_profile_write(p, all_formats[i], f, 0);
    if (rc != 0 && rc != FATHOM_E_NOMEM)
      fuzz_fail("view %d refused a loaded profile: %d (%s)", (int)all_formats[i], rc,
                fathom_strerror(rc));
  }
  if (fathom_profile_write(p, FATHOM_FORMAT_TEXT, f, 1) != 0) fuzz_fail("coloured text failed");
  fflush(f);
  clearerr(f);
}

void fuzz_round_trip(const fathom_profile *p) {
  size_t n1, n2;
  char *j1 = fuzz_render(p, FATHOM_FORMAT_JSON, &n1);
  fathom_profile *q = NULL;
  char err[512];
  int rc = fathom_profile_load_buffer(j1, n1, &q, err, sizeof err);
  if (rc != 0) {
    fprintf(stderr, "fuzz: JSON written:\n%.*s\n", (int)(n1 < 4096 ? n1 : 4096), j1);
    fuzz_fail("the JSON fathom wrote does not load again: %d: %s", rc, err);
  }
  char *j2 = fuzz_render(q, FATHOM_FORMAT_JSON, &n2);
  if (n1 != n2 || memcmp(j1, j2, n1) != 0) {
    size_t k = 0;
    while (k < n1 && k < n2 && j1[k] == j2[k]) k++;
    size_t from = k > 200 ? k - 200 : 0;
    fuzz_fail("the reloaded profile writes other JSON (from byte %zu):\n  first:  %.*s\n"
              "  second: %.*s", k, (int)(n1 - from < 400 ? n1 - from : 400), j1 + from,
              (int)(n2 - from < 400 ? n2 - from : 400), j2 + from);
  }
  free(j2);
  fathom_profile_free(q);
  free(j1);
}

static FILE *saved_stderr;

void fuzz_quiet_begin(void) {
  saved_stderr = stderr;
  stderr = fuzz_sink();
}

void fuzz_quiet_end(void) {
  fflush(stderr);
  clearerr(stderr);
  stderr = saved_stderr;
}
