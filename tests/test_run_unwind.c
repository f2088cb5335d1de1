/* test_run_unwind.c: `fathom run`'s unwinder (src/run/unwind.c) on this test process's own
 * stack, whose truth the test knows: a chain of functions a -> b -> c, one chain built
 * without frame pointers and one with, captures its registers in c (inline asm, in DWARF
 * order, the ip being the capture's own address) and copies the stack above them; the
 * unwinder, fed this process's executable mappings from /proc/self/maps, must give c, b, a,
 * the test function, then (through libcmocka) main, with c's file and line being the
 * capture's. An always-inline helper doing the capture must come out as its own frame with
 * the function it is inlined into after it, at the call's line. Then the bad cases: a stack
 * copy cut inside b, garbage registers and stack, no registers, an address in no mapping, a
 * forked and an exec'd process, a mapping replaced by another; the [vdso]'s functions; and
 * this test's executable stripped (objcopy): the same stack, names from the symbol table
 * without lines, or no names at all.
 *
 * Invariant: the chain functions are noipa (no inlining, cloning or tail calls into them)
 * and do work after their call, so each call leaves a real frame; every line number checked
 * is taken with __LINE__ on the line of the statement itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/run.h"

#define NOFP __attribute__((noipa, optimize("omit-frame-pointer")))
#define WITHFP __attribute__((noipa, optimize("no-omit-frame-pointer")))
#define STACK_BYTES 16384

/* ---- the captured sample ---------------------------------------------------------------- */

static uint64_t g_regs[FZ_RUN_NREGS];
static uint8_t g_stack[STACK_BYTES];
static uint64_t g_stack_size, g_stack_top;
static int g_cap_line, g_call_line, g_b_line;
static uintptr_t g_mark_b;   /* a local of b: everything below it is c's and b's frames */

/* The registers at the asm's first instruction, in DWARF order; rip is that instruction. */
#define CAPTURE(r)                                                                           \
  __asm__ volatile("1:\n\t"                                                                  \
                   "movq %%rax, 0(%0)\n\tmovq %%rdx, 8(%0)\n\tmovq %%rcx, 16(%0)\n\t"        \
                   "movq %%rbx, 24(%0)\n\tmovq %%rsi, 32(%0)\n\tmovq %%rdi, 40(%0)\n\t"      \
                   "movq %%rbp, 48(%0)\n\tmovq %%rsp, 56(%0)\n\tmovq %%r8, 64(%0)\n\t"       \
                   "movq %%r9, 72(%0)\n\tmovq %%r10, 80(%0)\n\tmovq %%r11, 88(%0)\n\t"       \
                   "movq %%r12, 96(%0)\n\tmovq %%r13, 104(%0)\n\tmovq %%r14, 112(%0)\n\t"    \
                   "movq %%r15, 120(%0)\n\tleaq 1b(%%rip), %%rax\n\tmovq %%rax, 128(%0)\n\t" \
                   :                                                                         \
                   : "r"(r)                                                                  \
                   : "rax", "memory")

/* Copies the stack from the captured rsp upward (as the kernel would for a sample): word by
 * word, unchecked by AddressSanitizer (other frames' red zones are read too). */
__attribute__((noinline, no_sanitize_address)) static void take_stack(void) {
  uint64_t sp = g_regs[7];
  g_stack_size = g_stack_top > sp ? g_stack_top - sp : 0;
  if (g_stack_size > STACK_BYTES) g_stack_size = STACK_BYTES;
  g_stack_size &= ~(uint64_t)7;
  const volatile uint64_t *from = (const volatile uint64_t *)(uintptr_t)sp;
  for (uint64_t i = 0; i < g_stack_size / 8; i++) {
    uint64_t w = from[i];
    memcpy(g_stack + 8 * i, &w, 8);
  }
}

NOFP static int c_nofp(int x) {
  CAPTURE(g_regs); g_cap_line = __LINE__;
  take_stack();
  return x + 1;
}
NOFP static int b_nofp(int x) {
  volatile char mark = 1;
  g_mark_b = (uintptr_t)&mark;
  int r; g_b_line = __LINE__; r = c_nofp(x + mark);
  return r + 1;
}
NOFP static int a_nofp(int x) { return b_nofp(x) + 1; }

WITHFP static int c_fp(int x) {
  CAPTURE(g_regs); g_cap_line = __LINE__;
  take_stack();
  return x + 1;
}
WITHFP static int b_fp(int x) { return c_fp(x) + 1; }
WITHFP static int a_fp(int x) { return b_fp(x) + 1; }

static inline __attribute__((always_inline)) int inl_helper(int x) {
  CAPTURE(g_regs); g_cap_line = __LINE__;
  take_stack();
  return x * 2;
}
NOFP static int c_inl(int x) {
  int r; g_call_line = __LINE__; r = inl_helper(x);
  return r + 1;
}
NOFP static int b_inl(int x) { return c_inl(x) + 1; }
NOFP static int a_inl(int x) { return b_inl(x) + 1; }

/* ---- the unwinder fed with this process ------------------------------------------------- */

static char g_swap_from[4096], g_swap_to[4096];   /* a file to name in place of another */

/* A new unwinder holding pid's executable mappings from /proc/self/maps. */
static fz_unwinder *self_unwinder(uint32_t pid) {
  fz_unwinder *u = fz_unwinder_new();
  assert_non_null(u);
  FILE *f = fopen("/proc/self/maps", "r");
  assert_non_null(f);
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    uint64_t lo, hi, off;
    char perms[8];
    int pathpos = 0;
    if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &lo, &hi, perms, &off,
               &pathpos) < 4)
      continue;
    char *path = line + pathpos;
    path[strcspn(path, "\n")] = 0;
    if (perms[2] != 'x') continue;
    if (g_swap_from[0] && strcmp(path, g_swap_from) == 0) path = g_swap_to;
    fz_run_mmap m = {pid, lo, hi - lo, off, path[0] ? path : "[anon]"};
    fz_unwinder_mmap(u, &m);
  }
  fclose(f);
  return u;
}

/* The end of the main thread's stack (before any capture). */
static void find_stack_top(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[4096];
  uint64_t lo, hi;
  while (f && fgets(line, sizeof line, f))
    if (strstr(line, "[stack]") && sscanf(line, "%" SCNx64 "-%" SCNx64, &lo, &hi) == 2)
      g_stack_top = hi;
  if (f) fclose(f);
}

static fz_run_sample captured(uint32_t pid) {
  fz_run_sample s;
  memset(&s, 0, sizeof s);
  s.pid = s.tid = pid;
  memcpy(s.regs, g_regs, sizeof s.regs);
  s.regs_ok = 1;
  s.stack = g_stack;
  s.stack_size = g_stack_size;
  return s;
}

/* The outermost (real) function at pcs[i]; NULL when unknown. */
static const char *func_at(fz_unwinder *u, uint32_t pid, const uint64_t *pcs, int i,
                           fz_frame_name *first) {
  fz_frame_name out[16];
  int n = fz_unwinder_name(u, pid, pcs[i], i > 0, out, 16);
  assert_true(n >= 1 && n <= 16);
  if (first) *first = out[0];
  return out[n - 1].func;
}

static int ends_with(const char *s, const char *tail) {
  size_t a = s ? strlen(s) : 0, b = strlen(tail);
  return s && a >= b && strcmp(s + a - b, tail) == 0;
}

/* c, b, a, the test function, ..., main: names and c's line. */
static void check_chain(fz_unwinder *u, uint32_t pid, const char *c, const char *b,
                        const char *a, const char *test) {
  fz_run_sample s = captured(pid);
  uint64_t pcs[128];
  int n = fz_unwind(u, &s, pcs, 128);
  assert_true(n >= 5);
  assert_int_equal(pcs[0], g_regs[16]);
  fz_frame_name f0;
  assert_string_equal(func_at(u, pid, pcs, 0, &f0), c);
  assert_true(ends_with(f0.file, "test_run_unwind.c"));
  assert_int_equal(f0.line, g_cap_line);
  assert_string_equal(f0.module, "test_run_unwind");
  assert_string_equal(func_at(u, pid, pcs, 1, NULL), b);
  assert_string_equal(func_at(u, pid, pcs, 2, NULL), a);
  assert_string_equal(func_at(u, pid, pcs, 3, NULL), test);
  int main_at = -1, in_cmocka = 0;
  for (int i = 4; i < n && main_at < 0; i++) {
    fz_frame_name fi;
    const char *name = func_at(u, pid, pcs, i, &fi);
    if (name && strcmp(name, "main") == 0) main_at = i;
    if (strstr(fi.module, "libcmocka")) in_cmocka++;
  }
  assert_true(main_at > 4);   /* through cmocka's frames to main */
  assert_true(in_cmocka > 0);
}

static void test_no_frame_pointers(void **state) {
  (void)state;
  assert_int_equal(a_nofp(1), 5);
  fz_unwinder *u = self_unwinder(100);
  check_chain(u, 100, "c_nofp", "b_nofp", "a_nofp", "test_no_frame_pointers");
  /* b's frame is at the call's line */
  fz_run_sample s = captured(100);
  uint64_t pcs[8];
  assert_int_equal(fz_unwind(u, &s, pcs, 8), 8);
  fz_frame_name fb[4];
  assert_int_equal(fz_unwinder_name(u, 100, pcs[1], 1, fb, 4), 1);
  assert_int_equal(fb[0].line, g_b_line);
  /* names come from the cache the second time: the same strings */
  fz_frame_name again[4];
  assert_int_equal(fz_unwinder_name(u, 100, pcs[1], 1, again, 4), 1);
  assert_ptr_equal(again[0].func, fb[0].func);
  assert_ptr_equal(again[0].file, fb[0].file);
  fz_unwinder_free(u);
}

static void test_frame_pointers(void **state) {
  (void)state;
  assert_int_equal(a_fp(1), 4);
  fz_unwinder *u = self_unwinder(101);
  check_chain(u, 101, "c_fp", "b_fp", "a_fp", "test_frame_pointers");
  fz_unwinder_free(u);
}

static void test_inlined(void **state) {
  (void)state;
  assert_int_equal(a_inl(1), 5);
  fz_unwinder *u = self_unwinder(102);
  fz_run_sample s = captured(102);
  uint64_t pcs[64];
  int n = fz_unwind(u, &s, pcs, 64);
  assert_true(n >= 4);
  fz_frame_name out[8];
  assert_int_equal(fz_unwinder_name(u, 102, pcs[0], 0, out, 8), 2);
  assert_string_equal(out[0].func, "inl_helper");
  assert_int_equal(out[0].line, g_cap_line);
  assert_true(ends_with(out[0].file, "test_run_unwind.c"));
  assert_string_equal(out[1].func, "c_inl");
  assert_int_equal(out[1].line, g_call_line);
  assert_true(ends_with(out[1].file, "test_run_unwind.c"));
  /* one entry left: the outermost function */
  assert_int_equal(fz_unwinder_name(u, 102, pcs[0], 0, out, 1), 1);
  assert_string_equal(out[0].func, "c_inl");
  assert_string_equal(func_at(u, 102, pcs, 1, NULL), "b_inl");
  assert_string_equal(func_at(u, 102, pcs, 2, NULL), "a_inl");
  assert_string_equal(func_at(u, 102, pcs, 3, NULL), "test_inlined");
  fz_unwinder_free(u);
}

static void test_cut_stack(void **state) {
  (void)state;
  assert_int_equal(a_nofp(1), 5);
  fz_unwinder *u = self_unwinder(103);
  fz_run_sample s = captured(103);
  assert_true(g_mark_b > s.regs[7] && g_mark_b - s.regs[7] < s.stack_size);
  s.stack_size = g_mark_b - s.regs[7];   /* c's frame and the bottom of b's */
  uint64_t pcs[64];
  assert_int_equal(fz_unwind(u, &s, pcs, 64), 2);
  assert_string_equal(func_at(u, 103, pcs, 0, NULL), "c_nofp");
  assert_string_equal(func_at(u, 103, pcs, 1, NULL), "b_nofp");
  s.stack_size = 0;
  assert_int_equal(fz_unwind(u, &s, pcs, 64), 1);
  s.stack = NULL;
  s.stack_size = 1u << 30;   /* a size with no copy behind it */
  assert_int_equal(fz_unwind(u, &s, pcs, 64), 1);
  fz_unwinder_free(u);
}

static void test_garbage(void **state) {
  (void)state;
  assert_int_equal(a_nofp(1), 5);
  fz_unwinder *u = self_unwinder(104);
  uint8_t junk[4096];
  memset(junk, 0x41, sizeof junk);
  fz_run_sample s = captured(104);
  s.stack = junk;
  s.stack_size = sizeof junk;
  uint64_t pcs[64];
  /* a real ip over a stack of junk: the ip alone */
  assert_int_equal(fz_unwind(u, &s, pcs, 64), 1);
  assert_int_equal(pcs[0], g_regs[16]);
  /* every register junk */
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < FZ_RUN_NREGS; i++) s.regs[i] = (x = x * 6364136223846793005ull + 1);
  assert_int_equal(fz_unwind(u, &s, pcs, 64), 1);
  fz_frame_name out[4];
  assert_int_equal(fz_unwinder_name(u, 104, pcs[0], 0, out, 4), 1);
  assert_null(out[0].func);
  assert_null(out[0].file);
  assert_non_null(out[0].module);
  /* a real ip, the stack pointer anywhere (the copy still says what lies there) */
  s = captured(104);
  s.regs[7] = 0x10;
  int n = fz_unwind(u, &s, pcs, 64);
  assert_true(n >= 1 && n <= 64);
  s.regs[7] = UINT64_MAX - 4;
  assert_int_equal(fz_unwind(u, &s, pcs, 64), 1);
  /* no registers: nothing */
  s.regs_ok = 0;
  assert_int_equal(fz_unwind(u, &s, pcs, 64), 0);
  /* an address in no mapping, a process never seen */
  assert_int_equal(fz_unwinder_name(u, 104, 0x10, 0, out, 4), 1);
  assert_null(out[0].func);
  assert_int_equal(fz_unwinder_name(u, 999999, g_regs[16], 0, out, 4), 1);
  assert_null(out[0].func);
  s = captured(999999);
  assert_int_equal(fz_unwind(u, &s, pcs, 64), 1);
  fz_unwinder_free(u);
}

static void test_fork_exec_replace(void **state) {
  (void)state;
  assert_int_equal(a_nofp(1), 5);
  fz_unwinder *u = self_unwinder(105);
  uint64_t pcs[64], child[64];
  fz_run_sample s = captured(105);
  int n = fz_unwind(u, &s, pcs, 64);
  assert_true(n >= 5);
  /* a mapping added elsewhere, then one laid over it: the same stack */
  fz_run_mmap other = {105, 0x10000, 0x2000, 0, "/nonexistent/other.so"};
  fz_unwinder_mmap(u, &other);
  assert_int_equal(fz_unwind(u, &s, child, 64), n);
  assert_memory_equal(child, pcs, (size_t)n * sizeof *pcs);
  other.start = 0x11000;
  fz_unwinder_mmap(u, &other);
  assert_int_equal(fz_unwind(u, &s, child, 64), n);
  assert_memory_equal(child, pcs, (size_t)n * sizeof *pcs);
  fz_frame_name out[4];
  assert_int_equal(fz_unwinder_name(u, 105, 0x10800, 0, out, 4), 1);
  assert_string_equal(out[0].module, "other.so");
  assert_int_equal(out[0].module_off, 0x800);
  assert_int_equal(fz_unwinder_name(u, 105, 0x11800, 0, out, 4), 1);
  assert_int_equal(out[0].module_off, 0x800);
  /* the child has the parent's map */
  fz_unwinder_fork(u, 106, 105);
  s = captured(106);
  assert_int_equal(fz_unwind(u, &s, child, 64), n);
  assert_memory_equal(child, pcs, (size_t)n * sizeof *pcs);
  assert_string_equal(func_at(u, 106, child, 1, NULL), "b_nofp");
  /* after exec it has none */
  fz_unwinder_exec(u, 106);
  assert_int_equal(fz_unwind(u, &s, child, 64), 1);
  assert_int_equal(fz_unwinder_name(u, 106, child[0], 0, out, 4), 1);
  assert_null(out[0].func);
  /* the parent's map is untouched; then a mapping laid over its code replaces it */
  assert_string_equal(func_at(u, 105, pcs, 0, NULL), "c_nofp");
  fz_run_mmap m = {105, (pcs[0] & ~(uint64_t)0xfff) - 0x1000, 0x3000, 0, "/nonexistent/lib.so"};
  fz_unwinder_mmap(u, &m);
  assert_int_equal(fz_unwinder_name(u, 105, pcs[0], 0, out, 4), 1);
  assert_null(out[0].func);
  assert_string_equal(out[0].module, "lib.so");
  assert_int_equal(out[0].module_off, pcs[0] - m.start);
  s = captured(105);
  assert_int_equal(fz_unwind(u, &s, child, 64), 1);
  /* b, in the same file outside the replaced range, still has its name */
  if (pcs[1] < m.start || pcs[1] >= m.start + m.len)
    assert_string_equal(func_at(u, 105, pcs, 1, NULL), "b_nofp");
  fz_unwinder_free(u);
}

/* The same stack through a copy of this executable without debug information, then without
 * any symbol table: CFI (.eh_frame) alone unwinds. */
static void test_stripped(void **state) {
  (void)state;
  assert_int_equal(a_nofp(1), 5);
  fz_unwinder *full = self_unwinder(109);
  fz_run_sample s = captured(109);
  uint64_t pcs[64], got[64];
  int n = fz_unwind(full, &s, pcs, 64);
  assert_true(n >= 5);
  const char *t = getenv("FATHOM_TEST_TMP");
  char dir[1024], cmd[3 * 4096];
  snprintf(dir, sizeof dir, "%s", t && *t ? t : "/tmp");
  ssize_t len = readlink("/proc/self/exe", g_swap_from, sizeof g_swap_from - 1);
  assert_true(len > 0);
  g_swap_from[len] = 0;
  for (int all = 0; all < 2; all++) {
    snprintf(g_swap_to, sizeof g_swap_to, "%s/unwind-stripped-%d-%ld", dir, all, (long)getpid());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && objcopy %s '%s' '%s'", dir,
             all ? "--strip-all" : "--strip-debug", g_swap_from, g_swap_to);
    assert_int_equal(system(cmd), 0);
    fz_unwinder *u = self_unwinder(109);
    assert_int_equal(fz_unwind(u, &s, got, 64), n);
    assert_memory_equal(got, pcs, (size_t)n * sizeof *pcs);
    fz_frame_name f0;
    const char *c = func_at(u, 109, pcs, 0, &f0);
    assert_null(f0.file);
    assert_int_equal(f0.line, 0);
    assert_string_equal(f0.module, strrchr(g_swap_to, '/') + 1);
    if (all) {
      assert_null(c);   /* a static function: in no dynamic symbol table */
    } else {
      assert_string_equal(c, "c_nofp");
      assert_string_equal(func_at(u, 109, pcs, 1, NULL), "b_nofp");
    }
    fz_unwinder_free(u);
    unlink(g_swap_to);
  }
  g_swap_from[0] = 0;
  fz_unwinder_free(full);
}

/* ---- a sample taken by a profiling signal inside the vDSO -------------------------------- */

static uint64_t g_vdso_lo, g_vdso_hi;
static volatile sig_atomic_t g_got;

__attribute__((no_sanitize_address)) static void on_prof(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
  const greg_t *g = ((const ucontext_t *)ctx)->uc_mcontext.gregs;
  uint64_t rip = (uint64_t)g[REG_RIP];
  if (g_got || rip < g_vdso_lo || rip >= g_vdso_hi) return;
  static const int order[FZ_RUN_NREGS] = {REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI,
                                          REG_RBP, REG_RSP, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                          REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP};
  for (int i = 0; i < FZ_RUN_NREGS; i++) g_regs[i] = (uint64_t)g[order[i]];
  take_stack();
  g_got = 1;
}

NOFP static long spin_vdso(void) {
  struct timespec ts;
  long sum = 0;
  for (int i = 0; i < 1000 && !g_got; i++) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sum += ts.tv_nsec & 1;
  }
  return sum;
}

/* Interrupted anywhere in the vDSO's clock_gettime, the stack unwinds out of the vDSO (its
 * own CFI) to spin_vdso and on to this test. */
static void test_sample_in_vdso(void **state) {
  (void)state;
  fz_unwinder *u = self_unwinder(108);
  FILE *f = fopen("/proc/self/maps", "r");
  char line[4096];
  while (f && fgets(line, sizeof line, f))
    if (strstr(line, "[vdso]")) sscanf(line, "%" SCNx64 "-%" SCNx64, &g_vdso_lo, &g_vdso_hi);
  if (f) fclose(f);
  assert_true(g_vdso_lo < g_vdso_hi);
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_prof;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGPROF, &sa, &old);
  struct itimerval it = {{0, 200}, {0, 200}}, off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_PROF, &it, NULL);
  g_got = 0;
  time_t until = time(NULL) + 20;
  long sum = 0;
  while (!g_got && time(NULL) < until) sum += spin_vdso();
  setitimer(ITIMER_PROF, &off, NULL);
  sigaction(SIGPROF, &old, NULL);
  assert_true(g_got);
  assert_true(sum >= 0);
  fz_run_sample s = captured(108);
  uint64_t pcs[64];
  int n = fz_unwind(u, &s, pcs, 64);
  fz_frame_name out[4];
  assert_int_equal(fz_unwinder_name(u, 108, pcs[0], 0, out, 4), 1);
  assert_string_equal(out[0].module, "[vdso]");
  int spin_at = -1, test_at = -1;
  for (int i = 1; i < n; i++) {
    const char *name = func_at(u, 108, pcs, i, NULL);
    if (name && strcmp(name, "spin_vdso") == 0 && spin_at < 0) spin_at = i;
    if (name && strcmp(name, "test_sample_in_vdso") == 0 && test_at < 0) test_at = i;
  }
  assert_true(spin_at >= 1 && spin_at <= 3);   /* maybe through libc's clock_gettime */
  assert_int_equal(test_at, spin_at + 1);
  fz_unwinder_free(u);
}

/* A C++ function's name comes demangled (the C++ runtime's own, loaded here). */
static void test_cxx_name(void **state) {
  (void)state;
  void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
  assert_non_null(h);
  void *fn = dlsym(h, "_ZNKSt9exception4whatEv");
  assert_non_null(fn);
  fz_unwinder *u = self_unwinder(110);
  fz_frame_name out[4];
  assert_int_equal(fz_unwinder_name(u, 110, (uint64_t)(uintptr_t)fn, 0, out, 4), 1);
  assert_string_equal(out[0].func, "std::exception::what() const");
  assert_int_equal(strncmp(out[0].module, "libstdc++.so.6", 14), 0);
  fz_unwinder_free(u);
  dlclose(h);
}

/* A function of the vDSO (which glibc lists as linux-vdso.so.1) is named from it. */
static void test_vdso(void **state) {
  (void)state;
  void *h = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
  assert_non_null(h);
  void *fn = dlsym(h, "__vdso_clock_gettime");
  assert_non_null(fn);
  fz_unwinder *u = self_unwinder(107);
  fz_frame_name out[4];
  assert_int_equal(fz_unwinder_name(u, 107, (uint64_t)(uintptr_t)fn, 0, out, 4), 1);
  assert_string_equal(out[0].module, "[vdso]");
  assert_non_null(out[0].func);
  assert_non_null(strstr(out[0].func, "clock_gettime"));
  fz_unwinder_free(u);
  dlclose(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_frame_pointers), cmocka_unit_test(test_frame_pointers),
      cmocka_unit_test(test_inlined),           cmocka_unit_test(test_cut_stack),
      cmocka_unit_test(test_garbage),           cmocka_unit_test(test_fork_exec_replace),
      cmocka_unit_test(test_vdso),              cmocka_unit_test(test_sample_in_vdso),
      cmocka_unit_test(test_stripped),          cmocka_unit_test(test_cxx_name),
  };
  find_stack_top();
  if (!g_stack_top) {
    fprintf(stderr, "test_run_unwind: no [stack] in /proc/self/maps\n");
    return 1;
  }
  return cmocka_run_group_tests(tests, NULL, NULL);
}
