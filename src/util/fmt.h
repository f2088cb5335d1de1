/* fmt.h: figures as people read them, shared by the findings' texts (analysis) and the
 * views: durations, bytes, counts with separators, SI rates, percentages ("-" when not
 * finite), names cleaned of control characters and cut to a width, a zone's component.
 * Invariant: every function writes a NUL-terminated string into its buffer, cut to cap. */
#ifndef FATHOM_FMT_H
#define FATHOM_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "fathom.h"

void fz_fmt_count(char *b, size_t cap, uint64_t v);         /* 1,234,567 */
void fz_fmt_dur(char *b, size_t cap, double ns);            /* 12 ns, 1.50 µs, 3.20 ms, 2.500 s */
void fz_fmt_bytes(char *b, size_t cap, double v);           /* 512 B, 1.50 KiB, 2.40 GiB */
/* "1.00 MiB ±2.1 KiB": v with the half-width of its interval [lo, hi] (left out when the
 * interval is empty or v is not measured: "-") */
void fz_fmt_bytes_pm(char *b, size_t cap, double v, double lo, double hi);
void fz_fmt_num(char *b, size_t cap, double v);             /* integral with separators, else %.4g */
void fz_fmt_pct(char *b, size_t cap, double part, double whole);
void fz_fmt_si(char *b, size_t cap, double v, const char *unit);  /* 26.5 GFLOP/s */
size_t fz_dwidth(const char *s);
/* src with controls replaced by '?', at most maxw columns (then ending "..."). */
void fz_clean(char *dst, size_t cap, const char *src, size_t maxw);

/* Formats a message into err (when err and errlen are set) and returns FATHOM_E_INVAL: the
 * one-line way a parser says which item was wrong. */
int fz_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The zone's component, "default" when it has none. */
const char *fz_comp(const fathom_zone_info *z);

#endif
