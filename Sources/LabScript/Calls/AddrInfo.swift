import SocketKit

extension CallDefinition {
  public static let getaddrinfo = CallDefinition(
    "getaddrinfo", ["node", "service", "hints", "res"], out: [3: .addressList],
    summary: "turns a numeric host or localhost and a port into socket addresses",
    returns: "0 and a list of addresses, or an EAI_ code (not -1, not errno)",
    errors: [("EAI_NONAME", "not a numeric host (the lab does not use DNS)")], failure: .errorCode, traits: .libraryCall,
    .system { cx, a, _ throws(ScriptError) in
      var family: Int32 = 0
      var socketType: Int32 = 0
      var flags: Int32 = 0
      if case .addressHints(let hintFamily, let hintType, let hintFlags) = try cx.evaluate(a[2]) {
        family = hintFamily
        socketType = hintType
        flags = hintFlags
      }
      let (record, list) = SocketAPI.getaddrinfo(
        host: try cx.optionalText(a[0]), service: try cx.optionalText(a[1]), family: family, socketType: socketType,
        flags: flags)
      try cx.write(.addressList(list), to: a[3], cType: "struct addrinfo *")
      return record
    })

  public static let freeaddrinfo = CallDefinition(
    "freeaddrinfo", ["res"], summary: "frees the list getaddrinfo returned",
    returns: "nothing; the list may no longer be used", failure: .never, traits: .libraryCall, c: CForm(resultType: "void"),
    .system { cx, a, _ throws(ScriptError) in cx.pure("freeaddrinfo", a[0].rootName ?? "res", 0) })

  public static let addrinfo = CallDefinition(
    "addrinfo", ["family", "socktype", "flags"], arities: [0, 1, 2, 3], summary: "hints for getaddrinfo",
    returns: "a struct addrinfo with only the hints set (family, socket type, flags)",
    c: CForm(build: { renderer, a, target in
      let fields = ["ai_family", "ai_socktype", "ai_flags"]
      let parts = zip(fields, a).map { ".\($0) = \(renderer.expression($1))" }
      return renderer.declare(target, "struct addrinfo", initialiser: "{ \(parts.joined(separator: ", ")) }")
    }),
    .builder { cx, a, _ throws(ScriptError) in
      .addressHints(
        family: a.count > 0 ? try cx.int32(a[0]) : 0, socketType: a.count > 1 ? try cx.int32(a[1]) : 0,
        flags: a.count > 2 ? try cx.int32(a[2]) : 0)
    })

  public static let strlen = CallDefinition(
    "strlen", ["s"], summary: "the length of a string", returns: "the number of bytes before the terminating zero",
    failure: .never, traits: .libraryCall, c: CForm(resultType: "size_t"),
    .system { cx, a, _ throws(ScriptError) in
      let bytes = try cx.bytes(a[0])
      return cx.pure("strlen", Value.string(bytes).description, bytes.count)
    })
}
