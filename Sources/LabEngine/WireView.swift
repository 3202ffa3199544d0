import LabScript
import SocketKit
import WireKit

/// What caused a segment: the call that was running (or had just returned) on the host that
/// sent it, or one of that host's kernel timers and replies, named as such.
public enum WireCause: Sendable, Equatable {
  case call(actor: String, line: Int?, name: String)
  case kernel(String)

  public var text: String {
    switch self {
    case .call(let actor, _, let name): "\(actor): \(name)"
    case .kernel(let why): "kernel: \(why)"
    }
  }
}

/// One segment as the Wire pane shows it.
public struct WireRow: Sendable, Equatable {
  public var index: Int
  /// Monotonic nanoseconds when it reached the wire.
  public var time: UInt64
  public var from: String
  public var to: String
  /// SYN, SYN-ACK, PSH-ACK, FIN-ACK, RST, UDP, ICMP, ARP
  public var kind: String
  /// Relative to each side's first sequence number, as Wireshark shows them.
  public var seq: UInt32?
  public var ack: UInt32?
  public var length: Int
  public var window: Int?
  /// MSS, window scale, SACK-permitted and timestamps on a SYN; a quoted port for ICMP.
  public var options: String
  /// The payload's first bytes, escaped.
  public var payload: String
  public var fate: WireFrame.Fate
  public var cause: WireCause
  public var retransmission: Bool
  public var bytes: [UInt8]
  /// The line of the lesson or script whose call caused it.
  public var sourceLine: Int?
  /// Wall-clock nanoseconds since 1970, for the capture file.
  public var wallTime: Int64 = 0

  /// The capture file's comment for it: who sent it, and why.
  public var captureComment: String {
    var text = "\(from)→\(to) \(kind): \(cause.text)"
    if let sourceLine { text += " (line \(sourceLine))" }
    if retransmission { text += ", a retransmission" }
    switch fate {
    case .dropped(let why): text += "; dropped by the lab (\(why))"
    case .delayed(let ns): text += "; delayed \(ns / 1_000_000) ms by the lab"
    case .duplicated: text += "; sent twice by the lab"
    case .reordered: text += "; sent after the segment behind it, by the lab"
    case .held, .released: text += "; held by the lab"
    case .forwarded: break
    }
    return text
  }
}

extension LabSession {
  /// Every frame this session's wire carried, as a pcapng file with a comment on each packet;
  /// nil without a wire.
  public func wireCapture() -> [UInt8]? {
    wireRows().map { rows in PcapNG.file(rows.map { PcapNG.Packet(time: $0.wallTime, bytes: $0.bytes, comment: $0.captureComment) }) }
  }

  /// Every segment this session's wire carried, as the Wire pane shows them (nil without a wire).
  public func wireRows() -> [WireRow]? {
    guard let wire else { return nil }
    let linker = WireLinker(network: wire.network, keepAll: true)
    _ = linker.refresh(self, wire: wire, lines: { _ in nil })
    return linker.state.rows
  }
}

/// The wire as the player shows it.
public struct WireState: Sendable, Equatable {
  /// The newest segments, oldest first (at most `WireLinker.rowLimit`).
  public var rows: [WireRow] = []
  /// Segments no longer kept, counted.
  public var forgotten = 0
  /// The hosts and their addresses, in order.
  public var hosts: [(name: String, address: String)] = []
  /// Whether the actors share one host and the wire is its loopback, watched but not changed.
  public var sharedHost = false
  /// When the current step began (monotonic nanoseconds): the pane's times count from it.
  public var stepBegan: UInt64 = 0
  /// The wire commands still waiting for their segments.
  public var commands: [String] = []
  /// For each statement that has returned, the segments that crossed while it ran.
  public var segmentsByLine: [Int: [String]] = [:]
  /// The first segment of the line now running (what `wire()` would report).
  public var lineMark = 0

  public static func == (a: WireState, b: WireState) -> Bool {
    a.rows == b.rows && a.forgotten == b.forgotten && a.hosts.map(\.name) == b.hosts.map(\.name) && a.sharedHost == b.sharedHost && a.stepBegan == b.stepBegan
      && a.commands == b.commands && a.segmentsByLine == b.segmentsByLine && a.lineMark == b.lineMark
  }
}

/// Turns the relay's frames into rows and links each to its cause, reading the session's calls
/// from its event log.
final class WireLinker {
  static let rowLimit = 1_000

  private struct Span {
    var actor: String
    var line: Int?
    var name: String
    var sourceLine: Int
    var start: UInt64
    var end: UInt64?
    var blocked: UInt64?
  }

  private typealias Flow = SegmentHistory.Flow


  private let keepAll: Bool
  private var nextFrame = 0
  private var nextEvent = 0
  private var spans: [Int: Span] = [:]
  private var initial: [Flow: UInt32] = [:]
  private var history = SegmentHistory()
  /// When each direction first sent its FIN (by frame): the side that sent first ends in TIME-WAIT.
  private var finSent: [Flow: Int] = [:]
  /// Calls that returned lately, whose segments may still be arriving.
  private var recent: [Int] = []
  /// How many duplicate ACKs in a row each direction has sent.
  private var duplicates: [Flow: Int] = [:]
  /// Each direction's window scale, once both SYNs offered one.
  private var scale: [Flow: UInt8] = [:]
  private(set) var state = WireState()

  init(network: HostNetwork, keepAll: Bool = false) {
    self.keepAll = keepAll
    state.hosts = network.hosts.map { ($0.name, $0.address.description) }
    state.sharedHost = network.isShared
  }

  /// Takes in what happened since the last call; returns whether anything changed.
  func refresh(_ session: LabSession, wire: SessionWire, lines: (Int) -> Int?) -> Bool {
    var changed = false
    let start = session.log.start
    for event in session.log.events(from: nextEvent) {
      nextEvent = event.sequence + 1
      guard let ticket = event.ticket, let actor = event.actor else { continue }
      let at = start + event.time
      switch event.kind {
      case .started(let statement):
        spans[ticket] = Span(
          actor: actor, line: lines(ticket), name: "\(statement.expression.callName ?? "line")()",
          sourceLine: statement.location.line, start: at)
      case .blocked: spans[ticket]?.blocked = at
      case .finished, .refused, .interrupted:
        spans[ticket]?.end = at
        if spans[ticket]?.actor != WireLanguage.actor { recent.append(ticket) }
      case .sampled: break
      }
    }
    // Spans long over are of no more use for linking.
    if spans.count > 256 {
      let now = MonotonicClock.nanoseconds()
      spans = spans.filter { $0.value.end.map { now - $0 < 10_000_000_000 } ?? true }
    }
    let frames = wire.relay.frames(from: nextFrame)
    if let first = frames.first, first.index > nextFrame { state.forgotten += first.index - nextFrame }
    for frame in frames {
      nextFrame = frame.index + 1
      state.rows.append(row(frame))
      changed = true
    }
    if !keepAll, state.rows.count > Self.rowLimit {
      state.forgotten += state.rows.count - Self.rowLimit
      state.rows.removeFirst(state.rows.count - Self.rowLimit)
    }
    if wire.lineMark != state.lineMark {
      state.lineMark = wire.lineMark
      changed = true
    }
    // The segments under each call in the Code pane: those that crossed while it ran, and in
    // the 2 ms after (the ACK that follows connect()'s return).
    let now = MonotonicClock.nanoseconds()
    recent = recent.filter { ticket in
      guard let span = spans[ticket], let end = span.end, let line = span.line ?? lines(ticket) else { return false }
      let touching = state.rows.filter {
        $0.time + 2_000_000 >= span.start && $0.time <= end + 2_000_000 && ($0.from == span.actor || $0.to == span.actor)
          && $0.kind != "ARP"
      }.map { $0.kind + (isDropped($0.fate) ? " (dropped)" : "") }
      if !touching.isEmpty, state.segmentsByLine[line] != touching {
        state.segmentsByLine[line] = touching
        changed = true
      }
      return now < end + 50_000_000
    }
    let commands = wire.relay.rules.map(\.words)
    if commands != state.commands {
      state.commands = commands
      changed = true
    }
    return changed
  }

  func stepBegan(at time: UInt64) { state.stepBegan = time }

  private func isDropped(_ fate: WireFrame.Fate) -> Bool {
    if case .dropped = fate { return true }
    return false
  }

  private func row(_ frame: WireFrame) -> WireRow {
    let facts = history.note(frame)
    var row = WireRow(
      index: frame.index, time: frame.time, from: frame.from, to: frame.to.first ?? "?", kind: "ARP", length: 0, options: "",
      payload: "", fate: frame.fate, cause: .kernel("address resolution"), retransmission: false, bytes: frame.bytes,
      wallTime: frame.wallTime)
    guard let packet = frame.packet else {
      row.options = Packet.describeOther(frame.bytes)
      return row
    }
    row.length = packet.payloadLength
    let end = min(frame.bytes.count, packet.payloadOffset + packet.payloadLength)
    row.payload = escapeBytes(frame.bytes[min(packet.payloadOffset, end)..<end], limit: 24)
    switch packet.transport {
    case .tcp(let tcp):
      let flow = Flow(source: packet.source, sourcePort: tcp.sourcePort, destination: packet.destination, destinationPort: tcp.destinationPort)
      // A side first seen without its SYN (a reset answering a SYN) counts from one before its
      // first number, as Wireshark does: that segment is seq 1.
      if initial[flow] == nil { initial[flow] = tcp.flags.contains(.syn) ? tcp.seq : tcp.seq &- 1 }
      let base = initial[flow] ?? tcp.seq
      row.kind = tcp.flags.name
      row.seq = tcp.seq &- base
      if tcp.flags.contains(.ack) { row.ack = initial[flow.reversed].map { tcp.ack &- $0 } ?? tcp.ack }
      if tcp.flags.contains(.syn), let offered = tcp.windowScale { scale[flow] = offered }
      // A window is scaled only after the handshake, and only if both sides offered a scale.
      let shift = !tcp.flags.contains(.syn) && scale[flow.reversed] != nil ? Int(scale[flow] ?? 0) : 0
      row.window = Int(tcp.window) << shift
      var options: [String] = []
      if let mss = tcp.mss { options.append("mss \(mss)") }
      if let scale = tcp.windowScale { options.append("wscale \(scale)") }
      if tcp.sackPermitted { options.append("sack") }
      if tcp.timestamp != nil, tcp.flags.contains(.syn) { options.append("timestamps") }
      row.options = options.joined(separator: " ")
      row.retransmission = facts.retransmission
      row.cause = cause(of: frame, tcp: tcp, flow: flow, payload: packet.payloadLength, facts: facts)
      row.sourceLine = callSpan(frame).map(\.sourceLine)
      if case .kernel = row.cause { row.sourceLine = nil }
      if tcp.flags.contains(.fin), finSent[flow] == nil { finSent[flow] = frame.index }
      if tcp.flags.contains(.ack) { duplicates[flow] = facts.duplicateAck ? (duplicates[flow] ?? 0) + 1 : 0 }
    case .udp:
      row.kind = "UDP"
      row.cause = callCause(frame) ?? .kernel("datagram")
      row.sourceLine = callSpan(frame).map(\.sourceLine)
    case .icmp(let message):
      row.kind = "ICMP"
      row.options = message.name + (message.quotedDestinationPort.map { " (port \($0))" } ?? "")
      row.cause = .kernel(message.type == 3 && message.code == 3 ? "port unreachable: no socket has that port" : message.name)
    case .other(let what):
      row.kind = "IP"
      row.options = what
    }
    return row
  }

  private func callCause(_ frame: WireFrame) -> WireCause? {
    callSpan(frame).map { .call(actor: $0.actor, line: $0.line, name: $0.name) }
  }

  /// The call on the sending host that was running, or had returned less than 3 ms before, and
  /// was not asleep waiting for the peer.
  private func callSpan(_ frame: WireFrame) -> Span? {
    let t = frame.time
    // The frame's time comes from the kernel's clock, the calls' from the lab's: allow 20 µs.
    let slack: UInt64 = 20_000
    let mine = spans.values.filter { $0.actor == frame.from && $0.blocked.map { $0 > t } ?? true }
    // Best, a call running when the segment left; then one that had just returned (within 3 ms,
    // the ACK after connect()); last, one that began a moment after (the clocks' difference).
    let running = mine.filter { $0.start <= t + slack && ($0.end.map { $0 + slack >= t } ?? true) }
    if let span = running.max(by: { $0.start < $1.start }) { return span }
    // Only connect() is still the cause after it returns: its last ACK may leave just after.
    let returned = mine.filter { span in span.name == "connect()" && span.end.map { $0 < t && $0 + 3_000_000 >= t } ?? false }
    return returned.max(by: { ($0.end ?? 0) < ($1.end ?? 0) })
  }

  private func cause(of frame: WireFrame, tcp: TCPHeader, flow: Flow, payload: Int, facts: SegmentHistory.Facts) -> WireCause {
    if facts.retransmission {
      if let dups = duplicates[flow.reversed], dups >= 2 {
        return .kernel("fast retransmit, after \(dups) duplicate ACKs")
      }
      return .kernel(tcp.flags.contains(.syn) ? "retransmission timer (no answer to the \(tcp.flags.name))" : "retransmission timer")
    }
    if facts.probe {
      return .kernel(facts.zeroWindow ? "zero-window probe: is there room yet?" : "keepalive probe: is the peer still there?")
    }
    if facts.duplicateAck {
      return .kernel("duplicate ACK: a segment is missing, later ones arrived")
    }
    if tcp.flags.contains(.syn) && tcp.flags.contains(.ack) { return .kernel("the listening socket answers the SYN") }
    if tcp.flags.contains(.rst), callCause(frame) == nil { return .kernel("reset: no socket wants this segment") }
    // The ACK of the peer's FIN after this side sent its own: whatever call is near, it is the
    // kernel's last word before TIME-WAIT.
    if tcp.flags == .ack && payload == 0, let mine = finSent[flow], let theirs = finSent[flow.reversed], mine < theirs {
      return .kernel("last ACK (this side now waits in TIME-WAIT)")
    }
    if let call = callCause(frame) { return call }
    if tcp.flags == .ack && payload == 0 {
      if let last = history.lastReceived[frame.from], last.data, frame.time > last.time + 20_000_000 {
        return .kernel("delayed ACK")
      }
      return .kernel("ACK")
    }
    if tcp.flags.contains(.fin) { return .kernel("FIN") }
    // No call of the lab opened this connection: a program that joined the host did.
    if tcp.flags == .syn { return .kernel("SYN from a program outside the lab (socklab exec)") }
    return .kernel(payload > 0 ? "data queued earlier" : tcp.flags.name)
  }
}
