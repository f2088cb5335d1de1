/* bench_profile.c: `fathom bench --profile DIR`: after the timed runs, one more run of each
 * command under `fathom run` (this same binary, /proc/self/exe), saving DIR/<n>.json for
 * benchmark n, then the biggest differences between the fastest command's profile and each
 * other's, with `fathom diff`'s engine (diff.c) and text view.
 * Invariant: these runs are never timed nor mixed into the statistics; a profile that could
 * not be made is reported with the command it belongs to and fails the command (exit 2). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "diff.h"
#include "io.h"
#include "tool.h"

#define CMD "bench"

/* Runs command c under `fathom run -o out`; returns its wait status, or -1 (errno). */
static int profile_one(const bench_set *s, const bench_cmd *c, const char *out, int show) {
  char *cmd = strdup(c->cmd), *sh = s->shell ? strdup(s->shell) : NULL;
  if (!cmd || (s->shell && !sh)) {
    free(cmd);
    free(sh);
    errno = ENOMEM;
    return -1;
  }
  char *argv[260];
  size_t n = 0;
  char a0[] = "fathom", a1[] = "run", a2[] = "-o", a4[] = "--", dash_c[] = "-c";
  argv[n++] = a0;
  argv[n++] = a1;
  argv[n++] = a2;
  argv[n++] = (char *)(uintptr_t)out;   /* execv's argv is not const; it is not written */
  argv[n++] = a4;
  if (sh) {
    argv[n++] = sh;
    argv[n++] = dash_c;
    argv[n++] = cmd;
  } else {
    for (char *tok = strtok(cmd, " \t"); tok && n + 1 < sizeof argv / sizeof argv[0];
         tok = strtok(NULL, " \t"))
      argv[n++] = tok;
  }
  argv[n] = NULL;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);   /* what fathom ignores, the command must not inherit */
    signal(SIGXFSZ, SIG_DFL);
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
      dup2(nul, 0);
      if (!show) {
        dup2(nul, 1);
        dup2(nul, 2);
      }
      if (nul > 2) close(nul);
    }
    execv("/proc/self/exe", argv);
    _exit(127);
  }
  int status = -1, e = errno;
  if (pid > 0)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  free(cmd);
  free(sh);
  errno = e;
  return pid < 0 ? -1 : status;
}

int bench_profile(const bench_set *s, const char *dir, int show_output, FILE *f) {
  char q[FATHOM_QUOTE_MAX];
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    tool_error(dir, "cannot make the --profile folder: %s", strerror(errno));
    return TOOL_EXIT_OUTPUT;
  }
  size_t cap = strlen(dir) + 32;
  char **paths = calloc(s->n, sizeof *paths);
  fathom_profile **p = calloc(s->n, sizeof *p);
  int rc = paths && p ? 0 : TOOL_EXIT_OUTPUT;
  for (size_t i = 0; rc == 0 && i < s->n; i++) {
    if (!(paths[i] = malloc(cap))) {
      rc = TOOL_EXIT_OUTPUT;
      break;
    }
    snprintf(paths[i], cap, "%s/%zu.json", dir, i + 1);
    int st = profile_one(s, &s->cmds[i], paths[i], show_output);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      tool_error(CMD, "--profile: the command %s under 'fathom run' failed (%s)",
                 tool_quote(q, s->cmds[i].cmd),
                 st == -1 ? strerror(errno)
                 : WIFEXITED(st) ? "a non-zero exit status: run it with 'fathom run' to see why"
                                 : "killed by a signal");
      rc = TOOL_EXIT_USAGE;
      break;
    }
    rc = io_load(paths[i], &p[i]);
  }
  if (rc == 0) {
    fprintf(f, "\nProfiles (fathom run, one more run of each): %s/1.json ... %s/%zu.json\n", dir,
            dir, s->n);
    diff_opts o;
    diff_opts_init(&o);
    o.top = 5;
    size_t base = s->rank[0];
    for (size_t r = 1; rc == 0 && r < s->n; r++) {
      size_t i = s->rank[r];
      diff_result d;
      if (diff_build(&d, p[base], paths[base], p[i], paths[i], &o)) {
        rc = TOOL_EXIT_OUTPUT;
        break;
      }
      fprintf(f, "\nBiggest differences, benchmark %zu (fastest) against benchmark %zu "
              "(fathom diff %s %s):\n", base + 1, i + 1, paths[base], paths[i]);
      diff_write_text(&d, f);
      diff_free(&d);
    }
  }
  for (size_t i = 0; i < s->n; i++) {
    if (p && p[i]) fathom_profile_free(p[i]);
    if (paths) free(paths[i]);
  }
  free(paths);
  free(p);
  return rc;
}
