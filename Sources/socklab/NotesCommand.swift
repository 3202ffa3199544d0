import ArgumentParser
import FoundationEssentials
import LabShare
import Lessons

#if canImport(Glibc)
  import Glibc
#endif

/// `socklab notes`: the presenter's screen, in a second terminal. It attaches to the running lab
/// through the UNIX socket in the runtime folder and shows, read-only, where the lesson is, the
/// step's notes, the next line and what it should give, the prediction's answer, and the time.
struct NotesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "notes",
    abstract: "Show the presenter's notes of the running lab, in a second terminal (q quits).",
    discussion: """
      Follows the lab in another terminal of the same user: the step on its screen, the step's
      Notes:, the next line and its expected result, the prediction's answer, the time per step
      and a clock. Nothing here appears on the lab's screen. When the lab quits or restarts, the
      notes wait for it and attach again.
      """
  )

  @Option(help: "The lab's runtime folder (default: as socklab lessons --paths shows).")
  var runtime: String?

  @Flag(help: "Print the current notes once as plain text and exit (for scripts).")
  var once = false

  func run() throws {
    let path = (runtime ?? StatePaths.current().runtime) + "/presenter.sock"
    if once {
      guard let client = PresenterClient.connect(path) else {
        printError("socklab: no lab is running (nothing answers at \(path))")
        throw ExitCode(1)
      }
      var ended = false
      var entry = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
      for _ in 0..<20 {
        guard poll(&entry, 1, 100) > 0 else { continue }
        if let snapshot = client.read(ended: &ended) {
          say(NotesScreen.lines(snapshot, width: 100, now: Date().timeIntervalSince1970).joined(separator: "\n"), raw: true)
          return
        }
        if ended { break }
      }
      printError("socklab: the lab sent nothing yet (open a lesson in it)")
      throw ExitCode(1)
    }
    NotesScreen.run(path: path)
  }
}

enum NotesScreen {
  /// Follows the feed at `path` until q, redrawing on every snapshot and once a second.
  static func run(path: String) {
    var original = termios()
    let isTerminal = tcgetattr(0, &original) == 0
    if isTerminal {
      var raw = original
      raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
      tcsetattr(0, TCSANOW, &raw)
    }
    write("\u{1B}[?1049h\u{1B}[?25l")
    defer {
      write("\u{1B}[?25h\u{1B}[?1049l")
      if isTerminal { tcsetattr(0, TCSANOW, &original) }
    }
    var client: PresenterClient?
    var snapshot: PresenterSnapshot?
    while true {
      if client == nil { client = PresenterClient.connect(path) }
      draw(snapshot, attached: client != nil, path: path)
      var entries = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
      if let client { entries.append(pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)) }
      _ = poll(&entries, nfds_t(entries.count), client == nil ? 500 : 1000)
      if entries[0].revents != 0 {
        var key: UInt8 = 0
        if read(0, &key, 1) <= 0 || key == UInt8(ascii: "q") || key == 3 { return }
      }
      if entries.count > 1, entries[1].revents != 0, let attached = client {
        var ended = false
        if let newer = attached.read(ended: &ended) { snapshot = newer }
        if ended { client = nil }
      }
    }
  }

  private static func draw(_ snapshot: PresenterSnapshot?, attached: Bool, path: String) {
    var size = winsize()
    let width = ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) : 80
    var lines: [String]
    if let snapshot, attached {
      lines = Self.lines(snapshot, width: width, now: Date().timeIntervalSince1970)
    } else {
      lines = [
        " SocketLab notes", "",
        attached ? " Attached: open a lesson in the lab." : " Waiting for a lab… start socklab in another terminal.",
        " (\(path))",
      ]
      if let snapshot { lines += ["", " Last seen: \(snapshot.lesson), step \(snapshot.step) of \(snapshot.steps)"] }
    }
    lines.append("")
    lines.append(" q quits · read-only: this screen follows the lab, the lab never shows it")
    write("\u{1B}[H\u{1B}[2J" + lines.map { String($0.prefix(width)) }.joined(separator: "\r\n"))
  }

  /// The notes screen as text lines, `width` columns wide.
  static func lines(_ s: PresenterSnapshot, width: Int, now: Double) -> [String] {
    let clock = clockText(now)
    let title = " SocketLab notes · \(s.lesson)"
    var lines = [title + String(repeating: " ", count: max(1, width - title.count - clock.count - 1)) + clock]
    let position = " Step \(s.step) of \(s.steps) · \(s.stepTitle)"
    let times = "step \(duration(now - s.stepStarted)) · lesson \(duration(now - s.lessonStarted)) "
    lines.append(position + String(repeating: " ", count: max(1, width - position.count - times.count)) + times)
    lines.append(" " + String(repeating: "─", count: max(0, width - 2)))
    lines.append(" Notes")
    lines += wrap(s.notes ?? "(none for this step)", width: width - 4).map { "   " + $0 }
    lines.append("")
    lines.append(" Next line")
    if let next = s.nextLine {
      lines += wrap(next + (s.expected.map { "   expects \($0)" } ?? ""), width: width - 4).map { "   " + $0 }
    } else {
      lines.append("   (the step's lines have run: Space or → goes on)")
    }
    if let answer = s.answer {
      lines.append("")
      lines.append(" Prediction's answer")
      lines += wrap(answer, width: width - 4).map { "   " + $0 }
    }
    lines.append("")
    lines.append(" Then: " + (s.nextStep ?? "the end of the lesson"))
    let spent = s.stepSeconds.enumerated().filter { $0.element >= 0.5 }
    if !spent.isEmpty {
      let each = spent.map { "\($0.offset + 1) \(duration($0.element))" }.joined(separator: " · ")
      lines += wrap("Times: " + each, width: width - 2).map { " " + $0 }
    }
    return lines
  }

  private static func clockText(_ now: Double) -> String {
    var seconds = time_t(now)
    var parts = tm()
    localtime_r(&seconds, &parts)
    return "\(twoDigits(Int(parts.tm_hour))):\(twoDigits(Int(parts.tm_min))):\(twoDigits(Int(parts.tm_sec)))"
  }

  static func duration(_ seconds: Double) -> String {
    let whole = max(0, Int(seconds))
    return "\(whole / 60):\(twoDigits(whole % 60))"
  }

  static func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var current = ""
      for word in paragraph.split(separator: " ") {
        if !current.isEmpty, current.count + 1 + word.count > width {
          lines.append(current)
          current = ""
        }
        current += (current.isEmpty ? "" : " ") + word
      }
      lines.append(current)
    }
    return lines
  }

  private static func write(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
  }
}
