/* fathom_load.h: loading a saved JSON profile back into the model (uses jansson).
 * Invariant: on any failure *out is left NULL and nothing is leaked; a loaded model passes
 * the same structural checks the library's own models satisfy (indices in range, parents
 * before children, histogram buckets ascending and in range). */
#ifndef FATHOM_LOAD_H
#define FATHOM_LOAD_H

#include <stddef.h>
#include "fathom.h"

/* Files larger than this are refused with FATHOM_E_LIMIT (a profile is a summary; 1 GiB). */
#define FATHOM_LOAD_MAX_BYTES ((size_t)1 << 30)

/* Loads the profile at path ("-" = standard input). Returns 0 and *out (free with
 * fathom_profile_free), or a negative code with a one-line message in err:
 * FATHOM_E_IO cannot open or read; FATHOM_E_FORMAT not JSON, truncated, a missing or
 * ill-typed field, an index out of range, a call-tree node deeper than the recorder's 4096
 * levels; FATHOM_E_VERSION schema_version not supported; FATHOM_E_LIMIT too large;
 * FATHOM_E_NOMEM "out of memory loading this profile (needs ~N MB)", when an allocation
 * failed or the load would pass FATHOM_LOAD_MAX_MB (MiB, in the environment; unset or 0:
 * no cap). A load holds about 2.5x the file at its peak (docs/formats.md, "Loading a
 * profile back"). */
int fathom_profile_load(const char *path, fathom_profile **out, char *err, size_t errlen);
/* The same from memory. */
int fathom_profile_load_buffer(const char *buf, size_t len, fathom_profile **out, char *err,
                               size_t errlen);

/* Room for any file name as fathom_quote writes it (PATH_MAX bytes, each at most 4, the
 * quotes and the NUL). */
#define FATHOM_QUOTE_MAX (4 * 4096 + 3)
/* s made safe for a one-line message, in dst (cap bytes with the NUL; returns dst). name
 * nonzero (a file name): s unchanged when it holds no control byte, DEL, '"' or '\', else
 * in double quotes with \n, \r, \t, \", \\ and the other control bytes and DEL as \xHH.
 * name zero (any text): only control bytes and DEL escaped, no quotes. A result too long for
 * cap is cut after a whole character or escape and ends with "..." (and the quote). The
 * loader's messages name their file this way; so does every message of the `fathom` tool. */
char *fathom_quote(char *dst, size_t cap, const char *s, int name);

#endif
