import FoundationEssentials
import SocketKit
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The teacher's hub: students' labs connect over TCP and send what they do (lesson, step,
/// predictions, failed lines); the hub counts it and keeps a summary for the dashboard. One
/// thread waits in poll() on every connection. Whatever arrives, the hub never crashes and never
/// loses an answer it acknowledged; a connection that breaks the rules is dropped with a reason.
public final class ClassHub: @unchecked Sendable {
  public struct Limits: Sendable {
    public var students = 300
    /// Connections that have not said hello yet.
    public var pending = 512
    /// Messages per second per connection, and the burst allowed above it.
    public var rate = 20.0
    public var burst = 60.0
    public var helloSeconds = 5.0
    /// A connection that sends no whole line for this long is dropped (students ping every 20 s).
    public var silentSeconds = 60.0
    public init() {}
  }

  public let code: String
  public let port: UInt16
  public let limits: Limits
  private let listener: Int32
  private let wakeRead: Int32
  private let wakeWrite: Int32
  private let shared = Mutex<Shared>(Shared())
  private let stopped = Atomic<Bool>(false)
  private var thread: pthread_t?
  /// Called on the hub's thread after anything the dashboard shows changed.
  private let changed: @Sendable () -> Void

  struct Shared {
    var summary = ClassSummary()
    var follow: ClassProtocol.Message?
    /// The prediction point the teacher chose to show; nil shows the current one.
    var chosen: ClassSummary.Point?
    var records: [AnswerRecord] = []
    /// Where each student's answer to each point is in `records`: a new answer replaces it.
    var recordIndex: [String: Int] = [:]
  }

  /// One counted answer, for the CSV.
  public struct AnswerRecord: Sendable {
    public var name: String
    public var lesson: String
    public var step: Int
    public var answer: String
    public var right: Bool
    public var at: Double
  }

  /// Listens on `host:port` (port 0: any free one). Throws the reason when it cannot.
  public init(
    host: String, port: UInt16, code: String, limits: Limits = Limits(), changed: @escaping @Sendable () -> Void = {}
  ) throws(HubError) {
    self.code = code
    self.limits = limits
    self.changed = changed
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw HubError("\(host) is not an IPv4 address") }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HubError("no socket: \(String(cString: strerror(errno)))") }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, 1024) == 0 else {
      let why = String(cString: strerror(errno))
      Glibc.close(fd)
      throw HubError("cannot listen on \(host):\(port): \(why)")
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
    }
    self.port = UInt16(bigEndian: address.sin_port)
    LineSocket.setNonBlocking(fd)
    LineSocket.setCloseOnExec(fd)
    listener = fd
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else {
      Glibc.close(fd)
      throw HubError("no pipe")
    }
    for end in ends {
      LineSocket.setNonBlocking(end)
      LineSocket.setCloseOnExec(end)
    }
    (wakeRead, wakeWrite) = (ends[0], ends[1])
  }

  public struct HubError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
  }

  /// A short join code: four letters and digits that cannot be misread (no 0/O, 1/I).
  public static func makeCode() -> String {
    let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    return String((0..<4).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
  }

  public var summary: ClassSummary { shared.withLock { $0.summary } }

  public func start() {
    thread = startThread { [self] in loop() }
  }

  public func stop() {
    guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
    wake()
    if let thread { pthread_join(thread, nil) }
    Glibc.close(listener)
    Glibc.close(wakeRead)
    Glibc.close(wakeWrite)
  }

  /// Shows how the class answered `point` until `showCurrent()`, whatever is answered meanwhile.
  public func show(_ point: ClassSummary.Point) {
    shared.withLock { $0.chosen = ClassSummary.Point(lesson: point.lesson, step: point.step) }
    wake()
  }

  /// Shows the current point again: the teacher's own step when the class answered it, or else
  /// the point answered last.
  public func showCurrent() {
    shared.withLock { $0.chosen = nil }
    wake()
  }

  /// Asks every student to go to `step` of `lesson`; each may decline.
  public func follow(lesson: String, step: Int) {
    var message = ClassProtocol.Message(type: "follow")
    message.lesson = lesson
    message.step = step
    shared.withLock { $0.follow = message }
    wake()
  }

  /// Every counted answer as CSV, for grading: name, lesson, step, answer, right, time (UTC).
  public func csv() -> String {
    let records = shared.withLock { $0.records }
    var text = "name,lesson,step,answer,right,time\n"
    for record in records {
      let time = Date(timeIntervalSince1970: record.at).formatted(.iso8601)
      text += [record.name, record.lesson, String(record.step), record.answer, record.right ? "yes" : "no", time]
        .map(Self.csvField).joined(separator: ",") + "\n"
    }
    return text
  }

  static func csvField(_ text: String) -> String {
    // A leading =, +, - or @ would make a spreadsheet run the cell as a formula.
    var field = text
    if let first = field.first, "=+-@".contains(first) { field = "'" + field }
    guard field.contains(where: { ",\"\n\r".contains($0) }) else { return field }
    return "\"" + field.replacing("\"", with: "\"\"") + "\""
  }

  private func wake() {
    var one: UInt8 = 1
    _ = write(wakeWrite, &one, 1)
  }

  // MARK: - The loop

  private final class Connection {
    let fd: Int32
    var buffer = LineBuffer(limit: ClassProtocol.maximumLine)
    var student: Int?
    var watcher = false
    var opened: Double
    var lastLine: Double
    var tokens: Double
    var lastRefill: Double
    var output: [UInt8] = []

    init(fd: Int32, now: Double, burst: Double) {
      self.fd = fd
      opened = now
      lastLine = now
      tokens = burst
      lastRefill = now
    }
  }

  private struct Student {
    var id: Int
    var name: String
    var lesson: String?
    var step: Int?
    var steps: Int?
    var since: Double
    var failures = 0
    var connection: Int32?
    var lead = false
  }

  private struct PointKey: Hashable {
    var lesson: String
    var step: Int
  }

  private var connections: [Int32: Connection] = [:]
  private var students: [Int: Student] = [:]
  private var byName: [String: Int] = [:]
  private var answers: [PointKey: [Int: (answer: String, right: Bool)]] = [:]
  private var lastAnswered: PointKey?
  /// Every point answered, in the order of its first answer.
  private var points: [PointKey] = []
  private var shownChoice: ClassSummary.Point?
  private var totalAnswers = 0
  private var refused = 0
  private var dropped = 0
  private var drops: [String] = []
  private var dirty = true

  private func loop() {
    var chunk = [UInt8](repeating: 0, count: 65536)
    while !stopped.load(ordering: .sequentiallyConsistent) {
      var entries = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
      for connection in connections.values {
        entries.append(
          pollfd(fd: connection.fd, events: Int16(POLLIN) | (connection.output.isEmpty ? 0 : Int16(POLLOUT)), revents: 0))
      }
      let ready = poll(&entries, nfds_t(entries.count), 1000)
      if ready < 0 && errno != EINTR { break }
      let now = Date().timeIntervalSince1970
      if entries[1].revents != 0 { while read(wakeRead, &chunk, chunk.count) > 0 {} }
      // The connections first: those that hung up free their places before new ones are taken.
      for entry in entries.dropFirst(2) where entry.revents != 0 {
        guard let connection = connections[entry.fd] else { continue }
        if entry.revents & Int16(POLLOUT) != 0 { flush(connection) }
        if entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { receive(connection, &chunk, now) }
      }
      if entries[0].revents != 0 { acceptAll(now) }
      sendFollow()
      expire(now)
      let choice = shared.withLock { $0.chosen }
      if choice != shownChoice {
        shownChoice = choice
        dirty = true
      }
      if dirty { publish(now) }
    }
    for connection in connections.values { Glibc.close(connection.fd) }
    connections = [:]
  }

  private func acceptAll(_ now: Double) {
    while true {
      let fd = accept(listener, nil, nil)
      guard fd >= 0 else { return }
      LineSocket.setNonBlocking(fd)
      LineSocket.setCloseOnExec(fd)
      let pending = connections.values.filter { $0.student == nil && !$0.watcher }.count
      if pending >= limits.pending {
        refused += 1
        note("refused a connection: \(limits.pending) are already waiting to say hello")
        Glibc.close(fd)
        continue
      }
      connections[fd] = Connection(fd: fd, now: now, burst: limits.burst)
    }
  }

  private func receive(_ connection: Connection, _ chunk: inout [UInt8], _ now: Double) {
    let count = recv(connection.fd, &chunk, chunk.count, 0)
    if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
      drop(connection, reason: nil)
      return
    }
    guard count > 0 else { return }
    let lines: [[UInt8]]
    do {
      lines = try connection.buffer.take(chunk[..<count])
    } catch {
      drop(connection, reason: "a line over \(ClassProtocol.maximumLine) bytes")
      return
    }
    for line in lines {
      guard connections[connection.fd] != nil else { return }
      connection.lastLine = now
      connection.tokens = min(limits.burst, connection.tokens + (now - connection.lastRefill) * limits.rate)
      connection.lastRefill = now
      connection.tokens -= 1
      if connection.tokens < 0 {
        drop(connection, reason: "more than \(Int(limits.rate)) messages a second")
        return
      }
      if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
      guard let message = try? JSONDecoder().decode(ClassProtocol.Message.self, from: Data(line)) else {
        drop(connection, reason: "not a JSON message")
        return
      }
      handle(message, from: connection, now)
    }
  }

  private func handle(_ message: ClassProtocol.Message, from connection: Connection, _ now: Double) {
    guard message.v == ClassProtocol.version else {
      reject(connection, "this hub speaks version \(ClassProtocol.version) of the protocol")
      return
    }
    guard let id = connection.student else {
      switch message.type {
      case "hello", "watch":
        guard message.code?.uppercased() == code else {
          reject(connection, "wrong code")
          return
        }
        if message.type == "watch" {
          connection.watcher = true
          dirty = true
          return
        }
        join(connection, name: ClassProtocol.cleanName(message.name ?? ""), lead: message.lead == true, now)
      case "ping": break
      default:
        reject(connection, "say hello first")
      }
      return
    }
    switch message.type {
    case "position":
      guard let lesson = message.lesson.map(Self.cleanField), let step = message.step, (1...10_000).contains(step) else {
        drop(connection, reason: "a position without a lesson and a step")
        return
      }
      if students[id]?.lesson != lesson || students[id]?.step != step { students[id]?.since = now }
      students[id]?.lesson = lesson
      students[id]?.step = step
      students[id]?.steps = message.steps
      dirty = true
    case "answer":
      guard let lesson = message.lesson.map(Self.cleanField), let step = message.step, let answer = message.answer,
        let number = message.id
      else {
        drop(connection, reason: "an answer without a lesson, step, answer and id")
        return
      }
      let key = PointKey(lesson: lesson, step: step)
      let text = Self.cleanField(answer)
      let right = message.right ?? false
      if answers[key] == nil { points.append(key) }
      if answers[key]?[id] == nil { totalAnswers += 1 }
      answers[key, default: [:]][id] = (text, right)
      lastAnswered = key
      let name = students[id]?.name ?? "?"
      let record = AnswerRecord(name: name, lesson: lesson, step: step, answer: text, right: right, at: now)
      shared.withLock { s in
        let key = "\(id)\u{1}\(lesson)\u{1}\(step)"
        if let index = s.recordIndex[key] {
          s.records[index] = record
        } else {
          s.recordIndex[key] = s.records.count
          s.records.append(record)
        }
      }
      var ack = ClassProtocol.Message(type: "ack")
      ack.id = number
      queue(ack.encoded, on: connection)
      dirty = true
    case "verdict":
      if message.right == false {
        students[id]?.failures += 1
        dirty = true
      }
    case "ping": break
    default:
      drop(connection, reason: "an unknown message type")
    }
  }

  private func join(_ connection: Connection, name: String, lead: Bool, _ now: Double) {
    var id: Int
    if let known = byName[name], students[known]?.connection == nil {
      id = known  // the same student, back after a dropped connection
    } else {
      guard students.values.filter({ $0.connection != nil }).count < limits.students else {
        reject(connection, "the class is full (\(limits.students) students)")
        return
      }
      var unique = name
      var n = 2
      while byName[unique] != nil {
        unique = String(name.prefix(ClassProtocol.maximumName - 4)) + " (\(n))"
        n += 1
      }
      id = students.count + 1
      students[id] = Student(id: id, name: unique, since: now)
      byName[unique] = id
    }
    students[id]?.connection = connection.fd
    students[id]?.lead = lead
    connection.student = id
    var welcome = ClassProtocol.Message(type: "welcome")
    welcome.student = id
    welcome.name = students[id]?.name
    queue(welcome.encoded, on: connection)
    dirty = true
  }

  private func reject(_ connection: Connection, _ reason: String) {
    var error = ClassProtocol.Message(type: "error")
    error.reason = reason
    _ = LineSocket.writeAll(connection.fd, error.encoded, milliseconds: 0)
    refused += 1
    drop(connection, reason: reason)
  }

  private func queue(_ bytes: [UInt8], on connection: Connection) {
    connection.output += bytes
    flush(connection)
  }

  private func flush(_ connection: Connection) {
    while !connection.output.isEmpty {
      let sent = connection.output.withUnsafeBytes { send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if sent > 0 {
        connection.output.removeFirst(sent)
      } else {
        if sent < 0 && errno != EAGAIN && errno != EINTR { drop(connection, reason: nil) }
        break
      }
    }
    // A student that does not read its acks is not allowed to pile them up here.
    if connection.output.count > 1 << 16 { drop(connection, reason: "it does not read what the hub sends") }
  }

  private func drop(_ connection: Connection, reason: String?) {
    guard connections[connection.fd] != nil else { return }
    if let reason {
      dropped += 1
      note("dropped a connection: \(reason)")
    }
    Glibc.close(connection.fd)
    connections[connection.fd] = nil
    if let id = connection.student { students[id]?.connection = nil }
    dirty = true
  }

  /// Keeps the last 20 distinct reasons, a repeated one counted: "… (×488)".
  private func note(_ reason: String) {
    if let index = dropReasons.firstIndex(of: reason) {
      dropCounts[index] += 1
      let count = dropCounts.remove(at: index)
      dropReasons.remove(at: index)
      dropReasons.append(reason)
      dropCounts.append(count)
    } else {
      dropReasons.append(reason)
      dropCounts.append(1)
      if dropReasons.count > 20 {
        dropReasons.removeFirst()
        dropCounts.removeFirst()
      }
    }
    drops = zip(dropReasons, dropCounts).map { $1 > 1 ? "\($0) (×\($1))" : $0 }
    dirty = true
  }

  private var dropReasons: [String] = []
  private var dropCounts: [Int] = []

  private func expire(_ now: Double) {
    for connection in Array(connections.values) {
      if connection.student == nil && !connection.watcher && now - connection.opened > limits.helloSeconds {
        drop(connection, reason: "no hello within \(Int(limits.helloSeconds)) s")
      } else if now - connection.lastLine > limits.silentSeconds && !connection.watcher {
        drop(connection, reason: "silent for \(Int(limits.silentSeconds)) s")
      }
    }
  }

  private func sendFollow() {
    guard
      let follow = shared.withLock({ state -> ClassProtocol.Message? in
        defer { state.follow = nil }
        return state.follow
      })
    else { return }
    for connection in connections.values where connection.student != nil { queue(follow.encoded, on: connection) }
  }

  private func publish(_ now: Double) {
    dirty = false
    var summary = ClassSummary()
    summary.students = students.values.sorted { $0.id < $1.id }.map {
      ClassSummary.Student(
        id: $0.id, name: $0.name, lesson: $0.lesson, step: $0.step, steps: $0.steps, onStep: now - $0.since,
        failures: $0.failures, connected: $0.connection != nil, lead: $0.lead ? true : nil)
    }
    summary.points = points.map { ClassSummary.Point(lesson: $0.lesson, step: $0.step, answered: answers[$0]?.count ?? 0) }
    if let (point, why) = shownPoint(), let given = answers[point] {
      summary.lesson = point.lesson
      summary.step = point.step
      summary.shown = why
      var tally: [String: (Int, Bool)] = [:]
      for (answer, right) in given.values { tally[answer, default: (0, right)].0 += 1 }
      summary.answers = tally.map { ClassSummary.Tally(answer: $0.key, count: $0.value.0, right: $0.value.1) }
        .sorted { ($0.count, $1.answer) > ($1.count, $0.answer) }
      summary.answered = given.count
      summary.rightCount = given.values.filter(\.right).count
    }
    summary.totalAnswers = totalAnswers
    summary.refused = refused
    summary.dropped = dropped
    summary.drops = drops
    shared.withLock { $0.summary = summary }
    if connections.values.contains(where: \.watcher), let line = try? JSONEncoder().encode(summary) {
      let bytes = Array(line) + [UInt8(ascii: "\n")]
      for watcher in connections.values where watcher.watcher { queue(bytes, on: watcher) }
    }
    changed()
  }

  /// The point the dashboard shows, and why: the teacher's choice; else the step the teacher's
  /// own lab is on, once the class answered it; else the point answered last.
  private func shownPoint() -> (PointKey, ClassSummary.Shown)? {
    if let chosen = shownChoice {
      return (PointKey(lesson: chosen.lesson, step: chosen.step), .chosen)
    }
    if let lead = students.values.first(where: { $0.lead && $0.connection != nil }), let lesson = lead.lesson,
      let step = lead.step, answers[PointKey(lesson: lesson, step: step)] != nil
    {
      return (PointKey(lesson: lesson, step: step), .teacher)
    }
    return lastAnswered.map { ($0, .latest) }
  }

  /// A lesson id or answer as kept: printable, at most 200 characters.
  static func cleanField(_ text: String) -> String {
    String(String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }).prefix(200))
  }
}
