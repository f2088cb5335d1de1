/* afile.c: atomic output files: write "<path>.tmp.<pid>", fsync, rename over path.
 * Invariant: on every failure path the temporary file is removed, so a reader of `path`
 * sees either the old file, nothing, or the complete new file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"

int fz_afile_open(fz_afile *a, const char *path) {
  memset(a, 0, sizeof *a);
  if (!path || !*path) return FATHOM_E_INVAL;
  if (strcmp(path, "-") == 0) {
    a->f = stdout;
    return 0;
  }
  size_t n = strlen(path) + 32;
  a->path = strdup(path);
  a->tmp = malloc(n);
  if (!a->path || !a->tmp) {
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    return FATHOM_E_NOMEM;
  }
  snprintf(a->tmp, n, "%s.tmp.%ld", path, (long)getpid());
  a->f = fopen(a->tmp, "w");
  if (!a->f) {
    int e = errno;
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    errno = e;
    return FATHOM_E_IO;
  }
  return 0;
}

void fz_afile_abort(fz_afile *a) {
  if (a->f && a->f != stdout) fclose(a->f);
  if (a->tmp) unlink(a->tmp);
  free(a->path);
  free(a->tmp);
  memset(a, 0, sizeof *a);
}

int fz_afile_commit(fz_afile *a) {
  if (a->f == stdout) {
    int bad = fflush(stdout) != 0 || ferror(stdout);
    memset(a, 0, sizeof *a);
    return bad ? FATHOM_E_IO : 0;
  }
  int bad = fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0;
  bad |= fclose(a->f) != 0;
  a->f = NULL;
  if (!bad && rename(a->tmp, a->path) != 0) bad = 1;
  if (bad) {
    unlink(a->tmp);
    free(a->path);
    free(a->tmp);
    memset(a, 0, sizeof *a);
    return FATHOM_E_IO;
  }
  free(a->path);
  free(a->tmp);
  memset(a, 0, sizeof *a);
  return 0;
}
