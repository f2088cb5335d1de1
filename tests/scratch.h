/* scratch.h: helpers of the groups that write files and capture stderr (test_autosave.c,
 * test_sink.c): a scratch folder, a sleep, stderr sent to a file and read back.
 *
 * Header-only like testutil.h (static, unused-tolerant functions); defines `dir`, the
 * scratch folder's path, which setup_dir fills. */
#ifndef FATHOM_SCRATCH_H
#define FATHOM_SCRATCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static char dir[512];

/* Makes dir = $FATHOM_TEST_TMP/NAME.<pid> (/tmp without it), new and empty. */
TESTUTIL_FN void setup_dir(const char *name) {
  const char *t = getenv("FATHOM_TEST_TMP");
  snprintf(dir, sizeof dir, "%s/%s.%ld", t && *t ? t : "/tmp", name, (long)getpid());
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  assert_int_equal(system(cmd), 0);
}

TESTUTIL_FN void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) continue;
}

/* Sends stderr to dir/stderr.txt (its path into errpath) until stderr_restore(the result). */
TESTUTIL_FN int stderr_to_file(char *errpath, size_t cap) {
  snprintf(errpath, cap, "%s/stderr.txt", dir);
  fflush(stderr);
  int saved = dup(2), fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(saved >= 0 && fd >= 0);
  dup2(fd, 2);
  close(fd);
  return saved;
}
TESTUTIL_FN void stderr_restore(int saved) {
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
}

/* The first cap - 1 bytes of the file at path into buf, NUL-terminated; returns their count. */
TESTUTIL_FN size_t read_text(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = 0;
  fclose(f);
  return n;
}

#endif /* FATHOM_SCRATCH_H */
