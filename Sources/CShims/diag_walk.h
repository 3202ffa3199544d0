/* The sock_diag walk, shared by the lab (shims.c) and by the C programs it exports, which carry
   this file's text: one request for TCP sockets on a netlink socket, and a call of `each` for
   every socket in the answer. */
#ifndef SOCKLAB_DIAG_WALK_H
#define SOCKLAB_DIAG_WALK_H

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* Sends `req` (a dump if `dump`, with an optional bytecode filter) on the netlink socket `nl`
   with sequence number `seq`, and calls `each` for every socket of the answer. Returns how many
   there were, or -1 with errno. Answers with another sequence number (late answers to an earlier
   request) are skipped. */
static int socklab_diag_walk(int nl, uint32_t seq, const struct inet_diag_req_v2 *req, int dump, const void *filter,
                             int filter_len, void (*each)(const struct inet_diag_msg *, void *), void *context) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
    struct nlattr attr;
    char filter[64];
  } msg;
  memset(&msg, 0, sizeof msg);
  int attr_len = filter_len > 0 ? (int)(NLA_HDRLEN + filter_len) : 0;
  msg.nlh.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof msg.req) + NLA_ALIGN(attr_len));
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0));
  msg.nlh.nlmsg_seq = seq;
  msg.req = *req;
  if (filter_len > 0 && filter_len <= (int)sizeof msg.filter) {
    msg.attr.nla_type = INET_DIAG_REQ_BYTECODE;
    msg.attr.nla_len = (uint16_t)attr_len;
    memcpy(msg.filter, filter, (size_t)filter_len);
  }

  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  if (sendto(nl, &msg, msg.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -1;

  int count = 0;
  char buf[16384] __attribute__((aligned(4)));
  for (;;) {
    ssize_t n = recv(nl, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    unsigned int len = (unsigned int)n;
    int ours = 0;
    for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq) continue; /* a late answer to an earlier request */
      ours = 1;
      if (h->nlmsg_type == NLMSG_DONE) return count;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
        if (e->error == 0) return count;
        errno = -e->error;
        return -1;
      }
      count++;
      each((const struct inet_diag_msg *)NLMSG_DATA(h), context);
    }
    /* An exact request answers with one message and no NLMSG_DONE. */
    if (!dump && ours) break;
  }
  return count;
}

#endif
