import LabScript
import Lessons
import SocketKit

/// Whether a learner's answer at a prediction point says the same as what the line returned,
/// by meaning rather than by spelling (the rules are in `Lessons/README.md`):
///
/// - a number in any base C writes (`4294967295`, `0xffffffff`, `037777777777`, `0b1…`) is its value;
/// - errno names that are the same error are one (`EWOULDBLOCK` is `EAGAIN`);
/// - an answer with a result and an errno needs both (`-1 EAGAIN`, not `EAGAIN` alone);
/// - a string in quotes is its bytes, C escapes included (`"hi\n"`); a string answer may also be
///   typed without its quotes;
/// - names are compared without regard to case, `-` or `_` (`SYN-SENT`, `syn_sent`);
/// - `PORT` and `PORT2` stand for the session's ports;
/// - a lesson's `Answer:` may give alternatives, separated by ` | `.
public enum PredictionJudge {
  public static func matches(guess: String, actual: StepOutcome, answer: String?, ports: [String: UInt16]) -> Bool {
    let truth: String
    if let record = actual.record {
      truth = record.error.map { "\(record.result) \($0.name)" } ?? record.result.description
    } else {
      truth = actual.value.description
    }
    if let record = actual.record, let wire = wireMatch(guess: guess, record: record, truth: truth, answer: answer) {
      return wire
    }
    let candidates = [truth] + (answer.map(Prediction.alternatives) ?? [])
    return candidates.contains { same(guess, $0, ports: ports) }
  }

  /// The wire's answers: segments in their order (`SYN, SYN-ACK, ACK`, any case), and a time
  /// within the lesson's tolerance (`1000`, `1000ms`, `1s`; the answer's `± 300`, or a quarter).
  static func wireMatch(guess: String, record: CallRecord, truth: String, answer: String?) -> Bool? {
    func names(_ text: String) -> [String] {
      text.split(separator: ",").map { String($0).trimmingSpaces().lowercased().replacing("_", with: "-") }.filter { !$0.isEmpty }
    }
    switch record.function {
    case "wire":
      return names(guess) == names(truth) || names(truth) == [] && guess.trimmingSpaces().lowercased() == "nothing"
    case "wire_gap":
      func milliseconds(_ text: String) -> Int? {
        let plain = text.trimmingSpaces().lowercased().replacing(" ", with: "")
        if plain.hasSuffix("ms") { return Int(plain.dropLast(2)) }
        if plain.hasSuffix("s") { return Double(plain.dropLast()).map { Int($0 * 1000) } }
        return Int(plain)
      }
      guard let said = milliseconds(guess.split(separator: "±").first.map(String.init) ?? guess),
        let got = milliseconds(truth)
      else { return false }
      var within = max(1, got / 4)
      if let answer, let tolerance = answer.split(separator: "±").dropFirst().first.flatMap({ milliseconds(String($0)) }) {
        within = tolerance
      }
      return abs(said - got) <= within
    default:
      return nil
    }
  }


  /// Whether two answers mean the same.
  public static func same(_ guess: String, _ expected: String, ports: [String: UInt16]) -> Bool {
    guard let said = parts(guess, ports: ports), let meant = parts(expected, ports: ports) else { return false }
    if said.sorted() == meant.sorted() { return true }
    // A string answer typed without its quotes: the text itself is the bytes.
    if meant.count == 1, case .string(let bytes) = meant[0], !guess.trimmingSpaces().hasPrefix("\"") {
      return Array(guess.trimmingSpaces().utf8) == bytes
    }
    return false
  }

  /// One part of an answer, in the form it is compared in.
  enum Part: Hashable, Comparable {
    case number(negative: Bool, magnitude: UInt64)
    case string([UInt8])
    case name(String)

    static func < (a: Part, b: Part) -> Bool { a.key < b.key }

    private var key: String {
      switch self {
      case .number(let negative, let magnitude): return "0\(negative ? "-" : "")\(magnitude)"
      case .string(let bytes): return "1" + bytes.map(String.init).joined(separator: ",")
      case .name(let name): return "2" + name
      }
    }
  }

  /// The parts of an answer: numbers, quoted strings, names. Nil when a quote is not closed.
  static func parts(_ text: String, ports: [String: UInt16]) -> [Part]? {
    var parts: [Part] = []
    var rest = Substring(text.trimmingSpaces())
    while let first = rest.first {
      if first == " " || first == "\t" || first == "," {
        rest = rest.dropFirst()
        continue
      }
      if first == "\"" {
        guard let (bytes, after) = quoted(rest) else { return nil }
        parts.append(.string(bytes))
        rest = after
        continue
      }
      let word = rest.prefix { $0 != " " && $0 != "\t" && $0 != "," }
      rest = rest.dropFirst(word.count)
      parts.append(part(String(word), ports: ports))
    }
    return parts
  }

  private static func part(_ word: String, ports: [String: UInt16]) -> Part {
    if let number = number(word) { return number }
    if let port = ports[word] { return .number(negative: false, magnitude: UInt64(port)) }
    let name = word.uppercased().replacingAll("-", with: "_")
    return .name(errnoAliases[name] ?? name)
  }

  /// Errno names that are the same error on Linux, to the name the lab prints.
  static let errnoAliases = ["EWOULDBLOCK": "EAGAIN", "EDEADLOCK": "EDEADLK", "ENOTSUP": "EOPNOTSUPP"]

  /// `word` as a decimal number when it is an integer in any base C writes (`0x1f90` is "8080").
  public static func decimal(_ word: String) -> String? {
    guard case .number(let negative, let magnitude)? = number(word) else { return nil }
    return (negative ? "-" : "") + String(magnitude)
  }

  /// An integer as C writes it: decimal, `0x` hex, a leading `0` for octal, and `0b` binary.
  static func number(_ word: String) -> Part? {
    var digits = Substring(word)
    var negative = false
    if let sign = digits.first, sign == "-" || sign == "+" {
      negative = sign == "-"
      digits = digits.dropFirst()
    }
    var radix = 10
    let lower = digits.lowercased()
    if lower.hasPrefix("0x") {
      radix = 16
      digits = digits.dropFirst(2)
    } else if lower.hasPrefix("0b") {
      radix = 2
      digits = digits.dropFirst(2)
    } else if lower.hasPrefix("0o") {
      radix = 8
      digits = digits.dropFirst(2)
    } else if digits.count > 1, digits.first == "0" {
      radix = 8
      digits = digits.dropFirst()
    }
    guard !digits.isEmpty, let magnitude = UInt64(digits, radix: radix) else { return nil }
    return .number(negative: negative && magnitude != 0, magnitude: magnitude)
  }

  /// A C string literal at the start of `text`: its bytes, and what follows it.
  private static func quoted(_ text: Substring) -> ([UInt8], Substring)? {
    var bytes: [UInt8] = []
    var index = text.utf8.index(after: text.utf8.startIndex)
    let utf8 = text.utf8
    while index < utf8.endIndex {
      let byte = utf8[index]
      index = utf8.index(after: index)
      if byte == UInt8(ascii: "\"") { return (bytes, text[index...]) }
      guard byte == UInt8(ascii: "\\"), index < utf8.endIndex else {
        bytes.append(byte)
        continue
      }
      let escape = utf8[index]
      index = utf8.index(after: index)
      switch escape {
      case UInt8(ascii: "n"): bytes.append(10)
      case UInt8(ascii: "t"): bytes.append(9)
      case UInt8(ascii: "r"): bytes.append(13)
      case UInt8(ascii: "a"): bytes.append(7)
      case UInt8(ascii: "x"):
        var value: UInt8 = 0
        var count = 0
        while count < 2, index < utf8.endIndex, let digit = hexValue(utf8[index]) {
          value = value &* 16 &+ digit
          index = utf8.index(after: index)
          count += 1
        }
        bytes.append(value)
      case UInt8(ascii: "0")...UInt8(ascii: "7"):
        var value = escape - UInt8(ascii: "0")
        var count = 1
        while count < 3, index < utf8.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(utf8[index]) {
          value = value &* 8 &+ (utf8[index] - UInt8(ascii: "0"))
          index = utf8.index(after: index)
          count += 1
        }
        bytes.append(value)
      default: bytes.append(escape)
      }
    }
    return nil
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}
