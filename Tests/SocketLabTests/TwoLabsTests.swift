import Foundation
import Lessons
import Testing

extension Live {
  /// Two labs open at once for the same learner (two terminals, or a learner and a forgotten
  /// window): neither may lose what the other saved.
  @Suite("Two labs at once") struct TwoLabs {
    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func twoLabsOpenAtOnceKeepBothLessons() throws {
      let state = try temporaryFolder("shared")
      defer { try? FileManager.default.removeItem(at: state) }
      let first = try TmuxSession(width: 80, height: 24, environment: ["XDG_STATE_HOME=\(state.path)"])
      let second = try TmuxSession(width: 80, height: 24, environment: ["XDG_STATE_HOME=\(state.path)"])
      // Both have read the (empty) progress before either saves.
      try first.waitFor("1. A TCP conversation")
      try second.waitFor("1. A TCP conversation")
      try first.send("Enter")
      try first.waitFor("Step 1 of")
      try second.send("Down")
      try second.send("Enter")
      try second.waitFor("Step 1 of")
      for lab in [first, second] {
        try lab.send("q")
        try lab.waitFor("Lessons")
        try lab.send("q")
        #expect(lab.exitStatus() == "0")
      }
      let (progress, note) = ProgressStore(path: state.path + "/socklab/progress.json").load()
      #expect(note == nil)
      #expect(Set(progress.lessons.keys) == ["tcp-conversation", "addresses-and-byte-order"])
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func twoFreePlaysKeepBothHistories() throws {
      let state = try temporaryFolder("shared")
      defer { try? FileManager.default.removeItem(at: state) }
      let first = try TmuxSession(width: 80, height: 24, arguments: ["play"], environment: ["XDG_STATE_HOME=\(state.path)"])
      let second = try TmuxSession(width: 80, height: 24, arguments: ["play"], environment: ["XDG_STATE_HOME=\(state.path)"])
      for (lab, line) in [(first, "one = 1"), (second, "two = 2"), (first, "three = 3")] {
        try lab.waitFor("free play")
        try lab.send("-l", line)
        try lab.send("Enter")
        try lab.waitFor("main: \(line)")
      }
      for lab in [first, second] {
        try lab.send("-l", ":quit")
        try lab.send("Enter")
        try lab.waitFor("Lessons")
        try lab.send("q")
        #expect(lab.exitStatus() == "0")
      }
      let history = try String(contentsOfFile: state.path + "/socklab/history", encoding: .utf8)
      #expect(history.split(separator: "\n").filter { !$0.hasPrefix(":") } == ["one = 1", "two = 2", "three = 3"])
    }
  }
}
