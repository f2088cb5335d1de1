/* wire.c: what the session hands down to the stages below it, so that none of them calls
 * back up. The live stage's endpoint, autosave and sinks get the session's snapshot as a
 * function (fz_live_wire). The periodic work of a session goes to fathom's one scheduler
 * (util/sched.h):
 * the overhead governor's decisions (record/gov.h: every 10 ms during a session's first
 * 200 ms, then every 100 ms), the resource monitor's samples (probe/monitor.h: every
 * monitor interval), the timeline's flusher (record/timeline.h: every 0.5 to 10 ms while
 * the timeline is on), windowed throughput (record/tput.h), autosave (live/autosave.h) and
 * sink flushes (live/sink.h), each every 100 ms while it is armed. This is the only place
 * that knows them all; each stage only says, through its task, when it wants ticks.
 *
 * Invariant: all of it happens once per process, before the scheduler's thread first starts
 * and before the endpoint can take a request; the scheduler's thread keeps its own
 * allocations out of allocation tracking. */
#include <pthread.h>

#include "live/autosave.h"
#include "live/live.h"
#include "live/sink.h"
#include "probe/monitor.h"
#include "record/alloc.h"
#include "record/gov.h"
#include "record/timeline.h"
#include "record/tput.h"
#include "session/session.h"
#include "util/sched.h"

static uint64_t gov_first(uint64_t now) { return fz_gov_tick_ns(now); }
static uint64_t gov_tick(uint64_t now) {
  fz_gov_tick(now);
  return fz_gov_tick_ns(now);
}
static const fz_sched_task gov_task = {"governor", fz_gov_wanted, gov_tick, gov_first};

static void on_thread(void) { fz_alloc_pause(); }

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void register_all(void) {
  static const fz_sched_task *const all[] = {&gov_task,         &fz_monitor_task,
                                             &fz_timeline_task, &fz_tput_task,
                                             &fz_autosave_task, &fz_sink_task};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) (void)fz_sched_add(all[i]);
  fz_sched_on_thread(on_thread);
  fz_live_wire(fathom_snapshot);
}

void fz_session_wire(void) { pthread_once(&once, register_all); }
