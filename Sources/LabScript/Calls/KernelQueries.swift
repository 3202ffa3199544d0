import SocketKit

/// The lab's questions to the kernel about a socket: each is a real call a C program makes the
/// same way (TCP_INFO, SIOCINQ, SIOCOUTQ), or a file it reads.
extension CallDefinition {
  public static let tcp_state = CallDefinition(
    "tcp_state", ["fd"], summary: "the TCP state the kernel reports (TCP_INFO), or for a closed socket what sock_diag still shows",
    returns:
      "the TCP state the kernel reports (waits up to a second for an expected one); for a closed socket, what sock_diag still lists",
    layers: CallLayers(
      posix:
        "getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len), then info.tcpi_state; a socket whose connection is in TIME-WAIT is looked up with sock_diag, as ss does",
      bio: "no counterpart: OpenSSL does not report TCP states",
      kernel:
        "the protocol's control block holds the state (tp->t_state in BSD's tcpcb, sk_state in Linux's struct sock); TCP_INFO copies it out"
    ),
    traits: .reportsTCPState,
    c: CForm(query: { renderer, a, _ in
      renderer.declare("info", "struct tcp_info") + renderer.declare("infolen", "socklen_t", initialiser: "sizeof info") + [
        .statement("getsockopt(\(renderer.expression(a[0])), IPPROTO_TCP, TCP_INFO, &info, &infolen)", comment: "info.tcpi_state")
      ]
    }),
    .query { cx, fd, place throws(ScriptError) in try cx.tcpState(fd, at: place) })

  public static let wchan = CallDefinition(
    "wchan", ["fd"], summary: "the kernel function in which a call blocked on this socket sleeps (/proc/self/task/TID/wchan)",
    returns: "the kernel function in which a call blocked on this socket sleeps, or NULL",
    layers: CallLayers(
      posix: "no call: read /proc/self/task/TID/wchan, the kernel function the thread sleeps in",
      bio: "no counterpart",
      kernel: "the scheduler's record of where a sleeping thread waits; 0 while it runs"),
    traits: .returnsText,
    c: CForm(query: { renderer, a, _ in
      [.comment("wchan(\(renderer.expression(a[0]))): read /proc/self/task/TID/wchan of the thread blocked on it")]
    }),
    .query { cx, fd, _ throws(ScriptError) in
      let function = cx.environment.sleepingIn(fd: fd)
      return (.string(function), function ?? "NULL")
    })

  public static let pending = queueQuery(
    "pending", "FIONREAD", summary: "bytes received and waiting to be read (SIOCINQ)",
    returns: "bytes waiting to be read (SIOCINQ; for UDP, the next datagram's size)",
    layers: CallLayers(
      posix: "ioctl(fd, FIONREAD, &n) (SIOCINQ): bytes waiting in the receive buffer",
      bio: "BIO_pending() is the BIO's own buffer, not the socket's",
      kernel: "the size of the receive buffer's queue (so_rcv.sb_cc in BSD, sk_receive_queue for Linux TCP)"),
    count: { kernel, fd in kernel.pendingBytes(fd: fd) })

  public static let unsent = queueQuery(
    "unsent", "TIOCOUTQ", summary: "bytes not yet sent or not yet acknowledged (SIOCOUTQ)",
    returns: "bytes not yet sent or not yet acknowledged (SIOCOUTQ)",
    layers: CallLayers(
      posix: "ioctl(fd, TIOCOUTQ, &n) (SIOCOUTQ): bytes not yet sent or not yet acknowledged",
      bio: "BIO_wpending() is the BIO's own buffer, not the socket's",
      kernel: "the send buffer's byte count (so_snd.sb_cc in BSD; for Linux TCP, write_seq minus snd_una)"),
    count: { kernel, fd in kernel.unsentBytes(fd: fd) })

  private static func queueQuery(
    _ name: String, _ request: String, summary: String, returns: String, layers: CallLayers,
    count: @escaping @Sendable (any KernelInspector, Int32) -> Int?
  ) -> CallDefinition {
    CallDefinition(
      name, ["fd"], summary: summary, returns: returns, layers: layers,
      c: CForm(
        kernelRequest: request,
        query: { renderer, a, target in
          let variable = target?.asName ?? name
          return renderer.declare(variable, "int") + [.statement("ioctl(\(renderer.expression(a[0])), \(request), &\(variable))")]
        }),
      .query { cx, fd, place throws(ScriptError) in
        guard cx.environment.owns(fd) else {
          throw ScriptError("descriptor \(fd) is not an open socket of this lab", at: place, hint: "\(name)() needs an open socket")
        }
        guard let n = count(cx.kernel, fd) else {
          throw ScriptError(
            "the kernel will not say how many bytes wait in descriptor \(fd)", at: place, hint: "it may be a listening socket")
        }
        return (.int(n), String(n))
      })
  }
}

extension CallContext {
  fileprivate func tcpState(_ fd: Int32, at place: SourceLocation) throws(ScriptError) -> (ReturnValue, String) {
    let open = environment.owns(fd)
    guard open || environment.wasClosed(fd) else {
      throw ScriptError(
        "descriptor \(fd) is not a socket of this lab", at: place, hint: "pass a descriptor socket() or accept() returned")
    }
    if open {
      guard let state = kernel.tcpState(fd: fd) else {
        throw ScriptError("descriptor \(fd) has no TCP state", at: place, hint: "tcp_state() is for SOCK_STREAM sockets")
      }
      // Linux hands a connection entering TIME-WAIT to a separate, smaller socket and marks the
      // descriptor's own socket CLOSED; the connection's real state is the twin's.
      guard state == .closed, let twin = orphanTwin(of: fd) else { return (.symbol(state.description), state.description) }
      return (.symbol(twin.description), twin.description)
    }
    // Closed: the kernel may still hold the connection (TIME-WAIT, FIN-WAIT-2, LAST-ACK).
    let state = orphanTwin(of: fd) ?? .closed
    return (.symbol(state.description), state.description)
  }

  /// The state of a connection the kernel keeps without a descriptor, found by the addresses the
  /// socket `fd` last had.
  private func orphanTwin(of fd: Int32) -> TCPState? {
    guard let endpoints = environment.endpoints(of: fd), let local = endpoints.local, let peer = endpoints.peer else {
      return nil
    }
    guard let twin = kernel.tcpSocket(local: local, peer: peer), twin.inode == 0 else { return nil }
    return twin.state
  }
}
