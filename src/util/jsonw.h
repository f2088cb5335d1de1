/* jsonw.h: the JSON writers that the JSON-producing views share (view/json.c,
 * view/html.c, view/speedscope.c, sink_jsonl.c): strings, unsigned integers, and the
 * UTF-8 check the strings are built on (live/prom.c uses it too).
 *
 * Invariant: a string is always written as one valid JSON string (RFC 8259) whatever the
 * bytes: '"' and '\\' escaped, control characters as \u00XX, each byte that does not start
 * a valid UTF-8 sequence replaced by U+FFFD. */
#ifndef FATHOM_JSONW_H
#define FATHOM_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#pragma GCC visibility push(hidden)

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not valid: overlong forms,
 * surrogates (U+D800-U+DFFF), values above U+10FFFF and truncated sequences are invalid.
 * Stops at the terminating NUL because it is never a continuation byte. */
size_t fz_utf8_seq_len(const unsigned char *s);

/* Flags of fz_json_write_str. */
enum {
  FZ_JSTR_NULL = 1u, /* NULL is written as null (without it: as "") */
  FZ_JSTR_HTML = 2u  /* safe inside <script>: '<', '>' and '&' as \u003c, \u003e, \u0026,
                        and invalid bytes as the escape \ufffd rather than raw U+FFFD */
};

/* v in decimal, without a locale. */
void fz_json_write_u64(FILE *f, uint64_t v);

/* The string s, quoted and escaped as above (flags: FZ_JSTR_*). */
void fz_json_write_str(FILE *f, const char *s, unsigned flags);

/* v so that it reads back bit-identical (the shortest of %.15g, %.16g, %.17g that does,
 * whatever the locale): NaN as null, infinities as "Infinity" / "-Infinity". */
void fz_json_write_double(FILE *f, double v);
/* ,"key":v with v as fz_json_write_double writes it (key: a plain ASCII literal). */
void fz_json_num_member(FILE *f, const char *key, double v);

#pragma GCC visibility pop
#endif
