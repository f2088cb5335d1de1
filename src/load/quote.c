/* quote.c: file names (and other untrusted text) made safe for one-line messages: the one
 * quoting helper the loader's and the tool's error messages use (fathom_load.h).
 * Invariant: the result never holds a control byte or DEL, so a message stays one line
 * whatever a file name holds; a name that needs no quoting is printed unchanged. */
#include <stdio.h>
#include <string.h>

#include "fathom_load.h"

/* Whether name must be quoted: it holds a control byte, DEL, '"' or '\\'. */
static int needs_quotes(const char *name) {
  for (const unsigned char *s = (const unsigned char *)name; *s; s++)
    if (*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\') return 1;
  return 0;
}

/* The escape for byte c into e (at most 4 bytes and a NUL); 0 when c is kept as it is. */
static size_t escape(unsigned char c, int quoted, char e[5]) {
  switch (c) {
    case '\n': return (size_t)snprintf(e, 5, "\\n");
    case '\r': return (size_t)snprintf(e, 5, "\\r");
    case '\t': return (size_t)snprintf(e, 5, "\\t");
    case '"':
    case '\\': return quoted ? (size_t)snprintf(e, 5, "\\%c", c) : 0;
    default: return c < 0x20 || c == 0x7f ? (size_t)snprintf(e, 5, "\\x%02x", c) : 0;
  }
}

/* The bytes c stands for in the result, in e (returns how many). */
static size_t form(unsigned char c, int quoted, char e[5]) {
  size_t k = escape(c, quoted, e);
  if (!k) e[k++] = (char)c;
  return k;
}

char *fathom_quote(char *dst, size_t cap, const char *s, int name) {
  if (!dst || cap == 0) return dst;
  if (!s) s = "";
  int quoted = name && needs_quotes(s);
  size_t q = quoted ? 1 : 0, total = 2 * q, len = 0;
  char e[5];
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) total += form(*c, quoted, e);
  /* too long for dst: as many whole escapes as leave room for "...", the quote and NUL */
  size_t room = total < cap ? total : (cap > 5 + q ? cap - 4 - q : 0);
  if (q && len + q <= room) dst[len++] = '"';
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    size_t k = form(*c, quoted, e);
    if (len + k + (total < cap ? q : 0) > room) break;
    memcpy(dst + len, e, k);
    len += k;
  }
  if (total >= cap && room) len += (size_t)snprintf(dst + len, cap - len, "...");
  if (q && room) dst[len++] = '"';
  dst[len] = 0;
  return dst;
}
