/* lines.h: per source line figures of `fathom run`'s samples (lines.c), for the model's lines
 * table: the "hot lines" of each function.
 * Invariant: memory grows with distinct lines, not with samples. */
#ifndef FATHOM_RUN_LINES_H
#define FATHOM_RUN_LINES_H

#include <stdint.h>

#include "fathom.h"

typedef struct fz_run_lines fz_run_lines;

fz_run_lines *fz_run_lines_new(void);
void fz_run_lines_free(fz_run_lines *l);
/* One sample's path, outermost first: the zone of each frame and the line executing in it
 * (files[d] NULL or lines[d] 0: not known, left out); the last frame is where the sample
 * was taken. files[] must be strings that stay put and are equal as pointers when equal
 * (the unwinder's). */
void fz_run_lines_sample(fz_run_lines *l, const uint32_t *zones, const char *const *files,
                         const uint32_t *lines, uint32_t depth, double period);
/* Fills p->lines (sorted by zone, then self time, largest first). 0, or -1 out of memory
 * (p unchanged). */
int fz_run_lines_build(const fz_run_lines *l, fathom_profile *p);

#endif
