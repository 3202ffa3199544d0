import SocketKit

/// Evaluates one statement's expression: its arguments, then the call itself, for real.
struct CallContext {
  let evaluator: Evaluator
  let expectation: Expectation?
  /// Who runs the statement: per-thread state such as inet_ntoa's buffer is per actor.
  let actor: String
  /// Something to say beside the result (how long a state took to arrive).
  var note: String?
  /// A connection `accept()` took from a program outside the lab.
  var acceptedFromOutside: Int32?

  init(evaluator: Evaluator, expectation: Expectation?, actor: String) {
    self.evaluator = evaluator
    self.expectation = expectation
    self.actor = actor
  }

  private var environment: Environment { evaluator.environment }
  private var kernel: any KernelInspector { evaluator.kernel }

  /// Evaluates the statement's expression and returns the record of its call, if it is one.
  mutating func evaluateTop(_ expr: Expr) throws(ScriptError) -> (CallRecord?, Value) {
    if case .call("inet_ntoa", let arguments, let place) = expr {
      // The result points into the actor's static buffer; a variable keeps the pointer, not a copy.
      let (record, _) = try call("inet_ntoa", arguments, at: place)
      return (record, .sharedBuffer("inet_ntoa@\(actor)"))
    }
    if case .call(let name, let arguments, let place) = expr {
      return try call(name, arguments, at: place)
    }
    return (nil, try evaluate(expr))
  }

  // MARK: - Values

  mutating func evaluate(_ expr: Expr) throws(ScriptError) -> Value {
    switch expr {
    case .integer(let value, _):
      return .int(value)
    case .string(let bytes, _):
      return .string(bytes)
    case .name(let name, let place):
      if let variable = environment.variable(name) {
        if case .sharedBuffer(let key) = variable.value { return .string(environment.sharedBuffer(key)) }
        return variable.value
      }
      if name == "NULL" { return .null }
      if let constant = SocketConstants.named(name) { return .int(constant.value) }
      throw ScriptError("undefined variable \(name)", at: place, hint: "give it a value first")
    case .field(let base, let field, let place):
      return try Fields.get(field, of: try evaluate(base), at: place)
    case .addressOf(let inner, _):
      return try evaluate(inner)
    case .sizeof(.type(let type), let place):
      guard let size = Parser.sizeOfType(type) else { throw ScriptError("unknown type \(type)", at: place) }
      return .int(size)
    case .sizeof(.variable(let name), let place):
      if let variable = environment.variable(name) { return .int(variable.size) }
      if let constant = SocketConstants.named(name) { return .int(constant.value > Int(Int32.max) ? 8 : 4) }
      throw ScriptError("undefined variable \(name)", at: place, hint: "give it a value before taking its size")
    case .bitOr(let a, let b):
      return .int(try integer(a) | integer(b))
    case .negate(let inner, _):
      return .int(-(try integer(inner)))
    case .call(let name, let arguments, let place):
      return try call(name, arguments, at: place).1
    }
  }

  private mutating func integer(_ expr: Expr, _ what: String = "a number") throws(ScriptError) -> Int {
    switch try evaluate(expr) {
    case .int(let value): return value
    case .null: return 0
    case let other:
      throw ScriptError("expected \(what), got \(other.kindName) (\(other))", at: expr.location, hint: "pass \(what) here")
    }
  }

  private mutating func int32(_ expr: Expr, _ what: String = "a number") throws(ScriptError) -> Int32 {
    Int32(truncatingIfNeeded: try integer(expr, what))
  }

  /// A length as C passes it in a `socklen_t`: converted modulo 2³², so -1 becomes 4294967295 and
  /// the kernel, not the lab, says what it thinks of it.
  private mutating func socklen(_ expr: Expr) throws(ScriptError) -> UInt32 {
    UInt32(truncatingIfNeeded: try integer(expr, "a length"))
  }

  private mutating func text(_ expr: Expr) throws(ScriptError) -> String {
    switch try evaluate(expr) {
    case .string(let bytes): return String(decoding: bytes, as: UTF8.self)
    case .buffer(let contents, _): return String(decoding: contents.prefix { $0 != 0 }, as: UTF8.self)
    case let other:
      throw ScriptError(
        "expected a string, got \(other.kindName)", at: expr.location, hint: "write it in double quotes, such as \"127.0.0.1\"")
    }
  }

  private mutating func optionalText(_ expr: Expr) throws(ScriptError) -> String? {
    if case .null = try evaluate(expr) { return nil }
    return try text(expr)
  }

  private mutating func bytes(_ expr: Expr) throws(ScriptError) -> [UInt8] {
    switch try evaluate(expr) {
    case .string(let bytes): return bytes
    case .buffer(let contents, _): return contents
    case let other:
      throw ScriptError(
        "expected the bytes to send, got \(other.kindName)", at: expr.location, hint: "write a string such as \"hello\\n\"")
    }
  }

  private mutating func address(_ expr: Expr) throws(ScriptError) -> SocketAddress {
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
  private mutating func descriptor(_ expr: Expr) throws(ScriptError) -> Int32 {
    let fd = try int32(expr, "a descriptor")
    if environment.owns(fd) || !kernel.isOpen(fd: fd) { return fd }
    throw ScriptError(
      "descriptor \(fd) is not a socket of this lab", at: expr.location,
      hint: "use a descriptor that socket() or accept() returned; \(fd) belongs to the lab itself")
  }

  private func isNull(_ expr: Expr) -> Bool {
    if case .name("NULL", _) = expr { return true }
    if case .integer(0, _) = expr { return true }
    return false
  }

  private func outTarget(_ expr: Expr) -> Expr? {
    isNull(expr) ? nil : expr
  }

  /// Writes an out-parameter, creating the variable with `cType` when it does not exist yet.
  private func write(_ value: Value, to target: Expr?, cType: String) throws(ScriptError) {
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
  private func bufferCapacity(_ expr: Expr) throws(ScriptError) -> Int {
    guard let name = expr.rootName else { return 1024 }
    guard let variable = environment.variable(name) else {
      environment.set(name, Variable(value: .buffer(contents: [], capacity: 1024), cType: "char[1024]"))
      return 1024
    }
    if case .buffer(_, let capacity) = variable.value { return capacity }
    throw ScriptError(
      "\(name) is \(variable.value.kindName), not a buffer", at: expr.location, hint: "declare one with \(name) = buffer(1024)")
  }

  private func lengthVariableSize(of target: Expr?) -> Int {
    guard let name = target?.rootName, let variable = environment.variable(name) else { return 128 }
    return variable.size
  }

  /// Keeps the environment's picture of a socket current after a call on it.
  private func refresh(_ fd: Int32) {
    guard environment.owns(fd) else { return }
    let local = SocketAPI.getsockname(fd: fd).1
    let peer = SocketAPI.getpeername(fd: fd).1
    environment.note(Endpoints(local: local, peer: peer), for: fd)
  }

  /// A listener on 0.0.0.0 or an unbound socket (which listen() binds to 0.0.0.0) would accept
  /// connections from other machines; the lab listens on loopback only unless told otherwise.
  private func requireLoopbackListener(_ fd: Int32, at place: SourceLocation) throws(ScriptError) {
    guard !environment.allowRemote, environment.owns(fd), let local = SocketAPI.getsockname(fd: fd).1 else { return }
    if local.port == 0 || !local.isLoopback {
      let what =
        local.port == 0 ? "an unbound socket (listen() would bind it to every address)" : "a socket bound to \(local.host)"
      throw ScriptError(
        "listen() on \(what) was not run: other machines could connect to it", at: place,
        hint: "bind it to 127.0.0.1 or ::1 first (port 0 lets the kernel choose), or start socklab with --allow-remote")
    }
  }

  private func requireLocal(_ address: SocketAddress, _ function: String, at place: SourceLocation) throws(ScriptError) {
    if address.isLocal || environment.allowRemote { return }
    throw ScriptError(
      "\(function)() to \(address.host) was not run: the lab only talks to this machine", at: place,
      hint: "use 127.0.0.1 or ::1, or start socklab with --allow-remote to reach other hosts on purpose")
  }

  // MARK: - Calls

  mutating func call(_ name: String, _ a: [Expr], at place: SourceLocation) throws(ScriptError) -> (CallRecord?, Value) {
    guard let spec = CallCatalog.spec(named: name) else {
      throw ScriptError(
        "unknown call \(name)()", at: place, hint: CallCatalog.suggestion(for: name).map { "did you mean \($0)?" })
    }
    guard spec.arities.contains(a.count) else {
      throw ScriptError(
        "\(name)() takes \(spec.arities.sorted().map(String.init).joined(separator: " or ")) arguments", at: place,
        hint: spec.signature)
    }
    if name == "value" {
      // Not a C call, but shown like one so the transcript says what was checked.
      let value = try evaluate(a[0])
      let result: ReturnValue
      switch value {
      case .int(let n): result = .int(n)
      case .string(let bytes): result = .string(String(decoding: bytes, as: UTF8.self))
      default: result = .symbol(value.description)
      }
      let record = CallRecord(
        function: name, call: "value(\(CRenderer().expression(a[0])))", result: result, error: nil, nanoseconds: 0)
      return (record, value)
    }
    switch spec.kind {
    case .builder: return (nil, try build(name, a, at: place))
    case .kernelQuery: return try query(name, a, at: place)
    case .system: break
    }
    let record = try system(name, a, at: place)
    return (record, Self.value(of: record))
  }

  private static func value(of record: CallRecord) -> Value {
    switch record.result {
    case .int(let n): return .int(n)
    case .string(let s?): return .string(Array(s.utf8))
    case .string(nil): return .null
    case .symbol(let s): return .string(Array(s.utf8))
    }
  }

  private mutating func system(_ name: String, _ a: [Expr], at place: SourceLocation) throws(ScriptError) -> CallRecord {
    switch name {
    case "socket":
      let record = SocketAPI.socket(domain: try int32(a[0]), type: try int32(a[1]), protocol: try int32(a[2]))
      if let fd = record.result.intValue, fd >= 0 { environment.opened(by: actor, Int32(fd)) }
      return record
    case "bind":
      let fd = try descriptor(a[0])
      let record = SocketAPI.bind(fd: fd, address: try address(a[1]), length: try socklen(a[2]))
      refresh(fd)
      return record
    case "listen":
      let fd = try descriptor(a[0])
      try requireLoopbackListener(fd, at: place)
      let record = SocketAPI.listen(fd: fd, backlog: try int32(a[1]))
      refresh(fd)
      return record
    case "accept", "accept4":
      let fd = try descriptor(a[0])
      let peerTarget = outTarget(a[1])
      let flags = name == "accept4" ? try int32(a[3]) : nil
      let (record, peer, length) = SocketAPI.accept(fd: fd, wantPeer: peerTarget != nil, flags: flags)
      if let newFD = record.result.intValue, newFD >= 0 {
        environment.opened(by: actor, Int32(newFD))
        refresh(Int32(newFD))
        try write(.socketAddress(peer), to: peerTarget, cType: "struct sockaddr_storage")
        try write(.int(length), to: outTarget(a[2]), cType: "socklen_t")
        noteIfFromOutside(Int32(newFD), peer: peer)
      } else {
        try write(.socketAddress(nil), to: peerTarget, cType: "struct sockaddr_storage")
        try write(.int(lengthVariableSize(of: peerTarget)), to: outTarget(a[2]), cType: "socklen_t")
      }
      return record
    case "connect":
      let fd = try descriptor(a[0])
      let target = try address(a[1])
      try requireLocal(target, name, at: place)
      let record = SocketAPI.connect(fd: fd, address: target, length: try socklen(a[2]))
      refresh(fd)
      return record
    case "send":
      let fd = try descriptor(a[0])
      let data = try bytes(a[1])
      let length = try integer(a[2])
      try checkLength(length, within: data.count, at: a[2].location, what: "the data")
      return SocketAPI.send(fd: fd, bytes: data, length: length, flags: try int32(a[3]))
    case "recv":
      let fd = try descriptor(a[0])
      let capacity = try bufferCapacity(a[1])
      let length = try integer(a[2])
      try checkLength(length, within: capacity, at: a[2].location, what: "the buffer")
      let (record, received) = SocketAPI.recv(fd: fd, capacity: length, flags: try int32(a[3]))
      try write(.buffer(contents: received, capacity: capacity), to: a[1], cType: "char[\(capacity)]")
      refresh(fd)
      return record
    case "sendto":
      let fd = try descriptor(a[0])
      let data = try bytes(a[1])
      let length = try integer(a[2])
      try checkLength(length, within: data.count, at: a[2].location, what: "the data")
      let flags = try int32(a[3])
      var target: SocketAddress?
      if !isNull(a[4]) {
        target = try address(a[4])
        try requireLocal(target!, name, at: place)
      }
      let record = SocketAPI.sendto(
        fd: fd, bytes: data, length: length, flags: flags, address: target, addressLength: try socklen(a[5]))
      refresh(fd)
      return record
    case "recvfrom":
      let fd = try descriptor(a[0])
      let capacity = try bufferCapacity(a[1])
      let length = try integer(a[2])
      try checkLength(length, within: capacity, at: a[2].location, what: "the buffer")
      let senderTarget = outTarget(a[4])
      let (record, received, sender, senderLength) = SocketAPI.recvfrom(
        fd: fd, capacity: length, flags: try int32(a[3]), wantSender: senderTarget != nil)
      try write(.buffer(contents: received, capacity: capacity), to: a[1], cType: "char[\(capacity)]")
      try write(.socketAddress(sender), to: senderTarget, cType: "struct sockaddr_storage")
      try write(
        .int(record.error == nil ? senderLength : lengthVariableSize(of: senderTarget)), to: outTarget(a[5]), cType: "socklen_t")
      refresh(fd)
      return record
    case "shutdown":
      let fd = try descriptor(a[0])
      let record = SocketAPI.shutdown(fd: fd, how: try int32(a[1]))
      refresh(fd)
      return record
    case "close":
      let fd = try descriptor(a[0])
      refresh(fd)
      let record = SocketAPI.close(fd: fd)
      if record.error == nil { environment.closed(fd) }
      return record
    case "getsockname", "getpeername":
      let fd = try descriptor(a[0])
      let (record, address) = name == "getsockname" ? SocketAPI.getsockname(fd: fd) : SocketAPI.getpeername(fd: fd)
      if a.count == 3 {
        try write(.socketAddress(address), to: a[1], cType: "struct sockaddr_storage")
        try write(.int(address?.size ?? lengthVariableSize(of: a[1])), to: a[2], cType: "socklen_t")
      }
      return record
    case "setsockopt":
      let fd = try descriptor(a[0])
      let level = try int32(a[1])
      let option = try int32(a[2])
      let value: OptionValue
      switch try evaluate(a[3]) {
      case .int(let n): value = .int(Int32(truncatingIfNeeded: n))
      case .linger(let onoff, let seconds): value = .linger(onoff: onoff, seconds: seconds)
      case let other:
        throw ScriptError(
          "an option value must be a number or a linger, not \(other.kindName)", at: a[3].location,
          hint: "write 1, &one, or linger(1, 0)")
      }
      let length = a.count == 5 ? try socklen(a[4]) : nil
      if let length, Int32(bitPattern: length) > SocketAPI.maximumOptionLength {
        throw ScriptError(
          "optlen \(length) is more than the option value holds", at: a[4].location,
          hint: "in C the kernel could read past the end of optval; pass sizeof the value, such as sizeof one")
      }
      return SocketAPI.setsockopt(fd: fd, level: level, option: option, value: value, length: length)
    case "getsockopt":
      let fd = try descriptor(a[0])
      let (record, value) = SocketAPI.getsockopt(fd: fd, level: try int32(a[1]), option: try int32(a[2]))
      if a.count == 5 {
        switch value {
        case .int(let n)?: try write(.int(Int(n)), to: a[3], cType: "int")
        case .linger(let onoff, let seconds)?:
          try write(.linger(onoff: onoff, seconds: seconds), to: a[3], cType: "struct linger")
        case nil: try write(.int(0), to: a[3], cType: "int")
        }
        try write(.int(value?.size ?? 4), to: a[4], cType: "socklen_t")
      }
      return record
    case "fcntl":
      let fd = try descriptor(a[0])
      return SocketAPI.fcntl(fd: fd, command: try int32(a[1]), argument: a.count == 3 ? try int32(a[2]) : 0)
    case "poll":
      guard case .pollSet(let entries) = try evaluate(a[0]) else {
        throw ScriptError(
          "poll() needs a struct pollfd", at: a[0].location, hint: "declare one with pfd = pollfd(s, POLLIN) and pass &pfd")
      }
      let count = try integer(a[1])
      guard (0...entries.count).contains(count) else {
        throw ScriptError(
          "nfds is \(count) but the set holds \(entries.count)", at: a[1].location, hint: "pass the number of entries")
      }
      for entry in entries.prefix(count) where !environment.owns(entry.fd) && kernel.isOpen(fd: entry.fd) {
        throw ScriptError(
          "descriptor \(entry.fd) is not a socket of this lab", at: a[0].location, hint: "poll the lab's own sockets")
      }
      let (record, after) = SocketAPI.poll(entries: Array(entries.prefix(count)), timeoutMilliseconds: try int32(a[2]))
      try write(.pollSet(after + entries.dropFirst(count)), to: a[0], cType: "struct pollfd")
      return record
    case "inet_aton":
      let (record, sAddr) = SocketAPI.inet_aton(try text(a[0]))
      if let sAddr { try write(.inAddr(sAddr), to: a[1], cType: "struct in_addr") }
      return record
    case "inet_addr":
      return SocketAPI.inet_addr(try text(a[0]))
    case "inet_ntoa":
      let record: CallRecord
      switch try evaluate(a[0]) {
      case .inAddr(let sAddr): record = SocketAPI.inet_ntoa(sAddr)
      case .int(let n): record = SocketAPI.inet_ntoa(UInt32(truncatingIfNeeded: n))
      case let other:
        throw ScriptError(
          "inet_ntoa() needs a struct in_addr, not \(other.kindName)", at: a[0].location, hint: "pass addr.sin_addr")
      }
      if case .string(let text?) = record.result { environment.setSharedBuffer("inet_ntoa@\(actor)", Array(text.utf8)) }
      return record
    case "inet_pton":
      let family = try int32(a[0])
      let (record, parsed) = SocketAPI.inet_pton(family: family, text: try text(a[1]))
      if let parsed {
        try write(
          parsed.count == 4 ? .inAddr(parsed.withUnsafeBytes { $0.load(as: UInt32.self) }) : .in6Addr(parsed), to: a[2],
          cType: parsed.count == 4 ? "struct in_addr" : "struct in6_addr")
      }
      return record
    case "inet_ntop":
      let family = try int32(a[0])
      let raw: [UInt8]
      switch try evaluate(a[1]) {
      case .inAddr(let sAddr): raw = withUnsafeBytes(of: sAddr) { Array($0) }
      case .in6Addr(let bytes): raw = bytes
      case .socketAddress(let address?): raw = address.addressBytes
      case let other:
        throw ScriptError(
          "inet_ntop() needs an in_addr or in6_addr, not \(other.kindName)", at: a[1].location, hint: "pass &addr.sin_addr")
      }
      let record = SocketAPI.inet_ntop(family: family, bytes: raw)
      if a.count == 4, case .string(let text?) = record.result {
        try write(.buffer(contents: Array(text.utf8), capacity: 1024), to: a[2], cType: "char[1024]")
      }
      return record
    case "htons", "ntohs":
      let value = try integer(a[0])
      guard (0...65535).contains(value) else {
        throw ScriptError("\(value) does not fit in 16 bits", at: a[0].location, hint: "a port goes from 0 to 65535")
      }
      let result = name == "htons" ? ByteOrder.htons(UInt16(value)) : ByteOrder.ntohs(UInt16(value))
      return pure(name, "\(value)", Int(result))
    case "htonl", "ntohl":
      let value = UInt32(truncatingIfNeeded: try integer(a[0]))
      let result = name == "htonl" ? ByteOrder.htonl(value) : ByteOrder.ntohl(value)
      return pure(name, hex32(value), Int(result))
    case "getaddrinfo":
      var family: Int32 = 0
      var socketType: Int32 = 0
      var flags: Int32 = 0
      if case .addressHints(let hintFamily, let hintType, let hintFlags) = try evaluate(a[2]) {
        family = hintFamily
        socketType = hintType
        flags = hintFlags
      }
      let (record, list) = SocketAPI.getaddrinfo(
        host: try optionalText(a[0]), service: try optionalText(a[1]), family: family, socketType: socketType, flags: flags)
      try write(.addressList(list), to: a[3], cType: "struct addrinfo *")
      return record
    case "BIO_socket":
      let record = OpenSSLBIO.socket(
        domain: try int32(a[0]), type: try int32(a[1]), protocol: try int32(a[2]), options: try int32(a[3]))
      if let fd = record.result.intValue, fd >= 0 { environment.opened(by: actor, Int32(fd)) }
      return record
    case "BIO_bind", "BIO_listen", "BIO_connect":
      let fd = try descriptor(a[0])
      let target = try address(a[1])
      let options = try int32(a[2])
      if name == "BIO_connect" { try requireLocal(target, name, at: place) }
      if name == "BIO_listen", !environment.allowRemote, !target.isLoopback {
        throw ScriptError(
          "BIO_listen() on \(target.host) was not run: other machines could connect to it", at: place,
          hint: "listen on 127.0.0.1 or ::1, or start socklab with --allow-remote")
      }
      let record =
        name == "BIO_bind"
        ? OpenSSLBIO.bind(fd: fd, address: target, options: options)
        : name == "BIO_listen"
          ? OpenSSLBIO.listen(fd: fd, address: target, options: options)
          : OpenSSLBIO.connect(fd: fd, address: target, options: options)
      refresh(fd)
      return record
    case "BIO_accept_ex":
      let fd = try descriptor(a[0])
      let peerTarget = outTarget(a[1])
      let (record, peer) = OpenSSLBIO.accept(fd: fd, wantPeer: peerTarget != nil, options: try int32(a[2]))
      if let newFD = record.result.intValue, newFD >= 0 {
        environment.opened(by: actor, Int32(newFD))
        refresh(Int32(newFD))
        try write(.socketAddress(peer), to: peerTarget, cType: "BIO_ADDR *")
      }
      return record
    case "BIO_closesocket":
      let fd = try descriptor(a[0])
      refresh(fd)
      let record = OpenSSLBIO.closesocket(fd: fd)
      if record.result.intValue == 1 { environment.closed(fd) }
      return record
    case "BIO_socket_nbio":
      return OpenSSLBIO.socketNbio(fd: try descriptor(a[0]), on: try integer(a[1]) != 0)
    case "socket_tcp6":
      let record = Libowfat.socket_tcp6()
      if let fd = record.result.intValue, fd >= 0 { environment.opened(by: actor, Int32(fd)) }
      return record
    case "socket_bind6":
      let fd = try descriptor(a[0])
      let record = Libowfat.socket_bind6(
        fd: fd, ip: try ip6(a[1]), port: try port(a[2]), scopeID: UInt32(truncatingIfNeeded: try integer(a[3])))
      refresh(fd)
      return record
    case "socket_listen":
      let fd = try descriptor(a[0])
      try requireLoopbackListener(fd, at: place)
      let record = Libowfat.socket_listen(fd: fd, backlog: UInt32(truncatingIfNeeded: try integer(a[1])))
      refresh(fd)
      return record
    case "socket_accept6":
      let fd = try descriptor(a[0])
      let (record, ip, port, scope) = Libowfat.socket_accept6(fd: fd)
      if let newFD = record.result.intValue, newFD >= 0 {
        environment.opened(by: actor, Int32(newFD))
        refresh(Int32(newFD))
        try write(.in6Addr(ip), to: outTarget(a[1]), cType: "char[16]")
        try write(.int(Int(port)), to: outTarget(a[2]), cType: "uint16")
        try write(.int(Int(scope)), to: outTarget(a[3]), cType: "uint32")
      }
      return record
    case "socket_connect6":
      let fd = try descriptor(a[0])
      let ip = try ip6(a[1])
      let port = try port(a[2])
      let scope = UInt32(truncatingIfNeeded: try integer(a[3]))
      try requireLocal(.ipv6(bytes: ip, sinPort: ByteOrder.htons(port), scopeID: scope), name, at: place)
      let record = Libowfat.socket_connect6(fd: fd, ip: ip, port: port, scopeID: scope)
      refresh(fd)
      return record
    case "socket_connected":
      return Libowfat.socket_connected(fd: try descriptor(a[0]))
    case "freeaddrinfo":
      return pure(name, a[0].rootName ?? "res", 0)
    case "strlen":
      return pure(name, Value.string(try bytes(a[0])).description, try bytes(a[0]).count)
    default:
      throw ScriptError("\(name)() is not available here", at: place)
    }
  }

  /// Says so when the connection `accept()` returned on `fd` comes from no socket of the lab: a
  /// program outside connected first, and the queue serves connections in the order they came.
  private mutating func noteIfFromOutside(_ fd: Int32, peer: SocketAddress?) {
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

  private func checkLength(_ length: Int, within available: Int, at place: SourceLocation, what: String) throws(ScriptError) {
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
  private func pure(_ name: String, _ arguments: String, _ result: Int) -> CallRecord {
    CallRecord(function: name, call: "\(name)(\(arguments))", result: .int(result), error: nil, nanoseconds: 0)
  }

  // MARK: - Builders

  private mutating func build(_ name: String, _ a: [Expr], at place: SourceLocation) throws(ScriptError) -> Value {
    switch name {
    case "sockaddr_in":
      guard a.count == 2 else { return .socketAddress(.emptyIPv4()) }
      let port = try portField(a[1])
      switch try evaluate(a[0]) {
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
    case "sockaddr_in6":
      guard a.count >= 2 else { return .socketAddress(.emptyIPv6()) }
      let port = try portField(a[1])
      let scope = a.count == 3 ? UInt32(truncatingIfNeeded: try integer(a[2])) : 0
      switch try evaluate(a[0]) {
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
    case "memset":
      // memset(&x, 0, sizeof x): the variable, zeroed (an address keeps its family, as the
      // struct's type does in C).
      guard case .addressOf(let inner, _) = a[0], let name = inner.rootName, let old = environment.variable(name)?.value else {
        throw ScriptError("memset needs the address of a variable", at: a[0].location, hint: "write memset(&addr, 0, sizeof addr)")
      }
      guard try integer(a[1]) == 0 else {
        throw ScriptError("the lab's memset fills with 0 only", at: a[1].location, hint: "write memset(&addr, 0, sizeof addr)")
      }
      switch old {
      case .socketAddress(.ipv6?): return .socketAddress(.emptyIPv6())
      case .socketAddress: return .socketAddress(.emptyIPv4())
      case .buffer(_, let capacity): return .buffer(contents: [], capacity: capacity)
      case .int: return .int(0)
      default: return old
      }
    case "buffer":
      let size = try integer(a[0])
      guard (1...1_048_576).contains(size) else {
        throw ScriptError("a buffer of \(size) bytes is not allowed", at: a[0].location, hint: "use 1 to 1048576 bytes")
      }
      return .buffer(contents: [], capacity: size)
    case "linger":
      return .linger(onoff: try int32(a[0]), seconds: try int32(a[1]))
    case "pollfd":
      return .pollSet([PollEntry(fd: try int32(a[0]), events: Int16(truncatingIfNeeded: try integer(a[1])))])
    case "pollfds":
      var entries: [PollEntry] = []
      for argument in a {
        guard case .pollSet(let more) = try evaluate(argument) else {
          throw ScriptError(
            "pollfds() takes pollfd(fd, events) entries", at: argument.location,
            hint: "write pollfds(pollfd(a, POLLIN), pollfd(b, POLLIN))")
        }
        entries += more
      }
      return .pollSet(entries)
    case "ip6":
      return .in6Addr(try ip6(a[0]))
    case "bio_addr":
      let family = try int32(a[0])
      let text = try self.text(a[1])
      let port = try portField(a[2])
      guard let raw = SocketAddress.parseHost(text, family: family) else {
        throw ScriptError(
          "\"\(text)\" is not a numeric address of that family", at: a[1].location,
          hint: "write 127.0.0.1 with AF_INET or ::1 with AF_INET6")
      }
      return .socketAddress(
        family == AF_INET6_VALUE
          ? .ipv6(bytes: raw, sinPort: port) : .ipv4(sinAddr: raw.withUnsafeBytes { $0.load(as: UInt32.self) }, sinPort: port))
    case "in_addr":
      return .inAddr(a.isEmpty ? 0 : UInt32(truncatingIfNeeded: try integer(a[0])))
    case "addrinfo":
      return .addressHints(
        family: a.count > 0 ? try int32(a[0]) : 0, socketType: a.count > 1 ? try int32(a[1]) : 0,
        flags: a.count > 2 ? try int32(a[2]) : 0)
    default:
      throw ScriptError("\(name)() is not a builder", at: place)
    }
  }

  /// libowfat's `const char ip[16]`: an in6_addr value, V6loopback/V6any, or IPv6 text.
  private mutating func ip6(_ expr: Expr) throws(ScriptError) -> [UInt8] {
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
  private mutating func port(_ expr: Expr) throws(ScriptError) -> UInt16 {
    let value = try integer(expr)
    guard (0...65535).contains(value) else {
      throw ScriptError(
        "\(value) is not a port", at: expr.location,
        hint: "ports go from 0 to 65535; libowfat takes them in host order, without htons()")
    }
    return UInt16(value)
  }

  /// A port field value: what the script passes is stored as is (so a forgotten htons shows).
  private mutating func portField(_ expr: Expr) throws(ScriptError) -> UInt16 {
    let value = try integer(expr)
    guard (0...65535).contains(value) else {
      throw ScriptError("\(value) does not fit in the 16-bit port field", at: expr.location, hint: "write htons(PORT)")
    }
    return UInt16(value)
  }

  // MARK: - Kernel queries

  private mutating func query(_ name: String, _ a: [Expr], at place: SourceLocation) throws(ScriptError) -> (CallRecord?, Value) {
    let fd = try int32(a[0], "a descriptor")
    let start = MonotonicClock.nanoseconds()
    let deadline = start + evaluator.stateWait
    var waited = false
    while true {
      let (result, shown) = try sample(name, fd, at: a[0].location)
      let satisfied: Bool
      switch expectation {
      case .state(let state)?: satisfied = shown == state.description
      case .value(.integer(let n, _))?: satisfied = result == .int(n)
      case .value(.string(let bytes, _))?: satisfied = shown == String(decoding: bytes, as: UTF8.self)
      default: satisfied = true
      }
      let now = MonotonicClock.nanoseconds()
      if satisfied || now >= deadline {
        if waited {
          note =
            satisfied
            ? "after \(formatDuration(nanoseconds: now - start))"
            : "still \(shown) after \(formatDuration(nanoseconds: now - start))"
        }
        let record = CallRecord(function: name, call: "\(name)(\(fd))", result: result, error: nil, nanoseconds: now - start)
        return (record, CallContext.value(of: record))
      }
      waited = true
      kernel.pause(milliseconds: 2)
    }
  }

  private func sample(_ name: String, _ fd: Int32, at place: SourceLocation) throws(ScriptError) -> (ReturnValue, String) {
    let open = environment.owns(fd)
    switch name {
    case "tcp_state":
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
    case "wchan":
      let function = environment.sleepingIn(fd: fd)
      return (.string(function), function ?? "NULL")
    default:
      guard open else {
        throw ScriptError("descriptor \(fd) is not an open socket of this lab", at: place, hint: "\(name)() needs an open socket")
      }
      let count = name == "pending" ? kernel.pendingBytes(fd: fd) : kernel.unsentBytes(fd: fd)
      guard let count else {
        throw ScriptError(
          "the kernel will not say how many bytes wait in descriptor \(fd)", at: place, hint: "it may be a listening socket")
      }
      return (.int(count), String(count))
    }
  }
}

extension CallContext {
  /// The state of a connection the kernel keeps without a descriptor, found by the addresses the
  /// socket `fd` last had.
  fileprivate func orphanTwin(of fd: Int32) -> TCPState? {
    guard let endpoints = environment.endpoints(of: fd), let local = endpoints.local, let peer = endpoints.peer else {
      return nil
    }
    guard let twin = kernel.tcpSocket(local: local, peer: peer), twin.inode == 0 else { return nil }
    return twin.state
  }
}

extension Expr {
  var strippingAddressOf: Expr {
    if case .addressOf(let inner, _) = self { return inner }
    return self
  }
}
