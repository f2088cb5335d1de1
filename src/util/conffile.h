/* conffile.h: fathom's options from a file (conffile.c). A file of `KEY = VALUE` lines holds
 * the same options as the FATHOM_* environment variables (a key is the variable's name with
 * or without the FATHOM_ prefix, in any case: `level`, `FATHOM_LEVEL`), so a team can check
 * its profiling setup into its repository. FATHOM_CONFIG=path names the file; a variable set
 * in the environment wins over the file.
 *
 * Invariant: a file is read whole (at most FZ_CONF_MAX_BYTES), once per path and process; its
 * values live until the process ends (configs point into them, as into the environment), so
 * at most FZ_CONF_MAX_FILES distinct files are kept; nothing here exits or aborts. */
#ifndef FATHOM_UTIL_CONFFILE_H
#define FATHOM_UTIL_CONFFILE_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

#define FZ_CONF_MAX_BYTES (64u * 1024u)
#define FZ_CONF_MAX_FILES 8
#define FZ_CONF_MAX_KEYS 128

typedef struct fz_conf fz_conf;   /* a parsed file, kept for the process's life */

/* The file at path, parsed (cached by path). NULL when it cannot be read or parsed: a
 * message naming the file, the line and the fix goes to stderr once per path. Lines with an
 * unknown key are reported the same way and skipped; the others still apply. */
const fz_conf *fz_conf_load(const char *path);
/* The value of variable name ("FATHOM_LEVEL") in c, or NULL. */
const char *fz_conf_get(const fz_conf *c, const char *name);
/* "path:line" of name's entry in c, for messages ("" when absent). */
const char *fz_conf_where(const fz_conf *c, const char *name);
/* getenv(name) when set and non-empty, else the value from the file FATHOM_CONFIG names, else
 * NULL. For the options users set; fathom's internal variables use getenv. */
const char *fz_getenv(const char *name);
/* Where fz_getenv(name)'s value came from, for messages: "" (the environment, or none) or
 * "file:line: ". */
const char *fz_getenv_where(const char *name);

#pragma GCC visibility pop

#endif
