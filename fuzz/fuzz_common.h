/* fuzz_common.h: what fathom's libFuzzer harnesses share (fuzz_common.c): loading a profile
 * from the fuzzer's bytes, writing every view of it to a sink, the JSON round trip, and
 * failing loudly when a promise is broken.
 *
 * Invariant: a harness aborts (fuzz_fail) only when fathom breaks a documented promise;
 * inputs fathom rejects as it documents (a bad profile, a bad spec) are ordinary, and every
 * helper frees what it allocates, so the leak checker sees only fathom's own leaks. */
#ifndef FATHOM_FUZZ_COMMON_H
#define FATHOM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fathom.h"

/* Prints "fuzz: <why>" to stderr and aborts (libFuzzer then saves the input as a crash). */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A stream that discards what is written to it (/dev/null, opened once). */
FILE *fuzz_sink(void);

/* fathom_profile_load_buffer on d[0..n): the profile, or NULL when the loader refused it.
 * Fails when the loader breaks its own contract (0 without a profile, a profile with an
 * error code). */
fathom_profile *fuzz_load(const void *d, size_t n);

/* Writes p in every view format (the text view with and without colour), as `fathom report
 * --format FMT` does. Fails when a view refuses a profile the loader accepted (anything but
 * FATHOM_E_NOMEM), or when a JSON view (JSON, Chrome trace, speedscope) is not valid JSON. */
void fuzz_views(const fathom_profile *p);

/* p written as fmt in memory (free it); *len its length. Fails when the writer fails. */
char *fuzz_render(const fathom_profile *p, fathom_format fmt, size_t *len);

/* Fails unless buf[0..n) is one valid JSON document (jansson); what names the writer. */
void fuzz_check_json(const char *what, const char *buf, size_t n);

/* The round trip: p written as JSON must load again, and the reloaded profile must write
 * the same JSON. */
void fuzz_round_trip(const fathom_profile *p);

/* Silences stderr (fathom's "ignored" lines for bad FATHOM_* values) until fuzz_quiet_end.
 * Sanitizer reports still reach the real stderr (they write to its descriptor). */
void fuzz_quiet_begin(void);
void fuzz_quiet_end(void);

#endif
