import Foundation
import LabEngine
import LabScript
import LabUI
import Lessons
import ShippedLessons
import SocketKit
import Synchronization
import TerminalUI
import Testing

/// The real kernel, with every question counted: how many whole-table dumps and descriptor
/// samples the player asks for.
final class CountingKernel: KernelInspector {
  private let real = Kernel.current
  private let counts = Mutex<(dumps: Int, samples: Int)>((0, 0))

  var dumps: Int { counts.withLock { $0.dumps } }
  var samples: Int { counts.withLock { $0.samples } }

  func tcpState(fd: Int32) -> TCPState? { real.tcpState(fd: fd) }
  func pendingBytes(fd: Int32) -> Int? { real.pendingBytes(fd: fd) }
  func unsentBytes(fd: Int32) -> Int? { real.unsentBytes(fd: fd) }
  func snapshot(fd: Int32) -> SocketSnapshot {
    counts.withLock { $0.samples += 1 }
    return real.snapshot(fd: fd)
  }
  func tcpSockets(onPort port: UInt16) -> [KernelSocket] {
    counts.withLock { $0.dumps += 1 }
    return real.tcpSockets(onPort: port)
  }
  func tcpSocket(local: SocketAddress, peer: SocketAddress) -> KernelSocket? { real.tcpSocket(local: local, peer: peer) }
  func acceptQueueLength(fd: Int32) -> Int? { real.acceptQueueLength(fd: fd) }
  func sleepingIn(threadID: Int32) -> String? { real.sleepingIn(threadID: threadID) }
  func currentThreadID() -> Int32 { real.currentThreadID() }
  func inode(fd: Int32) -> UInt32? { real.inode(fd: fd) }
  func isOpen(fd: Int32) -> Bool { real.isOpen(fd: fd) }
  func pause(milliseconds: Int32) { real.pause(milliseconds: milliseconds) }
}

/// A kernel that says what the test wants about every socket: a state and queue sizes no real
/// loopback socket of the lesson would have at that point.
struct ScriptedKernel: KernelInspector {
  let real = Kernel.current
  var state: TCPState
  var receiveQueue: Int

  func tcpState(fd: Int32) -> TCPState? { state }
  func pendingBytes(fd: Int32) -> Int? { receiveQueue }
  func unsentBytes(fd: Int32) -> Int? { 0 }
  func snapshot(fd: Int32) -> SocketSnapshot {
    var snapshot = real.snapshot(fd: fd)
    snapshot.tcpState = state
    snapshot.receiveQueue = receiveQueue
    return snapshot
  }
  func tcpSockets(onPort port: UInt16) -> [KernelSocket] { [] }
  func tcpSocket(local: SocketAddress, peer: SocketAddress) -> KernelSocket? { nil }
  func acceptQueueLength(fd: Int32) -> Int? { 0 }
  func sleepingIn(threadID: Int32) -> String? { real.sleepingIn(threadID: threadID) }
  func currentThreadID() -> Int32 { real.currentThreadID() }
  func inode(fd: Int32) -> UInt32? { real.inode(fd: fd) }
  func isOpen(fd: Int32) -> Bool { real.isOpen(fd: fd) }
  func pause(milliseconds: Int32) { real.pause(milliseconds: milliseconds) }
}

extension Live {
  @Suite("The player's shape: state, messages, effects") struct EngineShape {
    @Test func thePlayerShowsWhatItsInjectedKernelSays() throws {
      let kernel = ScriptedKernel(state: .closeWait, receiveQueue: 4242)
      let lab = try Harness(width: 120, height: 40, configuration: SessionConfiguration(kernel: kernel))
      lab.press(.enter, .character(" "))
      let row = try #require(lab.screen.first { $0.contains("server") && $0.contains("TCP") }, "\(lab.text)")
      #expect(row.contains("CLOSE-WAIT") && row.contains("4242"), "\(row)")
    }

    @Test func idleSecondsAskTheKernelNothingThatGrowsWithTheHost() throws {
      let kernel = CountingKernel()
      let lab = try Harness(width: 120, height: 40, configuration: SessionConfiguration(kernel: kernel))
      lab.press(.enter)
      lab.playToTheEnd()
      #expect(lab.player.isFinished)
      #expect(lab.unfinishedOrFailedLines == 0, "\(lab.player.log.map(\.text).joined(separator: "\n"))")
      // Nobody outside connected: the whole table was never dumped, not even once.
      #expect(kernel.dumps == 0)
      // Idle: the sampler looks once a second, off this thread; the ticks only read its results.
      let before = lab.app.runner!.sampleCount
      let start = Date()
      var redraws = 0
      var previous = lab.screen
      while Date().timeIntervalSince(start) < 2.5 {
        if lab.app.tick() { redraws += 1 }
        let screen = lab.screen
        if screen != previous { previous = screen }
        Thread.sleep(forTimeInterval: 0.05)
      }
      let samples = lab.app.runner!.sampleCount - before
      #expect((1...4).contains(samples), "\(samples) samples in 2.5 idle seconds")
      #expect(redraws <= samples, "a tick said the screen changed without a new sample")
      #expect(kernel.dumps == 0)
    }

    @Test func aSpaceNeverWaitsForTheCallItRuns() throws {
      let lab = try Harness(width: 100, height: 30)
      lab.press(.enter)
      let line = try #require(lab.player.pendingStatement)
      // The key's own frame shows the line under way; its result comes as a later message,
      // however fast the call returned.
      lab.app.handle(.character(" "))
      #expect(lab.app.state.run?.lineStates[line]?.isUnderWay == true)
      #expect(lab.text.contains("⠋"), "the Code pane shows the line running")
      lab.app.settle()
      guard case .done(let outcome)? = lab.app.state.run?.lineStates[line] else {
        Issue.record("the line did not finish: \(String(describing: lab.app.state.run?.lineStates[line]))")
        return
      }
      #expect(!outcome.verdict.isFailure)
    }

    @Test func aReplayRunsOnItsOwnThreadAndShowsItsProgress() throws {
      let lab = try Harness(width: 120, height: 40)
      lab.press(.enter)
      lab.advance(untilNextLineContains: "tcp_state(a)")
      let before = lab.player.nextLine
      let port = lab.player.port
      lab.app.handle(.left)
      // The key is back before the replay is done: the status line says how far it has come.
      #expect(lab.app.state.run?.background != nil)
      #expect(lab.text.contains("Replaying \(before - 1) lines on fresh sockets"), "\(lab.text)")
      lab.app.settle()
      #expect(lab.app.state.run?.background == nil)
      #expect(lab.player.nextLine == before - 1)
      #expect(lab.player.port != port, "a replay takes fresh ports")
      #expect(lab.unfinishedOrFailedLines == 1, "only the blocked accept() is still running")
    }

    @Test func thePickersFirstFrameNeedsOnlyOutlines() throws {
      let outline = try LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: [], outline: true)
      let whole = try LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: [], outline: false)
      #expect(outline.isOutline && !whole.isOutline)
      #expect(outline.lessons.allSatisfy { $0.steps.allSatisfy(\.statements.isEmpty) })
      let quick = LabApp(library: outline, progressStore: nil, theme: .monochrome, unicode: true)
      let slow = LabApp(library: whole, progressStore: nil, theme: .monochrome, unicode: true)
      for _ in 0...whole.lessons.count {
        #expect(quick.render(width: 100, height: 30, now: 0).lines == slow.render(width: 100, height: 30, now: 0).lines)
        quick.handle(.down)
        slow.handle(.down)
      }
    }

    @Test func aKeyThatComesBeforeTheWholeLessonsWaitsForThem() throws {
      let outline = try LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: [], outline: true)
      let app = LabApp(library: outline, progressStore: nil, theme: .monochrome, unicode: true)
      defer { app.shutdown() }
      app.loadLessons {
        Thread.sleep(forTimeInterval: 0.1)
        return try? LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: [])
      }
      app.handle(.enter)
      let run = try #require(app.runner?.state)
      #expect(!run.statements.isEmpty)
      #expect(!app.library.isOutline)
    }
  }

  @Suite("Update: messages in, effects out") struct Updates {
    func type(_ text: String, into state: inout AppState) -> [Effect] {
      var effects: [Effect] = []
      for character in text { effects += Update.apply(&state, .key(.character(character)), time: 0) }
      return effects + Update.apply(&state, .key(.enter), time: 0)
    }

    @Test func keysBecomeEffectsAndNothingIsDoneByUpdate() throws {
      let library = try LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: [], outline: true)
      var state = AppState(library: library, theme: .monochrome, unicode: true, progress: LearnerProgress(), exportsFolder: "/exports")
      let opened = Update.apply(&state, .key(.enter), time: 7)
      #expect(opened.first == .openLesson(0))
      #expect(state.screen == .player)
      #expect(state.progress.lessons[library.lessons[0].id] != nil && opened.contains(.saveProgress(state.progress)))

      var free = AppState(library: library, theme: .monochrome, unicode: true, progress: LearnerProgress(), exportsFolder: "/exports")
      _ = Update.apply(&free, .key(.end), time: 0)
      #expect(Update.apply(&free, .key(.enter), time: 0) == [.openFreePlay])
      let path = "/nonexistent-\(UUID().uuidString)/saved.lab"
      let saved = type(":save \(path)", into: &free)
      #expect(saved.contains { if case .writeFile(_, path, _) = $0 { return true } else { return false } })
      #expect(!FileManager.default.fileExists(atPath: path), "Update only says what to write")
      #expect(type(":load script.lab", into: &free) == [.appendHistory(":load script.lab"), .readScript(path: "script.lab")])
      let run = Update.apply(&free, .loaded(name: "script.lab", text: "u = socket(AF_INET, SOCK_DGRAM, 0)\n# a comment\n"), time: 0)
      guard case .runScript(let statements, "script.lab")? = run.first else {
        Issue.record("\(run)")
        return
      }
      #expect(statements.map(\.source) == ["u = socket(AF_INET, SOCK_DGRAM, 0)"])
      #expect(type(":export out.c", into: &free).contains { if case .exportC(_, _, _, "/exports/out.c") = $0 { return true } else { return false } })
    }
  }
}
