import SocketKit

extension CallLayers {
  public static let bind = CallLayers(
    posix: "bind(fd, addr, addrlen): 0 or -1",
    bio: "BIO_bind(sock, BIO_ADDR, options): 1 or 0",
    kernel: "sobind(so, nam, p) hands the address (in an mbuf) to the protocol's bind routine")
}

extension CallDefinition {
  public static let bind = CallDefinition(
    "bind", ["fd", "addr", "addrlen"], summary: "gives the socket its local address and port", returns: "0, or -1",
    errors: [
      ("EADDRINUSE", "another socket holds that address and port (or a TIME-WAIT connection does)"),
      ("EADDRNOTAVAIL", "the address is not one of this machine's"),
      ("EINVAL", "the socket is already bound, or the length is wrong"),
      ("EACCES", "ports below 1024 need privileges"),
    ],
    layers: .bind, c: CForm(addressArguments: [1]),
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let record = SocketAPI.bind(fd: fd, address: try cx.address(a[1]), length: try cx.socklen(a[2]))
      cx.refresh(fd)
      return record
    })
}
