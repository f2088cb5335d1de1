/* check_env.c: FATHOM_CHECK, the profile checker run on the library's own models
 * (fz_check_env, check.h): each distinct violation printed once per process to stderr and,
 * with FATHOM_CHECK_FAIL_FILE, appended to a file shared by processes running at once.
 *
 * Invariant: never changes the model, never exits, preserves errno; lines longer than
 * CK_LINE are cut, never split. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/check.h"

#define CK_ENV_MSG (256 * 1024)   /* messages of one model kept for printing */
#define CK_SEEN 4096              /* distinct lines remembered per process (then: all printed) */

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t seen[CK_SEEN];    /* FNV-1a hashes of printed lines, 0 = free */
static uint32_t n_seen;

static uint64_t fnv(const char *a, const char *b, size_t bl) {
  uint64_t h = 1469598103934665603ull;
  for (; *a; a++) h = (h ^ (unsigned char)*a) * 1099511628211ull;
  h = (h ^ 0xffu) * 1099511628211ull;
  for (size_t k = 0; k < bl; k++) h = (h ^ (unsigned char)b[k]) * 1099511628211ull;
  return h ? h : 1;
}

/* 1 the first time this line is seen in this process (or when the table is full). */
static int first_time(const char *where, const char *line, size_t l) {
  uint64_t h = fnv(where, line, l);
  int first = 1;
  pthread_mutex_lock(&seen_lock);
  uint32_t k = (uint32_t)(h % CK_SEEN);
  for (uint32_t probe = 0; probe < CK_SEEN; probe++, k = (k + 1) % CK_SEEN) {
    if (seen[k] == h) { first = 0; break; }
    if (seen[k] == 0) {
      if (n_seen < CK_SEEN * 3 / 4) {
        seen[k] = h;
        n_seen++;
      }
      break;
    }
  }
  pthread_mutex_unlock(&seen_lock);
  return first;
}

static void write_all(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

/* snprintf that always ends the line with '\n' (cut if need be); returns its length. */
__attribute__((format(printf, 3, 4))) static size_t line_fmt(char *buf, size_t cap,
                                                             const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
  if (w <= 0) {
    buf[0] = '\0';
    return 0;
  }
  if ((size_t)w >= cap) {
    buf[cap - 2] = '\n';
    buf[cap - 1] = '\0';
    return cap - 1;
  }
  return (size_t)w;
}

static int env_on(const char *name) {
  const char *s = getenv(name);
  return s && *s && strcmp(s, "0") != 0;
}

int fz_check_env(const fathom_profile *p, const char *where) {
  if (!p || !env_on("FATHOM_CHECK")) return 0;
  int saved = errno;
  if (!where) where = "model";
  char *msg = malloc(CK_ENV_MSG);
  int n = fathom_profile_check(p, msg, msg ? CK_ENV_MSG : 0);
  if (n <= 0 || !msg) {
    if (n > 0) fprintf(stderr, "fathom: check: %s: %d violations (no memory for their text)\n", where, n);
    free(msg);
    errno = saved;
    return n < 0 ? 0 : n;
  }
  const char *path = getenv("FATHOM_CHECK_FAIL_FILE");
  int fd = -1;
  if (path && *path) fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  char line[CK_LINE + 256];
  for (const char *s = msg; *s;) {
    const char *e = strchr(s, '\n');
    size_t l = e ? (size_t)(e - s) : strlen(s);
    if (first_time(where, s, l)) {
      char more[64] = "";
      if (l == 3 && memcmp(s, "...", 3) == 0)   /* the buffer's end: say how many in all */
        snprintf(more, sizeof more, " (%d violations in all)", n);
      size_t k = line_fmt(line, sizeof line, "fathom: check: %s: %.*s%s\n", where, (int)l, s,
                          more);
      fputs(line, stderr);
      if (fd >= 0) {
        k = line_fmt(line, sizeof line, "pid %ld (%s): %s: %.*s%s\n", (long)getpid(),
                     program_invocation_short_name, where, (int)l, s, more);
        write_all(fd, line, k);
      }
    }
    s += l + (e ? 1 : 0);
  }
  fflush(stderr);
  if (fd >= 0) close(fd);
  free(msg);
  errno = saved;
  return n;
}
