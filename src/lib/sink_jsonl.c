/* sink_jsonl.c: the JSON-lines metrics stream: one JSON object per flush, appended.
 *
 * Invariant: each line is built in memory and appended with one write(2) on an O_APPEND
 * descriptor, so concurrent writers (a forked child, another process) never interleave
 * inside a line; numbers are written in the "C" locale; strings are valid JSON (invalid
 * UTF-8 bytes replaced by U+FFFD); non-finite numbers are null. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonw.h"
#include "sink.h"

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
  fputs("]}\n", f);
  if (c) {
    uselocale(prev);
    freelocale(c);
  }
}

int fz_sink_jsonl_append(const char *path, const fathom_sink_metrics *m) {
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
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    free(buf);
    return FATHOM_E_IO;
  }
  ssize_t w;
  while ((w = write(fd, buf, len)) < 0 && errno == EINTR) continue;
  int rc = 0;
  if (w != (ssize_t)len) {
    int e = w < 0 ? errno : ENOSPC;
    /* a short append: cut the partial line off again so the file stays line-whole */
    if (w > 0) {
      off_t end = lseek(fd, 0, SEEK_END);
      if (end >= w && ftruncate(fd, end - w) != 0) { /* nothing more to do */ }
    }
    errno = e;
    rc = FATHOM_E_IO;
  }
  int e = errno;
  if (close(fd) != 0 && !rc) {
    e = errno;
    rc = FATHOM_E_IO;
  }
  errno = e;
  free(buf);
  return rc;
}
