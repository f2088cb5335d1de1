/* test_batches.c: fathom_batches_run on loaders whose costs are known by construction.
 * - Loading takes 6 ms (asleep), consuming 3 ms: produced on demand, a batch cycle is about
 *   9 ms and the consumer waits 2/3 of it; loaded ahead on a thread (prefetch 2), the cycle
 *   is the loading's 6 ms: the prefetching configuration ranks first, about 1.5x, told apart
 *   (a paired test over 6 rounds);
 *   both starved, next() mostly off the CPU, over a 3 ms time threshold.
 * - Loading next to instant, consuming 5 ms, prefetch 2: the loader waits for room most of
 *   the time and the consumer is not starved.
 * - next() reads 1 MiB of a file into a 1 MiB block: 1 MiB read per batch (exactly, the
 *   probe's own reads left out), about 1 MiB of heap per batch produced on demand (unknown
 *   with prefetch: the consumer frees meanwhile); flagged at 0.5 MB.
 * - A loader running out, one failing, a consumer failing: the batches measured, the failure
 *   flagged, and every batch produced released exactly once (also those left in the ring).
 * - Each load and consume is a zone; misuse is refused. */
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static void nap_ms(double ms) {
  struct timespec ts = {0, (long)(ms * 1e6)};
  while (nanosleep(&ts, &ts) != 0) {}
}

typedef struct ld {
  double ms;                    /* loading time */
  int fd;                       /* >= 0: read 1 MiB from it per batch */
  int limit;                    /* > 0: no more after this many batches */
  int fail_at;                  /* > 0: fail on this call */
  int calls;                    /* calls to next */
  _Atomic int live;             /* batches produced not yet released (next runs on the
                                 * producer thread while the caller releases) */
} ld;

static int nxt(fathom_batch *b, void *u) {
  ld *l = u;
  l->calls++;
  if (l->fail_at && l->calls == l->fail_at) return -1;
  if (l->limit && l->calls > l->limit) return 0;
  size_t sz = l->fd >= 0 ? 1u << 20 : 64;
  char *p = malloc(sz);
  if (!p) return -1;
  if (l->fd >= 0) {
    size_t got = 0;
    while (got < sz) {
      ssize_t k = pread(l->fd, p + got, sz - got, (off_t)got);
      if (k <= 0) break;
      got += (size_t)k;
    }
  } else {
    memset(p, 0, sz);
  }
  if (l->ms > 0) nap_ms(l->ms);
  b->data = p;
  b->items = 32;
  b->bytes = sz;
  l->live++;
  return 1;
}
static void rel(fathom_batch *b, void *u) {
  ld *l = u;
  free(b->data);
  l->live--;
}
static int reset(void *u) {
  ld *l = u;
  l->calls = 0;
  return 0;
}

typedef struct cons {
  double ms;
  int fail_at, calls;
} cons;
static int consume(fathom_batch *b, void *u) {
  cons *c = u;
  c->calls++;
  if (b->data == NULL) return 1;
  if (c->ms > 0) nap_ms(c->ms);
  return c->fail_at && c->calls == c->fail_at;
}

static const fathom_loader_stats *by_name(const fathom_batches_result *r, const char *n) {
  for (uint32_t i = 0; i < r->n; i++)
    if (!strcmp(r->c[i].name, n)) return &r->c[i];
  fail_msg("no configuration %s", n);
  return NULL;
}

static char *printed(const fathom_batches_result *r) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_batches_print(f, r), 0);
  assert_int_equal(fathom_batches_write_json(f, r), 0);
  fclose(f);
  return buf;
}

static void test_prefetch_ranks_first(void **state) {
  (void)state;
  ld a = {6, -1, 0, 0, 0, 0}, b = a;
  const fathom_loader L[] = {{"inline", nxt, rel, reset, &a, 0},
                             {"ahead", nxt, rel, reset, &b, 2}};
  cons c = {3, 0, 0};
  fathom_batches_opts o = {18, 1, 3, 0, 0, 0, 6};   /* 6 rounds of 3 */
  assert_int_equal(fathom_session_begin("batches", NULL), 0);
  fathom_batches_result r;
  assert_int_equal(fathom_batches_run("loader", L, 2, consume, &c, &o, &r), 0);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_int_equal(r.n, 2);
  const fathom_loader_stats *in = by_name(&r, "inline"), *ah = by_name(&r, "ahead");
  printf("inline %.0f items/s ± %.0f, waits %.0f %%; ahead %.0f ± %.0f, waits %.0f %%, "
         "p %.2g\n", in->items_per_s, in->items_per_s_err, in->wait_pct, ah->items_per_s,
         ah->items_per_s_err, ah->wait_pct, r.c[0].p_next);
  assert_string_equal(r.c[0].name, "ahead");   /* fastest first */
  assert_int_equal(ah->rank, 1);
  assert_int_equal(in->rank, 2);
  assert_true(r.c[0].p_next < 0.05);
  double ratio = ah->items_per_s / in->items_per_s;
  assert_true(ratio > 1.2 && ratio < 1.8);     /* 9 ms against 6 ms cycles */
  for (int k = 0; k < 2; k++) {
    const fathom_loader_stats *s = &r.c[k];
    assert_int_equal(s->batches, 18);
    assert_int_equal(s->items, 18 * 32);
    assert_int_equal(s->bytes, 18 * 64);
    assert_false(s->failed);
    assert_true(s->produce_mean_ns >= 6e6 && s->produce_mean_ns < 30e6);
    assert_true(s->produce_ci_lo_ns <= s->produce_mean_ns &&
                s->produce_mean_ns <= s->produce_ci_hi_ns);
    assert_true(s->produce_max_ns >= s->produce_mean_ns);
    assert_true(s->consume_mean_ns >= 3e6);
    assert_true(s->produce_cpu_ns < 0.5 * s->produce_mean_ns);   /* asleep */
    assert_true(s->slow);                                        /* over 3 ms */
    assert_true(s->starved);
    assert_true(s->wait_pct >= 0 && s->wait_pct <= 100);
    assert_true(s->wait_ns <= s->wall_ns);
    /* the throughput is the items over the measured time, exactly */
    assert_true(fabs(s->items_per_s - s->items / (s->wall_ns / 1e9)) < 1e-9 * s->items_per_s);
    assert_true(s->items_per_s_err > 0 && s->items_per_s_err < 0.2 * s->items_per_s);
    assert_true(fabs(s->bytes_per_s - s->bytes / (s->wall_ns / 1e9)) < 1e-9 * s->bytes_per_s);
  }
  assert_true(in->wait_pct > 50);               /* 6 of 9 ms */
  assert_true(in->stall_pct == 0);
  assert_int_equal(a.live, 0);
  assert_int_equal(b.live, 0);
  int found = 0;
  for (uint32_t z = 0; z < p->n_zones; z++) {
    if (strcmp(p->zones[z].component, "loader")) continue;
    if (!strcmp(p->zones[z].name, "inline: load") || !strcmp(p->zones[z].name, "ahead: load") ||
        !strcmp(p->zones[z].name, "inline: consume") ||
        !strcmp(p->zones[z].name, "ahead: consume")) {
      assert_int_equal(p->zones[z].stats.count, 24);   /* a warm-up batch each round too */
      found++;
    }
  }
  assert_int_equal(found, 4);
  fathom_profile_free(p);
  char *buf = printed(&r);
  assert_non_null(strstr(buf, "ahead: "));
  assert_non_null(strstr(buf, "the throughput of inline"));
  assert_non_null(strstr(buf, "Load ahead on another thread"));
  assert_non_null(strstr(buf, "cannot keep up even working ahead"));
  assert_non_null(strstr(buf, "neither on a CPU nor for one"));
  assert_non_null(strstr(buf, "\"format\":\"fathom-batches\",\"version\":1"));
  free(buf);
  fathom_batches_result_free(&r);
}

static void test_consumer_bound(void **state) {
  (void)state;
  ld a = {0, -1, 0, 0, 0, 0};   /* loading is next to instant */
  const fathom_loader L[] = {{"ahead", nxt, rel, NULL, &a, 2}};
  cons c = {5, 0, 0};
  fathom_batches_opts o = {10, 1, 0, 0, 0, 0, 2};
  fathom_batches_result r;
  assert_int_equal(fathom_batches_run("cb", L, 1, consume, &c, &o, &r), 0);
  printf("loader waits %.0f %%, consumer %.0f %%\n", r.c[0].stall_pct, r.c[0].wait_pct);
  assert_true(r.c[0].stall_pct > 50);   /* nearly all of the loader's time */
  assert_true(r.c[0].wait_pct < 30);
  assert_false(r.c[0].slow);
  char *buf = printed(&r);
  assert_non_null(strstr(buf, "the consumer is the limit"));
  free(buf);
  fathom_batches_result_free(&r);
  assert_int_equal(a.live, 0);
}

static void test_io_and_heap(void **state) {
  (void)state;
  char path[] = "/tmp/fathom-batches-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  unlink(path);
  char *blk = calloc(1, 1u << 20);
  assert_int_equal(write(fd, blk, 1u << 20), 1 << 20);
  free(blk);
  ld a = {0, fd, 0, 0, 0, 0}, b = a;
  const fathom_loader L[] = {{"inline", nxt, rel, NULL, &a, 0},
                             {"ahead", nxt, rel, NULL, &b, 1}};
  fathom_batches_opts o = {6, 1, 0, 0.5, 0.5, 0, 3};
  fathom_batches_result r;
  assert_int_equal(fathom_batches_run("io", L, 2, NULL, NULL, &o, &r), 0);
  struct mallinfo2 mi = mallinfo2();
  int glibc_heap = mi.uordblks + mi.hblkhd > 0;
  for (int k = 0; k < 2; k++) {
    const fathom_loader_stats *s = &r.c[k];
    printf("%s: read %.0f B, heap %+.0f B per batch\n", s->name, s->read_bytes, s->heap_bytes);
    assert_true(s->read_bytes >= 1048576 && s->read_bytes <= 1048576 + 4096);
    assert_true(s->io_heavy);
    assert_true(isnan(s->consume_mean_ns) || s->consume_mean_ns < 1e9);
    if (s->prefetch) {   /* the consumer frees meanwhile: the heap's change is not next()'s */
      assert_true(isnan(s->heap_bytes));
      assert_false(s->heavy);
    } else if (glibc_heap) {
      assert_true(s->heap_bytes > 0.99 * 1048576 && s->heap_bytes < 1.1 * 1048576);
      assert_true(s->heavy);
    } else {   /* a sanitizer's allocator: mallinfo2 knows nothing, and fathom says so */
      assert_true(isnan(s->heap_bytes));
      assert_false(s->heavy);
    }
  }
  char *buf = printed(&r);
  assert_non_null(strstr(buf, "per batch (over 0.5 MB)"));
  free(buf);
  fathom_batches_result_free(&r);
  close(fd);
  assert_int_equal(a.live, 0);
  assert_int_equal(b.live, 0);
}

static void test_ends_and_failures(void **state) {
  (void)state;
  for (uint32_t pre = 0; pre <= 3; pre += 3) {
    ld out = {0, -1, 5, 0, 0, 0}, bad = {0, -1, 0, 3, 0, 0}, ok = {0, -1, 0, 0, 0, 0};
    const fathom_loader L[] = {{"runs out", nxt, rel, reset, &out, pre},
                               {"fails", nxt, rel, reset, &bad, pre}};
    cons c = {0, 0, 0};
    fathom_batches_opts o = {10, 1, 0, 0, 0, 0, 1};   /* one round */
    fathom_batches_result r;
    assert_int_equal(fathom_batches_run("end", L, 2, consume, &c, &o, &r), 0);
    const fathom_loader_stats *ro = by_name(&r, "runs out"), *fa = by_name(&r, "fails");
    assert_int_equal(ro->batches, 4);           /* 5 batches, the first a warm-up */
    assert_false(ro->failed);
    assert_int_equal(fa->batches, 1);           /* the warm-up, one batch, then -1 */
    assert_true(fa->failed);
    assert_int_equal(out.live, 0);
    assert_int_equal(bad.live, 0);
    char *buf = printed(&r);
    assert_non_null(strstr(buf, "fails failed after 1 measured batches"));
    free(buf);
    fathom_batches_result_free(&r);
    /* the consumer fails on its 4th batch: batches still in the ring are released */
    const fathom_loader M[] = {{"ok", nxt, rel, NULL, &ok, pre}};
    cons cf = {0, 4, 0};
    assert_int_equal(fathom_batches_run("end", M, 1, consume, &cf, &o, &r), 0);
    assert_true(r.c[0].failed);
    assert_int_equal(r.c[0].batches, 3);
    assert_int_equal(ok.live, 0);
    assert_true(ok.calls <= 4 + (int)pre);
    fathom_batches_result_free(&r);
  }
}

static void test_misuse(void **state) {
  (void)state;
  ld a = {0, -1, 0, 0, 0, 0};
  fathom_batches_result r;
  const fathom_loader good[] = {{"a", nxt, rel, NULL, &a, 0}};
  const fathom_loader nonext[] = {{"a", NULL, NULL, NULL, NULL, 0}};
  const fathom_loader noname[] = {{NULL, nxt, NULL, NULL, &a, 0}};
  const fathom_loader huge[] = {{"a", nxt, NULL, NULL, &a, 100000}};
  assert_int_equal(fathom_batches_run(NULL, good, 1, NULL, NULL, NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_batches_run("x", good, 0, NULL, NULL, NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_batches_run("x", good, FATHOM_BATCHES_MAX_LOADERS + 1, NULL, NULL, NULL,
                                      &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_batches_run("x", nonext, 1, NULL, NULL, NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_batches_run("x", noname, 1, NULL, NULL, NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_batches_run("x", huge, 1, NULL, NULL, NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_batches_run("x", good, 1, NULL, NULL, NULL, NULL), FATHOM_E_INVAL);
  assert_int_equal(fathom_batches_print(stdout, NULL), FATHOM_E_INVAL);
  assert_int_equal(fathom_batches_write_json(NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(a.calls, 0);
  /* the defaults: 20 batches in 4 rounds, each after a warm-up batch */
  assert_int_equal(fathom_batches_run("x", good, 1, NULL, NULL, NULL, &r), 0);
  assert_int_equal(r.c[0].batches, 20);
  assert_int_equal(r.rounds, 4);
  assert_int_equal(a.calls, 24);
  assert_true(isnan(r.c[0].consume_mean_ns) || r.c[0].consume_mean_ns >= 0);
  fathom_batches_result_free(&r);
  assert_int_equal(a.live, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prefetch_ranks_first),
      cmocka_unit_test(test_consumer_bound),
      cmocka_unit_test(test_io_and_heap),
      cmocka_unit_test(test_ends_and_failures),
      cmocka_unit_test(test_misuse),
  };
  return cmocka_run_group_tests_name("batches", tests, NULL, NULL);
}
