/* empty_hooks.c: -finstrument-functions hooks that do nothing, for the baseline builds of the
 * benchmarks (ir_cyg_empty, the Lua interpreter built with empty hooks): the cost of the
 * instrumentation's calls themselves, without fathom. */
__attribute__((no_instrument_function)) void __cyg_profile_func_enter(void *fn, void *site);
__attribute__((no_instrument_function)) void __cyg_profile_func_exit(void *fn, void *site);
__attribute__((no_instrument_function)) void __cyg_profile_func_enter(void *fn, void *site) {
  (void)fn;
  (void)site;
}
__attribute__((no_instrument_function)) void __cyg_profile_func_exit(void *fn, void *site) {
  (void)fn;
  (void)site;
}
