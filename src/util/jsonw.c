/* jsonw.c: the shared JSON string and number writers (see jsonw.h).
 *
 * Invariant: runs of bytes that need no escaping are written with one fwrite; the UTF-8
 * checks never read past the terminating NUL. */
#include <math.h>
#include <stdlib.h>

#include "util/jsonw.h"

size_t fz_utf8_seq_len(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return (s[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    if (s[1] < lo || s[1] > hi) return 0;
    return (s[2] & 0xC0) == 0x80 ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    if (s[1] < lo || s[1] > hi) return 0;
    if ((s[2] & 0xC0) != 0x80) return 0;
    return (s[3] & 0xC0) == 0x80 ? 4 : 0;
  }
  return 0;
}

void fz_json_write_u64(FILE *f, uint64_t v) {
  char buf[24];
  char *e = buf + sizeof buf, *p = e;
  do {
    *--p = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  fwrite(p, 1, (size_t)(e - p), f);
}

/* Whether c is copied as it is (when it starts a valid sequence). */
static int plain(unsigned char c, int html) {
  return c >= 0x20 && c != '"' && c != '\\' && !(html && (c == '<' || c == '>' || c == '&'));
}

void fz_json_write_str(FILE *f, const char *str, unsigned flags) {
  static const char hex[] = "0123456789abcdef";
  int html = (flags & FZ_JSTR_HTML) != 0;
  if (!str && (flags & FZ_JSTR_NULL)) {
    fputs("null", f);
    return;
  }
  const unsigned char *s = (const unsigned char *)(str ? str : "");
  fputc('"', f);
  while (*s) {
    const unsigned char *run = s;
    size_t k;
    while (plain(*s, html) && (k = fz_utf8_seq_len(s)) != 0) s += k;
    if (s > run) fwrite(run, 1, (size_t)(s - run), f);
    if (!*s) break;
    if (*s == '"' || *s == '\\') {
      fputc('\\', f);
      fputc(*s, f);
    } else if (!plain(*s, html)) { /* a control character, or < > & for HTML */
      char esc[6] = {'\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 15]};
      fwrite(esc, 1, sizeof esc, f);
    } else {
      fputs(html ? "\\ufffd" : "\xEF\xBF\xBD", f); /* U+FFFD REPLACEMENT CHARACTER */
    }
    s++;
  }
  fputc('"', f);
}

/* Copies a printf'd number, turning the locale's decimal point (whatever it is) into '.'. */
static void number_text(FILE *f, const char *s) {
  char out[64];
  size_t n = 0;
  for (; *s && n < sizeof out - 1; s++) {
    char c = *s;
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E') {
      out[n++] = c;
    } else if (n == 0 || out[n - 1] != '.') {
      out[n++] = '.';
    }
  }
  fwrite(out, 1, n, f);
}

/* A double that reads back bit-identical: the shortest of %.15g / %.16g / %.17g that
 * round-trips (%.17g always does), so 0.1 stays "0.1". */
void fz_json_write_double(FILE *f, double v) {
  if (isnan(v)) {
    fputs("null", f);
    return;
  }
  if (isinf(v)) {
    fputs(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
    return;
  }
  if (v == 0) {
    fputs(signbit(v) ? "-0.0" : "0", f);
    return;
  }
  char buf[48];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (prec == 17 || strtod(buf, NULL) == v) break;
  }
  number_text(f, buf);
}

void fz_json_num_member(FILE *f, const char *key, double v) {
  fprintf(f, ",\"%s\":", key);
  fz_json_write_double(f, v);
}
