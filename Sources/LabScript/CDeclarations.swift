/// C as a student writes it, read as the call language: the declarations of Beej's guide and of
/// every textbook, turned into the lines the lab runs.
///
/// - `int s = socket(...)`, `socklen_t len = sizeof addr`, `char *text = inet_ntoa(...)`: the
///   type is checked against what the call returns, then dropped;
/// - `socklen_t len` alone: a variable holding 0;
/// - `struct sockaddr_in addr` (and `sockaddr_in6`): a zeroed address of that family;
/// - `char buf[64]`: a buffer of 64 bytes;
/// - `memset(&addr, 0, sizeof addr)`: the variable, zeroed;
/// - a `;` at the end.
enum CDeclarations {
  static let integerTypes: Set<String> = [
    "int", "socklen_t", "ssize_t", "size_t", "long", "unsigned", "short", "uint16_t", "uint32_t", "in_addr_t", "in_port_t",
  ]

  /// The C type a line declares its variable with, as typed: `socklen_t` for
  /// `socklen_t len = sizeof addr`, `char *` for `char *text = inet_ntoa(...)`, `struct sockaddr_in`.
  static func declaredType(in source: String) -> String? {
    let words = source.split(separator: " ", maxSplits: 3).map(String.init)
    guard let first = words.first else { return nil }
    if first == "struct", words.count >= 3, [CallDefinition.sockaddr_in.name, CallDefinition.sockaddr_in6.name].contains(words[1]) {
      return "struct \(words[1])"
    }
    var index = first == "const" ? 1 : 0
    guard index < words.count else { return nil }
    let type = words[index]
    guard integerTypes.contains(type) || type == "char" else { return nil }
    index += 1
    let pointer = index < words.count && words[index].hasPrefix("*")
    if type == "char" && !pointer { return nil }  // char buf[64] is a buffer
    return (first == "const" ? "const " : "") + type + (pointer ? " *" : "")
  }

  /// The tokens with a declaration written as the language's line; the same tokens when there
  /// is none. `start` is where the line begins after an `actor:` prefix.
  static func rewrite(_ tokens: [Token], from start: Int, line: Int) throws(ScriptError) -> [Token] {
    var tokens = tokens
    if let last = tokens.last, last.kind == .punctuation(";") { tokens.removeLast() }
    if let stray = tokens.first(where: { $0.kind == .punctuation(";") }) {
      throw ScriptError(
        "one statement per line", at: stray.location, hint: "put what follows the ; on a line of its own")
    }
    let body = Array(tokens[start...])
    guard case .identifier(let first)? = body.first?.kind else { return tokens }
    let head = Array(tokens[..<start])
    func name(_ index: Int) -> String? {
      guard index < body.count, case .identifier(let name) = body[index].kind else { return nil }
      return name
    }
    func punctuation(_ index: Int, _ c: Character) -> Bool { index < body.count && body[index].kind == .punctuation(c) }
    func made(_ kind: Token.Kind, like token: Token) -> Token { Token(kind: kind, location: token.location, offset: token.offset) }

    // struct sockaddr_in addr
    if first == "struct", let tag = name(1), name(2) != nil, body.count == 3 {
      // The builders named like the structures they fill: struct sockaddr_in is sockaddr_in().
      guard [CallDefinition.sockaddr_in.name, CallDefinition.sockaddr_in6.name].contains(tag) else {
        throw ScriptError(
          "the lab declares a struct \(tag) for you where a call fills it", at: body[1].location,
          hint: tag == "sockaddr_storage"
            ? "write accept(s, &their_addr, &addr_size) and the lab makes their_addr, big enough for any address"
            : "declare struct sockaddr_in or struct sockaddr_in6")
      }
      return head + [
        body[2], made(.punctuation("="), like: body[0]), made(.identifier(tag), like: body[1]),
        made(.punctuation("("), like: body[2]), made(.punctuation(")"), like: body[2]),
      ]
    }
    // char buf[64]
    if first == "char", name(1) != nil, punctuation(2, "["), body.count == 5, punctuation(4, "]") {
      return head + [
        body[1], made(.punctuation("="), like: body[0]), made(.identifier(CallDefinition.buffer.name), like: body[0]),
        made(.punctuation("("), like: body[2]), body[3], made(.punctuation(")"), like: body[4]),
      ]
    }
    // memset(&addr, 0, sizeof addr)
    if first == CallDefinition.memset.name, punctuation(1, "("), punctuation(2, "&"), let variable = name(3) {
      return head + [made(.identifier(variable), like: body[3]), made(.punctuation("="), like: body[0])] + body
    }
    // int s = socket(...), char *text = inet_ntoa(...), const char *text = ...
    var index = 0
    if first == "const" { index = 1 }
    guard let type = name(index), integerTypes.contains(type) || type == "char" else { return tokens }
    var pointer = false
    index += 1
    if punctuation(index, "*") {
      pointer = true
      index += 1
    }
    guard let variable = name(index) else { return tokens }
    let declared = pointer ? "\(type) *" : type
    guard punctuation(index + 1, "=") else {
      guard index + 1 == body.count, !pointer, integerTypes.contains(type) else {
        throw ScriptError(
          "a \(declared) needs a value here", at: body[index].location, hint: "write \(declared) \(variable) = ...")
      }
      // socklen_t len: a variable that holds 0 until a call or an assignment fills it.
      return head + [body[index], made(.punctuation("="), like: body[0]), made(.integer(0), like: body[index])]
    }
    let call = name(index + 2)
    let givesString = call.flatMap(CallCatalog.definition(named:))?.traits.contains(.returnsText) ?? false
    if givesString && !pointer {
      throw ScriptError(
        "\(call!)() returns a char *, not \(declared == "int" ? "an" : "a") \(declared)", at: body[0].location,
        hint: "write char *\(variable) = \(call!)(...)")
    }
    if pointer && (type != "char" || !givesString) {
      throw ScriptError(
        "\(call.map { "\($0)() returns" } ?? "this gives") a number, not a \(declared)", at: body[0].location,
        hint: "write int \(variable) = ...")
    }
    return head + Array(body[index...])
  }
}
