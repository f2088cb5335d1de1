/* live/live.c: the session hooks of live monitoring and integration (see live.h): the
 * endpoint, autosave and the sinks start with a session and end with it; and
 * fathom_live_info_get.
 *
 * Invariant: the hooks never fail the session: a part that cannot start says so on stderr
 * (once per session) and the rest goes on. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "live/autosave.h"
#include "live/live.h"
#include "model/model.h"
#include "live/sink.h"

static fathom_profile *(*snapshot_fn)(void);

void fz_live_wire(fathom_profile *(*snapshot)(void)) {
  __atomic_store_n(&snapshot_fn, snapshot, __ATOMIC_RELEASE);
}

fathom_profile *fz_live_snapshot(void) {
  fathom_profile *(*fn)(void) = __atomic_load_n(&snapshot_fn, __ATOMIC_ACQUIRE);
  return fn ? fn() : NULL;
}

double fz_live_rss_bytes(void) {
  char buf[128];
  if (fz_read_small("/proc/self/statm", buf, sizeof buf) < 0) return NAN;
  unsigned long long size, resident;
  if (sscanf(buf, "%llu %llu", &size, &resident) != 2) return NAN;
  long page = sysconf(_SC_PAGESIZE);
  return (double)resident * (double)(page > 0 ? page : 4096);
}

void fz_live_session_begin(const fathom_config *c) {
  int saved = errno;
  if (c->listen && *c->listen) {
    char why[256];
    if (fz_http_start(c->listen, why, sizeof why) == 0) {
      fathom_live_info info;
      fz_http_info(&info);
      fprintf(stderr, "fathom: live endpoint on %s (/metrics, /profile.json)%s\n", info.url,
              strncmp(info.address, "127.", 4) && strcmp(info.address, "::1")
                  ? "; not loopback: anyone who can reach it can read the profile" : "");
    } else {
      fprintf(stderr, "fathom: live endpoint not started: %s; the program runs on\n", why);
    }
  }
  fz_autosave_begin(c->autosave_path, c->autosave_interval_s, c->autosave_every_ops);
  fz_sink_begin(c->sink_path, c->sink_interval_s);
  errno = saved;
}

void fz_live_session_stop(void) {
  int saved = errno;
  fz_http_stop();
  errno = saved;
}

void fz_live_session_end(const fathom_profile *p) {
  int saved = errno;
  fz_http_stop();   /* in case session.c did not stop it earlier */
  fz_autosave_end(p);
  fz_sink_end(p);
  errno = saved;
}

void fz_live_after_fork_child(void) {
  fz_http_after_fork_child();
  fz_autosave_after_fork_child();
  fz_sink_after_fork_child();
}

FATHOM_EXTERN int fathom_live_info_get(fathom_live_info *info) {
  if (!info) return FATHOM_E_INVAL;
  memset(info, 0, sizeof *info);
  fz_http_info(info);
  fz_autosave_counts(&info->n_autosaves, &info->n_autosave_errors);
  info->n_sink_flushes = fz_sink_flush_count();
  return 0;
}
