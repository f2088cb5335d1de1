/* probe/rapl.c: CPU package energy from the powercap RAPL interface:
 * <root>/intel-rapl:N/energy_uj (root: env FATHOM_POWERCAP_ROOT, default /sys/class/powercap),
 * counters in microjoules that wrap at max_energy_range_uj.
 *
 * Invariant: only top-level zones named "package-*" are summed (their subzones core, uncore,
 * dram and the psys zone overlap them), so no energy is counted twice; a counter lower than
 * the last reading wrapped once and adds (max - last) + now; a reading that fails adds
 * nothing and keeps the last value. Nothing here allocates after fz_rapl_open. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/machine.h"

typedef struct rapl_zone {
  char dir[24];           /* "intel-rapl:0" */
  char name[24];          /* "package-0" */
  char path[320];         /* .../energy_uj */
  double max_uj;          /* wrap range; 0 when unknown (a decrease then adds nothing) */
  double last_uj;
  double total_uj;        /* accumulated since open */
} rapl_zone;

static rapl_zone zones[FZ_RAPL_MAX_ZONES];
static int n_zones;
static uint64_t read_errors;

/* Reads a small file holding one unsigned integer. Returns 0 or an errno (EINVAL when the
 * text is not a number). */
static int read_u64_file(const char *path, double *out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return errno ? errno : EIO;
  char buf[64];
  ssize_t n;
  do n = read(fd, buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  int e = n < 0 ? (errno ? errno : EIO) : 0;
  close(fd);
  if (e) return e;
  buf[n] = '\0';
  char *end;
  errno = 0;
  unsigned long long v = strtoull(buf, &end, 10);
  if (end == buf || errno || (*end && *end != '\n')) return EINVAL;
  *out = (double)v;
  return 0;
}

static int read_text_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return errno ? errno : EIO;
  ssize_t n;
  do n = read(fd, buf, cap - 1);
  while (n < 0 && errno == EINTR);
  int e = n < 0 ? (errno ? errno : EIO) : 0;
  close(fd);
  if (e) return e;
  buf[n] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  return 0;
}

/* "intel-rapl:N" with N a number and no sub-zone suffix. */
static int is_top_zone(const char *d) {
  const char *pre = "intel-rapl:";
  size_t k = strlen(pre);
  if (strncmp(d, pre, k) != 0 || !d[k]) return 0;
  for (const char *p = d + k; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  return 1;
}

static int zone_cmp(const void *a, const void *b) {
  const rapl_zone *x = a, *y = b;
  size_t lx = strlen(x->dir), ly = strlen(y->dir);   /* numeric order: :2 before :10 */
  return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->dir, y->dir);
}

int fz_rapl_open(char *why, size_t cap) {
  n_zones = 0;
  read_errors = 0;
  const char *root = getenv("FATHOM_POWERCAP_ROOT");
  if (!root || !*root) root = "/sys/class/powercap";
  DIR *d = opendir(root);
  if (!d) {
    snprintf(why, cap, "%s: %s (no powercap RAPL interface: a virtual machine, or a CPU "
             "without RAPL?)", root, strerror(errno));
    return 0;
  }
  int found = 0, others = 0, first_err = 0;
  char err_zone[24] = "";
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (!is_top_zone(de->d_name) || strlen(de->d_name) >= sizeof zones[0].dir) continue;
    found++;
    rapl_zone z;
    memset(&z, 0, sizeof z);
    snprintf(z.dir, sizeof z.dir, "%s", de->d_name);
    char path[320];
    snprintf(path, sizeof path, "%s/%s/name", root, z.dir);
    if (read_text_file(path, z.name, sizeof z.name) != 0 || strncmp(z.name, "package", 7) != 0) {
      others++;   /* psys, or a zone without a name: overlaps the packages */
      continue;
    }
    if (n_zones == FZ_RAPL_MAX_ZONES) continue;
    snprintf(z.path, sizeof z.path, "%s/%s/energy_uj", root, z.dir);
    int e = read_u64_file(z.path, &z.last_uj);
    if (e) {
      if (!first_err) {
        first_err = e;
        snprintf(err_zone, sizeof err_zone, "%s", z.dir);
      }
      continue;
    }
    snprintf(path, sizeof path, "%s/%s/max_energy_range_uj", root, z.dir);
    if (read_u64_file(path, &z.max_uj) != 0) z.max_uj = 0;
    zones[n_zones++] = z;
  }
  closedir(d);
  if (n_zones) {
    qsort(zones, (size_t)n_zones, sizeof zones[0], zone_cmp);
    return n_zones;
  }
  if (first_err)
    snprintf(why, cap, "%s/%s/energy_uj: %s%s", root, err_zone, strerror(first_err),
             first_err == EACCES || first_err == EPERM
                 ? " (readable by root only since Linux 5.10, CVE-2020-8694)" : "");
  else if (found)
    snprintf(why, cap, "%s has no RAPL package zone (%d other zone%s)", root, others,
             others == 1 ? "" : "s");
  else
    snprintf(why, cap, "%s has no intel-rapl zones (virtual machine?)", root);
  return 0;
}

double fz_rapl_sample(void) {
  if (!n_zones) return FZ_MON_NAN;
  double sum = 0;
  for (int i = 0; i < n_zones; i++) {
    rapl_zone *z = &zones[i];
    double now;
    if (read_u64_file(z->path, &now) != 0) {
      read_errors++;
    } else {
      if (now >= z->last_uj) z->total_uj += now - z->last_uj;
      else if (z->max_uj > 0 && z->last_uj <= z->max_uj)
        z->total_uj += (z->max_uj - z->last_uj) + now;   /* wrapped once */
      /* else: a reset we cannot measure across; count from the new value */
      z->last_uj = now;
    }
    sum += z->total_uj;
  }
  return sum / 1e6;
}

uint64_t fz_rapl_read_errors(void) { return read_errors; }

void fz_rapl_describe(char *buf, size_t cap) {
  size_t k = 0;
  buf[0] = '\0';
  for (int i = 0; i < n_zones && k + 1 < cap; i++) {
    int w = snprintf(buf + k, cap - k, "%s%s (%s)", i ? ", " : "", zones[i].name, zones[i].dir);
    if (w < 0) break;
    k += (size_t)w < cap - k ? (size_t)w : cap - k - 1;
  }
}
