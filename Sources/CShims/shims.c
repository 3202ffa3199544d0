#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <fcntl.h>
#include "diag_walk.h"
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

const char *socklab_errno_name(int err) { return strerrorname_np(err); }

int socklab_gettid(void) { return (int)gettid(); }

int socklab_fcntl(int fd, int cmd, int arg) { return fcntl(fd, cmd, arg); }

int socklab_accept4(int fd, struct sockaddr *addr, unsigned int *len, int flags) {
  return accept4(fd, addr, (socklen_t *)len, flags);
}

int socklab_inq(int fd) {
  int n = 0;
  return ioctl(fd, SIOCINQ, &n) < 0 ? -1 : n;
}

int socklab_outq(int fd) {
  int n = 0;
  return ioctl(fd, SIOCOUTQ, &n) < 0 ? -1 : n;
}

int socklab_tcp_state(int fd) {
  struct tcp_info info;
  socklen_t len = sizeof info;
  memset(&info, 0, sizeof info);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0) return -1;
  return info.tcpi_state;
}

int socklab_accept_queue(int fd) {
  struct tcp_info info;
  socklen_t len = sizeof info;
  memset(&info, 0, sizeof info);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0) return -1;
  /* For a listening socket, Linux reports the accept queue's length in tcpi_unacked. */
  return info.tcpi_state == TCP_LISTEN ? (int)info.tcpi_unacked : -1;
}

static void socklab_nothing(int sig) { (void)sig; }

int socklab_install_interrupt_signal(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = socklab_nothing;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: the blocked call returns EINTR */
  return sigaction(sig, &sa, NULL);
}

int socklab_unblock_signal(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  return pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void socklab_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

/* The lab's own descriptors live at 900 and above, so that the numbers a learner's sockets get
   are never taken, even for a moment, by the lab's bookkeeping (a closed descriptor's number
   stays free until the learner's next socket takes it, as in a program of one thread). */
int socklab_private_fd(int fd) {
  if (fd < 0 || fd >= 900) return fd;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 900);
  if (high < 0) return fd;
  close(fd);
  return high;
}

/* One netlink socket for every sock_diag request, opened once: each request is told from a
   late answer to an earlier one by its sequence number. */
static pthread_mutex_t socklab_nl_lock = PTHREAD_MUTEX_INITIALIZER;
static int socklab_nl = -1;
static uint32_t socklab_nl_seq = 0;

/* sock_diag sockets opened inside the lab's own network namespaces (a netlink socket answers for
   the namespace it was made in): the sockets of actors on hosts are found there. */
#define SOCKLAB_DIAG_NAMESPACES 16
static int socklab_nl_hosts[SOCKLAB_DIAG_NAMESPACES];
static int socklab_nl_host_count = 0;

int socklab_diag_add_namespace(int fd) {
  pthread_mutex_lock(&socklab_nl_lock);
  int added = socklab_nl_host_count < SOCKLAB_DIAG_NAMESPACES;
  if (added) socklab_nl_hosts[socklab_nl_host_count++] = fd;
  pthread_mutex_unlock(&socklab_nl_lock);
  return added ? 0 : -ENOSPC;
}

void socklab_diag_remove_namespace(int fd) {
  pthread_mutex_lock(&socklab_nl_lock);
  for (int i = 0; i < socklab_nl_host_count; i++) {
    if (socklab_nl_hosts[i] != fd) continue;
    socklab_nl_hosts[i] = socklab_nl_hosts[--socklab_nl_host_count];
    break;
  }
  pthread_mutex_unlock(&socklab_nl_lock);
}

static int socklab_diag_locked(int nl, struct inet_diag_req_v2 *req, int dump, const void *filter, int filter_len,
                               struct socklab_diag_entry *out, int max);

/* Sends one sock_diag request for TCP sockets and collects the answers into `out`: first from
   the lab's namespaces, then from the process's own. An exact lookup (max 1) stops at the first
   namespace that knows the connection. */
static int socklab_diag_request(struct inet_diag_req_v2 *req, int dump, const void *filter, int filter_len,
                                struct socklab_diag_entry *out, int max) {
  pthread_mutex_lock(&socklab_nl_lock);
  int total = 0;
  for (int i = 0; i < socklab_nl_host_count && total < max; i++) {
    int count = socklab_diag_locked(socklab_nl_hosts[i], req, dump, filter, filter_len, out + total, max - total);
    if (count > 0) total += count;
  }
  if (total >= max && !dump) {
    pthread_mutex_unlock(&socklab_nl_lock);
    return total;
  }
  if (socklab_nl < 0) socklab_nl = socklab_private_fd(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  int count = socklab_nl < 0 ? -1 : socklab_diag_locked(socklab_nl, req, dump, filter, filter_len, out + total, max - total);
  if (count < 0 && socklab_nl >= 0) {
    /* After a failure the socket may hold half an answer: start afresh next time. */
    int saved = errno;
    close(socklab_nl);
    socklab_nl = -1;
    errno = saved;
  }
  pthread_mutex_unlock(&socklab_nl_lock);
  if (count < 0) return total > 0 ? total : count;
  return total + count;
}

/* Where socklab_diag_locked's answers go. */
struct socklab_diag_out {
  struct socklab_diag_entry *out;
  int max, count;
};

static void socklab_diag_keep(const struct inet_diag_msg *d, void *context) {
  struct socklab_diag_out *o = context;
  if (o->count >= o->max) return;
  struct socklab_diag_entry *e = &o->out[o->count++];
  memset(e, 0, sizeof *e);
  e->family = d->idiag_family;
  e->state = d->idiag_state;
  memcpy(e->src, d->id.idiag_src, 16);
  memcpy(e->dst, d->id.idiag_dst, 16);
  e->sport = ntohs(d->id.idiag_sport);
  e->dport = ntohs(d->id.idiag_dport);
  e->inode = d->idiag_inode;
  e->rqueue = d->idiag_rqueue;
  e->wqueue = d->idiag_wqueue;
}

static int socklab_diag_locked(int nl, struct inet_diag_req_v2 *req, int dump, const void *filter, int filter_len,
                               struct socklab_diag_entry *out, int max) {
  struct socklab_diag_out o = {out, max, 0};
  int n = socklab_diag_walk(nl, ++socklab_nl_seq, req, dump, filter, filter_len, socklab_diag_keep, &o);
  return n < 0 ? -1 : o.count;
}

int socklab_diag_tcp(int family, struct socklab_diag_entry *out, int max) {
  struct inet_diag_req_v2 req;
  memset(&req, 0, sizeof req);
  req.sdiag_family = (uint8_t)family;
  req.sdiag_protocol = IPPROTO_TCP;
  req.idiag_states = ~0u;
  return socklab_diag_request(&req, 1, NULL, 0, out, max);
}

int socklab_diag_tcp_port(int family, uint16_t port, struct socklab_diag_entry *out, int max) {
  struct inet_diag_req_v2 req;
  memset(&req, 0, sizeof req);
  req.sdiag_family = (uint8_t)family;
  req.sdiag_protocol = IPPROTO_TCP;
  req.idiag_states = ~0u;
  /* (local port >= p && local port <= p) || (remote port >= p && remote port <= p). Each
     condition says how far to jump when it holds and when it does not; landing exactly at the
     end keeps the socket, and 4 bytes past it drops it. The kernel accepts a jump only to a
     place the chain of "holds" jumps also reaches, hence the JMP to the end in the middle. */
  struct inet_diag_bc_op ops[9] = {
      {INET_DIAG_BC_S_GE, 8, 20}, {0, 0, port}, {INET_DIAG_BC_S_LE, 8, 12}, {0, 0, port},
      {INET_DIAG_BC_JMP, 4, 20},  {INET_DIAG_BC_D_GE, 8, 20}, {0, 0, port}, {INET_DIAG_BC_D_LE, 8, 12},
      {0, 0, port},
  };
  return socklab_diag_request(&req, 1, ops, (int)sizeof ops, out, max);
}

int socklab_diag_tcp_exact(int family, const uint8_t local[16], uint16_t local_port, const uint8_t peer[16],
                           uint16_t peer_port, struct socklab_diag_entry *out) {
  struct inet_diag_req_v2 req;
  memset(&req, 0, sizeof req);
  req.sdiag_family = (uint8_t)family;
  req.sdiag_protocol = IPPROTO_TCP;
  req.idiag_states = ~0u;
  memcpy(req.id.idiag_src, local, 16);
  memcpy(req.id.idiag_dst, peer, 16);
  req.id.idiag_sport = htons(local_port);
  req.id.idiag_dport = htons(peer_port);
  req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  int count = socklab_diag_request(&req, 0, NULL, 0, out, 1);
  if (count < 0 && errno == ENOENT) return 0;
  return count;
}
