/* check.h: the profile checker's hook for the library's own model builds (check_env.c; the
 * public checker is fathom_profile_check in fathom.h, check.c).
 *
 * Invariant: fz_check_env never changes the model, never exits and never fails the build
 * that called it; with FATHOM_CHECK unset it costs one getenv and checks nothing. */
#ifndef FATHOM_CHECK_H
#define FATHOM_CHECK_H

#include <math.h>
#include <stdio.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

#define CK_LINE 512 /* one violation's message line at most (longer ones are cut) */

/* a <= b, allowing slack (ns of rounding, 1 per figure added) plus 1e-9 relative; a NaN or
 * infinite side compares plainly. The tables' rule files share it (check_*.c). */
static inline int fz_ck_le(double a, double b, double slack) {
  if (!isfinite(a) || !isfinite(b)) return a <= b;
  return a <= b + slack + 1e-9 * fmax(fabs(a), fabs(b));
}
/* One violation's message to the tables' report callback (in scope: report, ctx). */
#define CK_REPORT(...)                            \
  do {                                            \
    char line_[CK_LINE];                          \
    snprintf(line_, sizeof line_, __VA_ARGS__);   \
    report(ctx, line_);                           \
  } while (0)

/* Called right after the library builds a model (where: what built it, e.g. "session end",
 * "snapshot"). When the environment variable FATHOM_CHECK is set to something other than ""
 * or "0", checks p with fathom_profile_check and, for each violation, prints one line
 * "fathom: check: <where>: <violation>" to stderr; when FATHOM_CHECK_FAIL_FILE names a file,
 * also appends "pid <pid> (<program>): <where>: <violation>" lines to it (O_APPEND, one write
 * per line, so processes running at once do not interleave within a line). Each distinct
 * violation line is printed once per process (a model rebuilt again and again, as live
 * snapshots are, does not repeat it). Returns the number of violations in p (0 when
 * FATHOM_CHECK is off or p is NULL). Preserves errno. */
int fz_check_env(const fathom_profile *p, const char *where);

/* The rules for sampled profiles' lines and processes tables (check_run.c): report is
 * called once per violation with its message (no newline). */
void fz_check_run(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                  void *ctx);
/* The rules for levels per component and metric switches (check_levels.c), the same way. */
void fz_check_levels(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                     void *ctx);
/* The rules for database statements (check_sql.c), reported the same way. */
void fz_check_sql(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                  void *ctx);
/* The rules for network requests (check_net.c), reported the same way. */
void fz_check_net(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                  void *ctx);

/* The rules for the rolling windows' table (check_win.c), reported the same way. */
void fz_check_win(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                  void *ctx);

/* The rules for extensions' figures (check_ext.c), reported the same way. */
void fz_check_ext(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                  void *ctx);

/* 1 when the n entries of a ranking (in mean order) are ordered oppositely by mean and by
 * median for some pair that one of the two rankings tells apart (different ranks); entries
 * without a median rank (0: older files) are left out. The first such pair found goes to
 * *first (ahead by mean) and *second (ahead by median), each may be NULL. (check_run.c) */
int fz_ranking_disagree(const fathom_ranking_entry *e, uint32_t n, uint32_t *first,
                        uint32_t *second);

#pragma GCC visibility pop

#endif
