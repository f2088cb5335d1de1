/* afile.c: atomic output files: write "<path>.tmp.XXXXXX", fsync, rename over path.
 * Invariant: on every failure path the temporary file is removed, so a reader of `path`
 * sees either the old file, nothing, or the complete new file.
 * The temporary file is made by mkostemp (O_CREAT|O_EXCL, a random name, mode 0600), so a
 * name planted beforehand (a symbolic link, a file) is never opened or written through, and
 * no one else can read it while it is written; just before the rename it takes the mode of
 * the file it replaces, or 0666 & ~umask for a new file.
 * What the path points at is never replaced: a symbolic link is followed (the file it
 * names is the one replaced, the link stays), and an existing target that is not a regular
 * file (/dev/null, a FIFO, a terminal) is written through, in place, with no rename. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/afile.h"

#include "fathom.h"

/* The file path names once symbolic links are followed (a copy; the last one need not
 * exist), or NULL with errno set (ELOOP after 40 links). */
static char *link_target(const char *path) {
  char *cur = strdup(path);
  struct stat st;
  for (int hop = 0; cur; hop++) {
    if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
    char to[PATH_MAX];
    ssize_t n = hop < 40 ? readlink(cur, to, sizeof to - 1) : (errno = ELOOP, -1);
    if (n < 0) {
      int e = errno;
      free(cur);
      errno = e;
      return NULL;
    }
    to[n] = 0;
    const char *slash = strrchr(cur, '/');
    size_t dir = (to[0] == '/' || !slash) ? 0 : (size_t)(slash - cur) + 1;
    char *next = malloc(dir + (size_t)n + 1);
    if (next) {
      memcpy(next, cur, dir);
      memcpy(next + dir, to, (size_t)n + 1);
    }
    free(cur);
    cur = next;
  }
  errno = ENOMEM;
  return NULL;
}

int fz_afile_open(fz_afile *a, const char *path) {
  memset(a, 0, sizeof *a);
  if (!path || !*path) return FATHOM_E_INVAL;
  if (strcmp(path, "-") == 0) {
    a->f = stdout;
    return 0;
  }
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    /* a device, FIFO or socket: written through (a directory fails to open: FATHOM_E_IO) */
    a->f = fopen(path, "w");
    return a->f ? 0 : FATHOM_E_IO;
  }
  /* a link (to a file that may not exist yet): replace the file it names */
  a->path = link_target(path);
  if (!a->path) return errno == ENOMEM ? FATHOM_E_NOMEM : FATHOM_E_IO;
  size_t n = strlen(a->path) + sizeof ".tmp.XXXXXX";
  a->tmp = malloc(n);
  if (!a->tmp) {
    free(a->path);
    a->path = NULL;
    return FATHOM_E_NOMEM;
  }
  snprintf(a->tmp, n, "%s.tmp.XXXXXX", a->path);
  int fd = mkostemp(a->tmp, O_CLOEXEC);
  a->f = fd < 0 ? NULL : fdopen(fd, "w");
  if (!a->f) {
    int e = errno;
    if (fd >= 0) {
      close(fd);
      unlink(a->tmp);
    }
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    errno = e;
    return e == ENOMEM ? FATHOM_E_NOMEM : FATHOM_E_IO;
  }
  return 0;
}

/* The process's umask, read without changing it (umask(2) sets it too, which would race with
 * other threads creating files); 077 where /proc cannot tell. */
long fz_read_small(const char *path, char *buf, size_t cap) {
  int saved = errno;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 || cap < 2 ? -1 : read(fd, buf, cap - 1);
  if (fd >= 0) close(fd);
  errno = saved;
  if (n <= 0) return -1;
  buf[n] = 0;
  return (long)n;
}

static mode_t current_umask(void) {
  mode_t um = 077;
  char buf[4096];
  if (fz_read_small("/proc/self/status", buf, sizeof buf) < 0) return um;
  const char *u = strstr(buf, "\nUmask:");
  if (u) {
    char *end;
    unsigned long v = strtoul(u + 7, &end, 8);
    if (end != u + 7 && v <= 0777) um = (mode_t)v;
  }
  return um;
}

/* The mode the finished file gets: that of the regular file it replaces (its permission
 * bits and sticky bit, never set-user/group-ID), else the usual 0666 & ~umask. */
static mode_t final_mode(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) return st.st_mode & 01777;
  return 0666 & ~current_umask();
}

void fz_afile_abort(fz_afile *a) {
  int e = errno;
  if (a->f && a->f != stdout) fclose(a->f);
  if (a->tmp) unlink(a->tmp);
  free(a->path);
  free(a->tmp);
  memset(a, 0, sizeof *a);
  errno = e;
}

int fz_afile_commit(fz_afile *a) {
  if (a->f == stdout) {
    int bad = fflush(stdout) != 0 || ferror(stdout);
    memset(a, 0, sizeof *a);
    return bad ? FATHOM_E_IO : 0;
  }
  if (!a->tmp) { /* written through (not a regular file): close it */
    int bad = fflush(a->f) != 0 || ferror(a->f);
    bad |= fclose(a->f) != 0;
    memset(a, 0, sizeof *a);
    return bad ? FATHOM_E_IO : 0;
  }
  int e = errno, bad = 0;   /* e: the caller's errno, then the first failure's */
  if (fflush(a->f) != 0 || ferror(a->f)) {
    bad = 1;
    e = errno;
  } else {
    /* best effort: a file system that refuses chmod leaves the file private (0600) */
    (void)fchmod(fileno(a->f), final_mode(a->path));
    if (fsync(fileno(a->f)) != 0) {
      bad = 1;
      e = errno;
    }
  }
  if (fclose(a->f) != 0 && !bad) {
    bad = 1;
    e = errno;
  }
  a->f = NULL;
  if (!bad && rename(a->tmp, a->path) != 0) {
    bad = 1;
    e = errno;
  }
  if (bad) unlink(a->tmp);
  free(a->path);
  free(a->tmp);
  memset(a, 0, sizeof *a);
  errno = e;
  return bad ? FATHOM_E_IO : 0;
}
