import LabScript

/// What one call is at each layer: the POSIX call, its OpenSSL BIO counterpart, and what the
/// kernel does for it (OpenBSD's in-kernel interface, and where Linux sleeps).
struct LayerEntry {
  var posix: String
  var bio: String
  var kernel: String
}

enum Layers {
  static let table: [String: LayerEntry] = [
    "socket": LayerEntry(
      posix: "socket(domain, type, protocol) returns a descriptor",
      bio: "BIO_socket(domain, type, protocol, options): the descriptor, or INVALID_SOCKET",
      kernel:
        "socreate(dom, &so, type, proto) allocates a struct socket and attaches the protocol; the descriptor table then points a file at it"
    ),
    "bind": LayerEntry(
      posix: "bind(fd, addr, addrlen): 0 or -1",
      bio: "BIO_bind(sock, BIO_ADDR, options): 1 or 0",
      kernel: "sobind(so, nam, p) hands the address (in an mbuf) to the protocol's bind routine"),
    "listen": LayerEntry(
      posix: "listen(fd, backlog): 0 or -1",
      bio: "BIO_listen(sock, BIO_ADDR, options) sets options, binds and listens: 1 or 0",
      kernel: "solisten() marks the socket as accepting and sets the queue limit; the protocol answers SYNs from now on"),
    "accept": LayerEntry(
      posix: "accept(fd, addr, addrlen): a new descriptor, blocking while the queue is empty",
      bio: "BIO_accept_ex(sock, peer, options): the new descriptor or -1",
      kernel:
        "the system call sleeps until the completed-connection queue has an entry, then soaccept() hands it over (Linux sleeps in inet_csk_accept)"
    ),
    "connect": LayerEntry(
      posix: "connect(fd, addr, addrlen): 0 once connected, or -1 EINPROGRESS if non-blocking",
      bio: "BIO_connect(sock, BIO_ADDR, options): 1 or 0 (0 with EINPROGRESS when non-blocking)",
      kernel:
        "soconnect() only starts the handshake and returns at once; the system call then sleeps on so_timeo until SS_ISCONNECTING clears or so_error is set"
    ),
    "send": LayerEntry(
      posix: "send(fd, buf, len, flags): bytes queued, or -1",
      bio: "BIO_write() on a socket BIO",
      kernel:
        "sosend(so, addr, uio, top, control, flags) copies from the uio into mbufs on the send buffer and asks the protocol to transmit"
    ),
    "recv": LayerEntry(
      posix: "recv(fd, buf, len, flags): bytes read, 0 at end of stream, or -1",
      bio: "BIO_read() on a socket BIO",
      kernel:
        "soreceive(so, paddr, uio, mp0, controlp, flagsp) copies mbufs from the receive buffer into the uio, sleeping while it is empty (Linux: wait_woken)"
    ),
    "shutdown": LayerEntry(
      posix: "shutdown(fd, how): 0 or -1",
      bio: "no BIO counterpart for sockets: call shutdown() on BIO_get_fd()",
      kernel:
        "soshutdown(so, how) marks the direction closed; for SHUT_WR the protocol sends its FIN after the data already queued"),
    "close": LayerEntry(
      posix: "close(fd): 0 or -1",
      bio: "BIO_closesocket(sock): 1 or 0",
      kernel: "soclose(so) drops the descriptor's reference; the protocol finishes the connection (FIN, TIME-WAIT) without it"),
    "setsockopt": LayerEntry(
      posix: "setsockopt(fd, level, name, &value, len): 0 or -1",
      bio: "BIO_listen/BIO_connect options (BIO_SOCK_REUSEADDR, NODELAY, KEEPALIVE, V6_ONLY)",
      kernel:
        "sosetopt(so, level, optname, m0): SOL_SOCKET options are handled by the socket layer, others passed to the protocol"),
    "getsockopt": LayerEntry(
      posix: "getsockopt(fd, level, name, &value, &len): 0 or -1",
      bio: "no general counterpart; BIO_sock_error() reads SO_ERROR",
      kernel: "sogetopt(so, level, optname, mp) returns the value in an mbuf"),
    "fcntl": LayerEntry(
      posix: "fcntl(fd, F_SETFL, flags | O_NONBLOCK)",
      bio: "BIO_socket_nbio(sock, 1), or BIO_SOCK_NONBLOCK",
      kernel: "sets the socket's non-blocking state, which sosend/soreceive/accept check before sleeping"),
    "poll": LayerEntry(
      posix: "poll(fds, n, timeout): how many are ready",
      bio: "BIO_wait() (OpenSSL 3) waits on a BIO's socket",
      kernel:
        "each socket's poll routine reports readiness from its buffers and state; the thread sleeps until one wakes it (Linux: poll_schedule_timeout)"
    ),
    "getsockname": LayerEntry(
      posix: "getsockname(fd, addr, &len): the socket's own address, 0 or -1",
      bio: "BIO_sock_info(sock, BIO_SOCK_INFO_ADDRESS, &info) fills a BIO_ADDR",
      kernel: "the protocol reports its local address (BSD: the PRU_SOCKADDR request to the protocol's user-request routine)"),
    "getpeername": LayerEntry(
      posix: "getpeername(fd, addr, &len): the connected peer's address, or -1 ENOTCONN",
      bio: "no direct counterpart; BIO_accept_ex() returns the peer's BIO_ADDR when it accepts",
      kernel: "the protocol reports the peer's address (BSD: PRU_PEERADDR), which the handshake recorded"),
    // The lab's questions to the kernel: each is a real call a C program makes the same way.
    "tcp_state": LayerEntry(
      posix: "getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len), then info.tcpi_state; a socket whose connection is in TIME-WAIT is looked up with sock_diag, as ss does",
      bio: "no counterpart: OpenSSL does not report TCP states",
      kernel: "the protocol's control block holds the state (tp->t_state in BSD's tcpcb, sk_state in Linux's struct sock); TCP_INFO copies it out"),
    "pending": LayerEntry(
      posix: "ioctl(fd, FIONREAD, &n) (SIOCINQ): bytes waiting in the receive buffer",
      bio: "BIO_pending() is the BIO's own buffer, not the socket's",
      kernel: "the size of the receive buffer's queue (so_rcv.sb_cc in BSD, sk_receive_queue for Linux TCP)"),
    "unsent": LayerEntry(
      posix: "ioctl(fd, TIOCOUTQ, &n) (SIOCOUTQ): bytes not yet sent or not yet acknowledged",
      bio: "BIO_wpending() is the BIO's own buffer, not the socket's",
      kernel: "the send buffer's byte count (so_snd.sb_cc in BSD; for Linux TCP, write_seq minus snd_una)"),
    "wchan": LayerEntry(
      posix: "no call: read /proc/self/task/TID/wchan, the kernel function the thread sleeps in",
      bio: "no counterpart",
      kernel: "the scheduler's record of where a sleeping thread waits; 0 while it runs"),
  ]

  /// What to say of a call that has no layers: who computes it instead.
  static func without(_ call: String) -> String {
    guard let spec = CallCatalog.spec(named: call) else { return "This line runs no call: C evaluates it in the program." }
    switch spec.kind {
    case .builder:
      return "\(call)() is the lab's shorthand for filling a structure in the program's memory: no call, no kernel."
    case .system, .kernelQuery:
      if AnswerSource.isLibraryCall(call) {
        return "\(call)() runs in the C library, in the program's own memory: the kernel is not asked."
      }
      return "\(call)() is a system call: the kernel answers it from the socket's own state. The lab has no more to say of its layers."
    }
  }

  /// The layers of a call by its name, folding the variants onto their family.
  static func entry(for call: String) -> LayerEntry? {
    let family: [String: String] = [
      "accept4": "accept", "sendto": "send", "recvfrom": "recv", "BIO_socket": "socket", "BIO_bind": "bind",
      "BIO_listen": "listen",
      "BIO_accept_ex": "accept", "BIO_connect": "connect", "BIO_closesocket": "close", "BIO_socket_nbio": "fcntl",
      "socket_tcp6": "socket", "socket_bind6": "bind", "socket_listen": "listen", "socket_accept6": "accept",
      "socket_connect6": "connect",
    ]
    return table[family[call] ?? call]
  }
}
