/* util/sched.c: the table of periodic background tasks (see util/sched.h). */
#include "util/sched.h"

#include "fathom.h"

#define MAX_TASKS 8

static const fz_bg_task *tasks[MAX_TASKS];
static int n_tasks;   /* written under the caller's session lock, read by the thread */

int fz_bg_add(const fz_bg_task *t) {
  int n = __atomic_load_n(&n_tasks, __ATOMIC_ACQUIRE);
  for (int i = 0; i < n; i++)
    if (tasks[i] == t) return 0;
  if (n >= MAX_TASKS) return FATHOM_E_LIMIT;
  tasks[n] = t;
  __atomic_store_n(&n_tasks, n + 1, __ATOMIC_RELEASE);
  return 0;
}

int fz_bg_wanted(void) {
  int n = __atomic_load_n(&n_tasks, __ATOMIC_ACQUIRE);
  for (int i = 0; i < n; i++)
    if (tasks[i]->wanted && tasks[i]->wanted()) return 1;
  return 0;
}

void fz_bg_tick(uint64_t now_mono_ns) {
  int n = __atomic_load_n(&n_tasks, __ATOMIC_ACQUIRE);
  for (int i = 0; i < n; i++)
    if (tasks[i]->wanted && tasks[i]->wanted() && tasks[i]->tick) tasks[i]->tick(now_mono_ns);
}
