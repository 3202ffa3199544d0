import Foundation
import LabScript
import Lessons
import SocketKit
import Testing

/// The real binary in a real terminal: tmux on a private socket, keys sent with send-keys, the
/// screen read with capture-pane.
final class TmuxSession {
  let socket = "socklab-test-\(UUID().uuidString.prefix(8))"
  let name = "lab"
  let exitFile: String
  let stateFolder: String

  static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

  /// Starts `program` (by default the binary this test run built) with `arguments` in `directory`
  /// (by default the package's), with `environment` added.
  init(
    width: Int, height: Int, term: String? = nil, program: String = Socklab.executable.path, arguments: [String] = [],
    in directory: String = Socklab.packageRoot.path, environment extra: [String] = []
  ) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-tmux-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    stateFolder = folder.path
    exitFile = folder.appendingPathComponent("exit-status").path
    let command = ([program] + arguments).map { "'\($0)'" }.joined(separator: " ") + "; echo $? > '\(exitFile)'"
    // Without output capture: the tmux server this starts would hold a pipe open forever.
    let environment = ["LANG=C.UTF-8", "XDG_STATE_HOME=\(stateFolder)"] + (term.map { ["TERM=\($0)"] } ?? []) + extra
    try spawn(
      ["-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)"]
        + environment.flatMap { ["-e", $0] } + ["-c", directory, command], capture: false)
  }

  deinit {
    try? run("kill-server")
    try? FileManager.default.removeItem(atPath: stateFolder)
  }

  /// Runs tmux with `arguments` and returns what it printed. posix_spawn and waitpid directly:
  /// the tmux server a client starts must not inherit anything the test waits on.
  @discardableResult
  func tmux(_ arguments: String...) throws -> String { try spawn(arguments, capture: true) }

  func send(_ keys: String...) throws { try spawn(["send-keys", "-t", name] + keys, capture: false) }

  /// Types `line` as it is and presses Enter.
  func enter(_ line: String) throws {
    try send("-l", line)
    try send("Enter")
  }

  func run(_ arguments: String...) throws { try spawn(arguments, capture: false) }

  @discardableResult
  private func spawn(_ arguments: [String], capture: Bool) throws -> String {
    let outputPath = stateFolder + "/tmux-output-\(UUID().uuidString)"
    defer { unlink(outputPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, capture ? outputPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = (["tmux", "-L", socket] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    // Start tmux as a shell would, with no signal blocked (the test runner's threads block some).
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    var pid: pid_t = 0
    let status = posix_spawn(&pid, "/usr/bin/tmux", &actions, &attributes, argv, environ)
    guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EIO) }
    var exit: Int32 = 0
    while waitpid(pid, &exit, 0) < 0 && errno == EINTR {}
    guard capture else { return "" }
    return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
  }

  /// Types each line at the prompt and presses Enter, a moment apart.
  func enterLines(_ lines: [String]) throws {
    for line in lines {
      try send("-l", line)
      try send("Enter")
      Thread.sleep(forTimeInterval: 0.3)
    }
  }

  func screen() throws -> String { try tmux("capture-pane", "-p", "-t", name) }

  /// Waits (bounded) until the screen contains `text`; returns the screen.
  @discardableResult
  func waitFor(_ text: String, seconds: Double = 10) throws -> String {
    let deadline = Date().addingTimeInterval(seconds)
    var last = ""
    while Date() < deadline {
      last = try screen()
      if last.contains(text) { return last }
      Thread.sleep(forTimeInterval: 0.05)
    }
    Issue.record("the screen never showed \(text):\n\(last)")
    return last
  }

  /// The program's exit status once it has ended (bounded wait).
  func exitStatus(seconds: Double = 10) -> String? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if let text = try? String(contentsOfFile: exitFile, encoding: .utf8), !text.isEmpty {
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
      }
      Thread.sleep(forTimeInterval: 0.05)
    }
    return nil
  }
}

extension Live {
  @Suite("In a real terminal") struct InTmux {
    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func lessonOnePlaysToTheEndInARealTerminal() throws {
      let lesson = try #require(try LessonLibrary.load(LessonChecks.lessonsFolder).lesson(named: "tcp-conversation"))
      var answers = lesson.steps.compactMap { $0.prediction?.answer }
      let tmux = try TmuxSession(width: 100, height: 30)
      try tmux.waitFor("1. A TCP conversation")
      try tmux.send("Enter")
      try tmux.waitFor("Step 1 of 16")

      var seen: [String] = []
      var resized = false
      var visited = false
      var visitors: [OutsidePeer] = []
      defer { visitors.forEach { $0.stop() } }
      for _ in 0..<150 {
        let screen = try tmux.screen()
        seen += screen.split(separator: "\n").map(String.init)
        if screen.contains("That was the last step") || screen.contains("Lesson complete") { break }
        if screen.contains("Your turn outside the lab") && !visited {
          // Be the visitor for real: a bounded Python peer connects, says one line, and leaves.
          let port = screen.split(separator: "\n").first.flatMap { $0.split(separator: " ").last }.map(String.init) ?? ""
          // On the lab's own host the command the screen shows joins it first: do as it says.
          let host = WireCheck.hosts ? "server" : nil
          visitors.append(try OutsidePeer(port: UInt16(port) ?? 0, bytes: "knock knock\\n", seconds: 1, host: host))
          visited = true
          Thread.sleep(forTimeInterval: 0.5)
          try tmux.send("Space")
        } else if screen.contains("Your prediction for") {
          try tmux.enter(answers.isEmpty ? "?" : answers.removeFirst())
        } else {
          try tmux.send("Space")
        }
        if !resized && screen.contains("Step 7 of 16") {
          try tmux.run("resize-window", "-t", tmux.name, "-x", "80", "-y", "24")
          resized = true
        }
        Thread.sleep(forTimeInterval: 0.25)
      }
      let final = try tmux.screen()
      seen += final.split(separator: "\n").map(String.init)
      #expect(resized)
      #expect(final.split(separator: "\n").count == 24, "the screen was not re-laid out at 80x24:\n\(final)")
      #expect(final.contains("step 16 of 16"), "\(final)")
      #expect(seen.contains { $0.contains("LISTEN") })
      #expect(seen.contains { $0.contains("ESTABLISHED") })
      #expect(seen.contains { $0.contains("→ 127.0.0.1:") }, "the peer's address")
      #expect(seen.contains { $0.contains("recv(a, buf, sizeof buf, 0);  // = 0") }, "recv() = 0 after the shutdown")
      #expect(seen.contains { $0.contains("TIME-WAIT") })
      #expect(!seen.contains { $0.contains("✗") }, "a line failed")
      #expect(visited, "the lesson never asked for a visitor from outside")
      #expect(seen.contains { $0.contains(#""knock knock\n""#) }, "the outside peer's bytes never showed up in the Log")

      try tmux.send("q")
      try tmux.waitFor("Lessons")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func ctrlCRestoresTheTerminal() throws {
      let tmux = try TmuxSession(width: 100, height: 30)
      try tmux.waitFor("1. A TCP conversation")
      try tmux.send("Enter")
      try tmux.waitFor("Step 1 of 16")
      try tmux.send("C-c")
      #expect(tmux.exitStatus() == "0")
      // The shell got its terminal back: the lab's screen is gone.
      #expect(!(try tmux.screen().contains("Step 1 of 16")))
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func sigtermEndsTheLabCleanly() throws {
      let tmux = try TmuxSession(width: 100, height: 30)
      try tmux.waitFor("1. A TCP conversation")
      try tmux.send("Enter")
      try tmux.waitFor("Step 1 of 16")
      let shell = try tmux.tmux("display-message", "-p", "-t", tmux.name, "#{pane_pid}").trimmingCharacters(
        in: .whitespacesAndNewlines)
      let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
      let lab = try #require(Int32(children.split(separator: " ").first ?? ""))
      kill(lab, SIGTERM)
      #expect(tmux.exitStatus() == "0")
      #expect(!(try tmux.screen().contains("Step 1 of 16")))
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func aTerminalWithoutColoursStillWorks() throws {
      let tmux = try TmuxSession(width: 80, height: 24, term: "vt100")
      let screen = try tmux.waitFor("1. A TCP conversation")
      #expect(screen.contains("Lessons"))
      try tmux.send("Enter")
      try tmux.waitFor("Step 1 of 16")
      try tmux.send("q")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func aLessonOpensAtAStepFromTheCommandLineAndResumesThereNextTime() throws {
      let tmux = try TmuxSession(width: 100, height: 30, arguments: ["lessons", "tcp-conversation", "--step", "5"])
      let screen = try tmux.waitFor("Step 5 of 16: Waiting for a caller")
      #expect(screen.contains("step 5 of 16"))
      try tmux.waitFor("LISTEN")  // the lines of steps 1 to 4 were replayed
      try tmux.send("q")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
      // The same learner opens the lesson again from the picker: the lab offers step 5.
      let again = try TmuxSession(
        width: 100, height: 30, environment: ["XDG_STATE_HOME=\(tmux.stateFolder)"])
      try again.waitFor("1. A TCP conversation")
      try again.send("Enter")
      try again.waitFor("You left this lesson at step 5")
      try again.send("Enter")
      try again.waitFor("Step 5 of 16: Waiting for a caller")
      try again.send("q")
      try again.send("q")
      #expect(again.exitStatus() == "0")
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func freePlaysPromptEditsAndSearchesLikeAShell() throws {
      let tmux = try TmuxSession(width: 100, height: 30, arguments: ["play"])
      try tmux.waitFor("free play")
      // A typo at the start of the line, fixed with Home and the arrows.
      try tmux.send("-l", "x = socket(AF_INET, SOCK_DGRAM, 0)")
      try tmux.send("Home", "Delete")
      try tmux.enter("u")
      try tmux.waitFor("int u = socket(AF_INET, SOCK_DGRAM, 0);")
      try tmux.enter("nothing = 1")
      // Ctrl-R brings the socket line back; Enter runs it again.
      try tmux.send("C-r")
      try tmux.send("-l", "DGRAM")
      try tmux.waitFor("history search `DGRAM")
      try tmux.send("Enter")
      var screen = try tmux.waitFor("3 lines run")
      for _ in 0..<50 where screen.components(separatedBy: "socket(AF_INET, SOCK_DGRAM, 0);").count < 3 {
        usleep(100_000)
        screen = try tmux.screen()
      }
      #expect(screen.components(separatedBy: "socket(AF_INET, SOCK_DGRAM, 0);").count >= 3, "\(screen)")
      // Alt-B by words and Ctrl-K: the prompt is the one shells have.
      try tmux.send("-l", "close(u) junk")
      try tmux.send("M-b", "C-k")
      try tmux.waitFor("› close(u) ▏")
      try tmux.send("C-u")
      // F1 on connect(: its reference, scrolled with PgDn down to its last errno.
      try tmux.send("-l", "connect(")
      try tmux.send("F1")
      try tmux.waitFor("Returns: ")
      let last = try #require(CallReference.entry(for: "connect")?.errors.last?.name)
      var found = false
      for _ in 0..<8 where !found {
        found = try tmux.screen().contains("\(last): ")
        if !found { try tmux.send("NPage") }
      }
      #expect(found, "PgDn never reached \(last)")
      try tmux.send("F1", "C-u")
      try tmux.send("Escape")
      try tmux.send("Escape")
      try tmux.waitFor("Lessons")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func aConversationTypedAsBeejWritesItRunsSavesReplaysAndCompiles() throws {
      let folder = try temporaryFolder("beej")
      defer { try? FileManager.default.removeItem(at: folder) }
      let tmux = try TmuxSession(width: 120, height: 40, arguments: ["play"])
      try tmux.waitFor("free play")
      let lines = [
        "server: int sockfd = socket(AF_INET, SOCK_STREAM, 0);",
        "server: struct sockaddr_in my_addr;",
        "server: memset(&my_addr, 0, sizeof my_addr);",
        "server: my_addr.sin_family = AF_INET;",
        "server: my_addr.sin_port = htons(PORT);",
        "server: inet_pton(AF_INET, \"127.0.0.1\", &my_addr.sin_addr);",
        "server: bind(sockfd, &my_addr, sizeof my_addr);",
        "server: listen(sockfd, 10);",
        "client: int c = socket(AF_INET, SOCK_STREAM, 0);",
        "client: struct sockaddr_in their_addr;",
        "client: their_addr.sin_family = AF_INET;",
        "client: their_addr.sin_port = htons(PORT);",
        "client: inet_pton(AF_INET, \"127.0.0.1\", &their_addr.sin_addr);",
        "client: connect(c, &their_addr, sizeof their_addr);",
        "server: socklen_t addr_size = sizeof their_addr;",
        "server: int new_fd = accept(sockfd, &peer, &addr_size);",
        "client: send(c, \"hello\", 5, 0);",
        "server: char buf[64];",
        "server: ssize_t n = recv(new_fd, buf, sizeof buf, 0);",
      ]
      for (index, line) in lines.enumerated() {
        try tmux.enter(line)
        try tmux.waitFor("\(index + 1) lines run")
      }
      let screen = try tmux.waitFor("ssize_t n = recv(new_fd, buf, sizeof buf, 0);")
      #expect(screen.contains("ESTABLISHED"), "\(screen)")
      #expect(!screen.contains("✗"), "\(screen)")
      let script = folder.appendingPathComponent("beej.lab").path
      let program = folder.appendingPathComponent("beej.c").path
      try tmux.enter(":save \(script)")
      try tmux.waitFor("Saved 19 lines")
      try tmux.enter(":export \(program)")
      try tmux.waitFor("Exported 19 lines")
      try tmux.enter(":quit")
      try tmux.waitFor("Lessons")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
      // The saved script replays headless as it ran, and the export compiles and runs.
      let replay = try Socklab.run(["run", script])
      #expect(replay.status == 0, "\(replay.output)\(replay.errors)")
      #expect(replay.output.contains("server: n = recv("))
      let binary = folder.appendingPathComponent("beej-check").path
      let compile = Process()
      compile.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      compile.arguments = ["cc", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", binary, program]
      try compile.run()
      compile.waitUntilExit()
      #expect(compile.terminationStatus == 0)
      // Its ports are the session's, which the lab's closed connections may hold in TIME-WAIT for
      // a minute: it is run on two others, as `./prog PORT PORT2`.
      let ports = SocketAPI.freeLoopbackPorts(count: 2).map(String.init)
      let run = try Socklab.run(ports, program: URL(fileURLWithPath: binary))
      #expect(run.output.contains("# ok"), "\(run.output)\(run.errors)")
    }
  }
}
