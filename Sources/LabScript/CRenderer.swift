import SocketKit

/// Renders call lines as C: declarations on first use, `(struct sockaddr *)` casts, `sizeof`.
///
/// The lines of a script rendered in order, with the declarations they introduce, read as the
/// body of a C program; the code pane shows them and export wraps them in `main`.
public struct CRenderer: Sendable {
  /// Names declared so far, with their C types.
  public private(set) var declared: [String: String] = [:]

  public init() {}

  /// Renders a whole script, one group of C lines per statement.
  public static func render(_ script: Script) -> [[String]] {
    var renderer = CRenderer()
    return script.statements.map { renderer.render($0) }
  }

  /// The C lines for one statement: any declarations it needs, then the statement itself.
  public mutating func render(_ statement: Statement) -> [String] {
    var lines: [String] = []
    if case .call(let name, let arguments, _) = statement.expression {
      if let spec = CallCatalog.spec(named: name), spec.kind == .builder, case .name(let target, _)? = statement.target {
        // `struct sockaddr_in addr;` typed as C stays that one line, as typed.
        if arguments.isEmpty, let typed = CDeclarations.declaredType(in: statement.source), typed.hasPrefix("struct ") {
          return declare(target, typed)
        }
        return builder(name, arguments, into: target)
      }
      lines += declareOutParameters(name, arguments)
      if let spec = CallCatalog.spec(named: name), spec.kind == .kernelQuery {
        return lines + kernelQuery(name, arguments, target: statement.target)
      }
    }
    if case .call("value", let arguments, _) = statement.expression, arguments.count == 1 {
      return ["/* check: \(expression(arguments[0])) */"]
    }
    let call = expression(statement.expression, top: true)
    guard let target = statement.target else { return lines + ["\(call);"] }
    if case .name(let name, _) = target, declared[name] == nil {
      let type = CDeclarations.declaredType(in: statement.source) ?? staticType(of: statement.expression)
      declared[name] = type
      return lines + ["\(declaration(type, name)) = \(call);"]
    }
    return lines + ["\(expression(target)) = \(call);"]
  }

  // MARK: - Declarations

  /// `int s`, `char buf[1024]`, `struct addrinfo *res`: a C declaration of `name` with `type`.
  public func declaration(_ type: String, _ name: String) -> String {
    if type.hasPrefix("char["), type.hasSuffix("]") { return "char \(name)\(type.dropFirst(4))" }
    if type.hasSuffix("*") { return "\(type)\(name)" }
    return "\(type) \(name)"
  }

  private mutating func declare(_ name: String, _ type: String, initialiser: String? = nil) -> [String] {
    guard declared[name] == nil, !Parser.builtins.contains(name), SocketConstants.named(name) == nil else { return [] }
    declared[name] = type
    return [initialiser.map { "\(declaration(type, name)) = \($0);" } ?? "\(declaration(type, name));"]
  }

  private mutating func declareOutParameters(_ name: String, _ arguments: [Expr]) -> [String] {
    guard let spec = CallCatalog.spec(named: name) else { return [] }
    var lines: [String] = []
    for (index, kind) in spec.outParameters.sorted(by: { $0.key < $1.key }) where index < arguments.count {
      guard let variable = arguments[index].strippingAddressOf.asName else { continue }
      switch kind {
      case .socketAddress: lines += declare(variable, "struct sockaddr_storage")
      case .addressLength:
        let of = arguments[index - 1].strippingAddressOf.asName
        lines += declare(variable, "socklen_t", initialiser: of.map { "sizeof \($0)" } ?? "sizeof(struct sockaddr_storage)")
      case .buffer: lines += declare(variable, "char[1024]")
      case .integer: lines += declare(variable, "int")
      case .inAddr: lines += declare(variable, "struct in_addr")
      case .ipAddress:
        let isV6 = arguments.first.map { if case .name("AF_INET6", _) = $0 { return true } else { return false } } ?? false
        lines += declare(variable, isV6 ? "struct in6_addr" : "struct in_addr")
      case .addressList: lines += declare(variable, "struct addrinfo *")
      case .ip6: lines += declare(variable, "char[16]")
      case .uint16: lines += declare(variable, "uint16")
      case .uint32: lines += declare(variable, "uint32")
      case .bioAddress: lines += declare(variable, "BIO_ADDR *", initialiser: "BIO_ADDR_new()")
      }
    }
    if (name == "getsockname" || name == "getpeername") && arguments.count == 1 {
      lines += declare("name", "struct sockaddr_storage")
      lines += declare("namelen", "socklen_t", initialiser: "sizeof name")
    }
    if name == "getsockopt" && arguments.count == 3 {
      lines += declare("optval", "int")
      lines += declare("optlen", "socklen_t", initialiser: "sizeof optval")
    }
    return lines
  }

  /// The C type a variable gets from the expression that first gives it a value.
  private func staticType(of expression: Expr) -> String {
    switch expression {
    case .string: return "const char *"
    case .call(let name, _, _):
      switch name {
      case "inet_addr", "htonl", "ntohl": return "in_addr_t"
      case "htons", "ntohs": return "uint16_t"
      case "inet_ntoa": return "char *"
      case "inet_ntop": return "const char *"
      case "strlen": return "size_t"
      case "send", "recv", "sendto", "recvfrom": return "ssize_t"
      default: return "int"
      }
    case .name(let name, _): return declared[name] ?? "int"
    // A size kept in a variable is most often an address length for accept() or recvfrom().
    case .sizeof: return "socklen_t"
    default: return "int"
    }
  }

  // MARK: - Builders

  private mutating func builder(_ name: String, _ a: [Expr], into target: String) -> [String] {
    switch name {
    case "sockaddr_in", "sockaddr_in6":
      let v6 = name == "sockaddr_in6"
      var lines = declare(target, "struct \(name)")
      if lines.isEmpty { lines = [] }
      let p = v6 ? "sin6" : "sin"
      lines += ["memset(&\(target), 0, sizeof \(target));", "\(target).\(p)_family = \(v6 ? "AF_INET6" : "AF_INET");"]
      guard a.count >= 2 else { return lines }
      lines.append("\(target).\(p)_port = \(expression(a[1]));")
      switch a[0] {
      case .string:
        lines.append("inet_pton(\(v6 ? "AF_INET6" : "AF_INET"), \(expression(a[0])), &\(target).\(p)_addr);")
      case .name(let variable, _) where declared[variable]?.hasPrefix("struct in") == true:
        lines.append("\(target).\(p)_addr = \(variable);")
      default:
        lines.append(v6 ? "\(target).sin6_addr = \(expression(a[0]));" : "\(target).sin_addr.s_addr = \(expression(a[0]));")
      }
      if a.count == 3 { lines.append("\(target).sin6_scope_id = \(expression(a[2]));") }
      return lines
    case "memset":
      return ["memset(&\(target), 0, sizeof \(target));"]
    case "buffer":
      declared[target] = "char[]"
      return ["char \(target)[\(expression(a[0]))];"]
    case "linger":
      return declare(target, "struct linger", initialiser: "{ .l_onoff = \(expression(a[0])), .l_linger = \(expression(a[1])) }")
    case "pollfd":
      return declare(target, "struct pollfd", initialiser: "{ .fd = \(expression(a[0])), .events = \(expression(a[1])) }")
    case "pollfds":
      let entries = a.map { entry -> String in
        if case .call("pollfd", let inner, _) = entry, inner.count == 2 {
          return "{ .fd = \(expression(inner[0])), .events = \(expression(inner[1])) }"
        }
        return expression(entry)
      }
      declared[target] = "struct pollfd[]"
      return ["struct pollfd \(target)[] = { \(entries.joined(separator: ", ")) };"]
    case "bio_addr":
      var lines = declare(target, "BIO_ADDR *", initialiser: "BIO_ADDR_new()")
      let family = expression(a[0])
      lines.append(
        "{ unsigned char raw[16]; inet_pton(\(family), \(expression(a[1])), raw); BIO_ADDR_rawmake(\(target), \(family), raw, \(family) == AF_INET6 ? 16 : 4, \(expression(a[2]))); }"
      )
      return lines
    case "ip6":
      var lines = declare(target, "char[16]")
      lines.append("inet_pton(AF_INET6, \(expression(a[0])), \(target));")
      return lines
    case "in_addr":
      return declare(target, "struct in_addr", initialiser: "{ .s_addr = \(a.first.map { expression($0) } ?? "0") }")
    case "addrinfo":
      let fields = ["ai_family", "ai_socktype", "ai_flags"]
      let parts = zip(fields, a).map { ".\($0) = \(expression($1))" }
      return declare(target, "struct addrinfo", initialiser: "{ \(parts.joined(separator: ", ")) }")
    default:
      return ["/* \(name) */"]
    }
  }

  // MARK: - Kernel queries

  private mutating func kernelQuery(_ name: String, _ a: [Expr], target: Expr?) -> [String] {
    let fd = expression(a[0])
    switch name {
    case "tcp_state":
      var lines = declare("info", "struct tcp_info")
      lines += declare("infolen", "socklen_t", initialiser: "sizeof info")
      return lines + ["getsockopt(\(fd), IPPROTO_TCP, TCP_INFO, &info, &infolen);  /* info.tcpi_state */"]
    default:
      let variable = target?.asName ?? name
      let request = name == "pending" ? "FIONREAD" : "TIOCOUTQ"
      return declare(variable, "int") + ["ioctl(\(fd), \(request), &\(variable));"]
    }
  }

  // MARK: - Expressions

  /// An expression as C. At the top of a statement, calls get their casts and short forms expanded.
  public func expression(_ expr: Expr, top: Bool = false) -> String {
    switch expr {
    case .integer(let value, _): return String(value)
    case .string(let bytes, _): return "\"\(escapeBytes(bytes))\""
    case .name(let name, _): return name
    case .field(let base, let field, _):
      // A sockaddr_storage is read through the structure of its family, as C requires.
      if let name = base.asName, declared[name] == "struct sockaddr_storage", field.hasPrefix("sin") {
        return "((struct \(field.hasPrefix("sin6_") ? "sockaddr_in6" : "sockaddr_in") *)&\(name))->\(field)"
      }
      let arrow = base.asName.flatMap { declared[$0] }?.hasSuffix("*") == true
      return "\(expression(base))\(arrow ? "->" : ".")\(field)"
    case .addressOf(let inner, _): return "&\(expression(inner))"
    case .sizeof(.variable(let name), _): return "sizeof \(name)"
    case .sizeof(.type(let type), _): return "sizeof(\(type))"
    case .bitOr(let a, let b): return "\(expression(a)) | \(expression(b))"
    case .negate(let inner, _): return "-\(expression(inner))"
    case .call(let name, let arguments, _): return call(name, arguments)
    }
  }

  private func call(_ name: String, _ a: [Expr]) -> String {
    var parts = a.map { expression($0) }
    func cast(_ index: Int) {
      guard index < a.count else { return }
      if case .addressOf = a[index] { parts[index] = "(struct sockaddr *)\(parts[index])" }
    }
    switch name {
    case "bind", "connect", "accept", "accept4", "getsockname", "getpeername": cast(1)
    case "sendto", "recvfrom": cast(4)
    default: break
    }
    if (name == "getsockname" || name == "getpeername") && a.count == 1 {
      parts += ["(struct sockaddr *)&name", "&namelen"]
    }
    if name == "getsockopt" && a.count == 3 { parts += ["&optval", "&optlen"] }
    if name == "setsockopt" && a.count == 4 {
      if case .call("linger", let inner, _) = a[3], inner.count == 2 {
        parts[3] = "&(struct linger){ \(expression(inner[0])), \(expression(inner[1])) }"
        parts.append("sizeof(struct linger)")
      } else {
        parts[3] = "&(int){ \(parts[3]) }"
        parts.append("sizeof(int)")
      }
    }
    if name == "inet_ntop" && a.count == 2 { parts += ["(char[INET6_ADDRSTRLEN]){ 0 }", "INET6_ADDRSTRLEN"] }
    if name == "poll", case .addressOf(let inner, _) = a[0], let variable = inner.asName, declared[variable] == "struct pollfd[]"
    {
      parts[0] = variable
    }
    return "\(name)(\(parts.joined(separator: ", ")))"
  }
}

extension Expr {
  var asName: String? {
    if case .name(let name, _) = self { return name }
    return nil
  }
}
