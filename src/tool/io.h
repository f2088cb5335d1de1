/* io.h: loading a saved profile and writing a view of it, for every `fathom` command.
 * Invariant: both report their failure as one line on stderr and return a TOOL_EXIT_* code;
 * a file written with -o is either complete or absent (temporary name, then rename). */
#ifndef FATHOM_TOOL_IO_H
#define FATHOM_TOOL_IO_H

#include "fathom.h"
#include "opts.h"

/* Loads the JSON profile at path ("-": standard input). Returns TOOL_EXIT_OK and *out (free
 * with fathom_profile_free), or reports "fathom: <path>: <why>" and returns TOOL_EXIT_USAGE
 * with *out NULL: missing, unreadable, a directory, empty, truncated, malformed, wrong
 * schema version, too large. */
int io_load(const char *path, fathom_profile **out);

/* Writes p as fmt to path (NULL or "-": standard output) with colour resolved from color
 * for that destination. Returns TOOL_EXIT_OK, or reports and returns TOOL_EXIT_OUTPUT (a
 * missing directory, a full disk, a closed pipe...); no file and no temporary file is then
 * left at path. */
int io_save(const fathom_profile *p, fathom_format fmt, const char *path, tool_color color);

/* Name of path for messages: "standard input" / "standard output" for "-". */
const char *io_name(const char *path, int output);

#endif
