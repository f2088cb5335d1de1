/* test_live_guard.c: the live endpoint against hostile clients.
 * - Host: only the bound address, localhost or a loopback address, with the port, is
 *   answered; any other name (a DNS-rebinding page: curl --resolve evil.example) gets 421
 *   and no profile; no Host or two get 400.
 * - slow clients: 40 connections trickling a byte every 500 ms (from the client's own
 *   address, or from another one and replaced as soon as they end) never lock out a normal
 *   request, and none stays open past the whole-request bound though none goes idle.
 * - many clients: 300 connections sending a request at once are all answered 200; 300 idle
 *   connections opened at once are all established (the listen backlog of 64 used to drop
 *   all but 81) and a normal request still gets in; one address cannot take every slot: a
 *   client from another loopback address is answered while 127.0.0.1 holds its limit.
 * Bounds are generous: nothing here asserts a timing finer than "within 20 s". */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void slow_cleanup(void);
#define TESTUTIL_CLEANUP_FIRST() slow_cleanup()
#include "livetest.h"

#define GENEROUS_MS 30000

static int port;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) continue;
}

/* A connection to the endpoint from src (NULL: any loopback address), or -1. */
static int dial(const char *src) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (src) {
    struct sockaddr_in b = {.sin_family = AF_INET};
    inet_pton(AF_INET, src, &b.sin_addr);
    if (bind(fd, (struct sockaddr *)&b, sizeof b) != 0) {
      close(fd);
      return -1;
    }
  }
  struct timeval tv = {GENEROUS_MS / 1000, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Reads the answer on fd until the server closes (GENEROUS_MS at most) into buf; returns its
 * HTTP status, 0 when none came. */
static int answer(int fd, char *buf, size_t cap) {
  size_t n = 0;
  int64_t until = now_ms() + GENEROUS_MS;
  while (n + 1 < cap && now_ms() < until) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 1000) <= 0) continue;
    ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
    if (r <= 0) break;
    n += (size_t)r;
  }
  buf[n] = 0;
  int status = 0;
  return sscanf(buf, "HTTP/1.%*1d %d", &status) == 1 ? status : 0;
}

/* Sends a raw request from src and returns the status of the answer (body into buf). */
static int raw(const char *src, const char *request, char *buf, size_t cap) {
  int fd = dial(src);
  if (fd < 0) fail_msg("cannot connect from %s: %s", src ? src : "127.0.0.1", strerror(errno));
  size_t len = strlen(request);
  assert_int_equal(send(fd, request, len, MSG_NOSIGNAL), (ssize_t)len);
  int status = answer(fd, buf, cap);
  close(fd);
  return status;
}

static int get_with_host(const char *path, const char *host) {
  char req[512], buf[1 << 16];
  snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: t\r\n\r\n", path, host);
  int status = raw(NULL, req, buf, sizeof buf);
  if (status != 200 && strstr(buf, "\"zones\"")) fail_msg("a refused request got the profile");
  return status;
}

/* tmpl with each '@' replaced by the port. */
static void with_port(char *out, size_t cap, const char *tmpl) {
  size_t n = 0;
  for (; *tmpl && n + 8 < cap; tmpl++) {
    if (*tmpl == '@') n += (size_t)snprintf(out + n, cap - n, "%d", port);
    else out[n++] = *tmpl;
  }
  out[n] = 0;
}

static void start(void) {
  assert_int_equal(begin_listen("127.0.0.1:0"), 0);
  port = port_now();
  FATHOM_ZONE("guarded", "test");
}

static void host_header(void **state) {
  (void)state;
  need_tool("curl", "curl");
  start();
  char h[128];
  static const char *const good[] = {"127.0.0.1:@", "localhost:@", "LocalHost:@",
                                     "127.0.0.2:@", "[::1]:@", " 127.0.0.1:@ "};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    with_port(h, sizeof h, good[i]);
    if (get_with_host("/profile.json", h) != 200) fail_msg("Host '%s' was refused", h);
  }
  static const char *const bad[] = {"evil.example:@", "evil.example", "127.0.0.1:@0",
                                    "localhost", "127.0.0.1.evil.example:@",
                                    "localhost.evil.example:@", "10.1.2.3:@", "[::2]:@",
                                    "127.0.0.1:@:1", "[::1:@", ":@"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    with_port(h, sizeof h, bad[i]);
    int st = get_with_host(i % 2 ? "/metrics" : "/profile.json", h);
    if (st != 421) fail_msg("Host '%s' got %d, expected 421", h, st);
  }
  char buf[4096];
  assert_int_equal(raw(NULL, "GET /metrics HTTP/1.1\r\n\r\n", buf, sizeof buf), 400);
  assert_int_equal(raw(NULL, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof buf), 400);
  snprintf(h, sizeof h, "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nHost: evil.example\r\n\r\n",
           port);
  assert_int_equal(raw(NULL, h, buf, sizeof buf), 400);
  /* a browser on a rebound name: evil.example resolves to 127.0.0.1 */
  char out[64], f[600];
  snprintf(f, sizeof f, "%s/rebound.txt", tmp);
  sh(out, sizeof out, "curl -s --max-time 30 -o '%s' -w '%%{http_code}' --resolve "
     "evil.example:%d:127.0.0.1 http://evil.example:%d/profile.json", f, port, port);
  assert_string_equal(out, "421");
  char *body = slurp(f);
  assert_null(strstr(body, "guarded"));
  assert_non_null(strstr(body, "421"));
  free(body);
  /* and the same through the real name */
  sh(out, sizeof out, "curl -s --max-time 30 -o /dev/null -w '%%{http_code}' "
     "http://localhost:%d/profile.json", port);
  assert_string_equal(out, "200");
  end();
}

/* Slow clients on a thread of their own: every 500 ms each trickles one more byte of an
 * endless request; a connection the server closed (or answered) is counted, and replaced when
 * redial is set. They never go idle for long, so an idle timeout alone never ends them. */
enum { N_SLOW = 40 };
typedef struct slow {
  const char *src;          /* their address (NULL: 127.0.0.1) */
  int redial, stop;         /* stop: atomic */
  int fds[N_SLOW];
  int closed;               /* atomic: connections the server ended */
  int running;
  pthread_t th;
} slow;
static slow slow_clients_now;   /* stopped by the teardown when a test failed */

static void *slow_run(void *arg) {
  slow *s = arg;
  static const char req[] = "GET /metrics HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  for (int step = 0; !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE); step++) {
    for (int i = 0; i < N_SLOW; i++) {
      if (s->fds[i] < 0 && s->redial) s->fds[i] = dial(s->src);
      if (s->fds[i] < 0) continue;
      char c;
      ssize_t r = recv(s->fds[i], &c, 1, MSG_DONTWAIT);   /* an answer or the end: closed */
      if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK) ||
          send(s->fds[i], &req[step % (int)(sizeof req - 1)], 1, MSG_NOSIGNAL) < 0) {
        close(s->fds[i]);
        s->fds[i] = -1;
        __atomic_add_fetch(&s->closed, 1, __ATOMIC_RELEASE);
      }
    }
    pause_ms(500);
  }
  for (int i = 0; i < N_SLOW; i++)
    if (s->fds[i] >= 0) close(s->fds[i]);
  return NULL;
}

static void slow_start(slow *s, const char *src, int redial) {
  memset(s, 0, sizeof *s);
  s->src = src;
  s->redial = redial;
  for (int i = 0; i < N_SLOW; i++)
    if ((s->fds[i] = dial(src)) < 0) fail_msg("cannot connect: %s", strerror(errno));
  assert_int_equal(pthread_create(&s->th, NULL, slow_run, s), 0);
  s->running = 1;
}

static void slow_stop(slow *s) {
  if (!s->running) return;
  __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
  pthread_join(s->th, NULL);
  s->running = 0;
}

static void slow_cleanup(void) { slow_stop(&slow_clients_now); }

/* A normal request while they trickle: answered 200 (curl gives up after 30 s). */
static void normal_request(const char *while_what, int attempt) {
  char out[64];
  sh(out, sizeof out, "curl -s --max-time 30 -o /dev/null -w '%%{http_code}' "
     "http://127.0.0.1:%d/metrics", port);
  if (strcmp(out, "200") != 0)
    fail_msg("with %s, a normal request got '%s' (attempt %d)", while_what, out, attempt);
}

static void slow_clients(void **state) {
  (void)state;
  need_tool("curl", "curl");
  start();
  /* 40 from the client's own address, opened at once: they are held past 1 s, so a
   * newcomer takes the place of the oldest; and none outlives the whole-request bound */
  slow *s = &slow_clients_now;
  slow_start(s, NULL, 0);
  pause_ms(1500);
  for (int k = 0; k < 4; k++) {
    normal_request("40 clients trickling from the same address", k + 1);
    pause_ms(1000);
  }
  int64_t t0 = now_ms();
  while (__atomic_load_n(&s->closed, __ATOMIC_ACQUIRE) < N_SLOW && now_ms() - t0 < GENEROUS_MS)
    pause_ms(200);
  int closed = __atomic_load_n(&s->closed, __ATOMIC_ACQUIRE);
  slow_stop(s);
  if (closed < N_SLOW)
    fail_msg("%d trickling clients still open after %d s", N_SLOW - closed, GENEROUS_MS / 1000);
  /* 40 from another address, each replaced as soon as the server ends it: that address
   * holds at most its share, and the others are answered at any moment */
  slow_start(s, "127.0.0.3", 1);
  for (int k = 0; k < 10; k++) {
    normal_request("40 clients trickling from another address", k + 1);
    pause_ms(700);
  }
  slow_stop(s);
  end();
}

static void many_clients(void **state) {
  (void)state;
  need_tool("curl", "curl");
  start();
  enum { N = 300 };
  static int fds[N];
  char req[128];
  snprintf(req, sizeof req, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", port);
  size_t len = strlen(req);
  /* 127.0.0.1 holds its limit of idle connections: another address is still answered */
  int idle[20];
  for (int i = 0; i < 20; i++) assert_true((idle[i] = dial(NULL)) >= 0);
  pause_ms(200);
  int fd = dial("127.0.0.2");
  if (fd < 0) {
    for (int i = 0; i < 20; i++) close(idle[i]);
    fail_msg("cannot bind 127.0.0.2 here: %s", strerror(errno));
  }
  assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
  static char buf[1 << 16];
  int st = answer(fd, buf, sizeof buf);
  close(fd);
  /* beyond the limit, a young address's newcomers are refused, not queued behind it */
  int refused = 0;
  for (int i = 0; i < 20; i++) {
    struct pollfd p = {.fd = idle[i], .events = POLLIN};
    refused += poll(&p, 1, 0) == 1;
    close(idle[i]);
  }
  assert_int_equal(st, 200);
  assert_true(refused >= 4);
  pause_ms(200);   /* the server sees them closed */

  /* 300 requests at once, before reading any answer: every one answered */
  for (int i = 0; i < N; i++) {
    fds[i] = dial(NULL);
    if (fds[i] < 0) fail_msg("connection %d of %d was not accepted: %s", i + 1, N,
                             strerror(errno));
    assert_int_equal(send(fds[i], req, len, MSG_NOSIGNAL), (ssize_t)len);
  }
  int ok = 0;
  for (int i = 0; i < N; i++) {
    ok += answer(fds[i], buf, sizeof buf) == 200;
    close(fds[i]);
  }
  if (ok != N) fail_msg("only %d of %d connections were answered 200", ok, N);

  /* 300 idle connections at once: the kernel completes every one (listen backlog), though
   * the server holds only some of them */
  for (int i = 0; i < N; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fds[i] >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fds[i], (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)
      fail_msg("connect: %s", strerror(errno));
  }
  static int done[N];
  int established = 0;
  for (int64_t until = now_ms() + 20000; established < N && now_ms() < until;) {
    for (int i = 0; i < N; i++) {
      struct pollfd p = {.fd = fds[i], .events = POLLOUT};
      int e = 0;
      socklen_t el = sizeof e;
      if (done[i] || poll(&p, 1, 0) != 1) continue;
      getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &e, &el);
      done[i] = 1;
      established += e == 0 || e == ECONNRESET || e == EPIPE;
    }
    pause_ms(50);
  }
  pause_ms(1200);
  normal_request("300 idle connections open", 1);   /* and a normal request still gets in */
  for (int i = 0; i < N; i++) close(fds[i]);
  if (established != N)
    fail_msg("only %d of %d connections were established within 20 s", established, N);

  end();
}

int main(void) {
  setup_tmp("live_guard");
  const struct CMUnitTest tests[] = {T(host_header), T(slow_clients), T(many_clients)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
