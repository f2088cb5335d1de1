/* curl_hooks.c: curl_easy_perform when libfathom.so is loaded (linked or LD_PRELOADed): it
 * forwards to the program's libcurl and, when the environment says FATHOM_CURL=1 (read at
 * every call), records the transfer (fathom_curl_record: URL, HTTP status, phases, sizes) and
 * makes the call a zone "curl_easy_perform" of component "net" while a session records.
 * Built into the shared library only; the program's requests then reach the session's
 * profile without a change to its code. Transfers made with the multi interface are not seen
 * here: such programs call fathom_curl_record when a transfer completes.
 *
 * Invariant: the program gets exactly what its libcurl returns; recording never changes the
 * handle (curl_easy_getinfo only reads) and its failure is said once on stderr, never passed
 * on. libcurl is found at run time (RTLD_NEXT, else a libcurl the process already loaded);
 * fathom links none and needs no header of it. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"

#define CURLE_FAILED_INIT 2   /* curl.h's CURLcode for "no libcurl to call" */

FATHOM_EXTERN int curl_easy_perform(void *easy);

static void *real(const char *name) {
  void *f = dlsym(RTLD_NEXT, name);
  if (f) return f;
  void *h = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_NOLOAD);   /* loaded with RTLD_LOCAL */
  if (h) {
    f = dlsym(h, name);
    dlclose(h);
  }
  return f;
}

static int wanted(void) {
  const char *e = getenv("FATHOM_CURL");
  return e && strcmp(e, "1") == 0;
}

FATHOM_EXTERN int curl_easy_perform(void *easy) {
  int (*fn)(void *);
  *(void **)&fn = real("curl_easy_perform");
  if (!fn) {
    fprintf(stderr, "fathom: curl_easy_perform: libcurl's own function was not found in this "
                    "process\n");
    return CURLE_FAILED_INIT;
  }
  if (!easy || !wanted()) return fn(easy);
  fathom_zone z = fathom_zone_begin("curl_easy_perform", "net");
  int rc = fn(easy);
  fathom_zone_end(z);
  int e = fathom_curl_record(easy, rc);
  static int said;
  if (e && e != FATHOM_E_LIMIT && !__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
    fprintf(stderr, "fathom: FATHOM_CURL=1: a transfer was not recorded: %s\n",
            fathom_strerror(e));
  return rc;
}
