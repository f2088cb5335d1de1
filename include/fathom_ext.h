/* fathom_ext.h: extensions: measures of the program's own (its allocator's cache hits, a
 * queue's depth, the bytes a codec emitted, a device's counter) read by fathom beside its own
 * probes, per zone. An extension is a table of callbacks: `begin` and `end` read its counters
 * around a zone's calls (the difference is the zone's figure), `sample` reads them on
 * fathom's background tick (a time series), `report` adds a section to the text report.
 * Part of the public API: included by fathom.h (include <fathom.h>, not this file). See
 * docs/extensions.md.
 *
 * Invariant: fathom calls begin and end on the thread that runs the zone, on the calls it
 * probes (DETAILED and COMPREHENSIVE levels: a random sample of the timed calls, each
 * weighing the inverse of its probability), or on every timed call with
 * FATHOM_EXT_EVERY_CALL; sample on fathom's background thread; report once at session end.
 * At a DETAILED or COMPREHENSIVE session's begin it also calls begin and end a few times,
 * outside any zone, to measure what a reading costs (the governor's budget counts it); with
 * FATHOM_EXT_EVERY_CALL, the zones it times at session begin to calibrate its own cost (on a
 * thread of its own) run them too.
 * The callbacks must be thread-safe where the program's zones run on several threads, must
 * not begin or end zones, and must not call back into fathom. */
#ifndef FATHOM_API_EXT_H
#define FATHOM_API_EXT_H
#ifndef FATHOM_H
#error "include <fathom.h>, not fathom_ext.h"
#endif

#include <stdio.h>

#define FATHOM_EXT_MAX 8           /* extensions registered at once */
#define FATHOM_EXT_METRICS_MAX 8   /* metrics of one extension */

/* Flags of fathom_extension.flags. */
#define FATHOM_EXT_EVERY_CALL 1u   /* read on every timed call, at every level (zones then take
                                      fathom's slower path: see docs/extensions.md), rather than
                                      on the probed calls only */
#define FATHOM_EXT_SIGNED 2u       /* metrics may decrease within a zone (a gauge's change);
                                      without it they are counters that only grow, and a
                                      negative difference is counted as 0 */

typedef struct fathom_extension {
  const char *name;                  /* unique among the registered ones: letters, digits,
                                        '_', '-', '.' (1 to 63 characters) */
  uint32_t n_metrics;                /* 1 to FATHOM_EXT_METRICS_MAX */
  const char *const *metric_names;   /* n_metrics names, distinct, same characters as name */
  const char *const *metric_units;   /* n_metrics units ("bytes", "hits"...), or NULL */
  const double *thresholds;          /* n_metrics values, or NULL: a zone whose own figure
                                        per call (self: without its nested zones) is above
                                        metric i's threshold gets a finding (NaN: none) */
  uint32_t flags;                    /* FATHOM_EXT_* */
  void *user;                        /* handed to every callback */
  /* Read the counters into values[0 .. n_metrics) at a zone's begin / end. Return 0; any
   * other value drops this call's reading (the zone's figure then rests on the others). */
  int (*begin)(void *user, double *values);
  int (*end)(void *user, double *values);
  /* Optional (NULL): read current values for the extension's time series, on fathom's
   * background tick (every monitor interval, ~0.5 s). Return 0 to keep the row. */
  int (*sample)(void *user, double *values);
  /* Optional (NULL): write the extension's own section of the text report to f, from the
   * final profile (called once at session end; the text is kept in the profile). */
  void (*report)(void *user, const fathom_profile *p, FILE *f);
} fathom_extension;

/* Registers an extension (its description and strings are copied; user and the callbacks
 * must stay valid until fathom_extensions_clear or the process ends). Before or during a
 * session; a registration during a session counts from then on. Returns 0, or
 * FATHOM_E_INVAL (NULL, no name, a bad name, no begin or end, no metrics or more than
 * FATHOM_EXT_METRICS_MAX, a missing or repeated metric name, an extension of that name is
 * registered already: registering one twice), FATHOM_E_LIMIT (FATHOM_EXT_MAX registered),
 * FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_extension_register(const fathom_extension *ext);
/* Forgets every registered extension. Returns 0, or FATHOM_E_STATE while a session is
 * active (zones may be running their callbacks). */
FATHOM_EXTERN int fathom_extensions_clear(void);
/* The number of registered extensions. */
FATHOM_EXTERN uint32_t fathom_extension_count(void);

#endif
