/* io.c: load a profile for a command, save a view of it (see io.h).
 * Invariant: output files go through the library's atomic writer (fz_afile_*), never through
 * a plain fopen(path), with the temporary file registered for removal on a signal. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fathom_load.h"
#include "io.h"
#include "model/model.h"
#include "tool.h"

const char *io_name(const char *path, int output) {
  if (!path || strcmp(path, "-") == 0) return output ? "standard output" : "standard input";
  return path;
}

/* The loader's message without its leading "<file>: " (the tool prints the name itself, so
 * "-" reads "standard input" in every message); the loader quotes the name as we do. */
static const char *strip_name(const char *err, const char *path) {
  char q[FATHOM_QUOTE_MAX];
  const char *loader_name =
      strcmp(path, "-") == 0 ? "<stdin>" : fathom_quote(q, sizeof q, path, 1);
  size_t n = strlen(loader_name);
  if (strncmp(err, loader_name, n) == 0 && err[n] == ':' && err[n + 1] == ' ') return err + n + 2;
  return err;
}

int io_load(const char *path, fathom_profile **out) {
  *out = NULL;
  const char *name = io_name(path, 0);
  struct stat st;
  if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    tool_error(name, "is a directory, not a profile file");
    return TOOL_EXIT_USAGE;
  }
  static char err[FATHOM_QUOTE_MAX + 1024];   /* the quoted name, then the reason */
  err[0] = 0;
  int rc = fathom_profile_load(path, out, err, sizeof err);
  if (rc == 0 && *out) return TOOL_EXIT_OK;
  if (rc == 0) rc = FATHOM_E_FORMAT;   /* a loader that "succeeds" with nothing */
  const char *why = err[0] ? strip_name(err, path) : fathom_strerror(rc);
  tool_error(name, "%s", why);
  if (*out) fathom_profile_free(*out);
  *out = NULL;
  return TOOL_EXIT_USAGE;
}

/* Why a write failed: errno when the library left one, else the fathom code's message. */
static const char *write_why(int rc, int e) {
  if (rc == FATHOM_E_IO && e != 0) return strerror(e);
  return fathom_strerror(rc);
}

/* Standard output: rendered, flushed; a failure is reported as a write error. */
static int write_stdout(tool_color color, io_render_fn render, void *ctx) {
  errno = 0;
  int rc = render(ctx, stdout, opts_color_enabled(color, STDOUT_FILENO));
  int e = errno;
  if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
    rc = FATHOM_E_IO;
    e = errno;
  }
  if (rc == 0) return TOOL_EXIT_OK;
  tool_error(io_name("-", 1), "write error: %s", write_why(rc, e));
  return TOOL_EXIT_OUTPUT;
}

/* A file, through the library's atomic writer; the temporary file is registered with the
 * signal handlers from the moment it exists until it is renamed or removed. */
static int write_file(const char *path, int color, io_render_fn render, void *ctx) {
  fz_afile a;
  sigset_t old;
  io_signals_hold(&old);
  int rc = fz_afile_open(&a, path);
  int e = errno;
  if (!rc) io_signals_track(a.tmp);   /* NULL when written through (a FIFO, /dev/null) */
  io_signals_release(&old);
  errno = e;
  if (rc) return rc;
  rc = render(ctx, a.f, color);
  if (rc) fz_afile_abort(&a);   /* keeps errno */
  else rc = fz_afile_commit(&a);
  io_signals_track(NULL);
  return rc;
}

int io_write(const char *path, tool_color color, io_render_fn render, void *ctx) {
  if (!path || strcmp(path, "-") == 0) return write_stdout(color, render, ctx);
  errno = 0;
  int rc = write_file(path, color == TOOL_COLOR_ALWAYS, render, ctx);
  if (rc == 0) return TOOL_EXIT_OK;
  tool_error(path, "cannot write: %s", write_why(rc, errno));
  return TOOL_EXIT_OUTPUT;
}

typedef struct save_ctx {
  const fathom_profile *p;
  fathom_format fmt;
} save_ctx;

static int render_profile(void *ctx, FILE *f, int color) {
  const save_ctx *s = ctx;
  return fathom_profile_write(s->p, s->fmt, f, color);
}

int io_save(const fathom_profile *p, fathom_format fmt, const char *path, tool_color color) {
  save_ctx s = {p, fmt};
  return io_write(path, color, render_profile, &s);
}
