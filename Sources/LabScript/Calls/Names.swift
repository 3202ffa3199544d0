import SocketKit

extension CallDefinition {
  public static let getsockname = CallDefinition(
    "getsockname", ["fd", "addr", "addrlen"], arities: [1, 3], out: [1: .socketAddress, 2: .addressLength],
    summary: "the socket's own address and port", returns: "0 and the socket's own address, or -1",
    errors: [("EBADF", "not an open descriptor")],
    layers: CallLayers(
      posix: "getsockname(fd, addr, &len): the socket's own address, 0 or -1",
      bio: "BIO_sock_info(sock, BIO_SOCK_INFO_ADDRESS, &info) fills a BIO_ADDR",
      kernel: "the protocol reports its local address (BSD: the PRU_SOCKADDR request to the protocol's user-request routine)"),
    traits: .showsInAddressPane, c: CForm(addressArguments: [1], shortForm: nameShortForm),
    .system { cx, a, _ throws(ScriptError) in try cx.name(a, peer: false) })

  public static let getpeername = CallDefinition(
    "getpeername", ["fd", "addr", "addrlen"], arities: [1, 3], out: [1: .socketAddress, 2: .addressLength],
    summary: "the connected peer's address and port", returns: "0 and the peer's address, or -1",
    errors: [("ENOTCONN", "there is no peer: not connected")],
    layers: CallLayers(
      posix: "getpeername(fd, addr, &len): the connected peer's address, or -1 ENOTCONN",
      bio: "no direct counterpart; BIO_accept_ex() returns the peer's BIO_ADDR when it accepts",
      kernel: "the protocol reports the peer's address (BSD: PRU_PEERADDR), which the handshake recorded"),
    traits: .showsInAddressPane, c: CForm(addressArguments: [1], shortForm: nameShortForm),
    .system { cx, a, _ throws(ScriptError) in try cx.name(a, peer: true) })

  /// `getsockname(s)`: C needs the structure and its length.
  private static let nameShortForm: @Sendable (inout CRenderer, [Expr]) -> (declarations: [CLine], arguments: [String])? = {
    renderer, a in
    guard a.count == 1 else { return nil }
    let declarations =
      renderer.declare("name", "struct sockaddr_storage")
      + renderer.declare("namelen", "socklen_t", initialiser: "sizeof name")
    return (declarations, [renderer.expression(a[0]), "(struct sockaddr *)&name", "&namelen"])
  }
}

extension CallContext {
  fileprivate mutating func name(_ a: [Expr], peer: Bool) throws(ScriptError) -> CallRecord {
    let fd = try descriptor(a[0])
    let (record, address) = peer ? SocketAPI.getpeername(fd: fd) : SocketAPI.getsockname(fd: fd)
    if a.count == 3 {
      try write(.socketAddress(address), to: a[1], cType: "struct sockaddr_storage")
      try write(.int(address?.size ?? lengthVariableSize(of: a[1])), to: a[2], cType: "socklen_t")
    }
    return record
  }
}
