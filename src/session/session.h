/* session.h: what session.c shares with session/env.c (the environment's request for a
 * profile: FATHOM=1 / FATHOM_OUT, claims of its output files, diagnostics at session end),
 * sites.c and symbols.c. */
#ifndef FATHOM_SESSION_H
#define FATHOM_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

/* ---- session/env.c ---- */
/* Whether the environment asks for a profile: FATHOM set and not "0", or FATHOM_OUT set
 * (and FATHOM not "0"). */
int fz_env_wants_profile(void);
/* Gives c the outputs the environment asks for. An out_path or trace_path equal to
 * FATHOM_OUT / FATHOM_TRACE is claimed for this process: when another running process holds
 * the claim, the path becomes OUT with ".<pid>" before its extension (said once on stderr).
 * With `inherit` (the session serves FATHOM=1 / FATHOM_OUT), a config without out_path or
 * trace_path takes FATHOM_OUT and FATHOM_TRACE, and one with neither an out_path nor
 * FATHOM_OUT prints the text report to stderr unless FATHOM_REPORT says otherwise. The
 * strings stay valid until the process ends. */
void fz_env_outputs(fathom_config *c, int inherit);
/* The session that ends recorded nothing, or could not record what it was asked to: says
 * why on stderr, with the fix, once per cause and process. env_session: the session served
 * FATHOM=1 / FATHOM_OUT. */
void fz_session_diagnose(const fathom_profile *p, int env_session);
/* The program's own file name (for messages), never NULL. */
const char *fz_program_name(void);

/* ---- wire.c ---- */
/* Registers the session's periodic tasks with the scheduler and hands the live stage the
 * session's snapshot (once per process). */
void fz_session_wire(void);
/* The attempts and rankings recorded in session generation g into p (results.c; caller holds
 * fz_g.lock). 0, or -1 out of memory (p keeps those copied). */
int fz_results_fill(fathom_profile *p, uint32_t g);
/* A ranking of variants into the running session (copied). 0, FATHOM_E_STATE (no session),
 * FATHOM_E_LIMIT, FATHOM_E_NOMEM. */
int fz_ranking_add(const fathom_ranking_info *r);
/* Database statements (work/sql_out.c hands its reader down at the first attach): fills p's
 * "queries" with session g's statements. fz_queries_fill calls it (nothing when none was
 * handed); call it without fz_g.lock (the reader takes the tables' locks). */
typedef int (*fz_queries_fill_fn)(fathom_profile *p, uint32_t g);
void fz_session_set_queries(fz_queries_fill_fn fn);
void fz_queries_fill(fathom_profile *p, uint32_t g);
/* GPU zones (work/gpu_zones.c hands its reader down at first use): fills p's "gpu_zones" with
 * session g's figures; final 1 at session end (it then waits, bounded, for pending pairs).
 * Call it without fz_g.lock. */
typedef void (*fz_gpu_fill_fn)(fathom_profile *p, uint32_t g, int final);
void fz_session_set_gpu(fz_gpu_fill_fn fn);
void fz_gpu_fill(fathom_profile *p, uint32_t g, int final);
/* Network requests (work/net_tab.c hands its reader down at first use): fills p's "requests"
 * with session g's endpoints. Call it without fz_g.lock. */
typedef int (*fz_requests_fill_fn)(fathom_profile *p, uint32_t g);
void fz_session_set_requests(fz_requests_fill_fn fn);
void fz_requests_fill(fathom_profile *p, uint32_t g);

#pragma GCC visibility pop

#endif
