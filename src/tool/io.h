/* io.h: loading a saved profile and writing a view of it, for every `fathom` command.
 * Invariant: both report their failure as one line on stderr and return a TOOL_EXIT_* code;
 * a file written with -o is either complete or absent (temporary name, then rename). */
#ifndef FATHOM_TOOL_IO_H
#define FATHOM_TOOL_IO_H

#include <signal.h>
#include <stdio.h>

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

/* Renders one view into f; color: whether to colour it (already resolved for where f goes).
 * Returns 0 or a FATHOM_E_* code (with errno kept for FATHOM_E_IO). */
typedef int (*io_render_fn)(void *ctx, FILE *f, int color);
/* Writes what render gives to path (NULL or "-": standard output, coloured as color says for
 * it; a file is coloured only with TOOL_COLOR_ALWAYS). A file is replaced atomically
 * (fz_afile) and its temporary file is removed if the command dies of a signal meanwhile
 * (io_signals_init). Returns TOOL_EXIT_OK, or reports "fathom: <path>: cannot write: <why>"
 * and returns TOOL_EXIT_OUTPUT, leaving no file and no temporary file at path. */
int io_write(const char *path, tool_color color, io_render_fn render, void *ctx);

/* ---- signals while an output file is written (sig.c) ---- */
/* Installs the handlers (once, before any command runs): SIGINT, SIGTERM, SIGHUP and SIGQUIT,
 * unless inherited as ignored, remove the registered temporary file, then end the process
 * with the same signal (its default action: the usual exit status). SIGXFSZ is ignored, so
 * a write beyond `ulimit -f` is an ordinary write error. */
void io_signals_init(void);
/* Blocks those signals (*old: the mask to give back to io_signals_release), so a temporary
 * file is never made without its name registered. */
void io_signals_hold(sigset_t *old);
void io_signals_release(const sigset_t *old);
/* Registers path as the file the handlers remove (NULL: none; a copy is kept). */
void io_signals_track(const char *path);

#endif
