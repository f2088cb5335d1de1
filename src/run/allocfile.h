/* allocfile.h: the allocation files `fathom run --alloc` gets back from the program
 * (allocfile.c reads them; src/record/allocsample.c writes them, one per process).
 * Invariant: a file is read whole or refused with a message saying why (not such a file, a
 * version this fathom does not know, cut short, a bad line); nothing half-read is used. */
#ifndef FATHOM_RUN_ALLOCFILE_H
#define FATHOM_RUN_ALLOCFILE_H

#include <stddef.h>
#include <stdint.h>

#include "run/prof.h"
#include "run/run.h"

typedef struct fz_alloc_stack {
  uint32_t tid, depth;
  double f[FZ_RUN_ALLOC_N];    /* the figures, in fz_run_prof_alloc's order */
  uint64_t *pcs;               /* return addresses, innermost first */
} fz_alloc_stack;

typedef struct fz_alloc_file {
  uint32_t pid;
  uint64_t rate;               /* mean bytes between samples */
  uint64_t samples, dropped;   /* samples taken; of those, beyond the table of stacks */
  uint64_t heap_peak;          /* the process's live heap at its highest (bytes) */
  uint64_t heap_slack;         /* ... exact to within this many bytes per thread */
  uint32_t n_maps, n_stacks;
  fz_run_mmap *maps;           /* pid set; paths owned */
  fz_alloc_stack *stacks;
} fz_alloc_file;

/* Reads path into *out (free with fz_alloc_file_free, also after a failure). Returns 0, or
 * -1 with why (at most cap bytes) saying what is wrong. */
int fz_alloc_file_read(const char *path, fz_alloc_file *out, char *why, size_t cap);
void fz_alloc_file_free(fz_alloc_file *f);

#endif
