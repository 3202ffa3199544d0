import SocketKit

/// Whether a line's result matched what the line said it would be.
public enum Verdict: Sendable, Equatable {
  /// The line stated no expectation.
  case unchecked
  case held
  case failed(expected: String, actual: String)
  /// A `= ?` line: the learner predicts; the result is recorded, not checked.
  case predicted(actual: String)

  public var isFailure: Bool {
    if case .failed = self { return true }
    return false
  }
}

/// What running one statement did.
public struct StepOutcome: Sendable, Equatable {
  /// The call as it happened; nil for a plain assignment such as `one = 1`.
  public var record: CallRecord?
  /// What the expression evaluated to (the call's return value, or the value assigned).
  public var value: Value
  public var verdict: Verdict
  /// Something worth saying beside the result, such as how long a state took to arrive.
  public var note: String?
  /// The descriptor `accept()` returned, when its peer is a program outside the lab: a program
  /// that connected before the lab's own client took the place in the queue.
  public var acceptedFromOutside: Int32?
}

/// Runs statements for real against the kernel. One evaluator serves one session; it is safe to
/// call from several actors' threads at once, since all shared state lives in the `Environment`.
public struct Evaluator: Sendable {
  public let environment: Environment
  public let kernel: any KernelInspector
  /// How long a kernel-state assertion waits for the state it expects.
  public var stateWait: UInt64 = 1_000_000_000

  public init(environment: Environment, kernel: any KernelInspector = Kernel.current) {
    self.environment = environment
    self.kernel = kernel
  }

  // MARK: - Statements

  public func run(_ statement: Statement) throws(ScriptError) -> StepOutcome {
    // A kernel query waits for the state it expects; at a prediction point, for the lesson's answer.
    let awaited = statement.expectation == .prediction ? statement.answer : statement.expectation
    var context = CallContext(evaluator: self, expectation: awaited, actor: statement.actorName)
    let (record, value) = try context.evaluateTop(statement.expression)
    if let target = statement.target {
      try assign(value, to: target, from: statement.expression)
    }
    let verdict = try judge(statement, record: record, value: value)
    return StepOutcome(
      record: record, value: value, verdict: verdict, note: context.note, acceptedFromOutside: context.acceptedFromOutside)
  }

  private func judge(_ statement: Statement, record: CallRecord?, value: Value) throws(ScriptError) -> Verdict {
    let actual = record?.resultText ?? value.description
    guard let expectation = statement.expectation else { return .unchecked }
    if expectation == .prediction, let answer = statement.answer {
      var checked = statement
      checked.expectation = answer
      checked.answer = nil
      if case .failed(let expected, _) = try judge(checked, record: record, value: value) {
        return .failed(expected: "\(expected) (the lesson's answer)", actual: actual)
      }
      return .predicted(actual: actual)
    }
    let returned = record?.result.intValue ?? { if case .int(let v) = value { return v } else { return nil } }()
    switch expectation {
    case .prediction:
      return .predicted(actual: actual)
    case .anyDescriptor:
      return (returned ?? -1) >= 0 && record?.error == nil ? .held : .failed(expected: "a descriptor (0 or more)", actual: actual)
    case .error(let name):
      let matches = record?.error.map { $0.name == name || SystemError.named(name)?.code == $0.code } ?? false
      return matches ? .held : .failed(expected: "-1 \(name)", actual: actual)
    case .failure(let value, let name):
      let matches =
        returned == value && (record?.error.map { $0.name == name || SystemError.named(name)?.code == $0.code } ?? false)
      return matches ? .held : .failed(expected: "\(value) \(name)", actual: actual)
    case .state(let state):
      return actual == state.description ? .held : .failed(expected: state.description, actual: actual)
    case .wire(let wire):
      switch wire {
      case .segments:
        return actual == wire.description ? .held : .failed(expected: wire.description, actual: actual)
      case .count(let n):
        return returned == n ? .held : .failed(expected: String(n), actual: actual)
      case .about(let ms, let within):
        guard let got = Int(actual.dropLast(2)), actual.hasSuffix("ms") else { return .failed(expected: wire.description, actual: actual) }
        return abs(got - ms) <= within ? .held : .failed(expected: wire.description, actual: actual)
      }
    case .value(let expr):
      var context = CallContext(evaluator: self, expectation: nil, actor: statement.actorName)
      let expected = try context.evaluate(expr)
      switch (expected, record?.result) {
      case (.int(let e), .int(let r)?):
        return e == r ? .held : .failed(expected: String(e), actual: actual)
      case (.string(let e), .string(let r)?):
        let text = String(decoding: e, as: UTF8.self)
        return text == r ? .held : .failed(expected: Value.string(e).description, actual: actual)
      case (.int(let e), nil):
        return returned == e ? .held : .failed(expected: String(e), actual: actual)
      default:
        return expected.description == actual ? .held : .failed(expected: expected.description, actual: actual)
      }
    }
  }

  // MARK: - Assignment

  /// Stores `value` in a variable or a field, declaring the variable with the C type the value
  /// came from.
  func assign(_ value: Value, to target: Expr, from expression: Expr?) throws(ScriptError) {
    switch target {
    case .name(let name, _):
      environment.set(name, Variable(value: value, cType: Self.cType(of: value, from: expression)))
    case .field(let base, let field, let place):
      guard let root = base.rootName, var variable = environment.variable(root) else {
        throw ScriptError(
          "cannot assign to this field", at: place, hint: "assign to a field of a variable, such as addr.sin_port")
      }
      variable.value = try Fields.set(field, path: Self.path(of: base), of: variable.value, to: value, at: place)
      environment.set(root, variable)
    case .addressOf(let inner, _):
      try assign(value, to: inner, from: expression)
    default:
      throw ScriptError("cannot assign to this", at: target.location, hint: "assign to a variable or a field")
    }
  }

  /// The fields between a variable and an expression: `["sin_addr"]` for `addr.sin_addr`.
  static func path(of expr: Expr) -> [String] {
    switch expr {
    case .field(let base, let field, _): return path(of: base) + [field]
    case .addressOf(let inner, _): return path(of: inner)
    default: return []
    }
  }

  static func cType(of value: Value, from expression: Expr?) -> String {
    switch value {
    case .int:
      // What the call returns in C: uint16_t from htons(), in_addr_t (a uint32_t) from inet_addr().
      switch CallCatalog.definition(of: expression)?.c.resultType {
      case "uint16_t"?: return "uint16_t"
      case "in_addr_t"?: return "uint32_t"
      default: return "int"
      }
    case .string: return "const char *"
    case .socketAddress(let address):
      switch address {
      case .ipv4?: return "struct sockaddr_in"
      case .ipv6?: return "struct sockaddr_in6"
      case nil: return "struct sockaddr_storage"
      }
    case .inAddr: return "struct in_addr"
    case .in6Addr: return "struct in6_addr"
    case .buffer(_, let capacity): return "char[\(capacity)]"
    case .linger: return "struct linger"
    case .pollSet(let entries): return entries.count == 1 ? "struct pollfd" : "struct pollfd[]"
    case .addressList: return "struct addrinfo *"
    case .addressHints: return "struct addrinfo"
    case .sharedBuffer: return "char *"
    case .null: return "void *"
    }
  }
}

/// Reading and writing the fields of structures the language knows.
enum Fields {
  static func get(_ field: String, of value: Value, at place: SourceLocation) throws(ScriptError) -> Value {
    switch (value, field) {
    case (.socketAddress(let address?), "sin_family"), (.socketAddress(let address?), "sin6_family"),
      (.socketAddress(let address?), "ss_family"):
      return .int(Int(address.family))
    case (.socketAddress(let address?), "sin_port"), (.socketAddress(let address?), "sin6_port"):
      return .int(Int(address.sinPort))
    case (.socketAddress(.ipv4(let sin)?), "sin_addr"):
      return .inAddr(sin.sin_addr.s_addr)
    case (.socketAddress(let address?), "sin6_addr") where address.family == AF_INET6_VALUE:
      return .in6Addr(address.addressBytes)
    case (.socketAddress(let address?), "sin6_scope_id"):
      return .int(Int(address.scopeID))
    case (.socketAddress(.ipv6(let sin6)?), "sin6_flowinfo"):
      return .int(Int(sin6.sin6_flowinfo))
    case (.inAddr(let sAddr), "s_addr"):
      return .int(Int(sAddr))
    case (.pollSet(let entries), "fd") where !entries.isEmpty: return .int(Int(entries[0].fd))
    case (.pollSet(let entries), "events") where !entries.isEmpty: return .int(Int(entries[0].events))
    case (.pollSet(let entries), "revents") where !entries.isEmpty: return .int(Int(entries[0].revents))
    case (.addressList(let list), "ai_addr") where !list.isEmpty: return .socketAddress(list[0].address)
    case (.addressList(let list), "ai_addrlen") where !list.isEmpty: return .int(list[0].address.size)
    case (.addressList(let list), "ai_family") where !list.isEmpty: return .int(Int(list[0].family))
    case (.addressList(let list), "ai_socktype") where !list.isEmpty: return .int(Int(list[0].socketType))
    case (.addressList(let list), "ai_protocol") where !list.isEmpty: return .int(Int(list[0].protocolNumber))
    case (.linger(let onoff, _), "l_onoff"): return .int(Int(onoff))
    case (.linger(_, let seconds), "l_linger"): return .int(Int(seconds))
    case (.socketAddress(nil), _):
      throw ScriptError("the address is still empty", at: place, hint: "nothing has been written into it yet")
    default:
      throw ScriptError("\(value.kindName) has no field \(field)", at: place, hint: hint(for: value))
    }
  }

  static func set(
    _ field: String, path: [String], of value: Value, to newValue: Value, at place: SourceLocation
  )
    throws(ScriptError) -> Value
  {
    let fields = path + [field]
    func int() throws(ScriptError) -> Int {
      guard case .int(let n) = newValue else {
        throw ScriptError("\(field) needs a number, not \(newValue.kindName)", at: place, hint: "for example htons(PORT)")
      }
      return n
    }
    switch (value, fields) {
    case (.socketAddress(var address?), ["sin_port"]), (.socketAddress(var address?), ["sin6_port"]):
      let port = try int()
      guard (0...65535).contains(port) else {
        throw ScriptError("\(port) does not fit in a 16-bit port field", at: place, hint: "ports go from 0 to 65535")
      }
      address.sinPort = UInt16(port)
      return .socketAddress(address)
    case (.socketAddress(.ipv4(var sin)?), ["sin_addr"]):
      guard case .inAddr(let sAddr) = newValue else {
        throw ScriptError("sin_addr needs a struct in_addr", at: place, hint: "use inet_aton(\"127.0.0.1\", &addr.sin_addr)")
      }
      sin.sin_addr.s_addr = sAddr
      return .socketAddress(.ipv4(sin))
    case (.socketAddress(.ipv4(var sin)?), ["sin_addr", "s_addr"]):
      sin.sin_addr.s_addr = UInt32(truncatingIfNeeded: try int())
      return .socketAddress(.ipv4(sin))
    case (.socketAddress(let address?), ["sin_family"]), (.socketAddress(let address?), ["sin6_family"]):
      guard try int() == Int(address.family) else {
        throw ScriptError(
          "this structure's family is \(address.family == AF_INET6_VALUE ? "AF_INET6" : "AF_INET")", at: place,
          hint: "build an IPv6 address with sockaddr_in6() and an IPv4 one with sockaddr_in()")
      }
      return value
    case (.socketAddress(.ipv6(let sin6)?), ["sin6_addr"]):
      guard case .in6Addr(let bytes) = newValue else {
        throw ScriptError(
          "sin6_addr needs a struct in6_addr", at: place, hint: "use inet_pton(AF_INET6, \"::1\", &addr.sin6_addr)")
      }
      return .socketAddress(
        .ipv6(bytes: bytes, sinPort: sin6.sin6_port, scopeID: sin6.sin6_scope_id, flowInfo: sin6.sin6_flowinfo))
    case (.socketAddress(.ipv6(var sin6)?), ["sin6_scope_id"]):
      sin6.sin6_scope_id = UInt32(truncatingIfNeeded: try int())
      return .socketAddress(.ipv6(sin6))
    case (.socketAddress(.ipv6(var sin6)?), ["sin6_flowinfo"]):
      sin6.sin6_flowinfo = UInt32(truncatingIfNeeded: try int())
      return .socketAddress(.ipv6(sin6))
    case (.inAddr, ["s_addr"]):
      return .inAddr(UInt32(truncatingIfNeeded: try int()))
    case (.pollSet(var entries), ["events"]) where !entries.isEmpty:
      entries[0].events = Int16(truncatingIfNeeded: try int())
      return .pollSet(entries)
    case (.pollSet(var entries), ["fd"]) where !entries.isEmpty:
      entries[0].fd = Int32(truncatingIfNeeded: try int())
      return .pollSet(entries)
    case (.linger(_, let seconds), ["l_onoff"]):
      return .linger(onoff: Int32(truncatingIfNeeded: try int()), seconds: seconds)
    case (.linger(let onoff, _), ["l_linger"]):
      return .linger(onoff: onoff, seconds: Int32(truncatingIfNeeded: try int()))
    default:
      throw ScriptError("cannot set \(fields.joined(separator: ".")) of \(value.kindName)", at: place, hint: hint(for: value))
    }
  }

  static func hint(for value: Value) -> String {
    switch value {
    case .socketAddress(.ipv4?): return "a sockaddr_in has sin_family, sin_port, sin_addr (and sin_addr.s_addr)"
    case .socketAddress(.ipv6?): return "a sockaddr_in6 has sin6_family, sin6_port, sin6_addr, sin6_scope_id, sin6_flowinfo"
    case .inAddr: return "a struct in_addr has s_addr"
    case .pollSet: return "a struct pollfd has fd, events, revents"
    case .addressList: return "an addrinfo has ai_addr, ai_addrlen, ai_family, ai_socktype, ai_protocol"
    case .linger: return "a struct linger has l_onoff and l_linger"
    default: return "only structures have fields"
    }
  }
}
