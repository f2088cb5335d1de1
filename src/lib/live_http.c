/* live_http.c: the live HTTP endpoint through libmicrohttpd, loaded at run time with dlopen
 * (libmicrohttpd.so.12, or the path in env FATHOM_MHD_LIB: the test seam), so the library
 * neither links against it nor needs it. Only the few types and constants used are declared
 * here, after libmicrohttpd's public header (microhttpd.h, ABI of 0.9.x): results and enums
 * are ints, daemons, connections and responses opaque pointers.
 *
 * Invariant: read-only (GET and HEAD; any other method 405 with Allow); bounded (connection
 * limit, per-connection timeout and memory limit: oversized headers are refused by the
 * library, never read into our memory); the server thread has every signal blocked and its
 * allocations are never attributed to the program's zones; every failure is a reason
 * reported once, never a failure of the program. We open the listening socket ourselves
 * (exact bind errors, the picked port, and a descriptor a forked child can close). */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "live.h"
#include "record.h"

/* ---- the libmicrohttpd ABI used (facts from microhttpd.h) --------------------------- */
#define MHD_NO 0
#define MHD_YES 1
#define MHD_USE_INTERNAL_POLLING_THREAD 8u
#define MHD_USE_IPv6 16u
#define MHD_USE_POLL 64u
#define MHD_USE_ITC 1024u
#define MHD_OPTION_END 0
#define MHD_OPTION_CONNECTION_MEMORY_LIMIT 1   /* size_t */
#define MHD_OPTION_CONNECTION_LIMIT 2          /* unsigned int */
#define MHD_OPTION_CONNECTION_TIMEOUT 3        /* unsigned int, seconds */
#define MHD_OPTION_LISTEN_SOCKET 12            /* MHD_socket (int) */
#define MHD_OPTION_NOTIFY_CONNECTION 27        /* callback, closure */
#define MHD_RESPMEM_PERSISTENT 0
#define MHD_RESPMEM_MUST_FREE 1
struct MHD_Daemon;
struct MHD_Connection;
struct MHD_Response;
typedef int (*mhd_access_fn)(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_size, void **con_cls);
typedef void (*mhd_notify_fn)(void *cls, struct MHD_Connection *c, void **socket_ctx, int toe);
typedef struct MHD_Daemon *(*f_start)(unsigned int flags, uint16_t port, void *apc,
                                      void *apc_cls, mhd_access_fn dh, void *dh_cls, ...);
typedef void (*f_stop)(struct MHD_Daemon *d);
typedef struct MHD_Response *(*f_resp)(size_t size, void *buf, int mode);
typedef int (*f_queue)(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r);
typedef int (*f_header)(struct MHD_Response *r, const char *name, const char *value);
typedef void (*f_destroy)(struct MHD_Response *r);

/* Bounds: connections at once, idle seconds, bytes of memory per connection (the request
 * line and headers must fit: a larger request is answered 431 or closed by the library). */
#define CONN_LIMIT 16u
#define CONN_TIMEOUT_S 10u
#define CONN_MEMORY ((size_t)32 * 1024)

static struct {
  void *h;                     /* the library: never unloaded */
  char path[256];              /* the name it was loaded by */
  f_start start;
  f_stop stop;
  f_resp resp;
  f_queue queue;
  f_header header;
  f_destroy destroy;
  pthread_mutex_t lock;        /* the fields below, for fathom_live_info_get */
  struct MHD_Daemon *d;
  int fd;                      /* the listening socket while d runs */
  int port;
  char address[64], url[112], why[256];
  uint64_t n_requests;         /* atomic */
} H = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

static void (*sym(const char *name))(void) {
  union {
    void *obj;
    void (*fn)(void);
  } u;
  u.obj = dlsym(H.h, name);
  return u.fn;
}

static int load(char *why, size_t cap) {
  const char *want = getenv("FATHOM_MHD_LIB");
  if (!want || !*want) want = "libmicrohttpd.so.12";
  if (!H.h || strcmp(H.path, want) != 0) {   /* first use, or the seam changed */
    void *h = dlopen(want, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char *e = dlerror();
      snprintf(why, cap, "libmicrohttpd not available: %s", e ? e : want);
      return FATHOM_E_NOTSUP;
    }
    H.h = h;   /* a library loaded before stays loaded: never unloaded */
    snprintf(H.path, sizeof H.path, "%s", want);
    H.start = (f_start)sym("MHD_start_daemon");
    H.stop = (f_stop)sym("MHD_stop_daemon");
    H.resp = (f_resp)sym("MHD_create_response_from_buffer");
    H.queue = (f_queue)sym("MHD_queue_response");
    H.header = (f_header)sym("MHD_add_response_header");
    H.destroy = (f_destroy)sym("MHD_destroy_response");
  }
  if (!H.start || !H.stop || !H.resp || !H.queue || !H.header || !H.destroy) {
    snprintf(why, cap, "libmicrohttpd not available: %s lacks MHD_start_daemon & co.", want);
    return FATHOM_E_NOTSUP;
  }
  return 0;
}

/* ---- requests ----------------------------------------------------------------------- */

/* Pauses allocation attribution for good on the server thread (first callback there). */
static void pause_thread(void) {
  static __thread int paused;
  if (!paused) {
    paused = 1;
    fz_alloc_pause();
  }
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx, int toe) {
  (void)cls, (void)c, (void)socket_ctx, (void)toe;
  pause_thread();
}

/* Queues status with body (malloc'ed, owned by the response; NULL: the static text). */
static int reply(struct MHD_Connection *c, unsigned status, const char *type, char *body,
                 size_t len, const char *text) {
  struct MHD_Response *r = body ? H.resp(len, body, MHD_RESPMEM_MUST_FREE)
                                : H.resp(strlen(text), (void *)(uintptr_t)text,
                                         MHD_RESPMEM_PERSISTENT);
  if (!r) {
    free(body);
    return MHD_NO;
  }
  H.header(r, "Content-Type", type);
  H.header(r, "Cache-Control", "no-store");
  H.header(r, "X-Content-Type-Options", "nosniff");
  if (status == 405) H.header(r, "Allow", "GET, HEAD");
  int ok = H.queue(c, status, r);
  H.destroy(r);
  return ok;
}

/* The body of /metrics or /profile.json from a snapshot; NULL with *status set. */
static char *render(int metrics, size_t *len, unsigned *status) {
  fathom_profile *p = fathom_snapshot();
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

static int on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                      const char *version, const char *upload, size_t *upload_size,
                      void **con_cls) {
  (void)cls, (void)version, (void)upload, (void)upload_size, (void)con_cls;
  pause_thread();
  int saved = errno;
  __atomic_add_fetch(&H.n_requests, 1, __ATOMIC_RELAXED);
  int rc;
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    rc = reply(c, 405, "text/plain; charset=utf-8", NULL, 0,
               "405 method not allowed: this endpoint is read-only (GET, HEAD)\n");
  } else if (strcmp(url, "/") == 0) {
    rc = reply(c, 200, "text/html; charset=utf-8", NULL, 0, fz_live_page_html);
  } else if (strcmp(url, "/metrics") == 0 || strcmp(url, "/profile.json") == 0) {
    int metrics = url[1] == 'm';
    size_t len = 0;
    unsigned status;
    char *body = render(metrics, &len, &status);
    if (body)
      rc = reply(c, 200, metrics ? "text/plain; version=0.0.4; charset=utf-8"
                                 : "application/json", body, len, NULL);
    else
      rc = reply(c, status, "text/plain; charset=utf-8", NULL, 0,
                 status == 503 ? "503 no profiling session is active\n"
                               : "500 could not render the profile\n");
  } else {
    rc = reply(c, 404, "text/plain; charset=utf-8", NULL, 0,
               "404 not found: try /, /metrics or /profile.json\n");
  }
  errno = saved;
  return rc;
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
  if (bind(fd, (struct sockaddr *)ss, sl) != 0 || listen(fd, 64) != 0) {
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
  pthread_mutex_lock(&H.lock);
  H.why[0] = H.url[0] = H.address[0] = 0;
  H.port = 0;
  __atomic_store_n(&H.n_requests, 0, __ATOMIC_RELAXED);
  struct sockaddr_storage ss;
  socklen_t sl = 0;
  int port = 0, fd = -1, rc = parse(spec, &ss, &sl, why, cap);
  if (!rc) rc = load(why, cap);
  if (!rc && (fd = open_socket(&ss, sl, &port, why, cap, spec)) < 0) rc = FATHOM_E_IO;
  if (!rc) {
    /* the server thread inherits this mask: no signal meant for the program lands there */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0u);
    fz_alloc_pause();
    H.d = H.start(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
                  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT,
                  MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S,
                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY,
                  MHD_OPTION_NOTIFY_CONNECTION, on_connection, (void *)NULL, MHD_OPTION_END);
    fz_alloc_resume();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!H.d) {
      snprintf(why, cap, "MHD_start_daemon failed on %s", spec);
      if (fcntl(fd, F_GETFD) != -1) close(fd);
      rc = FATHOM_E_IO;
    }
  }
  if (!rc) {
    H.fd = fd;
    H.port = port;
    char a[INET6_ADDRSTRLEN] = "";
    int v6 = ss.ss_family == AF_INET6;
    inet_ntop(ss.ss_family, v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                               : (void *)&((struct sockaddr_in *)&ss)->sin_addr, a, sizeof a);
    snprintf(H.address, sizeof H.address, "%s", a);
    snprintf(H.url, sizeof H.url, v6 ? "http://[%s]:%d/" : "http://%s:%d/", a, port);
  } else {
    snprintf(H.why, sizeof H.why, "%s", why);
  }
  pthread_mutex_unlock(&H.lock);
  return rc;
}

void fz_http_stop(void) {
  pthread_mutex_lock(&H.lock);
  struct MHD_Daemon *d = H.d;
  H.d = NULL;
  H.fd = -1;
  pthread_mutex_unlock(&H.lock);
  /* outside the lock: a request in progress may call fathom_live_info_get */
  if (d) H.stop(d);   /* joins the server thread, closes the listening socket */
}

void fz_http_after_fork_child(void) {
  /* the server thread does not exist here: never call into the daemon; close the child's
   * copy of the listening socket so connections go to the parent only */
  if (H.fd >= 0) close(H.fd);
  H.fd = -1;
  H.d = NULL;
  H.url[0] = H.address[0] = 0;
  H.port = 0;
  snprintf(H.why, sizeof H.why, "not served in a forked child");
  pthread_mutex_init(&H.lock, NULL);
}

void fz_http_info(fathom_live_info *info) {
  pthread_mutex_lock(&H.lock);
  info->running = H.d != NULL;
  info->port = H.port;
  snprintf(info->address, sizeof info->address, "%s", H.address);
  snprintf(info->url, sizeof info->url, "%s", H.url);
  snprintf(info->why, sizeof info->why, "%s", H.why);
  info->n_requests = __atomic_load_n(&H.n_requests, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&H.lock);
}
