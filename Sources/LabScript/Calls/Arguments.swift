import SocketKit

/// How a call's arguments are read: as C would convert them, with the lab's refusals where C
/// would have undefined behaviour or the call would reach past this machine.
extension CallContext {
  mutating func integer(_ expr: Expr, _ what: String = "a number") throws(ScriptError) -> Int {
    switch try evaluate(expr) {
    case .int(let value): return value
    case .null: return 0
    case let other:
      throw ScriptError("expected \(what), got \(other.kindName) (\(other))", at: expr.location, hint: "pass \(what) here")
    }
  }

  mutating func int32(_ expr: Expr, _ what: String = "a number") throws(ScriptError) -> Int32 {
    Int32(truncatingIfNeeded: try integer(expr, what))
  }

  /// A length as C passes it in a `socklen_t`: converted modulo 2³², so -1 becomes 4294967295 and
  /// the kernel, not the lab, says what it thinks of it.
  mutating func socklen(_ expr: Expr) throws(ScriptError) -> UInt32 {
    UInt32(truncatingIfNeeded: try integer(expr, "a length"))
  }

  mutating func text(_ expr: Expr) throws(ScriptError) -> String {
    switch try evaluate(expr) {
    case .string(let bytes): return String(decoding: bytes, as: UTF8.self)
    case .buffer(let contents, _): return String(decoding: contents.prefix { $0 != 0 }, as: UTF8.self)
    case let other:
      throw ScriptError(
        "expected a string, got \(other.kindName)", at: expr.location, hint: "write it in double quotes, such as \"127.0.0.1\"")
    }
  }

  mutating func optionalText(_ expr: Expr) throws(ScriptError) -> String? {
    if case .null = try evaluate(expr) { return nil }
    return try text(expr)
  }

  mutating func bytes(_ expr: Expr) throws(ScriptError) -> [UInt8] {
    switch try evaluate(expr) {
    case .string(let bytes): return bytes
    case .buffer(let contents, _): return contents
    case let other:
      throw ScriptError(
        "expected the bytes to send, got \(other.kindName)", at: expr.location, hint: "write a string such as \"hello\\n\"")
    }
  }

  mutating func address(_ expr: Expr) throws(ScriptError) -> SocketAddress {
    switch try evaluate(expr) {
    case .socketAddress(let address?): return address
    case .socketAddress(nil):
      throw ScriptError(
        "this address is still empty", at: expr.location,
        hint: "fill it first, or build one with sockaddr_in(\"127.0.0.1\", htons(PORT))")
    case let other:
      throw ScriptError(
        "expected a socket address, got \(other.kindName)", at: expr.location,
        hint: "build one with sockaddr_in(\"127.0.0.1\", htons(PORT)) and pass &addr")
    }
  }

  /// A descriptor argument. The lab refuses descriptors it did not open while they are open (they
  /// belong to the lab itself, such as the terminal); closed ones go through and get EBADF.
  mutating func descriptor(_ expr: Expr) throws(ScriptError) -> Int32 {
    let fd = try int32(expr, "a descriptor")
    if environment.owns(fd) || !kernel.isOpen(fd: fd) { return fd }
    throw ScriptError(
      "descriptor \(fd) is not a socket of this lab", at: expr.location,
      hint: "use a descriptor that socket() or accept() returned; \(fd) belongs to the lab itself")
  }

  func isNull(_ expr: Expr) -> Bool {
    if case .name("NULL", _) = expr { return true }
    if case .integer(0, _) = expr { return true }
    return false
  }

  func outTarget(_ expr: Expr) -> Expr? {
    isNull(expr) ? nil : expr
  }

  /// Writes an out-parameter, creating the variable with `cType` when it does not exist yet.
  func write(_ value: Value, to target: Expr?, cType: String) throws(ScriptError) {
    guard let target else { return }
    if case .addressOf(.name(let name, _), _) = target, environment.variable(name) == nil {
      environment.set(name, Variable(value: value, cType: cType))
      return
    }
    if case .name(let name, _) = target, environment.variable(name) == nil {
      environment.set(name, Variable(value: value, cType: cType))
      return
    }
    if case .name(let name, _) = target.strippingAddressOf, var variable = environment.variable(name) {
      variable.value = value
      environment.set(name, variable)
      return
    }
    try evaluator.assign(value, to: target, from: nil)
  }

  /// A receive buffer argument: an existing buffer, or a new `char name[1024]` created on first
  /// use (before the length argument is evaluated, so that `sizeof buf` works at once).
  func bufferCapacity(_ expr: Expr) throws(ScriptError) -> Int {
    guard let name = expr.rootName else { return 1024 }
    guard let variable = environment.variable(name) else {
      environment.set(name, Variable(value: .buffer(contents: [], capacity: 1024), cType: "char[1024]"))
      return 1024
    }
    if case .buffer(_, let capacity) = variable.value { return capacity }
    throw ScriptError(
      "\(name) is \(variable.value.kindName), not a buffer", at: expr.location, hint: "declare one with \(name) = buffer(1024)")
  }

  func lengthVariableSize(of target: Expr?) -> Int {
    guard let name = target?.rootName, let variable = environment.variable(name) else { return 128 }
    return variable.size
  }

  /// Keeps the environment's picture of a socket current after a call on it.
  func refresh(_ fd: Int32) {
    guard environment.owns(fd) else { return }
    let local = SocketAPI.getsockname(fd: fd).1
    let peer = SocketAPI.getpeername(fd: fd).1
    environment.note(Endpoints(local: local, peer: peer), for: fd)
  }

  /// A listener on 0.0.0.0 or an unbound socket (which listen() binds to 0.0.0.0) would accept
  /// connections from other machines; the lab listens on loopback only unless told otherwise.
  func requireLoopbackListener(_ fd: Int32, at place: SourceLocation) throws(ScriptError) {
    guard !environment.allowRemote, !environment.isOnHost(actor), environment.owns(fd), let local = SocketAPI.getsockname(fd: fd).1 else { return }
    if local.port == 0 || !local.isLoopback {
      let what =
        local.port == 0 ? "an unbound socket (listen() would bind it to every address)" : "a socket bound to \(local.host)"
      throw ScriptError(
        "listen() on \(what) was not run: other machines could connect to it", at: place,
        hint: "bind it to 127.0.0.1 or ::1 first (port 0 lets the kernel choose), or start socklab with --allow-remote")
    }
  }

  func requireLocal(_ address: SocketAddress, _ function: String, at place: SourceLocation) throws(ScriptError) {
    if address.isLocal || environment.allowRemote || environment.isOnHost(actor) { return }
    throw ScriptError(
      "\(function)() to \(address.host) was not run: the lab only talks to this machine", at: place,
      hint: "use 127.0.0.1 or ::1, or start socklab with --allow-remote to reach other hosts on purpose")
  }

  /// Says so when the connection `accept()` returned on `fd` comes from no socket of the lab: a
  /// program outside connected first, and the queue serves connections in the order they came.
  mutating func noteIfFromOutside(_ fd: Int32, peer: SocketAddress?) {
    let peer = peer ?? SocketAPI.getpeername(fd: fd).1
    guard let peer else { return }
    // An IPv4 client of an IPv6 listener shows as ::ffff:127.0.0.1 there and 127.0.0.1 here.
    func host(_ address: SocketAddress) -> String {
      address.host.hasPrefix("::ffff:") ? String(address.host.dropFirst(7)) : address.host
    }
    let ours = environment.openDescriptors.filter { $0 != fd }.compactMap { SocketAPI.getsockname(fd: $0).1 }
    guard !ours.contains(where: { host($0) == host(peer) && $0.port == peer.port }) else { return }
    acceptedFromOutside = fd
    note =
      "a connection from outside the lab (\(peer.host):\(peer.port)): that program connected first, and accept() takes connections in the order they arrived"
  }

  func checkLength(_ length: Int, within available: Int, at place: SourceLocation, what: String) throws(ScriptError) {
    if length < 0 {
      throw ScriptError(
        "length \(length) becomes \(UInt(bitPattern: length)) as a size_t, far more than \(what) holds (\(available) bytes)",
        at: place, hint: "in C the kernel would reach past the end of memory; pass the number of bytes, at most \(available)")
    }
    if length > available {
      throw ScriptError(
        "length \(length) is more than \(what) holds (\(available) bytes)", at: place,
        hint: "in C this would read past the end of memory; pass at most \(available)")
    }
  }

  /// A record for a call that computes without asking the kernel (`htons`).
  func pure(_ name: String, _ arguments: String, _ result: Int) -> CallRecord {
    CallRecord(function: name, call: "\(name)(\(arguments))", result: .int(result), error: nil, nanoseconds: 0)
  }

  /// libowfat's `const char ip[16]`: an in6_addr value, V6loopback/V6any, or IPv6 text.
  mutating func ip6(_ expr: Expr) throws(ScriptError) -> [UInt8] {
    switch try evaluate(expr) {
    case .in6Addr(let bytes): return bytes
    case .buffer(let contents, _) where contents.count == 16: return contents
    case .string(let bytes):
      let text = String(decoding: bytes, as: UTF8.self)
      guard let raw = SocketAddress.parseHost(text, family: AF_INET6_VALUE) else {
        throw ScriptError("\"\(text)\" is not an IPv6 address", at: expr.location, hint: "write ::1, or use V6loopback")
      }
      return raw
    case let other:
      throw ScriptError(
        "expected 16 IPv6 address bytes, not \(other.kindName)", at: expr.location, hint: "pass V6loopback, V6any or ip6(\"::1\")"
      )
    }
  }

  /// A port in host order, as libowfat takes it.
  mutating func port(_ expr: Expr) throws(ScriptError) -> UInt16 {
    let value = try integer(expr)
    guard (0...65535).contains(value) else {
      throw ScriptError(
        "\(value) is not a port", at: expr.location,
        hint: "ports go from 0 to 65535; libowfat takes them in host order, without htons()")
    }
    return UInt16(value)
  }

  /// A port field value: what the script passes is stored as is (so a forgotten htons shows).
  mutating func portField(_ expr: Expr) throws(ScriptError) -> UInt16 {
    let value = try integer(expr)
    guard (0...65535).contains(value) else {
      throw ScriptError("\(value) does not fit in the 16-bit port field", at: expr.location, hint: "write htons(PORT)")
    }
    return UInt16(value)
  }
}
