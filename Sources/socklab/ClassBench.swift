import FoundationEssentials
import LabShare

#if canImport(Glibc)
  import Glibc
#endif

/// `socklab class --bench`: the hub in a process of its own on loopback, with simulated
/// students in this one. Figures: answers per second, memory per connected student, and the
/// time from an answer to the histogram a watcher sees.
enum ClassBench {
  static func run(students count: Int) throws {
    let code = "BNCH"
    let (pid, port, output) = try startHub(code: code, students: count)
    defer {
      // Its output first: a hub blocked writing to a pipe nobody reads would not see SIGTERM.
      close(output)
      kill(pid, SIGTERM)
      var status: Int32 = 0
      waitpid(pid, &status, 0)
    }
    let before = rss(pid)
    var students: [Int32] = []
    defer { students.forEach { close($0) } }
    for index in 0..<count {
      guard let fd = connectTo(port) else { throw BenchError("student \(index) could not connect") }
      var hello = ClassProtocol.Message(type: "hello")
      hello.name = "student \(index)"
      hello.code = code
      send(fd, hello.encoded)
      students.append(fd)
    }
    for fd in students { _ = readLines(fd, until: { $0.contains("welcome") }, seconds: 10) }
    usleep(200_000)
    let after = rss(pid)
    // Answers per second: every student answers the same point 50 times (within the burst the
    // hub allows), and the time runs until every acknowledgement has come back.
    let perStudent = 50
    let start = Date()
    for fd in students {
      var batch: [UInt8] = []
      for n in 0..<perStudent {
        var answer = ClassProtocol.Message(type: "answer")
        answer.lesson = "bench"
        answer.step = n + 1
        answer.answer = String(n % 5)
        answer.right = n % 5 == 0
        answer.id = n + 1
        batch += answer.encoded
      }
      send(fd, batch)
    }
    var acks = 0
    for fd in students { acks += readLines(fd, until: { _ in false }, seconds: 5, count: perStudent) }
    let elapsed = Date().timeIntervalSince(start)
    // Answer to histogram: a watcher sees the summary after each single answer.
    guard let watcher = connectTo(port) else { throw BenchError("the watcher could not connect") }
    defer { close(watcher) }
    var watch = ClassProtocol.Message(type: "watch")
    watch.code = code
    send(watcher, watch.encoded)
    _ = readLines(watcher, until: { _ in true }, seconds: 2)
    var latencies: [Double] = []
    for round in 0..<20 {
      let fd = students[round % students.count]
      var answer = ClassProtocol.Message(type: "answer")
      answer.lesson = "latency"
      answer.step = round + 1
      answer.answer = "x"
      answer.id = 1000 + round
      let sent = Date()
      send(fd, answer.encoded)
      _ = readLines(watcher, until: { $0.contains("\"latency\"") && $0.contains("\"step\":\(round + 1)") }, seconds: 2)
      latencies.append(Date().timeIntervalSince(sent) * 1000)
      _ = readLines(fd, until: { $0.contains("ack") }, seconds: 1)
    }
    latencies.sort()
    let perStudentKB = Double(max(0, after - before)) / Double(count)
    say("class hub, \(count) students on loopback (the hub in its own process):")
    say("  answers per second      \(fixed(Double(acks) / elapsed, places: 0))  (\(acks) answers acknowledged in \(fixed(elapsed, places: 3)) s)")
    say("  memory per student      \(fixed(perStudentKB, places: 1)) KB  (hub RSS \(before) KB before, \(after) KB with all joined)")
    say(
      "  answer to histogram     \(fixed(latencies[latencies.count / 2], places: 2)) ms median, \(fixed(latencies.last ?? 0, places: 2)) ms worst of 20 (target < 100 ms)"
    )
  }

  struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }

  /// Starts `socklab class --headless` on a free loopback port; returns its pid, port and output.
  private static func startHub(code: String, students: Int) throws -> (pid_t, UInt16, Int32) {
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else { throw BenchError("no pipe") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
    posix_spawn_file_actions_addclose(&actions, ends[0])
    let arguments = ["socklab", "class", "--headless", "--listen", "127.0.0.1:0", "--code", code, "--max", String(students + 10)]
    let argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/proc/self/exe", &actions, nil, argv, environ) == 0 else { throw BenchError("cannot start the hub") }
    close(ends[1])
    var text = ""
    var chunk = [UInt8](repeating: 0, count: 4096)
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline, !text.contains("code") {
      let n = read(ends[0], &chunk, chunk.count)
      if n <= 0 { break }
      text += String(decoding: chunk[..<n], as: UTF8.self)
    }
    guard let range = text.firstRange(of: "listening on 127.0.0.1:"),
      let port = UInt16(text[range.upperBound...].prefix { $0.isNumber })
    else { throw BenchError("the hub did not say where it listens: \(text)") }
    LineSocket.setNonBlocking(ends[0])
    return (pid, port, ends[0])
  }

  private static func connectTo(_ port: UInt16) -> Int32? {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard result == 0 else {
      close(fd)
      return nil
    }
    return fd
  }

  private static func send(_ fd: Int32, _ bytes: [UInt8]) { _ = LineSocket.writeAll(fd, bytes, milliseconds: 5000) }

  /// Reads lines from `fd` until one satisfies `done`, `count` lines came, or `seconds` pass;
  /// returns how many lines came.
  private static func readLines(_ fd: Int32, until done: (String) -> Bool, seconds: Double, count: Int = .max) -> Int {
    var lines = 0
    var pending = ""
    let deadline = Date().addingTimeInterval(seconds)
    var chunk = [UInt8](repeating: 0, count: 65536)
    while Date() < deadline && lines < count {
      var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&entry, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) > 0 else { continue }
      let n = recv(fd, &chunk, chunk.count, 0)
      if n <= 0 { break }
      pending += String(decoding: chunk[..<n], as: UTF8.self)
      while let newline = pending.firstIndex(of: "\n") {
        let line = String(pending[..<newline])
        pending = String(pending[pending.index(after: newline)...])
        lines += 1
        if done(line) { return lines }
      }
    }
    return lines
  }

  /// Resident memory of `pid`, in KB.
  private static func rss(_ pid: pid_t) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
      return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
  }
}
