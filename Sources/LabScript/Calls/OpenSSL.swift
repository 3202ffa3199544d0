import SocketKit

/// OpenSSL's BIO socket routines (libcrypto), called for real.
extension CallDefinition {
  public static let BIO_socket = CallDefinition(
    "BIO_socket", ["domain", "socktype", "protocol", "options"], summary: "OpenSSL: create a socket; the descriptor, or -1",
    returns: "a descriptor, or -1 (INVALID_SOCKET)", errors: [("EPROTONOSUPPORT", "the protocol does not fit the type")],
    layers: .socket, ownership: .opensDescriptor, traits: .openSSL,
    .system { cx, a, _ throws(ScriptError) in
      OpenSSLBIO.socket(
        domain: try cx.int32(a[0]), type: try cx.int32(a[1]), protocol: try cx.int32(a[2]), options: try cx.int32(a[3]))
    })

  public static let BIO_bind = CallDefinition(
    "BIO_bind", ["sock", "addr", "options"], summary: "OpenSSL: bind; 1 on success, 0 on failure",
    returns: "1 on success, 0 on failure (errno says why)", errors: [("EADDRINUSE", "the address is taken")],
    layers: .bind, failure: .zeroIsFailure, traits: .openSSL,
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let record = OpenSSLBIO.bind(fd: fd, address: try cx.address(a[1]), options: try cx.int32(a[2]))
      cx.refresh(fd)
      return record
    })

  public static let BIO_listen = CallDefinition(
    "BIO_listen", ["sock", "addr", "options"],
    summary: "OpenSSL: set the BIO_SOCK_ options, bind and listen in one call; 1 on success, 0 on failure",
    returns: "1 on success, 0 on failure; sets the BIO_SOCK_ options, binds and listens",
    errors: [("EADDRINUSE", "the address is taken; BIO_SOCK_REUSEADDR helps only against TIME-WAIT")],
    layers: .listen, failure: .zeroIsFailure, traits: .openSSL,
    .system { cx, a, place throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let target = try cx.address(a[1])
      let options = try cx.int32(a[2])
      if !cx.environment.allowRemote, !target.isLoopback {
        throw ScriptError(
          "BIO_listen() on \(target.host) was not run: other machines could connect to it", at: place,
          hint: "listen on 127.0.0.1 or ::1, or start socklab with --allow-remote")
      }
      let record = OpenSSLBIO.listen(fd: fd, address: target, options: options)
      cx.refresh(fd)
      return record
    })

  public static let BIO_connect = CallDefinition(
    "BIO_connect", ["sock", "addr", "options"],
    summary: "OpenSSL: connect (start to, with BIO_SOCK_NONBLOCK); 1 on success, 0 on failure",
    returns: "1 on success, 0 on failure",
    errors: [
      ("ECONNREFUSED", "nothing listens there"),
      ("EINPROGRESS", "with BIO_SOCK_NONBLOCK: started, not failed; poll for POLLOUT"),
    ],
    layers: .connect, failure: .zeroIsFailure, traits: [.openSSL, .mayBlock],
    .system { cx, a, place throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let target = try cx.address(a[1])
      let options = try cx.int32(a[2])
      try cx.requireLocal(target, "BIO_connect", at: place)
      let record = OpenSSLBIO.connect(fd: fd, address: target, options: options)
      cx.refresh(fd)
      return record
    })

  public static let BIO_accept_ex = CallDefinition(
    "BIO_accept_ex", ["accept_sock", "peer", "options"], out: [1: .bioAddress],
    summary: "OpenSSL: accept, with BIO_SOCK_NONBLOCK for the new socket; the descriptor, or -1",
    returns: "a new descriptor, or -1", errors: [("EAGAIN", "non-blocking and nothing waiting")],
    layers: .accept, ownership: .opensDescriptor, traits: [.openSSL, .mayBlock],
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let peerTarget = cx.outTarget(a[1])
      let (record, peer) = OpenSSLBIO.accept(fd: fd, wantPeer: peerTarget != nil, options: try cx.int32(a[2]))
      if let newFD = record.result.intValue, newFD >= 0 {
        try cx.write(.socketAddress(peer), to: peerTarget, cType: "BIO_ADDR *")
      }
      return record
    })

  public static let BIO_closesocket = CallDefinition(
    "BIO_closesocket", ["sock"], summary: "OpenSSL: close; 1 on success, 0 on failure",
    returns: "1 on success, 0 on failure", errors: [("EBADF", "not an open descriptor")],
    layers: .close, ownership: .closesDescriptor, failure: .zeroIsFailure, traits: [.openSSL, .endsSending],
    .system { cx, a, _ throws(ScriptError) in OpenSSLBIO.closesocket(fd: try cx.descriptor(a[0])) })

  public static let BIO_socket_nbio = CallDefinition(
    "BIO_socket_nbio", ["sock", "mode"], summary: "OpenSSL: non-blocking mode on (1) or off (0); 1 on success",
    returns: "1 on success, 0 on failure", layers: .fcntl, failure: .zeroIsFailure, traits: .openSSL,
    .system { cx, a, _ throws(ScriptError) in
      OpenSSLBIO.socketNbio(fd: try cx.descriptor(a[0]), on: try cx.integer(a[1]) != 0)
    })

  public static let bio_addr = CallDefinition(
    "bio_addr", ["family", "host", "port"],
    summary: "a BIO_ADDR made with BIO_ADDR_rawmake: numeric host text and a port in network order",
    returns: "a BIO_ADDR made with BIO_ADDR_rawmake (port already in network order)", traits: .openSSL,
    c: CForm(build: { renderer, a, target in
      let family = renderer.expression(a[0])
      return renderer.declare(target, "BIO_ADDR *", initialiser: "BIO_ADDR_new()") + [
        .statement(
          "{ unsigned char raw[16]; inet_pton(\(family), \(renderer.expression(a[1])), raw); BIO_ADDR_rawmake(\(target), \(family), raw, \(family) == AF_INET6 ? 16 : 4, \(renderer.expression(a[2]))); }"
        )
      ]
    }),
    .builder { cx, a, _ throws(ScriptError) in
      let family = try cx.int32(a[0])
      let text = try cx.text(a[1])
      let port = try cx.portField(a[2])
      guard let raw = SocketAddress.parseHost(text, family: family) else {
        throw ScriptError(
          "\"\(text)\" is not a numeric address of that family", at: a[1].location,
          hint: "write 127.0.0.1 with AF_INET or ::1 with AF_INET6")
      }
      return .socketAddress(
        family == AF_INET6_VALUE
          ? .ipv6(bytes: raw, sinPort: port) : .ipv4(sinAddr: raw.withUnsafeBytes { $0.load(as: UInt32.self) }, sinPort: port))
    })
}
