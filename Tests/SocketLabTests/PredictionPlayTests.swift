import Foundation
import LabEngine
import LabUI
import Lessons
import Testing

extension Live {
  @Suite("Predictions in the player") struct PredictionPlay {
    /// Opens lesson `number`, plays up to the prediction whose answer is `answer`, types `guess`,
    /// and returns the screen.
    func predict(lesson number: Int, answer: String, guess: String) throws -> String {
      let lab = try Harness(width: 120, height: 40)
      for _ in 1..<number { lab.press(.down) }
      lab.press(.enter)
      for _ in 0..<200 {
        if let line = lab.player.pendingStatement, lab.player.statements[line].expectation == .prediction,
          lab.player.guesses[line] == nil, lab.player.step.prediction?.answer == answer
        {
          break
        }
        lab.step()
      }
      lab.press(.character(" ")).type(guess).press(.enter)
      return lab.text
    }

    @Test func aNumberInAnotherBaseIsRight() throws {
      let screen = try predict(lesson: 2, answer: "INADDR_NONE", guess: "0xffffffff")
      #expect(screen.contains("✓ Right"), "\(screen)")
    }

    @Test func anErrnoAliasIsRight() throws {
      let screen = try predict(lesson: 7, answer: "-1 EAGAIN", guess: "-1 EWOULDBLOCK")
      #expect(screen.contains("✓ Right"), "\(screen)")
    }

    @Test func anErrnoWithoutTheResultIsNotTheAnswer() throws {
      let screen = try predict(lesson: 9, answer: "0 ECONNREFUSED", guess: "ECONNREFUSED")
      #expect(screen.contains("✗ You said ECONNREFUSED"), "\(screen)")
    }
  
    @Test func eachVerdictNamesWhoGaveTheResult() throws {
      #expect(try predict(lesson: 2, answer: "28", guess: "28").contains("✓ Right: the compiler said 28."))
      #expect(try predict(lesson: 6, answer: "SYN-SENT", guess: "SYN-SENT").contains("✓ Right: the kernel said SYN-SENT."))
      #expect(try predict(lesson: 9, answer: "1", guess: "1").contains("✓ Right: OpenSSL said 1."))
    }
  }
}
