/* livetest.h: helpers of the endpoint's test groups (test_live.c, test_live_guard.c): a
 * scratch folder, shell commands with their output, curl fetches, sessions that listen.
 *
 * Header-only like testutil.h (static, unused-tolerant functions); `tmp` is the
 * scratch folder's path (scratch.h's `dir`), which setup_tmp fills. */
#ifndef FATHOM_LIVETEST_H
#define FATHOM_LIVETEST_H

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>

#include "testutil.h"
#include "scratch.h"

/* The scratch folder: scratch.h's, under the name these groups use. */
#define tmp dir
TESTUTIL_FN void setup_tmp(const char *name) { setup_dir(name); }

/* Runs a shell command, stdout into out (NUL-terminated, truncated); returns the exit status
 * (-1 when it could not run or died of a signal). */
TESTUTIL_FN int sh(char *out, size_t cap, const char *fmt, ...) {
  char cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  size_t n = 0;
  char sink[4096];
  if (!out) {
    out = sink;
    cap = sizeof sink;
  }
  size_t r;
  while ((r = fread(out + n, 1, n + 1 < cap ? cap - n - 1 : 0, p)) > 0) n += r;
  while (fread(sink, 1, sizeof sink, p) > 0) continue;
  out[n] = 0;
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TESTUTIL_FN void need_tool(const char *tool, const char *package) {
  if (sh(NULL, 0, "command -v %s >/dev/null 2>&1", tool) != 0)
    fail_msg("%s is not installed: this test needs it (Debian package %s; make deps)", tool,
             package);
}

/* GET (or another method) of path: the status code ("000" when no answer), body into file. */
TESTUTIL_FN int fetch(int port, const char *method, const char *path, const char *file,
                 const char *extra) {
  char out[64];
  int rc = sh(out, sizeof out,
              "curl -s --max-time 30 -X %s %s -o '%s' -w '%%{http_code}' 'http://127.0.0.1:%d%s'",
              method, extra ? extra : "", file, port, path);
  (void)rc;
  return atoi(out);
}

TESTUTIL_FN char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot read %s: %s", path, strerror(errno));
  char *buf = malloc(1 << 22);
  assert_non_null(buf);
  size_t n = fread(buf, 1, (1 << 22) - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

TESTUTIL_FN int begin_listen(const char *spec) {
  fathom_config c;
  fathom_config_init(&c);
  c.listen = spec;
  return fathom_session_begin("live", &c);
}

TESTUTIL_FN int port_now(void) {
  fathom_live_info i;
  assert_int_equal(fathom_live_info_get(&i), 0);
  if (!i.running) fail_msg("endpoint not running: %s", i.why);
  return i.port;
}

#endif /* FATHOM_LIVETEST_H */
