#ifndef SOCKLAB_CWIRE_H
#define SOCKLAB_CWIRE_H

#include <stdint.h>
#include <stddef.h>

/// The wire layer's system calls: a user namespace, network namespaces, links set up through
/// rtnetlink (never by running `ip`), checksum offload turned off with SIOCETHTOOL, and the
/// AF_PACKET sockets that relay frames. Each returns 0 (or a descriptor) on success and -errno
/// on failure.

/// Makes the calling process the owner of a new user namespace, mapping its own uid and gid, so
/// that it may create network namespaces of its own. The kernel allows it only while the process
/// has one thread.
int socklab_wire_enter_userns(void);
/// Moves the calling thread into a new network namespace; returns a descriptor naming it.
int socklab_wire_new_netns(void);
/// New links in the calling thread's namespace get no IPv6: no router solicitations or
/// duplicate-address probes on the wire, only what the lesson's calls cause.
int socklab_wire_quiet_ipv6(void);
/// Moves the calling process into the user namespace `fd` names (it must have one thread).
int socklab_wire_setns_user(int fd);
/// Moves the calling thread into the network namespace `fd` names.
int socklab_wire_setns(int fd);
/// Creates a veth pair: `name` here, `peer` in the namespace `peer_ns` names.
int socklab_wire_veth(const char *name, const char *peer, int peer_ns);
/// Brings a link up, with `mtu` when it is not 0.
int socklab_wire_link_up(const char *name, int mtu);
/// Sets a link's MTU.
int socklab_wire_set_mtu(const char *name, int mtu);
/// Gives a link an IPv4 address (network order) with a prefix length.
int socklab_wire_add_ipv4(const char *name, uint32_t address, int prefix);
/// Turns transmit checksum offload off, so the frames a host sends carry complete checksums.
int socklab_wire_tx_checksum_off(const char *name);
/// A non-blocking AF_PACKET socket bound to link `name`, seeing only frames that arrive on it.
int socklab_wire_packet_socket(const char *name);
/// The interface index of a link in the calling thread's namespace, or -errno.
int socklab_wire_ifindex(const char *name);
/// Receives up to `count` frames at once (recvmmsg), frame i into `buffer + i * stride`, with its
/// length and the kernel's arrival stamp (CLOCK_REALTIME, nanoseconds); returns how many, or -errno (-EAGAIN when none).
int socklab_wire_receive_many(int fd, uint8_t *buffer, size_t stride, int count, int32_t *lengths, int64_t *stamps);
/// Sends `count` frames at once (sendmmsg), frame i at `base + offsets[i]`; returns how many were
/// sent, or -errno.
int socklab_wire_send_many(int fd, const uint8_t *base, const int64_t *offsets, const int32_t *lengths, int count);
/// The segments a TCP socket has sent and received (TCP_INFO's tcpi_segs_out and tcpi_segs_in).
int socklab_wire_segments(int fd, uint32_t *sent, uint32_t *received);
/// The calling thread's kernel id.
int socklab_wire_thread_id(void);

#endif
