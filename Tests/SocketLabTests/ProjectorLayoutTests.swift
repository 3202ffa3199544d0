import Foundation
import LabEngine
import LabUI
import Lessons
import Testing

extension Live {
  @Suite("At 80x24, what a projector shows") struct ProjectorLayout {
    /// The text of columns `range` of every row, joined, with runs of spaces made one.
    static func region(_ screen: [String], columns range: Range<Int>) -> String {
      let text = screen.map { row -> String in
        let characters = Array(row)
        return String(characters[min(range.lowerBound, characters.count)..<min(range.upperBound, characters.count)])
      }.joined(separator: " ")
      return text.split { $0 == " " || "│┃┆┄".contains($0) }.joined(separator: " ")
    }

    /// Checks what a step must show once its lines have run: the Explain, the prediction line's
    /// result, and a row for every socket of the lesson.
    func checkStep(_ lab: Harness, _ failures: inout [String]) {
      let run = lab.player.state
      let screen = lab.screen
      let place = "\(run.lesson.file) step \(run.stepIndex + 1)"
      let left = Self.region(screen, columns: 0..<42)
      let right = Self.region(screen, columns: 42..<80)
      if let prediction = run.step.prediction, run.feedback != nil {
        let words = prediction.explanation.split(separator: " ").map {
          String($0).trimmingCharacters(in: CharacterSet.alphanumerics.inverted)
        }.filter { $0.count > 3 }
        for word in words.prefix(3) + words.suffix(3) where !left.contains(word) {
          failures.append("\(place): the Explain's \"\(word)\" is not in view\n\(lab.text)")
        }
        let line = run.stepRanges[run.stepIndex].first { run.statements[$0].expectation == .prediction }
        if let line, case .done(let outcome)? = run.lineStates[line], let record = outcome.record {
          let result = record.resultText.split(separator: " ").prefix(2).joined(separator: " ")
          if !left.contains(result) && !right.contains(result) {
            failures.append("\(place): the prediction's result \(result) is not in view\n\(lab.text)")
          }
        }
      }
      for socket in run.snapshot.sockets {
        let row = socket.actor.padding(toLength: 7, withPad: " ", startingAt: 0) + String(socket.snapshot.fd)
        if !screen.contains(where: { String($0.dropFirst(43)).hasPrefix(row) }) {
          failures.append("\(place): no row for \(socket.actor)'s descriptor \(socket.snapshot.fd)")
        }
      }
      let queued = screen.filter { $0.contains("(queue)") }.count
      if queued < run.snapshot.queued.count {
        failures.append("\(place): \(run.snapshot.queued.count) queued connections, \(queued) rows")
      }
    }

    @Test func everyStepsEssentialsAreInViewAt80x24() throws {
      let lessons = try Live.LessonChecks.shipped().lessons
      var failures: [String] = []
      // A lesson on hosts needs the lab's own process (see the wire's tmux tests).
      for index in lessons.indices where lessons[index].hosts.isEmpty {
        let lab = try Harness(width: 80, height: 24)
        for _ in 0..<index { lab.press(.down) }
        lab.press(.enter)
        // Twice in a row, as a teacher plays it for two classes: the same questions, verdicts and
        // steps both times.
        var attempts: [[String]] = []
        for attempt in 0..<2 {
          if attempt == 1 { lab.press(.character("r")) }
          var moves = 0
          var seen: [String] = []
          while !lab.player.isFinished && moves < 400 {
            if let line = lab.player.pendingStatement, lab.player.statements[line].expectation == .prediction,
              lab.player.guesses[line] == nil
            {
              seen.append("asked line \(line)")
            }
            lab.step()
            moves += 1
            if lab.player.pendingStatement == nil {
              checkStep(lab, &failures)
              let failed = lab.player.lineStates.values.filter {
                if case .done(let outcome) = $0 { return outcome.verdict.isFailure }
                if case .refused = $0 { return true }
                return false
              }
              seen.append("step \(lab.player.stepIndex + 1): \(failed.count) failed, feedback \(lab.player.feedback?.right.description ?? "none")")
            }
          }
          #expect(lab.player.isFinished, "\(lab.player.lesson.file)")
          // The last step's message is never cut.
          lab.press(.character(" "))
          #expect(Self.region(lab.screen, columns: 0..<80).contains("or r to play it again."), "\(lab.text)")
          attempts.append(seen)
        }
        #expect(attempts[0] == attempts[1], "\(lab.player.lesson.file) played differently the second time")
      }
      #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
  }
}
