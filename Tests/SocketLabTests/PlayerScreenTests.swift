import Foundation
import LabEngine
import LabScript
import LabUI
import Lessons
import TerminalUI
import Testing

/// A lab driven by keys and rendered on an in-memory canvas, as the terminal would show it.
final class Harness {
  let app: LabApp
  var width: Int
  var height: Int

  /// `firstLessons` keeps screens that list lessons independent of lessons added later.
  init(
    width: Int = 100, height: Int = 30, theme: Theme = Theme.named("default")!, unicode: Bool = true, firstLessons: Int? = nil,
    configuration: SessionConfiguration = SessionConfiguration()
  ) throws {
    var library = try Live.LessonChecks.shipped()
    if let firstLessons { library = LessonLibrary(folder: library.folder, lessons: Array(library.lessons.prefix(firstLessons))) }
    app = LabApp(library: library, progressStore: nil, theme: theme, unicode: unicode, configuration: configuration)
    self.width = width
    self.height = height
  }

  deinit { app.shutdown() }

  @discardableResult
  func press(_ keys: Key...) -> Harness {
    for key in keys {
      app.handle(key)
      app.settle()
    }
    return self
  }

  @discardableResult
  func type(_ text: String) -> Harness {
    for character in text { app.handle(.character(character)) }
    return self
  }

  /// The open lesson as the engine has it, with its live session.
  var player: PlayerProbe { PlayerProbe(app: app) }

  /// One learner's move: answers the prediction (with the lesson's answer) when one is asked,
  /// otherwise presses Space; then lets a blocked call's grace period pass.
  func step() {
    if player.waitsForOutsidePeer && player.hasRunningCalls {
      press(.character("s"))  // nobody outside: let the lab play the visitor
    } else if let line = player.pendingStatement, player.statements[line].expectation == .prediction, player.guesses[line] == nil
    {
      press(.character(" ")).type(player.step.prediction!.answer).press(.enter)
    } else {
      press(.character(" "))
    }
    if player.hasRunningCalls {
      Thread.sleep(forTimeInterval: 0.2)  // a blocked call (a poll() that waits a second) goes on
      app.settle()
    }
  }

  /// Plays on (bounded) until the next line to run contains `text`.
  func advance(untilNextLineContains text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    for _ in 0..<200 {
      if let line = player.pendingStatement, player.statements[line].source.contains(text) { return }
      step()
    }
    Issue.record("never reached a line containing \(text)", sourceLocation: sourceLocation)
  }

  /// How many lines did not run to a verdict that held (failed, refused, still running or blocked).
  var unfinishedOrFailedLines: Int {
    player.lineStates.values.filter {
      if case .done(let outcome) = $0 { return outcome.verdict.isFailure }
      return true
    }.count
  }

  /// Steps until the lesson is finished (bounded).
  func playToTheEnd(maxSteps: Int = 400) {
    var steps = 0
    while !player.isFinished && steps < maxSteps {
      step()
      steps += 1
    }
  }

  var screen: [String] { app.render(width: width, height: height, now: 0).lines }
  var text: String { screen.joined(separator: "\n") }

  /// The screen with what changes from run to run (the port, descriptors' ports, durations)
  /// replaced by fixed words, for comparing with a reviewed fixture.
  var normalisedText: String {
    var text = self.text
    if let port = app.runner?.session.port { text = text.replacingOccurrences(of: String(port), with: "PORT") }
    return text
  }

  /// Compares the screen with `Screens/NAME.txt`; with SOCKLAB_RECORD=1 in the environment,
  /// writes the fixture instead (then review it with git diff).
  func expectScreen(_ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Screens/\(name).txt")
    let actual = normalisedText + "\n"
    if ProcessInfo.processInfo.environment["SOCKLAB_RECORD"] == "1" {
      try actual.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(actual == expected, "screen \(name) differs:\n\(actual)", sourceLocation: sourceLocation)
  }
}

/// What tests read of the open lesson: the engine's state, the live session, the status line.
@dynamicMemberLookup
struct PlayerProbe {
  let app: LabApp
  var state: LessonState { app.runner!.state }
  var session: LabSession { app.runner!.session }
  var message: String? { app.state.player.message }
  subscript<T>(dynamicMember path: KeyPath<LessonState, T>) -> T { state[keyPath: path] }
  func isBusy(_ actor: String) -> Bool { state.isBusy(actor) }
}

extension Live {
  @Suite("The player's screens") struct PlayerScreens {
    @Test func thePickerListsTheLessons() throws {
      let lab = try Harness(width: 80, height: 24, firstLessons: 3)
      try lab.expectScreen("picker-80x24")
      lab.width = 120
      lab.height = 40
      try lab.expectScreen("picker-120x40")
      lab.press(.down)
      #expect(lab.screen.contains { $0.contains("Addresses and byte order") && $0.contains("not started") })
    }

    @Test func thePlayerLaysOutItsPanesAt80x24And120x40() throws {
      let lab = try Harness(width: 80, height: 24)
      lab.press(.enter)
      try lab.expectScreen("player-80x24")
      lab.width = 120
      lab.height = 40
      try lab.expectScreen("player-120x40")
    }

    @Test func anyPaneZoomsToTheWholeScreen() throws {
      let lab = try Harness(width: 80, height: 24)
      lab.press(.enter, .tab, .character("z"))
      try lab.expectScreen("zoomed-code-80x24")
      lab.press(.escape)
      #expect(!lab.text.contains("(zoomed)"))
    }

    @Test func helpListsEveryKey() throws {
      let lab = try Harness(width: 80, height: 24)
      lab.press(.enter, .character("?"))
      try lab.expectScreen("help-80x24")
      lab.press(.escape)
      #expect(!lab.text.contains("? or Esc closes this help"))
    }

    @Test func aTooSmallTerminalIsAskedToGrow() throws {
      let lab = try Harness(width: 79, height: 24)
      lab.press(.enter)
      try lab.expectScreen("too-small-79x24")
      lab.width = 80
      #expect(lab.text.contains("Step 1 of 16"))
    }

    @Test func withoutUnicodeTheBoxesAreASCII() throws {
      let lab = try Harness(width: 80, height: 24, unicode: false)
      lab.press(.enter)
      #expect(lab.screen[1].hasPrefix("+ Lesson ---"))
      #expect(!lab.text.contains("─"))
    }

    @Test func aBlockedActorShowsWhereItSleeps() throws {
      let lab = try Harness(width: 120, height: 40)
      lab.press(.enter)
      try advance(lab, untilNextLineContains: "accept(s")
      // The grace period passes: the call is reported as blocked.
      lab.press(.character(" "))
      let text = lab.text
      #expect(text.contains("blocked 0.0s in accept()"), "\(text)")
      #expect(text.contains("asleep in inet_csk_accept"), "\(text)")
      #expect(text.contains("server blocked 0.0s in accept() (inet_csk_accept) · Space: next line · i: interrupt"))
      #expect(lab.screen.contains { $0.contains("LISTEN") })
      // The client's connect() unblocks it.
      try advance(lab, untilNextLineContains: "tcp_state(a)")
      let rows = lab.screen
      let established = try #require(rows.firstIndex { $0.contains("server") && $0.contains("ESTABLISHED") }, "\(lab.text)")
      #expect(rows[established + 1].contains("127.0.0.1:\(lab.player.session.port) → 127.0.0.1:"), "the peer's address")
      #expect(!lab.text.contains("blocked 0.0s"))
    }

    @Test func aPredictionIsAskedThenJudged() throws {
      let lab = try Harness()
      lab.press(.enter)
      try advance(lab, untilNextLineContains: "inet_aton")
      lab.press(.character(" "))
      #expect(lab.text.contains("Your prediction for inet_aton(\"127.0.0.1\", &addr.sin_addr):"))
      lab.type("0").press(.enter)
      #expect(lab.text.contains("✗ You said 0; the C library said 1."), "\(lab.text)")
      #expect(lab.text.contains("inet_aton() is one of the old calls"))

      let again = try Harness()
      again.press(.enter)
      try advance(again, untilNextLineContains: "inet_aton")
      again.press(.character(" ")).type("1").press(.enter)
      #expect(again.text.contains("✓ Right: the C library said 1."))
    }

    @Test func theLayersViewShowsTheCallAtEachLayer() throws {
      let lab = try Harness(width: 100, height: 30)
      lab.press(.enter)
      try advance(lab, untilNextLineContains: "accept(s")
      lab.press(.character("L"))
      let text = lab.text
      #expect(text.contains("Layers: a = accept(s, &peer, &peerlen) = fd"), "\(text)")
      #expect(text.contains("OpenSSL BIO: BIO_accept_ex(sock, peer, options)"))
      #expect(text.contains("inet_csk_accept"))
      lab.press(.escape)
      #expect(!lab.text.contains("L or Esc closes this view"))
    }

    @Test func goingBackReplaysOnFreshSockets() throws {
      let lab = try Harness()
      lab.press(.enter)
      try advance(lab, untilNextLineContains: "listen(s, 5)")
      let before = lab.player.nextLine
      lab.press(.left)
      #expect(lab.player.nextLine == before - 1)
      #expect(lab.text.contains("Going back one line: sockets cannot be undone"), "\(lab.text)")
      #expect(lab.player.snapshot.sockets.count == 1)
    }

    @Test func xExportsIntoTheExportsFolderAndSaysTheWholePath() throws {
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-exports-\(UUID().uuidString)/c")
      defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
      let lab = try Harness(width: 120, height: 40)
      lab.app.exportsFolder = folder.path
      lab.press(.enter)
      try advance(lab, untilNextLineContains: "listen(s, 5)")
      lab.press(.character("x"))
      let file = folder.path + "/tcp-conversation-so-far.c"
      #expect(lab.player.message?.hasPrefix("Exported ") == true && lab.player.message?.contains(file) == true)
      let program = try String(contentsOfFile: file, encoding: .utf8)
      #expect(program.contains("bind("))
      #expect(program.contains(String(lab.player.port)), "the program uses the ports the screen showed")
      // Beside it, the programs a student reads: the server's, so far, with its steps as comments.
      let server = try String(contentsOfFile: folder.path + "/tcp-conversation-so-far/server.c", encoding: .utf8)
      #expect(server.contains("/* Step 1.") || server.contains("int s = socket("), "\(server)")
      #expect(server.contains("if (listen(s, 5) < 0) {") == false, "listen() has not run yet")
    }

    @Test(.enabled(if: OutsidePeer.available, "python3 is not installed"))
    func anOutsideProgramThatConnectsFirstIsNamedAndCanBeSetAside() throws {
      let lab = try Harness(width: 120, height: 40)
      lab.press(.enter)
      try advance(lab, untilNextLineContains: "accept(")
      // A program outside connects before the lesson's accept(): the kernel queues it first.
      let visitor = try OutsidePeer(port: lab.player.session.port, bytes: "early", seconds: 5)
      defer { visitor.stop() }
      let deadline = Date().addingTimeInterval(5)
      while Date() < deadline && lab.player.session.snapshot().queued.isEmpty {
        Thread.sleep(forTimeInterval: 0.05)
      }
      lab.step()
      #expect(lab.player.outsideAccept != nil)
      #expect(lab.text.contains("took a connection from a program outside the lab"))
      lab.press(.character("a"))
      #expect(lab.player.outsideAccept == nil)
      #expect(lab.player.log.contains { $0.text.contains("the outside program's connection, set aside") })
      lab.playToTheEnd()
      #expect(lab.player.isFinished)
      #expect(lab.unfinishedOrFailedLines == 0, "\(lab.player.log.map(\.text).joined(separator: "\n"))")
    }

    @Test func theHarnessPlaysLessonOneToTheEnd() throws {
      let lab = try Harness(width: 120, height: 40)
      lab.press(.enter)
      lab.playToTheEnd()
      #expect(lab.player.isFinished)
      #expect(lab.unfinishedOrFailedLines == 0, "\(lab.player.log.map(\.text).joined(separator: "\n"))")
      #expect(lab.player.lineStates.count == lab.player.statements.count)
      let log = lab.player.log.map(\.text).joined(separator: "\n")
      #expect(log.contains("= LISTEN"))
      #expect(log.contains("= ESTABLISHED"))
      #expect(log.contains("server: recv(") && log.contains(") = 0"))
      #expect(lab.screen.contains { $0.contains("TIME-WAIT") })
      lab.press(.character(" "))
      #expect(lab.text.contains("That was the last step."))
    }

    @Test func everyLessonPlaysToItsEndAt80x24() throws {
      let lessons = try Live.LessonChecks.shipped().lessons
      // A lesson on hosts needs the lab's own process (see the wire's tmux test).
      for index in lessons.indices where lessons[index].hosts.isEmpty {
        let lab = try Harness(width: 80, height: 24)
        for _ in 0..<index { lab.press(.down) }
        lab.press(.enter)
        lab.playToTheEnd()
        let lesson = lab.player.lesson.file
        #expect(lab.player.isFinished, "\(lesson) did not reach its end")
        let problems = lab.player.lineStates.values.filter {
          switch $0 {
          case .done(let outcome): return outcome.verdict.isFailure
          case .refused: return true
          default: return false
          }
        }
        #expect(problems.isEmpty, "\(lesson):\n\(lab.player.log.map(\.text).joined(separator: "\n"))")
        #expect(lab.screen.count == 24)
      }
    }

    /// Presses Space until the next line to run contains `text`.
    private func advance(_ lab: Harness, untilNextLineContains text: String) throws {
      lab.advance(untilNextLineContains: text)
    }
  }
}

extension Live {
  @Suite("The player keeps progress") struct PlayerProgress {
    @Test func aFailedSaveStaysOnScreenUntilASaveSucceeds() throws {
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-unsaved-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: folder) }
      // The progress file's folder is a plain file: every save fails.
      try "in the way".write(to: folder.appendingPathComponent("state"), atomically: true, encoding: .utf8)
      let store = ProgressStore(path: folder.path + "/state/progress.json")
      let app = LabApp(library: try Live.LessonChecks.shipped(), progressStore: store, theme: .monochrome, unicode: true)
      defer { app.shutdown() }
      app.handle(.enter)
      for key in [Key.character(" "), .character("h"), .character("h"), .character("?"), .escape] {
        app.handle(key)
        #expect(app.render(width: 100, height: 30, now: 0).lines.contains { $0.contains("⚠ Progress could not be saved") })
      }
      try FileManager.default.removeItem(at: folder.appendingPathComponent("state"))
      app.handle(.character(" "))
      app.handle(.character(" "))
      #expect(app.saveProblem == nil)
      #expect(!app.render(width: 100, height: 30, now: 0).lines.contains { $0.contains("could not be saved") })
    }

    @Test func theLastLessonAndEachPredictionAreKept() throws {
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-player-\(UUID().uuidString)")
      defer { try? FileManager.default.removeItem(at: folder) }
      let store = ProgressStore(path: folder.path + "/progress.json")
      let library = try Live.LessonChecks.shipped()

      let first = LabApp(library: library, progressStore: store, theme: .monochrome, unicode: true, clock: { 1234 })
      first.handle(.down)
      first.handle(.enter)
      #expect(first.runner?.state.lesson.id == "addresses-and-byte-order")
      // The first line of lesson 2 is a value; the third is a prediction point.
      first.handle(.character(" "))
      first.handle(.character(" "))
      first.handle(.character(" "))
      for character in "16" { first.handle(.character(character)) }
      first.handle(.enter)
      first.shutdown()

      let saved = store.load().0
      #expect(saved.lastLesson == "addresses-and-byte-order")
      let prediction = try #require(saved.lessons["addresses-and-byte-order"]?.predictions.first)
      #expect(prediction.guess == "16")
      #expect(prediction.actual == "28")
      #expect(!prediction.right)
      #expect(prediction.at == 1234)

      let again = LabApp(library: library, progressStore: store, theme: .monochrome, unicode: true)
      #expect(again.selection == 1)
      let screen = again.render(width: 100, height: 40).text
      #expect(screen.contains("2. Addresses and byte order") && screen.contains("step 1 of \(library.lessons[1].steps.count)"))
      #expect(screen.contains("Predictions: 0 of 1 right"))
    }
  }
}
