import SocketKit

extension CallLayers {
  public static let fcntl = CallLayers(
    posix: "fcntl(fd, F_SETFL, flags | O_NONBLOCK)",
    bio: "BIO_socket_nbio(sock, 1), or BIO_SOCK_NONBLOCK",
    kernel: "sets the socket's non-blocking state, which sosend/soreceive/accept check before sleeping")
}

extension CallDefinition {
  public static let fcntl = CallDefinition(
    "fcntl", ["fd", "cmd", "arg"], arities: [2, 3],
    summary: "reads (F_GETFL) or sets (F_SETFL) descriptor flags such as O_NONBLOCK",
    returns: "F_GETFL: the flags; F_SETFL: 0; or -1", errors: [("EBADF", "not an open descriptor")], layers: .fcntl,
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      return SocketAPI.fcntl(fd: fd, command: try cx.int32(a[1]), argument: a.count == 3 ? try cx.int32(a[2]) : 0)
    })
}
