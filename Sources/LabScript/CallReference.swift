/// The reference entry of a call: what it returns and the errors it gives, and why. Shown in free
/// play on a key; written for learners, not copied from manual pages.
public struct CallReference: Sendable {
  public var returns: String
  public var errors: [(name: String, why: String)]

  /// The entry for `name`, for every call the language knows.
  public static func entry(for name: String) -> CallReference? { table[name] }

  private static let noErrors: [(name: String, why: String)] = []

  private static let table: [String: CallReference] = [
    "socket": CallReference(
      returns: "a new descriptor (the lowest number free), or -1",
      errors: [
        ("EPROTONOSUPPORT", "the protocol does not fit the type, e.g. SOCK_DGRAM with IPPROTO_TCP"),
        ("EAFNOSUPPORT", "the address family is not supported"), ("EMFILE", "the process has no descriptor numbers left"),
      ]),
    "bind": CallReference(
      returns: "0, or -1",
      errors: [
        ("EADDRINUSE", "another socket holds that address and port (or a TIME-WAIT connection does)"),
        ("EADDRNOTAVAIL", "the address is not one of this machine's"),
        ("EINVAL", "the socket is already bound, or the length is wrong"),
        ("EACCES", "ports below 1024 need privileges"),
      ]),
    "listen": CallReference(
      returns: "0, or -1",
      errors: [("EADDRINUSE", "another socket already listens on that port"), ("EOPNOTSUPP", "UDP sockets cannot listen")]),
    "accept": CallReference(
      returns: "a new descriptor for the next completed connection; blocks while there is none",
      errors: [
        ("EINVAL", "the socket is not listening"), ("EAGAIN", "non-blocking and nothing waiting"),
        ("EINTR", "a signal interrupted the wait"),
      ]),
    "connect": CallReference(
      returns: "0 once connected, or -1",
      errors: [
        ("ECONNREFUSED", "nothing listens there (the peer answered with a reset)"), ("EISCONN", "already connected"),
        ("EINPROGRESS", "non-blocking: the handshake has started; poll for POLLOUT, then read SO_ERROR"),
        ("ETIMEDOUT", "nobody answered at all"),
      ]),
    "send": CallReference(
      returns: "how many bytes the kernel took (not how many the peer read), or -1",
      errors: [
        ("EPIPE", "the sending side is shut down or the connection was reset"),
        ("EAGAIN", "non-blocking and the send buffer is full"),
        ("ENOTCONN", "not connected"),
      ]),
    "recv": CallReference(
      returns: "how many bytes were copied, 0 at the end of the stream, or -1; blocks while nothing is waiting",
      errors: [
        ("EAGAIN", "non-blocking (or MSG_DONTWAIT) and nothing waiting"), ("ECONNRESET", "the peer reset the connection"),
        ("ENOTCONN", "not connected"),
      ]),
    "sendto": CallReference(
      returns: "how many bytes were sent in one datagram, or -1",
      errors: [("EMSGSIZE", "the datagram is too large to send at once")]),
    "recvfrom": CallReference(
      returns: "the size of the datagram received (cut to the buffer), and who sent it",
      errors: [("EAGAIN", "non-blocking and no datagram waiting")]),
    "shutdown": CallReference(
      returns: "0, or -1", errors: [("ENOTCONN", "the socket is not connected")]),
    "close": CallReference(
      returns: "0, or -1; the descriptor number is free again at once",
      errors: [("EBADF", "the descriptor is not open (closed twice?)")]),
    "getsockname": CallReference(returns: "0 and the socket's own address, or -1", errors: [("EBADF", "not an open descriptor")]),
    "getpeername": CallReference(
      returns: "0 and the peer's address, or -1", errors: [("ENOTCONN", "there is no peer: not connected")]),
    "setsockopt": CallReference(
      returns: "0, or -1",
      errors: [("ENOPROTOOPT", "no such option at that level for this protocol"), ("EINVAL", "a bad value or length")]),
    "getsockopt": CallReference(returns: "0 and the value, or -1", errors: [("ENOPROTOOPT", "no such option at that level")]),
    "fcntl": CallReference(returns: "F_GETFL: the flags; F_SETFL: 0; or -1", errors: [("EBADF", "not an open descriptor")]),
    "poll": CallReference(
      returns: "how many descriptors are ready (0 after the timeout), with revents filled in",
      errors: [("EINTR", "a signal interrupted the wait")]),
    "inet_aton": CallReference(returns: "1 if the text is an address, 0 if not (never -1, no errno)", errors: []),
    "inet_addr": CallReference(returns: "the address in network order, or INADDR_NONE (also 255.255.255.255!)", errors: []),
    "inet_ntoa": CallReference(returns: "a pointer to a static buffer that the next call overwrites", errors: []),
    "inet_pton": CallReference(
      returns: "1 valid, 0 not an address of that family, -1 bad family", errors: [("EAFNOSUPPORT", "unknown family")]),
    "inet_ntop": CallReference(returns: "the text, or NULL", errors: [("ENOSPC", "the buffer is too small")]),
    "accept4": CallReference(
      returns: "like accept(), with SOCK_NONBLOCK or SOCK_CLOEXEC already set on the new descriptor",
      errors: [("EINVAL", "not listening, or unknown flags"), ("EAGAIN", "non-blocking and nothing waiting")]),
    "htons": CallReference(
      returns: "the 16-bit value with its bytes in network order (swapped on this machine)", errors: noErrors),
    "htonl": CallReference(returns: "the 32-bit value with its bytes in network order", errors: noErrors),
    "ntohs": CallReference(returns: "the 16-bit value back in host order", errors: noErrors),
    "ntohl": CallReference(returns: "the 32-bit value back in host order", errors: noErrors),
    "freeaddrinfo": CallReference(returns: "nothing; the list may no longer be used", errors: noErrors),
    "strlen": CallReference(returns: "the number of bytes before the terminating zero", errors: noErrors),
    "sockaddr_in": CallReference(
      returns: "a struct sockaddr_in (16 bytes): family AF_INET, the port field as given (use htons), the address",
      errors: noErrors),
    "sockaddr_in6": CallReference(
      returns: "a struct sockaddr_in6 (28 bytes): family, port field, flow info, 16-byte address, scope id", errors: noErrors),
    "buffer": CallReference(returns: "a char array of that many bytes, for recv() and recvfrom()", errors: noErrors),
    "linger": CallReference(returns: "a struct linger: {1, 0} makes close() reset the connection at once", errors: noErrors),
    "pollfd": CallReference(returns: "a struct pollfd asking for events (POLLIN, POLLOUT) on one descriptor", errors: noErrors),
    "pollfds": CallReference(returns: "an array of struct pollfd for one poll() call", errors: noErrors),
    "in_addr": CallReference(returns: "a struct in_addr holding s_addr in network order", errors: noErrors),
    "ip6": CallReference(returns: "16 address bytes, as libowfat's calls take them", errors: noErrors),
    "bio_addr": CallReference(returns: "a BIO_ADDR made with BIO_ADDR_rawmake (port already in network order)", errors: noErrors),
    "addrinfo": CallReference(
      returns: "a struct addrinfo with only the hints set (family, socket type, flags)", errors: noErrors),
    "memset": CallReference(returns: "its first argument; the variable it points at is now all zero bytes", errors: noErrors),
    "value": CallReference(returns: "what the expression holds now, so a line can check it", errors: noErrors),
    "tcp_state": CallReference(
      returns:
        "the TCP state the kernel reports (waits up to a second for an expected one); for a closed socket, what sock_diag still lists",
      errors: noErrors),
    "pending": CallReference(returns: "bytes waiting to be read (SIOCINQ; for UDP, the next datagram's size)", errors: noErrors),
    "unsent": CallReference(returns: "bytes not yet sent or not yet acknowledged (SIOCOUTQ)", errors: noErrors),
    "wchan": CallReference(
      returns: "the kernel function in which a call blocked on this socket sleeps, or NULL", errors: noErrors),
    "BIO_socket": CallReference(
      returns: "a descriptor, or -1 (INVALID_SOCKET)", errors: [("EPROTONOSUPPORT", "the protocol does not fit the type")]),
    "BIO_bind": CallReference(
      returns: "1 on success, 0 on failure (errno says why)", errors: [("EADDRINUSE", "the address is taken")]),
    "BIO_listen": CallReference(
      returns: "1 on success, 0 on failure; sets the BIO_SOCK_ options, binds and listens",
      errors: [("EADDRINUSE", "the address is taken; BIO_SOCK_REUSEADDR helps only against TIME-WAIT")]),
    "BIO_connect": CallReference(
      returns: "1 on success, 0 on failure",
      errors: [
        ("ECONNREFUSED", "nothing listens there"),
        ("EINPROGRESS", "with BIO_SOCK_NONBLOCK: started, not failed; poll for POLLOUT"),
      ]),
    "BIO_accept_ex": CallReference(returns: "a new descriptor, or -1", errors: [("EAGAIN", "non-blocking and nothing waiting")]),
    "BIO_closesocket": CallReference(returns: "1 on success, 0 on failure", errors: [("EBADF", "not an open descriptor")]),
    "BIO_socket_nbio": CallReference(returns: "1 on success, 0 on failure", errors: noErrors),
    "socket_tcp6": CallReference(
      returns: "a non-blocking IPv6 TCP socket (IPV6_V6ONLY off, so IPv4 peers come as ::ffff:a.b.c.d), or -1", errors: noErrors),
    "socket_bind6": CallReference(
      returns: "0, or -1; the port is in host order",
      errors: [("EADDRINUSE", "the address is taken"), ("EINVAL", "a link-local address without a scope id")]),
    "socket_listen": CallReference(returns: "0, or -1", errors: noErrors),
    "socket_accept6": CallReference(
      returns: "a new descriptor, with the peer's 16-byte address, port (host order) and scope id written out; or -1",
      errors: [("EAGAIN", "socket_tcp6 sockets are non-blocking: nothing is waiting yet")]),
    "socket_connect6": CallReference(
      returns: "0 when connected; -1 EINPROGRESS while a non-blocking connection is under way",
      errors: [("EINPROGRESS", "started; poll for POLLOUT, then socket_connected()"), ("ECONNREFUSED", "nothing listens there")]),
    "socket_connected": CallReference(returns: "1 if the socket has a connected peer, 0 if not", errors: noErrors),
    "getaddrinfo": CallReference(
      returns: "0 and a list of addresses, or an EAI_ code (not -1, not errno)",
      errors: [("EAI_NONAME", "not a numeric host (the lab does not use DNS)")]),
  ]
}
