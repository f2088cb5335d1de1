/* test_probe.c: the per-thread resource probes (the context of probe/thread.c and its table
 * of probe kinds: probe/io.c, rss.c, rusage.c, perf.c) used on their own: the table (the
 * descriptions' order, each kind's slots, the masks a context returns), CPU time while
 * sleeping and spinning, syscall and storage bytes of a file written,
 * synced and read back, page faults and RSS of touched pages, voluntary context switches,
 * the perf group (hardware where the machine has counters; else the description says why,
 * and the software-event test seam exercises the same open/read/scale/close code), several
 * threads at once, fork, fd leaks, the fd budget and errno preservation. (The parsers and
 * the group decoder on made-up input: test_probe_parse.c.)
 *
 * Invariant: no assertion depends on speed. CPU figures are compared with the thread's own
 * CPU clock or bounded by generous ratios; worker threads never assert (they record, the
 * main thread checks). Every test leaves the seam at its default and closes what it opens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fathom.h"
#include "probe/probe.h"
#include "probe/kinds.h"
#include "probe/perf.h"

#define BIT(i) (1u << (i))
#define RUSAGE_BITS                                                                      \
  (BIT(FATHOM_RES_CPU_USER_NS) | BIT(FATHOM_RES_CPU_SYS_NS) | BIT(FATHOM_RES_CTX_VOL) |  \
   BIT(FATHOM_RES_CTX_INVOL) | BIT(FATHOM_RES_MINFLT) | BIT(FATHOM_RES_MAJFLT))
#define IO_BITS                                                                          \
  (BIT(FATHOM_RES_READ_BYTES) | BIT(FATHOM_RES_WRITE_BYTES) |                            \
   BIT(FATHOM_RES_DISK_READ_BYTES) | BIT(FATHOM_RES_DISK_WRITE_BYTES) |                  \
   BIT(FATHOM_RES_READ_OPS) | BIT(FATHOM_RES_WRITE_OPS))
#define PERF_BITS                                                                        \
  (BIT(FATHOM_RES_INSTRUCTIONS) | BIT(FATHOM_RES_CYCLES) | BIT(FATHOM_RES_CACHE_REFS) |  \
   BIT(FATHOM_RES_CACHE_MISSES) | BIT(FATHOM_RES_BRANCH_MISSES) | BIT(FATHOM_RES_FP_OPS))

/* ---- helpers ---------------------------------------------------------------------------- */

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static uint64_t wall_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
static uint64_t thread_cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) continue;
}

/* Burns ms of this thread's CPU time (not wall time: a loaded machine only stretches it). */
static void spin_cpu_ms(int ms) {
  uint64_t end = thread_cpu_ns() + (uint64_t)ms * 1000000u;
  volatile uint64_t x = 1;
  while (thread_cpu_ns() < end)
    for (int i = 0; i < 20000; i++) x = x * 6364136223846793005u + 1;
}

static int64_t d(const fz_pval *a, const fz_pval *b, int i) { return b->v[i] - a->v[i]; }
static int64_t cpu(const fz_pval *a, const fz_pval *b) {
  return d(a, b, FATHOM_RES_CPU_USER_NS) + d(a, b, FATHOM_RES_CPU_SYS_NS);
}

static int count_fds(void) {
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) return -1;
  int n = 0;
  while (readdir(dir)) n++;
  closedir(dir);
  return n;
}

static const char *tmp_dir(void) {
  const char *t = getenv("FATHOM_TEST_TMP");
  if (!t || !*t) t = "/tmp";
  mkdir(t, 0700);
  return t;
}

/* Whether the filesystem at path is one known to count page-cache writeback in the task's
 * write_bytes / read_bytes (local block filesystems; tmpfs and ramfs have no writeback). */
static int fs_accounts_storage(const char *path, long *type) {
  struct statfs sf;
  if (statfs(path, &sf) != 0) return 0;
  *type = (long)sf.f_type;
  return sf.f_type == 0xEF53 /* ext2/3/4 */ || sf.f_type == 0x58465342 /* xfs */ ||
         sf.f_type == (long)0x9123683E /* btrfs */;
}

/* The entry named name in a description, or NULL. */
static const fathom_probe_info *find_info(const fathom_probe_info *in, uint32_t n,
                                          const char *name) {
  for (uint32_t i = 0; i < n; i++)
    if (in[i].name && strcmp(in[i].name, name) == 0) return &in[i];
  return NULL;
}
static void free_infos(fathom_probe_info *in, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    free(in[i].name);
    free(in[i].detail);
  }
}

static int reset_seam(void **state) {
  (void)state;
  fz_perf_set_software(-1);
  unsetenv("FATHOM_PERF_SOFTWARE");
  return 0;
}
#define T(f) cmocka_unit_test_teardown(f, reset_seam)

/* ---- CPU --------------------------------------------------------------------------------- */

static void test_sleep_cpu_small(void **state) {
  (void)state;
  fz_probe_ctx *c = fz_probe_open(FATHOM_LEVEL_DETAILED);
  assert_non_null(c);
  fz_pval a, b;
  assert_int_equal(fz_probe_read(c, &a) & RUSAGE_BITS, RUSAGE_BITS);
  uint64_t w0 = wall_ns();
  sleep_ms(50);
  uint64_t wall = wall_ns() - w0;
  assert_int_equal(fz_probe_read(c, &b) & RUSAGE_BITS, RUSAGE_BITS);
  print_message("sleep 50 ms: cpu %lld ns, wall %llu ns\n", (long long)cpu(&a, &b),
                (unsigned long long)wall);
  assert_true(cpu(&a, &b) >= 0);
  assert_true((double)cpu(&a, &b) <= 0.2 * (double)wall);
  fz_probe_close(c);
}

static void test_spin_cpu_large(void **state) {
  (void)state;
  fz_probe_ctx *c = fz_probe_open(FATHOM_LEVEL_DETAILED);
  assert_non_null(c);
  fz_pval a, b;
  fz_probe_read(c, &a);
  uint64_t c0 = thread_cpu_ns(), w0 = wall_ns();
  spin_cpu_ms(50);
  uint64_t tcpu = thread_cpu_ns() - c0, wall = wall_ns() - w0;
  fz_probe_read(c, &b);
  print_message("spin 50 ms: probe cpu %lld ns (user %lld), thread clock %llu ns, wall %llu ns\n",
                (long long)cpu(&a, &b), (long long)d(&a, &b, FATHOM_RES_CPU_USER_NS),
                (unsigned long long)tcpu, (unsigned long long)wall);
  /* the probe agrees with the thread's CPU clock (same kernel sum, 1 us resolution) */
  assert_true((double)cpu(&a, &b) >= 0.5 * (double)tcpu);
  assert_true((double)cpu(&a, &b) <= 1.5 * (double)tcpu + 2e6);
  /* wall time only bounds it from above: a loaded machine stretches the spin */
  assert_true((double)cpu(&a, &b) <= 1.05 * (double)wall + 2e6);
  /* (no check on the user/system split: the kernel divides the exact total in proportion to
   * tick samples, and over 50 ms a loaded machine may sample none of them in user mode) */
  fz_probe_close(c);
}

/* ---- I/O ------------------------------------------------------------------------------------ */

static void test_write_read_bytes(void **state) {
  (void)state;
  enum { N = 1 << 20 };
  char path[512];
  const char *dir = tmp_dir();
  snprintf(path, sizeof path, "%s/probe-io-%d.bin", dir, (int)getpid());
  char *buf = malloc(N);
  assert_non_null(buf);
  memset(buf, 0x5a, N);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true(fd >= 0);
  long fstype = 0;
  int storage = fs_accounts_storage(path, &fstype);

  fz_probe_ctx *c = fz_probe_open(FATHOM_LEVEL_DETAILED);
  assert_non_null(c);
  fz_pval a, b, e, f;
  uint32_t m = fz_probe_read(c, &a);
  assert_int_equal(m & IO_BITS, IO_BITS);
  int64_t wcalls = 0, rcalls = 0;
  for (size_t done = 0; done < N; wcalls++) {
    ssize_t w = write(fd, buf + done, N - done > 4096 ? 4096 : N - done);
    assert_true(w > 0);
    done += (size_t)w;
  }
  assert_int_equal(fsync(fd), 0);
  m &= fz_probe_read(c, &b);
  assert_int_equal(m & IO_BITS, IO_BITS);
  print_message("write %d + fsync (fs type 0x%lx): wchar %lld, write_bytes %lld, rchar %lld\n",
                N, (unsigned long)fstype, (long long)d(&a, &b, FATHOM_RES_WRITE_BYTES),
                (long long)d(&a, &b, FATHOM_RES_DISK_WRITE_BYTES),
                (long long)d(&a, &b, FATHOM_RES_READ_BYTES));
  assert_int_equal(d(&a, &b, FATHOM_RES_WRITE_BYTES), N);
  assert_int_equal(d(&a, &b, FATHOM_RES_WRITE_OPS), wcalls);   /* each write call */
  /* the probes' own reads of /proc are not the program's reads */
  assert_int_equal(d(&a, &b, FATHOM_RES_READ_BYTES), 0);
  assert_int_equal(d(&a, &b, FATHOM_RES_READ_OPS), 0);
  if (storage) {
    /* write_bytes counts page-cache bytes dirtied (here exactly N at write time) plus the
     * filesystem's metadata the fsync wrote for the thread */
    assert_true(d(&a, &b, FATHOM_RES_DISK_WRITE_BYTES) >= N);
    assert_true(d(&a, &b, FATHOM_RES_DISK_WRITE_BYTES) <= N + N / 4);
  } else {
    print_message("filesystem 0x%lx is not known to account writeback: disk bytes not "
                  "checked\n", (unsigned long)fstype);
  }

  /* drop the clean pages so the read goes to storage, then read everything back */
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  fz_probe_read(c, &e);
  for (size_t done = 0; done < N; rcalls++) {
    ssize_t r = pread(fd, buf + done, N - done > 8192 ? 8192 : N - done, (off_t)done);
    assert_true(r > 0);
    done += (size_t)r;
  }
  fz_probe_read(c, &f);
  print_message("read back: rchar %lld, read_bytes %lld\n",
                (long long)d(&e, &f, FATHOM_RES_READ_BYTES),
                (long long)d(&e, &f, FATHOM_RES_DISK_READ_BYTES));
  assert_true(d(&e, &f, FATHOM_RES_READ_BYTES) >= N);
  assert_int_equal(d(&e, &f, FATHOM_RES_READ_BYTES), N);   /* exactly: own reads excluded */
  assert_int_equal(d(&e, &f, FATHOM_RES_READ_OPS), rcalls);  /* each read call, not ours */
  assert_int_equal(d(&e, &f, FATHOM_RES_WRITE_OPS), 0);
  assert_int_equal(d(&e, &f, FATHOM_RES_WRITE_BYTES), 0);
  if (storage) assert_true(d(&e, &f, FATHOM_RES_DISK_READ_BYTES) >= N / 2);
  fz_probe_close(c);
  close(fd);
  unlink(path);
  free(buf);
}

/* ---- memory ---------------------------------------------------------------------------------- */

static void test_faults_and_rss(void **state) {
  (void)state;
  enum { K = 4096 };
  long page = sysconf(_SC_PAGESIZE);
  size_t len = (size_t)K * (size_t)page;
  char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(mem != MAP_FAILED);
  (void)madvise(mem, len, MADV_NOHUGEPAGE);   /* one fault per page */
  fz_probe_ctx *c = fz_probe_open(FATHOM_LEVEL_DETAILED);
  assert_non_null(c);
  fz_pval a, b;
  uint32_t m = fz_probe_read(c, &a);
  for (size_t i = 0; i < len; i += (size_t)page) mem[i] = 1;
  m &= fz_probe_read(c, &b);
  assert_true(m & BIT(FATHOM_RES_RSS_DELTA_BYTES));
  assert_true(m & BIT(FATHOM_RES_MINFLT));
  int64_t rss = d(&a, &b, FATHOM_RES_RSS_DELTA_BYTES);
  print_message("%d pages touched: minflt %lld, majflt %lld, rss %+lld bytes (%lld pages)\n", K,
                (long long)d(&a, &b, FATHOM_RES_MINFLT), (long long)d(&a, &b, FATHOM_RES_MAJFLT),
                (long long)rss, (long long)(rss / page));
  assert_true(d(&a, &b, FATHOM_RES_MINFLT) >= K);
  assert_true(a.v[FATHOM_RES_RSS_DELTA_BYTES] > 0);   /* an absolute RSS */
  /* the kernel's RSS counters are per-CPU and read approximately: about K pages (TSan also
   * writes its shadow of each page: up to 4 times more) */
  const char *san = getenv("FATHOM_SANITIZE");
  int64_t most = (int64_t)len * (san && strcmp(san, "thread") == 0 ? 6 : 2);
  assert_true(rss >= (int64_t)len / 2);
  assert_true(rss <= most);
  fz_probe_close(c);
  munmap(mem, len);
}

static void test_voluntary_switches(void **state) {
  (void)state;
  fz_probe_ctx *c = fz_probe_open(FATHOM_LEVEL_DETAILED);
  assert_non_null(c);
  fz_pval a, b;
  fz_probe_read(c, &a);
  for (int i = 0; i < 5; i++) sleep_ms(1);
  fz_probe_read(c, &b);
  print_message("5 sleeps: voluntary %lld, involuntary %lld\n",
                (long long)d(&a, &b, FATHOM_RES_CTX_VOL), (long long)d(&a, &b, FATHOM_RES_CTX_INVOL));
  assert_true(d(&a, &b, FATHOM_RES_CTX_VOL) >= 5);
  assert_true(d(&a, &b, FATHOM_RES_CTX_INVOL) >= 0);
  fz_probe_close(c);
}

/* ---- descriptions and the hardware group ------------------------------------------------------ */

static void test_describe_detailed(void **state) {
  (void)state;
  fathom_probe_info in[8];
  assert_int_equal(fz_probe_describe(FATHOM_LEVEL_BASIC, in, 8), 0);
  uint32_t n = fz_probe_describe(FATHOM_LEVEL_DETAILED, in, 8);
  assert_int_equal(n, 4);
  const char *names[4] = {"rusage", "thread_io", "rss", "sockets"};
  for (int i = 0; i < 4; i++) {
    const fathom_probe_info *p = find_info(in, n, names[i]);
    assert_non_null(p);
    assert_non_null(p->detail);
    assert_true(strlen(p->detail) > 10);
    print_message("%s: %s: %s\n", p->name, p->available ? "available" : "unavailable", p->detail);
  }
  assert_true(find_info(in, n, "rusage")->available);
  assert_true(find_info(in, n, "rss")->available);
  assert_null(find_info(in, n, "perf_hw"));
  /* this test links the static library: no socket hooks, and the probe says how to get them */
  assert_false(find_info(in, n, "sockets")->available);
  assert_non_null(strstr(find_info(in, n, "sockets")->detail, "LD_PRELOAD=libfathom.so.0"));
  free_infos(in, n);
  /* cap is honoured; what does not fit is freed (ASan checks) */
  assert_int_equal(fz_probe_describe(FATHOM_LEVEL_COMPREHENSIVE, in, 2), 2);
  free_infos(in, 2);
}

/* The table of probe kinds: the descriptions come in the order profiles list them, each kind
 * fills its own slots (no two write the same index, so the table's order changes no value),
 * and a context's mask at a zone's begin and end is the union of what its level's kinds read. */
static void test_kinds_table(void **state) {
  (void)state;
  fz_perf_set_software(1);   /* the perf kind can open here too */
  fathom_probe_info in[8];
  const char *names[6] = {"rusage", "thread_io", "rss", "perf_hw", "perf_fp", "sockets"};
  const char *detailed[4] = {"rusage", "thread_io", "rss", "sockets"};
  uint32_t n = fz_probe_describe(FATHOM_LEVEL_DETAILED, in, 8);
  assert_int_equal(n, 4);
  for (uint32_t i = 0; i < n; i++) assert_string_equal(in[i].name, detailed[i]);
  int io_ok = in[1].available, rss_ok = in[2].available;
  free_infos(in, n);
  n = fz_probe_describe(FATHOM_LEVEL_COMPREHENSIVE, in, 8);
  assert_int_equal(n, 6);
  for (uint32_t i = 0; i < n; i++) assert_string_equal(in[i].name, names[i]);
  assert_true(in[3].available);
  free_infos(in, n);

  /* each kind on its own, on this thread */
  const fz_probe_kind *k[4] = {&fz_probe_io, &fz_probe_rss, &fz_probe_rusage, &fz_probe_perf};
  uint32_t own[4], all = 0;
  fz_probe_ctx *warm = fz_probe_open(FATHOM_LEVEL_DETAILED);   /* runs the kinds' init */
  assert_non_null(warm);
  for (int i = 0; i < 4; i++) {
    _Alignas(max_align_t) unsigned char st[512];
    assert_true(k[i]->state_size <= sizeof st);
    assert_true(k[i]->level >= FATHOM_LEVEL_DETAILED);
    memset(st, 0, sizeof st);
    void *sp = k[i]->state_size ? st : NULL;
    fz_pval a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int opened = k[i]->open(sp) != 0;
    own[i] = k[i]->read(sp, &a, 0);
    assert_int_equal(k[i]->read(sp, &b, 1), own[i]);
    k[i]->close(sp);
    if (!opened) assert_int_equal(own[i], 0);   /* open says whether it can read */
    for (int s = 0; s < FATHOM_RES_N; s++)   /* it writes only the slots of its mask */
      if (!(own[i] >> s & 1)) assert_true(a.v[s] == 0 && b.v[s] == 0);
    assert_int_equal(all & own[i], 0);       /* and no other kind's */
    all |= own[i];
  }
  fz_probe_close(warm);
  assert_int_equal(own[2], RUSAGE_BITS | BIT(FATHOM_RES_CPU_NS));
  assert_int_equal(own[3], PERF_BITS & ~BIT(FATHOM_RES_FP_OPS));
  assert_int_equal(own[0], io_ok ? IO_BITS : 0u);
  assert_int_equal(own[1], rss_ok ? BIT(FATHOM_RES_RSS_DELTA_BYTES) : 0u);

  /* a context reads the kinds of its level, at a zone's begin and at its end */
  for (int lv = FATHOM_LEVEL_DETAILED; lv <= FATHOM_LEVEL_COMPREHENSIVE; lv++) {
    uint32_t want = own[0] | own[1] | own[2] | (lv >= FATHOM_LEVEL_COMPREHENSIVE ? own[3] : 0);
    fz_probe_ctx *c = fz_probe_open(lv);
    assert_non_null(c);
    fz_pval a, b;
    assert_int_equal(fz_probe_read_at(c, &a, 0), want);
    assert_int_equal(fz_probe_read_at(c, &b, 1), want);
    assert_true(b.v[FATHOM_RES_CPU_NS] >= a.v[FATHOM_RES_CPU_NS]);
    fz_probe_close(c);
  }
}

static void test_perf_hardware(void **state) {
  (void)state;
  fz_perf_set_software(0);
  fathom_probe_info in[8];
  uint32_t n = fz_probe_describe(FATHOM_LEVEL_COMPREHENSIVE, in, 8);
  assert_int_equal(n, 6);   /* the sockets probe included */
  const fathom_probe_info *hw = find_info(in, n, "perf_hw"), *fp = find_info(in, n, "perf_fp");
  assert_non_null(hw);
  assert_non_null(fp);
  print_message("perf_hw: %s: %s\n", hw->available ? "available" : "unavailable", hw->detail);
  assert_false(fp->available);
  assert_string_equal(fp->detail, "not available: no portable floating-point event; declare "
                                  "FLOPs with fathom_flops_add");

  fz_probe_ctx *c = fz_probe_open(FATHOM_LEVEL_COMPREHENSIVE);
  assert_non_null(c);
  fz_pval a, b;
  uint32_t m = fz_probe_read(c, &a);
  spin_cpu_ms(5);
  m &= fz_probe_read(c, &b);
  assert_int_equal(m & RUSAGE_BITS, RUSAGE_BITS);
  assert_false(m & BIT(FATHOM_RES_FP_OPS));
  if (!hw->available) {
    /* this machine: no PMU, so the leader is refused and no counter is in the mask */
    assert_non_null(strstr(hw->detail, "not supported here: perf_event_open("
                                       "PERF_COUNT_HW_INSTRUCTIONS): "));
    if (strstr(hw->detail, "No such file or directory"))
      assert_non_null(strstr(hw->detail, "(this machine exposes no hardware counters)"));
    assert_int_equal(m & PERF_BITS, 0);
  } else {
    assert_true(m & BIT(FATHOM_RES_INSTRUCTIONS));
    assert_true(d(&a, &b, FATHOM_RES_INSTRUCTIONS) > 0);
    if (m & BIT(FATHOM_RES_CYCLES)) assert_true(d(&a, &b, FATHOM_RES_CYCLES) > 0);
  }
  fz_probe_close(c);
  /* DETAILED never opens the group */
  fz_perf_set_software(1);
  c = fz_probe_open(FATHOM_LEVEL_DETAILED);
  assert_int_equal(fz_probe_read(c, &a) & PERF_BITS, 0);
  fz_probe_close(c);
  free_infos(in, n);
}

/* ---- the software-event seam ---------------------------------------------------------------- */

static void test_perf_software_seam(void **state) {
  (void)state;
  enum { K = 256 };
  fz_perf_set_software(1);
  fathom_probe_info in[8];
  uint32_t n = fz_probe_describe(FATHOM_LEVEL_COMPREHENSIVE, in, 8);
  const fathom_probe_info *hw = find_info(in, n, "perf_hw");
  assert_non_null(hw);
  print_message("perf_hw (seam): %s\n", hw->detail);
  assert_true(hw->available);
  assert_non_null(strstr(hw->detail, "software test seam"));
  int kernel_counted = strstr(hw->detail, "user and kernel mode") != NULL;

  fz_probe_ctx *c = fz_probe_open(FATHOM_LEVEL_COMPREHENSIVE);
  assert_non_null(c);
  fz_pval a, b;
  uint32_t m = fz_probe_read(c, &a);
  const uint32_t slots = PERF_BITS & ~BIT(FATHOM_RES_FP_OPS);
  assert_int_equal(m & PERF_BITS, slots);
  long page = sysconf(_SC_PAGESIZE);
  char *mem = mmap(NULL, (size_t)K * (size_t)page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(mem != MAP_FAILED);
  (void)madvise(mem, (size_t)K * (size_t)page, MADV_NOHUGEPAGE);
  fz_probe_read(c, &a);
  uint64_t w0 = wall_ns();
  spin_cpu_ms(50);
  for (int i = 0; i < K; i++) mem[(size_t)i * (size_t)page] = 1;
  for (int i = 0; i < 3; i++) sleep_ms(1);
  uint64_t wall = wall_ns() - w0;
  m &= fz_probe_read(c, &b);
  assert_int_equal(m & PERF_BITS, slots);
  int64_t task_clock = d(&a, &b, FATHOM_RES_INSTRUCTIONS), cpu_clock = d(&a, &b, FATHOM_RES_CYCLES);
  print_message("seam: task-clock %lld ns, cpu-clock %lld ns, rusage cpu %lld ns, faults %lld, "
                "minor %lld, switches %lld\n", (long long)task_clock, (long long)cpu_clock,
                (long long)cpu(&a, &b), (long long)d(&a, &b, FATHOM_RES_CACHE_REFS),
                (long long)d(&a, &b, FATHOM_RES_CACHE_MISSES),
                (long long)d(&a, &b, FATHOM_RES_BRANCH_MISSES));
  /* The two clocks count the thread's time on a CPU, as does its rusage CPU (1 us steps), but
   * not on the same clock: on a virtual machine the perf clocks also count time the host
   * took the CPU away, which the scheduler's CPU time leaves out (seen here under load: 1.7x).
   * So: at least the CPU time, at most the elapsed time of the interval. */
  assert_true((double)task_clock >= 0.8 * (double)cpu(&a, &b) - 2e6);
  assert_true((double)task_clock <= 1.02 * (double)wall + 2e6);
  assert_true((double)cpu_clock >= 0.8 * (double)cpu(&a, &b) - 2e6);
  assert_true((double)cpu_clock <= 1.02 * (double)wall + 2e6);
  assert_true(d(&a, &b, FATHOM_RES_CACHE_REFS) >= K);
  assert_true(d(&a, &b, FATHOM_RES_CACHE_MISSES) >= K);
  assert_true(d(&a, &b, FATHOM_RES_BRANCH_MISSES) >= (kernel_counted ? 3 : 0));

  /* monotone: every value of every read is >= the previous one */
  fz_pval prev = b, cur;
  for (int r = 0; r < 200; r++) {
    uint32_t mr = fz_probe_read(c, &cur);
    assert_int_equal(mr & slots, slots);
    /* user is the exact total minus the kernel's tick-sampled system part: only the total
     * is monotone */
    for (int i = 0; i < FATHOM_RES_N; i++)
      if ((mr >> i & 1) && i != FATHOM_RES_RSS_DELTA_BYTES && i != FATHOM_RES_CPU_USER_NS)
        assert_true(cur.v[i] >= prev.v[i]);
    assert_true(cur.v[FATHOM_RES_CPU_USER_NS] + cur.v[FATHOM_RES_CPU_SYS_NS] >=
                prev.v[FATHOM_RES_CPU_USER_NS] + prev.v[FATHOM_RES_CPU_SYS_NS]);
    if (r % 50 == 0) mem[(size_t)(r % K) * (size_t)page] = 2;
    prev = cur;
  }
  fz_probe_close(c);
  munmap(mem, (size_t)K * (size_t)page);
  free_infos(in, n);

  /* the environment variable turns the seam on when the mode follows it */
  fz_perf_set_software(-1);
  setenv("FATHOM_PERF_SOFTWARE", "1", 1);
  c = fz_probe_open(FATHOM_LEVEL_COMPREHENSIVE);
  assert_int_equal(fz_probe_read(c, &a) & PERF_BITS, slots);
  fz_probe_close(c);
}

/* The decoder on synthetic group reads: multiplexing scaling, monotone clamp, unscheduled
 * groups, truncated or oversized buffers, unknown ids, events matched by position. */
/* ---- several threads ------------------------------------------------------------------------- */

enum { NT = 4 };

typedef struct worker {
  int idx;
  pthread_barrier_t *bar;
  uint32_t mask;
  int opened;
  fz_pval a, b;
  uint64_t tcpu, wall;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  pthread_barrier_wait(w->bar);   /* all open at once */
  fz_probe_ctx *c = fz_probe_open(FATHOM_LEVEL_COMPREHENSIVE);
  w->opened = c != NULL;
  if (!c) return NULL;
  int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  char buf[1000];
  memset(buf, 1, sizeof buf);
  w->mask = fz_probe_read(c, &w->a);
  uint64_t w0 = wall_ns(), c0 = thread_cpu_ns();
  for (int i = 0; i <= w->idx; i++)
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) w->mask = 0;
  spin_cpu_ms(10 * (w->idx + 1));
  w->tcpu = thread_cpu_ns() - c0;
  w->mask &= fz_probe_read(c, &w->b);
  w->wall = wall_ns() - w0;
  close(fd);
  fz_probe_close(c);
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  fz_perf_set_software(1);
  pthread_barrier_t bar;
  pthread_barrier_init(&bar, NULL, NT);
  pthread_t th[NT];
  worker w[NT];
  memset(w, 0, sizeof w);
  for (int i = 0; i < NT; i++) {
    w[i].idx = i;
    w[i].bar = &bar;
    assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
  }
  for (int i = 0; i < NT; i++) pthread_join(th[i], NULL);
  pthread_barrier_destroy(&bar);
  for (int i = 0; i < NT; i++) {
    fz_pval *a = &w[i].a, *b = &w[i].b;
    print_message("thread %d: wchar %lld, cpu %lld ns (clock %llu), task-clock %lld ns\n", i,
                  (long long)d(a, b, FATHOM_RES_WRITE_BYTES), (long long)cpu(a, b),
                  (unsigned long long)w[i].tcpu, (long long)d(a, b, FATHOM_RES_INSTRUCTIONS));
    assert_true(w[i].opened);
    assert_int_equal(w[i].mask & (RUSAGE_BITS | IO_BITS), RUSAGE_BITS | IO_BITS);
    assert_true(w[i].mask & BIT(FATHOM_RES_INSTRUCTIONS));
    /* each thread sees its own writes only, exactly */
    assert_int_equal(d(a, b, FATHOM_RES_WRITE_BYTES), 1000 * (i + 1));
    assert_true((double)cpu(a, b) >= 0.5 * (double)w[i].tcpu);
    assert_true((double)cpu(a, b) <= 1.5 * (double)w[i].tcpu + 2e6);
    /* the thread's own task clock: at least its CPU time, at most its elapsed time (the
     * perf clock may count time the host took; see test_perf_software_seam). Counting the
     * other threads too would pass the elapsed time: four threads share two CPUs. */
    assert_true((double)d(a, b, FATHOM_RES_INSTRUCTIONS) >= 0.8 * (double)cpu(a, b) - 2e6);
    assert_true((double)d(a, b, FATHOM_RES_INSTRUCTIONS) <= 1.02 * (double)w[i].wall + 2e6);
  }
}

/* ---- fork --------------------------------------------------------------------------------------- */

static void test_fork(void **state) {
  (void)state;
  fz_perf_set_software(1);
  fz_probe_ctx *c = fz_probe_open(FATHOM_LEVEL_COMPREHENSIVE);
  assert_non_null(c);
  fz_pval a, b;
  fz_probe_read(c, &a);
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  assert_true(null >= 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* the child's context reopens its files: its own thread's counts, not the parent's */
    char buf[300] = {0};
    fz_pval x, y;
    uint32_t m = fz_probe_read(c, &x);
    if (write(null, buf, sizeof buf) != (ssize_t)sizeof buf) _exit(2);
    m &= fz_probe_read(c, &y);
    if ((m & IO_BITS) != IO_BITS) _exit(3);
    if (y.v[FATHOM_RES_WRITE_BYTES] - x.v[FATHOM_RES_WRITE_BYTES] != 300) _exit(4);
    if (x.v[FATHOM_RES_WRITE_BYTES] != 0) _exit(5);   /* the child's I/O counts start at 0 */
    if (y.v[FATHOM_RES_READ_BYTES] != 0) _exit(6);    /* and its probe reads are not counted */
    if (y.v[FATHOM_RES_READ_OPS] != 0) _exit(8);
    if (y.v[FATHOM_RES_WRITE_OPS] - x.v[FATHOM_RES_WRITE_OPS] != 1) _exit(9);
    if (!(m & BIT(FATHOM_RES_INSTRUCTIONS))) _exit(7);
    fz_probe_close(c);
    _exit(0);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  char buf[200] = {0};
  assert_int_equal(write(null, buf, sizeof buf), (ssize_t)sizeof buf);
  assert_int_equal(fz_probe_read(c, &b) & IO_BITS, IO_BITS);
  assert_int_equal(d(&a, &b, FATHOM_RES_WRITE_BYTES), 200);   /* the parent is unaffected */
  close(null);
  fz_probe_close(c);
}

/* ---- fds, budget, errno ------------------------------------------------------------------------ */

static void test_no_fd_leak(void **state) {
  (void)state;
  for (int seam = 0; seam < 2; seam++) {
    fz_perf_set_software(seam);
    fz_pval v;
    fz_probe_ctx *c = fz_probe_open(FATHOM_LEVEL_COMPREHENSIVE);   /* opens the statm fd */
    fz_probe_read(c, &v);
    fz_probe_close(c);
    int before = count_fds();
    for (int i = 0; i < 200; i++) {
      c = fz_probe_open(i % 2 ? FATHOM_LEVEL_DETAILED : FATHOM_LEVEL_COMPREHENSIVE);
      assert_non_null(c);
      assert_true(fz_probe_read(c, &v) != 0);
      fz_probe_close(c);
    }
    fathom_probe_info in[8];
    uint32_t n = fz_probe_describe(FATHOM_LEVEL_COMPREHENSIVE, in, 8);
    free_infos(in, n);
    assert_int_equal(count_fds(), before);
  }
  fz_probe_close(NULL);
  assert_null(fz_probe_open(FATHOM_LEVEL_BASIC));
  assert_null(fz_probe_open(FATHOM_LEVEL_DISABLED));
}

static void test_fd_budget(void **state) {
  (void)state;
  enum { M = 24 };
  fz_perf_set_software(0);
  struct rlimit old, low;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
  int before = count_fds();
  low = old;
  low.rlim_cur = (rlim_t)(before + 40);   /* budget: a quarter of it */
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
  fz_probe_ctx *c[M];
  int with_io = 0;
  for (int i = 0; i < M; i++) {
    fz_pval v;
    c[i] = fz_probe_open(FATHOM_LEVEL_DETAILED);
    assert_non_null(c[i]);   /* getrusage needs no fd: the context still opens */
    uint32_t m = fz_probe_read(c[i], &v);
    assert_int_equal(m & RUSAGE_BITS, RUSAGE_BITS);
    with_io += (m & IO_BITS) == IO_BITS;
  }
  int held = count_fds() - before;
  fathom_probe_info in[8];
  uint32_t n = fz_probe_describe(FATHOM_LEVEL_DETAILED, in, 8);
  const fathom_probe_info *io = find_info(in, n, "thread_io");
  assert_non_null(io);
  print_message("rlimit %llu: %d of %d contexts got their io file, %d fds held; %s\n",
                (unsigned long long)low.rlim_cur, with_io, M, held, io->detail);
  assert_true(held <= (int)(low.rlim_cur / 4));
  assert_true(with_io < M);
  assert_non_null(strstr(io->detail, "budget"));
  free_infos(in, n);
  for (int i = 0; i < M; i++) fz_probe_close(c[i]);
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
  assert_int_equal(count_fds(), before);
}

static void test_errno_preserved(void **state) {
  (void)state;
  fz_pval v;
  fathom_probe_info in[8];
  for (int seam = 0; seam < 2; seam++) {
    fz_perf_set_software(seam);
    errno = EDOM;
    fz_probe_ctx *c = fz_probe_open(FATHOM_LEVEL_COMPREHENSIVE);
    assert_int_equal(errno, EDOM);
    errno = ERANGE;
    (void)fz_probe_read(c, &v);
    assert_int_equal(errno, ERANGE);
    errno = EILSEQ;
    uint32_t n = fz_probe_describe(FATHOM_LEVEL_COMPREHENSIVE, in, 8);
    assert_int_equal(errno, EILSEQ);
    free_infos(in, n);
    errno = EDOM;
    fz_probe_close(c);
    assert_int_equal(errno, EDOM);
    fz_perf_group g;
    errno = ERANGE;
    (void)fz_perf_open(&g);
    assert_int_equal(errno, ERANGE);
    fz_perf_close(&g);
    assert_int_equal(errno, ERANGE);
  }
  errno = EDOM;
  assert_int_equal(fz_probe_read(NULL, &v), 0);
  fz_probe_close(NULL);
  assert_null(fz_probe_open(FATHOM_LEVEL_BASIC));
  assert_int_equal(errno, EDOM);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_sleep_cpu_small),     T(test_spin_cpu_large),     T(test_write_read_bytes),
      T(test_faults_and_rss),      T(test_voluntary_switches), T(test_describe_detailed),
      T(test_kinds_table),
      T(test_perf_hardware),       T(test_perf_software_seam), T(test_threads),
      T(test_fork),                T(test_no_fd_leak),         T(test_fd_budget),
      T(test_errno_preserved),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
