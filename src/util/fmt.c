/* fmt.c: figures as people read them (see fmt.h). */
#include "util/fmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- formatting of figures ---- */
void fz_fmt_count(char *b, size_t cap, uint64_t v) {
  char raw[24], out[32];
  int n = snprintf(raw, sizeof raw, "%llu", (unsigned long long)v), o = 0;
  for (int i = 0; i < n; i++) {
    if (i > 0 && (n - i) % 3 == 0) out[o++] = ',';
    out[o++] = raw[i];
  }
  out[o] = 0;
  snprintf(b, cap, "%s", out);
}

void fz_fmt_dur(char *b, size_t cap, double ns) {
  if (!isfinite(ns) || ns < 0) snprintf(b, cap, "-");
  else if (ns < 999.95) {
    if (ns == floor(ns)) snprintf(b, cap, "%.0f ns", ns);
    else snprintf(b, cap, "%.1f ns", ns);
  } else if (ns < 999995.0) snprintf(b, cap, "%.2f \xc2\xb5s", ns / 1e3);
  else if (ns < 999995000.0) snprintf(b, cap, "%.2f ms", ns / 1e6);
  else if (ns < 1e12) snprintf(b, cap, "%.3f s", ns / 1e9);
  else snprintf(b, cap, "%.0f s", ns / 1e9);
}

void fz_fmt_bytes(char *b, size_t cap, double v) {
  static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (!isfinite(v)) {
    snprintf(b, cap, "-");
    return;
  }
  double a = fabs(v);
  if (a < 1024) {
    snprintf(b, cap, "%.0f B", v);
    return;
  }
  int u = 0;
  a /= 1024;
  while (a >= 1024 && u < 4) {
    a /= 1024;
    u++;
  }
  snprintf(b, cap, "%s%.*f %s", v < 0 ? "-" : "", a < 10 ? 2 : 1, a, unit[u]);
}

/* A plain number: integral values with separators, others with 4 significant digits. */
void fz_fmt_num(char *b, size_t cap, double v) {
  if (!isfinite(v)) snprintf(b, cap, "%s", isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
  else if (v == floor(v) && fabs(v) < 1e18) {
    char t[32];   /* 2^64 with separators: 26 characters */
    fz_fmt_count(t, sizeof t, (uint64_t)fabs(v));
    snprintf(b, cap, "%s%s", v < 0 ? "-" : "", t);
  } else snprintf(b, cap, "%.4g", v);
}

/* SI prefixes: "26.5 GFLOP/s", "1.20 TFLOP", "850 FLOP". */
void fz_fmt_si(char *b, size_t cap, double v, const char *unit) {
  static const char *const pre[] = {"", "k", "M", "G", "T", "P", "E"};
  if (!isfinite(v)) {
    snprintf(b, cap, "-");
    return;
  }
  double a = fabs(v);
  int k = 0;
  while (a >= 999.5 && k < 6) {
    a /= 1000;
    k++;
  }
  if (k == 0) snprintf(b, cap, "%s%.0f %s", v < 0 ? "-" : "", a, unit);
  else snprintf(b, cap, "%s%.*f %s%s", v < 0 ? "-" : "", a < 9.995 ? 2 : a < 99.95 ? 1 : 0, a,
                pre[k], unit);
}

void fz_fmt_pct(char *b, size_t cap, double part, double whole) {
  if (whole <= 0 || !isfinite(part)) snprintf(b, cap, "-");
  else snprintf(b, cap, "%.1f%%", 100.0 * part / whole);
}

/* Characters on screen: UTF-8 continuation bytes take no column. */
size_t fz_dwidth(const char *s) {
  size_t w = 0;
  for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
  return w;
}

/* Copies src with controls replaced by '?', at most maxw columns (then ending "..."). */
void fz_clean(char *dst, size_t cap, const char *src, size_t maxw) {
  size_t o = 0, w = 0, total = fz_dwidth(src ? src : "");
  if (!src) src = "";
  size_t limit = total > maxw && maxw > 3 ? maxw - 3 : maxw;
  for (const unsigned char *s = (const unsigned char *)src; *s && o + 4 < cap; s++) {
    int cont = (*s & 0xC0) == 0x80;
    if (!cont && w >= limit) break;
    dst[o++] = *s < 0x20 || *s == 0x7F ? '?' : (char)*s;
    w += !cont;
  }
  if (total > maxw && o + 4 <= cap) {
    memcpy(dst + o, "...", 3);
    o += 3;
  }
  dst[o] = 0;
}

const char *fz_comp(const fathom_zone_info *z) {
  return z->component && *z->component ? z->component : "default";
}

int fz_errf(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return FATHOM_E_INVAL;
}

void fz_fmt_bytes_pm(char *b, size_t cap, double v, double lo, double hi) {
  char m[40], w[40];
  fz_fmt_bytes(m, sizeof m, v);
  if (isnan(v) || !(hi - lo > 0)) {
    snprintf(b, cap, "%s", m);
    return;
  }
  fz_fmt_bytes(w, sizeof w, (hi - lo) / 2);
  snprintf(b, cap, "%s \u00b1%s", m, w);
}
