import SocketKit

extension CallLayers {
  public static let connect = CallLayers(
    posix: "connect(fd, addr, addrlen): 0 once connected, or -1 EINPROGRESS if non-blocking",
    bio: "BIO_connect(sock, BIO_ADDR, options): 1 or 0 (0 with EINPROGRESS when non-blocking)",
    kernel:
      "soconnect() only starts the handshake and returns at once; the system call then sleeps on so_timeo until SS_ISCONNECTING clears or so_error is set"
  )
}

extension CallDefinition {
  public static let connect = CallDefinition(
    "connect", ["fd", "addr", "addrlen"], summary: "connects to a peer (TCP: the three-way handshake)",
    returns: "0 once connected, or -1",
    errors: [
      ("ECONNREFUSED", "nothing listens there (the peer answered with a reset)"), ("EISCONN", "already connected"),
      ("EINPROGRESS", "non-blocking: the handshake has started; poll for POLLOUT, then read SO_ERROR"),
      ("ETIMEDOUT", "nobody answered at all"),
    ],
    layers: .connect, traits: .mayBlock, c: CForm(addressArguments: [1]),
    .system { cx, a, place throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let target = try cx.address(a[1])
      try cx.requireLocal(target, "connect", at: place)
      let record = SocketAPI.connect(fd: fd, address: target, length: try cx.socklen(a[2]))
      cx.refresh(fd)
      return record
    })
}
