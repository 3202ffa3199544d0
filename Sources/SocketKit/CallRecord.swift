/// What a call returned: an integer (most calls) or a string (`inet_ntoa`, `inet_ntop`).
public enum ReturnValue: Sendable, Hashable, CustomStringConvertible {
  case int(Int)
  /// A `char *` result; `nil` stands for a NULL return.
  case string(String?)
  /// A name the lab reports rather than a C return value: a TCP state such as `LISTEN`.
  case symbol(String)

  public var intValue: Int? {
    if case .int(let value) = self { return value }
    return nil
  }

  public var description: String {
    switch self {
    case .int(let value): return String(value)
    case .string(let text?): return "\"\(escapeBytes(Array(text.utf8)))\""
    case .string(nil): return "NULL"
    case .symbol(let name): return name
    }
  }
}

/// One call as it really happened: the C text with the actual argument values, what it returned,
/// the errno when it failed, and how long it took.
public struct CallRecord: Sendable, Hashable, CustomStringConvertible {
  /// The function's name, such as `bind`.
  public var function: String
  /// The call with its actual values, packetdrill style: `bind(3, {AF_INET, 127.0.0.1:40123}, 16)`.
  public var call: String
  public var result: ReturnValue
  /// Set when the call failed and errno says why.
  public var error: SystemError?
  public var nanoseconds: UInt64

  public init(function: String, call: String, result: ReturnValue, error: SystemError?, nanoseconds: UInt64) {
    self.function = function
    self.call = call
    self.result = result
    self.error = error
    self.nanoseconds = nanoseconds
  }

  /// `-1 ECONNREFUSED (Connection refused)`, `0`, or `"127.0.0.1"`.
  public var resultText: String {
    if let error { return "\(result) \(error)" }
    return result.description
  }

  /// `connect(4, {AF_INET, 127.0.0.1:1}, 16) = -1 ECONNREFUSED (Connection refused)`
  public var description: String { "\(call) = \(resultText)" }
}

/// Shows bytes as a C string literal's contents: printable ASCII as is, everything else escaped,
/// so that bytes from the network can never drive the terminal.
public func escapeBytes(_ bytes: some Sequence<UInt8>, limit: Int = .max) -> String {
  var out = ""
  var count = 0
  for byte in bytes {
    if count == limit {
      out += "..."
      break
    }
    count += 1
    switch byte {
    case UInt8(ascii: "\n"): out += "\\n"
    case UInt8(ascii: "\r"): out += "\\r"
    case UInt8(ascii: "\t"): out += "\\t"
    case 0: out += "\\0"
    case UInt8(ascii: "\\"): out += "\\\\"
    case UInt8(ascii: "\""): out += "\\\""
    case 0x20..<0x7f: out.unicodeScalars.append(Unicode.Scalar(byte))
    default:
      let hex = Array("0123456789abcdef")
      out += "\\x\(hex[Int(byte >> 4)])\(hex[Int(byte & 0xf)])"
    }
  }
  return out
}
