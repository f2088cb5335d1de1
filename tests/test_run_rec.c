/* test_run_rec.c: `fathom run`'s recorder (src/run/perfrec.c) on real programs (/bin/sh and
 * coreutils), against what the test knows of them:
 * - the exit status passes through (an exit code, a death by signal); a program that cannot
 *   be run gives a clear error (missing: FATHOM_E_NOTFOUND; not executable: FATHOM_E_INVAL);
 *   stdin and stdout reach the program untouched (a file copied byte for byte by cat);
 * - the program starts with the caller's signal mask and ignored signals (read from its own
 *   /proc/self/status), whatever the recorder changed for itself meanwhile;
 * - a CPU-burning shell loop is sampled about once per millisecond of its user CPU time
 *   (from getrusage of the reaped children; a generous factor, no wall-clock timing), every
 *   sample with user registers, a copied stack, and an ip inside an executable mapping the
 *   recorder delivered for its process (kept like an unwinder would: copied at fork,
 *   forgotten at exec); samples come in time order;
 * - a shell that forks and execs another burning shell: FORK and COMM(exec) events for the
 *   child, samples from both processes, each inside its own process's mappings;
 * - SIGTERM, SIGINT and SIGHUP sent to the recorder's process reach the program (its trap
 *   runs); one the terminal sent (si_code SI_KERNEL) is not sent to it a second time;
 * - wall-clock mode: a program that sleeps 400 ms gets off-CPU samples whose periods add up
 *   to about that (never more than the run's wall-clock time), each with the stack pointer
 *   and an ip in its process's mappings, in time order with the others; a wait polled again
 *   without the thread having run sends no new stack; without wall mode there are none.
 * Sampling needs perf_event_open for one's own processes (kernel.perf_event_paranoid <= 2);
 * where it is not allowed, the sampling cases fail and say why. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scratch.h"
#include "run/run.h"

/* ---- a sink that checks each record against a model of the processes' mappings ------ */

#define MAXMAPS 4096
#define MAXPIDS 64

typedef struct map { uint32_t pid; uint64_t start, end; } map;

typedef struct rec_sink {
  map maps[MAXMAPS];
  int nmaps;
  uint64_t samples, lost, period_sum;
  uint64_t no_regs, no_stack, ip_unmapped, out_of_order, last_time;
  uint64_t other_tid;                /* samples of a thread other than its process's first */
  uint64_t off, off_ns, off_same, off_bad;   /* off-CPU samples, their periods, same_wait ones,
                                                those without registers or with an unmapped ip */
  uint64_t runq;                     /* run-queue samples (wall mode: waiting for a CPU) */
  uint32_t pids[MAXPIDS];            /* processes that had samples */
  uint64_t pid_samples[MAXPIDS];
  int npids;
  uint32_t fork_child[MAXPIDS], fork_parent[MAXPIDS];   /* process forks (not threads) */
  int nforks;
  uint32_t exec_pid[MAXPIDS];        /* COMM records with the exec flag */
  int nexecs;
  int overflow;
} rec_sink;

static rec_sink S;

static void on_mmap(void *ctx, const fz_run_mmap *m) {
  rec_sink *k = ctx;
  if (k->nmaps == MAXMAPS) { k->overflow = 1; return; }
  k->maps[k->nmaps++] = (map){m->pid, m->start, m->start + m->len};
}
static void on_comm(void *ctx, uint32_t pid, uint32_t tid, const char *comm, int exec) {
  rec_sink *k = ctx;
  (void)tid;
  assert_non_null(comm);
  if (!exec) return;
  int j = 0;   /* a new program: its old mappings are gone */
  for (int i = 0; i < k->nmaps; i++) if (k->maps[i].pid != pid) k->maps[j++] = k->maps[i];
  k->nmaps = j;
  if (k->nexecs < MAXPIDS) k->exec_pid[k->nexecs++] = pid;
}
static void on_fork(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid) {
  rec_sink *k = ctx;
  (void)tid; (void)ptid;
  if (pid == ppid) return;   /* a thread: same process, same mappings */
  int n = k->nmaps;
  for (int i = 0; i < n; i++) {
    if (k->maps[i].pid != ppid) continue;
    if (k->nmaps == MAXMAPS) { k->overflow = 1; return; }
    k->maps[k->nmaps++] = (map){pid, k->maps[i].start, k->maps[i].end};
  }
  if (k->nforks < MAXPIDS) {
    k->fork_child[k->nforks] = pid;
    k->fork_parent[k->nforks++] = ppid;
  }
}
static void on_exit_rec(void *ctx, uint32_t pid, uint32_t tid) { (void)ctx; (void)pid; (void)tid; }
static void on_sample(void *ctx, const fz_run_sample *s) {
  rec_sink *k = ctx;
  k->samples++;
  k->period_sum += s->period_ns;
  if (s->time_ns < k->last_time) k->out_of_order++;
  k->last_time = s->time_ns;
  if (!s->regs_ok) k->no_regs++;
  if (s->tid != s->pid) k->other_tid++;
  if (!s->stack || s->stack_size == 0) k->no_stack++;
  uint64_t ip = s->regs[16];
  int in = 0;
  for (int i = 0; i < k->nmaps && !in; i++)
    in = k->maps[i].pid == s->pid && ip >= k->maps[i].start && ip < k->maps[i].end;
  if (!in) k->ip_unmapped++;
  if (s->off_cpu == 2) k->runq++;
  if (s->off_cpu == 1) {
    k->off++;
    k->off_ns += s->period_ns;
    k->off_same += s->same_wait != 0;
    k->off_bad += !s->regs_ok || !in || !s->regs[7] || (!s->same_wait && !s->stack);
  }
  int i = 0;
  while (i < k->npids && k->pids[i] != s->pid) i++;
  if (i == k->npids && k->npids < MAXPIDS) k->pids[k->npids++] = s->pid;
  if (i < MAXPIDS) k->pid_samples[i]++;
}
static void on_lost(void *ctx, uint64_t n) { ((rec_sink *)ctx)->lost += n; }

static const fz_run_sink sink = {&S, on_mmap, on_comm, on_fork, on_exit_rec, on_sample,
                                 on_lost, NULL, NULL};

/* argv for fz_run_exec (char *const[]) from string literals: copies, until the next call */
static char *arg_buf[8];
static char **args(const char *a0, const char *a1, const char *a2, const char *a3) {
  const char *in[4] = {a0, a1, a2, a3};
  for (int i = 0; i < 8; i++) { free(arg_buf[i]); arg_buf[i] = NULL; }
  for (int i = 0; i < 4 && in[i]; i++) arg_buf[i] = strdup(in[i]);
  return arg_buf;
}

static double tv_ms(struct timeval t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; }

/* Runs argv under the recorder into S; user/system CPU time of the program (and every
 * child it waited for) into *user_ms / *sys_ms. Returns fz_run_exec's result. */
static int record(char *const argv[], fz_run_result *res, double *user_ms, double *sys_ms) {
  memset(&S, 0, sizeof S);
  struct rusage a, b;
  getrusage(RUSAGE_CHILDREN, &a);
  fz_run_opts o = {.freq_hz = 1000, .stack_bytes = 16384, .quiet = 1};
  int rc = fz_run_exec(argv, &o, &sink, res);
  getrusage(RUSAGE_CHILDREN, &b);
  if (user_ms) *user_ms = tv_ms(b.ru_utime) - tv_ms(a.ru_utime);
  if (sys_ms) *sys_ms = tv_ms(b.ru_stime) - tv_ms(a.ru_stime);
  return rc;
}

static void sampling_allowed(const fz_run_result *res) {
  if (res->why[0]) {
    print_error("sampling was not possible on this machine (fathom run needs "
                "perf_event_open for one's own processes): %s\n", res->why);
    fail();
  }
}

static int sh(const char *script, fz_run_result *res, double *user_ms, double *sys_ms) {
  return record(args("/bin/sh", "-c", script, NULL), res, user_ms, sys_ms);
}

/* ---- exit status, errors, stdio ------------------------------------------------------- */

static void test_exit_status(void **state) {
  (void)state;
  fz_run_result res;
  assert_int_equal(sh("exit 3", &res, NULL, NULL), 0);
  assert_true(res.pid > 0);
  assert_true(WIFEXITED(res.status));
  assert_int_equal(WEXITSTATUS(res.status), 3);
  assert_int_equal(sh("kill -TERM $$; sleep 5", &res, NULL, NULL), 0);
  assert_true(WIFSIGNALED(res.status));
  assert_int_equal(WTERMSIG(res.status), SIGTERM);
}

static void test_cannot_run(void **state) {
  (void)state;
  fz_run_result res;
  assert_int_equal(record(args("/nonexistent/fathom-no-such-program", NULL, NULL, NULL), &res,
                          NULL, NULL), FATHOM_E_NOTFOUND);
  assert_string_equal(res.why, "fathom: cannot run '/nonexistent/fathom-no-such-program': "
                               "No such file or directory");
  assert_int_equal(record(args("fathom-no-such-program-in-path", NULL, NULL, NULL), &res, NULL,
                          NULL), FATHOM_E_NOTFOUND);
  assert_non_null(strstr(res.why, "No such file or directory"));
  char path[700];
  snprintf(path, sizeof path, "%s/not-executable", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("#!/bin/sh\nexit 0\n", f);
  fclose(f);
  chmod(path, 0644);
  char *noexec[] = {path, NULL};
  assert_int_equal(record(noexec, &res, NULL, NULL), FATHOM_E_INVAL);
  assert_non_null(strstr(res.why, "cannot run"));
  assert_non_null(strstr(res.why, strerror(EACCES)));
  char *empty[] = {NULL};
  assert_int_equal(record(empty, &res, NULL, NULL), FATHOM_E_INVAL);
}

static void test_stdio_untouched(void **state) {
  (void)state;
  char in[700], out[700];
  snprintf(in, sizeof in, "%s/in.bin", dir);
  snprintf(out, sizeof out, "%s/out.bin", dir);
  unsigned char bytes[3000];
  for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (unsigned char)(i * 7 + i / 256);
  FILE *f = fopen(in, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(bytes, 1, sizeof bytes, f), sizeof bytes);
  fclose(f);
  fflush(stdout);
  int save_in = dup(0), save_out = dup(1);
  int fi = open(in, O_RDONLY), fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(save_in >= 0 && save_out >= 0 && fi >= 0 && fo >= 0);
  dup2(fi, 0);
  dup2(fo, 1);
  close(fi);
  close(fo);
  fz_run_result res;
  int rc = record(args("cat", NULL, NULL, NULL), &res, NULL, NULL);
  dup2(save_in, 0);
  dup2(save_out, 1);
  close(save_in);
  close(save_out);
  assert_int_equal(rc, 0);
  assert_true(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
  unsigned char got[4000];
  f = fopen(out, "rb");
  assert_non_null(f);
  size_t n = fread(got, 1, sizeof got, f);
  fclose(f);
  assert_int_equal(n, sizeof bytes);
  assert_memory_equal(got, bytes, sizeof bytes);
}

/* The program's SigBlk / SigIgn line from its own /proc/self/status. */
static unsigned long long proc_mask(const char *text, const char *key) {
  const char *p = strstr(text, key);
  assert_non_null(p);
  return strtoull(p + strlen(key), NULL, 16);
}

static void no_op(int sig) { (void)sig; }

static void test_signal_state(void **state) {
  (void)state;
  /* the caller's state: SIGHUP ignored (nohup), SIGUSR2 blocked, SIGINT caught */
  struct sigaction ign, catch_, old_hup, old_int;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  catch_ = ign;
  catch_.sa_handler = no_op;   /* never called: nothing sends SIGINT */
  sigaction(SIGHUP, &ign, &old_hup);
  sigaction(SIGINT, &catch_, &old_int);
  sigset_t set, oldmask;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, &oldmask);
  char out[700];
  snprintf(out, sizeof out, "%s/status.txt", dir);
  fflush(stdout);
  int save_out = dup(1), fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fo, 1);
  close(fo);
  fz_run_result res;
  int rc = record(args("grep", "^Sig", "/proc/self/status", NULL), &res, NULL, NULL);
  dup2(save_out, 1);
  close(save_out);
  sigset_t after;
  sigprocmask(SIG_SETMASK, &oldmask, &after);
  struct sigaction now_hup, now_int;
  sigaction(SIGHUP, &old_hup, &now_hup);
  sigaction(SIGINT, &old_int, &now_int);
  assert_int_equal(rc, 0);
  assert_true(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
  char text[2000] = "";
  FILE *f = fopen(out, "r");
  assert_non_null(f);
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = 0;
  fclose(f);
  unsigned long long blk = proc_mask(text, "SigBlk:"), ig = proc_mask(text, "SigIgn:");
  assert_int_equal(blk, 1ull << (SIGUSR2 - 1));           /* the caller's mask, nothing more */
  assert_true(ig & (1ull << (SIGHUP - 1)));               /* ignored stays ignored */
  int dfl[] = {SIGINT, SIGTERM, SIGQUIT, SIGCHLD, SIGXFSZ, SIGPIPE};
  for (size_t i = 0; i < sizeof dfl / sizeof dfl[0]; i++)
    assert_false(ig & (1ull << (dfl[i] - 1)));
  /* the caller's own state is back */
  assert_true(sigismember(&after, SIGUSR2));
  assert_false(sigismember(&after, SIGINT) || sigismember(&after, SIGTERM));
  assert_true(now_hup.sa_handler == SIG_IGN);
  assert_true(now_int.sa_handler == catch_.sa_handler);
}

/* ---- sampling ------------------------------------------------------------------------- */

#define BURN "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"

static void check_samples(const fz_run_result *res, double user_ms, double sys_ms) {
  printf("# %llu samples (sum of periods %.1f ms) for %.1f ms user + %.1f ms system CPU "
         "time; %llu lost; %d processes\n", (unsigned long long)S.samples, S.period_sum / 1e6,
         user_ms, sys_ms, (unsigned long long)S.lost, S.npids);
  assert_false(S.overflow);
  assert_int_equal(res->samples, S.samples);
  assert_int_equal(res->lost, S.lost);
  assert_int_equal(S.lost, 0);
  assert_true(user_ms > 100);                     /* the burner burned */
  /* one sample per ms of user time (kernel time is not sampled: exclude_kernel) */
  assert_true((double)S.samples >= 0.5 * user_ms);
  assert_true((double)S.samples <= 1.5 * (user_ms + sys_ms) + 10);
  assert_int_equal(S.period_sum, S.samples * 1000000ull);
  assert_int_equal(S.no_regs, 0);
  assert_int_equal(S.no_stack, 0);
  assert_int_equal(S.ip_unmapped, 0);
  assert_int_equal(S.out_of_order, 0);
}

static void test_burner(void **state) {
  (void)state;
  fz_run_result res;
  double user_ms, sys_ms;
  assert_int_equal(sh(BURN, &res, &user_ms, &sys_ms), 0);
  sampling_allowed(&res);
  assert_true(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
  check_samples(&res, user_ms, sys_ms);
  assert_int_equal(S.npids, 1);
  assert_int_equal(S.pids[0], (uint32_t)res.pid);
  assert_int_equal(S.nexecs, 1);                  /* the exec of /bin/sh itself */
  assert_int_equal(S.exec_pid[0], (uint32_t)res.pid);
}

static void test_fork_exec(void **state) {
  (void)state;
  fz_run_result res;
  double user_ms, sys_ms;
  /* the parent burns, then runs a child shell that burns; `exit 4` keeps sh from exec'ing
   * the child in its own place */
  assert_int_equal(sh(BURN "; /bin/sh -c '" BURN "'; exit 4", &res, &user_ms, &sys_ms), 0);
  sampling_allowed(&res);
  assert_true(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 4);
  check_samples(&res, user_ms, sys_ms);
  assert_int_equal(S.npids, 2);
  uint32_t child = S.pids[0] == (uint32_t)res.pid ? S.pids[1] : S.pids[0];
  assert_true(S.pids[0] == (uint32_t)res.pid || S.pids[1] == (uint32_t)res.pid);
  for (int i = 0; i < 2; i++) assert_true(S.pid_samples[i] > 30);
  int forked = 0, execd = 0;
  for (int i = 0; i < S.nforks; i++)
    forked |= S.fork_child[i] == child && S.fork_parent[i] == (uint32_t)res.pid;
  for (int i = 0; i < S.nexecs; i++) execd |= S.exec_pid[i] == child;
  assert_true(forked);
  assert_true(execd);
}

/* two processes burning at once (on two CPUs where there are two): their samples come
 * from different rings, merged in time order; the forked one (no exec) shares the parent's
 * mappings */
static void test_concurrent(void **state) {
  (void)state;
  fz_run_result res;
  double user_ms, sys_ms;
  assert_int_equal(sh("(" BURN ") & " BURN "; wait", &res, &user_ms, &sys_ms), 0);
  sampling_allowed(&res);
  assert_true(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
  check_samples(&res, user_ms, sys_ms);
  assert_int_equal(S.npids, 2);
  for (int i = 0; i < 2; i++) assert_true(S.pid_samples[i] > 30);
  assert_int_equal(S.nexecs, 1);                  /* only /bin/sh's own */
}

/* threads: GNU sort with two threads on a file it generates first (10 MB of base64 lines);
 * samples of the second thread come with its own tid and the process's pid and mappings */
static void test_threads(void **state) {
  (void)state;
  char script[1400];
  snprintf(script, sizeof script, "head -c 8000000 /dev/zero | tr '\\0' x | fold -w 61 | "
           "awk '{ print (NR * 7919) %% 1000003, $0 }' > '%s/lines.txt' && "
           "exec sort --parallel=2 -S 100M -o /dev/null '%s/lines.txt'", dir, dir);
  fz_run_result res;
  double user_ms, sys_ms;
  assert_int_equal(sh(script, &res, &user_ms, &sys_ms), 0);
  sampling_allowed(&res);
  assert_true(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
  printf("# %llu samples, %llu of them from a thread other than the first\n",
         (unsigned long long)S.samples, (unsigned long long)S.other_tid);
  assert_true(S.other_tid > 0);
  assert_int_equal(S.no_regs, 0);
  assert_int_equal(S.ip_unmapped, 0);
  assert_int_equal(S.out_of_order, 0);
}

/* ---- signals sent to the recorder reach the program ---------------------------------- */

static void forwarded(const char *sig, int code) {
  char script[400];
  /* the program traps sig, then sends it to its parent (the recorder: this process); only
   * a forwarded signal ends the wait early with the trap's exit code */
  snprintf(script, sizeof script,
           "trap 'exit %d' %s; kill -s %s $PPID; i=0; "
           "while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; exit 9", code, sig, sig);
  fz_run_result res;
  assert_int_equal(sh(script, &res, NULL, NULL), 0);
  assert_true(WIFEXITED(res.status));
  assert_int_equal(WEXITSTATUS(res.status), code);
}

static void test_forward_signals(void **state) {
  (void)state;
  forwarded("TERM", 5);
  forwarded("INT", 6);
  forwarded("HUP", 7);
  /* the recorder's handlers are gone: this process's SIGTERM is back as it was */
  struct sigaction sa;
  sigaction(SIGTERM, NULL, &sa);
  assert_true(sa.sa_handler == SIG_DFL);
}

/* A signal the terminal sends (Ctrl-C: si_code SI_KERNEL) reaches the whole foreground
 * process group, the program included: the recorder does not send it a second time. Here a
 * thread of this process sends itself SIGTERM with si_code SI_KERNEL (allowed to oneself),
 * 300 ms later a plain one (SI_USER); the program counts the ones it gets: exactly 1. */
static char ready_path[700];
static void *send_two(void *arg) {
  (void)arg;
  for (int i = 0; i < 6000 && access(ready_path, F_OK) != 0; i++) sleep_ms(10);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = SIGTERM;
  si.si_code = SI_KERNEL;
  syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGTERM, &si);
  sleep_ms(300);
  kill(getpid(), SIGTERM);
  return NULL;
}

static void test_terminal_signal_once(void **state) {
  (void)state;
  snprintf(ready_path, sizeof ready_path, "%s/ready", dir);
  unlink(ready_path);
  char script[1200];
  snprintf(script, sizeof script,
           "n=0; trap 'n=$((n+1))' TERM; : > '%s'; i=0; "
           "while [ $n -eq 0 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; "
           "sleep 0.5; exit $((10 + n))", ready_path);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, send_two, NULL), 0);
  fz_run_result res;
  int rc = sh(script, &res, NULL, NULL);
  pthread_join(t, NULL);
  assert_int_equal(rc, 0);
  assert_true(WIFEXITED(res.status));
  assert_int_equal(WEXITSTATUS(res.status), 11);
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_wall(void **state) {
  (void)state;
  fz_run_result res;
  memset(&S, 0, sizeof S);
  fz_run_opts o = {.freq_hz = 1000, .wall = 1, .stack_bytes = 16384, .quiet = 1};
  uint64_t t0 = mono_ns();
  assert_int_equal(fz_run_exec(args("sleep", "0.4", NULL, NULL), &o, &sink, &res), 0);
  uint64_t wall = mono_ns() - t0;
  sampling_allowed(&res);
  print_message("# %llu off-CPU samples, %.1f ms in all (%llu with the previous stack) for a "
                "400 ms sleep; the run took %.1f ms\n", (unsigned long long)S.off,
                S.off_ns / 1e6, (unsigned long long)S.off_same, wall / 1e6);
  assert_true(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
  assert_int_equal(res.off_cpu_samples, S.off + S.runq);
  assert_true(S.off >= 100);                 /* ~1 per ms (the poller may be held up) */
  assert_true(S.off_ns >= 300000000);        /* the sleep, less the poll at each end */
  assert_true(S.off_ns <= wall);             /* never more than the run's time */
  assert_true(S.off_same >= S.off / 2);      /* a sleep: the same stack, mostly */
  assert_int_equal(S.off_bad, 0);
  assert_int_equal(S.out_of_order, 0);
  assert_int_equal(S.overflow, 0);
  /* without wall mode: no off-CPU sample */
  assert_int_equal(record(args("sleep", "0.1", NULL, NULL), &res, NULL, NULL), 0);
  assert_int_equal(S.off, 0);
  assert_int_equal(res.off_cpu_samples, 0);
}

static int setup(void **state) {
  (void)state;
  setup_dir("run_rec");
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_exit_status),
    cmocka_unit_test(test_cannot_run),
    cmocka_unit_test(test_stdio_untouched),
    cmocka_unit_test(test_signal_state),
    cmocka_unit_test(test_burner),
    cmocka_unit_test(test_fork_exec),
    cmocka_unit_test(test_concurrent),
    cmocka_unit_test(test_threads),
    cmocka_unit_test(test_forward_signals),
    cmocka_unit_test(test_terminal_signal_once),
    cmocka_unit_test(test_wall),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
