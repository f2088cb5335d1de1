/* sink_jsonl.c: the JSON-lines metrics stream: one JSON object per flush, appended.
 *
 * Invariant: each line is built in memory and appended with one write(2) on an O_APPEND
 * descriptor, so concurrent writers (a forked child, another process) never interleave
 * inside a line (into a pipe: lines of at most PIPE_BUF bytes); opening and writing never
 * block past the caller's bound and never raise SIGPIPE; numbers are written in the "C"
 * locale; strings are valid JSON (invalid UTF-8 bytes replaced by U+FFFD); non-finite numbers
 * are null. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "record/clock.h"
#include "util/jsonw.h"
#include "live/sink.h"

static void jstr(FILE *f, const char *str) { fz_json_write_str(f, str, 0); }

static void jnum(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.10g", v);
  else fputs("null", f);
}

static const char *kind_name(fathom_metric_kind k) {
  return k == FATHOM_METRIC_GAUGE ? "gauge" : k == FATHOM_METRIC_SIZE ? "size" : "counter";
}

static void write_zone(FILE *f, const fathom_sink_zone *z) {
  fputs("{\"name\":", f);
  jstr(f, z->name);
  fputs(",\"component\":", f);
  jstr(f, z->component);
  fprintf(f, ",\"calls\":%llu", (unsigned long long)z->calls);
  const char *k[] = {"total_s", "self_s", "mean_s", "p50_s", "p90_s", "p99_s", "max_s"};
  double v[] = {z->total_s, z->self_s, z->mean_s, z->p50_s, z->p90_s, z->p99_s, z->max_s};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    fprintf(f, ",\"%s\":", k[i]);
    jnum(f, v[i]);
  }
  fputc('}', f);
}

/* The profile's extensions: each one's metrics with, per zone read, the inclusive and self
 * figures and the inclusive one's standard error (0: exact), and its last sampled row. */
static void write_ext(FILE *f, const fathom_profile *p) {
  if (!p || !p->n_exts || !p->exts || !p->n_ext_metrics) return;
  fputs(",\"extensions\":[", f);
  for (uint32_t e = 0; e < p->n_exts; e++) {
    const fathom_ext_info *x = &p->exts[e];
    fputs(e ? ",{\"name\":" : "{\"name\":", f);
    jstr(f, x->name);
    fputs(",\"metrics\":[", f);
    for (uint32_t k = 0; k < x->n_metrics; k++) {
      fputs(k ? ",{\"name\":" : "{\"name\":", f);
      jstr(f, x->metrics[k].name);
      fputs(",\"unit\":", f);
      jstr(f, x->metrics[k].unit);
      fputs(",\"zones\":[", f);
      int n = 0;
      for (uint32_t z = 0; z < p->n_zones; z++) {
        const fathom_ext_value *v = p->zones[z].ext ? &p->zones[z].ext[x->first + k] : NULL;
        if (!v || !v->samples) continue;
        fputs(n++ ? ",{\"zone\":" : "{\"zone\":", f);
        jstr(f, p->zones[z].name);
        fprintf(f, ",\"calls_read\":%llu,\"total\":", (unsigned long long)v->samples);
        jnum(f, v->total);
        fputs(",\"total_se\":", f);
        jnum(f, v->total_se);
        fputs(",\"self\":", f);
        jnum(f, v->self);
        fputc('}', f);
      }
      fputs("],\"last_sample\":", f);
      const fathom_series *se = &x->series;
      jnum(f, se->n && se->v && k < se->n_cols ? se->v[(se->n - 1) * se->n_cols + k] : NAN);
      fputc('}', f);
    }
    fputs("]}", f);
  }
  fputc(']', f);
}

void fz_sink_jsonl_write(const fathom_sink_metrics *m, FILE *f) {
  locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);   /* the static C locale: no allocation */
  locale_t prev = c ? uselocale(c) : (locale_t)0;
  fprintf(f, "{\"ts\":%.6f,\"session\":", (double)m->unix_ns / 1e9);
  jstr(f, m->session);
  fprintf(f, ",\"pid\":%lld,\"seq\":%llu,\"final\":%s,\"elapsed_s\":", (long long)m->pid,
          (unsigned long long)m->seq, m->final ? "true" : "false");
  jnum(f, m->elapsed_s);
  fprintf(f, ",\"zone_calls\":%llu,\"dropped_zones\":%llu,\"dropped_events\":%llu,\"cpu_s\":",
          (unsigned long long)m->zone_calls, (unsigned long long)m->dropped_zones,
          (unsigned long long)m->dropped_events);
  jnum(f, m->cpu_s);
  fputs(",\"rss_bytes\":", f);
  jnum(f, m->rss_bytes);
  fputs(",\"overhead_pct\":", f);
  jnum(f, m->overhead_pct);
  fputs(",\"zones\":[", f);
  for (uint32_t i = 0; i < m->n_zones; i++) {
    if (i) fputc(',', f);
    write_zone(f, &m->zones[i]);
  }
  fputs("],\"counters\":[", f);
  for (uint32_t i = 0; i < m->n_counters; i++) {
    const fathom_sink_counter *k = &m->counters[i];
    fputs(i ? ",{\"name\":" : "{\"name\":", f);
    jstr(f, k->name);
    fprintf(f, ",\"kind\":\"%s\",\"updates\":%llu,\"value\":", kind_name(k->kind),
            (unsigned long long)k->n_updates);
    jnum(f, k->value);
    fputc('}', f);
  }
  fputc(']', f);
  write_ext(f, m->profile);
  fputs("}\n", f);
  if (c) {
    uselocale(prev);
    freelocale(c);
  }
}

/* ---- the stream ----------------------------------------------------------------------- */

static uint64_t mono_ms(void) { return fz_mono_ns_cold() / 1000000u; }

static int ms_left(uint64_t deadline) {
  uint64_t now = mono_ms();
  return now >= deadline ? 0 : (int)(deadline - now);
}

/* write(2) that never raises SIGPIPE on the program: SIGPIPE is blocked on this thread for the
 * call, and the one our write caused (EPIPE) is taken back with sigtimedwait unless one was
 * pending already; the signal mask is restored. The program's disposition is never touched.
 * (A SIGPIPE sent to the process with kill(2) in that very instant would be taken too.) */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len) {
  sigset_t pipe_set, old, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  int was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
  ssize_t w;
  while ((w = write(fd, buf, len)) < 0 && errno == EINTR) continue;
  int e = errno;
  if (w < 0 && e == EPIPE && !was_pending) {
    const struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) continue;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = e;
  return w;
}

/* Opens the path without blocking; a FIFO without a reader (ENXIO) is tried again every
 * 20 ms until the deadline. */
static int open_nonblock(const char *path, uint64_t deadline) {
  for (;;) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644);
    if (fd >= 0) return fd;
    if (errno == EINTR) continue;
    int left = ms_left(deadline);
    if (errno != ENXIO || left <= 0) return -1;
    struct timespec ts = {0, (long)(left < 20 ? left : 20) * 1000000L};
    nanosleep(&ts, NULL);
  }
}

/* One line into a regular file with one write; a short append is cut off again so the file
 * stays line-whole. */
static int put_file(int fd, const char *buf, size_t len) {
  ssize_t w;
  while ((w = write(fd, buf, len)) < 0 && errno == EINTR) continue;
  if (w == (ssize_t)len) return 0;
  int e = w < 0 ? errno : ENOSPC;
  if (w > 0) {
    off_t end = lseek(fd, 0, SEEK_END);
    if (end >= w && ftruncate(fd, end - w) != 0) { /* nothing more to do */ }
  }
  errno = e;
  return -1;
}

/* One line into the kept descriptor (a pipe, FIFO or device), waiting for room until the
 * deadline. A line of at most PIPE_BUF bytes goes in whole or not at all; a longer one may
 * be cut when the reader stops in its middle (torn: the next line ends it first). */
static int put_stream(fz_stream *s, const char *buf, size_t len, uint64_t deadline) {
  size_t off = 0;
  int nl = s->torn;
  while (off < len) {
    ssize_t w = nl ? write_nosigpipe(s->fd, "\n", 1)
                   : write_nosigpipe(s->fd, buf + off, len - off);
    if (w > 0) {
      if (nl) nl = s->torn = 0;
      else off += (size_t)w;
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      int e = errno;
      snprintf(s->why, sizeof s->why, "%s",
               e == EPIPE ? "the reader closed the pipe" : strerror(e));
      fz_stream_close(s);   /* opened again at the next line */
      errno = e;
      return -1;
    }
    int left = ms_left(deadline);
    struct pollfd p = {.fd = s->fd, .events = POLLOUT};
    if (left > 0 && (poll(&p, 1, left) >= 0 || errno == EINTR)) continue;
    s->torn = off > 0 || s->torn;
    s->stalled = 1;
    snprintf(s->why, sizeof s->why, "the pipe stayed full%s: its reader is not reading",
             off ? " in the middle of the line (cut off)" : "");
    errno = EAGAIN;
    return -1;
  }
  s->stalled = 0;
  return 0;
}

int fz_stream_append(fz_stream *s, const fathom_sink_metrics *m, int wait_ms) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return FATHOM_E_NOMEM;
  fz_sink_jsonl_write(m, f);
  if (fclose(f) != 0 || !buf) {
    free(buf);
    errno = ENOMEM;
    return FATHOM_E_NOMEM;
  }
  s->lines++;
  uint64_t deadline = mono_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
  int rc = 0;
  if (s->fd >= 0) {
    rc = put_stream(s, buf, len, deadline);
  } else {
    int fd = open_nonblock(s->path, deadline);
    struct stat st;
    if (fd < 0) {
      snprintf(s->why, sizeof s->why, "%s", errno == ENXIO ? "no process has it open for "
                                                             "reading" : strerror(errno));
      rc = -1;
    } else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      rc = put_file(fd, buf, len);
      if (rc) snprintf(s->why, sizeof s->why, "%s", strerror(errno));
      int e = errno;
      if (close(fd) != 0 && !rc) {
        snprintf(s->why, sizeof s->why, "%s", strerror(errno));
        e = errno;
        rc = -1;
      }
      errno = e;
    } else {
      s->fd = fd;   /* kept: a reader of a FIFO sees one stream, not one per line */
      s->torn = s->stalled = 0;
      rc = put_stream(s, buf, len, deadline);
    }
  }
  int e = errno;
  free(buf);
  if (rc) s->dropped++;
  errno = e;
  return rc ? FATHOM_E_IO : 0;
}

void fz_stream_close(fz_stream *s) {
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  s->torn = s->stalled = 0;
}

void fz_stream_report(const fz_stream *s) {
  if (!s->dropped) return;
  char line[4608];
  int n = snprintf(line, sizeof line, "fathom: sink stream %s: %llu of %llu lines dropped "
                   "(last: %s); the program went on\n", s->path, (unsigned long long)s->dropped,
                   (unsigned long long)s->lines, s->why);
  if (n <= 0) return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  line[len - 1] = '\n';
  fflush(stderr);
  int saved = errno;
  for (size_t off = 0; off < len;) {   /* stderr is the program's: blocking as it chose */
    ssize_t w = write_nosigpipe(2, line + off, len - off);
    if (w <= 0) break;
    off += (size_t)w;
  }
  errno = saved;
}
