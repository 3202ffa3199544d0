import SocketKit
import Synchronization

/// The wire as the call language sees it: commands for the lab's relay (`wire: drop next
/// SYN-ACK`) and questions about the segments since the previous wire line (`wire() = SYN,
/// SYN-ACK, ACK`).
/// These lines have their own small grammar (arrows, `200ms`, `±`), read before the C-like
/// lexer, and run on the lab's own actor `wire`.
public enum WireLanguage {
  /// The actor that runs wire lines: not a program, the lab's hand on the wire.
  public static let actor = "wire"

  /// The kinds of segment a command or a count may name.
  public static let kinds = [
    "SYN", "SYN-ACK", "ACK", "dup-ACK", "probe", "FIN", "RST", "data", "retransmission", "UDP", "ICMP", "any",
  ]

  /// The names `wire()` gives segments, which its expectation may list.
  public static let segmentNames = [
    "SYN", "SYN-ACK", "ACK", "PSH-ACK", "FIN-ACK", "FIN-PSH-ACK", "FIN", "RST", "RST-ACK", "UDP", "ICMP",
  ]

  /// The calls that ask about the wire.
  public static let queries = ["wire", "wire_count", "wire_gap"]

  /// Parses a whole wire line (`wire: …`, `wire() = …`, `wire_count(SYN) = 2`), or nil when the
  /// line is not one and the ordinary parser should read it.
  static func parseLine(_ text: String, line: Int) throws(ScriptError) -> Statement? {
    let characters = Array(text)
    var i = 0
    func skipBlanks() { while i < characters.count, characters[i] == " " || characters[i] == "\t" { i += 1 } }
    skipBlanks()
    let start = i
    guard characters[i...].starts(with: "wire") else { return nil }
    // The comment, as anywhere else: from a # outside quotes.
    var end = characters.count
    var quoted = false
    for (index, c) in characters.enumerated() where index >= start {
      if c == "\"" { quoted.toggle() }
      if c == "#" && !quoted {
        end = index
        break
      }
    }
    let comment = end < characters.count ? String(characters[(end + 1)...]).trimmingSpaces() : nil
    var body = String(characters[start..<end]).trimmingSpaces()
    var place = SourceLocation(line: line, column: start + 1)
    // `wire: wire() = …`, as transcripts and saved scripts write a question with its actor.
    if body.hasPrefix("wire:") {
      let rest = String(body.dropFirst(5)).trimmingSpaces()
      if queries.contains(where: { rest.hasPrefix($0 + "(") }) {
        place = SourceLocation(line: line, column: start + 1 + body.count - rest.count)
        body = rest
      }
    }
    if body.hasPrefix("wire:") {
      let words = String(body.dropFirst(5)).trimmingSpaces()
      let column = start + 6 + (String(body.dropFirst(5)).count - String(body.dropFirst(5)).drop { $0 == " " }.count)
      let command = try WireCommand.parse(words, at: SourceLocation(line: line, column: column))
      return Statement(
        actor: actor, target: nil, expression: .call("wire:", [.string(Array(command.words.utf8), place)], place),
        expectation: nil, expectationLocation: nil, comment: comment, location: place, source: command.words,
        defines: [], answer: nil)
    }
    guard let open = body.firstIndex(of: "(") else { return nil }
    let name = String(body[..<open]).trimmingSpaces()
    guard queries.contains(name) else { return nil }
    guard let close = body.firstIndex(of: ")") else {
      throw ScriptError("\(name)( is not closed", at: place, hint: "write \(name)(\(name == "wire" ? "" : "SYN")) = …")
    }
    let argument = String(body[body.index(after: open)..<close]).trimmingSpaces().replacing("\"", with: "")
    var arguments: [Expr] = []
    if name == "wire" {
      guard argument.isEmpty else {
        throw ScriptError("wire() takes no argument", at: place, hint: "wire() = SYN, SYN-ACK, ACK; wire_count(SYN) = 1 counts one kind")
      }
    } else {
      guard let kind = canonicalKind(argument) else {
        throw ScriptError(
          "\(name)() counts a kind of segment, and \(argument.isEmpty ? "none was given" : "\(argument) is not one")", at: place,
          hint: "one of \(kinds.joined(separator: ", "))")
      }
      arguments = [.string(Array(kind.utf8), place)]
    }
    let rest = String(body[body.index(after: close)...]).trimmingSpaces()
    var expectation: Expectation?
    var expectationLocation: SourceLocation?
    if !rest.isEmpty {
      guard rest.hasPrefix("=") else {
        throw ScriptError("unexpected \(rest.prefix(12)) after \(name)()", at: place, hint: "write the expected result after ` = `")
      }
      let text = String(rest.dropFirst()).trimmingSpaces()
      expectationLocation = SourceLocation(line: line, column: start + body.count - text.count + 1)
      expectation = text == "?" ? .prediction : .wire(try WireExpectation.parse(text, for: name, at: expectationLocation!))
    }
    let source = name + "(" + (arguments.isEmpty ? "" : argument) + ")"
    return Statement(
      actor: actor, target: nil, expression: .call(name, arguments, place), expectation: expectation,
      expectationLocation: expectationLocation, comment: comment, location: place, source: source, defines: [], answer: nil)
  }

  /// "syn-ack" → "SYN-ACK"; nil for what is not a kind.
  static func canonicalKind(_ text: String) -> String? {
    kinds.first { $0.lowercased() == text.lowercased() }
  }
}

/// A command for the relay: `drop next SYN-ACK`, `drop next 2 data client→server`,
/// `delay client→server 200ms`, `duplicate next data`, `hold next FIN`, `release`, `mtu 576`.
public struct WireCommand: Sendable, Hashable {
  public enum Action: Sendable, Hashable {
    case drop(Int)
    case duplicate(Int)
    case hold(Int)
    /// The next matching segment arrives after the one behind it.
    case reorder(Int)
    case release
    /// Milliseconds; 0 ends the delay.
    case delay(Int)
    case mtu(Int)
  }

  public var action: Action
  /// The segments it applies to: a kind, and a direction by host names (nil: either).
  public var kind: String
  public var from: String?
  public var to: String?

  /// The command as the pane and the transcript write it.
  public var words: String {
    let direction = from == nil && to == nil ? "" : " \(from ?? "any")→\(to ?? "any")"
    switch action {
    case .drop(let n): return "drop next " + (n > 1 ? "\(n) " : "") + kind + direction
    case .duplicate(let n): return "duplicate next " + (n > 1 ? "\(n) " : "") + kind + direction
    case .hold(let n): return "hold next " + (n > 1 ? "\(n) " : "") + kind + direction
    case .reorder(let n): return "reorder next " + (n > 1 ? "\(n) " : "") + kind + direction
    case .release: return "release"
    case .delay(let ms): return "delay" + direction + (kind == "any" ? "" : " " + kind) + " \(ms)ms"
    case .mtu(let bytes): return "mtu \(bytes)"
    }
  }

  public static let usage =
    "drop next SYN-ACK, drop next 2 data client→server, delay client→server 200ms, duplicate next data, reorder next data, hold next FIN, release, mtu 576"

  public static func parse(_ text: String, at place: SourceLocation) throws(ScriptError) -> WireCommand {
    var words = text.replacing("->", with: "→").split(separator: " ").map(String.init)
    guard let verb = words.first?.lowercased() else {
      throw ScriptError("wire: needs a command", at: place, hint: usage)
    }
    words.removeFirst()
    var command = WireCommand(action: .release, kind: "any")
    // A direction anywhere: `client→server`, or `→server`, `client→`.
    if let arrow = words.firstIndex(where: { $0.contains("→") }) {
      let parts = words[arrow].split(separator: "→", omittingEmptySubsequences: false).map(String.init)
      command.from = parts[0].isEmpty || parts[0] == "any" ? nil : parts[0]
      command.to = parts.count > 1 && !parts[1].isEmpty && parts[1] != "any" ? parts[1] : nil
      words.remove(at: arrow)
    }
    func count() -> Int {
      if words.first?.lowercased() == "next" { words.removeFirst() }
      if let n = words.first.flatMap({ Int($0) }), n > 0 {
        words.removeFirst()
        return n
      }
      return 1
    }
    func kind() throws(ScriptError) -> String {
      guard let word = words.first else { return "any" }
      guard let kind = WireLanguage.canonicalKind(word) else {
        throw ScriptError(
          "\(word) is not a kind of segment", at: place, hint: "one of \(WireLanguage.kinds.joined(separator: ", "))")
      }
      words.removeFirst()
      return kind
    }
    switch verb {
    case "drop", "duplicate", "hold", "reorder":
      let n = count()
      command.kind = try kind()
      switch verb {
      case "drop": command.action = .drop(n)
      case "hold": command.action = .hold(n)
      case "reorder": command.action = .reorder(n)
      default: command.action = .duplicate(n)
      }
    case "release":
      command.action = .release
    case "delay":
      guard let last = words.last, let ms = milliseconds(last) else {
        throw ScriptError("delay needs a time, such as 200ms", at: place, hint: "delay client→server 200ms; delay 0ms ends it")
      }
      words.removeLast()
      command.kind = try kind()
      command.action = .delay(ms)
    case "mtu":
      guard let word = words.first, let bytes = Int(word), (68...65_535).contains(bytes) else {
        throw ScriptError("mtu needs a size from 68 to 65535 bytes", at: place, hint: "mtu 576")
      }
      words.removeFirst()
      command.action = .mtu(bytes)
    default:
      throw ScriptError("unknown wire command \(verb)", at: place, hint: usage)
    }
    if let extra = words.first {
      throw ScriptError("unexpected \(extra) in the wire command", at: place, hint: usage)
    }
    return command
  }

  static func milliseconds(_ text: String) -> Int? {
    let lower = text.lowercased()
    if lower.hasSuffix("ms") { return Int(lower.dropLast(2)) }
    if lower.hasSuffix("s"), let seconds = Int(lower.dropLast()) { return seconds * 1000 }
    return nil
  }
}

/// What a wire question must answer: the segments in order, a count, or a time within a
/// tolerance (timers are never exact).
public enum WireExpectation: Sendable, Hashable, CustomStringConvertible {
  /// `SYN, SYN-ACK dropped, SYN, SYN-ACK, ACK`
  case segments([String])
  case count(Int)
  /// `1000ms ± 250`: milliseconds, and how far from them is still right.
  case about(Int, within: Int)

  public var description: String {
    switch self {
    case .segments(let names): names.isEmpty ? "nothing" : names.joined(separator: ", ")
    case .count(let n): String(n)
    case .about(let ms, let within): "\(ms)ms ± \(within)"
    }
  }

  static func parse(_ text: String, for call: String, at place: SourceLocation) throws(ScriptError) -> WireExpectation {
    if text.isEmpty { throw ScriptError("missing expected result after '='", at: place, hint: "wire() = SYN, SYN-ACK, ACK") }
    switch call {
    case "wire_count":
      guard let n = Int(text), n >= 0 else {
        throw ScriptError("wire_count() is expected to be a number", at: place, hint: "wire_count(SYN) = 2")
      }
      return .count(n)
    case "wire_gap":
      let parts = text.replacing("+-", with: "±").split(separator: "±").map { String($0).trimmingSpaces() }
      guard let ms = parts.first.flatMap({ WireCommand.milliseconds($0.replacing(" ", with: "")) }) else {
        throw ScriptError(
          "wire_gap() is expected to be a time, such as 1000ms ± 250", at: place,
          hint: "timers are not exact: give the time in ms and how far from it is still right")
      }
      let within = parts.count > 1 ? WireCommand.milliseconds(parts[1].replacing(" ", with: "")) ?? Int(parts[1]) : ms / 4
      guard let within else { throw ScriptError("the tolerance after ± is not a time", at: place, hint: "1000ms ± 250") }
      return .about(ms, within: within)
    default:
      if text.lowercased() == "nothing" { return .segments([]) }
      var names: [String] = []
      for item in text.split(separator: ",") {
        let parts = item.split(separator: " ").map(String.init)
        guard let first = parts.first, let name = WireLanguage.segmentNames.first(where: { $0.lowercased() == first.lowercased() })
        else {
          throw ScriptError(
            "\(String(item).trimmingSpaces()) is not a segment", at: place,
            hint: "list segments as the Wire pane names them: \(WireLanguage.segmentNames.joined(separator: ", "))")
        }
        guard parts.count == 1 || (parts.count == 2 && ["dropped", "held"].contains(parts[1].lowercased())) else {
          throw ScriptError("unexpected \(parts.dropFirst().joined(separator: " ")) after \(name)", at: place, hint: "a segment may be followed by `dropped` or `held`")
        }
        names.append(parts.count == 2 ? "\(name) \(parts[1].lowercased())" : name)
      }
      return .segments(names)
    }
  }
}

/// One segment as the call language sees it.
public struct WireSegmentSummary: Sendable, Hashable {
  /// SYN, SYN-ACK, PSH-ACK, UDP, ICMP
  public var name: String
  public var from: String
  public var to: String
  /// Monotonic nanoseconds.
  public var time: UInt64
  public var payload: Int
  /// The lab dropped it, or holds it.
  public var fate: String?
  /// Its sequence numbers were sent before: a kernel timer (or a duplicate ACK) sent it again.
  public var retransmission = false
  /// For a retransmission: when the segment was first sent.
  public var originalTime: UInt64?
  /// A pure ACK that acknowledges no more than the one before it: the receiver saw a segment
  /// out of order, a sign that one is missing.
  public var duplicateAck = false
  /// A keepalive or zero-window probe: one byte below what was sent, no data.
  public var probe = false

  public init(name: String, from: String, to: String, time: UInt64, payload: Int, fate: String?) {
    self.name = name
    self.from = from
    self.to = to
    self.time = time
    self.payload = payload
    self.fate = fate
  }

  /// As `wire()` lists it: `SYN-ACK dropped`.
  public var listed: String { fate.map { "\(name) \($0)" } ?? name }

  /// Whether it is of `kind` (as `wire_count` names kinds).
  public func isKind(_ kind: String) -> Bool {
    switch kind {
    case "SYN": name == "SYN"
    case "SYN-ACK": name == "SYN-ACK"
    case "ACK": name == "ACK" && payload == 0
    case "dup-ACK": duplicateAck
    case "probe": probe
    case "FIN": name.hasPrefix("FIN")
    case "RST": name.hasPrefix("RST")
    case "data": payload > 0 && !retransmission
    case "retransmission": retransmission
    case "UDP": name == "UDP"
    case "ICMP": name == "ICMP"
    default: true
    }
  }
}

/// The engine's wire, as lines reach it. Provided when the session has hosts.
public protocol WireLink: Sendable {
  /// Obeys a command; returns why not, when it cannot.
  func obey(_ command: WireCommand) -> String?
  /// The segments since the previous wire line (or the start), once the wire has been quiet a moment.
  func segmentsSinceLastWireLine() -> [WireSegmentSummary]
}
