/* zones.h: the zones open on a thread at a moment, when the program `fathom run` runs is
 * itself instrumented with fathom (zones.c). fathom run sets FATHOM_RUN_ZONES to a directory
 * of its own; the program's fathom library then records its zones' timeline and, at the end
 * of its session, writes its profile there as zones.PID.START.json (START: the session's
 * start on CLOCK_MONOTONIC, the clock of the samples). fz_run_zones reads those files back.
 *
 * Invariant: a file that cannot be read is skipped (and counted), never a failure of the run;
 * memory holds the zones' events, each once. */
#ifndef FATHOM_RUN_ZONES_H
#define FATHOM_RUN_ZONES_H

#include <stdint.h>

typedef struct fz_run_zones fz_run_zones;

typedef struct fz_run_zone {   /* a zone open at the moment asked about */
  const char *name, *component, *file;
  const char *func;            /* the function that opened it ("" when not known) */
  int line;
} fz_run_zone;

/* Reads every zones.*.json in dir (NULL when there are none, or out of memory). bad: files
 * that could not be read. */
fz_run_zones *fz_run_zones_load(const char *dir, int *bad);
void fz_run_zones_free(fz_run_zones *z);
/* The zones open on thread tid of process pid at time t_ns (CLOCK_MONOTONIC), outermost
 * first, at most max. Returns how many. */
int fz_run_zones_at(const fz_run_zones *z, uint32_t pid, uint32_t tid, uint64_t t_ns,
                    fz_run_zone *out, int max);
/* Zone events held (all threads). */
uint64_t fz_run_zones_events(const fz_run_zones *z);

#endif
