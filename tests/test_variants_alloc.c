/* test_variants_alloc.c: fathom_variants_rank's memory per run with allocation tracking on
 * (linked against libfathom.so, whose malloc family is fathom's; level detailed, tracking
 * asked): a variant that keeps 1 MiB a run allocates exactly 1 MiB a run and peaks 1 MiB
 * above its start; one that allocates 4 MiB and frees it allocates and peaks exactly 4 MiB
 * while it keeps no heap; one that allocates nothing shows 0, measured. The figures reach the
 * profile's rankings table and its checker agrees. Under a sanitizer (FATHOM_SANITIZE set by
 * ctest) the sanitizer owns malloc: every memory figure must then say "not measured" (NaN).
 *
 * Invariant: the expected figures are the test's own ground truth (the sizes it allocates);
 * no assertion depends on timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MIB 1048576.0

static int sanitized(void) {
  const char *s = getenv("FATHOM_SANITIZE");
  return s && *s;
}

static void *escape(void *p) {
  __asm__ volatile("" : : "r"(p) : "memory");
  return p;
}

static void *kept[64];
static int nkept;
static void keep_mib(void *user) {
  (void)user;
  char *b = escape(malloc(1 << 20));
  assert_non_null(b);
  memset(b, 1, 1 << 20);
  if (nkept < 64) kept[nkept++] = b;
}
static void churn_4mib(void *user) {
  (void)user;
  char *b = escape(malloc(4 << 20));
  assert_non_null(b);
  memset(b, 2, 4 << 20);
  free(escape(b));
}
static volatile unsigned long sink;
static void nothing(void *user) {
  (void)user;
  unsigned long x = 1;
  for (int i = 0; i < 1000; i++) x = x * 6364136223846793005ul + 1;
  sink = x;
}

static const fathom_variant_stats *by_index(const fathom_variants_result *r, uint32_t i) {
  for (uint32_t k = 0; k < r->n; k++)
    if (r->v[k].index == i) return &r->v[k];
  fail_msg("variant %u missing", i);
  return NULL;
}

static void test_tracked(void **state) {
  (void)state;
  fathom_config c;
  fathom_config_init(&c);
  c.level = FATHOM_LEVEL_DETAILED;
  c.alloc_track = 1;
  c.monitor = 0;
  assert_int_equal(fathom_session_begin("varmem_alloc", &c), 0);
  const fathom_variant v[] = {{"keep", keep_mib, NULL}, {"churn", churn_4mib, NULL},
                              {"nothing", nothing, NULL}};
  fathom_variants_opts o = {1, 12, 12, 0, 10, 0.95};
  fathom_variants_result r;
  assert_int_equal(fathom_variants_rank("memory", v, 3, &o, &r), 0);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  const fathom_variant_stats *k = by_index(&r, 0), *ch = by_index(&r, 1), *no = by_index(&r, 2);
  printf("keep: alloc %.4f MiB peak %.4f MiB heap %+.4f MiB; churn: alloc %.4f MiB peak "
         "%.4f MiB heap %+.4f MiB; nothing: %.0f B\n", k->alloc_bytes / MIB,
         k->peak_bytes / MIB, k->heap_retained_bytes / MIB, ch->alloc_bytes / MIB,
         ch->peak_bytes / MIB, ch->heap_retained_bytes / MIB, no->alloc_bytes);
  if (sanitized()) {   /* neither fathom's hooks nor glibc's count: nothing is measured */
    for (uint32_t i = 0; i < 3; i++) {
      const fathom_variant_stats *s = by_index(&r, i);
      assert_true(isnan(s->alloc_bytes) && isnan(s->peak_bytes) && isnan(s->heap_retained_bytes));
    }
  } else {   /* the tracked figures are the requested sizes: exact */
    assert_true(k->alloc_bytes == MIB && k->peak_bytes == MIB);
    assert_true(ch->alloc_bytes == 4 * MIB && ch->peak_bytes == 4 * MIB);
    assert_true(no->alloc_bytes == 0 && no->peak_bytes == 0);
    /* glibc's count: the tracking's 16-byte header and the block's own overhead on top */
    assert_true(k->heap_retained_bytes >= MIB && k->heap_retained_bytes < 1.02 * MIB);
    assert_true(fabs(ch->heap_retained_bytes) < 0.02 * MIB);
  }
  /* the profile's table has them; its checker agrees, and the text shows them */
  assert_int_equal(p->n_rankings, 1);
  for (uint32_t i = 0; i < 3; i++) {
    const fathom_ranking_entry *e = &p->rankings[0].e[i];
    const fathom_variant_stats *s = &r.v[i];
    assert_true(e->peak_bytes == s->peak_bytes || (isnan(e->peak_bytes) && isnan(s->peak_bytes)));
    assert_true(e->alloc_bytes == s->alloc_bytes ||
                (isnan(e->alloc_bytes) && isnan(s->alloc_bytes)));
  }
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  char *b = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&b, &len);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_TEXT, f, 0), 0);
  fclose(f);
  assert_non_null(strstr(b, "peak/run"));
  if (!sanitized()) assert_non_null(strstr(b, "4.00 MiB"));
  free(b);
  fathom_profile_free(p);
  fathom_variants_result_free(&r);
  for (int i = 0; i < nkept; i++) free(kept[i]);
  nkept = 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tracked),
  };
  return cmocka_run_group_tests_name("variants_alloc", tests, NULL, NULL);
}
