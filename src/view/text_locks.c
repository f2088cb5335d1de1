/* text_locks.c: the text report's "Locks" section (lock profiling): each lock's
 * acquisitions, the share contended, its waits and holds (sums exact, percentiles estimated
 * from a histogram and marked "~"), then, for the locks waited on, the zones that waited on
 * them and the zones that held them, longest first.
 *
 * Invariant: only reads the profile; at most ROWS locks in the table and DETAIL locks
 * detailed (the rest counted). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/fmt.h"
#include "view/text.h"

#define ROWS 20
#define DETAIL 5

static void pct(char *b, size_t cap, double ns) {
  if (isnan(ns)) {
    snprintf(b, cap, "-");
    return;
  }
  b[0] = '~';
  fz_fmt_dur(b + 1, cap - 1, ns);
}

static void dur(char *b, size_t cap, double ns, uint64_t n) {
  if (!n) snprintf(b, cap, "-");
  else fz_fmt_dur(b, cap, ns);
}

static void zones(const fz_tx *tx, const char *what, const fathom_lock_zone *z, uint32_t n,
                  double total) {
  if (!n || !z) return;
  fprintf(tx->f, "  %s", what);
  for (uint32_t k = 0; k < n && k < 4; k++) {
    char nm[96], d[32], sh[16];
    fz_clean(nm, sizeof nm, z[k].zone, 48);
    fz_fmt_dur(d, sizeof d, z[k].ns);
    snprintf(sh, sizeof sh, "%.0f%%", total > 0 ? fmin(100, 100 * z[k].ns / total) : 0);
    fprintf(tx->f, "%s%s %s (%s, %llu)", k ? "; " : " ", nm, d, sh,
            (unsigned long long)z[k].count);
  }
  if (n > 4) fprintf(tx->f, "; %u more", n - 4);
  fputc('\n', tx->f);
}

int fz_text_locks(const fz_tx *tx, const fathom_profile *p) {
  if (!p->n_locks || !p->locks) return 0;
  fz_section(tx, "Locks");
  static const char *const head[] = {"lock", "kind", "acquired", "contended", "wait",
                                     "wait p50", "wait p99", "wait max", "hold", "hold p50",
                                     "hold p99", "hold max"};
  fz_tab t;
  fz_tab_init(&t, head, "llrrrrrrrrrr");
  uint32_t m = p->n_locks < ROWS ? p->n_locks : ROWS;
  for (uint32_t i = 0; i < m; i++) {
    const fathom_lock_info *l = &p->locks[i];
    char nm[128], kind[16], acq[32], cont[48], w[32], w50[32], w99[32], wm[32], h[32],
        h50[32], h99[32], hm[32];
    fz_clean(nm, sizeof nm, l->name, FZ_NAME_W);
    snprintf(kind, sizeof kind, "%s", l->kind ? l->kind : "?");
    fz_fmt_count(acq, sizeof acq, l->acquisitions);
    char c[32];
    fz_fmt_count(c, sizeof c, l->contended);
    snprintf(cont, sizeof cont, "%s (%.1f%%)", c,
             l->acquisitions ? 100.0 * (double)l->contended / (double)l->acquisitions : 0.0);
    dur(w, sizeof w, l->wait_ns, l->contended);
    pct(w50, sizeof w50, l->wait_p50_ns);
    pct(w99, sizeof w99, l->wait_p99_ns);
    dur(wm, sizeof wm, l->wait_max_ns, l->contended);
    dur(h, sizeof h, l->hold_ns, l->holds);
    pct(h50, sizeof h50, l->hold_p50_ns);
    pct(h99, sizeof h99, l->hold_p99_ns);
    dur(hm, sizeof hm, l->hold_max_ns, l->holds);
    const char *cells[] = {nm, kind, acq, cont, w, w50, w99, wm, h, h50, h99, hm};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  if (p->n_locks > m) fz_more(tx, p->n_locks - m, "locks");
  fprintf(tx->f, "  (wait: time threads spent blocked on a lock whose try-lock failed; hold: "
                 "time from acquisition to release; ~: from a histogram, within 7 %%)\n");
  uint32_t shown = 0;
  for (uint32_t i = 0; i < p->n_locks && shown < DETAIL; i++) {
    const fathom_lock_info *l = &p->locks[i];
    if (!l->contended) continue;
    shown++;
    char nm[128];
    fz_clean(nm, sizeof nm, l->name, FZ_NAME_W);
    fprintf(tx->f, "%s:\n", nm);
    zones(tx, "waited in:", l->waiters, l->n_waiters, l->wait_ns);
    zones(tx, "held in:", l->holders, l->n_holders, l->hold_ns);
    if (l->read_acquisitions)
      fprintf(tx->f, "  %llu of %llu acquisitions were shared (readers)\n",
              (unsigned long long)l->read_acquisitions, (unsigned long long)l->acquisitions);
    if (l->zones_dropped)
      fprintf(tx->f, "  ! %llu waits and holds in further zones are not listed\n",
              (unsigned long long)l->zones_dropped);
  }
  if (p->locks_dropped)
    fprintf(tx->f, "  ! %llu acquisitions of locks past the %d a process keeps were not "
                   "counted\n", (unsigned long long)p->locks_dropped, FATHOM_LOCKS_MAX);
  return rc;
}
