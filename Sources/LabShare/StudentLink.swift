import FoundationEssentials
import SocketKit
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A student's lab's link to the teacher's hub. It sends events only (the lesson, the step,
/// prediction answers, failed lines) from a thread of its own, keeps each answer until the hub
/// acknowledges it, reconnects when the link breaks, and hands the lab any "follow me" request.
public final class StudentLink: @unchecked Sendable {
  public let host: String
  public let port: UInt16
  public let name: String
  private let code: String
  private let lead: Bool
  private let state = Mutex<LinkState>(LinkState())
  private let wakeRead: Int32
  private let wakeWrite: Int32
  private let stopped = Atomic<Bool>(false)
  private var thread: pthread_t?

  struct LinkState {
    var position: ClassProtocol.Message?
    var positionSent = false
    var unacked: [Int: ClassProtocol.Message] = [:]
    var unsent: [ClassProtocol.Message] = []
    var nextID = 1
    var follow: (lesson: String, step: Int)?
    var status = "joining"
    var joined = false
    var refused = false
  }

  public init(host: String, port: UInt16, name: String, code: String, lead: Bool = false) {
    self.host = host
    self.port = port
    self.name = name
    self.code = code
    self.lead = lead
    var ends: [Int32] = [0, 0]
    _ = pipe(&ends)
    for end in ends {
      LineSocket.setNonBlocking(end)
      LineSocket.setCloseOnExec(end)
    }
    (wakeRead, wakeWrite) = (ends[0], ends[1])
    thread = startThread { [self] in loop() }
  }

  /// What to tell the student about the link: "joined as Ada", "cannot reach …", "wrong code".
  public var status: String { state.withLock { $0.status } }
  public var isJoined: Bool { state.withLock { $0.joined } }
  /// Answers sent and not yet acknowledged by the hub.
  public var unacknowledged: Int { state.withLock { $0.unacked.count + $0.unsent.filter { $0.type == "answer" }.count } }

  public func position(lesson: String, step: Int, steps: Int) {
    var message = ClassProtocol.Message(type: "position")
    message.lesson = lesson
    message.step = step
    message.steps = steps
    state.withLock {
      $0.position = message
      $0.positionSent = false
    }
    wake()
  }

  public func answer(lesson: String, step: Int, answer: String, right: Bool) {
    var message = ClassProtocol.Message(type: "answer")
    message.lesson = lesson
    message.step = step
    message.answer = String(answer.prefix(200))
    message.right = right
    state.withLock {
      message.id = $0.nextID
      $0.nextID += 1
      $0.unsent.append(message)
    }
    wake()
  }

  public func failed(lesson: String, step: Int, line: String) {
    var message = ClassProtocol.Message(type: "verdict")
    message.lesson = lesson
    message.step = step
    message.line = String(line.prefix(200))
    message.right = false
    state.withLock { $0.unsent.append(message) }
    wake()
  }

  /// The step the teacher asked the class to go to, once.
  public func takeFollow() -> (lesson: String, step: Int)? {
    state.withLock { s in
      defer { s.follow = nil }
      return s.follow
    }
  }

  public func close() {
    guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
    wake()
    if let thread { pthread_join(thread, nil) }
    Glibc.close(wakeRead)
    Glibc.close(wakeWrite)
  }

  private func wake() {
    var one: UInt8 = 1
    _ = write(wakeWrite, &one, 1)
  }

  // MARK: - The link's thread

  private func loop() {
    var backoff = 0.5
    while !stopped.load(ordering: .sequentiallyConsistent) {
      if let fd = connect() {
        backoff = 0.5
        session(fd)
        Glibc.close(fd)
        state.withLock { $0.joined = false }
      }
      if state.withLock({ $0.refused }) { return }
      sleepOrStop(backoff)
      backoff = min(backoff * 2, 10)
    }
  }

  private func sleepOrStop(_ seconds: Double) {
    var entry = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
    let deadline = Date().addingTimeInterval(seconds)
    while !stopped.load(ordering: .sequentiallyConsistent) && Date() < deadline {
      _ = poll(&entry, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
      var drain = [UInt8](repeating: 0, count: 64)
      while read(wakeRead, &drain, drain.count) > 0 {}
    }
  }

  private func connect() -> Int32? {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
      state.withLock {
        $0.status = "\(host) is not an IPv4 address"
        $0.refused = true
      }
      return nil
    }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    LineSocket.setCloseOnExec(fd)
    LineSocket.setNonBlocking(fd)
    let started = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if started != 0 && errno == EINPROGRESS {
      var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
      var failure: Int32 = 0
      var length = socklen_t(MemoryLayout<Int32>.size)
      if poll(&entry, 1, 3000) <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length) != 0 || failure != 0 {
        state.withLock { $0.status = "cannot reach the class at \(host):\(port) (\(String(cString: strerror(failure == 0 ? ETIMEDOUT : failure))))" }
        Glibc.close(fd)
        return nil
      }
    } else if started != 0 {
      state.withLock { $0.status = "cannot reach the class at \(host):\(port) (\(String(cString: strerror(errno))))" }
      Glibc.close(fd)
      return nil
    }
    return fd
  }

  private func session(_ fd: Int32) {
    var hello = ClassProtocol.Message(type: "hello")
    hello.name = name
    hello.code = code
    hello.lead = lead ? true : nil
    guard LineSocket.writeAll(fd, hello.encoded) else { return }
    var buffer = LineBuffer(limit: 1 << 16)
    var chunk = [UInt8](repeating: 0, count: 65536)
    var lastSent = Date()
    // After a reconnection, the position and every unacknowledged answer go again.
    state.withLock { s in
      s.positionSent = false
      s.unsent = s.unacked.values.sorted { ($0.id ?? 0) < ($1.id ?? 0) } + s.unsent
      s.unacked = [:]
    }
    while !stopped.load(ordering: .sequentiallyConsistent) {
      if state.withLock({ $0.joined }) {
        let outgoing = state.withLock { s -> [ClassProtocol.Message] in
          var out: [ClassProtocol.Message] = []
          if let position = s.position, !s.positionSent {
            out.append(position)
            s.positionSent = true
          }
          out += s.unsent
          for message in s.unsent where message.type == "answer" { s.unacked[message.id ?? 0] = message }
          s.unsent = []
          return out
        }
        for message in outgoing {
          guard LineSocket.writeAll(fd, message.encoded) else { return }
          lastSent = Date()
        }
        if Date().timeIntervalSince(lastSent) > 20 {
          guard LineSocket.writeAll(fd, ClassProtocol.Message(type: "ping").encoded) else { return }
          lastSent = Date()
        }
      }
      var entries = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
      _ = poll(&entries, 2, 5000)
      if entries[1].revents != 0 { while read(wakeRead, &chunk, chunk.count) > 0 {} }
      guard entries[0].revents != 0 else { continue }
      let count = recv(fd, &chunk, chunk.count, 0)
      if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
        state.withLock { if !$0.refused { $0.status = "the link to the class broke; trying again" } }
        return
      }
      guard count > 0, let lines = try? buffer.take(chunk[..<count]) else { continue }
      for line in lines {
        guard let message = try? JSONDecoder().decode(ClassProtocol.Message.self, from: Data(line)) else { continue }
        switch message.type {
        case "welcome":
          state.withLock {
            $0.joined = true
            $0.status = "joined the class at \(host):\(port) as \(message.name ?? name)"
          }
        case "error":
          state.withLock {
            $0.status = "the class refused: \(message.reason ?? "no reason given")"
            $0.refused = message.reason == "wrong code" || message.reason?.hasPrefix("this hub speaks") == true
          }
          return
        case "ack":
          if let id = message.id { _ = state.withLock { $0.unacked.removeValue(forKey: id) } }
        case "follow":
          if let lesson = message.lesson, let step = message.step { state.withLock { $0.follow = (lesson, step) } }
        default:
          break
        }
      }
    }
  }
}
