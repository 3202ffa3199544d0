import SocketKit

extension CallLayers {
  public static let socket = CallLayers(
    posix: "socket(domain, type, protocol) returns a descriptor",
    bio: "BIO_socket(domain, type, protocol, options): the descriptor, or INVALID_SOCKET",
    kernel:
      "socreate(dom, &so, type, proto) allocates a struct socket and attaches the protocol; the descriptor table then points a file at it"
  )
}

extension CallDefinition {
  public static let socket = CallDefinition(
    "socket", ["domain", "type", "protocol"], summary: "creates an endpoint and returns its descriptor",
    returns: "a new descriptor (the lowest number free), or -1",
    errors: [
      ("EPROTONOSUPPORT", "the protocol does not fit the type, e.g. SOCK_DGRAM with IPPROTO_TCP"),
      ("EAFNOSUPPORT", "the address family is not supported"), ("EMFILE", "the process has no descriptor numbers left"),
    ],
    layers: .socket, ownership: .opensDescriptor,
    .system { cx, a, _ throws(ScriptError) in
      SocketAPI.socket(domain: try cx.int32(a[0]), type: try cx.int32(a[1]), protocol: try cx.int32(a[2]))
    })
}
