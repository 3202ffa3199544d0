#define _GNU_SOURCE
#include "CWire.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <sys/syscall.h>
#include <linux/veth.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t length = (ssize_t)strlen(text);
  ssize_t written = write(fd, text, (size_t)length);
  int saved = errno;
  close(fd);
  return written == length ? 0 : -(written < 0 ? saved : EIO);
}

int socklab_wire_enter_userns(void) {
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER) != 0) return -errno;
  char line[64];
  snprintf(line, sizeof line, "%u %u 1\n", uid, uid);
  int status = write_file("/proc/self/uid_map", line);
  if (status != 0) return status;
  status = write_file("/proc/self/setgroups", "deny\n");
  if (status != 0 && status != -ENOENT) return status;
  snprintf(line, sizeof line, "%u %u 1\n", gid, gid);
  return write_file("/proc/self/gid_map", line);
}

int socklab_wire_new_netns(void) {
  if (unshare(CLONE_NEWNET) != 0) return -errno;
  int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

int socklab_wire_quiet_ipv6(void) { return write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1\n"); }

int socklab_wire_setns_user(int fd) { return setns(fd, CLONE_NEWUSER) == 0 ? 0 : -errno; }

int socklab_wire_setns(int fd) { return setns(fd, CLONE_NEWNET) == 0 ? 0 : -errno; }

// MARK: - rtnetlink

struct request {
  struct nlmsghdr header;
  struct ifinfomsg info;
  char attributes[512];
};

static struct rtattr *attribute(struct nlmsghdr *header, size_t room, int type, const void *data, size_t length) {
  size_t at = NLMSG_ALIGN(header->nlmsg_len);
  if (at + RTA_SPACE(length) > room) return NULL;
  struct rtattr *rta = (struct rtattr *)((char *)header + at);
  rta->rta_type = (unsigned short)type;
  rta->rta_len = (unsigned short)RTA_LENGTH(length);
  if (length) memcpy(RTA_DATA(rta), data, length);
  header->nlmsg_len = (uint32_t)(at + RTA_SPACE(length));
  return rta;
}

static void close_nest(struct nlmsghdr *header, struct rtattr *nest) {
  nest->rta_len = (unsigned short)((char *)header + NLMSG_ALIGN(header->nlmsg_len) - (char *)nest);
}

/// Sends one request and reads the kernel's acknowledgement: 0 or -errno.
static int talk(struct nlmsghdr *header) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  header->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  header->nlmsg_seq = 1;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, header, header->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int saved = errno;
    close(fd);
    return -saved;
  }
  char reply[4096];
  int status = -EIO;
  for (int tries = 0; tries < 8; tries++) {
    ssize_t got = recv(fd, reply, sizeof reply, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      status = -errno;
      break;
    }
    struct nlmsghdr *answer = (struct nlmsghdr *)reply;
    if (!NLMSG_OK(answer, (size_t)got)) break;
    if (answer->nlmsg_type == NLMSG_ERROR) {
      struct nlmsgerr *error = NLMSG_DATA(answer);
      status = error->error;
      break;
    }
  }
  close(fd);
  return status;
}

int socklab_wire_ifindex(const char *name) {
  unsigned index = if_nametoindex(name);
  return index ? (int)index : -errno;
}

int socklab_wire_veth(const char *name, const char *peer, int peer_ns) {
  struct request request = {0};
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  request.header.nlmsg_type = RTM_NEWLINK;
  request.header.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  request.info.ifi_family = AF_UNSPEC;
  size_t room = sizeof request;
  if (!attribute(&request.header, room, IFLA_IFNAME, name, strlen(name) + 1)) return -ENOSPC;
  struct rtattr *linkinfo = attribute(&request.header, room, IFLA_LINKINFO, NULL, 0);
  if (!attribute(&request.header, room, IFLA_INFO_KIND, "veth", 5)) return -ENOSPC;
  struct rtattr *data = attribute(&request.header, room, IFLA_INFO_DATA, NULL, 0);
  struct rtattr *peerinfo = attribute(&request.header, room, VETH_INFO_PEER, NULL, 0);
  // The peer's own ifinfomsg comes first inside VETH_INFO_PEER.
  struct ifinfomsg peer_info = {.ifi_family = AF_UNSPEC};
  size_t at = NLMSG_ALIGN(request.header.nlmsg_len);
  memcpy((char *)&request + at, &peer_info, sizeof peer_info);
  request.header.nlmsg_len = (uint32_t)(at + NLMSG_ALIGN(sizeof peer_info));
  if (!attribute(&request.header, room, IFLA_IFNAME, peer, strlen(peer) + 1)) return -ENOSPC;
  if (!attribute(&request.header, room, IFLA_NET_NS_FD, &peer_ns, sizeof peer_ns)) return -ENOSPC;
  close_nest(&request.header, peerinfo);
  close_nest(&request.header, data);
  close_nest(&request.header, linkinfo);
  return talk(&request.header);
}

static int set_link(const char *name, int up, int mtu) {
  int index = socklab_wire_ifindex(name);
  if (index < 0) return index;
  struct request request = {0};
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  request.header.nlmsg_type = RTM_NEWLINK;
  request.info.ifi_family = AF_UNSPEC;
  request.info.ifi_index = index;
  if (up) {
    request.info.ifi_flags = IFF_UP;
    request.info.ifi_change = IFF_UP;
  }
  if (mtu > 0) {
    uint32_t value = (uint32_t)mtu;
    if (!attribute(&request.header, sizeof request, IFLA_MTU, &value, sizeof value)) return -ENOSPC;
  }
  return talk(&request.header);
}

int socklab_wire_link_up(const char *name, int mtu) { return set_link(name, 1, mtu); }

int socklab_wire_set_mtu(const char *name, int mtu) { return set_link(name, 0, mtu); }

int socklab_wire_add_ipv4(const char *name, uint32_t address, int prefix) {
  int index = socklab_wire_ifindex(name);
  if (index < 0) return index;
  struct {
    struct nlmsghdr header;
    struct ifaddrmsg info;
    char attributes[64];
  } request = {0};
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  request.header.nlmsg_type = RTM_NEWADDR;
  request.header.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  request.info.ifa_family = AF_INET;
  request.info.ifa_prefixlen = (unsigned char)prefix;
  request.info.ifa_index = (unsigned)index;
  if (!attribute(&request.header, sizeof request, IFA_LOCAL, &address, 4)) return -ENOSPC;
  if (!attribute(&request.header, sizeof request, IFA_ADDRESS, &address, 4)) return -ENOSPC;
  return talk(&request.header);
}

int socklab_wire_tx_checksum_off(const char *name) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct ethtool_value value = {.cmd = ETHTOOL_STXCSUM, .data = 0};
  struct ifreq request = {0};
  strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  request.ifr_data = (void *)&value;
  int status = ioctl(fd, SIOCETHTOOL, &request) == 0 ? 0 : -errno;
  close(fd);
  return status;
}

int socklab_wire_packet_socket(const char *name) {
  int index = socklab_wire_ifindex(name);
  if (index < 0) return index;
  // Protocol 0 here and ETH_P_ALL at bind(): the kernel hooks the socket in once. Asking for
  // ETH_P_ALL twice makes bind() unhook it first, which waits for an RCU grace period (~10 ms).
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  int one = 1;
  // Only what arrives on the link: the relay's own sends would otherwise come back as copies.
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0) {
    int saved = errno;
    close(fd);
    return -saved;
  }
  // The kernel's own arrival time on each frame: the pane's microseconds are the wire's.
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) {
    int saved = errno;
    close(fd);
    return -saved;
  }
  int size = 4 << 20;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  struct sockaddr_ll link = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = index};
  if (bind(fd, (struct sockaddr *)&link, sizeof link) != 0) {
    int saved = errno;
    close(fd);
    return -saved;
  }
  return fd;
}

int socklab_wire_segments(int fd, uint32_t *sent, uint32_t *received) {
  struct tcp_info info;
  socklen_t length = sizeof info;
  memset(&info, 0, sizeof info);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return -errno;
  *sent = info.tcpi_segs_out;
  *received = info.tcpi_segs_in;
  return 0;
}

int socklab_wire_thread_id(void) { return (int)syscall(SYS_gettid); }

#define SOCKLAB_BATCH 64

int socklab_wire_receive_many(int fd, uint8_t *buffer, size_t stride, int count, int32_t *lengths, int64_t *stamps) {
  if (count > SOCKLAB_BATCH) count = SOCKLAB_BATCH;
  struct mmsghdr messages[SOCKLAB_BATCH];
  struct iovec parts[SOCKLAB_BATCH];
  char controls[SOCKLAB_BATCH][CMSG_SPACE(sizeof(struct timespec))];
  memset(messages, 0, sizeof(struct mmsghdr) * (size_t)count);
  for (int i = 0; i < count; i++) {
    parts[i].iov_base = buffer + (size_t)i * stride;
    parts[i].iov_len = stride;
    messages[i].msg_hdr.msg_iov = &parts[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_control = controls[i];
    messages[i].msg_hdr.msg_controllen = sizeof controls[i];
  }
  int got = recvmmsg(fd, messages, (unsigned)count, MSG_DONTWAIT, NULL);
  if (got < 0) return -errno;
  for (int i = 0; i < got; i++) {
    lengths[i] = (int32_t)(messages[i].msg_len > stride ? stride : messages[i].msg_len);
    stamps[i] = 0;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&messages[i].msg_hdr); header;
         header = CMSG_NXTHDR(&messages[i].msg_hdr, header)) {
      if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec when;
        memcpy(&when, CMSG_DATA(header), sizeof when);
        stamps[i] = (int64_t)when.tv_sec * 1000000000 + when.tv_nsec;
      }
    }
  }
  return got;
}

int socklab_wire_send_many(int fd, const uint8_t *base, const int64_t *offsets, const int32_t *lengths, int count) {
  int sent = 0;
  while (sent < count) {
    struct mmsghdr messages[SOCKLAB_BATCH];
    struct iovec parts[SOCKLAB_BATCH];
    int n = count - sent > SOCKLAB_BATCH ? SOCKLAB_BATCH : count - sent;
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)n);
    for (int i = 0; i < n; i++) {
      parts[i].iov_base = (void *)(base + offsets[sent + i]);
      parts[i].iov_len = (size_t)lengths[sent + i];
      messages[i].msg_hdr.msg_iov = &parts[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    int done = sendmmsg(fd, messages, (unsigned)n, MSG_DONTWAIT);
    if (done < 0) return sent > 0 ? sent : -errno;
    sent += done;
    if (done < n) break;
  }
  return sent;
}
