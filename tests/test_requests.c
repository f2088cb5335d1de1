/* test_requests.c: network requests per endpoint: endpoint names (known inputs and outputs:
 * query strings and fragments dropped, default ports written out, hosts and schemes apart);
 * the generic fathom_request_begin / end and fathom_request_record (counts, errors, bytes
 * exact, phases summed); the cap on endpoints (the rest counted as dropped); misuse refused
 * (NULL, a null handle, an end twice, phases above the total); the session's profile table,
 * its JSON read back unchanged and checked (a tampered figure caught, a malformed file
 * refused), its text section and its slow_endpoint finding; and libcurl (Debian's, linked
 * into this test only) against a small HTTP server started here: count, HTTP errors and a
 * failed connection counted, bytes received and sent exactly what the server and the client
 * sent, phases each >= 0 and summing to at most the total. No timing is asserted but
 * relations. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fathom_load.h"
#include "testutil.h"
#include "work/net.h"

#define BODY_OK 12345    /* bytes the server's /ok sends */
#define UPLOAD 1000      /* bytes the client posts to /upload */

/* ---- a small HTTP/1.1 server on 127.0.0.1 (one connection at a time, closed after each
 * answer) ---- */

typedef struct server {
  int fd, port;
  pthread_t th;
} server;

static void answer(int c) {
  char buf[8192];
  size_t n = 0;
  char *end = NULL;
  while (n + 1 < sizeof buf && !end) {
    ssize_t k = read(c, buf + n, sizeof buf - 1 - n);
    if (k <= 0) return;
    n += (size_t)k;
    buf[n] = 0;
    end = strstr(buf, "\r\n\r\n");
  }
  if (!end) return;
  long len = 0;
  const char *cl = strcasestr(buf, "Content-Length:");
  if (cl && cl < end) len = strtol(cl + 15, NULL, 10);
  long have = (long)(n - (size_t)(end + 4 - buf));
  while (have < len) {   /* the request's body, read and dropped */
    ssize_t k = read(c, buf, sizeof buf);
    if (k <= 0) return;
    have += k;
  }
  int ok = strncmp(buf, "GET /ok", 7) == 0 || strncmp(buf, "POST /upload", 12) == 0;
  size_t body = strncmp(buf, "GET /ok", 7) == 0 ? BODY_OK : ok ? 2 : 9;
  char head[256];
  int h = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n", ok ? "200 OK" : "404 Not Found", body);
  if (write(c, head, (size_t)h) != h) return;
  char *b = malloc(body);
  if (!b) return;
  memset(b, 'x', body);
  size_t off = 0;
  while (off < body) {
    ssize_t k = write(c, b + off, body - off);
    if (k <= 0) break;
    off += (size_t)k;
  }
  free(b);
}

static void *serve(void *arg) {
  server *s = arg;
  for (;;) {
    int c = accept(s->fd, NULL, NULL);
    if (c < 0) return NULL;   /* shut down */
    answer(c);
    close(c);
  }
}

static void server_start(server *s) {
  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(s->fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(s->fd, 16), 0);
  assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
  s->port = ntohs(a.sin_port);
  assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_stop(server *s) {
  shutdown(s->fd, SHUT_RDWR);
  pthread_join(s->th, NULL);
  close(s->fd);
}

/* ---- helpers ---- */

static const fathom_request_info *find(const fathom_request_info *r, uint32_t n,
                                       const char *endpoint) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(r[i].endpoint, endpoint) == 0) return &r[i];
  return NULL;
}

/* What every table must satisfy, whatever the timings. */
static void relations(const fathom_request_info *r, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    const fathom_request_info *x = &r[i];
    assert_true(x->count > 0 && x->errors <= x->count && x->http_errors <= x->errors);
    assert_true(x->min_ns <= x->p50_ns && x->p50_ns <= x->p95_ns && x->p95_ns <= x->p99_ns &&
                x->p99_ns <= x->max_ns);
    assert_true(x->min_ns <= x->mean_ns + 1 && x->mean_ns <= x->max_ns + 1);
    assert_true(x->phased <= x->count && x->phased_ns <= x->total_ns);
    double ph = x->dns_ns + x->connect_ns + x->tls_ns + x->wait_ns + x->transfer_ns;
    assert_true(x->dns_ns >= 0 && x->connect_ns >= 0 && x->tls_ns >= 0 && x->wait_ns >= 0 &&
                x->transfer_ns >= 0);
    assert_true(ph <= x->phased_ns);
    if (i) assert_true(x->total_ns <= r[i - 1].total_ns);
  }
}

static const char *ep(const char *url) {
  static char out[FZ_NET_ENDPOINT_MAX];
  fz_net_endpoint(url, out, sizeof out);
  return out;
}

/* ---- the tests ---- */

static void test_endpoints(void **state) {
  (void)state;
  assert_string_equal(ep("http://Example.COM/api/items?id=7&x=1"), "http://example.com:80/api/items");
  assert_string_equal(ep("HTTPS://example.com"), "https://example.com:443/");
  assert_string_equal(ep("https://user:secret@example.com:8443/a/b#frag"),
                      "https://example.com:8443/a/b");
  assert_string_equal(ep("http://[::1]:8080/x?y"), "http://[::1]:8080/x");
  assert_string_equal(ep("http://[::1]/x"), "http://[::1]:80/x");
  assert_string_equal(ep("redis.local:6379"), "redis.local:6379");
  assert_string_equal(ep("Cache.Local:11211/stats?x=1"), "cache.local:11211/stats");
  assert_string_equal(ep("gopher://example.com/1"), "gopher://example.com/1");   /* no default */
  assert_string_equal(ep(""), "");
  char url[600], out[64];
  memset(url, 'a', sizeof url);
  memcpy(url, "http://", 7);
  url[sizeof url - 1] = 0;
  size_t n = fz_net_endpoint(url, out, sizeof out);
  assert_int_equal(n, strlen(out));
  assert_true(n < sizeof out);
  char clean[128];
  fz_net_url_clean("https://user:secret@example.com/a?token=1", clean, sizeof clean);
  assert_string_equal(clean, "https://example.com/a?token=1");
  assert_false(fz_net_is_error(0));
  assert_false(fz_net_is_error(200));
  assert_false(fz_net_is_error(302));
  assert_true(fz_net_is_error(404));
  assert_true(fz_net_is_error(7));
  assert_true(fz_net_is_error(-1));
}

static void test_generic(void **state) {
  (void)state;
  fathom_net_reset();
  const char *urls[] = {"http://Example.com/api/items?id=1", "http://example.com/api/items?id=2",
                        "http://example.com:80/api/items#top", "https://example.com/api/items",
                        "http://example.org/api/items"};
  const int errs[] = {0, 500, -7, 200, 404};
  for (int i = 0; i < 5; i++) {
    fathom_request r = fathom_request_begin(urls[i]);
    assert_int_equal(r.status, 0);
    assert_int_equal(fathom_request_end(r, 100 + (uint64_t)i, 1000 * (uint64_t)(i + 1), errs[i]), 0);
  }
  fathom_request_phases ph = {1000, 2000, 3000, 4000, 5000};
  assert_int_equal(fathom_request_record("http://example.com/api/items?id=3", 20000, &ph, 7, 70, 0),
                   0);
  fathom_net_stats s;
  assert_int_equal(fathom_net_stats_get(&s), 0);
  assert_int_equal(s.n, 3);
  assert_int_equal(s.requests, 6);
  assert_int_equal(s.dropped, 0);
  const fathom_request_info *a = find(s.r, s.n, "http://example.com:80/api/items");
  const fathom_request_info *b = find(s.r, s.n, "https://example.com:443/api/items");
  const fathom_request_info *c = find(s.r, s.n, "http://example.org:80/api/items");
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_int_equal(a->count, 4);
  assert_int_equal(a->errors, 2);
  assert_int_equal(a->http_errors, 1);
  assert_int_equal(a->bytes_sent, 100 + 101 + 102 + 7);
  assert_int_equal(a->bytes_received, 1000 + 2000 + 3000 + 70);
  assert_int_equal(a->phased, 1);
  assert_true(a->phased_ns == 20000 && a->dns_ns == 1000 && a->connect_ns == 2000 &&
              a->tls_ns == 3000 && a->wait_ns == 4000 && a->transfer_ns == 5000);
  assert_true(a->exact);
  assert_true(a->n_slowest == 3);
  assert_int_equal(b->count, 1);
  assert_int_equal(b->errors, 0);
  assert_int_equal(b->bytes_received, 4000);
  assert_int_equal(c->count, 1);
  assert_int_equal(c->errors, 1);
  assert_int_equal(c->http_errors, 1);
  assert_int_equal(c->slowest_status[0], 404);
  assert_string_equal(c->slowest_url[0], "http://example.org/api/items");
  relations(s.r, s.n);
  char *txt = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&txt, &len);
  assert_int_equal(fathom_net_stats_print(f, &s), 0);
  assert_int_equal(fathom_net_stats_json(f, &s), 0);
  fclose(f);
  assert_non_null(strstr(txt, "Network requests"));
  assert_non_null(strstr(txt, "http://example.org:80/api/items"));
  assert_non_null(strstr(txt, "\"requests_dropped\":0"));
  free(txt);
  fathom_net_stats_free(&s);
}

static void test_misuse(void **state) {
  (void)state;
  fathom_net_reset();
  fathom_request r = fathom_request_begin(NULL);
  assert_int_equal(r.status, FATHOM_E_INVAL);
  assert_int_equal(fathom_request_end(r, 0, 0, 0), FATHOM_E_INVAL);
  assert_int_equal(fathom_request_begin("").status, FATHOM_E_INVAL);
  fathom_request zero;
  memset(&zero, 0, sizeof zero);
  assert_int_equal(fathom_request_end(zero, 0, 0, 0), FATHOM_E_ENDED);
  r = fathom_request_begin("http://a.example/");
  assert_int_equal(fathom_request_end(r, 1, 1, 0), 0);
  assert_int_equal(fathom_request_end(r, 1, 1, 0), FATHOM_E_ENDED);   /* twice: refused */
  fathom_request old = fathom_request_begin("http://a.example/");
  fathom_net_reset();   /* begun before the figures were cleared: not counted */
  assert_int_equal(fathom_request_end(old, 1, 1, 0), FATHOM_E_STATE);
  fathom_request_phases bad = {10, 10, 10, 10, 10};
  assert_int_equal(fathom_request_record("http://a.example/", 40, &bad, 0, 0, 0), FATHOM_E_INVAL);
  assert_int_equal(fathom_request_record(NULL, 40, NULL, 0, 0, 0), FATHOM_E_INVAL);
  assert_int_equal(fathom_curl_record(NULL, 0), FATHOM_E_INVAL);
  assert_int_equal(fathom_net_stats_get(NULL), FATHOM_E_INVAL);
  assert_int_equal(fathom_net_stats_print(NULL, NULL), FATHOM_E_INVAL);
  fathom_net_stats_free(NULL);
  fathom_net_stats s;
  assert_int_equal(fathom_net_stats_get(&s), 0);
  assert_int_equal(s.n, 0);   /* nothing refused was counted */
  assert_int_equal(s.requests, 0);
  fathom_net_stats_free(&s);
}

static void test_caps(void **state) {
  (void)state;
  fathom_net_reset();
  char url[64];
  for (int i = 0; i < FATHOM_NET_MAX_ENDPOINTS; i++) {
    snprintf(url, sizeof url, "http://h%d.example/", i);
    assert_int_equal(fathom_request_record(url, 10, NULL, 0, 0, 0), 0);
  }
  assert_int_equal(fathom_request_record("http://one-more.example/", 10, NULL, 0, 0, 0),
                   FATHOM_E_LIMIT);
  assert_int_equal(fathom_request_begin("http://two-more.example/").status, FATHOM_E_LIMIT);
  assert_int_equal(fathom_request_record("http://h3.example/?again", 10, NULL, 0, 0, 0), 0);
  fathom_net_stats s;
  assert_int_equal(fathom_net_stats_get(&s), 0);
  assert_int_equal(s.n, FATHOM_NET_MAX_ENDPOINTS);
  assert_int_equal(s.dropped, 2);
  assert_int_equal(s.requests, FATHOM_NET_MAX_ENDPOINTS + 1);
  fathom_net_stats_free(&s);
  fathom_net_reset();   /* in flight: the cap on requests begun and not ended */
  fathom_request *hs = calloc(FATHOM_NET_INFLIGHT, sizeof *hs);
  assert_non_null(hs);
  for (int i = 0; i < FATHOM_NET_INFLIGHT; i++) {
    hs[i] = fathom_request_begin("http://busy.example/");
    assert_int_equal(hs[i].status, 0);
  }
  assert_int_equal(fathom_request_begin("http://busy.example/").status, FATHOM_E_LIMIT);
  for (int i = 0; i < FATHOM_NET_INFLIGHT; i++) assert_int_equal(fathom_request_end(hs[i], 0, 0, 0), 0);
  free(hs);
  assert_int_equal(fathom_net_stats_get(&s), 0);
  assert_int_equal(s.n, 1);
  assert_int_equal(s.r[0].count, FATHOM_NET_INFLIGHT);
  assert_true(s.r[0].exact);   /* 1024 requests: every time kept */
  assert_int_equal(s.dropped, 1);
  fathom_net_stats_free(&s);
  for (int i = 0; i < 10; i++) fathom_request_record("http://busy.example/", 5, NULL, 0, 0, 0);
  assert_int_equal(fathom_net_stats_get(&s), 0);
  assert_false(s.r[0].exact);   /* past the samples kept: estimates */
  fathom_net_stats_free(&s);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A session with a request that waits on its server for most of its time. */
static fathom_profile *session(void) {
  assert_int_equal(fathom_session_begin("net", NULL), 0);
  fathom_request_phases ph = {1000000, 2000000, 0, 80000000, 5000000};   /* wait: 80 ms */
  for (int i = 0; i < 2; i++)
    assert_int_equal(fathom_request_record("https://api.example/v1/report?day=1", 100000000,
                                           &ph, 50, 5000, 0), 0);
  fathom_request r = fathom_request_begin("http://cache.example/get?k=1");
  assert_int_equal(fathom_request_end(r, 10, 20, 503), 0);
  sleep_ms(450);   /* the session lasts longer than the requests recorded */
  return end();
}

static void test_profile(void **state) {
  (void)state;
  fathom_profile *p = session();
  assert_int_equal(p->n_requests, 2);
  const fathom_request_info *a = &p->requests[0];
  assert_string_equal(a->endpoint, "https://api.example:443/v1/report");
  assert_int_equal(a->count, 2);
  assert_true(a->total_ns == 200000000.0 && a->wait_ns == 160000000.0);
  assert_string_equal(p->requests[1].endpoint, "http://cache.example:80/get");
  assert_int_equal(p->requests[1].errors, 1);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  const fathom_finding *f = NULL;
  for (uint32_t i = 0; i < p->n_findings && !f; i++)
    if (p->findings[i].cls == FATHOM_FIND_SLOW_ENDPOINT &&
        strstr(p->findings[i].summary, "api.example")) f = &p->findings[i];
  assert_non_null(f);
  assert_string_equal(fathom_finding_class_name(FATHOM_FIND_SLOW_ENDPOINT), "slow_endpoint");
  int server_slow = 0;
  for (uint32_t k = 0; k < f->n_suggestions; k++)
    server_slow |= strstr(f->suggestions[k], "the server is slow") != NULL;
  assert_true(server_slow);
  char *txt = render(p, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(txt, "Network requests"));
  assert_non_null(strstr(txt, "https://api.example:443/v1/report"));
  free(txt);
  char *html = render(p, FATHOM_FORMAT_HTML, 0);
  assert_non_null(strstr(html, "\"requests\":[[\"https://api.example:443/v1/report\""));
  free(html);
  /* JSON: read back unchanged */
  char *buf = render(p, FATHOM_FORMAT_JSON, 0);
  fathom_profile *q = NULL;
  char err[512];
  assert_int_equal(fathom_profile_load_buffer(buf, strlen(buf), &q, err, sizeof err), 0);
  assert_int_equal(q->n_requests, p->n_requests);
  for (uint32_t i = 0; i < p->n_requests; i++) {
    const fathom_request_info *x = &p->requests[i], *y = &q->requests[i];
    assert_string_equal(x->endpoint, y->endpoint);
    assert_true(x->count == y->count && x->errors == y->errors &&
                x->http_errors == y->http_errors && x->exact == y->exact);
    assert_true(x->total_ns == y->total_ns && x->p99_ns == y->p99_ns &&
                x->wait_ns == y->wait_ns && x->phased_ns == y->phased_ns);
    assert_true(x->bytes_sent == y->bytes_sent && x->bytes_received == y->bytes_received);
    assert_int_equal(x->n_slowest, y->n_slowest);
    for (uint32_t k = 0; k < x->n_slowest; k++) {
      assert_true(x->slowest_ns[k] == y->slowest_ns[k]);
      assert_int_equal(x->slowest_status[k], y->slowest_status[k]);
      assert_string_equal(x->slowest_url[k], y->slowest_url[k]);
    }
  }
  assert_int_equal(fathom_profile_check(q, NULL, 0), 0);
  /* tampered: phases above the requests' time, caught by check */
  q->requests[0].wait_ns = q->requests[0].phased_ns + 1e6;
  char msg[512];
  assert_true(fathom_profile_check(q, msg, sizeof msg) > 0);
  assert_non_null(strstr(msg, "phases"));
  q->requests[0].wait_ns = p->requests[0].wait_ns;
  q->requests[0].p50_ns = q->requests[0].max_ns + 1;
  assert_true(fathom_profile_check(q, msg, sizeof msg) > 0);
  assert_non_null(strstr(msg, "out of order"));
  fathom_profile_free(q);
  /* malformed: a negative time refused, naming the member */
  char *at = strstr(buf, "\"total_ns\":2");
  assert_non_null(at);
  char *bad = NULL;
  assert_true(asprintf(&bad, "%.*s\"total_ns\":-2%s", (int)(at - buf), buf,
                       at + strlen("\"total_ns\":2")) > 0);
  q = NULL;
  assert_int_not_equal(fathom_profile_load_buffer(bad, strlen(bad), &q, err, sizeof err), 0);
  assert_null(q);
  assert_non_null(strstr(err, "total_ns"));
  free(bad);
  free(buf);
}

/* Several threads at once: every request counted, begun on one thread and ended on another. */
#define THREADS 4
#define PER_THREAD 2000

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < PER_THREAD; i++) {
    fathom_request r = fathom_request_begin(i % 2 ? "http://odd.example/x?i=1" : "http://even.example/");
    assert_int_equal(r.status, 0);
    assert_int_equal(fathom_request_end(r, (uint64_t)id, 1, i % 10 == 0 ? 500 : 0), 0);
  }
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  fathom_net_reset();
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)(i + 1)), 0);
  fathom_request handed = fathom_request_begin("http://handed.example/");   /* ended elsewhere */
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  assert_int_equal(fathom_request_end(handed, 0, 0, 0), 0);
  fathom_net_stats s;
  assert_int_equal(fathom_net_stats_get(&s), 0);
  assert_int_equal(s.n, 3);
  assert_int_equal(s.requests, THREADS * PER_THREAD + 1);
  const fathom_request_info *odd = find(s.r, s.n, "http://odd.example:80/x");
  const fathom_request_info *even = find(s.r, s.n, "http://even.example:80/");
  assert_non_null(odd);
  assert_non_null(even);
  assert_int_equal(odd->count, THREADS * PER_THREAD / 2);
  assert_int_equal(even->count, THREADS * PER_THREAD / 2);
  assert_int_equal(even->errors, THREADS * PER_THREAD / 10);   /* i % 10 == 0: all even i */
  assert_int_equal(odd->errors, 0);
  assert_int_equal(odd->bytes_sent + even->bytes_sent, (PER_THREAD) * (1 + 2 + 3 + 4));
  assert_int_equal(odd->bytes_received + even->bytes_received, THREADS * PER_THREAD);
  assert_false(odd->exact);   /* 4,000 requests: a sample of their times */
  relations(s.r, s.n);
  fathom_net_stats_free(&s);
}

/* ---- libcurl ---- */

static size_t drop(char *p, size_t size, size_t n, void *user) {
  (void)p;
  (void)user;
  return size * n;
}

static int get(const char *url, const char *post) {
  CURL *h = curl_easy_init();
  assert_non_null(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, drop);
  static char body[UPLOAD];
  memset(body, 'u', sizeof body);
  if (post) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)UPLOAD);
  }
  CURLcode rc = curl_easy_perform(h);
  assert_int_equal(fathom_curl_record(h, (int)rc), 0);
  curl_easy_cleanup(h);
  return (int)rc;
}

static void test_curl(void **state) {
  (void)state;
  server s;
  server_start(&s);
  fathom_net_reset();
  char url[128], closed[128];
  for (int i = 0; i < 3; i++) {
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ok?n=%d", s.port, i);
    assert_int_equal(get(url, NULL), CURLE_OK);
  }
  snprintf(url, sizeof url, "http://127.0.0.1:%d/missing", s.port);
  assert_int_equal(get(url, NULL), CURLE_OK);   /* a 404 is no transfer error */
  snprintf(url, sizeof url, "http://127.0.0.1:%d/upload", s.port);
  assert_int_equal(get(url, "post"), CURLE_OK);
  /* a port nobody listens on: the server's, once it is closed */
  server_stop(&s);
  snprintf(closed, sizeof closed, "http://127.0.0.1:%d/gone", s.port);
  assert_int_not_equal(get(closed, NULL), CURLE_OK);
  fathom_net_stats st;
  assert_int_equal(fathom_net_stats_get(&st), 0);
  assert_int_equal(st.n, 4);
  char name[128];
  snprintf(name, sizeof name, "http://127.0.0.1:%d/ok", s.port);
  const fathom_request_info *ok = find(st.r, st.n, name);
  assert_non_null(ok);
  assert_int_equal(ok->count, 3);
  assert_int_equal(ok->errors, 0);
  assert_int_equal(ok->bytes_received, 3 * BODY_OK);
  assert_int_equal(ok->bytes_sent, 0);
  assert_int_equal(ok->phased, 3);
  assert_int_equal(ok->slowest_status[0], 200);
  snprintf(name, sizeof name, "http://127.0.0.1:%d/missing", s.port);
  const fathom_request_info *miss = find(st.r, st.n, name);
  assert_non_null(miss);
  assert_true(miss->count == 1 && miss->errors == 1 && miss->http_errors == 1);
  assert_int_equal(miss->slowest_status[0], 404);
  assert_int_equal(miss->bytes_received, 9);
  snprintf(name, sizeof name, "http://127.0.0.1:%d/upload", s.port);
  const fathom_request_info *up = find(st.r, st.n, name);
  assert_non_null(up);
  assert_int_equal(up->bytes_sent, UPLOAD);
  assert_int_equal(up->bytes_received, 2);
  assert_int_equal(up->errors, 0);
  snprintf(name, sizeof name, "http://127.0.0.1:%d/gone", s.port);
  const fathom_request_info *gone = find(st.r, st.n, name);
  assert_non_null(gone);
  assert_true(gone->count == 1 && gone->errors == 1 && gone->http_errors == 0);
  assert_true(gone->slowest_status[0] < 0);   /* minus the CURLcode */
  relations(st.r, st.n);
  fathom_net_stats_free(&st);
}

/* A process without libcurl (through the resolver seam): NOTSUP, nothing counted. */
static void *no_curl(const char *name) {
  (void)name;
  return NULL;
}

static void test_no_curl(void **state) {
  (void)state;
  fathom_net_reset();
  fz_net_curl_resolver = no_curl;
  int x = 0;
  assert_int_equal(fathom_curl_record(&x, 0), FATHOM_E_NOTSUP);
  fz_net_curl_resolver = NULL;
  fathom_net_stats s;
  assert_int_equal(fathom_net_stats_get(&s), 0);
  assert_int_equal(s.n + s.dropped, 0);
  fathom_net_stats_free(&s);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      T(test_endpoints), T(test_generic), T(test_misuse), T(test_caps),
      T(test_profile),   T(test_threads), T(test_curl),  T(test_no_curl),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
