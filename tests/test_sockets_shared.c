/* test_sockets_shared.c: socket bytes per zone, through libfathom.so's hooks (this test links
 * the shared library). Over a socket pair, zone "send" moves 1000 bytes with each of send,
 * sendto, sendmsg and sendmmsg (two messages): 5000 bytes sent; zone "recv" takes them back
 * with recv, recvfrom, recvmsg and recvmmsg: 5000 received; zone "plain" uses write and read,
 * which are read and write bytes, not socket bytes. Every call is probed (one call a zone),
 * so the figures are exact. A failing call counts nothing and keeps its errno; the probe is
 * listed as available. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

static char buf[4096];

static void test_socket_bytes(void **state) {
  (void)state;
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
  fathom_config cfg;
  fathom_config_init(&cfg);
  cfg.level = FATHOM_LEVEL_DETAILED;
  assert_int_equal(fathom_session_begin("sockets", &cfg), 0);

  fathom_zone z = fathom_zone_begin("send", "net");
  assert_int_equal(send(sv[0], buf, 1000, 0), 1000);
  assert_int_equal(sendto(sv[0], buf, 1000, 0, NULL, 0), 1000);
  struct iovec iov = {buf, 1000};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  assert_int_equal(sendmsg(sv[0], &mh, 0), 1000);
  struct iovec iv2[2] = {{buf, 1000}, {buf, 1000}};
  struct mmsghdr mm[2];
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 2; i++) {
    mm[i].msg_hdr.msg_iov = &iv2[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  assert_int_equal(sendmmsg(sv[0], mm, 2, 0), 2);
  errno = 0;
  assert_int_equal(send(-1, buf, 10, 0), -1);   /* fails: counts nothing, errno kept */
  assert_int_equal(errno, EBADF);
  fathom_zone_end(z);

  z = fathom_zone_begin("recv", "net");
  assert_int_equal(recv(sv[1], buf, sizeof buf, 0), 1000);
  assert_int_equal(recvfrom(sv[1], buf, sizeof buf, 0, NULL, NULL), 1000);
  struct iovec riov = {buf, sizeof buf};
  struct msghdr rh = {0};
  rh.msg_iov = &riov;
  rh.msg_iovlen = 1;
  assert_int_equal(recvmsg(sv[1], &rh, 0), 1000);
  struct iovec rv2[2] = {{buf, 2000}, {buf + 2000, 2000}};
  struct mmsghdr rm[2];
  memset(rm, 0, sizeof rm);
  for (int i = 0; i < 2; i++) {
    rm[i].msg_hdr.msg_iov = &rv2[i];
    rm[i].msg_hdr.msg_iovlen = 1;
  }
  assert_int_equal(recvmmsg(sv[1], rm, 2, 0, NULL), 2);
  fathom_zone_end(z);

  z = fathom_zone_begin("plain", "net");
  assert_int_equal(write(sv[0], buf, 700), 700);
  assert_int_equal(read(sv[1], buf, sizeof buf), 700);
  fathom_zone_end(z);

  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  const fathom_zone_info *snd = NULL, *rcv = NULL, *pl = NULL;
  for (uint32_t i = 0; i < p->n_zones; i++) {
    if (!strcmp(p->zones[i].name, "send")) snd = &p->zones[i];
    if (!strcmp(p->zones[i].name, "recv")) rcv = &p->zones[i];
    if (!strcmp(p->zones[i].name, "plain")) pl = &p->zones[i];
  }
  assert_non_null(snd);
  assert_non_null(rcv);
  assert_non_null(pl);
  const uint32_t bits = 1u << FATHOM_RES_SOCK_SENT_BYTES | 1u << FATHOM_RES_SOCK_RECV_BYTES;
  assert_int_equal(snd->res.mask & bits, bits);
  assert_true(snd->res.sum[FATHOM_RES_SOCK_SENT_BYTES] == 5000);
  assert_true(snd->res.sum[FATHOM_RES_SOCK_RECV_BYTES] == 0);
  assert_true(rcv->res.sum[FATHOM_RES_SOCK_RECV_BYTES] == 5000);
  assert_true(rcv->res.sum[FATHOM_RES_SOCK_SENT_BYTES] == 0);
  assert_true(pl->res.sum[FATHOM_RES_SOCK_SENT_BYTES] == 0);
  assert_true(pl->res.sum[FATHOM_RES_SOCK_RECV_BYTES] == 0);
  if (pl->res.mask & (1u << FATHOM_RES_WRITE_BYTES)) {   /* /proc/thread-self/io readable */
    assert_true(pl->res.sum[FATHOM_RES_WRITE_BYTES] == 700);
    assert_true(pl->res.sum[FATHOM_RES_READ_BYTES] == 700);
    assert_true(pl->res.sum[FATHOM_RES_WRITE_OPS] == 1);
    assert_true(snd->res.sum[FATHOM_RES_WRITE_BYTES] == 0);   /* send is not in wchar */
  }
  int listed = 0;
  for (uint32_t i = 0; i < p->n_probes; i++)
    if (!strcmp(p->probes[i].name, "sockets")) listed = p->probes[i].available;
  assert_true(listed);
  /* the text report's column */
  char *text = render(p, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(text, "socket sent / received"));
  assert_non_null(strstr(text, "4.88 KiB / 0 B"));
  free(text);
  fathom_profile_free(p);
  close(sv[0]);
  close(sv[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_socket_bytes)};
  return cmocka_run_group_tests_name("sockets_shared", tests, NULL, NULL);
}
