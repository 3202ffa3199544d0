/// The reference entry of a call: what it returns and the errors it gives, and why. Shown in free
/// play on a key; written for learners, not copied from manual pages.
public struct CallReference: Sendable {
  public var returns: String
  public var errors: [(name: String, why: String)]

  /// The entry for `name`; calls without one of their own get their summary and signature only.
  public static func entry(for name: String) -> CallReference? { table[name] }

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
    "getaddrinfo": CallReference(
      returns: "0 and a list of addresses, or an EAI_ code (not -1, not errno)",
      errors: [("EAI_NONAME", "not a numeric host (the lab does not use DNS)")]),
  ]
}
