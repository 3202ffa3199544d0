import SocketKit

extension CallDefinition {
  public static let buffer = CallDefinition(
    "buffer", ["size"], summary: "a char array of size bytes for recv and recvfrom",
    returns: "a char array of that many bytes, for recv() and recvfrom()",
    c: CForm(build: { renderer, a, target in
      renderer.declared[target] = "char[]"
      return [.declaration(type: "char", name: "\(target)[\(renderer.expression(a[0]))]", initialiser: nil)]
    }),
    .builder { cx, a, _ throws(ScriptError) in
      let size = try cx.integer(a[0])
      guard (1...1_048_576).contains(size) else {
        throw ScriptError("a buffer of \(size) bytes is not allowed", at: a[0].location, hint: "use 1 to 1048576 bytes")
      }
      return .buffer(contents: [], capacity: size)
    })

  public static let memset = CallDefinition(
    "memset", ["dest", "c", "n"], summary: "fills a variable with zero bytes: memset(&addr, 0, sizeof addr)",
    returns: "its first argument; the variable it points at is now all zero bytes",
    c: CForm(build: { _, _, target in [.statement("memset(&\(target), 0, sizeof \(target))")] }),
    .builder { cx, a, _ throws(ScriptError) in
      // memset(&x, 0, sizeof x): the variable, zeroed (an address keeps its family, as the
      // struct's type does in C).
      guard case .addressOf(let inner, _) = a[0], let name = inner.rootName, let old = cx.environment.variable(name)?.value
      else {
        throw ScriptError("memset needs the address of a variable", at: a[0].location, hint: "write memset(&addr, 0, sizeof addr)")
      }
      guard try cx.integer(a[1]) == 0 else {
        throw ScriptError("the lab's memset fills with 0 only", at: a[1].location, hint: "write memset(&addr, 0, sizeof addr)")
      }
      switch old {
      case .socketAddress(.ipv6?): return .socketAddress(.emptyIPv6())
      case .socketAddress: return .socketAddress(.emptyIPv4())
      // In C the array now holds capacity zero bytes, all of which send() may pass.
      case .buffer(_, let capacity): return .buffer(contents: [UInt8](repeating: 0, count: capacity), capacity: capacity)
      case .int: return .int(0)
      default: return old
      }
    })

  public static let value = CallDefinition(
    "value", ["expr"], summary: "shows what an expression or variable holds, so a line can check it: value(optval) = 1",
    returns: "what the expression holds now, so a line can check it", .value)
}
