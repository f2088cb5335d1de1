/* text_outcomes.c: the text report's "Outcome events" section: per group of events, the
 * subjects ranked by each outcome per second of their time and per MiB of their memory
 * (fathom_efficiency), most efficient first, with the mean outcome per event, and the most
 * and least efficient named (or said to be indistinguishable).
 *
 * Invariant: only reads the profile; at most GROUPS groups and OUTS outcomes a group shown
 * (the rest counted). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/fmt.h"
#include "view/text.h"

#define GROUPS 16
#define OUTS 8
#define ROWS 64

/* "1.23 ±0.04" (a 95 % half-width), or the value alone, or "-" */
static void est(char *b, size_t cap, double v, double se) {
  char x[40];
  fz_fmt_num(x, sizeof x, v);
  if (!isfinite(v)) snprintf(b, cap, "-");
  else if (isfinite(se) && se > 0) snprintf(b, cap, "%s \u00b1%.3g", x, 1.96 * se);
  else snprintf(b, cap, "%s", x);
}

static int table(const fz_tx *tx, const fathom_profile *p, const char *group, const char *out,
                 int mem) {
  fathom_efficiency_row rows[ROWS];
  uint32_t n = 0;
  if (fathom_efficiency(p, group, out, mem ? "memory" : "time", rows, ROWS, &n) || !n) return 0;
  char title[300];
  snprintf(title, sizeof title, "  %s per %s", out, mem ? "MiB of memory" : "second of time");
  fz_on(tx, "1");
  fprintf(tx->f, "%s\n", title);
  fz_off(tx);
  static const char *const head_t[] = {"rank", "subject", "events", "mean per event", "time",
                                       "per second"};
  static const char *const head_m[] = {"rank", "subject", "events", "mean per event", "memory",
                                       "per MiB"};
  fz_tab t;
  fz_tab_init(&t, mem ? head_m : head_t, "rlrrrr");
  uint32_t m = n < ROWS ? n : ROWS;
  for (uint32_t i = 0; i < m; i++) {
    const fathom_efficiency_row *r = &rows[i];
    char rk[16], sb[128], ev[32], mean[64], cost[40], per[64];
    snprintf(rk, sizeof rk, "%u", r->rank);
    fz_clean(sb, sizeof sb, r->subject, FZ_NAME_W);
    snprintf(ev, sizeof ev, "%u", r->events);
    est(mean, sizeof mean, r->mean, r->mean_se);
    if (mem) fz_fmt_bytes(cost, sizeof cost, r->cost);
    else fz_fmt_dur(cost, sizeof cost, r->cost);
    est(per, sizeof per, r->per_unit, r->per_unit_se);
    const char *cells[] = {rk, sb, ev, mean, cost, per};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  if (m > 1) {
    const fathom_efficiency_row *a = &rows[0], *z = &rows[m - 1];
    if (a->rank == z->rank)
      fprintf(tx->f, "  the %u subjects cannot be told apart by %s per %s\n", m, out,
              mem ? "MiB" : "second");
    else
      fprintf(tx->f, "  most efficient: %s; least efficient: %s (\u00b1: 95 %% intervals)\n",
              a->subject, z->subject);
  }
  if (n > m) fz_more(tx, n - m, "subjects");
  return rc;
}

int fz_text_outcomes(const fz_tx *tx, const fathom_profile *p) {
  if (!p->n_outcome_events || !p->outcome_events) return 0;
  fz_section(tx, "Outcome events");
  const char *groups[GROUPS];
  uint32_t ng = 0, more = 0, rc = 0;
  for (uint32_t i = 0; i < p->n_outcome_events; i++) {
    const char *g = p->outcome_events[i].group;
    uint32_t j = 0;
    while (g && j < ng && strcmp(groups[j], g)) j++;
    if (g && j == ng) {
      if (ng < GROUPS) groups[ng++] = g;
      else more++;
    }
  }
  for (uint32_t j = 0; j < ng && !rc; j++) {
    const char *outs[OUTS];
    uint32_t no = 0, events = 0;
    int has_t = 0, has_m = 0;
    for (uint32_t i = 0; i < p->n_outcome_events; i++) {
      const fathom_outcome_event_info *e = &p->outcome_events[i];
      if (!e->group || strcmp(e->group, groups[j])) continue;
      events++;
      has_t |= isfinite(e->time_ns);
      has_m |= isfinite(e->bytes);
      for (uint32_t k = 0; k < e->n_outcomes && k < FATHOM_OUTCOMES_MAX; k++) {
        uint32_t x = 0;
        while (x < no && strcmp(outs[x], e->outcome_name[k])) x++;
        if (x == no && no < OUTS) outs[no++] = e->outcome_name[k];
      }
    }
    char g[128];
    fz_clean(g, sizeof g, groups[j], FZ_NAME_W);
    fprintf(tx->f, "%s: %u events\n", g, events);
    if (!has_t && !has_m)
      fprintf(tx->f, "  (no costs recorded: give time_ns or bytes, or time them with "
                     "fathom_outcome_begin/end, to rank by efficiency)\n");
    for (uint32_t x = 0; x < no && !rc; x++) {
      if (has_t) rc = (uint32_t)table(tx, p, groups[j], outs[x], 0);
      if (has_m && !rc) rc = (uint32_t)table(tx, p, groups[j], outs[x], 1);
    }
  }
  if (more) fz_more(tx, more, "groups");
  if (p->outcome_events_dropped)
    fprintf(tx->f, "  ! %llu events past the 65536 a session were not kept\n",
            (unsigned long long)p->outcome_events_dropped);
  return (int)rc;
}
