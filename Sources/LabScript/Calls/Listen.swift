import SocketKit

extension CallLayers {
  public static let listen = CallLayers(
    posix: "listen(fd, backlog): 0 or -1",
    bio: "BIO_listen(sock, BIO_ADDR, options) sets options, binds and listens: 1 or 0",
    kernel: "solisten() marks the socket as accepting and sets the queue limit; the protocol answers SYNs from now on")
}

extension CallDefinition {
  public static let listen = CallDefinition(
    "listen", ["fd", "backlog"], summary: "turns the socket into one that waits for connections", returns: "0, or -1",
    errors: [("EADDRINUSE", "another socket already listens on that port"), ("EOPNOTSUPP", "UDP sockets cannot listen")],
    layers: .listen,
    .system { cx, a, place throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      try cx.requireLoopbackListener(fd, at: place)
      let record = SocketAPI.listen(fd: fd, backlog: try cx.int32(a[1]))
      cx.refresh(fd)
      return record
    })
}
