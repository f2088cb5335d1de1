/* test_probe_parse.c: the probes' pure parts on made-up input: the perf group decoder's
 * scaling of multiplexed counts (never decreasing, clamped, events matched by id), and the
 * /proc parsers (thread io, statm) on odd content: cut, empty, negative, huge, repeated,
 * embedded NUL.
 *
 * Invariant: nothing here opens a file or a counter; every expected value is written out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fathom.h"
#include "probe/kinds.h"
#include "probe/perf.h"

#define BIT(i) (1u << (i))
#define T(f) cmocka_unit_test(f)

static void test_perf_decode_scaling(void **state) {
  (void)state;
  fz_perf_group g;
  memset(&g, 0, sizeof g);
  g.n = 3;
  g.id[0] = 11, g.id[1] = 12, g.id[2] = 13;
  g.slot[0] = FATHOM_RES_INSTRUCTIONS, g.slot[1] = FATHOM_RES_CYCLES;
  g.slot[2] = FATHOM_RES_CACHE_REFS;
  int64_t v[FATHOM_RES_N] = {0};
  const uint32_t three = BIT(FATHOM_RES_INSTRUCTIONS) | BIT(FATHOM_RES_CYCLES) |
                         BIT(FATHOM_RES_CACHE_REFS);

  uint64_t half[] = {3, 200, 100, 10, 11, 20, 12, 30, 13};   /* ran half the time */
  assert_int_equal(fz_perf_decode(&g, half, 9, v), three);
  assert_int_equal(v[FATHOM_RES_INSTRUCTIONS], 20);
  assert_int_equal(v[FATHOM_RES_CYCLES], 40);
  assert_int_equal(v[FATHOM_RES_CACHE_REFS], 60);

  uint64_t full[] = {3, 400, 400, 30, 11, 50, 12, 70, 13};   /* not multiplexed: as is */
  assert_int_equal(fz_perf_decode(&g, full, 9, v), three);
  assert_int_equal(v[FATHOM_RES_INSTRUCTIONS], 30);
  assert_int_equal(v[FATHOM_RES_CYCLES], 50);

  uint64_t lower[] = {3, 500, 250, 12, 11, 40, 12, 36, 13};  /* estimates 24, 80, 72 */
  assert_int_equal(fz_perf_decode(&g, lower, 9, v), three);
  assert_int_equal(v[FATHOM_RES_INSTRUCTIONS], 30);          /* clamped: never decreases */
  assert_int_equal(v[FATHOM_RES_CYCLES], 80);
  assert_int_equal(v[FATHOM_RES_CACHE_REFS], 72);

  uint64_t never[] = {3, 100, 0, 0, 11, 0, 12, 0, 13};       /* enabled, never scheduled */
  assert_int_equal(fz_perf_decode(&g, never, 9, v), 0);
  uint64_t idle[] = {3, 0, 0, 30, 11, 80, 12, 72, 13};       /* no time yet: values stand */
  assert_int_equal(fz_perf_decode(&g, idle, 9, v), three);
  assert_int_equal(fz_perf_decode(&g, half, 8, v), 0);       /* truncated */
  assert_int_equal(fz_perf_decode(&g, half, 2, v), 0);
  uint64_t many[] = {9, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  assert_int_equal(fz_perf_decode(&g, many, 21, v), 0);      /* more events than fit */
  uint64_t stranger[] = {2, 10, 10, 99, 77, 100, 12};        /* id 77 is not ours */
  assert_int_equal(fz_perf_decode(&g, stranger, 7, v), BIT(FATHOM_RES_CYCLES));
  assert_int_equal(v[FATHOM_RES_CYCLES], 100);
  uint64_t huge[] = {1, 1000, 1, UINT64_MAX / 2, 11};        /* saturates */
  assert_int_equal(fz_perf_decode(&g, huge, 5, v), BIT(FATHOM_RES_INSTRUCTIONS));
  assert_int_equal(v[FATHOM_RES_INSTRUCTIONS], INT64_MAX);

  fz_perf_group p;   /* ids unknown (no PERF_EVENT_IOC_ID): matched by position */
  memset(&p, 0, sizeof p);
  p.n = 2;
  p.slot[0] = FATHOM_RES_INSTRUCTIONS, p.slot[1] = FATHOM_RES_BRANCH_MISSES;
  uint64_t pos[] = {2, 10, 5, 7, 1234, 9, 5678};
  assert_int_equal(fz_perf_decode(&p, pos, 7, v),
                   BIT(FATHOM_RES_INSTRUCTIONS) | BIT(FATHOM_RES_BRANCH_MISSES));
  assert_int_equal(v[FATHOM_RES_INSTRUCTIONS], 14);
  assert_int_equal(v[FATHOM_RES_BRANCH_MISSES], 18);
}

/* ---- parsers ------------------------------------------------------------------------------------ */

static uint32_t io_of(const char *s, int64_t f[FZ_IO_FIELDS]) {
  memset(f, 0, FZ_IO_FIELDS * sizeof f[0]);
  return fz_parse_proc_io(s, strlen(s), f);
}

static void test_parse_odd_content(void **state) {
  (void)state;
  int64_t f[FZ_IO_FIELDS];
  const char *real = "rchar: 3980\nwchar: 17\nsyscr: 8\nsyscw: 2\nread_bytes: 12288\n"
                     "write_bytes: 16384\ncancelled_write_bytes: 0\n";
  assert_int_equal(io_of(real, f), 63);
  assert_int_equal(f[0], 3980);
  assert_int_equal(f[1], 17);
  assert_int_equal(f[2], 12288);
  assert_int_equal(f[3], 16384);
  assert_int_equal(f[4], 8);    /* read calls */
  assert_int_equal(f[5], 2);    /* write calls */
  assert_int_equal(io_of("", f), 0);
  assert_int_equal(fz_parse_proc_io(real, 0, f), 0);
  assert_int_equal(io_of("\n\n\n", f), 0);
  assert_int_equal(io_of("garbage without newline", f), 0);
  assert_int_equal(io_of("rchar: 12", f), 0);                 /* cut by the buffer's end */
  assert_int_equal(io_of("rchar: 12\nwchar: 3", f), 1);
  assert_int_equal(io_of("rchar: -5\nwchar: x\n", f), 0);
  assert_int_equal(io_of("rchar:\nwchar: \n", f), 0);
  assert_int_equal(io_of("rchar:7\n", f), 1);
  assert_int_equal(f[0], 7);
  assert_int_equal(io_of("rchar: 99999999999999999999999999\n", f), 1);
  assert_int_equal(f[0], INT64_MAX);                          /* saturates */
  assert_int_equal(io_of("write_bytes: 5\nread_bytes: 4\nwchar: 3\nrchar: 2\n", f), 15);
  assert_int_equal(f[0], 2);
  assert_int_equal(f[3], 5);
  assert_int_equal(io_of("syscw: 9\nsyscr: 8\nrchar: 2\n", f), 1 | 16 | 32);   /* any order */
  assert_int_equal(f[4], 8);
  assert_int_equal(f[5], 9);
  assert_int_equal(io_of("rcharx: 1\nxrchar: 2\ncancelled_write_bytes: 3\n", f), 0);
  assert_int_equal(io_of("rchar: 1\nrchar: 2\n", f), 1);
  assert_int_equal(f[0], 1);                                  /* first one wins */
  const char nul[] = "rchar: 1\0\nwchar: 2\n";
  assert_int_equal(fz_parse_proc_io(nul, sizeof nul - 1, f), 2);

  int64_t pages = -1;
  const char *statm = "765 427 399 5 0 123 0\n";
  assert_int_equal(fz_parse_statm(statm, strlen(statm), &pages), 1);
  assert_int_equal(pages, 427);
  assert_int_equal(fz_parse_statm("765 427\n", 8, &pages), 1);
  assert_int_equal(fz_parse_statm("765 427", 7, &pages), 0);  /* cut */
  assert_int_equal(fz_parse_statm("765", 3, &pages), 0);
  assert_int_equal(fz_parse_statm("", 0, &pages), 0);
  assert_int_equal(fz_parse_statm("765 \n", 5, &pages), 0);
  assert_int_equal(fz_parse_statm("a b c\n", 6, &pages), 0);
  assert_int_equal(fz_parse_statm("765\n427\n", 8, &pages), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {T(test_perf_decode_scaling), T(test_parse_odd_content)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
