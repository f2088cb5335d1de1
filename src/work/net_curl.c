/* net_curl.c: a libcurl transfer's figures (fathom_curl_record): after a transfer completed,
 * curl_easy_getinfo gives its URL, HTTP status, body sizes and the instants of its steps,
 * each in microseconds since the transfer began (the *_TIME_T variants, libcurl 7.61 and
 * later): name resolved, connected, TLS handshake done ("appconnect", 0 without TLS), ready to
 * send (pretransfer), first byte of the answer (starttransfer), end (total). The phases are
 * the gaps: DNS = resolved, connect = connected - resolved, TLS = appconnect - connected,
 * wait = starttransfer - pretransfer, transfer = total - starttransfer. The instants are made
 * non-decreasing first (a reused connection reports 0 for the steps it skipped), so each
 * phase is >= 0 and their sum is the total less the time between the handshake and
 * pretransfer (at most the total).
 *
 * libcurl is not linked, and no header of it is needed: curl_easy_getinfo is looked up in the
 * running program (dlsym), and the few CURLINFO_* numbers used are written here. They are
 * libcurl's stable ABI (curl.h: CURLINFO_STRING 0x100000, CURLINFO_LONG 0x200000,
 * CURLINFO_OFF_T 0x600000; EFFECTIVE_URL = STRING + 1, RESPONSE_CODE = LONG + 2,
 * SIZE_UPLOAD_T = OFF_T + 7, SIZE_DOWNLOAD_T = OFF_T + 8, TOTAL_TIME_T = OFF_T + 50,
 * NAMELOOKUP_TIME_T + 51, CONNECT_TIME_T + 52, PRETRANSFER_TIME_T + 53, STARTTRANSFER_TIME_T
 * + 54, APPCONNECT_TIME_T + 56).
 *
 * Invariant: a failed getinfo leaves the figure 0 (a phase not known: the request counts, its
 * phases do not); nothing here blocks or takes a lock but the table's (fz_net_add_url). */
#include <dlfcn.h>
#include <stdlib.h>

#include "work/net.h"

#define CI_STRING 0x100000
#define CI_LONG 0x200000
#define CI_OFF_T 0x600000
#define CI_EFFECTIVE_URL (CI_STRING + 1)
#define CI_RESPONSE_CODE (CI_LONG + 2)
#define CI_SIZE_UPLOAD_T (CI_OFF_T + 7)
#define CI_SIZE_DOWNLOAD_T (CI_OFF_T + 8)
#define CI_TOTAL_TIME_T (CI_OFF_T + 50)
#define CI_NAMELOOKUP_TIME_T (CI_OFF_T + 51)
#define CI_CONNECT_TIME_T (CI_OFF_T + 52)
#define CI_PRETRANSFER_TIME_T (CI_OFF_T + 53)
#define CI_STARTTRANSFER_TIME_T (CI_OFF_T + 54)
#define CI_APPCONNECT_TIME_T (CI_OFF_T + 56)

typedef int (*getinfo_fn)(void *, int, ...);
static getinfo_fn getinfo;

/* Test seam and hooks: how curl_easy_getinfo is found (NULL: dlsym in the process). */
void *(*fz_net_curl_resolver)(const char *name);

static getinfo_fn resolve(void) {
  getinfo_fn f = __atomic_load_n(&getinfo, __ATOMIC_ACQUIRE);
  if (f && !fz_net_curl_resolver) return f;
  void *p = fz_net_curl_resolver ? fz_net_curl_resolver("curl_easy_getinfo")
                                 : dlsym(RTLD_DEFAULT, "curl_easy_getinfo");
  if (!p && !fz_net_curl_resolver) {   /* a libcurl loaded with RTLD_LOCAL */
    void *h = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_NOLOAD);
    if (h) {
      p = dlsym(h, "curl_easy_getinfo");
      dlclose(h);   /* loaded before and still: its functions stay */
    }
  }
  *(void **)&f = p;
  if (f && !fz_net_curl_resolver) __atomic_store_n(&getinfo, f, __ATOMIC_RELEASE);
  return f;
}

static uint64_t off(getinfo_fn f, void *easy, int what) {
  int64_t v = 0;   /* curl_off_t: a 64-bit signed integer */
  if (f(easy, what, &v) != 0 || v < 0) return 0;
  return (uint64_t)v;
}

FATHOM_EXTERN int fathom_curl_record(void *easy, int curlcode) {
  if (!easy) return FATHOM_E_INVAL;
  getinfo_fn f = resolve();
  if (!f) return FATHOM_E_NOTSUP;
  char *eff = NULL;
  long status = 0;
  const char *url = f(easy, CI_EFFECTIVE_URL, &eff) == 0 && eff && *eff ? eff : "(unknown URL)";
  if (f(easy, CI_RESPONSE_CODE, &status) != 0) status = 0;
  static const int when[6] = {CI_NAMELOOKUP_TIME_T, CI_CONNECT_TIME_T, CI_APPCONNECT_TIME_T,
                              CI_PRETRANSFER_TIME_T, CI_STARTTRANSFER_TIME_T, CI_TOTAL_TIME_T};
  uint64_t at[6], total_us;
  int64_t tv = 0;
  int known = f(easy, CI_TOTAL_TIME_T, &tv) == 0;   /* 0: a libcurl before 7.61 */
  total_us = known && tv > 0 ? (uint64_t)tv : 0;
  for (int k = 0; k < 6; k++) at[k] = k == 5 ? total_us : off(f, easy, when[k]);
  if (!at[2]) at[2] = at[1];   /* no TLS: the handshake took nothing */
  for (int k = 0; k < 6; k++) {
    if (at[k] > total_us) at[k] = total_us;
    if (k && at[k] < at[k - 1]) at[k] = at[k - 1];
  }
  fz_net_req r = {.ns = total_us * 1000, .sent = off(f, easy, CI_SIZE_UPLOAD_T),
                  .received = off(f, easy, CI_SIZE_DOWNLOAD_T), .url = url};
  if (known) {
    r.has_phases = 1;
    r.ph[0] = at[0] * 1000;
    r.ph[1] = (at[1] - at[0]) * 1000;
    r.ph[2] = (at[2] - at[1]) * 1000;
    r.ph[3] = (at[4] - at[3]) * 1000;
    r.ph[4] = (at[5] - at[4]) * 1000;
  }
  r.error = curlcode != 0 || status >= 400;
  r.http_error = curlcode == 0 && status >= 400;
  r.status = curlcode ? -curlcode : (int)status;
  return fz_net_add_url(url, &r);
}
