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

  var environment: Environment { evaluator.environment }
  var kernel: any KernelInspector { evaluator.kernel }

  /// Evaluates the statement's expression and returns the record of its call, if it is one.
  mutating func evaluateTop(_ expr: Expr) throws(ScriptError) -> (CallRecord?, Value) {
    if case .call(let name, let arguments, let place) = expr {
      let (record, value) = try call(name, arguments, at: place)
      // The result points into the actor's static buffer; a variable keeps the pointer, not a copy.
      if let definition = CallCatalog.definition(named: name), definition.traits.contains(.staticBuffer) {
        return (record, .sharedBuffer("\(name)@\(actor)"))
      }
      return (record, value)
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

  // MARK: - Calls

  mutating func call(_ name: String, _ a: [Expr], at place: SourceLocation) throws(ScriptError) -> (CallRecord?, Value) {
    guard let definition = CallCatalog.definition(named: name) else {
      throw ScriptError(
        "unknown call \(name)()", at: place, hint: CallCatalog.suggestion(for: name).map { "did you mean \($0)?" })
    }
    let spec = definition.spec
    guard spec.arities.contains(a.count) else {
      throw ScriptError(
        "\(name)() takes \(spec.arities.sorted().map(String.init).joined(separator: " or ")) arguments", at: place,
        hint: spec.signature)
    }
    switch definition.perform {
    case .value:
      // Not a C call, but shown like one so the transcript says what was checked.
      let value = try evaluate(a[0])
      let result: ReturnValue
      switch value {
      case .int(let n): result = .int(n)
      case .string(let bytes): result = .string(String(decoding: bytes, as: UTF8.self))
      default: result = .symbol(value.description)
      }
      let record = CallRecord(
        function: name, call: "\(name)(\(CRenderer().expression(a[0])))", result: result, error: nil, nanoseconds: 0)
      return (record, value)
    case .builder(let build):
      return (nil, try build(&self, a, place))
    case .query(let sample):
      return try query(name, a, sample)
    case .wire(let run):
      let record = try run(&self, a, place)
      return (record, Self.value(of: record))
    case .system(let run):
      // A socket about to close: its last addresses, for finding its TIME-WAIT afterwards.
      if definition.ownership == .closesDescriptor, let fd = try? int32(a[0]) { refresh(fd) }
      let record = try run(&self, a, place)
      try own(record, of: definition, a)
      return (record, Self.value(of: record))
    }
  }

  /// What the call did to ownership: a new descriptor belongs to the actor that made it, and a
  /// closed one is let go (after its last addresses are noted, for the TIME-WAIT that follows).
  private mutating func own(_ record: CallRecord, of definition: CallDefinition, _ a: [Expr]) throws(ScriptError) {
    switch definition.ownership {
    case .none: break
    case .opensDescriptor:
      guard let fd = record.result.intValue, fd >= 0, definition.succeeded(record) else { return }
      environment.opened(by: actor, Int32(fd))
      refresh(Int32(fd))
    case .closesDescriptor:
      if definition.succeeded(record) { environment.closed(try int32(a[0])) }
    }
  }

  private static func value(of record: CallRecord) -> Value {
    switch record.result {
    case .int(let n): return .int(n)
    case .string(let s?): return .string(Array(s.utf8))
    case .string(nil): return .null
    case .symbol(let s): return .string(Array(s.utf8))
    }
  }

  // MARK: - Kernel queries

  private mutating func query(
    _ name: String, _ a: [Expr], _ sample: (CallContext, Int32, SourceLocation) throws(ScriptError) -> (ReturnValue, String)
  ) throws(ScriptError) -> (CallRecord?, Value) {
    let fd = try int32(a[0], "a descriptor")
    let start = MonotonicClock.nanoseconds()
    let deadline = start + evaluator.stateWait
    var waited = false
    while true {
      let (result, shown) = try sample(self, fd, a[0].location)
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
}

extension Expr {
  var strippingAddressOf: Expr {
    if case .addressOf(let inner, _) = self { return inner }
    return self
  }
}
