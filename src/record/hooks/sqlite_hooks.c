/* sqlite_hooks.c: sqlite3_open, sqlite3_open_v2 and sqlite3_open16 when libfathom.so is loaded
 * (linked or LD_PRELOADed): each forwards to the program's SQLite and, when the environment
 * says FATHOM_SQLITE=1 (read at every open), profiles the new connection's statements
 * (fathom_sqlite_attach, named after its file). Built into the shared library only; the
 * program's statements then reach the session's profile without a change to its code.
 *
 * Invariant: the program gets exactly what its SQLite returns (the connection, the code);
 * attaching is attempted only on a connection that opened (SQLITE_OK), and its failure is
 * said once on stderr, never passed on. SQLite is found at run time (RTLD_NEXT, else a
 * libsqlite3 the process already loaded); fathom links none. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"

#define SQ_OK 0
#define SQ_ERROR 1

/* SQLite's entry points (the connection is a sqlite3 **, passed through untouched). */
FATHOM_EXTERN int sqlite3_open(const char *filename, void **db);
FATHOM_EXTERN int sqlite3_open_v2(const char *filename, void **db, int flags, const char *vfs);
FATHOM_EXTERN int sqlite3_open16(const void *filename, void **db);

static void *real(const char *name) {
  void *f = dlsym(RTLD_NEXT, name);
  if (f) return f;
  /* a SQLite loaded with RTLD_LOCAL (a plugin's, an interpreter module's) */
  void *h = dlopen("libsqlite3.so.0", RTLD_LAZY | RTLD_NOLOAD);
  if (h) {
    f = dlsym(h, name);
    dlclose(h);
  }
  return f;
}

static int wanted(void) {
  const char *e = getenv("FATHOM_SQLITE");
  return e && strcmp(e, "1") == 0;
}

static void attach(void *db, const char *name) {
  static int said;
  int rc = fathom_sqlite_attach(db, name);
  if (rc && !__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
    fprintf(stderr, "fathom: FATHOM_SQLITE=1: the statements of %s are not profiled: %s%s%s\n",
            name, fathom_strerror(rc), *fathom_sqlite_why() ? ": " : "",
            fathom_sqlite_why());
}

static int missing(const char *name, void **db) {
  fprintf(stderr, "fathom: %s: SQLite's own function was not found in this process\n", name);
  if (db) *db = NULL;
  return SQ_ERROR;
}

FATHOM_EXTERN int sqlite3_open(const char *filename, void **db) {
  int (*fn)(const char *, void **);
  *(void **)&fn = real("sqlite3_open");
  if (!fn) return missing("sqlite3_open", db);
  int rc = fn(filename, db);
  if (rc == SQ_OK && db && *db && wanted()) attach(*db, filename ? filename : "sqlite");
  return rc;
}

FATHOM_EXTERN int sqlite3_open_v2(const char *filename, void **db, int flags, const char *vfs) {
  int (*fn)(const char *, void **, int, const char *);
  *(void **)&fn = real("sqlite3_open_v2");
  if (!fn) return missing("sqlite3_open_v2", db);
  int rc = fn(filename, db, flags, vfs);
  if (rc == SQ_OK && db && *db && wanted()) attach(*db, filename ? filename : "sqlite");
  return rc;
}

FATHOM_EXTERN int sqlite3_open16(const void *filename, void **db) {
  int (*fn)(const void *, void **);
  *(void **)&fn = real("sqlite3_open16");
  if (!fn) return missing("sqlite3_open16", db);
  int rc = fn(filename, db);
  if (rc == SQ_OK && db && *db && wanted()) {
    char name[256] = "sqlite";   /* the UTF-16 name, its ASCII kept ('?' for the rest) */
    const unsigned short *w = filename;
    size_t n = 0;
    while (w && w[n] && n + 1 < sizeof name) {
      name[n] = w[n] < 0x80 ? (char)w[n] : '?';
      n++;
    }
    if (n) name[n] = 0;
    attach(*db, name);
  }
  return rc;
}
