import SocketKit

/// Parses the call language into statements, checking every name against what the lab knows, so
/// that mistakes are reported with their place before anything runs.
public enum Parser {
  /// Names every script may use without defining them: the ports the lab picks at the start.
  public static let builtins: Set<String> = ["PORT", "PORT2", "V6loopback", "V6any"]

  /// Fields the language lets a script read or set, by the C structure they belong to.
  public static let fieldNames: [String] = [
    "sin_family", "sin_port", "sin_addr", "s_addr", "sin_zero", "sin6_family", "sin6_port", "sin6_addr", "sin6_scope_id",
    "sin6_flowinfo", "ss_family", "fd", "events", "revents", "ai_addr", "ai_addrlen", "ai_family", "ai_socktype",
    "ai_protocol", "l_onoff", "l_linger",
  ]

  /// The longest line the parser reads, in bytes.
  public static let maximumLineLength = 4096
  /// How deeply expressions may nest (calls in calls, parentheses, `-`, operands of `|`). The
  /// parser, the checks, the evaluator and the C rendering all recurse over expressions, so this
  /// bound is what keeps any input from overflowing a thread's stack.
  public static let maximumNesting = 64

  /// Parses a whole script, stopping at the first problem.
  public static func parse(_ text: String, file: String? = nil) throws(ScriptError) -> Script {
    let (script, errors) = parseCollectingErrors(text, file: file)
    if let first = errors.first { throw first }
    return script
  }

  /// Parses a whole script and reports every line's problem, for the linter.
  public static func parseCollectingErrors(_ text: String, file: String? = nil, firstLine: Int = 1) -> (Script, [ScriptError]) {
    var known = builtins
    var statements: [Statement] = []
    var errors: [ScriptError] = []
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      do {
        if let statement = try parseLine(String(line), line: firstLine + index, known: &known) {
          statements.append(statement)
        }
      } catch {
        var located = error
        located.file = file
        errors.append(located)
      }
    }
    return (Script(statements: statements, file: file), errors)
  }

  /// Parses one line; nil for a blank or comment-only line. `known` holds the variables defined so
  /// far and gains the ones this line defines.
  public static func parseLine(_ text: String, line: Int, known: inout Set<String>) throws(ScriptError) -> Statement? {
    guard text.utf8.count <= maximumLineLength else {
      throw ScriptError(
        "the line is \(text.utf8.count) bytes long; a line of the call language may have \(maximumLineLength)",
        at: SourceLocation(line: line, column: 1), hint: "split it into several lines, with variables for the parts")
    }
    if let statement = try WireLanguage.parseLine(text, line: line) { return statement }
    var tokens = try Lexer(text, line: line).tokens()
    var comment: String?
    let characters = Array(text)
    var sourceEnd = characters.count
    if let last = tokens.last, case .comment(let body) = last.kind {
      comment = body
      sourceEnd = last.offset
      tokens.removeLast()
    }
    guard !tokens.isEmpty else { return nil }
    // C declarations as a student writes them: `int s = socket(...);`, `struct sockaddr_in a;`.
    let hasActor = tokens.count > 1 && tokens[1].kind == .punctuation(":") && { if case .identifier = tokens[0].kind { return true } else { return false } }()
    let sourceStart = tokens.count > (hasActor ? 2 : 0) ? tokens[hasActor ? 2 : 0].offset : nil
    tokens = try CDeclarations.rewrite(tokens, from: hasActor ? 2 : 0, line: line)
    if let end = Self.sourceEnd(afterDroppingSemicolon: characters, sourceEnd) { sourceEnd = end }
    guard !tokens.isEmpty else { return nil }
    var parser = TokenParser(tokens: tokens, text: characters, line: line, sourceEnd: sourceEnd)
    parser.sourceStart = sourceStart
    let statement = try parser.statement(comment: comment)
    var defines: [String] = []
    try check(statement, known: known, defines: &defines)
    var result = statement
    result.defines = defines
    known.formUnion(defines)
    return result
  }

  /// Where the line's source ends without a final `;` (and the blanks before it).
  private static func sourceEnd(afterDroppingSemicolon characters: [Character], _ end: Int) -> Int? {
    var i = end
    while i > 0, characters[i - 1] == " " || characters[i - 1] == "\t" { i -= 1 }
    guard i > 0, characters[i - 1] == ";" else { return nil }
    return i - 1
  }

  /// Parses the answer a lesson gives for a prediction point, in the form of an expectation
  /// (`12`, `-1 ECONNREFUSED`, `LISTEN`, `"127.0.0.1"`), as if written after the statement's `=`.
  public static func parseAnswer(
    _ text: String, for statement: Statement, line: Int, column: Int, known: Set<String>
  )
    throws(ScriptError) -> Expectation
  {
    if case .call(let name, _, _) = statement.expression, CallCatalog.definition(named: name)?.spec.kind == .wire {
      let place = SourceLocation(line: line, column: column)
      if text.trimmingSpaces() == "?" {
        throw ScriptError("the answer cannot itself be ?", at: place, hint: "write the result the line returns")
      }
      return .wire(try WireExpectation.parse(text.trimmingSpaces(), for: name, at: place))
    }
    let padding = String(repeating: " ", count: max(0, column - 1))
    let tokens = try Lexer(padding + text, line: line).tokens().filter {
      if case .comment = $0.kind { return false } else { return true }
    }
    let place = tokens.first?.location ?? SourceLocation(line: line, column: column)
    guard !tokens.isEmpty else {
      throw ScriptError("the answer is empty", at: place, hint: "write the result the line returns, such as 6 or -1 EAGAIN")
    }
    var parser = TokenParser(tokens: tokens, text: Array(padding + text), line: line, sourceEnd: padding.count + text.count)
    let answer = try parser.answer(for: statement.expression)
    try checkExpectation(answer, of: statement.expression, at: place, known: known)
    if answer == .prediction {
      throw ScriptError("the answer cannot itself be ?", at: place, hint: "write the result the line returns")
    }
    return answer
  }

  // MARK: - Checking names

  private static func check(_ statement: Statement, known: Set<String>, defines: inout [String]) throws(ScriptError) {
    try checkExpr(statement.expression, known: known, defines: &defines)
    if let target = statement.target {
      if case .field = target {
        try checkExpr(target, known: known.union(defines), defines: &defines)
      } else if let name = target.rootName {
        if SocketConstants.named(name) != nil || builtins.contains(name) {
          throw ScriptError(
            "\(name) is a constant and cannot be assigned", at: target.location,
            hint: "choose another name, such as \(name.lowercased())")
        }
        if CallCatalog.spec(named: name) != nil {
          throw ScriptError("\(name) is the name of a call", at: target.location, hint: "choose another variable name")
        }
        defines.append(name)
      }
    }
    if let expectation = statement.expectation, let place = statement.expectationLocation {
      try checkExpectation(expectation, of: statement.expression, at: place, known: known.union(defines))
    }
  }

  private static func checkExpectation(
    _ expectation: Expectation, of expression: Expr, at place: SourceLocation, known: Set<String>
  )
    throws(ScriptError)
  {
    let isStateQuery = CallCatalog.definition(of: expression)?.traits.contains(.reportsTCPState) == true
    switch expectation {
    case .state:
      if !isStateQuery {
        throw ScriptError(
          "a TCP state can only be expected from tcp_state()", at: place, hint: "expect a number, fd, or -1 ERRNO")
      }
    case .error(let name), .failure(_, let name):
      if SystemError.named(name) == nil && !name.hasPrefix("EAI_") {
        let suggestion = closest(to: name, in: SystemError.allByName.keys)
        throw ScriptError(
          "unknown errno name \(name)", at: place,
          hint: suggestion.map { "did you mean \($0)?" } ?? "errno names look like ECONNREFUSED")
      }
    case .value(let expr):
      if isStateQuery {
        throw ScriptError(
          "tcp_state() is expected to be a state", at: place,
          hint: "write one of \(TCPState.allCases.map(\.description).joined(separator: ", "))")
      }
      var ignored: [String] = []
      try checkExpr(expr, known: known, defines: &ignored)
    case .prediction, .anyDescriptor, .wire:
      break
    }
  }

  private static func checkExpr(_ expr: Expr, known: Set<String>, defines: inout [String]) throws(ScriptError) {
    switch expr {
    case .integer, .string:
      return
    case .name(let name, let place):
      try checkName(name, at: place, known: known, defines: defines)
    case .field(let base, let field, let place):
      if !fieldNames.contains(field) {
        let suggestion = closest(to: field, in: fieldNames)
        throw ScriptError(
          "unknown field \(field)", at: place,
          hint: suggestion.map { "did you mean \($0)?" } ?? "fields are \(fieldNames.joined(separator: ", "))")
      }
      try checkExpr(base, known: known, defines: &defines)
    case .addressOf(let inner, _):
      try checkExpr(inner, known: known, defines: &defines)
    case .sizeof(.variable(let name), let place):
      try checkName(name, at: place, known: known, defines: defines)
    case .sizeof(.type(let type), let place):
      if sizeOfType(type) == nil {
        throw ScriptError(
          "sizeof does not know the type \(type)", at: place,
          hint: "use sizeof on a variable, or one of: \(knownTypes.map(\.0).joined(separator: ", "))")
      }
    case .bitOr(let a, let b):
      try checkExpr(a, known: known, defines: &defines)
      try checkExpr(b, known: known, defines: &defines)
    case .negate(let inner, _):
      try checkExpr(inner, known: known, defines: &defines)
    case .call(let name, let arguments, let place):
      try checkCall(name, arguments, at: place, known: known, defines: &defines)
    }
  }

  private static func checkCall(
    _ name: String, _ arguments: [Expr], at place: SourceLocation, known: Set<String>, defines: inout [String]
  )
    throws(ScriptError)
  {
    guard let spec = CallCatalog.spec(named: name) else {
      let hint = CallCatalog.suggestion(for: name).map { "did you mean \($0)?" } ?? "see the list of calls in the README"
      throw ScriptError("unknown call \(name)()", at: place, hint: hint)
    }
    guard spec.arities.contains(arguments.count) else {
      let counts = spec.arities.sorted().map(String.init).joined(separator: " or ")
      throw ScriptError(
        "\(name)() takes \(counts) argument\(spec.arities == [1] ? "" : "s"), not \(arguments.count)", at: place,
        hint: "write it as \(spec.signature)")
    }
    for (index, argument) in arguments.enumerated() {
      if spec.outParameters[index] != nil, let root = argument.rootName, isPlainOut(argument),
        !known.contains(root), !defines.contains(root), SocketConstants.named(root) == nil
      {
        defines.append(root)  // created on first use with its natural type
        continue
      }
      try checkExpr(argument, known: known, defines: &defines)
    }
    try checkLiterals(name, arguments)
  }

  /// `x` or `&x`: an out-parameter the call may create.
  private static func isPlainOut(_ argument: Expr) -> Bool {
    switch argument {
    case .name: return true
    case .addressOf(.name, _): return true
    default: return false
    }
  }

  private static func checkName(
    _ name: String, at place: SourceLocation, known: Set<String>, defines: [String] = []
  )
    throws(ScriptError)
  {
    if known.contains(name) || defines.contains(name) || SocketConstants.named(name) != nil { return }
    let looksConstant = name == name.uppercased() && name.contains("_")
    if looksConstant {
      let suggestion = closest(to: name, in: SocketConstants.all.map(\.name) + Array(builtins))
      throw ScriptError(
        "unknown constant \(name)", at: place, hint: suggestion.map { "did you mean \($0)?" } ?? "see the constants in the README"
      )
    }
    let suggestion = closest(to: name, in: known.union(defines))
    throw ScriptError(
      "undefined variable \(name)", at: place,
      hint: suggestion.map { "did you mean \($0)?" }
        ?? "give it a value first, for example `\(name) = socket(AF_INET, SOCK_STREAM, 0)`")
  }

  /// Catches what is certainly wrong before anything runs: a port over 65535, an address literal
  /// a builder cannot take. Each call's definition says what it checks.
  private static func checkLiterals(_ name: String, _ arguments: [Expr]) throws(ScriptError) {
    try CallCatalog.definition(named: name)?.checkLiterals?(arguments)
  }

  // MARK: - Types

  static let knownTypes: [(String, Int)] = [
    ("struct sockaddr_in", 16), ("struct sockaddr_in6", 28), ("struct sockaddr_storage", 128), ("struct sockaddr", 16),
    ("struct in_addr", 4), ("struct in6_addr", 16), ("struct linger", 8), ("struct pollfd", 8), ("int", 4),
    ("socklen_t", 4), ("short", 2), ("long", 8), ("char", 1),
  ]

  static func sizeOfType(_ type: String) -> Int? { knownTypes.first { $0.0 == type }?.1 }
}

let AF_INET_VALUE = Int32(SocketConstants.named("AF_INET")!.value)
let AF_INET6_VALUE = Int32(SocketConstants.named("AF_INET6")!.value)

/// Recursive descent over the tokens of one line.
struct TokenParser {
  let tokens: [Token]
  let text: [Character]
  let line: Int
  /// Where the statement's text ends: at its comment, or the end of the line.
  let sourceEnd: Int
  /// Where it starts, when not at its first token (a C declaration's type was taken off).
  var sourceStart: Int?
  var position = 0
  /// How many expressions enclose the one being parsed.
  private var depth = 0

  init(tokens: [Token], text: [Character], line: Int, sourceEnd: Int) {
    self.tokens = tokens
    self.text = text
    self.line = line
    self.sourceEnd = sourceEnd
  }

  private var current: Token? { position < tokens.count ? tokens[position] : nil }
  private var endLocation: SourceLocation { SourceLocation(line: line, column: (tokens.last.map { $0.offset + 1 } ?? 0) + 1) }

  private func isPunctuation(_ c: Character, at index: Int) -> Bool {
    guard index < tokens.count, case .punctuation(let p) = tokens[index].kind else { return false }
    return p == c
  }

  private func identifier(at index: Int) -> String? {
    guard index < tokens.count, case .identifier(let name) = tokens[index].kind else { return nil }
    return name
  }

  private mutating func expect(_ c: Character, _ hint: String) throws(ScriptError) {
    guard isPunctuation(c, at: position) else {
      throw ScriptError("expected '\(c)'\(found)", at: current?.location ?? endLocation, hint: hint)
    }
    position += 1
  }

  private var found: String {
    guard let token = current else { return " at the end of the line" }
    return ", found \(describe(token))"
  }

  private func describe(_ token: Token) -> String {
    switch token.kind {
    case .identifier(let name): return "'\(name)'"
    case .integer(let value): return "\(value)"
    case .string: return "a string"
    case .punctuation(let c): return "'\(c)'"
    case .comment: return "a comment"
    }
  }

  mutating func statement(comment: String?) throws(ScriptError) -> Statement {
    let start = tokens[0].location
    var actor: String?
    if let name = identifier(at: 0), isPunctuation(":", at: 1) {
      actor = name
      position = 2
    }
    var target: Expr?
    if startsAssignment() {
      target = try postfix()
      try expect("=", "write `name = value`")
    }
    guard current != nil else {
      throw ScriptError(
        "nothing to run", at: endLocation, hint: "write a call after the actor, such as `socket(AF_INET, SOCK_STREAM, 0)`")
    }
    let expression = try expr()
    var expectation: Expectation?
    var expectationLocation: SourceLocation?
    if isPunctuation("=", at: position) {
      position += 1
      expectationLocation = current?.location ?? endLocation
      expectation = try self.expectation(for: expression)
    }
    if let extra = current {
      throw ScriptError(
        "unexpected \(describe(extra))", at: extra.location, hint: "one call per line; write the expected result after ` = `")
    }
    let source = Self.normalisedSource(text[(sourceStart ?? tokens[actor == nil ? 0 : 2].offset)..<sourceEnd])
    return Statement(
      actor: actor, target: target, expression: expression, expectation: expectation, expectationLocation: expectationLocation,
      comment: comment, location: start, source: source, defines: [], answer: nil)
  }

  /// The line without its actor prefix and comment, with runs of blanks outside strings
  /// folded to one space: `a = accept(s, &peer, &peerlen) = fd`.
  static func normalisedSource(_ characters: ArraySlice<Character>) -> String {
    var out = ""
    var inString = false
    var escaped = false
    var lastWasSpace = false
    for c in characters {
      if inString {
        out.append(c)
        if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
        continue
      }
      if c == " " || c == "\t" || c == "\r" {
        lastWasSpace = true
        continue
      }
      if lastWasSpace && !out.isEmpty { out.append(" ") }
      lastWasSpace = false
      out.append(c)
      if c == "\"" { inString = true }
    }
    return out
  }

  /// `name =` or `name.field =` at the current position (but not `name(`).
  private func startsAssignment() -> Bool {
    var index = position
    guard identifier(at: index) != nil else { return false }
    index += 1
    while isPunctuation(".", at: index), identifier(at: index + 1) != nil { index += 2 }
    return isPunctuation("=", at: index)
  }

  /// An expectation standing alone (a lesson's answer), with nothing allowed after it.
  mutating func answer(for expression: Expr) throws(ScriptError) -> Expectation {
    let result = try expectation(for: expression)
    if let extra = current {
      throw ScriptError(
        "unexpected \(describe(extra)) in the answer", at: extra.location, hint: "write just the result, such as 6 or -1 EAGAIN")
    }
    return result
  }

  private mutating func expectation(for expression: Expr) throws(ScriptError) -> Expectation {
    guard let first = current else {
      throw ScriptError(
        "missing expected result after '='", at: endLocation, hint: "write a number, fd, -1 ERRNO, or ? to predict")
    }
    if isPunctuation("?", at: position) {
      position += 1
      return .prediction
    }
    if identifier(at: position) == "fd", position + 1 == tokens.count {
      position += 1
      return .anyDescriptor
    }
    if isPunctuation("-", at: position), position + 2 < tokens.count + 1,
      case .integer(1)? = tokens[safe: position + 1]?.kind, let name = identifier(at: position + 2)
    {
      position += 3
      skipErrorMessage()
      return .error(name)
    }
    if case .integer(let value)? = tokens[safe: position]?.kind, let name = identifier(at: position + 1), name.hasPrefix("E"),
      name == name.uppercased()
    {
      position += 2
      skipErrorMessage()
      return .failure(value, name)
    }
    if CallCatalog.definition(of: expression)?.traits.contains(.reportsTCPState) == true {
      let name = String(text[first.offset..<sourceEnd]).trimmingSpaces()
      guard let state = TCPState(name: name) else {
        throw ScriptError(
          "unknown TCP state \(name)", at: first.location,
          hint: "write one of \(TCPState.allCases.map(\.description).joined(separator: ", "))")
      }
      position = tokens.count
      return .state(state)
    }
    return .value(try expr())
  }

  /// Allows `-1 ECONNREFUSED (Connection refused)`, as transcripts print it.
  private mutating func skipErrorMessage() {
    guard isPunctuation("(", at: position) else { return }
    while position < tokens.count, !isPunctuation(")", at: position) { position += 1 }
    position = min(position + 1, tokens.count)
  }

  // MARK: - Expressions

  mutating func expr() throws(ScriptError) -> Expr {
    var left = try unary()
    var operands = 1
    while isPunctuation("|", at: position) {
      // Each operand of `a | b | c` nests the tree one level deeper.
      try enter(at: tokens[position].location)
      operands += 1
      position += 1
      left = .bitOr(left, try unary())
    }
    depth -= operands - 1
    return left
  }

  /// Counts one more level of nesting, refusing more than `Parser.maximumNesting`.
  private mutating func enter(at place: SourceLocation) throws(ScriptError) {
    depth += 1
    guard depth <= Parser.maximumNesting else {
      throw ScriptError(
        "the expression nests more than \(Parser.maximumNesting) levels deep", at: place,
        hint: "split it into several lines, with variables for the inner parts")
    }
  }

  private mutating func unary() throws(ScriptError) -> Expr {
    guard let token = current else {
      throw ScriptError("expected a value at the end of the line", at: endLocation, hint: "finish the call, e.g. close(s)")
    }
    try enter(at: token.location)
    defer { depth -= 1 }
    if isPunctuation("-", at: position) {
      position += 1
      return .negate(try unary(), token.location)
    }
    if isPunctuation("&", at: position) {
      position += 1
      let inner = try postfix()
      guard inner.rootName != nil, inner.callName == nil else {
        throw ScriptError("& needs a variable", at: token.location, hint: "write &addr or &addr.sin_addr")
      }
      return .addressOf(inner, token.location)
    }
    if identifier(at: position) == "sizeof" {
      position += 1
      return try sizeofOperand(at: token.location)
    }
    return try postfix()
  }

  private mutating func sizeofOperand(at place: SourceLocation) throws(ScriptError) -> Expr {
    let parenthesised = isPunctuation("(", at: position)
    if parenthesised { position += 1 }
    guard var name = identifier(at: position) else {
      throw ScriptError("sizeof needs a variable or a type", at: current?.location ?? endLocation, hint: "write sizeof addr")
    }
    position += 1
    var isType = ["int", "socklen_t", "short", "long", "char"].contains(name)
    if name == "struct", let tag = identifier(at: position) {
      name = "struct \(tag)"
      position += 1
      isType = true
    }
    if parenthesised { try expect(")", "close the parenthesis of sizeof(...)") }
    return .sizeof(isType ? .type(name) : .variable(name), place)
  }

  private mutating func postfix() throws(ScriptError) -> Expr {
    var base = try primary()
    while isPunctuation(".", at: position) {
      let dot = tokens[position].location
      position += 1
      guard let field = identifier(at: position) else {
        throw ScriptError("expected a field name after '.'", at: current?.location ?? endLocation, hint: "write addr.sin_port")
      }
      position += 1
      base = .field(base, field, dot)
    }
    return base
  }

  private mutating func primary() throws(ScriptError) -> Expr {
    guard let token = current else {
      throw ScriptError("expected a value at the end of the line", at: endLocation, hint: "finish the call, e.g. close(s)")
    }
    switch token.kind {
    case .integer(let value):
      position += 1
      return .integer(value, token.location)
    case .string(let bytes):
      position += 1
      return .string(bytes, token.location)
    case .identifier(let name):
      position += 1
      if isPunctuation("(", at: position) {
        position += 1
        var arguments: [Expr] = []
        if !isPunctuation(")", at: position) {
          arguments.append(try expr())
          while isPunctuation(",", at: position) {
            position += 1
            arguments.append(try expr())
          }
        }
        try expect(")", "close the argument list of \(name)(...)")
        return .call(name, arguments, token.location)
      }
      return .name(name, token.location)
    case .punctuation("("):
      position += 1
      // A C cast such as (struct sockaddr *) is accepted and ignored: the lab knows the types.
      if identifier(at: position) == "struct" {
        while position < tokens.count, !isPunctuation(")", at: position) { position += 1 }
        try expect(")", "close the cast")
        return try unary()
      }
      let inner = try expr()
      try expect(")", "close the parenthesis")
      return inner
    default:
      throw ScriptError(
        "unexpected \(describe(token))", at: token.location, hint: "expected a number, a string, a name or a call")
    }
  }
}

extension Array {
  subscript(safe index: Int) -> Element? { index >= 0 && index < count ? self[index] : nil }
}
