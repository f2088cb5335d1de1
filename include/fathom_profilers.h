/* fathom_profilers.h: named profilers — several independent sets of zones in one session
 * (part of fathom.h; include that).
 *
 * A named profiler is the component of the session that carries its name: its zones are
 * the zones of that component, begun through it (fathom_profiler_begin, FATHOM_PROFILER_ZONE)
 * or by name with that component. It can be read, reported and reset on its own while the
 * session and the other profilers go on; the session's report still shows every zone.
 * Profilers live as long as the process (across sessions). See docs/profilers.md. */
#ifndef FATHOM_PROFILERS_H
#define FATHOM_PROFILERS_H

#ifdef __cplusplus
extern "C" {
#endif

#define FATHOM_PROFILERS_MAX 64   /* named profilers a process can make */
#define FATHOM_PROFILER_NAME_MAX 63

typedef struct fathom_profiler fathom_profiler;

/* The profiler named name, made on first use; the same pointer for the same name ever after
 * (thread-safe; valid for the process's life). name: 1 to 63 letters, digits, '_', '-', '.'
 * or ':', and not "default" or "functions" (the session's own components). NULL for a bad
 * name or when FATHOM_PROFILERS_MAX exist already. */
FATHOM_EXTERN fathom_profiler *fathom_profiler_get(const char *name);
/* Its name ("" for NULL). */
FATHOM_EXTERN const char *fathom_profiler_name(const fathom_profiler *p);

/* Begins a zone named zone in profiler p (end it with fathom_zone_end). A null handle when
 * p is NULL (counted as misuse) or no session records. */
FATHOM_EXTERN fathom_zone fathom_profiler_begin(fathom_profiler *p, const char *zone);

/* The statistics of zone `zone` in p since its last reset (every path and thread rolled up).
 * Returns 0, FATHOM_E_INVAL (NULL argument), FATHOM_E_STATE (no session),
 * FATHOM_E_NOTFOUND (no such zone in p), FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_profiler_stats(fathom_profiler *p, const char *zone, fathom_stats *out);

/* A model of p's zones only, since its last reset, analysed for findings (caller frees it
 * with fathom_profile_free); NULL when p is NULL, no session is active, or out of memory.
 * The whole program's tables (resources, counters, locks, ...) are left out. */
FATHOM_EXTERN fathom_profile *fathom_profiler_snapshot(fathom_profiler *p);
/* Writes p's report (fathom_profiler_snapshot in format fmt) to f, or atomically to path
 * ("-": stdout). 0 or a negative code. */
FATHOM_EXTERN int fathom_profiler_write(fathom_profiler *p, fathom_format fmt, FILE *f);
FATHOM_EXTERN int fathom_profiler_save(fathom_profiler *p, fathom_format fmt, const char *path);

/* Starts p afresh: its reads and reports cover only zones begun after this. Nothing is
 * lost: the zones recorded so far stay in the session's profile under the component
 * "NAME (before reset K)". A zone of p open during the reset is counted there. A static call
 * site (FATHOM_ZONE(name, "NAME")) keeps its figures (its descriptor belongs to the
 * program): begin a profiler's zones through it to have them reset. Returns the number of
 * zones set aside (>= 0), FATHOM_E_INVAL (p NULL), FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_profiler_reset(fathom_profiler *p);

/* Cuts a profile down to the zones of one component, in place (a named profiler's report;
 * `fathom report --component`). Their figures are the session's own; nodes of other
 * components between two kept ones are left out (the lower one hangs from the upper one);
 * the whole program's tables are dropped. 0, FATHOM_E_INVAL or FATHOM_E_NOMEM (then p is
 * untouched). */
FATHOM_EXTERN int fathom_profile_keep_component(fathom_profile *p, const char *component);

#if defined(FATHOM_DISABLE)
#define FATHOM_PROFILER_ZONE(prof, name)
#else
/* A zone of profiler prof from here to the end of the enclosing block. */
#define FATHOM_PROFILER_ZONE(prof, name)                                                  \
  fathom_zone FATHOM_UNIQ_(fathom_pzone_) __attribute__((cleanup(fathom_zone_cleanup_),  \
                                                        unused)) =                        \
      __builtin_expect(__atomic_load_n(&fathom_recording_, __ATOMIC_RELAXED) != 0, 0)      \
          ? fathom_profiler_begin((prof), (name))                                          \
          : fathom_zone_null_()
#endif

#ifdef __cplusplus
}
#endif
#endif /* FATHOM_PROFILERS_H */
