/* analysis/rules_locks.c: the lock contention rule. A lock (the profile's locks table)
 * whose waits take a share of the session's time is a finding: it names the lock, its wait
 * share, how many acquisitions were contended, the zones that waited on it most and the
 * zones that held it longest, and advises by what the figures show (long holds: a shorter
 * critical section; many short contended holds: batching or splitting the lock; a mutex:
 * a reader-writer lock if most holders only read; per-thread data).
 *
 * Score: the wait share in percent. Severity: critical from LK_CRIT_PCT, warning from
 * LK_WARN_PCT, info from LK_INFO_PCT (with at least LK_MIN_CONTENDED contended
 * acquisitions).
 *
 * Invariant: the share's whole is at least the session's time, its duration and the sum of
 * every lock's waits, so no share passes 100 %; reads only the model. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/analysis.h"
#include "util/fmt.h"

#define LK_INFO_PCT 1.0
#define LK_WARN_PCT 5.0
#define LK_CRIT_PCT 25.0
#define LK_MIN_CONTENDED 10
#define LK_LONG_HOLD_NS 100000.0   /* a mean hold past 100 us (in the zone holding the lock
                                      longest) is a long critical section */

/* "a 1.2 s (40 %, 12 waits), b 0.3 s ..." of the first n zones of z into b. */
static void zone_list(char *b, size_t cap, const fathom_lock_zone *z, uint32_t n,
                      double total, const char *what) {
  size_t w = 0;
  b[0] = 0;
  for (uint32_t k = 0; k < n && k < 3 && w < cap; k++) {
    char d[32];
    fz_fmt_dur(d, sizeof d, z[k].ns);
    int r = snprintf(b + w, cap - w, "%s%s %s (%.0f%%, %llu %s)", k ? ", " : "", z[k].zone, d,
                     total > 0 ? fmin(100, 100 * z[k].ns / total) : 0.0,
                     (unsigned long long)z[k].count, what);
    if (r < 0) break;
    w += (size_t)r;
  }
}

static void lock_finding(fz_actx *a, const fathom_lock_info *l, double whole) {
  double share = fz_share_pct(l->wait_ns, whole);
  if (share < LK_INFO_PCT || l->contended < LK_MIN_CONTENDED) return;
  fathom_severity sev = share >= LK_CRIT_PCT   ? FATHOM_SEV_CRITICAL
                        : share >= LK_WARN_PCT ? FATHOM_SEV_WARNING
                                               : FATHOM_SEV_INFO;
  char path[160];
  snprintf(path, sizeof path, "lock %s", l->name);
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_LOCK_CONTENTION, sev, share, FATHOM_NONE,
                                FATHOM_NONE, path);
  if (!f) return;
  double cpct = l->acquisitions ? 100.0 * (double)l->contended / (double)l->acquisitions : 0;
  double rpct = l->acquisitions ? 100.0 * (double)l->read_acquisitions / (double)l->acquisitions
                                : 0;
  char wd[32], hp[32], h99[32], hm[32], wl[400], hl[400];
  fz_fmt_dur(wd, sizeof wd, l->wait_ns);
  fz_fmt_dur(hp, sizeof hp, isnan(l->hold_p50_ns) ? 0 : l->hold_p50_ns);
  fz_fmt_dur(h99, sizeof h99, isnan(l->hold_p99_ns) ? 0 : l->hold_p99_ns);
  zone_list(wl, sizeof wl, l->waiters, l->n_waiters, l->wait_ns, "waits");
  zone_list(hl, sizeof hl, l->holders, l->n_holders, l->hold_ns, "holds");
  fz_fa_sum(a->fa, f, "threads waited %s for %s%s%s (%.1f%% of the session's time): %llu of "
            "%llu acquisitions (%.1f%%) found it taken%s%s%s%s; holds last ~%s at the median, ~%s "
            "at the 99th percentile",
            wd, strncmp(l->name, l->kind, strlen(l->kind)) ? l->kind : "",
            strncmp(l->name, l->kind, strlen(l->kind)) ? " " : "", l->name, share, (unsigned long long)l->contended,
            (unsigned long long)l->acquisitions, cpct, wl[0] ? "; waited in " : "", wl,
            hl[0] ? "; held longest in " : "", hl, hp, h99);
  fz_fa_fig(a->fa, f, "wait_share_pct", share, "%");
  fz_fa_fig(a->fa, f, "wait_ns", l->wait_ns, "ns");
  fz_fa_fig(a->fa, f, "wait_max_ns", l->wait_max_ns, "ns");
  fz_fa_fig(a->fa, f, "contended", (double)l->contended, "acquisitions");
  fz_fa_fig(a->fa, f, "acquisitions", (double)l->acquisitions, "acquisitions");
  fz_fa_fig(a->fa, f, "contended_pct", cpct, "%");
  fz_fa_fig(a->fa, f, "hold_ns", l->hold_ns, "ns");
  if (!isnan(l->hold_p50_ns)) fz_fa_fig(a->fa, f, "hold_p50_ns", l->hold_p50_ns, "ns");
  if (l->read_acquisitions) fz_fa_fig(a->fa, f, "read_pct", rpct, "%");
  /* the zone holding it longest, and its mean hold */
  const fathom_lock_zone *top = l->n_holders && l->holders[0].count ? &l->holders[0] : NULL;
  double mean = top ? top->ns / (double)top->count
                    : (l->holds ? l->hold_ns / (double)l->holds : 0);
  fz_fmt_dur(hm, sizeof hm, mean);
  if (mean >= LK_LONG_HOLD_NS)
    fz_fa_sug(a->fa, f, "Shorten the critical section%s%s: it holds the lock ~%s each time; "
              "do the work that does not touch the shared data (allocation, I/O, computing "
              "the new value) before taking the lock, and hold it only to read or publish the "
              "result", top ? " in " : "", top ? top->zone : "", hm);
  else
    fz_fa_sug(a->fa, f, "Take the lock less often: holds are short (~%s) but frequent; "
              "gather items on each thread and take the lock once per batch", hp);
  fz_fa_sug(a->fa, f, "Split the lock: guard independent parts of the data with their own "
            "locks (striping: an array of locks chosen by a hash of the key), so that "
            "threads working on different keys do not wait for each other");
  if (!strcmp(l->kind, "mutex"))
    fz_fa_sug(a->fa, f, "If most holders only read the data, use a reader-writer lock "
              "(pthread_rwlock_t): readers then run together and only writers wait");
  else if (rpct >= 80)
    fz_fa_sug(a->fa, f, "%.0f%% of the acquisitions are reads: publish a new copy of the data "
              "on each write (copy-on-write behind an atomic pointer) so that readers take no "
              "lock", rpct);
  fz_fa_sug(a->fa, f, "Give each thread its own data (counters, buffers, free lists) and merge "
            "at the end, so that the common case takes no lock at all");
}

int fz_rule_locks(fz_actx *a) {
  const fathom_profile *p = a->p;
  if (!p->n_locks || !p->locks) return 0;
  double whole = fmax(a->time_ns, (double)p->meta.duration_ns), waits = 0;
  for (uint32_t i = 0; i < p->n_locks; i++) waits += p->locks[i].wait_ns;
  whole = fmax(whole, waits);
  for (uint32_t i = 0; i < p->n_locks; i++) lock_finding(a, &p->locks[i], whole);
  return 0;
}
