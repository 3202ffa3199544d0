import Foundation
import LabUI
import Lessons
import Synchronization
import Testing

extension Live {
  @Suite("Progress") struct ProgressChecks {
    private func sample() -> LearnerProgress {
      var progress = LearnerProgress()
      progress.reached(step: 3, of: "tcp-conversation", stepCount: 15, now: 1000)
      progress.predicted(
        PredictionRecord(step: 9, line: 150, guess: "6", actual: "12", right: false, at: 1001), in: "tcp-conversation", now: 1001)
      progress.reached(step: 14, of: "udp-datagrams", stepCount: 15, now: 1002)
      return progress
    }

    @Test func theBackgroundWriterCoalescesSavesAndKeepsTheLast() throws {
      let folder = try temporaryFolder("writer")
      defer { try? FileManager.default.removeItem(at: folder) }
      let store = ProgressStore(path: folder.path + "/socklab/progress.json")
      let history = HistoryStore(path: folder.path + "/socklab/history")
      let woken = Mutex(0)
      let writer = StateWriter(progress: store, history: history) { woken.withLock { $0 += 1 } }
      var progress = LearnerProgress()
      for step in 0..<50 {
        progress.reached(step: step, of: "tcp-conversation", stepCount: 60, now: 1000)
        writer.save(progress)
        writer.append("line \(step)")
      }
      writer.flush()
      #expect(store.load().0.lessons["tcp-conversation"]?.step == 49)
      #expect(try String(contentsOfFile: history.path, encoding: .utf8).split(separator: "\n").count == 50)
      #expect(woken.withLock { $0 } >= 1 && woken.withLock { $0 } <= 50)
      #expect(writer.takeResult()?.saved?.lessons["tcp-conversation"]?.step == 49)

      // A save that fails is reported, not thrown away silently.
      try "in the way".write(to: folder.appendingPathComponent("blocked"), atomically: true, encoding: .utf8)
      let failing = StateWriter(progress: ProgressStore(path: folder.path + "/blocked/progress.json"), history: nil)
      failing.save(progress)
      failing.flush()
      #expect(failing.takeResult()?.problem?.hasPrefix("Progress could not be saved") == true)
    }

    @Test func progressSurvivesARoundTrip() throws {
      let folder = try temporaryFolder("state")
      defer { try? FileManager.default.removeItem(at: folder) }
      let store = ProgressStore(path: folder.path + "/socklab/progress.json")
      try store.save(sample())
      let (loaded, note) = store.load()
      #expect(note == nil)
      #expect(loaded == sample())
      #expect(loaded.lastLesson == "udp-datagrams")
      #expect(loaded.status(of: "tcp-conversation", stepCount: 15) == "step 4 of 15")
      #expect(loaded.status(of: "udp-datagrams", stepCount: 15) == "done")
      #expect(loaded.status(of: "addresses-and-byte-order", stepCount: 9) == "not started")
    }

    @Test func savingReplacesTheFileInsteadOfRewritingIt() throws {
      let folder = try temporaryFolder("state")
      defer { try? FileManager.default.removeItem(at: folder) }
      let path = folder.path + "/progress.json"
      let store = ProgressStore(path: path)
      var first = LearnerProgress()
      first.reached(step: 1, of: "tcp-conversation", stepCount: 15, now: 1)
      try store.save(first)
      // A second name for the first file: if a save rewrote the file in place (and a crash could
      // leave it half written), this name would see the change.
      try FileManager.default.linkItem(atPath: path, toPath: folder.path + "/earlier.json")
      try store.save(sample())
      let earlier = try Data(contentsOf: folder.appendingPathComponent("earlier.json"))
      #expect(try JSONDecoder().decode(LearnerProgress.self, from: earlier) == first)
      // The second save merges into the first: the lesson keeps its earliest start.
      #expect(store.load().0 == first.merging(sample()))
      #expect(store.load().0.lessons["tcp-conversation"]?.started == 1)
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
      #expect(leftovers.isEmpty)
    }

    @Test func anUnreadableFileIsKeptAsideAndReported() throws {
      let folder = try temporaryFolder("state")
      defer { try? FileManager.default.removeItem(at: folder) }
      let path = folder.path + "/progress.json"
      try "{ this is not json".write(toFile: path, atomically: true, encoding: .utf8)
      let (progress, note) = ProgressStore(path: path).load()
      #expect(progress == LearnerProgress())
      guard case .unreadable(let reason, let aside)? = note else {
        Issue.record("no note about the unreadable file")
        return
      }
      #expect(reason == "it is not valid progress JSON")
      #expect(aside.hasPrefix(path + ".unreadable-"))
      #expect(try String(contentsOfFile: aside, encoding: .utf8) == "{ this is not json")
      #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func theFileLivesUnderXDGStateHome() {
      #expect(
        ProgressStore.defaultPath(environment: ["XDG_STATE_HOME": "/srv/state", "HOME": "/home/ada"])
          == "/srv/state/socklab/progress.json")
      #expect(ProgressStore.defaultPath(environment: ["HOME": "/home/ada"]) == "/home/ada/.local/state/socklab/progress.json")
      #expect(
        ProgressStore.defaultPath(environment: ["XDG_STATE_HOME": "relative", "HOME": "/home/ada"])
          == "/home/ada/.local/state/socklab/progress.json")
    }

    @Test func socklabProgressShowsAndResets() throws {
      let folder = try temporaryFolder("state")
      defer { try? FileManager.default.removeItem(at: folder) }
      try ProgressStore(path: folder.path + "/socklab/progress.json").save(sample())
      let environment = ["XDG_STATE_HOME": folder.path]

      let shown = try Socklab.run(["progress"], environment: environment)
      #expect(shown.status == 0, "\(shown.errors)")
      #expect(shown.output.contains("1. A TCP conversation: step 4 of 16, predictions 0/1 right"))
      #expect(shown.output.contains("2. Addresses and byte order: not started"))
      #expect(shown.output.contains("3. UDP datagrams: done (last opened)"))

      let refused = try Socklab.run(["progress", "--reset"], environment: environment)
      #expect(refused.status == 1)
      #expect(refused.errors.contains("not resetting without confirmation"))
      #expect(FileManager.default.fileExists(atPath: folder.path + "/socklab/progress.json"))

      let reset = try Socklab.run(["progress", "--reset", "--yes"], environment: environment)
      #expect(reset.status == 0)
      #expect(reset.output == "Progress erased.\n")
      #expect(!FileManager.default.fileExists(atPath: folder.path + "/socklab/progress.json"))
    }
  }
}
