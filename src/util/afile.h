/* afile.h: output files that never leave a partial file behind (afile.c).
 * Invariant: on every failure path the temporary file is removed. */
#ifndef FATHOM_AFILE_H
#define FATHOM_AFILE_H

#include <stddef.h>
#include <stdio.h>

/* ---- atomic files: write to "<path>.tmp.XXXXXX" (mkostemp, 0600), then rename ---- */
typedef struct fz_afile {
  FILE *f;
  char *path, *tmp;
} fz_afile;
/* Opens; path "-" means stdout (commit then only flushes). A symbolic link is followed (the
 * file it names is replaced, not the link); an existing target that is not a regular file
 * (/dev/null, a FIFO) is written through in place. Returns 0, FATHOM_E_IO or
 * FATHOM_E_NOMEM. */
int fz_afile_open(fz_afile *a, const char *path);
/* Checks the stream for errors, fsyncs, closes and renames. On any failure removes the
 * temporary file and returns FATHOM_E_IO: no partial file is ever left at path. */
int fz_afile_commit(fz_afile *a);
/* Closes and removes the temporary file. */
void fz_afile_abort(fz_afile *a);

/* Reads the small text file path (a /proc file) into buf, NUL-terminated: its length, or -1
 * when it cannot be read or is empty. errno is kept. */
long fz_read_small(const char *path, char *buf, size_t cap);

#endif
