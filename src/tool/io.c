/* io.c: load a profile for a command, save a view of it (see io.h).
 * Invariant: output files go through the library's atomic writer (fathom_profile_save, or
 * fz_afile_* when the text view must keep its colour), never through a plain fopen(path). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fathom_load.h"
#include "io.h"
#include "model.h"
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

static int save_stdout(const fathom_profile *p, fathom_format fmt, tool_color color) {
  errno = 0;
  int rc = fathom_profile_write(p, fmt, stdout, opts_color_enabled(color, STDOUT_FILENO));
  int e = errno;
  if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
    rc = FATHOM_E_IO;
    e = errno;
  }
  if (rc == 0) return TOOL_EXIT_OK;
  tool_error(io_name("-", 1), "write error: %s", write_why(rc, e));
  return TOOL_EXIT_OUTPUT;
}

/* The coloured text view into a file (--color always): the same atomic writer as
 * fathom_profile_save, which always writes without colour. */
static int save_colored(const fathom_profile *p, fathom_format fmt, const char *path) {
  fz_afile a;
  int rc = fz_afile_open(&a, path);
  if (rc) return rc;
  rc = fathom_profile_write(p, fmt, a.f, 1);
  if (rc) {
    int e = errno;
    fz_afile_abort(&a);
    errno = e;
    return rc;
  }
  return fz_afile_commit(&a);
}

int io_save(const fathom_profile *p, fathom_format fmt, const char *path, tool_color color) {
  if (!path || strcmp(path, "-") == 0) return save_stdout(p, fmt, color);
  errno = 0;
  int rc = (fmt == FATHOM_FORMAT_TEXT && color == TOOL_COLOR_ALWAYS)
               ? save_colored(p, fmt, path)
               : fathom_profile_save(p, fmt, path);
  if (rc == 0) return TOOL_EXIT_OK;
  tool_error(path, "cannot write: %s", write_why(rc, errno));
  return TOOL_EXIT_OUTPUT;
}
