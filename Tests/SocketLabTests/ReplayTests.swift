import Foundation
import LabEngine
import LabUI
import Lessons
import SocketKit
import Testing

extension Live {
  @Suite("A lesson plays the same way every time") struct SameEveryTime {
    /// Plays the open lesson to its end, answering each prediction with the lesson's answer;
    /// returns how many predictions were asked.
    func playThrough(_ lab: Harness) -> Int {
      var asked = 0
      var steps = 0
      while !lab.player.isFinished && steps < 400 {
        if let line = lab.player.pendingStatement, lab.player.statements[line].expectation == .prediction,
          lab.player.guesses[line] == nil
        {
          asked += 1
        }
        lab.step()
        steps += 1
      }
      return asked
    }

    @Test func rTwiceWithinAMinutePlaysLessonOneTheSameWayThreeTimes() throws {
      let folder = try temporaryFolder("attempts")
      defer { try? FileManager.default.removeItem(at: folder) }
      let lab = try Harness(width: 120, height: 40)
      lab.press(.enter)
      var asked: [Int] = []
      var ports: Set<UInt16> = []
      for attempt in 1...3 {
        if attempt > 1 { lab.press(.character("r")) }
        ports.insert(lab.player.port)
        asked.append(playThrough(lab))
        #expect(lab.player.isFinished, "attempt \(attempt)")
        #expect(lab.unfinishedOrFailedLines == 0, "attempt \(attempt):\n\(lab.player.log.map(\.text).joined(separator: "\n"))")
      }
      #expect(asked == [4, 4, 4], "every attempt asks every prediction again")
      #expect(ports.count == 3, "each attempt has fresh ports")
      let entry = try #require(lab.app.progress.lessons["tcp-conversation"])
      #expect(entry.attempt == 3)
      #expect(entry.scores.map(\.attempt) == [1, 2, 3] && entry.scores.allSatisfy { $0.right == 4 && $0.of == 4 })
    }

    @Test func goingBackAfterAcceptReplaysCleanly() throws {
      let lab = try Harness(width: 120, height: 40)
      lab.press(.enter)
      lab.advance(untilNextLineContains: "tcp_state(a)")
      // accept() has returned (the client connected); go back over the line after it, twice.
      lab.step()
      for _ in 0..<2 {
        lab.press(.left)
        #expect(lab.player.background == nil)
        let failed = lab.player.lineStates.values.filter {
          if case .done(let outcome) = $0 { return outcome.verdict.isFailure }
          if case .refused = $0 { return true }
          return false
        }
        #expect(failed.isEmpty, "\(lab.player.log.map(\.text).joined(separator: "\n"))")
      }
    }

    @Test func runWithTheSamePortTwiceSaysWhyTheSecondCannot() throws {
      // On this machine's loopback (no host of the lab's own), where TIME-WAIT outlives the run.
      let loopback = ["SOCKLAB_NO_HOSTS": "1"]
      let port = try #require(SocketAPI.freeLoopbackPorts(count: 1).first)
      let first = try Socklab.run(["run", "tcp-conversation", "--port", String(port)], environment: loopback)
      #expect(first.status == 0, "\(first.output)\(first.errors)")
      let second = try Socklab.run(["run", "tcp-conversation", "--port", String(port)], environment: loopback)
      #expect(second.status == 2)
      #expect(second.errors.contains("port \(port) is still held by a connection that ended a moment ago"), "\(second.errors)")
      #expect(second.errors.contains("Leave out --port and the lab picks a free port each time"))
      // Without --port, a second run straight after is as good as the first.
      let third = try Socklab.run(["run", "tcp-conversation"], environment: loopback)
      #expect(third.status == 0, "\(third.output)\(third.errors)")
    }

    /// On the lab's own host the connections of a run end with it: the same port again, at once,
    /// is free.
    @Test(.enabled(if: WireCheck.hosts, "needs user namespaces"))
    func onTheLabsHostTheSamePortTwiceRunsTwice() throws {
      let port = try #require(SocketAPI.freeLoopbackPorts(count: 1).first)
      for _ in 0..<2 {
        let run = try Socklab.run(["run", "tcp-conversation", "--port", String(port)])
        #expect(run.status == 0, "\(run.output)\(run.errors)")
        #expect(run.output.contains("wire: wire() = SYN, SYN-ACK, ACK"), "\(run.output)")
      }
    }
  }
}

extension Live {
  @Suite("Jump and resume") struct JumpAndResume {
    @Test func gGoesToAStepReplayingTheLinesBeforeIt() throws {
      let lab = try Harness(width: 120, height: 40)
      lab.press(.enter)
      lab.press(.character("g")).type("7")
      #expect(lab.text.contains("Go to step (1–16): 7"))
      lab.press(.enter)
      #expect(lab.player.stepIndex == 6)
      #expect(lab.player.nextLine == lab.player.stepRanges[6].lowerBound)
      #expect(lab.text.contains("Step 7 of 16"), "\(lab.text)")
      #expect(lab.unfinishedOrFailedLines == 0, "\(lab.player.log.map(\.text).joined(separator: "\n"))")
      // And back to an earlier step: its prediction is asked again.
      lab.press(.character("g")).type("2").press(.enter)
      #expect(lab.player.stepIndex == 1)
      for _ in 0..<10 where !lab.text.contains("Your prediction for") { lab.press(.character(" ")) }
      #expect(lab.text.contains("Your prediction for"), "\(lab.text)")
      lab.press(.escape)
      lab.press(.character("g")).type("99").press(.enter)
      #expect(lab.text.contains("Type a step from 1 to 16"))
    }

    @Test func reopeningALessonOffersToResumeWhereItWasLeft() throws {
      let folder = try temporaryFolder("resume")
      defer { try? FileManager.default.removeItem(at: folder) }
      let store = ProgressStore(path: folder.path + "/progress.json")
      let library = try Live.LessonChecks.shipped()
      var progress = LearnerProgress()
      progress.reached(step: 5, of: "tcp-conversation", stepCount: 16, now: 1)
      _ = try store.save(progress)
      let app = LabApp(library: library, progressStore: store, theme: .monochrome, unicode: true)
      defer { app.shutdown() }
      app.handle(.enter)
      app.settle()
      #expect(app.render(width: 100, height: 30, now: 0).text.contains("You left this lesson at step 6"))
      app.handle(.enter)
      app.settle()
      #expect(app.runner?.state.stepIndex == 5)
      // Declined, the lesson starts at step 1 and the key is not lost.
      let other = LabApp(library: library, progressStore: store, theme: .monochrome, unicode: true)
      defer { other.shutdown() }
      other.handle(.enter)
      other.handle(.character("n"))
      other.settle()
      #expect(other.runner?.state.stepIndex == 0)
      #expect(!other.render(width: 100, height: 30, now: 0).text.contains("You left this lesson"))
    }
  }
}
