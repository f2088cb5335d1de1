/* http_client.c: a libcurl client of a small HTTP server, its requests profiled per endpoint.
 * The server is a thread of this program on 127.0.0.1 (a plain socket, one connection at a
 * time, closed after each answer) with three endpoints: /items answers at once with 2 KiB,
 * /report thinks 40 ms before it answers with 1 KiB, and anything else is a 404. The client
 * asks for 40 items (each with its own ?id=), 10 reports and 3 missing pages, each with
 * curl_easy_perform. Nothing in the client calls fathom for the requests: with libfathom.so
 * linked (or preloaded) and FATHOM_CURL=1, fathom's curl_easy_perform records each transfer
 * (this program sets FATHOM_CURL=1 itself when it is not set). fathom then prints the
 * endpoints' table, and the session's slow_endpoint finding says that /report's time is spent
 * waiting on the server.
 *
 *   http_client [OUT.json]     the session's profile too (fathom report shows its requests
 *                              and findings; fathom check reads it)
 *
 * Build: link libcurl yourself (-lcurl) and libfathom.so; fathom finds libcurl at run time. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fathom.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ITEMS 40
#define REPORTS 10
#define MISSING 3
#define ITEM_BYTES 2048
#define REPORT_BYTES 1024
#define REPORT_THINK_MS 40

static int listen_fd = -1;

static void send_all(int c, const char *p, size_t n) {
  while (n) {
    ssize_t k = write(c, p, n);
    if (k <= 0) return;
    p += k;
    n -= (size_t)k;
  }
}

static void answer(int c) {
  char req[4096];
  size_t n = 0;
  while (n + 1 < sizeof req) {   /* the request's head (GET: no body) */
    ssize_t k = read(c, req + n, sizeof req - 1 - n);
    if (k <= 0) return;
    n += (size_t)k;
    req[n] = 0;
    if (strstr(req, "\r\n\r\n")) break;
  }
  size_t body = 9;
  const char *status = "404 Not Found";
  if (strncmp(req, "GET /items", 10) == 0) {
    body = ITEM_BYTES;
    status = "200 OK";
  } else if (strncmp(req, "GET /report", 11) == 0) {
    struct timespec think = {0, REPORT_THINK_MS * 1000000L};
    nanosleep(&think, NULL);   /* the slow server */
    body = REPORT_BYTES;
    status = "200 OK";
  }
  char head[160], data[ITEM_BYTES];
  int h = snprintf(head, sizeof head,
                   "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n", status, body);
  memset(data, 'x', sizeof data);
  send_all(c, head, (size_t)h);
  send_all(c, data, body);
}

static void *serve(void *arg) {
  (void)arg;
  for (;;) {
    int c = accept(listen_fd, NULL, NULL);
    if (c < 0) return NULL;   /* shut down by main */
    answer(c);
    close(c);
  }
}

static int start_server(void) {
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) ||
      listen(listen_fd, 16) || getsockname(listen_fd, (struct sockaddr *)&a, &al))
    return -1;
  return ntohs(a.sin_port);
}

static size_t drop(char *p, size_t size, size_t n, void *user) {
  (void)p;
  (void)user;
  return size * n;
}

static int fetch(int port, const char *path) {
  char url[160];
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
  CURL *h = curl_easy_init();   /* a new handle (and connection) per request */
  if (!h) return -1;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, drop);
  CURLcode rc = curl_easy_perform(h);   /* fathom's, with FATHOM_CURL=1: recorded */
  curl_easy_cleanup(h);
  return rc == CURLE_OK ? 0 : -1;
}

int main(int argc, char **argv) {
  setenv("FATHOM_CURL", "1", 0);
  fathom_config cfg;
  fathom_config_init(&cfg);
  cfg.out_path = argc > 1 ? argv[1] : NULL;
  int port = start_server();
  pthread_t th;
  if (port < 0 || pthread_create(&th, NULL, serve, NULL)) {
    perror("http_client: server");
    return 1;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (fathom_session_begin("http client", &cfg) != 0) return 1;
  int bad = 0;
  char path[64];
  for (int i = 0; i < ITEMS; i++) {
    snprintf(path, sizeof path, "/items?id=%d", i);
    bad |= fetch(port, path);
    if (i % (ITEMS / REPORTS) == 0) bad |= fetch(port, "/report?day=1");
  }
  for (int i = 0; i < MISSING; i++) bad |= fetch(port, "/old-page");
  shutdown(listen_fd, SHUT_RDWR);
  pthread_join(th, NULL);
  close(listen_fd);
  if (bad) {
    fprintf(stderr, "http_client: a transfer failed\n");
    return 1;
  }
  fathom_net_stats s;
  if (fathom_net_stats_get(&s) == 0) {
    fathom_net_stats_print(stdout, &s);
    fathom_net_stats_free(&s);
  }
  fathom_profile *p = NULL;
  fathom_session_end(&p);   /* the findings are made here; the profile written to OUT.json */
  for (uint32_t i = 0; p && i < p->n_findings; i++) {
    const fathom_finding *f = &p->findings[i];
    if (f->cls != FATHOM_FIND_SLOW_ENDPOINT) continue;
    printf("\n%s: %s\n", fathom_severity_name(f->severity), f->summary);
    for (uint32_t k = 0; k < f->n_suggestions; k++) printf("  - %s\n", f->suggestions[k]);
  }
  fathom_profile_free(p);
  curl_global_cleanup();
  return 0;
}
