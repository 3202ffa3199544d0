#ifndef SOCKLAB_CSHIMS_H
#define SOCKLAB_CSHIMS_H

#include <stdint.h>
#include <sys/types.h>

/// The C name of an errno value ("EADDRINUSE"), or NULL when the C library does not know it.
const char *socklab_errno_name(int err);

/// The calling thread's kernel thread id (for /proc/self/task/TID/wchan).
int socklab_gettid(void);

/// fcntl with an int argument (fcntl is variadic, so Swift cannot call it directly).
int socklab_fcntl(int fd, int cmd, int arg);

/// Bytes waiting to be read (SIOCINQ) or not yet acknowledged (SIOCOUTQ); -1 with errno on failure.
int socklab_inq(int fd);
int socklab_outq(int fd);

/// The TCP state (tcpi_state from TCP_INFO); -1 with errno when the socket has none.
int socklab_tcp_state(int fd);

/// Installs a do-nothing handler for `sig` without SA_RESTART, so that delivering `sig` to a thread
/// blocked in a system call makes that call return -1 EINTR.
int socklab_install_interrupt_signal(int sig);

struct sockaddr;
/// accept4 (glibc declares it only under _GNU_SOURCE, which Swift's Glibc module does not set).
int socklab_accept4(int fd, struct sockaddr *addr, unsigned int *len, int flags);

/// Unblocks `sig` for the calling thread (threads inherit their creator's mask, and a dispatch
/// worker blocks most signals).
int socklab_unblock_signal(int sig);

/// Ignores SIGPIPE for the whole process.
void socklab_ignore_sigpipe(void);

/// One TCP socket as the kernel's sock_diag interface reports it.
struct socklab_diag_entry {
  int family;
  int state;
  uint8_t src[16];
  uint16_t sport;  /* host order */
  uint8_t dst[16];
  uint16_t dport;  /* host order */
  uint32_t inode;
  uint32_t rqueue;
  uint32_t wqueue;
};

/// How many finished connections wait in a listening socket's accept queue (TCP_INFO's
/// tcpi_unacked on Linux), or -1 when `fd` is not listening.
int socklab_accept_queue(int fd);

/// Lists up to `max` TCP sockets of `family` (AF_INET or AF_INET6) known to the kernel, including
/// those no process holds any more (TIME-WAIT, FIN-WAIT-2). Returns the count, or -1 with errno.
int socklab_diag_tcp(int family, struct socklab_diag_entry *out, int max);

/// The same, filtered in the kernel to the sockets whose local or remote port is `port` (the
/// kernel still walks its tables; use it only when the lab has something to look for).
int socklab_diag_tcp_port(int family, uint16_t port, struct socklab_diag_entry *out, int max);

/* Moves one of the lab's own descriptors to 900 or above, out of the range learners' sockets use. */
int socklab_private_fd(int fd);

/// The one TCP socket with exactly these addresses (16 bytes each; an IPv4 address in the first
/// four), found by the kernel's hash lookup, whatever else the host has. Returns 1 and fills
/// `out` when there is one, 0 when there is none, -1 with errno on failure.
int socklab_diag_tcp_exact(int family, const uint8_t local[16], uint16_t local_port, const uint8_t peer[16],
                           uint16_t peer_port, struct socklab_diag_entry *out);

/// Adds a sock_diag netlink socket made inside one of the lab's network namespaces: every
/// lookup above asks it too, before the process's own. Returns 0, or -ENOSPC when 16 are in use.
int socklab_diag_add_namespace(int fd);

/// Stops asking the socket `fd` (it is not closed).
void socklab_diag_remove_namespace(int fd);

/// libFuzzer's entry point, for the fuzz target built with -sanitize=fuzzer (declared only: the
/// fuzzer's runtime defines it, and nothing else calls it).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
