import Lessons
import SocketKit
import Synchronization
import WireKit

#if canImport(Glibc)
  import Glibc
#endif

/// `socklab bench --wire`: the wire's figures, on hosts this process builds. Set-up and
/// teardown of two hosts; the relay's time per segment (from the kernel's arrival stamp to the
/// forwarded send) during a ping-pong; and a bulk transfer's rate, the relay's CPU, and whether
/// the capture holds every segment the receiver's kernel counted. Every loop is bounded.
enum WireBench {
  static func run(megabytes: Int) throws {
    say("# wire benchmark: two hosts, 10.50.0.1 and 10.50.0.2, joined by the lab's relay")
    // Set-up and teardown.
    var setups: [UInt64] = []
    var teardowns: [UInt64] = []
    for _ in 0..<20 {
      let network = try HostNetwork(hosts: HostSpec.numbered(["client", "server"]))
      setups.append(network.setupNanoseconds)
      teardowns.append(network.close())
    }
    let setup = median(setups)
    let teardown = median(teardowns)
    say("hosts set up     \(ms(setup)) ms median of 20 (torn down in \(ms(teardown)) ms; together \(ms(setup + teardown)) ms, target under 10)")
    // The anchor, in the same run: what the kernel alone takes for one namespace.
    let bare = (0..<20).compactMap { _ in HostNetwork.bareNamespaceNanoseconds() }
    if !bare.isEmpty { say("anchor           \(ms(median(bare))) ms median of 20 for one bare unshare(CLONE_NEWNET); the two hosts make three") }
    // The host lessons 1, 4 and 5 share, its loopback watched: what opening one of them adds.
    var shared: [UInt64] = []
    for _ in 0..<20 {
      let host = try HostNetwork(sharing: ["server", "client", "outside"])
      shared.append(host.setupNanoseconds + host.close())
    }
    say("shared host      \(ms(median(shared))) ms median of 20, set up and torn down (one namespace, its loopback watched)")

    let network = try HostNetwork(hosts: HostSpec.numbered(["client", "server"]))
    defer { network.close() }
    // Ping-pong: one byte each way, 2,000 times, bounded to 20 s.
    let (client, server) = try connectedPair(network, port: 7001)
    network.relay.measureRelayTime(true)
    let rounds = pingPong(client, server)
    let relayTimes = network.relay.statistics.relayNanoseconds.sorted()
    network.relay.measureRelayTime(false)
    say(
      "relay per segment \(us(percentile(relayTimes, 0.5))) µs median, \(us(percentile(relayTimes, 0.99))) µs p99 (\(relayTimes.count) segments; target median under 50)"
    )
    say("round trip        \(us(median(rounds))) µs median through the relay, \(rounds.count) one-byte exchanges")
    close(client)
    close(server)
    // The anchor, in the same run: the same exchanges over this machine's loopback, no relay.
    if let (near, far) = loopbackPair() {
      let plain = pingPong(near, far)
      say("anchor            \(us(median(plain))) µs median for the same round trip on this machine's loopback")
      close(near)
      close(far)
    }

    // Bulk: the client sends `megabytes` MB as fast as it can; the server reads it all.
    // Counted from before the handshake: the kernels count its segments too.
    let before = network.relay.statistics
    let (sender, receiver) = try connectedPair(network, port: 7002)
    let relayCPU0 = threadCPU(network.relay.threadID)
    let total = megabytes * 1_048_576
    let received = Atomic<Int>(0)
    let reader = readAll(receiver, total) { received.store($0, ordering: .sequentiallyConsistent) }
    let chunk = [UInt8](repeating: 0x61, count: 262_144)
    let start = MonotonicClock.nanoseconds()
    var sent = 0
    while sent < total {
      let n = chunk.withUnsafeBytes { send(sender, $0.baseAddress, min($0.count, total - sent), 0) }
      if n <= 0 { break }
      sent += n
    }
    if let reader { pthread_join(reader, nil) }
    let elapsed = MonotonicClock.nanoseconds() - start
    let relayCPU = threadCPU(network.relay.threadID) - relayCPU0
    usleep(100_000)
    let counts = HostNetwork.segmentCounts(fd: sender)
    let receiverCounts = HostNetwork.segmentCounts(fd: receiver)
    let statistics = network.relay.statistics
    let gbits = Double(received.load(ordering: .sequentiallyConsistent) * 8) / Double(elapsed)
    say(
      "bulk transfer     \(megabytes) MB in \(ms(elapsed)) ms: \(fixed(gbits, places: 2)) Gbit/s, the relay used \(fixed(Double(relayCPU) / Double(elapsed) * 100, places: 0)) % of a core (target: 1 Gbit/s with no loss, under one core)"
    )
    let history = statistics.frames - before.frames > WireRelay.historyLimit ? " (the pane's history keeps the newest \(WireRelay.historyLimit))" : ""
    say(
      "capture           \(statistics.frames - before.frames) frames relayed\(history), \(statistics.sendFailures - before.sendFailures) not forwarded"
    )
    let fromClient = (statistics.tcpFrames["client 7002"] ?? 0) - (before.tcpFrames["client 7002"] ?? 0)
    if let receiverCounts, let counts {
      let lost = Int(receiverCounts.received) - fromClient
      say(
        "segments          the client's kernel sent \(counts.sent), the relay carried \(fromClient), the server's kernel received \(receiverCounts.received): \(lost == 0 && Int(counts.sent) == fromClient ? "none lost" : "\(lost) missing")"
      )
    }
    close(sender)
    close(receiver)
    try paced(network, megabytes: min(megabytes, 128))
  }

  /// The same transfer held to 1 Gbit/s: what share of a core the relay needs at that rate.
  static func paced(_ network: HostNetwork, megabytes: Int) throws {
    let (sender, receiver) = try connectedPair(network, port: 7003)
    defer {
      close(sender)
      close(receiver)
    }
    let total = megabytes * 1_048_576
    let reader = readAll(receiver, total) { _ in }
    let chunk = [UInt8](repeating: 0x62, count: 131_072)
    let before = network.relay.statistics
    let cpu0 = threadCPU(network.relay.threadID)
    let start = MonotonicClock.nanoseconds()
    var sent = 0
    while sent < total {
      // 1 Gbit/s is 125,000,000 bytes a second: wait until this chunk's turn.
      let due = start + UInt64(Double(sent) / 125_000_000 * 1e9)
      let now = MonotonicClock.nanoseconds()
      if due > now { usleep(useconds_t((due - now) / 1_000)) }
      let n = chunk.withUnsafeBytes { send(sender, $0.baseAddress, min($0.count, total - sent), 0) }
      if n <= 0 { break }
      sent += n
    }
    if let reader { pthread_join(reader, nil) }
    let elapsed = MonotonicClock.nanoseconds() - start
    let cpu = threadCPU(network.relay.threadID) - cpu0
    let statistics = network.relay.statistics
    let gbits = Double(sent * 8) / Double(elapsed)
    say(
      "at 1 Gbit/s       \(megabytes) MB at \(fixed(gbits, places: 2)) Gbit/s: the relay used \(fixed(Double(cpu) / Double(elapsed) * 100, places: 0)) % of a core, \(statistics.sendFailures - before.sendFailures) frames not forwarded"
    )
  }

  /// A thread that reads `total` bytes from `fd` (or until the connection ends), then tells how many.
  static func readAll(_ fd: Int32, _ total: Int, then done: @escaping @Sendable (Int) -> Void) -> pthread_t? {
    startThread {
      var buffer = [UInt8](repeating: 0, count: 262_144)
      var got = 0
      while got < total {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        got += n
      }
      done(got)
    }
  }

  /// A TCP connection from the client host to the server host, set up on threads in each.
  /// A connected TCP pair on this machine's 127.0.0.1, on a port the kernel picks.
  static func loopbackPair() -> (Int32, Int32)? {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(listener) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = IPv4Address(127, 0, 0, 1).networkOrder
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0
      }
    }
    guard bound else { return nil }
    let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) } }
    guard connected == 0 else {
      close(client)
      return nil
    }
    let server = accept(listener, nil, nil)
    guard server >= 0 else {
      close(client)
      return nil
    }
    return (client, server)
  }

  /// One byte each way, 2,000 times (bounded to 20 s): each round trip's time.
  static func pingPong(_ client: Int32, _ server: Int32) -> [UInt64] {
    var byte: UInt8 = 1
    var rounds: [UInt64] = []
    let echo = startThread {
      var buffer = [UInt8](repeating: 0, count: 1)
      for _ in 0..<2_000 {
        guard recv(server, &buffer, 1, 0) == 1, send(server, buffer, 1, 0) == 1 else { return }
      }
    }
    let deadline = MonotonicClock.nanoseconds() + 20_000_000_000
    for _ in 0..<2_000 where MonotonicClock.nanoseconds() < deadline {
      let start = MonotonicClock.nanoseconds()
      guard send(client, &byte, 1, 0) == 1, recv(client, &byte, 1, 0) == 1 else { break }
      rounds.append(MonotonicClock.nanoseconds() - start)
    }
    if let echo { pthread_join(echo, nil) }
    return rounds
  }

  static func connectedPair(_ network: HostNetwork, port: UInt16) throws -> (Int32, Int32) {
    let fds = Mutex<(Int32, Int32)>((-1, -1))
    let listening = Atomic<Bool>(false)
    guard let serverNS = network.namespace(of: "server"), let clientNS = network.namespace(of: "client") else {
      throw WireError("no hosts")
    }
    let server = startThread {
      guard HostNetwork.enter(namespace: serverNS) == 0 else { return }
      let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      var one: Int32 = 1
      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, 4)
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = port.bigEndian
      _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, 16) } }
      listen(s, 1)
      listening.store(true, ordering: .sequentiallyConsistent)
      let a = accept(s, nil, nil)
      close(s)
      fds.withLock { $0.1 = a }
    }
    let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
    while !listening.load(ordering: .sequentiallyConsistent) && MonotonicClock.nanoseconds() < deadline { usleep(200) }
    let client = startThread {
      guard HostNetwork.enter(namespace: clientNS) == 0 else { return }
      let c = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = port.bigEndian
      address.sin_addr.s_addr = IPv4Address(10, 50, 0, 2).networkOrder
      let ok = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, 16) } }
      fds.withLock { $0.0 = ok == 0 ? c : -1 }
    }
    if let client { pthread_join(client, nil) }
    if let server { pthread_join(server, nil) }
    let (c, s) = fds.withLock { $0 }
    guard c >= 0, s >= 0 else { throw WireError("the hosts could not connect") }
    return (c, s)
  }

  /// CPU time a thread of this process has used, in nanoseconds (utime + stime).
  static func threadCPU(_ tid: Int32) -> UInt64 {
    guard let text = try? Files.read("/proc/self/task/\(tid)/stat"), let close = text.lastIndex(of: ")") else { return 0 }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return 0 }
    return (user + system) * 1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK)))
  }

  static func median(_ values: [UInt64]) -> UInt64 { percentile(values.sorted(), 0.5) }

  static func percentile(_ sorted: [UInt64], _ p: Double) -> UInt64 {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
  }

  static func ms(_ ns: UInt64) -> String { fixed(Double(ns) / 1e6, places: 2) }
  static func us(_ ns: UInt64) -> String { fixed(Double(ns) / 1e3, places: 1) }
}
