import SocketKit

/// The lab's shorthands for filling address structures; C writes them as memset and fields.
extension CallDefinition {
  public static let sockaddr_in = CallDefinition(
    "sockaddr_in", ["addr", "port"], arities: [0, 2],
    summary: "a struct sockaddr_in: IPv4 address text and a port field",
    returns: "a struct sockaddr_in (16 bytes): family AF_INET, the port field as given (use htons), the address",
    c: CForm(build: { renderer, a, target in renderer.socketAddress(a, into: target, v6: false) }),
    literals: { a throws(ScriptError) in try checkAddressLiteral(a, family: AF_INET_VALUE) },
    .builder { cx, a, _ throws(ScriptError) in
      guard a.count == 2 else { return .socketAddress(.emptyIPv4()) }
      let port = try cx.portField(a[1])
      switch try cx.evaluate(a[0]) {
      case .string(let bytes):
        let text = String(decoding: bytes, as: UTF8.self)
        guard let raw = SocketAddress.parseHost(text, family: AF_INET_VALUE) else {
          throw ScriptError("\"\(text)\" is not an IPv4 address", at: a[0].location, hint: "write four numbers such as 127.0.0.1")
        }
        return .socketAddress(.ipv4(sinAddr: raw.withUnsafeBytes { $0.load(as: UInt32.self) }, sinPort: port))
      case .inAddr(let sAddr):
        return .socketAddress(.ipv4(sinAddr: sAddr, sinPort: port))
      case .int(let n):
        return .socketAddress(.ipv4(sinAddr: UInt32(truncatingIfNeeded: n), sinPort: port))
      case let other:
        throw ScriptError(
          "sockaddr_in() needs address text or an in_addr, not \(other.kindName)", at: a[0].location, hint: "write \"127.0.0.1\"")
      }
    })

  public static let sockaddr_in6 = CallDefinition(
    "sockaddr_in6", ["addr", "port", "scope_id"], arities: [0, 2, 3],
    summary: "a struct sockaddr_in6: IPv6 address text, a port field and an optional scope id",
    returns: "a struct sockaddr_in6 (28 bytes): family, port field, flow info, 16-byte address, scope id",
    c: CForm(build: { renderer, a, target in renderer.socketAddress(a, into: target, v6: true) }),
    literals: { a throws(ScriptError) in try checkAddressLiteral(a, family: AF_INET6_VALUE) },
    .builder { cx, a, _ throws(ScriptError) in
      guard a.count >= 2 else { return .socketAddress(.emptyIPv6()) }
      let port = try cx.portField(a[1])
      let scope = a.count == 3 ? UInt32(truncatingIfNeeded: try cx.integer(a[2])) : 0
      switch try cx.evaluate(a[0]) {
      case .string(let bytes):
        let text = String(decoding: bytes, as: UTF8.self)
        guard let raw = SocketAddress.parseHost(text, family: AF_INET6_VALUE) else {
          throw ScriptError("\"\(text)\" is not an IPv6 address", at: a[0].location, hint: "write an address such as ::1")
        }
        return .socketAddress(.ipv6(bytes: raw, sinPort: port, scopeID: scope))
      case .in6Addr(let raw):
        return .socketAddress(.ipv6(bytes: raw, sinPort: port, scopeID: scope))
      case let other:
        throw ScriptError(
          "sockaddr_in6() needs address text or an in6_addr, not \(other.kindName)", at: a[0].location, hint: "write \"::1\"")
      }
    })

  public static let in_addr = CallDefinition(
    "in_addr", ["s_addr"], arities: [0, 1], summary: "a struct in_addr",
    returns: "a struct in_addr holding s_addr in network order",
    c: CForm(build: { renderer, a, target in
      renderer.declare(
        target, "struct in_addr", initialiser: "{ .s_addr = \(a.first.map { renderer.expression($0) } ?? "0") }")
    }),
    .builder { cx, a, _ throws(ScriptError) in
      .inAddr(a.isEmpty ? 0 : UInt32(truncatingIfNeeded: try cx.integer(a[0])))
    })
}

/// An address literal the structure cannot hold, or a port over 16 bits.
private func checkAddressLiteral(_ arguments: [Expr], family: Int32) throws(ScriptError) {
  guard arguments.count >= 2 else { return }
  let v6 = family == AF_INET6_VALUE
  if case .string(let bytes, let place) = arguments[0] {
    let text = String(decoding: bytes, as: UTF8.self)
    if !text.isEmpty, SocketAddress.parseHost(text, family: family) == nil {
      throw ScriptError(
        "\"\(text)\" is not a valid \(v6 ? "IPv6" : "IPv4") address", at: place,
        hint: "write a numeric address such as \(v6 ? "::1" : "127.0.0.1")")
    }
  }
  if case .integer(let value, let place) = arguments[1], value > 65535 {
    throw ScriptError(
      "port \(value) is over 65535", at: place, hint: "a port is 16 bits: use htons(1) to htons(65535), or htons(PORT)")
  }
}

extension CRenderer {
  /// `struct sockaddr_in addr; memset(...); addr.sin_family = AF_INET; ...`
  fileprivate mutating func socketAddress(_ a: [Expr], into target: String, v6: Bool) -> [CLine] {
    var lines = declare(target, v6 ? "struct sockaddr_in6" : "struct sockaddr_in")
    let p = v6 ? "sin6" : "sin"
    let family = v6 ? "AF_INET6" : "AF_INET"
    lines += [.statement("memset(&\(target), 0, sizeof \(target))"), .statement("\(target).\(p)_family = \(family)")]
    guard a.count >= 2 else { return lines }
    lines.append(.statement("\(target).\(p)_port = \(expression(a[1]))"))
    switch a[0] {
    case .string:
      lines.append(.statement("inet_pton(\(family), \(expression(a[0])), &\(target).\(p)_addr)"))
    case .name(let variable, _) where declared[variable]?.hasPrefix("struct in") == true:
      lines.append(.statement("\(target).\(p)_addr = \(variable)"))
    default:
      lines.append(.statement(v6 ? "\(target).sin6_addr = \(expression(a[0]))" : "\(target).sin_addr.s_addr = \(expression(a[0]))"))
    }
    if a.count == 3 { lines.append(.statement("\(target).sin6_scope_id = \(expression(a[2]))")) }
    return lines
  }
}
