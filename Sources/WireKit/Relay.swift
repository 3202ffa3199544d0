import CWire
import SocketKit
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// One frame the relay saw: when, from which host to which, its bytes, and what the lab did
/// with it.
public struct WireFrame: Sendable {
  public enum Fate: Sendable, Equatable {
    case forwarded
    /// Dropped on command (the command's words).
    case dropped(String)
    /// Forwarded this many nanoseconds late.
    case delayed(UInt64)
    /// Sent twice.
    case duplicated
    /// Sent after the frame that followed it (wire: reorder).
    case reordered
    /// Held until `wire: release`; `released` once it was.
    case held
    case released(after: UInt64)
  }

  /// Counts every frame from 0, including those the history no longer keeps.
  public var index: Int
  /// When it reached the wire: monotonic nanoseconds (as `MonotonicClock`) and wall-clock
  /// nanoseconds since 1970 (for the capture file).
  public var time: UInt64
  public var wallTime: Int64
  public var from: String
  public var to: [String]
  public var bytes: [UInt8]
  public var packet: Packet?
  public var fate: Fate
}

/// What a wire command applies to: a direction (either end may be any host) and a kind of
/// segment.
public struct WireMatch: Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable, CaseIterable {
    case syn = "SYN", synAck = "SYN-ACK", ack = "ACK", fin = "FIN", rst = "RST", data = "data", udp = "UDP", any = "any"
  }

  public var from: String?
  public var to: String?
  public var kind: Kind

  public init(from: String? = nil, to: String? = nil, kind: Kind = .any) {
    self.from = from
    self.to = to
    self.kind = kind
  }

  public func matches(_ packet: Packet, from sender: String, to receivers: [String]) -> Bool {
    if let from, from != sender { return false }
    if let to, !receivers.contains(to) { return false }
    switch packet.transport {
    case .tcp(let tcp):
      switch kind {
      case .syn: return tcp.flags.contains(.syn) && !tcp.flags.contains(.ack)
      case .synAck: return tcp.flags.contains(.syn) && tcp.flags.contains(.ack)
      case .ack: return tcp.flags == .ack && packet.payloadLength == 0
      case .fin: return tcp.flags.contains(.fin)
      case .rst: return tcp.flags.contains(.rst)
      case .data: return packet.payloadLength > 0
      case .udp: return false
      case .any: return true
      }
    case .udp: return kind == .udp || kind == .any || (kind == .data && packet.payloadLength > 0)
    case .icmp: return kind == .any
    case .other: return false
    }
  }

  public var description: String {
    let direction = from == nil && to == nil ? "" : " \(from ?? "any")→\(to ?? "any")"
    return kind.rawValue + direction
  }
}

/// A command the relay obeys until it is used up or replaced.
public struct WireRule: Sendable, Equatable {
  public enum Action: Sendable, Equatable {
    case drop, duplicate, hold
    /// Held back until the next frame in the same direction has gone: the two arrive swapped.
    case reorder
    /// Every matching frame, this many nanoseconds late (0 ends an earlier delay).
    case delay(UInt64)
  }

  public var action: Action
  public var match: WireMatch
  /// How many more frames it applies to; nil for every one (a delay).
  public var remaining: Int?
  /// The command's words, for the pane: "drop next SYN-ACK".
  public var words: String

  public init(action: Action, match: WireMatch, remaining: Int?, words: String) {
    self.action = action
    self.match = match
    self.remaining = remaining
    self.words = words
  }
}

/// The lab as the wire: a thread in the middle namespace reads every frame from each host's
/// link with AF_PACKET, records it, and forwards it to the host it is for, unless a command
/// says to drop, delay, duplicate or hold it.
public final class WireRelay: @unchecked Sendable {
  public struct Statistics: Sendable, Equatable {
    public var frames = 0
    public var bytes = 0
    /// Frames the history no longer holds (it keeps the newest `historyLimit`).
    public var forgotten = 0
    /// Frames the lab could not forward (the receiving link's queue was full).
    public var sendFailures = 0
    /// TCP segments by the host that sent them and the port they went to ("client 7002").
    public var tcpFrames: [String: Int] = [:]
    /// Time from the kernel's arrival stamp to the forwarded send, per frame (nanoseconds).
    public var relayNanoseconds: [UInt64] = []
  }

  public static let historyLimit = 20_000

  struct Port {
    var link: String
    var host: String
    var fd: Int32 = -1
  }

  struct Shared {
    var history: [WireFrame] = []
    var first = 0
    var statistics = Statistics()
    var rules: [WireRule] = []
    var releaseRequested = false

    /// Keeps a frame the relay saw (its index is the next one) and counts it; returns its index.
    mutating func record(
      time: UInt64, wallTime: Int64, from: String, to: [String], bytes: [UInt8], packet: Packet?, fate: WireFrame.Fate
    ) -> Int {
      let index = first + history.count
      history.append(
        WireFrame(index: index, time: time, wallTime: wallTime, from: from, to: to, bytes: bytes, packet: packet, fate: fate))
      trim()
      statistics.frames += 1
      statistics.bytes += bytes.count
      if case .tcp(let tcp)? = packet?.transport { statistics.tcpFrames["\(from) \(tcp.destinationPort)", default: 0] += 1 }
      return index
    }

    /// Trimmed a tenth at a time: moving the whole history for every frame would cost more
    /// than relaying it.
    private mutating func trim() {
      guard history.count > WireRelay.historyLimit + WireRelay.historyLimit / 10 else { return }
      let extra = history.count - WireRelay.historyLimit
      history.removeFirst(extra)
      first += extra
      statistics.forgotten += extra
    }
  }

  private var ports: [Port]
  private let shared = Mutex<Shared>(Shared())
  private let stopped = Atomic<Bool>(false)
  private var wakeRead: Int32 = -1
  private var wakeWrite: Int32 = -1
  private var thread: pthread_t?
  /// Called on the relay's thread after frames were recorded.
  private let observer = Mutex<(@Sendable () -> Void)?>(nil)

  /// Whether the relay only watches one loopback (the actors share a host): it forwards nothing,
  /// and learns who sent each frame from `resolver`.
  public let isTap: Bool
  /// Names the actors at each end of a frame on a watched loopback, where every address is
  /// 127.0.0.1 and only the ports tell them apart.
  private let resolver = Mutex<(@Sendable (Packet) -> (from: String, to: String))?>(nil)

  /// Watches `link` in the namespace `namespace` without forwarding: the frames are recorded
  /// for the pane, the questions and the capture, and nothing else is done with them.
  convenience init(tapping link: String, in namespace: Int32) throws(WireError) {
    try self.init(middle: namespace, ports: [(link, "")], tap: true)
  }

  convenience init(middle: Int32, ports: [(link: String, host: String)]) throws(WireError) {
    try self.init(middle: middle, ports: ports, tap: false)
  }

  private init(middle: Int32, ports: [(link: String, host: String)], tap: Bool) throws(WireError) {
    isTap = tap
    self.ports = ports.map { Port(link: $0.link, host: $0.host) }
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else { throw WireError("no pipe for the relay") }
    for end in ends {
      _ = fcntl(end, F_SETFL, O_NONBLOCK)
      _ = fcntl(end, F_SETFD, FD_CLOEXEC)
    }
    (wakeRead, wakeWrite) = (ends[0], ends[1])
    let ready = Mutex<Result<[Int32], WireError>?>(nil)
    let box = Unmanaged.passUnretained(self)
    thread = startThread {
      let relay = box.takeUnretainedValue()
      guard socklab_wire_setns(middle) == 0 else {
        ready.withLock { $0 = .failure(WireError("the relay could not enter the wire's namespace")) }
        return
      }
      var fds: [Int32] = []
      for port in relay.ports {
        let fd = socklab_wire_packet_socket(port.link)
        guard fd >= 0 else {
          for open in fds { Glibc.close(open) }
          ready.withLock { $0 = .failure(WireError("AF_PACKET on \(port.link): \(String(cString: strerror(-fd)))")) }
          return
        }
        fds.append(fd)
      }
      ready.withLock { $0 = .success(fds) }
      relay.loop(fds)
    }
    guard thread != nil else { throw WireError("no thread for the relay") }
    var outcome: Result<[Int32], WireError>?
    while outcome == nil {
      outcome = ready.withLock { $0 }
      if outcome == nil { usleep(100) }
    }
    if case .failure(let error) = outcome! {
      pthread_join(thread!, nil)
      thread = nil
      Glibc.close(wakeRead)
      Glibc.close(wakeWrite)
      throw error
    }
  }

  /// On a watched loopback, `body` names the actor at each end of a frame (on the relay's thread,
  /// as the frame arrives).
  public func resolveEnds(with body: @escaping @Sendable (Packet) -> (from: String, to: String)) {
    resolver.withLock { $0 = body }
  }

  /// Calls `body` (on the relay's thread) each time frames arrive.
  public func observe(_ body: @escaping @Sendable () -> Void) { observer.withLock { $0 = body } }

  /// Obeys `rule` from the next frame on. A delay replaces an earlier delay for the same frames.
  public func add(_ rule: WireRule) {
    shared.withLock { state in
      if case .delay = rule.action { state.rules.removeAll { $0.match == rule.match && { if case .delay = $0.action { true } else { false } }($0) } }
      state.rules.append(rule)
    }
    wake()
  }

  /// Forwards every held frame, in the order they were held, and ends every delay.
  public func release() {
    shared.withLock { $0.releaseRequested = true }
    wake()
  }

  /// Forgets every command (not the history): the next step starts from a plain wire.
  public func clearRules() {
    shared.withLock { $0.rules = [] }
    release()
  }

  public var rules: [WireRule] { shared.withLock { $0.rules } }

  /// Frames from index `start` on that the history still holds.
  public func frames(from start: Int = 0) -> [WireFrame] {
    shared.withLock { state in
      let from = max(start, state.first)
      let offset = from - state.first
      return offset < state.history.count ? Array(state.history[offset...]) : []
    }
  }

  /// The index the next frame will have.
  public var nextIndex: Int { shared.withLock { $0.first + $0.history.count } }

  public var statistics: Statistics { shared.withLock { $0.statistics } }

  /// Keeps the relay time of every frame from now on, for the benchmark.
  public func measureRelayTime(_ on: Bool) {
    shared.withLock { $0.statistics.relayNanoseconds = [] }
    measuring.store(on, ordering: .sequentiallyConsistent)
  }

  func stop() {
    guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
    wake()
    if let thread { pthread_join(thread, nil) }
    thread = nil
    Glibc.close(wakeRead)
    Glibc.close(wakeWrite)
  }

  private func wake() {
    var byte: UInt8 = 1
    _ = write(wakeWrite, &byte, 1)
  }

  // MARK: - The relay's thread

  private struct Waiting {
    var due: UInt64
    var bytes: [UInt8]
    var ports: [Int]
    var index: Int
  }

  private var macs: [UInt64: Int] = [:]
  private var delayed: [Waiting] = [] {
    didSet { delayedFrames.store(delayed.count, ordering: .relaxed) }
  }
  private let delayedFrames = Atomic<Int>(0)

  /// Frames the lab is delaying, still to be forwarded.
  public var delayedCount: Int { delayedFrames.load(ordering: .relaxed) }
  private var held: [Waiting] = []
  /// Frames held back until the next frame in the same direction has gone (wire: reorder).
  private var reordering: [Waiting] = []

  /// The relay thread's kernel id, for the benchmark's CPU figure.
  public private(set) var threadID: Int32 = 0

  private func loop(_ fds: [Int32]) {
    threadID = socklab_wire_thread_id()
    for (index, fd) in fds.enumerated() { ports[index].fd = fd }
    var buffer = [UInt8](repeating: 0, count: 65_536 + 64)
    var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    entries.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
    while !stopped.load(ordering: .sequentiallyConsistent) {
      let now = MonotonicClock.nanoseconds()
      let timeout: Int32 = delayed.map { $0.due }.min().map { $0 <= now ? 0 : Int32(min(1_000, ($0 - now) / 1_000_000 + 1)) } ?? -1
      for index in entries.indices { entries[index].revents = 0 }
      let ready = poll(&entries, nfds_t(entries.count), timeout)
      if ready < 0 && errno != EINTR { break }
      var recorded = false
      if entries[fds.count].revents != 0 {
        while read(wakeRead, &buffer, 64) > 0 {}
      }
      // Frames in batches (recvmmsg, then one sendmmsg per link): two system calls per batch
      // rather than two per frame.
      let stride = frameStride.load(ordering: .relaxed)
      if batch.count != stride * Self.batchSize { batch = [UInt8](repeating: 0, count: stride * Self.batchSize) }
      for (port, entry) in entries.prefix(fds.count).enumerated() where entry.revents != 0 {
        for _ in 0..<8 {
          readClocks()
          let got = batch.withUnsafeMutableBufferPointer {
            socklab_wire_receive_many(fds[port], $0.baseAddress, stride, Int32(Self.batchSize), &lengths, &stamps)
          }
          guard got > 0 else { break }
          for index in 0..<Int(got) {
            let start = index * stride
            handle(Array(batch[start..<start + Int(lengths[index])]), from: port, stamp: stamps[index])
          }
          flush()
          recorded = true
          if got < Int32(Self.batchSize) { break }
        }
      }
      if shared.withLock({ state in defer { state.releaseRequested = false }; return state.releaseRequested }) {
        let now = MonotonicClock.nanoseconds()
        for frame in held { forward(frame.bytes, to: frame.ports) }
        flush()
        shared.withLock { state in
          for frame in held where frame.index >= state.first {
            let at = frame.index - state.first
            if at < state.history.count { state.history[at].fate = .released(after: now - state.history[at].time) }
          }
        }
        held = []
        recorded = true
      }
      deliverDue()
      if recorded, let body = observer.withLock({ $0 }) { body() }
    }
    // Closing a packet socket waits for an RCU grace period (10 to 20 ms each): the lab does not
    // wait for it, a thread of its own does.
    detachThread { for fd in fds { Glibc.close(fd) } }
  }

  private static func macKey(_ frame: [UInt8], _ at: Int) -> UInt64 {
    var key: UInt64 = 0
    for byte in frame[at..<at + 6] { key = key << 8 | UInt64(byte) }
    return key
  }

  /// The two clocks, read once per batch of frames: the kernel's stamp (wall clock) becomes the
  /// lab's monotonic time by their difference.
  private var clocks: (UInt64, Int64) = (0, 0)

  private func readClocks() {
    var wall = timespec()
    clock_gettime(CLOCK_REALTIME, &wall)
    clocks = (MonotonicClock.nanoseconds(), Int64(wall.tv_sec) * 1_000_000_000 + Int64(wall.tv_nsec))
  }

  private let measuring = Atomic<Bool>(false)

  /// The batch's monotonic clock, and a frame's arrival on it and on the wall clock, from the
  /// kernel's stamp (the batch's wall clock when the frame has none).
  private func arrival(_ stamp: Int64) -> (now: UInt64, time: UInt64, wall: Int64) {
    let (monotonic, wallNow) = clocks
    let wall = stamp > 0 ? stamp : wallNow
    return (monotonic, monotonic &- UInt64(max(0, wallNow - wall)), wall)
  }

  private func handle(_ frame: [UInt8], from port: Int, stamp: Int64) {
    guard frame.count >= 14 else { return }
    if isTap {
      record(frame, stamp: stamp)
      return
    }
    macs[Self.macKey(frame, 6)] = port
    let destination = Self.macKey(frame, 0)
    let out: [Int] =
      frame[0] & 1 == 0 ? macs[destination].map { [$0] } ?? ports.indices.filter { $0 != port } : ports.indices.filter { $0 != port }
    let (monotonic, time, stampWall) = arrival(stamp)
    let packet = Packet.parse(frame)
    let receivers = out.map { ports[$0].host }
    var fate = WireFrame.Fate.forwarded
    var delay: UInt64 = 0
    let index = shared.withLock { state -> Int in
      if let packet {
        for (at, rule) in state.rules.enumerated() where rule.match.matches(packet, from: ports[port].host, to: receivers) {
          switch rule.action {
          case .drop: fate = .dropped(rule.words)
          case .duplicate: fate = .duplicated
          case .hold: fate = .held
          case .reorder: fate = .reordered
          case .delay(let nanoseconds):
            guard nanoseconds > 0 else { continue }
            delay = nanoseconds
            fate = .delayed(nanoseconds)
          }
          if let remaining = rule.remaining {
            if remaining <= 1 { state.rules.remove(at: at) } else { state.rules[at].remaining = remaining - 1 }
          }
          break
        }
      }
      return state.record(
        time: time, wallTime: stampWall, from: ports[port].host, to: receivers, bytes: frame, packet: packet, fate: fate)
    }
    switch fate {
    case .dropped: return
    case .held: held.append(Waiting(due: 0, bytes: frame, ports: out, index: index))
    case .reordered: reordering.append(Waiting(due: 0, bytes: frame, ports: out, index: index))
    case .delayed: delayed.append(Waiting(due: monotonic + delay, bytes: frame, ports: out, index: index))
    case .duplicated:
      forward(frame, to: out)
      forward(frame, to: out)
    case .forwarded, .released:
      // A frame behind a delayed one in the same direction waits its turn: no reordering
      // unless a command asks for it.
      if delayed.contains(where: { $0.ports == out }) {
        delayed.append(Waiting(due: delayed.filter { $0.ports == out }.map(\.due).max() ?? monotonic, bytes: frame, ports: out, index: index))
      } else {
        forward(frame, to: out)
        // A frame held back to be reordered goes right after the next one its way.
        let behind = reordering.filter { $0.ports == out }
        if !behind.isEmpty {
          reordering.removeAll { $0.ports == out }
          for waiting in behind { forward(waiting.bytes, to: waiting.ports) }
        }
      }
    }
    if measuring.load(ordering: .relaxed) {
      let spent = MonotonicClock.nanoseconds() &- time
      shared.withLock { $0.statistics.relayNanoseconds.append(spent) }
    }
  }

  /// A frame seen on a watched loopback: recorded with the actors at its ends, never forwarded.
  private func record(_ frame: [UInt8], stamp: Int64) {
    let (_, time, stampWall) = arrival(stamp)
    let packet = Packet.parse(frame)
    let ends = packet.flatMap { packet in resolver.withLock { $0 }.map { $0(packet) } } ?? (from: "?", to: "?")
    _ = shared.withLock { state in
      state.record(time: time, wallTime: stampWall, from: ends.from, to: [ends.to], bytes: frame, packet: packet, fate: .forwarded)
    }
  }

  private func deliverDue() {
    guard !delayed.isEmpty else { return }
    let now = MonotonicClock.nanoseconds()
    while let first = delayed.first, first.due <= now {
      delayed.removeFirst()
      forward(first.bytes, to: first.ports)
    }
    flush()
  }

  static let batchSize = 64

  /// How far apart frames sit in the receive batch: the largest frame the links carry.
  private let frameStride = Atomic<Int>(2_048)
  private var batch: [UInt8] = []
  private var lengths = [Int32](repeating: 0, count: WireRelay.batchSize)
  private var stamps = [Int64](repeating: 0, count: WireRelay.batchSize)

  /// The frames waiting to go out on each link, one after another, sent by `flush()`.
  private struct Outgoing {
    var bytes: [UInt8] = []
    var offsets: [Int64] = []
    var lengths: [Int32] = []
  }

  /// By link, as `ports`.
  private var outgoing: [Outgoing] = []

  /// Makes room in the receive batch for frames of a link with this MTU.
  func allowFrames(ofMTU mtu: Int) { frameStride.store(max(2_048, mtu + 64), ordering: .relaxed) }

  private func forward(_ frame: [UInt8], to out: [Int]) {
    if outgoing.count != ports.count { outgoing = ports.map { _ in Outgoing() } }
    for port in out {
      outgoing[port].offsets.append(Int64(outgoing[port].bytes.count))
      outgoing[port].lengths.append(Int32(frame.count))
      outgoing[port].bytes.append(contentsOf: frame)
    }
  }

  private func flush() {
    for port in outgoing.indices where !outgoing[port].lengths.isEmpty {
      let count = outgoing[port].lengths.count
      let sent = outgoing[port].bytes.withUnsafeBufferPointer { bytes in
        outgoing[port].offsets.withUnsafeBufferPointer { offsets in
          outgoing[port].lengths.withUnsafeBufferPointer { lengths in
            socklab_wire_send_many(ports[port].fd, bytes.baseAddress, offsets.baseAddress, lengths.baseAddress, Int32(count))
          }
        }
      }
      let failed = count - max(0, Int(sent))
      if failed > 0 { shared.withLock { $0.statistics.sendFailures += failed } }
      outgoing[port].bytes.removeAll(keepingCapacity: true)
      outgoing[port].offsets.removeAll(keepingCapacity: true)
      outgoing[port].lengths.removeAll(keepingCapacity: true)
    }
  }
}
