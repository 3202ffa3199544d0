import SocketKit

extension CallDefinition {
  public static let setsockopt = CallDefinition(
    "setsockopt", ["fd", "level", "optname", "optval", "optlen"], arities: [4, 5],
    summary: "sets an option; the short form puts the value in place of the pointer", returns: "0, or -1",
    errors: [("ENOPROTOOPT", "no such option at that level for this protocol"), ("EINVAL", "a bad value or length")],
    layers: CallLayers(
      posix: "setsockopt(fd, level, name, &value, len): 0 or -1",
      bio: "BIO_listen/BIO_connect options (BIO_SOCK_REUSEADDR, NODELAY, KEEPALIVE, V6_ONLY)",
      kernel:
        "sosetopt(so, level, optname, m0): SOL_SOCKET options are handled by the socket layer, others passed to the protocol"),
    c: CForm(shortForm: { renderer, a in
      guard a.count == 4 else { return nil }
      var parts = a.map { renderer.expression($0) }
      if case .call(_, let inner, _) = a[3], inner.count == 2, CallCatalog.definition(of: a[3]) == .linger {
        parts[3] = "&(struct linger){ \(renderer.expression(inner[0])), \(renderer.expression(inner[1])) }"
        parts.append("sizeof(struct linger)")
      } else {
        parts[3] = "&(int){ \(parts[3]) }"
        parts.append("sizeof(int)")
      }
      return ([], parts)
    }),
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let level = try cx.int32(a[1])
      let option = try cx.int32(a[2])
      let value: OptionValue
      switch try cx.evaluate(a[3]) {
      case .int(let n): value = .int(Int32(truncatingIfNeeded: n))
      case .linger(let onoff, let seconds): value = .linger(onoff: onoff, seconds: seconds)
      case let other:
        throw ScriptError(
          "an option value must be a number or a linger, not \(other.kindName)", at: a[3].location,
          hint: "write 1, &one, or linger(1, 0)")
      }
      let length = a.count == 5 ? try cx.socklen(a[4]) : nil
      if let length, Int32(bitPattern: length) > SocketAPI.maximumOptionLength {
        throw ScriptError(
          "optlen \(length) is more than the option value holds", at: a[4].location,
          hint: "in C the kernel could read past the end of optval; pass sizeof the value, such as sizeof one")
      }
      return SocketAPI.setsockopt(fd: fd, level: level, option: option, value: value, length: length)
    })

  public static let getsockopt = CallDefinition(
    "getsockopt", ["fd", "level", "optname", "optval", "optlen"], arities: [3, 5], out: [3: .integer, 4: .addressLength],
    summary: "reads an option's current value", returns: "0 and the value, or -1",
    errors: [("ENOPROTOOPT", "no such option at that level")],
    layers: CallLayers(
      posix: "getsockopt(fd, level, name, &value, &len): 0 or -1",
      bio: "no general counterpart; BIO_sock_error() reads SO_ERROR",
      kernel: "sogetopt(so, level, optname, mp) returns the value in an mbuf"),
    c: CForm(shortForm: { renderer, a in
      guard a.count == 3 else { return nil }
      let declarations =
        renderer.declare("optval", "int") + renderer.declare("optlen", "socklen_t", initialiser: "sizeof optval")
      return (declarations, a.map { renderer.expression($0) } + ["&optval", "&optlen"])
    }),
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let (record, value) = SocketAPI.getsockopt(fd: fd, level: try cx.int32(a[1]), option: try cx.int32(a[2]))
      if a.count == 5 {
        switch value {
        case .int(let n)?: try cx.write(.int(Int(n)), to: a[3], cType: "int")
        case .linger(let onoff, let seconds)?:
          try cx.write(.linger(onoff: onoff, seconds: seconds), to: a[3], cType: "struct linger")
        case nil: try cx.write(.int(0), to: a[3], cType: "int")
        }
        try cx.write(.int(value?.size ?? 4), to: a[4], cType: "socklen_t")
      }
      return record
    })

  public static let linger = CallDefinition(
    "linger", ["onoff", "seconds"], summary: "a struct linger for SO_LINGER",
    returns: "a struct linger: {1, 0} makes close() reset the connection at once",
    c: CForm(build: { renderer, a, target in
      renderer.declare(
        target, "struct linger",
        initialiser: "{ .l_onoff = \(renderer.expression(a[0])), .l_linger = \(renderer.expression(a[1])) }")
    }),
    .builder { cx, a, _ throws(ScriptError) in .linger(onoff: try cx.int32(a[0]), seconds: try cx.int32(a[1])) })
}
