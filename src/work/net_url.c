/* net_url.c: what a URL becomes in the requests table: its endpoint (scheme://host:port/path,
 * or host:port without a scheme), the URL kept for a slow request (user and password out),
 * and which error arguments are errors.
 *
 * Invariant: reads at most the string given; writes at most cap bytes, always 0-terminated,
 * never cutting inside a UTF-8 character. */
#include <ctype.h>
#include <string.h>

#include "work/net.h"

typedef struct sb {
  char *b;
  size_t n, cap;   /* cap: room for characters (the 0 not counted) */
  int cut;         /* something did not fit */
} sb;

static void put(sb *s, const char *p, size_t n, int lower) {
  for (size_t i = 0; i < n; i++) {
    if (s->n == s->cap) {
      s->cut = 1;
      return;
    }
    s->b[s->n++] = lower ? (char)tolower((unsigned char)p[i]) : p[i];
  }
}

/* Ends the string, a character cut by the cap dropped whole. */
static size_t finish(sb *s) {
  if (s->cut) {
    size_t k = s->n;
    while (k && ((unsigned char)s->b[k - 1] & 0xC0) == 0x80) k--;   /* continuation bytes */
    if (k && (unsigned char)s->b[k - 1] >= 0xC0) s->n = k - 1;      /* their lead byte */
  }
  s->b[s->n] = 0;
  return s->n;
}

static int scheme_char(char c) {
  return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.';
}

/* The length of url's scheme ("http" of "http://..."), 0 when it has none. */
static size_t scheme_len(const char *u) {
  size_t n = 0;
  while (scheme_char(u[n])) n++;
  return n && isalpha((unsigned char)u[0]) && strncmp(u + n, "://", 3) == 0 ? n : 0;
}

static const char *default_port(const char *scheme, size_t n) {
  static const char *const k[][2] = {{"http", "80"}, {"https", "443"}, {"ws", "80"},
                                     {"wss", "443"}, {"ftp", "21"},    {"ftps", "990"}};
  for (size_t i = 0; i < sizeof k / sizeof *k; i++)
    if (strlen(k[i][0]) == n && strncasecmp(scheme, k[i][0], n) == 0) return k[i][1];
  return NULL;
}

size_t fz_net_endpoint(const char *url, char *out, size_t cap) {
  sb s = {out, 0, cap - 1, 0};
  if (!url) return finish(&s);
  while (*url == ' ' || *url == '\t') url++;
  size_t sl = scheme_len(url);
  const char *a = sl ? url + sl + 3 : url;
  const char *aend = a + strcspn(a, "/?#");
  for (const char *q = a; q < aend; q++)   /* user:password@ */
    if (*q == '@') a = q + 1;
  const char *hend = a;
  if (*a == '[') {   /* [IPv6] */
    while (hend < aend && *hend != ']') hend++;
    if (hend < aend) hend++;
  } else {
    while (hend < aend && *hend != ':') hend++;
  }
  const char *port = hend < aend && *hend == ':' && hend + 1 < aend ? hend + 1 : NULL;
  if (sl) {
    put(&s, url, sl, 1);
    put(&s, "://", 3, 0);
  }
  put(&s, a, (size_t)(hend - a), 1);
  const char *dp = sl && !port ? default_port(url, sl) : NULL;
  if (port || dp) put(&s, ":", 1, 0);
  if (port) put(&s, port, (size_t)(aend - port), 0);
  else if (dp) put(&s, dp, strlen(dp), 0);
  size_t pl = *aend == '/' ? strcspn(aend, "?#") : 0;
  if (pl) put(&s, aend, pl, 0);
  else if (sl) put(&s, "/", 1, 0);
  return finish(&s);
}

void fz_net_url_clean(const char *url, char *out, size_t cap) {
  sb s = {out, 0, cap - 1, 0};
  if (!url) {
    finish(&s);
    return;
  }
  size_t sl = scheme_len(url);
  const char *a = sl ? url + sl + 3 : url;
  const char *aend = a + strcspn(a, "/?#");
  const char *host = a;
  for (const char *q = a; q < aend; q++)
    if (*q == '@') host = q + 1;
  put(&s, url, (size_t)(a - url), 0);
  put(&s, host, strlen(host), 0);
  finish(&s);
}

int fz_net_is_error(int e) { return e != 0 && !(e >= 100 && e < 400); }
