#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <fcntl.h>
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

int socklab_diag_tcp(int family, struct socklab_diag_entry *out, int max) {
  int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) return -1;

  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.req.sdiag_family = (uint8_t)family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0u;

  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  if (sendto(nl, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int saved = errno;
    close(nl);
    errno = saved;
    return -1;
  }

  int count = 0;
  char buf[16384] __attribute__((aligned(4)));
  for (;;) {
    ssize_t n = recv(nl, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      close(nl);
      errno = saved;
      return -1;
    }
    if (n == 0) break;
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    int len = (int)n;
    for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) goto done;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
        close(nl);
        errno = -e->error;
        return -1;
      }
      struct inet_diag_msg *d = (struct inet_diag_msg *)NLMSG_DATA(h);
      if (count >= max) continue;
      struct socklab_diag_entry *o = &out[count++];
      memset(o, 0, sizeof *o);
      o->family = d->idiag_family;
      o->state = d->idiag_state;
      memcpy(o->src, d->id.idiag_src, 16);
      memcpy(o->dst, d->id.idiag_dst, 16);
      o->sport = ntohs(d->id.idiag_sport);
      o->dport = ntohs(d->id.idiag_dport);
      o->inode = d->idiag_inode;
      o->rqueue = d->idiag_rqueue;
      o->wqueue = d->idiag_wqueue;
    }
  }
done:
  close(nl);
  return count;
}
