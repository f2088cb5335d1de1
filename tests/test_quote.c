/* test_quote.c: fathom_quote, the one helper that makes file names (and other untrusted text)
 * safe for one-line messages: which names are quoted, every escape, truncation into small
 * buffers at every size, and the loader's messages naming a file with a newline in its name.
 *
 * Invariant: whatever the input and the buffer size, the result is NUL-terminated inside
 * the buffer and holds no control byte; a cut result ends in "..." (and the closing quote)
 * after a whole escape. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fathom_load.h"

static const char *q(const char *s, int name) {
  static char buf[256];
  return fathom_quote(buf, sizeof buf, s, name);
}

static void test_names(void **state) {
  (void)state;
  assert_string_equal(q("run.json", 1), "run.json");
  assert_string_equal(q("dir with space/données.json", 1), "dir with space/données.json");
  assert_string_equal(q("", 1), "");
  assert_string_equal(q(NULL, 1), "");
  assert_string_equal(q("a\nb", 1), "\"a\\nb\"");
  assert_string_equal(q("t\tr\r", 1), "\"t\\tr\\r\"");
  assert_string_equal(q("say \"hi\"", 1), "\"say \\\"hi\\\"\"");
  assert_string_equal(q("back\\slash", 1), "\"back\\\\slash\"");
  assert_string_equal(q("bell\a esc\033 del\177", 1), "\"bell\\x07 esc\\x1b del\\x7f\"");
  assert_string_equal(q("\xff\xfe", 1), "\xff\xfe");   /* not UTF-8, but one line */
}

static void test_text(void **state) {
  (void)state;
  /* any text: only control bytes escaped, no quotes added */
  assert_string_equal(q("near 'x': \"y\" \\", 0), "near 'x': \"y\" \\");
  assert_string_equal(q("line1\nline2\x01", 0), "line1\\nline2\\x01");
}

/* Every buffer size, for a name whose escapes are 2 and 4 bytes long. */
static void test_truncation(void **state) {
  (void)state;
  const char *name = "ab\ncd\x01" "efgh\"ij";
  char full[64];
  fathom_quote(full, sizeof full, name, 1);
  size_t len = strlen(full);
  assert_string_equal(full, "\"ab\\ncd\\x01efgh\\\"ij\"");
  for (size_t cap = 1; cap <= len + 1; cap++) {
    char buf[64];
    memset(buf, 'Z', sizeof buf);
    assert_ptr_equal(fathom_quote(buf, cap, name, 1), buf);
    size_t n = strnlen(buf, cap);
    assert_true(n < cap);                       /* NUL-terminated inside the buffer */
    for (size_t i = cap; i < sizeof buf; i++) assert_int_equal(buf[i], 'Z');
    if (cap == len + 1) {
      assert_string_equal(buf, full);
      continue;
    }
    if (n == 0) continue;                       /* too small to say anything */
    assert_true(n >= 5);
    assert_memory_equal(buf + n - 4, "...\"", 4);
    /* the kept part is a prefix of the whole result, cut after a whole escape */
    assert_memory_equal(buf, full, n - 4);
    assert_true(buf[n - 5] != '\\');
    assert_true(buf[n - 5] != 'x' || buf[n - 6] != '\\');
    assert_true(n + 4 > cap - 1 || cap <= 6);   /* it used the room it had */
  }
  char tiny[1] = {'Z'};
  fathom_quote(tiny, 1, name, 1);
  assert_int_equal(tiny[0], 0);
  assert_null(fathom_quote(NULL, 10, name, 1));
}

/* Random bytes, every size: never a control byte in the result. */
static void test_random(void **state) {
  (void)state;
  srand(12345);
  for (int round = 0; round < 2000; round++) {
    char in[40], out[48];
    size_t n = (size_t)(rand() % 39);
    for (size_t i = 0; i < n; i++) in[i] = (char)(1 + rand() % 255);
    in[n] = 0;
    size_t cap = 1 + (size_t)(rand() % (int)sizeof out);
    fathom_quote(out, cap, in, round & 1);
    assert_true(strlen(out) < cap);
    for (const unsigned char *c = (const unsigned char *)out; *c; c++)
      assert_true(*c >= 0x20 && *c != 0x7f);
  }
}

/* The loader names a file whose name holds a newline on one line, reason kept. */
static void test_loader_message(void **state) {
  (void)state;
  const char *base = getenv("FATHOM_TEST_TMP");
  char path[512], err[512];
  snprintf(path, sizeof path, "%s/quote.%ld\nmissing.json", base ? base : "/tmp", (long)getpid());
  fathom_profile *p = NULL;
  assert_int_equal(fathom_profile_load(path, &p, err, sizeof err), FATHOM_E_IO);
  assert_null(p);
  assert_null(strchr(err, '\n'));
  assert_non_null(strstr(err, "\\nmissing.json\": cannot open: "));
  assert_int_equal(err[0], '"');
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_text),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_random),
      cmocka_unit_test(test_loader_message),
  };
  return cmocka_run_group_tests_name("quote", tests, NULL, NULL);
}
