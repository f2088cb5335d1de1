/* fathom_locks.h: lock profiling. Wrappers around pthread mutexes and reader-writer locks
 * that count each lock's acquisitions, tell the contended ones (a try-lock that failed) and
 * time their waits, and time how long each acquisition holds the lock, with the zone open on
 * the thread at each wait and hold. Part of the public API: included by fathom.h (include
 * <fathom.h>, not this file). See docs/locks.md.
 *
 * Invariant: each wrapper takes and releases the lock exactly as the pthread call it wraps,
 * whether or not a session records; an uncontended acquisition costs one try-lock more than
 * nothing, and while a session records, a table look-up, a counter and two clock reads
 * (the hold). Figures are kept only while a session records. */
#ifndef FATHOM_API_LOCKS_H
#define FATHOM_API_LOCKS_H
#ifndef FATHOM_H
#error "include <fathom.h>, not fathom_locks.h"
#endif

#include <pthread.h>

/* Locks. A lock is known by its name (locks taken under the same name are added up in the
 * profile), or when name is NULL by its address and the function that first took it. Return
 * 0, or FATHOM_E_INVAL: a NULL lock, or the pthread call failed (its error code is then in
 * errno, and the lock is not taken or not released). Thread-safe; usable with no session
 * (they then only lock and unlock). */
FATHOM_EXTERN int fathom_mutex_lock(pthread_mutex_t *m, const char *name);
FATHOM_EXTERN int fathom_mutex_unlock(pthread_mutex_t *m);
/* pthread_cond_wait on a mutex taken with fathom_mutex_lock: the time it waits (with the
 * mutex released) is not counted as a hold. Returns 0 or FATHOM_E_INVAL (as above). */
FATHOM_EXTERN int fathom_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
/* Reader-writer locks: declared where <pthread.h> offers pthread_rwlock_t (with -std=c11,
 * define _POSIX_C_SOURCE 200112L or _GNU_SOURCE before including fathom.h). */
#ifdef PTHREAD_RWLOCK_INITIALIZER
FATHOM_EXTERN int fathom_rwlock_rdlock(pthread_rwlock_t *l, const char *name);
FATHOM_EXTERN int fathom_rwlock_wrlock(pthread_rwlock_t *l, const char *name);
FATHOM_EXTERN int fathom_rwlock_unlock(pthread_rwlock_t *l);
#endif

#define FATHOM_LOCKS_MAX 256        /* locks (address and name) a process keeps: acquisitions of
                                       more are counted as dropped */
#define FATHOM_LOCK_ZONES_MAX 8     /* waiting zones and holding zones kept per lock */

#endif
