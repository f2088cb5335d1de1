/* live/http.c: the live HTTP endpoint: a small HTTP/1.1 server of our own on one thread,
 * multiplexing every connection with poll(2), so that no client, however slow, holds up
 * another, and so that every bound below is ours to enforce.
 *
 * Invariant: read-only (GET and HEAD; any other method 405 with Allow); answers only requests
 * whose Host is the bound address, localhost or a loopback address, with the bound port (421
 * otherwise: a web page cannot read the profile through DNS rebinding); bounded: at most
 * MAX_CONNS connections held, PER_ADDR of them from one client address, a request line and
 * headers of at most HEAD_MAX bytes (431) that must arrive whole within HEAD_MS of the
 * connection (408), the whole exchange within CONN_MS; when the table or an address is full, a
 * new connection takes the place of the oldest one held longer than GRACE_MS (a client that
 * sends its request at once is answered in well under that), so trickling clients cannot lock
 * others out; the kernel queues up to BACKLOG connections meanwhile. The server thread has
 * every signal blocked, never raises SIGPIPE (MSG_NOSIGNAL), and its allocations are never
 * attributed to the program's zones; every failure is a reason reported once, never a failure
 * of the program. Each connection answers one request and closes (Connection: close). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "record/alloc.h"
#include "record/clock.h"
#include "live/live.h"
#include "record/record.h"

#define MAX_CONNS 64                 /* connections held at once */
#define PER_ADDR 16                  /* of which from one client address */
#define BACKLOG 1024                 /* connections the kernel queues until we take them */
#define HEAD_MAX ((size_t)32 * 1024) /* request line and headers */
#define HEAD_MS 5000u                /* the whole request must arrive within this */
#define CONN_MS 30000u               /* the whole exchange, response included */
#define LINGER_MS 2000u              /* after the response: reading what the client still sends */
#define GRACE_MS 1000u               /* a connection younger than this is never evicted */
#define ACCEPT_PAUSE_MS 100u         /* after accept(2) failed for want of descriptors */

enum { C_FREE, C_HEAD, C_SEND, C_LINGER };

typedef struct conn {
  int fd;                    /* -1: free; cleared before close(2) (see after_fork_child) */
  int state;
  uint64_t t0, deadline;     /* ms, monotonic */
  int family;                /* the client's address, for the per-address limit */
  unsigned char addr[16];
  char *in;                  /* the request as read so far (cap + 1 bytes) */
  size_t n_in, cap;
  char hdr[320];             /* the response: status line and headers, then the body */
  size_t n_hdr, n_body, sent;
  char *body;                /* malloc'ed when own_body, else static text */
  int own_body, head_only;
} conn;

static struct {
  pthread_mutex_t lock;      /* running and the info fields, for fathom_live_info_get */
  int running;
  pthread_t th;
  int lfd, wake[2];          /* the listening socket; the stop pipe */
  int family, port;          /* what we are bound to */
  unsigned char bound[16];
  char address[64], url[112], why[256];
  uint64_t n_requests;       /* atomic */
  uint64_t accept_pause;     /* server thread: no accept(2) before this (ms) */
  conn c[MAX_CONNS];         /* server thread only */
} H = {.lock = PTHREAD_MUTEX_INITIALIZER, .lfd = -1, .wake = {-1, -1}};

static uint64_t mono_ms(void) { return fz_mono_ns_cold() / 1000000u; }

/* ---- connections --------------------------------------------------------------------- */

static void drop(conn *c) {
  int fd = c->fd;
  /* shutdown first: a forked child's copy of the descriptor cannot keep it open */
  shutdown(fd, SHUT_RDWR);
  __atomic_store_n(&c->fd, -1, __ATOMIC_RELEASE);
  close(fd);
  free(c->in);
  if (c->own_body) free(c->body);
  memset(c, 0, sizeof *c);
  c->fd = -1;
}

/* A short static answer on a connection we are about to drop (best effort, never waits). */
static void say(int fd, const char *status, const char *text) {
  char buf[256];
  int n = snprintf(buf, sizeof buf, "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", status, strlen(text),
                   text);
  if (n > 0 && (size_t)n < sizeof buf) {
    ssize_t w = send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
  }
}

static int free_slot(void) {
  for (int i = 0; i < MAX_CONNS; i++)
    if (H.c[i].state == C_FREE) return i;
  return -1;
}

static int same_addr(const conn *c, int family, const unsigned char *addr) {
  return c->family == family && !memcmp(c->addr, addr, family == AF_INET6 ? 16 : 4);
}

/* The connection to give up for a newcomer (of one address when addr is set), or -1: one
 * that was answered already (lingering), else the oldest held at least GRACE_MS;
 * *young_until: the earliest time one becomes old enough. */
static int oldest(uint64_t now, int family, const unsigned char *addr, uint64_t *young_until) {
  int best = -1;
  for (int i = 0; i < MAX_CONNS; i++) {
    const conn *c = &H.c[i];
    if (c->state == C_FREE || (addr && !same_addr(c, family, addr))) continue;
    if (c->state == C_LINGER) {   /* not counted against its address */
      if (!addr) return i;
      continue;
    }
    if (now - c->t0 < GRACE_MS) {
      if (young_until && c->t0 + GRACE_MS < *young_until) *young_until = c->t0 + GRACE_MS;
    } else if (best < 0 || c->t0 < H.c[best].t0) {
      best = i;
    }
  }
  return best;
}

/* Connections of an address that are still to be answered. */
static int count_addr(int family, const unsigned char *addr) {
  int n = 0;
  for (int i = 0; i < MAX_CONNS; i++)
    n += (H.c[i].state == C_HEAD || H.c[i].state == C_SEND) && same_addr(&H.c[i], family, addr);
  return n;
}

/* ---- requests ----------------------------------------------------------------------- */

static const char *reason(unsigned status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

static void send_some(conn *c, uint64_t now);

/* Queues the response (body malloc'ed and owned when own, else static) and starts sending. */
static void respond(conn *c, uint64_t now, unsigned status, const char *type, char *body,
                    size_t len, int own) {
  int n = snprintf(c->hdr, sizeof c->hdr, "HTTP/1.1 %u %s\r\nContent-Type: %s\r\n"
                   "Content-Length: %zu\r\nCache-Control: no-store\r\n"
                   "X-Content-Type-Options: nosniff\r\nConnection: close\r\n%s\r\n", status,
                   reason(status), type, len, status == 405 ? "Allow: GET, HEAD\r\n" : "");
  c->n_hdr = n > 0 && (size_t)n < sizeof c->hdr ? (size_t)n : 0;
  c->body = body;
  c->own_body = own;
  c->n_body = c->head_only ? 0 : len;
  c->sent = 0;
  free(c->in);
  c->in = NULL;
  c->state = C_SEND;
  c->deadline = c->t0 + CONN_MS;
  send_some(c, now);
}

static void respond_text(conn *c, uint64_t now, unsigned status, const char *text) {
  respond(c, now, status, "text/plain; charset=utf-8", (char *)(uintptr_t)text, strlen(text), 0);
}

/* The body of /metrics or /profile.json from a snapshot; NULL with *status set. */
static char *render(int metrics, size_t *len, unsigned *status) {
  fathom_profile *p = fz_live_snapshot();
  if (!p) {
    *status = 503;
    return NULL;
  }
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  int rc = FATHOM_E_NOMEM;
  if (f) {
    rc = metrics ? fz_prom_write(p, f, fz_live_rss_bytes(), fz_process_cpu_ns() / 1e9)
                 : fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0);
    if (fclose(f) != 0 && !rc) rc = FATHOM_E_IO;
  }
  fathom_profile_free(p);
  if (rc || !buf) {
    free(buf);
    *status = 500;
    return NULL;
  }
  *status = 200;
  return buf;
}

/* Whether a Host header's value (len bytes, no NUL) names this endpoint: "localhost", a
 * loopback address, the bound address or the address the client reached (fd's local one),
 * with the bound port (no port: 80). */
static int host_ok(const char *v, size_t len, int fd) {
  while (len && (*v == ' ' || *v == '\t')) v++, len--;
  while (len && (v[len - 1] == ' ' || v[len - 1] == '\t')) len--;
  char buf[80];
  if (!len || len >= sizeof buf) return 0;
  memcpy(buf, v, len);
  buf[len] = 0;
  char *h = buf, *port_s = NULL;
  int v6 = buf[0] == '[';
  if (v6) {
    char *rb = strchr(buf, ']');
    if (!rb || (rb[1] && rb[1] != ':')) return 0;
    *rb = 0;
    h = buf + 1;
    if (rb[1]) port_s = rb + 2;
  } else if ((port_s = strchr(buf, ':'))) {
    *port_s++ = 0;
  }
  long port = 80;
  if (port_s) {
    size_t nd = strspn(port_s, "0123456789");
    if (!nd || nd > 5 || port_s[nd]) return 0;
    port = strtol(port_s, NULL, 10);
  }
  if (port != H.port) return 0;
  if (!v6 && !strcasecmp(h, "localhost")) return 1;
  int family = v6 ? AF_INET6 : AF_INET;
  unsigned char a[16];
  if (inet_pton(family, h, a) != 1) return 0;
  if (v6 ? !memcmp(a, &in6addr_loopback, 16) : a[0] == 127) return 1;
  size_t al = v6 ? 16 : 4;
  if (family == H.family && !memcmp(a, H.bound, al)) return 1;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 || ss.ss_family != family) return 0;
  const void *local = v6 ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                         : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
  return !memcmp(a, local, al);
}

/* Decides the answer to the request line and headers in c->in[0, len): the static text of
 * a refusal with *status, or NULL with the 200 answer in *type, *body (malloc'ed when *own),
 * *blen. */
static const char *route(conn *c, size_t len, unsigned *status, const char **type, char **body,
                         size_t *blen, int *own) {
  char *s = c->in, *end = c->in + len;
  *status = 400;
  while (s < end && (*s == '\r' || *s == '\n')) s++;   /* empty lines before a request */
  if (memchr(s, 0, (size_t)(end - s))) return "400 bad request\n";
  c->in[len] = 0;
  /* the request line: METHOD SP TARGET SP HTTP/1.x */
  char *eol = strchr(s, '\n'), *sp1 = strchr(s, ' ');
  char *sp2 = sp1 && sp1 < eol ? strchr(sp1 + 1, ' ') : NULL;
  if (!sp2 || sp2 > eol || sp1 == s || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
    return "400 bad request: expected METHOD /PATH HTTP/1.x\n";
  *sp1 = *sp2 = 0;
  const char *method = s, *target = sp1 + 1;
  c->head_only = !strcmp(method, "HEAD");
  /* the headers: exactly one Host */
  const char *host = NULL;
  size_t host_len = 0;
  int n_host = 0;
  for (char *l = eol + 1; l < end && *l != '\r' && *l != '\n';) {
    char *nl = strchr(l, '\n');
    char *colon = memchr(l, ':', (size_t)(nl - l));
    if (*l == ' ' || *l == '\t' || !colon || colon == l)   /* folded or not "name: value" */
      return "400 bad request: malformed header\n";
    if (colon - l == 4 && !strncasecmp(l, "host", 4)) {
      n_host++;
      host = colon + 1;
      host_len = (size_t)(nl - host) - (nl > host && nl[-1] == '\r');
    }
    l = nl + 1;
  }
  if (n_host != 1) return "400 bad request: exactly one Host header is required\n";
  *status = 421;
  if (!host_ok(host, host_len, c->fd))
    return "421 misdirected request: this endpoint answers only Host: localhost, a loopback "
           "address or its own address, with its port\n";
  *status = 405;
  if (strcmp(method, "GET") != 0 && !c->head_only)
    return "405 method not allowed: this endpoint is read-only (GET, HEAD)\n";
  *status = 404;
  size_t plen = strcspn(target, "?#");
  int metrics = plen == 8 && !strncmp(target, "/metrics", 8);
  if (plen == 1 && target[0] == '/') {
    *status = 200;
    *type = "text/html; charset=utf-8";
    *body = (char *)(uintptr_t)fz_live_page_html;
    *blen = strlen(fz_live_page_html);
    *own = 0;
    return NULL;
  }
  if (!metrics && !(plen == 13 && !strncmp(target, "/profile.json", 13)))
    return "404 not found: try /, /metrics or /profile.json\n";
  if (!(*body = render(metrics, blen, status)))
    return *status == 503 ? "503 no profiling session is active\n"
                          : "500 could not render the profile\n";
  *type = metrics ? "text/plain; version=0.0.4; charset=utf-8" : "application/json";
  *own = 1;
  return NULL;
}

static void handle(conn *c, uint64_t now, size_t len) {
  __atomic_add_fetch(&H.n_requests, 1, __ATOMIC_RELAXED);
  unsigned status;
  const char *type = NULL;
  char *body = NULL;
  size_t blen = 0;
  int own = 0;
  const char *text = route(c, len, &status, &type, &body, &blen, &own);
  if (text) respond_text(c, now, status, text);
  else respond(c, now, status, type, body, blen, own);
}

/* Where the request's head ends in buf[0, n) (after its empty line), scanning from `from`;
 * 0 while it has not. */
static size_t head_end(const char *buf, size_t n, size_t from) {
  for (size_t i = from; i < n; i++) {
    if (buf[i] != '\n') continue;
    if (i + 1 < n && buf[i + 1] == '\n') return i + 2;
    if (i + 2 < n && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
  }
  return 0;
}

static void read_head(conn *c, uint64_t now) {
  for (;;) {
    if (c->n_in == c->cap) {
      if (c->cap >= HEAD_MAX) {
        respond_text(c, now, 431, "431 request header fields too large\n");
        return;
      }
      size_t cap = c->cap ? 2 * c->cap : 2048;
      char *in = realloc(c->in, cap + 1);
      if (!in) {
        drop(c);
        return;
      }
      c->in = in;
      c->cap = cap;
    }
    ssize_t r = recv(c->fd, c->in + c->n_in, c->cap - c->n_in, 0);
    if (r > 0) {
      size_t from = c->n_in > 2 ? c->n_in - 2 : 0;
      c->n_in += (size_t)r;
      size_t len = head_end(c->in, c->n_in, from);
      if (len) {
        handle(c, now, len);
        return;
      }
    } else if (r == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
      drop(c);   /* gone before a whole request, or a socket error */
      return;
    } else if (errno != EINTR) {
      return;    /* the rest when poll says so */
    }
  }
}

static void send_some(conn *c, uint64_t now) {
  while (c->sent < c->n_hdr + c->n_body) {
    struct iovec iov[2];
    int k = 0;
    if (c->sent < c->n_hdr)
      iov[k++] = (struct iovec){c->hdr + c->sent, c->n_hdr - c->sent};
    size_t boff = c->sent > c->n_hdr ? c->sent - c->n_hdr : 0;
    if (c->n_body > boff) iov[k++] = (struct iovec){c->body + boff, c->n_body - boff};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)k};
    ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) c->sent += (size_t)w;
    else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    else if (w == 0 || errno != EINTR) {
      drop(c);
      return;
    }
  }
  if (c->own_body) free(c->body);
  c->body = NULL;
  c->own_body = 0;
  /* the answer is out. Closing with unread input would reset the connection, and the client
   * could lose the answer: with nothing unread, close now; else end our side and read what
   * the client still sends until it closes (LINGER_MS at most) */
  char b;
  ssize_t r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  if (r == 0 || (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
    drop(c);
    return;
  }
  shutdown(c->fd, SHUT_WR);
  c->state = C_LINGER;
  c->deadline = now + LINGER_MS;
}

static void linger(conn *c) {
  char buf[4096];
  for (int i = 0; i < 16; i++) {
    ssize_t r = recv(c->fd, buf, sizeof buf, 0);
    if (r > 0) continue;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    drop(c);
    return;
  }
}

/* ---- the server thread ---------------------------------------------------------------- */

/* Before an address is refused for holding PER_ADDR connections: its connections still
 * waiting for a request read what has arrived, so that those the client has closed since
 * (the kernel queued them before their close was seen) no longer count. */
static void reap_addr(uint64_t now, int family, const unsigned char *addr) {
  for (int i = 0; i < MAX_CONNS; i++)
    if (H.c[i].state == C_HEAD && same_addr(&H.c[i], family, addr)) read_head(&H.c[i], now);
}

/* Takes the connections the kernel has queued while there is room: a free slot, else the
 * place of the oldest connection held past GRACE_MS; an address at PER_ADDR likewise gives
 * up its oldest, or the newcomer is answered 503. */
static void accept_some(uint64_t now) {
  for (int k = 0; k < MAX_CONNS; k++) {
    int slot = free_slot(), victim = slot < 0 ? oldest(now, 0, NULL, NULL) : -1;
    if (slot < 0 && victim < 0) return;   /* the rest wait in the kernel's queue */
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(H.lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        H.accept_pause = now + ACCEPT_PAUSE_MS;   /* the queue waits, no busy loop */
      return;
    }
    unsigned char addr[16] = {0};
    int family = ss.ss_family;
    if (family == AF_INET6)
      memcpy(addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
    else
      memcpy(addr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
    if (victim >= 0) {
      drop(&H.c[victim]);
      slot = victim;
    }
    if (count_addr(family, addr) >= PER_ADDR) reap_addr(now, family, addr);
    if (count_addr(family, addr) >= PER_ADDR) {
      int v = oldest(now, family, addr, NULL);
      if (v < 0) {
        say(fd, "503 Service Unavailable", "503 too many connections from this address\n");
        shutdown(fd, SHUT_RDWR);
        close(fd);
        continue;
      }
      drop(&H.c[v]);
    }
    conn *c = &H.c[slot];
    c->state = C_HEAD;
    c->t0 = now;
    c->deadline = now + HEAD_MS;
    c->family = family;
    memcpy(c->addr, addr, sizeof addr);
    __atomic_store_n(&c->fd, fd, __ATOMIC_RELEASE);
    read_head(c, now);   /* a prompt client's request is there already */
  }
}

/* Ends the connections past their deadline; returns the earliest deadline still ahead. */
static uint64_t expire(uint64_t now, uint64_t next) {
  for (int i = 0; i < MAX_CONNS; i++) {
    conn *c = &H.c[i];
    if (c->state == C_FREE) continue;
    if (now < c->deadline) {
      if (c->deadline < next) next = c->deadline;
      continue;
    }
    if (c->state == C_HEAD)
      say(c->fd, "408 Request Timeout", "408 the request did not arrive in time\n");
    drop(c);
  }
  return next;
}

static void *serve(void *arg) {
  (void)arg;
  fz_alloc_pause();   /* for good on this thread: nothing here is the program's */
  struct pollfd pf[MAX_CONNS + 2];
  int which[MAX_CONNS + 2];
  for (;;) {
    uint64_t now = mono_ms(), next = expire(now, now + 60000);
    int n = 0, listening = -1;
    pf[n++] = (struct pollfd){.fd = H.wake[0], .events = POLLIN};
    if (now >= H.accept_pause) {
      uint64_t young = next;
      if (free_slot() >= 0 || oldest(now, 0, NULL, &young) >= 0) {
        listening = n;
        pf[n++] = (struct pollfd){.fd = H.lfd, .events = POLLIN};
      } else {
        next = young;   /* full of young connections: look again when one is old enough */
      }
    } else if (H.accept_pause < next) {
      next = H.accept_pause;
    }
    for (int i = 0; i < MAX_CONNS; i++) {
      if (H.c[i].state == C_FREE) continue;
      which[n] = i;
      pf[n++] = (struct pollfd){.fd = H.c[i].fd,
                                .events = H.c[i].state == C_SEND ? POLLOUT : POLLIN};
    }
    int r = poll(pf, (nfds_t)n, next > now ? (int)(next - now) : 0);
    if (r < 0) {
      if (errno != EINTR) {   /* e.g. ENOMEM: try again shortly, never spin */
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
      }
      continue;
    }
    if (pf[0].revents) break;   /* fz_http_stop */
    now = mono_ms();
    for (int k = 1; k < n; k++) {
      if (!pf[k].revents || k == listening) continue;
      conn *c = &H.c[which[k]];
      if (c->state == C_HEAD) read_head(c, now);
      else if (c->state == C_SEND) send_some(c, now);
      else if (c->state == C_LINGER) linger(c);
    }
    if (listening >= 0 && pf[listening].revents) accept_some(now);
  }
  for (int i = 0; i < MAX_CONNS; i++)
    if (H.c[i].state != C_FREE) drop(&H.c[i]);
  return NULL;
}

/* ---- start and stop ------------------------------------------------------------------ */

/* Parses "HOST:PORT", "PORT", ":PORT" or "[V6]:PORT" (numeric hosts and "localhost"; no host
 * means 127.0.0.1). Returns 0 or FATHOM_E_INVAL with why. */
static int parse(const char *spec, struct sockaddr_storage *ss, socklen_t *sl, char *why,
                 size_t cap) {
  char host[64] = "127.0.0.1";
  const char *port_s = spec;
  const char *colon = strrchr(spec, ':');
  if (spec[0] == '[') {
    const char *rb = strchr(spec, ']');
    if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof host) goto bad;
    memcpy(host, spec + 1, (size_t)(rb - spec - 1));
    host[rb - spec - 1] = 0;
    port_s = rb + 2;
  } else if (colon) {
    size_t hl = (size_t)(colon - spec);
    if (hl >= sizeof host) goto bad;
    if (hl) {
      memcpy(host, spec, hl);
      host[hl] = 0;
    }
    port_s = colon + 1;
  }
  char *end;
  errno = 0;
  long port = strtol(port_s, &end, 10);
  if (!*port_s || *end || errno || port < 0 || port > 65535) goto bad;
  if (!strcmp(host, "localhost")) snprintf(host, sizeof host, "127.0.0.1");
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *sl = sizeof *v4;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    *sl = sizeof *v6;
  } else {
    goto bad;
  }
  return 0;
bad:
  snprintf(why, cap, "FATHOM_LISTEN=%s: expected HOST:PORT with a numeric host, e.g. "
           "127.0.0.1:9464 (port 0: any free port)", spec);
  return FATHOM_E_INVAL;
}

/* A listening, non-blocking, close-on-exec socket on the address; fills the bound port. */
static int open_socket(struct sockaddr_storage *ss, socklen_t sl, int *port, char *why,
                       size_t cap, const char *spec) {
  int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    snprintf(why, cap, "socket: %s", strerror(errno));
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss->ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)ss, sl) != 0 || listen(fd, BACKLOG) != 0) {
    snprintf(why, cap, "cannot listen on %s: %s", spec, strerror(errno));
    close(fd);
    return -1;
  }
  struct sockaddr_storage got;
  socklen_t gl = sizeof got;
  if (getsockname(fd, (struct sockaddr *)&got, &gl) != 0) got = *ss;
  *port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                          : ((struct sockaddr_in *)&got)->sin_port);
  return fd;
}

int fz_http_start(const char *spec, char *why, size_t cap) {
  why[0] = 0;
  fz_http_stop();   /* a server left from before: never two */
  pthread_mutex_lock(&H.lock);
  H.why[0] = H.url[0] = H.address[0] = 0;
  H.port = 0;
  __atomic_store_n(&H.n_requests, 0, __ATOMIC_RELAXED);
  struct sockaddr_storage ss;
  socklen_t sl = 0;
  int port = 0, fd = -1, rc = parse(spec, &ss, &sl, why, cap);
  if (!rc && (fd = open_socket(&ss, sl, &port, why, cap, spec)) < 0) rc = FATHOM_E_IO;
  if (!rc && pipe2(H.wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    snprintf(why, cap, "pipe: %s", strerror(errno));
    H.wake[0] = H.wake[1] = -1;
    close(fd);
    rc = FATHOM_E_IO;
  }
  if (!rc) {
    int v6 = ss.ss_family == AF_INET6;
    H.lfd = fd;
    H.port = port;
    H.family = ss.ss_family;
    memcpy(H.bound, v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                       : (void *)&((struct sockaddr_in *)&ss)->sin_addr, v6 ? 16 : 4);
    H.accept_pause = 0;
    for (int i = 0; i < MAX_CONNS; i++) {
      memset(&H.c[i], 0, sizeof H.c[i]);
      H.c[i].fd = -1;
    }
    /* the server thread inherits this mask: no signal meant for the program lands there */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&H.th, NULL, serve, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
      snprintf(why, cap, "cannot start the server thread: %s", strerror(e));
      close(fd);
      close(H.wake[0]);
      close(H.wake[1]);
      H.lfd = H.wake[0] = H.wake[1] = -1;
      rc = FATHOM_E_IO;
    }
  }
  if (!rc) {
    H.running = 1;
    char a[INET6_ADDRSTRLEN] = "";
    inet_ntop(H.family, H.bound, a, sizeof a);
    snprintf(H.address, sizeof H.address, "%s", a);
    snprintf(H.url, sizeof H.url, H.family == AF_INET6 ? "http://[%s]:%d/" : "http://%s:%d/", a,
             port);
  } else {
    H.port = 0;
    snprintf(H.why, sizeof H.why, "%s", why);
  }
  pthread_mutex_unlock(&H.lock);
  return rc;
}

void fz_http_stop(void) {
  pthread_mutex_lock(&H.lock);
  int running = H.running;
  H.running = 0;
  pthread_mutex_unlock(&H.lock);
  if (!running) return;
  /* outside the lock: a request in progress may call fathom_live_info_get */
  ssize_t w;
  while ((w = write(H.wake[1], "x", 1)) < 0 && errno == EINTR) continue;
  pthread_join(H.th, NULL);   /* it ends within one request's rendering */
  close(H.lfd);
  close(H.wake[0]);
  close(H.wake[1]);
  H.lfd = H.wake[0] = H.wake[1] = -1;
}

void fz_http_after_fork_child(void) {
  /* the server thread does not exist here: close the child's copies of the listening socket
   * (so every connection reaches the parent), of the stop pipe and of the connections (each
   * slot's descriptor is cleared before the parent's thread closes it, so a slot never names
   * a descriptor that is not the server's); their buffers are left, bounded */
  if (H.running) {
    close(H.lfd);
    close(H.wake[0]);
    close(H.wake[1]);
    for (int i = 0; i < MAX_CONNS; i++) {
      int fd = __atomic_load_n(&H.c[i].fd, __ATOMIC_ACQUIRE);
      if (fd >= 0) close(fd);
      memset(&H.c[i], 0, sizeof H.c[i]);
      H.c[i].fd = -1;
    }
  }
  H.lfd = H.wake[0] = H.wake[1] = -1;
  H.running = 0;
  H.url[0] = H.address[0] = 0;
  H.port = 0;
  snprintf(H.why, sizeof H.why, "not served in a forked child");
  pthread_mutex_init(&H.lock, NULL);
}

void fz_http_info(fathom_live_info *info) {
  pthread_mutex_lock(&H.lock);
  info->running = H.running;
  info->port = H.port;
  snprintf(info->address, sizeof info->address, "%s", H.address);
  snprintf(info->url, sizeof info->url, "%s", H.url);
  snprintf(info->why, sizeof info->why, "%s", H.why);
  info->n_requests = __atomic_load_n(&H.n_requests, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&H.lock);
}
