import FoundationEssentials
import SocketKit
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// What the presenter's notes screen shows: where the lab is, what comes next, and the notes.
public struct PresenterSnapshot: Codable, Equatable, Sendable {
  public var version = 1
  public var lessonID: String
  public var lesson: String
  /// The step on screen, from 1.
  public var step: Int
  public var steps: Int
  public var stepTitle: String
  public var notes: String?
  /// The next line to run, `server: listen(s, 5)`, and what it is expected to give (`0`).
  public var nextLine: String?
  public var expected: String?
  /// The answer of the step's prediction, if it has one.
  public var answer: String?
  /// The title of the step after this one.
  public var nextStep: String?
  /// When the step and the lesson began (seconds since 1970), and the seconds spent on each step
  /// so far (0 for a step not yet left), by step.
  public var stepStarted: Double
  public var lessonStarted: Double
  public var stepSeconds: [Double]

  public init(
    lessonID: String, lesson: String, step: Int, steps: Int, stepTitle: String, notes: String?, nextLine: String?,
    expected: String?, answer: String?, nextStep: String?, stepStarted: Double, lessonStarted: Double,
    stepSeconds: [Double]
  ) {
    self.lessonID = lessonID
    self.lesson = lesson
    self.step = step
    self.steps = steps
    self.stepTitle = stepTitle
    self.notes = notes
    self.nextLine = nextLine
    self.expected = expected
    self.answer = answer
    self.nextStep = nextStep
    self.stepStarted = stepStarted
    self.lessonStarted = lessonStarted
    self.stepSeconds = stepSeconds
  }
}

/// The lab's side of the presenter's notes: a UNIX socket in the runtime folder (mode 0600, the
/// folder 0700, so only the same user can attach) that sends each new snapshot as a JSON line to
/// every attached `socklab notes`. One thread of its own waits in poll(); the lab only stores
/// the newest snapshot and wakes it.
public final class PresenterFeed: @unchecked Sendable {
  public let path: String
  private let listener: Int32
  private let wakeRead: Int32
  private let wakeWrite: Int32
  private let latest = Mutex<(snapshot: [UInt8]?, generation: Int)>((nil, 0))
  private let stopped = Atomic<Bool>(false)
  private var thread: pthread_t?

  /// Opens the feed at `folder/presenter.sock`, or returns nil (with the reason) when it cannot.
  public static func open(folder: String) -> (PresenterFeed?, String?) {
    if mkdir(folder, 0o700) != 0 && errno != EEXIST {
      return (nil, "cannot make \(folder): \(String(cString: strerror(errno)))")
    }
    chmod(folder, 0o700)
    let path = folder + "/presenter.sock"
    guard var address = LineSocket.unixAddress(path) else { return (nil, "\(path) is too long for a UNIX socket") }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return (nil, "no UNIX socket: \(String(cString: strerror(errno)))") }
    // A socket file left by a lab that ended without cleaning up: nobody answers on it.
    if PresenterClient.connect(path) == nil { unlink(path) }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0 else {
      let why = errno == EADDRINUSE ? "another lab already feeds \(path)" : String(cString: strerror(errno))
      Glibc.close(fd)
      return (nil, why)
    }
    chmod(path, 0o600)
    listen(fd, 8)
    LineSocket.setNonBlocking(fd)
    var pipeEnds: [Int32] = [0, 0]
    guard pipe(&pipeEnds) == 0 else {
      Glibc.close(fd)
      return (nil, "no pipe")
    }
    for end in pipeEnds {
      LineSocket.setNonBlocking(end)
      LineSocket.setCloseOnExec(end)
    }
    let feed = PresenterFeed(path: path, listener: fd, wake: (pipeEnds[0], pipeEnds[1]))
    feed.start()
    return (feed, nil)
  }

  private init(path: String, listener: Int32, wake: (Int32, Int32)) {
    self.path = path
    self.listener = listener
    wakeRead = wake.0
    wakeWrite = wake.1
  }

  /// Sends `snapshot` to every attached notes screen, and to those that attach later.
  public func publish(_ snapshot: PresenterSnapshot) {
    guard var line = try? JSONEncoder().encode(snapshot) else { return }
    line.append(UInt8(ascii: "\n"))
    latest.withLock {
      $0.snapshot = Array(line)
      $0.generation += 1
    }
    var one: UInt8 = 1
    _ = write(wakeWrite, &one, 1)
  }

  /// Stops the thread and removes the socket file.
  public func close() {
    guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
    var one: UInt8 = 1
    _ = write(wakeWrite, &one, 1)
    if let thread { pthread_join(thread, nil) }
    unlink(path)
    Glibc.close(listener)
    Glibc.close(wakeRead)
    Glibc.close(wakeWrite)
  }

  private func start() {
    thread = startThread { [self] in loop() }
  }

  private func loop() {
    var clients: [Int32: Int] = [:]  // descriptor → the generation it has
    var drain = [UInt8](repeating: 0, count: 256)
    while !stopped.load(ordering: .sequentiallyConsistent) {
      var entries = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
      entries += clients.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
      guard poll(&entries, nfds_t(entries.count), -1) >= 0 || errno == EINTR else { break }
      if entries[1].revents != 0 { while read(wakeRead, &drain, drain.count) > 0 {} }
      if entries[0].revents != 0 {
        while true {
          let client = accept(listener, nil, nil)
          guard client >= 0 else { break }
          LineSocket.setNonBlocking(client)
          LineSocket.setCloseOnExec(client)
          if clients.count >= 16 {
            Glibc.close(client)
          } else {
            clients[client] = 0
          }
        }
      }
      // A notes screen only listens: anything it sends, or its hanging up, ends it.
      for entry in entries.dropFirst(2) where entry.revents != 0 {
        if read(entry.fd, &drain, drain.count) <= 0 || entry.revents & Int16(POLLHUP | POLLERR) != 0 {
          Glibc.close(entry.fd)
          clients[entry.fd] = nil
        }
      }
      let (line, generation) = latest.withLock { ($0.snapshot, $0.generation) }
      guard let line else { continue }
      for (client, has) in clients where has != generation {
        if LineSocket.writeAll(client, line) {
          clients[client] = generation
        } else {
          Glibc.close(client)
          clients[client] = nil
        }
      }
    }
    for client in clients.keys { Glibc.close(client) }
  }
}

/// The notes screen's side: attaches to a lab's feed and reads its snapshots.
public final class PresenterClient {
  public let fd: Int32
  private var buffer = LineBuffer(limit: 1 << 20)

  /// Connects to the feed at `path`, or returns nil if no lab answers there.
  public static func connect(_ path: String) -> PresenterClient? {
    guard var address = LineSocket.unixAddress(path) else { return nil }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return nil }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else {
      Glibc.close(fd)
      return nil
    }
    return PresenterClient(fd: fd)
  }

  private init(fd: Int32) { self.fd = fd }

  deinit { Glibc.close(fd) }

  /// Reads what has arrived; returns the newest snapshot in it, or nil. `ended` is set when the
  /// lab has gone.
  public func read(ended: inout Bool) -> PresenterSnapshot? {
    var chunk = [UInt8](repeating: 0, count: 65536)
    let count = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
    if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
      ended = true
      return nil
    }
    guard count > 0, let lines = try? buffer.take(chunk[..<count]) else { return nil }
    return lines.last.flatMap { try? JSONDecoder().decode(PresenterSnapshot.self, from: Data($0)) }
  }
}
