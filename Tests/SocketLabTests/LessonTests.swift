import Foundation
import LabEngine
import LabScript
import Lessons
import Testing

extension Live {
  /// The shipped lessons, proven against the kernel, and the linter's messages on broken ones.
  @Suite("Lessons") struct LessonChecks {
    static let lessonsFolder = Socklab.packageRoot.appendingPathComponent("Lessons").path
    static let brokenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("BrokenLessons")
      .path

    @Test func theShippedLessonsLintClean() throws {
      let library = try LessonLibrary.load(Self.lessonsFolder)
      #expect(library.problems.map(\.description) == [])
      #expect(library.lessons.count >= 3)
      #expect(library.lessons.map(\.number) == Array(1...library.lessons.count))
    }

    @Test func everyShippedLessonReplaysGreen() throws {
      let library = try LessonLibrary.load(Self.lessonsFolder)
      for lesson in library.lessons {
        let session = LabSession()
        let report = ScriptRunner().run(lesson.script, in: session)
        session.close()
        #expect(report.failures == 0, "\(lesson.file)\n\(transcript(report).rawValue)")
        // Every errno a lesson explains is one its replay really produced.
        let produced = Set(report.entries.compactMap(\.errno))
        for name in lesson.steps.flatMap(\.whys.keys) {
          #expect(produced.contains(name), "\(lesson.file) explains \(name) but its replay never produced it")
        }
      }
    }

    @Test func everyShippedLessonAsksAtLeastTwoPredictions() throws {
      for lesson in try LessonLibrary.load(Self.lessonsFolder).lessons {
        let predictions = lesson.steps.compactMap(\.prediction)
        #expect(predictions.count >= 2, "\(lesson.file) has \(predictions.count) prediction points")
        for step in lesson.steps where !step.statements.isEmpty {
          #expect(step.hint != nil, "\(lesson.file): step \"\(step.title)\" has no hint")
        }
      }
    }

    @Test func brokenLessonsGetExactMessagesAndPlaces() throws {
      let library = try LessonLibrary.load(Self.brokenFolder)
      let got = library.problems.map { $0.description.replacingOccurrences(of: Self.brokenFolder + "/", with: "") }
      let expected = try String(contentsOfFile: Self.brokenFolder + "/expected.txt", encoding: .utf8)
        .split(separator: "\n").map(String.init)
      #expect(got == expected)
    }

    @Test func theAuthoringGuidesExampleLessonWorks() throws {
      let guide = try String(contentsOfFile: Self.lessonsFolder + "/README.md", encoding: .utf8)
      let marker = "## A complete small lesson"
      let section = try #require(guide.components(separatedBy: marker).last)
      let example = try #require(section.components(separatedBy: "````").dropFirst().first).trimmingCharacters(in: .newlines)
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-guide-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: folder) }
      try FileManager.default.copyItem(
        atPath: Self.lessonsFolder + "/01-tcp-conversation.md", toPath: folder.path + "/01-tcp-conversation.md")
      try example.write(toFile: folder.path + "/12-refused.md", atomically: true, encoding: .utf8)

      let library = try LessonLibrary.load(folder.path)
      #expect(library.problems.map(\.description) == [])
      let lesson = try #require(library.lesson(named: "refused"))
      let session = LabSession()
      defer { session.close() }
      let report = ScriptRunner().run(lesson.script, in: session)
      #expect(report.failures == 0, transcript(report))
      #expect(report.predictions == 1)
    }

    @Test func aWrongAnswerInALessonFailsItsReplay() throws {
      let text = """
        ---
        id: wrong
        title: A wrong answer
        summary: The lesson claims something the kernel does not do.
        level: beginner
        actors: main
        prerequisites: none
        time: 1 min
        ---

        ## Stream

        Prose.

        ```lab
        htons(1) = ?
        ```

        Predict: What is htons(1)?

        Answer: 1

        Explain: It is not.

        Hint: Swap the bytes.
        """
      let (lesson, _, problems) = LessonParser.parse(text, file: "09-wrong.md")
      #expect(problems.isEmpty)
      let session = LabSession()
      defer { session.close() }
      let report = ScriptRunner().run(try #require(lesson).script, in: session)
      #expect(report.failures == 1)
      #expect(
        report.entries.first?.text.contains("FAILED (line 16): expected 1 (the lesson's answer), got 256") == true,
        transcript(report))
    }

    @Test func socklabLintAndRunSpeakForLessons() throws {
      let clean = try Socklab.run(["lint", "Lessons"])
      #expect(clean.status == 0, "\(clean.output)")
      #expect(clean.output.hasSuffix("clean\n"))

      let broken = try Socklab.run(["lint", Self.brokenFolder])
      #expect(broken.status == 1)
      #expect(broken.output.contains("03-bad-lab-lines.md:17:9: unknown call bnid() — did you mean bind?"))

      let replay = try Socklab.run(["run", "tcp-conversation"])
      #expect(replay.status == 0, "\(replay.output)\(replay.errors)")
      #expect(
        replay.output.contains("## Waiting for a caller\nserver: a = accept(s, &peer, &peerlen) = fd   ... blocked in accept()"))
      #expect(replay.output.contains("[prediction point: the answer is 12]"))

      let unknown = try Socklab.run(["run", "no-such-lesson"])
      #expect(unknown.status == 2)
      #expect(unknown.errors.contains("no lesson or file named no-such-lesson"))
    }
  }
}
