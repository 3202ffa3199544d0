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
      let lab = try ask(lesson: number, answer: answer)
      lab.type(guess).press(.enter)
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
  
    /// Opens lesson `number` and plays up to the prediction whose answer is `answer`, asking it.
    func ask(lesson number: Int, answer: String) throws -> Harness {
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
      lab.press(.character(" "))
      #expect(lab.text.contains("Your prediction for"))
      return lab
    }

    @Test func thePanesDoNotGiveTheAnswerAway() throws {
      // Lesson 1: how many bytes recv() returns; the receive queue and pending() know.
      let recv = try ask(lesson: 1, answer: "12")
      #expect(!recv.text.contains("12/0") && !recv.text.contains("= 12"), "\(recv.text)")
      #expect(recv.text.contains("??/0"), "the queue is shown, hidden")
      recv.type("12").press(.enter)
      #expect(recv.text.contains("✓ Right"), "\(recv.text)")
      #expect(!recv.text.contains("??/0"), "once answered, the panes show everything again")
      // Lesson 3: the bytes FIONREAD reports for a queued datagram.
      let udp = try ask(lesson: 3, answer: "5")
      #expect(!udp.text.contains("5/0"), "\(udp.text)")
      // Lesson 6: the fourth client's state while the queue is full.
      let queue = try ask(lesson: 6, answer: "SYN-SENT")
      #expect(!queue.text.contains("SYN-SENT"), "\(queue.text)")
      // Lesson 10: where the blocked accept() sleeps; prose, panes and status line all keep quiet.
      let sleeping = try ask(lesson: 10, answer: "\"inet_csk_accept\"")
      #expect(!sleeping.text.contains("inet_csk_accept"), "\(sleeping.text)")
    }

    @Test func aLessonCanNameMoreToHide() throws {
      let folder = try temporaryFolder("hide").path
      let lesson = """
        ---
        id: hide-more
        title: Hiding more
        summary: A Hide note.
        level: beginner
        actors: main
        prerequisites: none
        time: 1
        ---

        ## A datagram to itself

        A socket sends three bytes to its own address.

        ```lab
        u = socket(AF_INET, SOCK_DGRAM, 0) = fd
        here = sockaddr_in("127.0.0.1", htons(PORT))
        bind(u, &here, sizeof here) = 0
        sendto(u, "abc", 3, 0, &here, sizeof here) = 3
        pending(u) = ?
        ```

        Predict: How many bytes wait?

        Answer: 3

        Explain: One datagram of three bytes.

        Hide: sendto

        """
      try lesson.write(toFile: folder + "/01-hide.md", atomically: true, encoding: .utf8)
      let library = try LessonLibrary.load(folder)
      #expect(library.problems.isEmpty, "\(library.problems)")
      let app = LabApp(library: library, progressStore: nil, theme: .monochrome, unicode: true)
      defer { app.shutdown() }
      app.handle(.enter)
      for _ in 0..<5 {
        app.handle(.character(" "))
        app.settle()
      }
      let screen = app.render(width: 120, height: 40, now: 0).text
      #expect(screen.contains("Your prediction for"), "\(screen)")
      let sent = try #require(screen.split(separator: "\n").first { $0.contains("\"abc\", 3, 0") && $0.contains("│main: ") })
      #expect(sent.contains("main: ??????("), "the Log hides the name the lesson gave: \(screen)")
      #expect(!screen.contains("3/0") && screen.contains("?/0"), "the answer is hidden too: \(screen)")
    }
  }
}
