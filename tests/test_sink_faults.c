/* test_sink_faults.c: a JSON-lines stream that cannot take data never blocks, kills or hangs
 * the program. Each case runs a real program (this binary again, with FATHOM=1 and
 * FATHOM_SINK in its environment: the auto-started session, its background thread's periodic
 * flushes and the final flush at exit) and asserts that it exits 0 within a generous bound,
 * with its profile written and one stderr line saying how many lines were dropped and why:
 * - a FIFO nobody ever opens for reading (used to hang at exit in open(2));
 * - a pipe whose reader read one line and left (used to die of SIGPIPE, status 141, or hang
 *   in open(2)); the program's own SIGPIPE disposition, mask and pending set are untouched;
 *   with stderr on that pipe too, fathom's note about it does not kill the program either;
 * - a pipe whose reader never reads (used to block in write(2) once the pipe was full). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scratch.h"
#include "fathom_load.h"

#define HANG_LIMIT_S 60   /* generous: each case takes about 2 s */

/* ---- the profiled program (this binary with argv[1] = "--program") ------------------- */

static void work(int n, int zones) {
  char name[96];
  for (int i = 0; i < n; i++) {
    FATHOM_ZONE("step", "main");
    for (int z = 0; z < zones; z++) {
      snprintf(name, sizeof name, "a zone with a long name so that a line is long %03d", z);
      fathom_zone h = fathom_zone_begin(name, "wide");
      fathom_zone_end(h);
    }
  }
}

/* SIGPIPE as the program left it: default action, not blocked, not pending. */
static int sigpipe_untouched(void) {
  struct sigaction sa;
  sigset_t mask, pending;
  if (sigaction(SIGPIPE, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL) return 0;
  if (pthread_sigmask(SIG_BLOCK, NULL, &mask) != 0 || sigismember(&mask, SIGPIPE)) return 0;
  return sigpending(&pending) == 0 && !sigismember(&pending, SIGPIPE);
}

static int program(const char *mode) {
  fathom_session_info si;
  if (fathom_session_info_get(&si) != 0 || !si.active) return 10;   /* FATHOM=1 started it */
  if (!strcmp(mode, "fifo")) {          /* periodic flushes while no one reads */
    work(50, 0);
    sleep_ms(600);
  } else if (!strcmp(mode, "gone")) {   /* the reader takes one line and leaves */
    work(10, 0);
    fathom_sink_flush();
    struct pollfd p = {.fd = 1, .events = POLLOUT};
    for (int i = 0; i < HANG_LIMIT_S * 10 && !(p.revents & POLLERR); i++) {
      poll(&p, 1, 100);
      if (!(p.revents & POLLERR)) sleep_ms(100);
    }
    if (!(p.revents & POLLERR)) return 11;
    fathom_sink_flush();   /* EPIPE on the program's own thread */
    work(10, 0);
    sleep_ms(300);         /* periodic flushes into the dead pipe */
    fathom_sink_flush();
    if (!sigpipe_untouched()) return 12;
  } else if (!strcmp(mode, "full")) {   /* a reader that never reads: the pipe fills */
    work(5, 40);
    for (int i = 0; i < 20; i++) fathom_sink_flush();
  } else {
    return 13;
  }
  return 0;   /* the session ends at exit: the final flush, the profile */
}

/* ---- the test side -------------------------------------------------------------------- */

/* Runs this binary in program mode with stdout on out_fd (-1: /dev/null), the stream at
 * sink, the profile into dir/<mode>.json and stderr into dir/<mode>.err; returns the wait
 * status, failing the test when it does not end within HANG_LIMIT_S. */
static int run_program(const char *mode, const char *sink, int out_fd, int close_fd) {
  char out[700], err[700];
  const char *m = strchr(mode, '+') ? "gone" : mode;   /* gone+stderr: stderr on stdout too */
  snprintf(out, sizeof out, "%s/%s.json", dir, mode);
  snprintf(err, sizeof err, "%s/%s.err", dir, mode);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int o = out_fd >= 0 ? out_fd : open("/dev/null", O_WRONLY);
    if (e < 0 || o < 0 || dup2(m != mode ? o : e, 2) < 0 || dup2(o, 1) < 0) _exit(20);
    if (close_fd >= 0) close(close_fd);
    setenv("FATHOM", "1", 1);
    setenv("FATHOM_OUT", out, 1);
    setenv("FATHOM_SINK", sink, 1);
    setenv("FATHOM_SINK_INTERVAL", "0.1", 1);
    signal(SIGPIPE, SIG_DFL);
    execl("/proc/self/exe", "test_sink_faults", "--program", m, (char *)NULL);
    _exit(21);
  }
  if (close_fd >= 0 && out_fd >= 0) close(out_fd);
  int st = 0;
  for (int i = 0; i < HANG_LIMIT_S * 20; i++) {
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) return st;
    sleep_ms(50);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  fail_msg("the program (%s) did not end within %d s: a sink that cannot take data hung it",
           mode, HANG_LIMIT_S);
  return -1;
}

/* The program exited 0 with its profile and one stderr line about the dropped lines. */
static void check_outcome(const char *mode, int st, const char *sink, const char *why) {
  if (WIFSIGNALED(st))
    fail_msg("the program (%s) died of signal %d (%s)", mode, WTERMSIG(st),
             strsignal(WTERMSIG(st)));
  assert_true(WIFEXITED(st));
  if (WEXITSTATUS(st) != 0) fail_msg("the program (%s) exited %d", mode, WEXITSTATUS(st));
  char path[700], text[8192];
  snprintf(path, sizeof path, "%s/%s.json", dir, mode);
  fathom_profile *p = NULL;
  char err[256] = "";
  if (fathom_profile_load(path, &p, err, sizeof err) != 0) fail_msg("%s: %s", path, err);
  hold(p);
  assert_true(zone(p, "step")->stats.count >= 5);
  release(p);
  if (!why) return;   /* its stderr was the dead pipe too */
  snprintf(path, sizeof path, "%s/%s.err", dir, mode);
  read_text(path, text, sizeof text);
  char want[700];
  snprintf(want, sizeof want, "fathom: sink stream %s: ", sink);
  const char *l = strstr(text, want);
  if (!l) fail_msg("stderr (%s) does not mention the stream: %s", mode, text);
  const char *eol = strchr(l, '\n');
  assert_non_null(eol);
  if (strstr(eol, want)) fail_msg("stderr (%s) says it more than once: %s", mode, text);
  unsigned long long dropped = 0, lines = 0;
  if (sscanf(l + strlen(want), "%llu of %llu lines dropped", &dropped, &lines) != 2)
    fail_msg("stderr (%s): no count of dropped lines: %s", mode, l);
  assert_true(dropped >= 1 && dropped <= lines);
  const char *w = strstr(l, why);
  if (!w || w > eol) fail_msg("stderr (%s) does not say '%s': %s", mode, why, l);
}

static void fifo_without_reader(void **state) {
  (void)state;
  char fifo[600];
  snprintf(fifo, sizeof fifo, "%s/nobody.fifo", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  int st = run_program("fifo", fifo, -1, -1);
  check_outcome("fifo", st, fifo, "no process has it open for reading");
}

static void reader_gone(const char *mode, const char *why) {
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t reader = fork();   /* reads the first line, then closes the pipe */
  assert_true(reader >= 0);
  if (reader == 0) {
    close(p[1]);
    char c;
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    while (poll(&f, 1, HANG_LIMIT_S * 1000) == 1 && read(p[0], &c, 1) == 1 && c != '\n')
      continue;
    _exit(c == '\n' ? 0 : 1);
  }
  close(p[0]);
  int st = run_program(mode, "/dev/stdout", p[1], -1);
  close(p[1]);
  int rst = 0;
  assert_int_equal(waitpid(reader, &rst, 0), reader);
  assert_true(WIFEXITED(rst) && WEXITSTATUS(rst) == 0);   /* it did get a whole line */
  if (WIFEXITED(st) && WEXITSTATUS(st) == 12)
    fail_msg("the program's SIGPIPE disposition, mask or pending set was changed");
  check_outcome(mode, st, "/dev/stdout", why);
}

static void pipe_reader_gone(void **state) {
  (void)state;
  reader_gone("gone", "the reader closed the pipe");
}

/* the stream and stderr on the same pipe: fathom's own note must not kill it either */
static void pipe_reader_gone_stderr_too(void **state) {
  (void)state;
  reader_gone("gone+stderr", NULL);
}

static void pipe_never_read(void **state) {
  (void)state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  (void)fcntl(p[1], F_SETPIPE_SZ, 4096);   /* full after a few lines */
  int st = run_program("full", "/dev/stdout", p[1], p[0]);
  char first[64] = "";
  ssize_t n = read(p[0], first, sizeof first - 1);   /* what it took: whole lines */
  close(p[0]);
  check_outcome("full", st, "/dev/stdout", "not reading");
  assert_true(n > 0 && strncmp(first, "{\"ts\":", 6) == 0);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--program")) return program(argv[2]);
  setup_dir("sink_faults");
  signal(SIGPIPE, SIG_DFL);
  const struct CMUnitTest tests[] = {
      T(fifo_without_reader), T(pipe_reader_gone), T(pipe_reader_gone_stderr_too),
      T(pipe_never_read),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
