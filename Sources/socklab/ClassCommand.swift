import ArgumentParser
import FoundationEssentials
import LabShare
import LabUI
import Lessons
import NcursesBackend
import TerminalUI

#if canImport(Glibc)
  import Glibc
#endif

/// `socklab class --listen ADDR:PORT`: the teacher's hub and its dashboard.
struct ClassCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "class",
    abstract: "Run the teacher's class hub: students join with socklab --join, the dashboard shows the class.",
    discussion: """
      Listens where --listen says, and only there (a classroom address such as 0.0.0.0:7070 is
      reachable by other machines because you asked for it), prints a join code, and shows who is
      connected and where, how the class answered the last prediction, and who is stuck. Students
      run: socklab --join HOST:PORT --name NAME --code CODE. Their labs send the lesson, the step,
      prediction answers and failed lines; no code and no keys. The protocol (JSON lines over TCP,
      version 1) is in the README, so a script can read the hub with a "watch" line.
      """
  )

  @Option(help: "The address and port to listen on, such as 0.0.0.0:7070 (or 127.0.0.1:7070 to try it alone).")
  var listen: String?

  @Option(help: "The join code (default: four random letters and digits).")
  var code: String?

  @Option(help: "At most this many students.")
  var max = 300

  @Option(help: "Minutes on one step after which a student shows as stuck.")
  var stuck = 5.0

  @Option(help: "Where e writes the answers, and where they are written at the end (CSV).")
  var csv: String?

  @Flag(help: "No dashboard: print the join line, then a summary line when the class changes (for scripts and tests).")
  var headless = false

  @Flag(help: "Measure the hub on loopback with simulated students, print the figures, and exit.")
  var bench = false

  @Option(help: "With --bench: how many simulated students.")
  var students = 300

  func validate() throws {
    if !bench && listen == nil { throw ValidationError("say where to listen: --listen 0.0.0.0:7070, or 127.0.0.1:7070") }
    if let listen, Self.address(listen) == nil { throw ValidationError("--listen needs ADDR:PORT with an IPv4 address") }
    if max < 1 { throw ValidationError("--max needs at least 1") }
  }

  static func address(_ text: String) -> (String, UInt16)? {
    guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
    let host = String(text[..<colon])
    var probe = in_addr()
    return inet_pton(AF_INET, host, &probe) == 1 ? (host, port) : nil
  }

  func run() throws {
    if bench { return try ClassBench.run(students: students) }
    let (host, port) = Self.address(listen!)!
    var limits = ClassHub.Limits()
    limits.students = max
    let code = (self.code ?? ClassHub.makeCode()).uppercased()
    var fds: [Int32] = [0, 0]
    _ = pipe(&fds)
    for fd in fds { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
    let writeEnd = fds[1]
    let hub: ClassHub
    do {
      hub = try ClassHub(host: host, port: port, code: code, limits: limits) {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
      }
    } catch {
      printError("socklab: \(error)")
      throw ExitCode(1)
    }
    hub.start()
    defer {
      hub.stop()
      if let csv { try? Files.write(hub.csv(), to: csv) }
    }
    let where_ = "\(host):\(hub.port)"
    let join = "socklab --join \(host == "0.0.0.0" ? "THIS-MACHINE" : host):\(hub.port) --name NAME --code \(code)"
    if headless {
      say("# class hub listening on \(where_), code \(code)\n# students join with: \(join)")
      headlessLoop(hub, wake: fds[0])
      return
    }
    guard isatty(STDOUT_FILENO) == 1 else {
      printError("socklab: the dashboard needs a terminal; use --headless in scripts")
      throw ExitCode(1)
    }
    dashboard(hub, wake: fds[0], listening: where_, code: code, join: join)
  }

  /// Without a terminal: one JSON summary line each time the class changes, until stopped.
  private func headlessLoop(_ hub: ClassHub, wake: Int32) {
    signal(SIGTERM) { _ in stopHeadless = 1 }
    signal(SIGINT) { _ in stopHeadless = 1 }
    // A hub started by a program that blocks these signals (test runners do) must still stop.
    var stopping = sigset_t()
    sigemptyset(&stopping)
    sigaddset(&stopping, SIGTERM)
    sigaddset(&stopping, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &stopping, nil)
    var last = ClassSummary()
    var drain = [UInt8](repeating: 0, count: 256)
    while stopHeadless == 0 {
      var entry = pollfd(fd: wake, events: Int16(POLLIN), revents: 0)
      _ = poll(&entry, 1, 500)
      while read(wake, &drain, drain.count) > 0 {}
      var now = hub.summary
      for index in now.students.indices { now.students[index].onStep = 0 }
      if now != last, let line = try? JSONEncoder().encode(now) {
        say(String(decoding: line, as: UTF8.self))
        last = now
      }
    }
  }

  private func dashboard(_ hub: ClassHub, wake: Int32, listening: String, code: String, join: String) {
    let terminal = NcursesTerminal(wakeDescriptor: -1)
    defer { terminal.restore() }
    var view = ClassDashboard(
      summary: hub.summary, listening: listening, code: code, stuckAfter: stuck * 60, theme: Theme.named("default")!,
      unicode: terminal.unicode, message: "Students join with: \(join)")
    var previous: Canvas?
    var drain = [UInt8](repeating: 0, count: 256)
    while !terminal.stopRequested {
      view.summary = hub.summary
      let (width, height) = terminal.size
      let canvas = view.render(width: width, height: height)
      if canvas != previous {
        terminal.draw(canvas)
        previous = canvas
      }
      var waits = [pollfd(fd: terminal.inputDescriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
      _ = poll(&waits, 2, 1000)
      while read(wake, &drain, drain.count) > 0 {}
      while let key = terminal.nextKey() {
        switch key {
        case .character("q"): return
        case .character("e"):
          let path = csv ?? "class-answers.csv"
          do {
            try Files.write(hub.csv(), to: path)
            view.message = "Wrote \(hub.summary.totalAnswers) answers to \(path)"
          } catch {
            view.message = "Could not write \(path): \(error)"
          }
        case .character("f"):
          if let lead = hub.summary.students.first(where: { $0.connected && $0.lead == true }),
            let lesson = lead.lesson, let step = lead.step
          {
            hub.follow(lesson: lesson, step: step)
            view.message = "Asked the class to follow to \(lesson), step \(step)."
          } else {
            view.message = "Follow me needs the teacher's own lab: socklab --join … --name teacher --code \(code) --lead"
          }
        case .left, .right:
          if let point = view.neighbouringPoint(key == .left ? -1 : 1) {
            hub.show(point)
            view.message = "Showing \(point.lesson), step \(point.step): c goes back to the current prediction."
          } else {
            view.message = "No prediction answered yet."
          }
        case .character("c"):
          hub.showCurrent()
          view.message = "Showing the current prediction: the teacher's step, or the one answered last."
        case .up: view.scroll = Swift.max(0, view.scroll - 1)
        case .down: view.scroll += 1
        case .resize:
          terminal.invalidate()
          previous = nil
        default: break
        }
      }
    }
  }
}

nonisolated(unsafe) private var stopHeadless: sig_atomic_t = 0
