/// One token of a call line.
public struct Token: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    case identifier(String)
    case integer(Int)
    case string([UInt8])
    /// One of `( ) , : = & . | - ? * ; [ ]` (the last three only in C declarations)
    case punctuation(Character)
    case comment(String)
  }

  public var kind: Kind
  public var location: SourceLocation
  /// Offset of the token's first character in the line (for slicing the source text).
  public var offset: Int
}

/// Splits one line of the call language into tokens.
struct Lexer {
  let characters: [Character]
  let line: Int

  init(_ text: String, line: Int) {
    self.characters = Array(text)
    self.line = line
  }

  func tokens() throws(ScriptError) -> [Token] {
    var tokens: [Token] = []
    var i = 0
    func at(_ index: Int) -> SourceLocation { SourceLocation(line: line, column: index + 1) }
    while i < characters.count {
      let c = characters[i]
      if c == " " || c == "\t" || c == "\r" {
        i += 1
      } else if c == "#" {
        let text = String(characters[(i + 1)...]).trimmingSpaces()
        tokens.append(Token(kind: .comment(text), location: at(i), offset: i))
        break
      } else if c.isLetter || c == "_" {
        let start = i
        while i < characters.count, characters[i].isLetter || characters[i].isNumber || characters[i] == "_" { i += 1 }
        tokens.append(Token(kind: .identifier(String(characters[start..<i])), location: at(start), offset: start))
      } else if c.isNumber {
        let start = i
        tokens.append(Token(kind: .integer(try number(&i)), location: at(start), offset: start))
      } else if c == "\"" {
        let start = i
        tokens.append(Token(kind: .string(try string(&i)), location: at(start), offset: start))
      } else if "(),:=&.|-?*;[]".contains(c) {
        tokens.append(Token(kind: .punctuation(c), location: at(i), offset: i))
        i += 1
      } else {
        throw ScriptError(
          "unexpected character '\(c)'", at: at(i),
          hint: "a line looks like `actor: name = call(arg, ...) = expected`; comments start with #")
      }
    }
    return tokens
  }

  private func number(_ i: inout Int) throws(ScriptError) -> Int {
    let start = i
    var radix = 10
    if characters[i] == "0", i + 1 < characters.count, characters[i + 1] == "x" || characters[i + 1] == "X" {
      radix = 16
      i += 2
    }
    let digitsStart = i
    while i < characters.count, characters[i].isHexDigit || characters[i].isLetter || characters[i] == "_" { i += 1 }
    let digits = String(characters[digitsStart..<i])
    // As in C, a leading 0 makes a number octal: 010 is 8, and 09 is not a number at all.
    if radix == 10, digits.count > 1, digits.hasPrefix("0") {
      guard let value = Int(digits, radix: 8) else {
        throw ScriptError(
          "'\(digits)' is not a number: a leading 0 makes it octal in C, with digits 0 to 7",
          at: SourceLocation(line: line, column: start + 1), hint: "write it without the leading 0")
      }
      return value
    }
    guard !digits.isEmpty, let value = Int(digits, radix: radix) else {
      throw ScriptError(
        "'\(String(characters[start..<i]))' is not a number", at: SourceLocation(line: line, column: start + 1),
        hint: "write a decimal number such as 8080 or a hex one such as 0x1f90")
    }
    return value
  }

  private func string(_ i: inout Int) throws(ScriptError) -> [UInt8] {
    let start = i
    i += 1
    var bytes: [UInt8] = []
    while i < characters.count {
      let c = characters[i]
      if c == "\"" {
        i += 1
        return bytes
      }
      if c == "\\", i + 1 < characters.count {
        i += 1
        let e = characters[i]
        i += 1
        switch e {
        case "n": bytes.append(10)
        case "r": bytes.append(13)
        case "t": bytes.append(9)
        case "0"..."7":
          var value = e.wholeNumberValue ?? 0
          var count = 1
          while count < 3, i < characters.count, let digit = Int(String(characters[i])), digit < 8 {
            value = value * 8 + digit
            i += 1
            count += 1
          }
          bytes.append(UInt8(truncatingIfNeeded: value))
        case "x":
          let hexStart = i
          while i < characters.count, i - hexStart < 2, characters[i].isHexDigit { i += 1 }
          guard let value = UInt8(String(characters[hexStart..<i]), radix: 16) else {
            throw ScriptError(
              "\\x needs hex digits", at: SourceLocation(line: line, column: hexStart), hint: "write a byte as \\x41")
          }
          bytes.append(value)
        case "a": bytes.append(7)
        case "b": bytes.append(8)
        case "f": bytes.append(12)
        case "v": bytes.append(11)
        case "\\", "\"", "'", "?": bytes.append(contentsOf: Array(String(e).utf8))
        default:
          throw ScriptError(
            "unknown escape \\\(e)", at: SourceLocation(line: line, column: i - 1),
            hint: "C escapes are \\n \\r \\t \\0 \\\\ \\\" and \\xHH")
        }
        continue
      }
      bytes.append(contentsOf: Array(String(c).utf8))
      i += 1
    }
    throw ScriptError(
      "unterminated string", at: SourceLocation(line: line, column: start + 1),
      hint: "add the closing \" before the end of the line")
  }
}

extension String {
  /// The text without leading and trailing blanks (spaces, tabs, carriage returns).
  public func trimmingSpaces() -> String {
    var s = Substring(self)
    while let first = s.first, first == " " || first == "\t" || first == "\r" { s = s.dropFirst() }
    while let last = s.last, last == " " || last == "\t" || last == "\r" { s = s.dropLast() }
    return String(s)
  }
}
