/* sig_prog.c: the program tests/test_signals.sh profiles with FATHOM_OUT (auto-start) and
 * ends with a signal, or crashes. It records zones, then does what MODE says; where the test
 * must send a signal at a given point it creates the file named by $SIG_READY (if set).
 *
 *   sig_prog sleep           ready, then sleep(30) inside a zone
 *   sig_prog read            ready, then a blocking read() of a pipe nobody writes
 *   sig_prog threads         two threads record zones; ready; main waits in pthread_join
 *   sig_prog atexit MS       returns from main; its own atexit handler says ready, then
 *                            takes MS ms; a destructor then takes 3 s more (so a signal sent
 *                            soon after ready always lands before the process is gone)
 *   sig_prog explicit        ready, then fathom_session_end(NULL), then sleep(30)
 *   sig_prog segv|abort|fpe|ill|bus|overflow   crashes inside the zones crash_outer;crash_inner
 *   sig_prog segv_thread     a second thread crashes (NULL store) while main sleeps
 *   sig_prog two_ends        two threads call fathom_session_end at once: exits 0 when one
 *                            ended it and the other returned FATHOM_E_STATE only once the
 *                            profile ($FATHOM_OUT) was there, else 5
 *   sig_prog paths N         (with any mode above as the next arguments) first records N
 *                            distinct call paths, so the session's end takes longer
 * Whatever should not happen exits 3 ("ran on"). */
#include <fathom.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile int sink_; /* keeps the work and the faults from being optimised away */

static void ready(void) {
  const char *p = getenv("SIG_READY");
  if (!p || !*p) return;
  int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd >= 0) close(fd);
}

static void work(int n) {
  for (int i = 0; i < n; i++) {
    FATHOM_ZONE("work", "sig");
    { FATHOM_ZONE("work_inner", "sig"); sink_ += i; }
  }
}

static void many_paths(int n) {
  char name[32];
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "path_%d", i);
    fathom_zone z = fathom_zone_begin(name, "sig");
    { FATHOM_ZONE("leaf", "sig"); sink_ += i; }
    fathom_zone_end(z);
  }
}

static int slow_ms;
static void slow_exit(void) {
  ready();
  usleep((useconds_t)slow_ms * 1000);
}
static int in_atexit_mode;
__attribute__((destructor)) static void tail_guard(void) {
  if (in_atexit_mode) sleep(3);
}

static void *spin(void *arg) {
  (void)arg;
  for (;;) {
    FATHOM_ZONE("worker", "sig");
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static volatile int depth_limit_ = 1 << 30; /* far past any stack */
static int overflow(int depth) {
  volatile char pad[512];
  pad[0] = (char)depth;
  return depth < depth_limit_ ? overflow(depth + 1) + pad[0] : 0;
}

static void crash(const char *how) {
  FATHOM_ZONE("crash_outer", "sig");
  FATHOM_ZONE("crash_inner", "sig");
  if (!strcmp(how, "segv")) {
    int *volatile null = NULL;
    *null = 1;
  } else if (!strcmp(how, "abort")) {
    abort();
  } else if (!strcmp(how, "fpe")) {
    volatile int num = 1000, zero = 0;
    sink_ = num / zero;
  } else if (!strcmp(how, "ill")) {
    __builtin_trap();
  } else if (!strcmp(how, "bus")) { /* a page of a file beyond its end */
    FILE *f = tmpfile();
    char *m = f ? mmap(NULL, 4096, PROT_READ, MAP_SHARED, fileno(f), 0) : MAP_FAILED;
    if (m != MAP_FAILED) sink_ = m[0];
  } else if (!strcmp(how, "overflow")) {
    sink_ = overflow(0);
  }
}

static pthread_barrier_t both_;
static int end_rc_[2], saw_file_[2];
static void *end_now(void *arg) {
  int i = (int)(intptr_t)arg;
  pthread_barrier_wait(&both_);
  end_rc_[i] = fathom_session_end(NULL);
  saw_file_[i] = access(getenv("FATHOM_OUT"), F_OK) == 0;
  return NULL;
}

static int two_ends(void) {
  pthread_t t;
  pthread_barrier_init(&both_, NULL, 2);
  pthread_create(&t, NULL, end_now, (void *)(intptr_t)1);
  end_now((void *)(intptr_t)0);
  pthread_join(t, NULL);
  int ok = end_rc_[0] + end_rc_[1] == FATHOM_E_STATE && saw_file_[0] && saw_file_[1];
  if (!ok) fprintf(stderr, "two_ends: rc %d %d, profile there %d %d\n", end_rc_[0], end_rc_[1],
                   saw_file_[0], saw_file_[1]);
  return ok ? 0 : 5;
}

static void *crash_thread(void *arg) {
  (void)arg;
  usleep(100 * 1000);
  crash("segv");
  return NULL;
}

int main(int argc, char **argv) {
  int a = 1;
  if (argc > a + 1 && !strcmp(argv[a], "paths")) {
    many_paths(atoi(argv[a + 1]));
    a += 2;
  }
  const char *mode = argc > a ? argv[a] : "";
  work(1000);
  if (!strcmp(mode, "sleep")) {
    FATHOM_ZONE("waiting", "sig");
    ready();
    sleep(30);
  } else if (!strcmp(mode, "read")) {
    FATHOM_ZONE("waiting", "sig");
    int fds[2];
    char c;
    if (pipe(fds) != 0) return 4;
    ready();
    if (read(fds[0], &c, 1) < 0) return 3;
  } else if (!strcmp(mode, "threads")) {
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, spin, NULL);
    usleep(50 * 1000);
    ready();
    pthread_join(t[0], NULL);
  } else if (!strcmp(mode, "atexit")) {
    slow_ms = argc > a + 1 ? atoi(argv[a + 1]) : 100;
    in_atexit_mode = 1;
    atexit(slow_exit);
    return 0;
  } else if (!strcmp(mode, "explicit")) {
    ready();
    fathom_session_end(NULL);
    sleep(30);
  } else if (!strcmp(mode, "two_ends")) {
    return two_ends();
  } else if (!strcmp(mode, "segv_thread")) {
    pthread_t t;
    pthread_create(&t, NULL, crash_thread, NULL);
    FATHOM_ZONE("waiting", "sig");
    sleep(30);
  } else if (*mode) {
    crash(mode);
  } else {
    fprintf(stderr, "usage: sig_prog [paths N] MODE [ARG]\n");
    return 2;
  }
  return 3;
}
