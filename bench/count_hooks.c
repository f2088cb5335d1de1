/* count_hooks.c: -finstrument-functions hooks that only count, for the self-check of the Lua
 * benchmark (lua-count): the number of instrumented calls the workload makes, which the
 * profile of the fathom build must hold. At exit the counts go to the file named by
 * BENCH_COUNT_OUT as "enter N exit M". Single-threaded programs only. */
#include <stdio.h>
#include <stdlib.h>

static unsigned long long n_enter, n_exit;

__attribute__((no_instrument_function)) void __cyg_profile_func_enter(void *fn, void *site);
__attribute__((no_instrument_function)) void __cyg_profile_func_exit(void *fn, void *site);
__attribute__((no_instrument_function)) void __cyg_profile_func_enter(void *fn, void *site) {
  (void)fn;
  (void)site;
  n_enter++;
}
__attribute__((no_instrument_function)) void __cyg_profile_func_exit(void *fn, void *site) {
  (void)fn;
  (void)site;
  n_exit++;
}

__attribute__((destructor, no_instrument_function)) static void count_hooks_report(void) {
  const char *path = getenv("BENCH_COUNT_OUT");
  FILE *f = path && *path ? fopen(path, "w") : NULL;
  if (!f) return;
  fprintf(f, "enter %llu exit %llu\n", n_enter, n_exit);
  fclose(f);
}
