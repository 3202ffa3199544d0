import SocketKit

extension CallDefinition {
  public static let inet_aton = CallDefinition(
    "inet_aton", ["cp", "inp"], out: [1: .inAddr], summary: "parses dotted text into a struct in_addr; 1 if valid, 0 if not",
    returns: "1 if the text is an address, 0 if not (never -1, no errno)", failure: .zeroIsInvalid,
    traits: [.libraryCall, .showsInAddressPane],
    .system { cx, a, _ throws(ScriptError) in
      let (record, sAddr) = SocketAPI.inet_aton(try cx.text(a[0]))
      if let sAddr { try cx.write(.inAddr(sAddr), to: a[1], cType: "struct in_addr") }
      return record
    })

  public static let inet_addr = CallDefinition(
    "inet_addr", ["cp"], summary: "parses dotted text into an in_addr_t; INADDR_NONE if invalid (same as 255.255.255.255)",
    returns: "the address in network order, or INADDR_NONE (also 255.255.255.255!)", failure: .never, traits: .libraryCall,
    c: CForm(resultType: "in_addr_t"),
    .system { cx, a, _ throws(ScriptError) in SocketAPI.inet_addr(try cx.text(a[0])) })

  public static let inet_ntoa = CallDefinition(
    "inet_ntoa", ["in"], summary: "writes a struct in_addr as dotted text in a static buffer",
    returns: "a pointer to a static buffer that the next call overwrites", failure: .never,
    traits: [.libraryCall, .showsInAddressPane, .returnsText, .staticBuffer], c: CForm(resultType: "char *"),
    .system { cx, a, _ throws(ScriptError) in
      let record: CallRecord
      switch try cx.evaluate(a[0]) {
      case .inAddr(let sAddr): record = SocketAPI.inet_ntoa(sAddr)
      case .int(let n): record = SocketAPI.inet_ntoa(UInt32(truncatingIfNeeded: n))
      case let other:
        throw ScriptError(
          "inet_ntoa() needs a struct in_addr, not \(other.kindName)", at: a[0].location, hint: "pass addr.sin_addr")
      }
      if case .string(let text?) = record.result { cx.environment.setSharedBuffer("inet_ntoa@\(cx.actor)", Array(text.utf8)) }
      return record
    })

  public static let inet_pton = CallDefinition(
    "inet_pton", ["af", "src", "dst"], out: [2: .ipAddress], summary: "parses IPv4 or IPv6 text; 1 if valid, 0 if not",
    returns: "1 valid, 0 not an address of that family, -1 bad family", errors: [("EAFNOSUPPORT", "unknown family")],
    failure: .zeroIsInvalid, traits: .libraryCall,
    .system { cx, a, _ throws(ScriptError) in
      let family = try cx.int32(a[0])
      let (record, parsed) = SocketAPI.inet_pton(family: family, text: try cx.text(a[1]))
      if let parsed {
        try cx.write(
          parsed.count == 4 ? .inAddr(parsed.withUnsafeBytes { $0.load(as: UInt32.self) }) : .in6Addr(parsed), to: a[2],
          cType: parsed.count == 4 ? "struct in_addr" : "struct in6_addr")
      }
      return record
    })

  public static let inet_ntop = CallDefinition(
    "inet_ntop", ["af", "src", "dst", "size"], arities: [2, 4], out: [2: .buffer],
    summary: "writes an IPv4 or IPv6 address as text", returns: "the text, or NULL",
    errors: [("ENOSPC", "the buffer is too small")], failure: .nullPointer, traits: [.libraryCall, .returnsText],
    c: CForm(resultType: "const char *", shortForm: { renderer, a in
      guard a.count == 2 else { return nil }
      return ([], a.map { renderer.expression($0) } + ["(char[INET6_ADDRSTRLEN]){ 0 }", "INET6_ADDRSTRLEN"])
    }),
    .system { cx, a, _ throws(ScriptError) in
      let family = try cx.int32(a[0])
      let raw: [UInt8]
      switch try cx.evaluate(a[1]) {
      case .inAddr(let sAddr): raw = withUnsafeBytes(of: sAddr) { Array($0) }
      case .in6Addr(let bytes): raw = bytes
      case .socketAddress(let address?): raw = address.addressBytes
      case let other:
        throw ScriptError(
          "inet_ntop() needs an in_addr or in6_addr, not \(other.kindName)", at: a[1].location, hint: "pass &addr.sin_addr")
      }
      let record = SocketAPI.inet_ntop(family: family, bytes: raw)
      if a.count == 4, case .string(let text?) = record.result {
        try cx.write(.buffer(contents: Array(text.utf8), capacity: 1024), to: a[2], cType: "char[1024]")
      }
      return record
    })
}
