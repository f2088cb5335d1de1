/* test_live.c: the live HTTP endpoint end to end, fetched with curl: /metrics passes
 * `promtool check metrics` (Debian's prometheus package), /profile.json loads with fathom's
 * loader (jansson) and holds the zones recorded so far, / is a self-contained HTML page;
 * unknown paths 404, POST and DELETE 405 with Allow, HEAD works, a 100 KB header is refused
 * without harming the server, more connections than the limit are bounded, the server is gone
 * after session end; bad listen specs, a port in use, FATHOM_LISTEN, a forked child;
 * fathom_metrics_write on awkward names (they are label values: promtool's lint still passes).
 * Hostile clients (Host checks, slow and many connections): test_live_guard.c.
 * curl and promtool missing is a failure, never a skip. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "livetest.h"
#include "fathom_load.h"

static void work(int n) {
  for (int i = 0; i < n; i++) {
    FATHOM_ZONE("parse", "compute");
    FATHOM_COUNTER_ADD("rows.read", 2);
  }
  FATHOM_ZONE("load \"x\"\\y", "data");
  FATHOM_GAUGE_SET("queue depth", 5);
}

static void endpoint_end_to_end(void **state) {
  (void)state;
  need_tool("curl", "curl");
  need_tool("promtool", "prometheus");
  assert_int_equal(begin_listen("127.0.0.1:0"), 0);
  fathom_live_info info;
  assert_int_equal(fathom_live_info_get(&info), 0);
  assert_int_equal(info.running, 1);
  assert_true(info.port > 0 && info.port < 65536);
  assert_string_equal(info.address, "127.0.0.1");
  char url[112];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", info.port);
  assert_string_equal(info.url, url);
  int port = info.port;
  work(20);

  char f[600], out[256];
  /* /metrics: promtool accepts it; the figures are there, labels escaped */
  snprintf(f, sizeof f, "%s/metrics.txt", tmp);
  assert_int_equal(fetch(port, "GET", "/metrics", f, NULL), 200);
  int rc = sh(out, sizeof out, "promtool check metrics < '%s' 2>&1", f);
  if (rc != 0) fail_msg("promtool check metrics failed (%d): %s", rc, out);
  char *m = slurp(f);
  assert_non_null(strstr(m, "# TYPE fathom_zone_calls_total counter\n"));
  assert_non_null(strstr(m, "fathom_zone_calls_total{zone=\"parse\",component=\"compute\"} 20\n"));
  assert_non_null(strstr(m, "{zone=\"load \\\"x\\\"\\\\y\",component=\"data\"}"));
  assert_non_null(strstr(m, "fathom_zone_duration_seconds{zone=\"parse\",component=\"compute\",quantile=\"0.99\"}"));
  assert_non_null(strstr(m, "fathom_metric_total{name=\"rows.read\"} 40\n"));
  assert_non_null(strstr(m, "# TYPE fathom_metric_value gauge\nfathom_metric_value{name=\"queue depth\"} 5\n"));
  assert_non_null(strstr(m, "process_resident_memory_bytes "));
  assert_non_null(strstr(m, "fathom_dropped_events_total 0\n"));
  free(m);
  assert_int_equal(sh(out, sizeof out, "curl -s -o /dev/null -w '%%{content_type}' %smetrics", url), 0);
  assert_string_equal(out, "text/plain; version=0.0.4; charset=utf-8");

  /* /profile.json: the model so far */
  work(5);
  snprintf(f, sizeof f, "%s/profile.json", tmp);
  assert_int_equal(fetch(port, "GET", "/profile.json", f, NULL), 200);
  fathom_profile *p = NULL;
  char err[256] = "";
  if (fathom_profile_load(f, &p, err, sizeof err) != 0) fail_msg("profile.json: %s", err);
  hold(p);
  assert_int_equal(zone(p, "parse")->stats.count, 25);
  assert_int_equal(zone(p, "load \"x\"\\y")->stats.count, 2);
  release(p);

  /* /: the live page, self-contained */
  snprintf(f, sizeof f, "%s/page.html", tmp);
  assert_int_equal(fetch(port, "GET", "/", f, NULL), 200);
  char *page = slurp(f);
  assert_true(strncmp(page, "<!DOCTYPE html>", 15) == 0);
  assert_non_null(strstr(page, "/profile.json"));
  assert_non_null(strstr(page, "setTimeout(poll"));
  assert_null(strstr(page, "src=\"http"));
  assert_null(strstr(page, "href=\"http"));
  free(page);

  /* bad requests */
  snprintf(f, sizeof f, "%s/bad.txt", tmp);
  assert_int_equal(fetch(port, "GET", "/nope", f, NULL), 404);
  assert_int_equal(fetch(port, "GET", "/metrics/x", f, NULL), 404);
  assert_int_equal(fetch(port, "POST", "/metrics", f, "-d x=1"), 405);
  assert_int_equal(fetch(port, "DELETE", "/profile.json", f, NULL), 405);
  assert_int_equal(sh(out, sizeof out, "curl -s -X PUT -D - -o /dev/null %s | tr -d '\\r' | "
                      "grep -i '^allow:'", url), 0);
  assert_string_equal(out, "Allow: GET, HEAD\n");
  assert_int_equal(sh(out, sizeof out, "curl -s -I -o /dev/null -w '%%{http_code} %%{size_download}' %smetrics", url), 0);
  assert_string_equal(out, "200 0");
  /* a 100 KB header: refused (431/413 or closed), the server unharmed */
  rc = sh(out, sizeof out, "curl -s --max-time 30 -o /dev/null -w '%%{http_code}' "
          "-H \"X-Big: $(head -c 102400 /dev/zero | tr '\\0' a)\" %smetrics", url);
  if (strcmp(out, "431") && strcmp(out, "413") && strcmp(out, "000"))
    fail_msg("a 100 KB header got HTTP %s (curl %d), expected 431, 413 or a closed connection",
             out, rc);
  assert_int_equal(fetch(port, "GET", "/metrics", f, NULL), 200);
  /* more idle connections than the limit (16): bounded, and the server still answers */
  int fds[40];
  for (int i = 0; i < 40; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fds[i] >= 0);
    (void)connect(fds[i], (struct sockaddr *)&a, sizeof a);
  }
  for (int i = 0; i < 40; i++) close(fds[i]);
  assert_int_equal(fetch(port, "GET", "/metrics", f, NULL), 200);
  assert_int_equal(fathom_live_info_get(&info), 0);
  assert_true(info.n_requests >= 10);

  /* the server is gone after session end */
  end();
  assert_int_equal(fathom_live_info_get(&info), 0);
  assert_int_equal(info.running, 0);
  rc = sh(out, sizeof out, "curl -s --max-time 10 -o /dev/null -w '%%{http_code}' %smetrics", url);
  assert_int_equal(rc, 7);   /* curl: failed to connect */
}

/* stderr into a file while fn runs; returns the text (caller frees). */
static char *capture_stderr(int (*fn)(const char *), const char *arg, int *ret) {
  char path[600];
  snprintf(path, sizeof path, "%s/stderr.txt", tmp);
  fflush(stderr);
  int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(saved >= 0 && fd >= 0);
  dup2(fd, 2);
  close(fd);
  *ret = fn(arg);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  return slurp(path);
}

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

static void bad_specs(void **state) {
  (void)state;
  static const char *const bad[] = {"127.0.0.1:99999", "nonsense", "127.0.0.1:", "[::1:80",
                                    "example.org:80", "1.2.3.4:-1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc;
    char *err = capture_stderr(begin_listen, bad[i], &rc);
    assert_int_equal(rc, 0);
    if (!strstr(err, "expected HOST:PORT")) fail_msg("spec '%s': stderr was: %s", bad[i], err);
    assert_int_equal(count_lines(err), 1);
    free(err);
    fathom_live_info info;
    fathom_live_info_get(&info);
    assert_int_equal(info.running, 0);
    assert_non_null(strstr(info.why, bad[i]));
    work(1);
    end();
  }
}

static void port_in_use(void **state) {
  (void)state;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(s, 4), 0);
  assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
  char spec[64];
  snprintf(spec, sizeof spec, "127.0.0.1:%d", ntohs(a.sin_port));
  int rc;
  char *err = capture_stderr(begin_listen, spec, &rc);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(err, "cannot listen on"));
  assert_non_null(strstr(err, "Address already in use"));
  free(err);
  fathom_live_info info;
  fathom_live_info_get(&info);
  assert_int_equal(info.running, 0);
  end();
  close(s);
}

static int begin_env(const char *arg) {
  (void)arg;
  return fathom_session_begin("live-env", NULL);
}

static void env_listen_and_fork(void **state) {
  (void)state;
  need_tool("curl", "curl");
  setenv("FATHOM_LISTEN", "127.0.0.1:0", 1);
  int rc;
  char *err = capture_stderr(begin_env, NULL, &rc);
  unsetenv("FATHOM_LISTEN");
  assert_int_equal(rc, 0);
  int port = port_now();
  char want[128];
  snprintf(want, sizeof want, "fathom: live endpoint on http://127.0.0.1:%d/ ", port);
  if (!strstr(err, want)) fail_msg("stderr does not say the port: %s", err);
  free(err);
  work(2);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {   /* the child: no server, and ending its session must not hang */
    fathom_live_info i;
    fathom_live_info_get(&i);
    int bad = i.running != 0;
    bad |= fathom_session_end(NULL) != 0;
    _exit(bad);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  char f[600];
  snprintf(f, sizeof f, "%s/after-fork.txt", tmp);
  for (int i = 0; i < 5; i++)   /* every connection reaches the parent's server */
    assert_int_equal(fetch(port, "GET", "/metrics", f, NULL), 200);
  end();
}

static void metrics_write_awkward_names(void **state) {
  (void)state;
  need_tool("promtool", "prometheus");
  fathom_config c;
  fathom_config_init(&c);
  assert_int_equal(fathom_session_begin("names", &c), 0);
  fathom_counter_add("a.b", 1);
  fathom_counter_add("time_ms", 2);
  fathom_counter_add("bytesRead", 3);
  fathom_gauge_set("x_total", 4);
  fathom_record_size("buf", 4096);
  fathom_zone z = fathom_zone_begin("bad\xff name\nwith newline", "c\"q");
  fathom_zone_end(z);
  fathom_profile *p = end();
  char f[600], out[512];
  snprintf(f, sizeof f, "%s/names.prom", tmp);
  FILE *fp = fopen(f, "w");
  assert_non_null(fp);
  assert_int_equal(fathom_metrics_write(p, fp), 0);
  fclose(fp);
  int rc = sh(out, sizeof out, "promtool check metrics < '%s' 2>&1", f);
  if (rc != 0) fail_msg("promtool check metrics failed (%d): %s", rc, out);
  char *m = slurp(f);
  assert_non_null(strstr(m, "\nfathom_metric_total{name=\"a.b\"} 1\n"));
  assert_non_null(strstr(m, "\nfathom_metric_total{name=\"time_ms\"} 2\n"));
  assert_non_null(strstr(m, "\nfathom_metric_total{name=\"bytesRead\"} 3\n"));
  assert_non_null(strstr(m, "\nfathom_metric_value{name=\"x_total\"} 4\n"));
  assert_non_null(strstr(m, "\nfathom_metric_size_bytes{name=\"buf\"} 4096\n"));
  assert_non_null(strstr(m, "zone=\"bad\xEF\xBF\xBD name\\nwith newline\",component=\"c\\\"q\""));
  free(m);
  assert_int_equal(fathom_metrics_write(NULL, stdout), FATHOM_E_INVAL);
  assert_int_equal(fathom_live_info_get(NULL), FATHOM_E_INVAL);
}

int main(void) {
  setup_tmp("live");
  const struct CMUnitTest tests[] = {
      T(endpoint_end_to_end), T(bad_specs), T(port_in_use), T(env_listen_and_fork),
      T(metrics_write_awkward_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
