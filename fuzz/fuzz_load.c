/* fuzz_load.c: libFuzzer harness of the profile loader and every view of what it loads.
 * The input is a profile file (JSON). What `fathom report` and `fathom check` do with it
 * runs here: load (src/load), check the rules (fathom_profile_check), write every view
 * (text with and without colour, JSON, CSV, Chrome trace, HTML, folded, speedscope), the
 * JSON round trip (write JSON, load it again: it must load and write the same JSON), then
 * analyse it again with the default thresholds (what `report --thresholds` does), and the
 * round trip and the text view once more with the new findings.
 * Invariant: an input the loader refuses ends the run quietly; one it accepts must pass
 * through every step without a crash, a leak, a failed view or a failed round trip. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fathom_profile *p = fuzz_load(data, size);
  if (!p) return 0;
  char msg[1024];
  if (fathom_profile_check(p, msg, sizeof msg) < 0) fuzz_fail("fathom_profile_check failed");
  fuzz_views(p);
  fuzz_round_trip(p);
  fathom_thresholds th;
  fathom_thresholds_init(&th);
  int rc = fathom_analyze(p, &th);
  if (rc != 0 && rc != FATHOM_E_NOMEM) fuzz_fail("fathom_analyze: %d", rc);
  fuzz_round_trip(p);
  if (fathom_profile_write(p, FATHOM_FORMAT_TEXT, fuzz_sink(), 0) != 0)
    fuzz_fail("the text view failed after the analysis");
  fathom_profile_free(p);
  return 0;
}
