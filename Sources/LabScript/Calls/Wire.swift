import SocketKit

/// The lab's hand on the wire between its hosts, and its questions about what crossed it. No C
/// program on one machine can do these: they are the lab's relay, so exports write them as
/// comments.
extension CallDefinition {
  public static let wireCommand = CallDefinition(
    "wire:", ["command"],
    summary: "tells the lab's wire what to do with the next segments: drop, delay, duplicate, hold, release, mtu",
    returns: "0 once the relay has the command; it acts on the segments that come after",
    layers: CallLayers(
      posix: "no call: the lab sits between the hosts and forwards every frame itself (AF_PACKET in a middle namespace)",
      bio: "no counterpart",
      kernel:
        "the hosts' kernels never know: a dropped segment simply never arrives, and their timers (retransmission, delayed ACK) do the rest"
    ),
    traits: [],
    .wire { cx, a, place throws(ScriptError) in
      let words = WireCalls.words(a)
      let command = try WireCommand.parse(words, at: place)
      let link = try cx.environment.requireWire(at: place)
      if let why = link.obey(command) { throw ScriptError(why, at: place, hint: WireCommand.usage) }
      return CallRecord(function: "wire:", call: command.words, result: .int(0), error: nil, nanoseconds: 0)
    })

  public static let wire = CallDefinition(
    "wire", [], summary: "the segments since the previous wire line, in order: wire() = SYN, SYN-ACK, ACK",
    returns: "the segments since the previous wire line (or the start), in order, as the Wire pane names them (a dropped one says so)",
    layers: WireCalls.layers("the segments that crossed the wire, in the order the relay saw them"),
    .wire { cx, _, place throws(ScriptError) in
      let segments = try cx.environment.requireWire(at: place).segmentsSinceLastWireLine()
      let text = segments.isEmpty ? "nothing" : segments.map(\.listed).joined(separator: ", ")
      return CallRecord(function: "wire", call: "wire()", result: .symbol(text), error: nil, nanoseconds: 0)
    })

  public static let wire_count = CallDefinition(
    "wire_count", ["kind"], summary: "how many segments of a kind crossed since the previous wire line: wire_count(SYN) = 2",
    returns: "how many segments of the kind (SYN, SYN-ACK, ACK, FIN, RST, data, UDP, ICMP, any) crossed since the previous wire line (or the start)",
    layers: WireCalls.layers("a count of the segments of one kind"),
    .wire { cx, a, place throws(ScriptError) in
      let kind = WireCalls.words(a)
      let count = try cx.environment.requireWire(at: place).segmentsSinceLastWireLine().filter { $0.isKind(kind) }.count
      return CallRecord(function: "wire_count", call: "wire_count(\(kind))", result: .int(count), error: nil, nanoseconds: 0)
    })

  public static let wire_gap = CallDefinition(
    "wire_gap", ["kind"],
    summary: "the time between the first two segments of a kind since the previous wire line: wire_gap(SYN) = 1000ms ± 250",
    returns:
      "milliseconds between the first and second segment of the kind since the previous wire line (a retransmission's wait); for data, any two carrying data; for retransmission, how long after the original the first one came",
    layers: WireCalls.layers("the time between two segments: what a retransmission timer waited"),
    .wire { cx, a, place throws(ScriptError) in
      let kind = WireCalls.words(a)
      let segments = try cx.environment.requireWire(at: place).segmentsSinceLastWireLine()
      var times: [UInt64]
      switch kind {
      case "retransmission":
        let first = segments.first { $0.retransmission && $0.originalTime != nil }
        times = first.map { [$0.originalTime!, $0.time] } ?? []
      case "data": times = segments.filter { $0.payload > 0 }.map(\.time)
      default: times = segments.filter { $0.isKind(kind) }.map(\.time)
      }
      guard times.count >= 2 else {
        return CallRecord(
          function: "wire_gap", call: "wire_gap(\(kind))", result: .symbol("only \(times.count) \(kind)"), error: nil,
          nanoseconds: 0)
      }
      let ms = Int((times[1] - times[0]) / 1_000_000)
      return CallRecord(function: "wire_gap", call: "wire_gap(\(kind))", result: .symbol("\(ms)ms"), error: nil, nanoseconds: 0)
    })
}

enum WireCalls {
  static func words(_ a: [Expr]) -> String {
    if case .string(let bytes, _)? = a.first { return String(decoding: bytes, as: UTF8.self) }
    return ""
  }

  static func layers(_ what: String) -> CallLayers {
    CallLayers(
      posix: "no call: the lab read \(what) from its own relay between the hosts (or from its watch on the loopback of the host they share)",
      bio: "no counterpart",
      kernel: "what the hosts' TCP/IP stacks sent, timestamped by the kernel as each frame reached the relay")
  }
}
