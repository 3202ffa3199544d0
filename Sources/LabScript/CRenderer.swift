import SocketKit

/// One line of C, by what it is, so that exports decide by structure and never by reading text.
public enum CLine: Sendable, Hashable {
  /// `struct sockaddr_in addr;`, `socklen_t len = sizeof addr;`
  case declaration(type: String, name: String, initialiser: String?)
  /// A statement that is not the line's call: `memset(&addr, 0, sizeof addr)`, `addr.sin_port = ...`.
  case statement(String, comment: String? = nil)
  /// The line's own call, and what it assigns to.
  case call(CCall)
  /// `/* check: ... */`
  case comment(String)

  /// The line as C source.
  public var text: String {
    switch self {
    case .declaration(let type, let name, let initialiser):
      let declared = CRenderer.declaration(type, name)
      return initialiser.map { "\(declared) = \($0);" } ?? "\(declared);"
    case .statement(let code, let comment):
      return comment.map { "\(code);  /* \($0) */" } ?? "\(code);"
    case .call(let call): return call.statement + ";"
    case .comment(let text): return "/* \(text) */"
    }
  }
}

/// What a call line's result goes into.
public enum CTarget: Sendable, Hashable {
  /// A variable declared by this line: `int s = socket(...)`.
  case declare(type: String, name: String)
  /// An existing variable or field: `addr.sin_port = htons(PORT)`.
  case assign(String)
}

/// A call as C: the function, its arguments written out, and where its result goes.
public struct CCall: Sendable, Hashable {
  public var function: String
  public var arguments: [String]
  public var target: CTarget?
  /// The line's definition, when the function is a call the lab knows (not a bare expression).
  public var isCall: Bool

  /// `socket(AF_INET, SOCK_STREAM, 0)`
  public var expression: String { isCall ? "\(function)(\(arguments.joined(separator: ", ")))" : function }

  /// `int s = socket(...)`, without the final `;`.
  public var statement: String {
    switch target {
    case .declare(let type, let name)?: return "\(CRenderer.declaration(type, name)) = \(expression)"
    case .assign(let lvalue)?: return "\(lvalue) = \(expression)"
    case nil: return expression
    }
  }
}

/// Renders call lines as C: declarations on first use, `(struct sockaddr *)` casts, `sizeof`.
///
/// The lines of a script rendered in order, with the declarations they introduce, read as the
/// body of a C program; the code pane shows them and export wraps them in `main`.
public struct CRenderer: Sendable {
  /// Names declared so far, with their C types.
  public internal(set) var declared: [String: String] = [:]

  public init() {}

  /// Renders a whole script, one group of C lines per statement.
  public static func render(_ script: Script) -> [[String]] {
    var renderer = CRenderer()
    return script.statements.map { renderer.render($0) }
  }

  /// The C text for one statement: any declarations it needs, then the statement itself.
  public mutating func render(_ statement: Statement) -> [String] { lines(statement).map(\.text) }

  /// The C for one statement, by structure.
  public mutating func lines(_ statement: Statement) -> [CLine] {
    let definition = CallCatalog.definition(of: statement.expression)
    guard let definition, case .call(_, let arguments, _) = statement.expression else {
      return [.call(assignment(statement, CCall(function: expression(statement.expression), arguments: [], isCall: false)))]
    }
    switch definition.perform {
    case .builder:
      guard case .name(let target, _)? = statement.target, let build = definition.c.build else { break }
      // `struct sockaddr_in addr;` typed as C stays that one line, as typed.
      if arguments.isEmpty, let typed = CDeclarations.declaredType(in: statement.source), typed.hasPrefix("struct ") {
        return declare(target, typed)
      }
      return build(&self, arguments, target)
    case .value:
      return [.comment("check: \(arguments.first.map { expression($0) } ?? "")")]
    case .query:
      return definition.c.query?(&self, arguments, statement.target) ?? []
    case .wire:
      // The lab's relay between its hosts: a program on one machine has no such hand.
      var said = statement.source
      if case .wire(let expected)? = statement.expectation { said += " = \(expected)" }
      return [.comment("on the lab's wire: \(said) (no C counterpart)")]
    case .system:
      break
    }
    var lines = declareOutParameters(definition, arguments)
    let call: CCall
    if let short = definition.c.shortForm?(&self, arguments) {
      lines += short.declarations
      call = CCall(function: definition.name, arguments: short.arguments, isCall: true)
    } else {
      call = CCall(function: definition.name, arguments: self.arguments(definition, arguments), isCall: true)
    }
    return lines + [.call(assignment(statement, call))]
  }

  /// The call with its target: a new variable is declared with the call's C type.
  private mutating func assignment(_ statement: Statement, _ call: CCall) -> CCall {
    var call = call
    guard let target = statement.target else { return call }
    if case .name(let name, _) = target, declared[name] == nil {
      let type = CDeclarations.declaredType(in: statement.source) ?? staticType(of: statement.expression)
      declared[name] = type
      call.target = .declare(type: type, name: name)
    } else {
      call.target = .assign(expression(target))
    }
    return call
  }

  // MARK: - Declarations

  /// `int s`, `char buf[1024]`, `struct addrinfo *res`: a C declaration of `name` with `type`.
  public static func declaration(_ type: String, _ name: String) -> String {
    if type.hasPrefix("char["), type.hasSuffix("]") { return "char \(name)\(type.dropFirst(4))" }
    if type.hasSuffix("*") { return "\(type)\(name)" }
    return "\(type) \(name)"
  }

  public func declaration(_ type: String, _ name: String) -> String { Self.declaration(type, name) }

  /// Declares `name` once; a name already declared, a builtin or a constant gives no line.
  public mutating func declare(_ name: String, _ type: String, initialiser: String? = nil) -> [CLine] {
    guard declared[name] == nil, !Parser.builtins.contains(name), SocketConstants.named(name) == nil else { return [] }
    declared[name] = type
    return [.declaration(type: type, name: name, initialiser: initialiser)]
  }

  private mutating func declareOutParameters(_ definition: CallDefinition, _ arguments: [Expr]) -> [CLine] {
    var lines: [CLine] = []
    for (index, kind) in definition.spec.outParameters.sorted(by: { $0.key < $1.key }) where index < arguments.count {
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
    return lines
  }

  /// The C type a variable gets from the expression that first gives it a value.
  private func staticType(of expression: Expr) -> String {
    switch expression {
    case .string: return "const char *"
    case .call(let name, _, _): return CallCatalog.definition(named: name)?.c.resultType ?? "int"
    case .name(let name, _): return declared[name] ?? "int"
    // A size kept in a variable is most often an address length for accept() or recvfrom().
    case .sizeof: return "socklen_t"
    default: return "int"
    }
  }

  // MARK: - Expressions

  /// An expression as C.
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
    case .call(let name, let arguments, _):
      guard let definition = CallCatalog.definition(named: name) else {
        return "\(name)(\(arguments.map { expression($0) }.joined(separator: ", ")))"
      }
      return "\(name)(\(self.arguments(definition, arguments).joined(separator: ", ")))"
    }
  }

  /// The arguments as C, with `(struct sockaddr *)` casts where the call takes a generic address.
  private func arguments(_ definition: CallDefinition, _ a: [Expr]) -> [String] {
    a.enumerated().map { index, argument in
      let text = expression(argument)
      if definition.c.addressArguments.contains(index), case .addressOf = argument { return "(struct sockaddr *)" + text }
      return text
    }
  }
}

extension Expr {
  var asName: String? {
    if case .name(let name, _) = self { return name }
    return nil
  }
}
