import LabScript
import SocketKit
import Synchronization
import WireKit

#if canImport(Glibc)
  import Glibc
#endif

/// A session's wire: its hosts, the relay between them, and what the call language asks of them.
/// A wire question reports the segments since the previous wire line (or since the start): each
/// wire line, once done, marks where the next question's segments begin.
public final class SessionWire: WireLink, @unchecked Sendable {
  public let network: HostNetwork
  /// When the session began (monotonic nanoseconds): the pane's times count from it.
  public let began: UInt64
  private let mark = Atomic<Int>(0)
  private let markTicket = Atomic<Int>(0)
  /// Whether a call of ticket `n` or later is still running (set by the session).
  var isRunning: @Sendable (Int) -> Bool = { _ in false }
  /// Whether a socket of the session still has bytes sent but not acknowledged (set by the
  /// session): a retransmission of them is still to come.
  var hasUnacknowledged: @Sendable () -> Bool = { false }

  init(network: HostNetwork, began: UInt64) {
    self.network = network
    self.began = began
  }

  public var relay: WireRelay { network.relay }

  private let pending = Mutex<Int?>(nil)

  /// A wire line is done. After a command, the next question's segments begin here. After a
  /// question, they begin here once another line runs: questions in a row ask about the same
  /// segments (`wire_count(retransmission) = 1`, then `wire_gap(retransmission) = …`).
  func wireLineDone(ticket: Int, question: Bool) {
    let here = network.relay.nextIndex
    if question {
      pending.withLock { $0 = here }
    } else {
      pending.withLock { $0 = nil }
      mark.store(here, ordering: .sequentiallyConsistent)
      markTicket.store(ticket + 1, ordering: .sequentiallyConsistent)
    }
  }

  /// A line other than a wire line begins: after a question, its segments start the next count.
  func lineStarted(ticket: Int) {
    guard let here = pending.withLock({ value -> Int? in defer { value = nil }; return value }) else { return }
    mark.store(here, ordering: .sequentiallyConsistent)
    markTicket.store(ticket, ordering: .sequentiallyConsistent)
  }

  /// Where the segments the next wire question reports begin.
  public var lineMark: Int { mark.load(ordering: .sequentiallyConsistent) }

  public func obey(_ command: WireCommand) -> String? {
    if network.isShared {
      return "the actors share one host here, and the lab only watches its loopback; to drop, delay or hold a segment, give them hosts of their own (a lesson's hosts:, :hosts in free play)"
    }
    let hosts = network.hosts.map(\.name)
    for name in [command.from, command.to].compactMap({ $0 }) where !hosts.contains(name) {
      return "\(name) is not a host of this lesson (its hosts are \(hosts.joined(separator: ", ")))"
    }
    let kind = WireMatch.Kind(rawValue: command.kind) ?? .any
    let match = WireMatch(from: command.from, to: command.to, kind: kind == .any && command.kind == "ICMP" ? .any : kind)
    switch command.action {
    case .drop(let n): relay.add(WireRule(action: .drop, match: match, remaining: n, words: command.words))
    case .duplicate(let n): relay.add(WireRule(action: .duplicate, match: match, remaining: n, words: command.words))
    case .hold(let n): relay.add(WireRule(action: .hold, match: match, remaining: n, words: command.words))
    case .reorder(let n): relay.add(WireRule(action: .reorder, match: match, remaining: n, words: command.words))
    case .release: relay.release()
    case .delay(let ms):
      relay.add(WireRule(action: .delay(UInt64(ms) * 1_000_000), match: match, remaining: nil, words: command.words))
    case .mtu(let bytes):
      if let why = network.setMTU(bytes) { return why }
    }
    return nil
  }

  /// The segments since the previous wire line, once the lines since then have returned (a
  /// connect() that waits for a retransmission, say), every byte sent is acknowledged (a lost
  /// segment's retransmission is due), and nothing has crossed for 60 ms (at most 10 s in all):
  /// the ACK that follows data belongs to them.
  public func segmentsSinceLastWireLine() -> [WireSegmentSummary] {
    settle()
    // Retransmissions are known by the sequence numbers sent before, so the whole history is read.
    var history = SegmentHistory()
    var summaries: [WireSegmentSummary] = []
    let mark = lineMark
    for frame in relay.frames(from: 0) {
      let facts = history.note(frame)
      guard var summary = Self.summary(frame) else { continue }
      summary.retransmission = facts.retransmission
      summary.originalTime = facts.originalTime
      summary.duplicateAck = facts.duplicateAck
      summary.probe = facts.probe
      if frame.index >= mark { summaries.append(summary) }
    }
    return summaries
  }

  func settle(quiet: UInt64 = 60_000_000, limit: UInt64 = 10_000_000_000) {
    // A frame the lab delays is still to come: the quiet starts once it has been forwarded.
    let start = MonotonicClock.nanoseconds()
    var count = relay.nextIndex
    var since = start
    let ticket = markTicket.load(ordering: .sequentiallyConsistent)
    while true {
      usleep(5_000)
      let now = MonotonicClock.nanoseconds()
      let seen = relay.nextIndex
      if seen != count || isRunning(ticket) || relay.delayedCount > 0 || hasUnacknowledged() {
        count = seen
        since = now
      }
      if now - since >= quiet || now - start >= limit { return }
    }
  }

  static func summary(_ frame: WireFrame) -> WireSegmentSummary? {
    guard let packet = frame.packet else { return nil }
    let name: String
    switch packet.transport {
    case .tcp(let tcp): name = tcp.flags.name
    case .udp: name = "UDP"
    case .icmp: name = "ICMP"
    case .other: return nil
    }
    let fate: String?
    switch frame.fate {
    case .dropped: fate = "dropped"
    case .held, .released: fate = "held"
    default: fate = nil
    }
    return WireSegmentSummary(
      name: name, from: frame.from, to: frame.to.first ?? "?", time: frame.time, payload: packet.payloadLength, fate: fate)
  }

  @discardableResult
  func close() -> UInt64 { network.close() }
}
