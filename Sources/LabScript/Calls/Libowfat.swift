import SocketKit

/// libowfat's IPv6 calls, reimplemented by SocketLab with libowfat's signatures (libowfat is
/// GPL-2.0-only and is not linked).
extension CallDefinition {
  public static let socket_tcp6 = CallDefinition(
    "socket_tcp6", [], summary: "libowfat: a non-blocking IPv6 TCP socket that also takes IPv4 peers",
    returns: "a non-blocking IPv6 TCP socket (IPV6_V6ONLY off, so IPv4 peers come as ::ffff:a.b.c.d), or -1",
    layers: .socket, ownership: .opensDescriptor, traits: .libowfat,
    .system { _, _, _ throws(ScriptError) in Libowfat.socket_tcp6() })

  public static let socket_bind6 = CallDefinition(
    "socket_bind6", ["s", "ip", "port", "scope_id"], summary: "libowfat: bind to a 16-byte address and a port in host order",
    returns: "0, or -1; the port is in host order",
    errors: [("EADDRINUSE", "the address is taken"), ("EINVAL", "a link-local address without a scope id")],
    layers: .bind, traits: .libowfat,
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let record = Libowfat.socket_bind6(
        fd: fd, ip: try cx.ip6(a[1]), port: try cx.port(a[2]), scopeID: UInt32(truncatingIfNeeded: try cx.integer(a[3])))
      cx.refresh(fd)
      return record
    })

  public static let socket_listen = CallDefinition(
    "socket_listen", ["s", "backlog"], summary: "libowfat: listen", returns: "0, or -1", layers: .listen, traits: .libowfat,
    .system { cx, a, place throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      try cx.requireLoopbackListener(fd, at: place)
      let record = Libowfat.socket_listen(fd: fd, backlog: UInt32(truncatingIfNeeded: try cx.integer(a[1])))
      cx.refresh(fd)
      return record
    })

  public static let socket_accept6 = CallDefinition(
    "socket_accept6", ["s", "ip", "port", "scope_id"], out: [1: .ip6, 2: .uint16, 3: .uint32],
    summary: "libowfat: accept, writing the peer's address, port (host order) and scope id",
    returns: "a new descriptor, with the peer's 16-byte address, port (host order) and scope id written out; or -1",
    errors: [("EAGAIN", "socket_tcp6 sockets are non-blocking: nothing is waiting yet")],
    layers: .accept, ownership: .opensDescriptor, traits: [.libowfat, .mayBlock],
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let (record, ip, port, scope) = Libowfat.socket_accept6(fd: fd)
      if let newFD = record.result.intValue, newFD >= 0 {
        try cx.write(.in6Addr(ip), to: cx.outTarget(a[1]), cType: "char[16]")
        try cx.write(.int(Int(port)), to: cx.outTarget(a[2]), cType: "uint16")
        try cx.write(.int(Int(scope)), to: cx.outTarget(a[3]), cType: "uint32")
      }
      return record
    })

  public static let socket_connect6 = CallDefinition(
    "socket_connect6", ["s", "ip", "port", "scope_id"],
    summary: "libowfat: connect; -1 EINPROGRESS on a non-blocking socket",
    returns: "0 when connected; -1 EINPROGRESS while a non-blocking connection is under way",
    errors: [("EINPROGRESS", "started; poll for POLLOUT, then socket_connected()"), ("ECONNREFUSED", "nothing listens there")],
    layers: .connect, traits: .libowfat,
    .system { cx, a, place throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let ip = try cx.ip6(a[1])
      let port = try cx.port(a[2])
      let scope = UInt32(truncatingIfNeeded: try cx.integer(a[3]))
      try cx.requireLocal(.ipv6(bytes: ip, sinPort: ByteOrder.htons(port), scopeID: scope), "socket_connect6", at: place)
      let record = Libowfat.socket_connect6(fd: fd, ip: ip, port: port, scopeID: scope)
      cx.refresh(fd)
      return record
    })

  public static let socket_connected = CallDefinition(
    "socket_connected", ["s"], summary: "libowfat: 1 if the socket has a connected peer, 0 if not",
    returns: "1 if the socket has a connected peer, 0 if not", failure: .never, traits: .libowfat,
    .system { cx, a, _ throws(ScriptError) in Libowfat.socket_connected(fd: try cx.descriptor(a[0])) })

  public static let ip6 = CallDefinition(
    "ip6", ["text"], summary: "16 raw IPv6 address bytes from text, as libowfat's calls take them",
    returns: "16 address bytes, as libowfat's calls take them", traits: .libowfat,
    c: CForm(build: { renderer, a, target in
      renderer.declare(target, "char[16]") + [.statement("inet_pton(AF_INET6, \(renderer.expression(a[0])), \(target))")]
    }),
    .builder { cx, a, _ throws(ScriptError) in .in6Addr(try cx.ip6(a[0])) })
}
