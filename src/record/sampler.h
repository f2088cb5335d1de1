/* sampler.h: the CPU sampler (sampler.c): per-thread CPU-time timers whose SIGPROF handler
 * tells fathom's own code from the program's and gives each zone its own CPU samples.
 *
 * Invariant: setup and arming never fail the program: anything that cannot work leaves the
 * sampler off with the reason (fz_sampler_why), and the profile says so. */
#ifndef FATHOM_SAMPLER_H
#define FATHOM_SAMPLER_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

struct fz_thread;
/* Installs the handler once (unless SIGPROF is the program's) and sets the rate (samples
 * per second of each thread's CPU time; 0: off). Returns 0 or FATHOM_E_NOTSUP. Caller
 * holds fz_g.lock. */
int fz_sampler_setup(double hz);
int fz_sampler_usable(void);
uint64_t fz_sampler_period_ns(void);   /* 0 when off */
const char *fz_sampler_why(void);      /* what it does, or why it is off */
double fz_sampler_cost_ns(void);       /* what one sample costs its thread, ns */
/* Starts the calling thread's timer (owner thread, when it registers for a session). */
void fz_sampler_arm(struct fz_thread *t);
/* Stops thread t's timer (any thread; once). */
void fz_sampler_disarm(struct fz_thread *t);
/* In a forked child: forgets t's timer (the child has none; its perf fd is the parent's). */
void fz_sampler_after_fork(struct fz_thread *t);

#pragma GCC visibility pop
#endif
