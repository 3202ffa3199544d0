import LabScript
import SocketKit
import Synchronization
import WireKit

#if canImport(Glibc)
  import Glibc
#endif

/// A session's wire: its hosts, the relay between them, and what the call language asks of them.
/// Each line that is not a wire line marks where "the segments since the line before" begin.
public final class SessionWire: WireLink, @unchecked Sendable {
  public let network: HostNetwork
  /// When the session began (monotonic nanoseconds): the pane's times count from it.
  public let began: UInt64
  private let mark = Atomic<Int>(0)
  private let markTicket = Atomic<Int>(0)
  /// Whether a call of ticket `n` or later is still running (set by the session).
  var isRunning: @Sendable (Int) -> Bool = { _ in false }

  init(network: HostNetwork, began: UInt64) {
    self.network = network
    self.began = began
  }

  public var relay: WireRelay { network.relay }

  /// A line other than a wire line begins: its segments start here.
  func lineStarted(ticket: Int) {
    mark.store(network.relay.nextIndex, ordering: .sequentiallyConsistent)
    markTicket.store(ticket, ordering: .sequentiallyConsistent)
  }

  /// Where the segments of the line now running begin.
  public var lineMark: Int { mark.load(ordering: .sequentiallyConsistent) }

  public func obey(_ command: WireCommand) -> String? {
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
    case .release: relay.release()
    case .delay(let ms):
      relay.add(WireRule(action: .delay(UInt64(ms) * 1_000_000), match: match, remaining: nil, words: command.words))
    case .mtu(let bytes):
      if let why = network.setMTU(bytes) { return why }
    }
    return nil
  }

  /// The segments since the line before began, once that line has returned (a connect() that
  /// waits for a retransmission, say) and nothing has crossed for 60 ms (at most 10 s in all):
  /// the ACK that follows data belongs to the line.
  public func segmentsSinceLastLine() -> [WireSegmentSummary] {
    settle()
    return relay.frames(from: lineMark).compactMap(Self.summary)
  }

  func settle(quiet: UInt64 = 60_000_000, limit: UInt64 = 10_000_000_000) {
    let start = MonotonicClock.nanoseconds()
    var count = relay.nextIndex
    var since = start
    let ticket = markTicket.load(ordering: .sequentiallyConsistent)
    while true {
      usleep(5_000)
      let now = MonotonicClock.nanoseconds()
      let seen = relay.nextIndex
      if seen != count || isRunning(ticket) {
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

  func close() -> UInt64 { network.close() }
}
