/* probe/sock.c: the socket probe (kind "sockets", DETAILED): bytes the calling thread sent
 * and received through the socket calls that /proc/thread-self/io does not count (send,
 * sendto, sendmsg, sendmmsg; recv, recvfrom, recvmsg, recvmmsg), into SOCK_SENT_BYTES and
 * SOCK_RECV_BYTES. The counts are the thread's own, kept by the hooks of
 * src/record/hooks/sock_hooks.c, which exist in libfathom.so only (linked, or LD_PRELOADed):
 * without them the probe is "not available" and says how to get it. (read and write on a
 * socket are in READ_BYTES and WRITE_BYTES, from rchar and wchar.)
 *
 * Invariant: a read is two loads of thread-local counters: no system call, no allocation. */
#include <stdio.h>

#include "probe/kinds.h"

__thread uint64_t fz_sock_sent_ __attribute__((tls_model("initial-exec")));
__thread uint64_t fz_sock_recv_ __attribute__((tls_model("initial-exec")));
int fz_sock_hooked_;   /* 1: the hooks are the process's send/recv (set by their constructor) */

#define BIT(i) (1u << (i))

static void sock_after_fork(void) {
  fz_sock_sent_ = fz_sock_recv_ = 0;   /* the child's thread: its own counts from 0 */
}

static int sock_open(void *st) {
  (void)st;
  return __atomic_load_n(&fz_sock_hooked_, __ATOMIC_RELAXED) != 0;
}

static void sock_close(void *st) { (void)st; }

static uint32_t sock_read(void *st, fz_pval *out, int at_end) {
  (void)st;
  (void)at_end;
  if (!__atomic_load_n(&fz_sock_hooked_, __ATOMIC_RELAXED)) return 0;
  out->v[FATHOM_RES_SOCK_SENT_BYTES] = (int64_t)fz_sock_sent_;
  out->v[FATHOM_RES_SOCK_RECV_BYTES] = (int64_t)fz_sock_recv_;
  return BIT(FATHOM_RES_SOCK_SENT_BYTES) | BIT(FATHOM_RES_SOCK_RECV_BYTES);
}

static uint32_t sock_describe(fathom_probe_info *o, uint32_t cap) {
  if (cap < 1) return 0;
  int on = __atomic_load_n(&fz_sock_hooked_, __ATOMIC_RELAXED) != 0;
  return (uint32_t)fz_probe_set_info(
      o, "sockets", on,
      on ? "fathom's hooks of send, sendto, sendmsg, sendmmsg, recv, recvfrom, recvmsg and "
           "recvmmsg count each thread's socket bytes (sock_sent_bytes, sock_recv_bytes; read "
           "and write on sockets are in read_bytes and write_bytes)"
         : "not available: the socket calls are counted by hooks in libfathom.so only; link "
           "the program with libfathom.so, or run it with LD_PRELOAD=libfathom.so.0 (read and "
           "write on sockets are still in read_bytes and write_bytes)");
}

const fz_probe_kind fz_probe_sock = {
    .name = "sockets",
    .level = FATHOM_LEVEL_DETAILED,
    .listed = 4,
    .state_size = 0,
    .after_fork = sock_after_fork,
    .open = sock_open,
    .close = sock_close,
    .read = sock_read,
    .describe = sock_describe,
};
