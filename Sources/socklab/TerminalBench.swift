import Lessons
import ShippedLessons
import SocketKit

#if canImport(Glibc)
  import Glibc
#endif

/// `socklab bench --terminal`: the lab measured where people see it, in a real terminal (a
/// private tmux server), beside `vim -u NONE -N` measured the same way in the same run. Screens
/// are read by polling `tmux capture-pane`, so every time is an upper bound, for both alike.
struct TerminalBench {
  let program: String
  let width = 120
  let height = 40
  let server = "socklab-bench-\(getpid())"
  let state: String

  init(program: String) {
    self.program = program
    var template = Array("/tmp/socklab-bench-XXXXXX".utf8CString)
    state = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) } ?? "/tmp"
  }

  static var available: Bool { access("/usr/bin/tmux", X_OK) == 0 }

  func run(idleSeconds: Int) {
    defer {
      tmux(["kill-server"])
      Self.spawn(["/bin/rm", "-rf", state])
    }
    say("SocketLab in a real terminal (tmux, \(width)x\(height)), beside vim -u NONE -N measured the same way")
    // Taken in turns, so that a busy moment of the machine falls on both alike.
    var labFrames: [UInt64] = []
    var vimFrames: [UInt64] = []
    for _ in 0..<9 {
      if let frame = firstFrame([program], until: "Lessons") { labFrames.append(frame) }
      if let frame = firstFrame(["/usr/bin/vim", "-u", "NONE", "-N"], until: "~") { vimFrames.append(frame) }
    }
    let (lab, vim) = (median(labFrames), median(vimFrames))
    say("  first frame:       \(format(lab)) (vim -u NONE -N: \(format(vim)), ratio \(ratio(lab, vim)))")

    // Lesson 1 played to its last step by keys, with its sockets live (TIME-WAIT rows included).
    guard startFresh([program], until: "Lessons") else { return say("  the lab did not start") }
    send(["Enter"])
    _ = waitFor("Step 1 of")
    var keys: [UInt64] = []
    let lesson = (try? LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: []))?.lessons.first
    var answers = lesson?.steps.compactMap { $0.prediction?.answer } ?? []
    for _ in 0..<200 {
      guard let screen = capture() else { break }
      if screen.contains("That was the last step") || screen.contains("Lesson complete") { break }
      // The Lesson pane's "Your turn" may be below its fold; the status line says it too.
      if screen.contains("Your turn outside the lab") || screen.contains("Waiting for a program outside the lab") {
        send(["s"])
      } else if screen.contains("Your prediction for") {
        send(["-l", answers.isEmpty ? "?" : answers.removeFirst()])
        send(["Enter"])
      } else if screen.contains("blocked") && !screen.contains("Next:") {
        send(["Space"])
        usleep(200_000)
      } else {
        // Key to screen: Space, then poll until the screen differs.
        let before = MonotonicClock.nanoseconds()
        send(["Space"])
        if waitForChange(from: screen) { keys.append(MonotonicClock.nanoseconds() - before) }
      }
    }
    say("  key to screen (Space, \(keys.count) presses): median \(format(median(keys))), max \(format(keys.max()))")
    guard let pid = panePID() else { return say("  cannot find the lab's process") }
    usleep(1_000_000)
    // Where the idle figure is taken: a step with a blocked call animates its spinner.
    let finalScreen = capture() ?? ""
    // The title line: "SocketLab · 1. A TCP conversation · step 16 of 16   PORT = …".
    let place = finalScreen.split(separator: "\n").first.flatMap { line in
      line.split(separator: "·").last.map { $0.split(separator: " ").prefix(4).joined(separator: " ") }
    }.flatMap { $0.hasPrefix("step") ? $0 : nil }
    let cpuBefore = cpuNanoseconds(pid)
    let wallBefore = MonotonicClock.nanoseconds()
    usleep(UInt32(idleSeconds) * 1_000_000)
    let cpuAfter = cpuNanoseconds(pid)
    let wall = Double(MonotonicClock.nanoseconds() - wallBefore)
    if let cpuBefore, let cpuAfter {
      // A thread that started meanwhile counts from zero; one that ended is left out.
      let used = cpuAfter.reduce(UInt64(0)) { total, entry in total + (entry.value - min(entry.value, cpuBefore[entry.key] ?? 0)) }
      let percent = Double(used) / wall * 100
      say("  idle CPU over \(idleSeconds) s, lesson 1's sockets live\(place.map { " (at \($0))" } ?? ""): \(format3(percent)) % of a core")
      if finalScreen.split(separator: "\n").suffix(3).contains(where: { $0.contains(" blocked ") }) {
        say("  (a call is still blocked there: its spinner redraws the screen)")
      }
    }
    say("  peak resident memory:  \(peakResident(pid) ?? "?")")
    send(["q"])
    send(["q"])
  }

  // MARK: - Measuring

  /// Starts `command` in a fresh pane and returns how long until the screen shows `text`.
  private func firstFrame(_ command: [String], until text: String) -> UInt64? {
    tmux(["kill-server"])
    let before = MonotonicClock.nanoseconds()
    guard start(command), waitFor(text) != nil else { return nil }
    let elapsed = MonotonicClock.nanoseconds() - before
    tmux(["kill-server"])
    return elapsed
  }

  /// Starts `command` in a new server, trying again when a server that was just killed was still
  /// going away and took the new session with it.
  private func startFresh(_ command: [String], until text: String) -> Bool {
    for _ in 0..<3 {
      tmux(["kill-server"])
      usleep(100_000)
      if start(command), waitFor(text) != nil { return true }
    }
    return false
  }

  private func start(_ command: [String]) -> Bool {
    let line = "exec " + command.map { "'\($0)'" }.joined(separator: " ")
    return tmux(
      ["-f", "/dev/null", "new-session", "-d", "-s", "bench", "-x", "\(width)", "-y", "\(height)", "-e", "LANG=C.UTF-8", "-e",
       "XDG_STATE_HOME=\(state)", "-e", "HOME=\(state)", line]) != nil
  }

  private func capture() -> String? { tmux(["capture-pane", "-p", "-t", "bench"], capture: true) }

  private func send(_ keys: [String]) { tmux(["send-keys", "-t", "bench"] + keys) }

  /// Polls the screen until it contains `text` (at most 5 s).
  private func waitFor(_ text: String) -> String? {
    let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
    while MonotonicClock.nanoseconds() < deadline {
      if let screen = capture(), screen.contains(text) { return screen }
    }
    return nil
  }

  private func waitForChange(from screen: String) -> Bool {
    let deadline = MonotonicClock.nanoseconds() + 2_000_000_000
    while MonotonicClock.nanoseconds() < deadline {
      if let now = capture(), now != screen { return true }
    }
    return false
  }

  private func panePID() -> Int32? {
    tmux(["display-message", "-p", "-t", "bench", "#{pane_pid}"], capture: true).flatMap { $0.split(separator: "\n").first.flatMap { Int32($0) } }
  }

  /// Nanoseconds `pid`'s threads have run, from `/proc/PID/task/*/schedstat` (precise, where
  /// `/proc/PID/stat` counts in 10 ms ticks, too coarse for an idle process).
  /// By thread, since a thread may start or end between two readings.
  private func cpuNanoseconds(_ pid: Int32) -> [String: UInt64]? {
    guard let tasks = try? Files.list("/proc/\(pid)/task") else { return nil }
    var times: [String: UInt64] = [:]
    for task in tasks {
      guard let line = try? Files.read("/proc/\(pid)/task/\(task)/schedstat", limit: 4096),
        let first = line.split(separator: " ").first, let value = UInt64(first)
      else { continue }
      times[task] = value
    }
    return times
  }

  private func peakResident(_ pid: Int32) -> String? {
    guard let status = try? Files.read("/proc/\(pid)/status", limit: 65536) else { return nil }
    return status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.map { String($0.dropFirst(6)).trimmingSpaces() }
  }

  // MARK: - Running programs

  /// Runs tmux; `capture` only for commands that print (a tmux server that a command starts
  /// inherits the output pipe and would hold it open forever).
  @discardableResult
  private func tmux(_ arguments: [String], capture: Bool = false) -> String? {
    Self.spawn(["/usr/bin/tmux", "-L", server] + arguments, capture: capture)
  }

  /// Runs `argv` with no standard input and returns its standard output, nil if it failed.
  @discardableResult
  static func spawn(_ argv: [String], capture: Bool = false) -> String? {
    var pipeEnds: [Int32] = [0, 0]
    // Close-on-exec, so that only the duplicate on standard output reaches the child.
    guard pipe(&pipeEnds) == 0 else { return nil }
    for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    if capture {
      posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
    } else {
      posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    }
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
    let arguments = argv.map { strdup($0) } + [nil]
    defer { for pointer in arguments { free(pointer) } }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, argv[0], &actions, nil, arguments, environ)
    close(pipeEnds[1])
    defer { close(pipeEnds[0]) }
    guard status == 0 else { return nil }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = read(pipeEnds[0], &chunk, chunk.count)
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break }
      output += chunk.prefix(count)
    }
    var exit: Int32 = 0
    while waitpid(pid, &exit, 0) < 0 && errno == EINTR {}
    return exit == 0 ? String(decoding: output, as: UTF8.self) : nil
  }

  // MARK: - Figures

  private func median(_ values: [UInt64]) -> UInt64? { values.isEmpty ? nil : values.sorted()[values.count / 2] }
  private func format(_ value: UInt64?) -> String { value.map { formatDuration(nanoseconds: $0) } ?? "?" }
  private func ratio(_ a: UInt64?, _ b: UInt64?) -> String {
    guard let a, let b, b > 0 else { return "?" }
    return format2(Double(a) / Double(b)) + "x"
  }
  private func format3(_ value: Double) -> String { fixed(value, places: 3) }
  private func format2(_ value: Double) -> String { fixed(value, places: 2) }
}

/// `value` with `places` digits after the point (no Foundation formatting needed): fixed(2.5, places: 2) is "2.50".
func fixed(_ value: Double, places: Int) -> String {
  var scale = 1
  for _ in 0..<places { scale *= 10 }
  let scaled = Int((abs(value) * Double(scale)).rounded())
  let sign = value < 0 && scaled > 0 ? "-" : ""
  guard places > 0 else { return sign + String(scaled) }
  let fraction = String(scaled % scale)
  return sign + "\(scaled / scale)." + String(repeating: "0", count: places - fraction.count) + fraction
}

/// `value` as at least two digits: 7 is "07".
func twoDigits(_ value: Int) -> String { value < 10 && value >= 0 ? "0\(value)" : String(value) }
