import Foundation
import Lessons
import SocketKit
import Testing

extension Live {
  @Suite("Presenter") struct Presenter {
    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func notesFollowTheLabAndNeverShowOnItsScreen() throws {
      let runtime = try temporaryFolder("runtime")
      defer { try? FileManager.default.removeItem(at: runtime) }
      chmod(runtime.path, 0o700)
      let environment = ["XDG_RUNTIME_DIR=\(runtime.path)"]
      var lab: TmuxSession? = try TmuxSession(
        width: 100, height: 30, arguments: ["lessons", "tcp-conversation", "--step", "4"], environment: environment)
      try lab?.waitFor("Step 4 of 16")
      let notes = try TmuxSession(width: 90, height: 24, arguments: ["notes"], environment: environment)
      try notes.waitFor("Step 4 of 16 · Listening")
      let shown = try notes.waitFor("Point at the Sockets pane")
      #expect(shown.contains("Next line"), "\(shown)")
      #expect(shown.contains("server: listen(s, 5) expects 0"), "\(shown)")
      // The socket is the user's alone.
      var status = stat()
      #expect(stat(runtime.path + "/socklab/presenter.sock", &status) == 0)
      #expect(status.st_mode & 0o777 == 0o600)
      // Keys in the lab move the notes; the notes never reach the lab's screen.
      Thread.sleep(forTimeInterval: 1)
      for _ in 0..<3 { try lab?.send("Space") }
      try lab?.waitFor("Step 5 of 16")
      try notes.waitFor("accept() blocks here on purpose")
      let labScreen = try lab?.screen() ?? ""
      #expect(!labScreen.contains("accept() blocks here on purpose") && !labScreen.contains("Notes"), "\(labScreen)")
      #expect((try notes.screen()).contains("Times: 4 0:0"), "the finished step's time")
      // The lab quits and another starts: the notes wait, then follow the new one.
      lab = nil
      try notes.waitFor("Waiting for a lab")
      lab = try TmuxSession(width: 100, height: 30, arguments: ["lessons", "closing-well"], environment: environment)
      try notes.waitFor("Closing well")
      try notes.waitFor("Step 1 of 8")
      try notes.send("q")
      #expect(notes.exitStatus() == "0")
    }

    @Test func rehearsalCatchesAPortHeldInTimeWait() throws {
      let port = try #require(SocketAPI.freeLoopbackPorts(count: 2).first)
      // Lesson 5 ends with the server's side of a connection in TIME-WAIT on PORT, on this
      // machine's loopback (on the lab's own host it would end with the rehearsal).
      let loopback = ["SOCKLAB_NO_HOSTS": "1"]
      let first = try Socklab.run(["rehearse", "when-things-go-wrong", "--port", String(port)], environment: loopback)
      #expect(first.output.contains("step 10"), "\(first.output)")
      #expect(first.output.contains("warning: after this rehearsal, port \(port) is still held"), "\(first.output)")
      #expect(first.status == 1)
      let again = try Socklab.run(["rehearse", "when-things-go-wrong", "--port", String(port)], environment: loopback)
      #expect(again.status == 1)
      #expect(again.output.contains("TIME-WAIT"), "\(again.output)")
      #expect(again.output.contains("# not run: the lesson would fail live"), "\(again.output)")
      // Without a fixed port, the same lesson rehearses clean.
      let free = try Socklab.run(["rehearse", "when-things-go-wrong"], environment: loopback)
      #expect(free.status == 0, "\(free.output)")
      #expect(free.output.contains("# ok: the lesson replays green"))
    }

    @Test func rehearsalNamesAMissingPeerProgramAndTheStepThatWaitsForIt() throws {
      let result = try Socklab.run(["rehearse", "tcp-conversation"], environment: ["PATH": "/nonexistent"])
      // On the lab's own host the visitor joins it first.
      let command = WireCheck.hosts ? "socklab exec server -- nc 127.0.0.1 PORT" : "nc 127.0.0.1 PORT"
      #expect(
        result.output.contains("warning: step 15 (A visitor from outside) waits for an outside program: have `\(command)` ready"),
        "\(result.output)")
      #expect(result.output.contains("warning: step 15 needs nc, which is not installed here"), "\(result.output)")
      #expect(result.output.contains("step 16"))
      #expect(result.status == 1)
    }
  }
}

extension Live {
  @Suite("Presentation layout") struct PresentationLayoutScreens {
    @Test func pShowsTheStepsOwnPanesLargeThenTheOtherPairsThenOff() throws {
      let lab = try Harness(width: 120, height: 40)
      lab.app.open(0, atStep: 3)  // Listening: `Layout: code, sockets`
      lab.app.settle()
      #expect(lab.text.contains("Step 4 of 16"))
      lab.press(.character("P"))
      var screen = lab.text
      #expect(screen.contains("Code") && screen.contains("Sockets"), "\(screen)")
      #expect(!screen.contains("┌ Lesson") && !screen.contains("┏ Lesson") && !screen.contains("Log ─"), "\(screen)")
      #expect(screen.contains("Presentation layout: Code + Sockets"))
      #expect(screen.contains("P next layout"))
      // Each pane is half the screen wide.
      let top = try #require(screen.split(separator: "\n").dropFirst().first)
      #expect(top.hasPrefix("┏ Code") || top.hasPrefix("┌ Code"), "\(top)")
      #expect(top.contains("Sockets"))
      lab.press(.character("P"))
      screen = lab.text
      #expect(screen.contains("Presentation layout: Lesson + Code"), "\(screen)")
      lab.press(.character("P"))
      #expect(lab.text.contains("Presentation layout: Code + Log"))
      lab.press(.character("P"))
      screen = lab.text
      #expect(screen.contains("Presentation layout off."))
      #expect(screen.contains("Lesson") && screen.contains("Address") && screen.contains("Log"))
    }

    @Test func blindPredictionsStayOnInThePresentationLayout() throws {
      let lab = try Harness(width: 120, height: 40)
      lab.app.open(0, atStep: 9)  // Receiving: a stream, not messages, with `Layout: code, log`
      lab.app.settle()
      lab.press(.character("P"))
      #expect(lab.text.contains("Presentation layout: Code + Log"), "\(lab.text)")
      lab.press(.character("p"))
      #expect(lab.app.state.player.prompt != nil, "the prediction prompt opens")
      #expect(!lab.text.contains("= 12"), "the answer is not on screen before the guess:\n\(lab.text)")
    }
  }
}
