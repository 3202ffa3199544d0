import Foundation
import LabEngine
import LabScript
import Lessons
import ShippedLessons
import Testing

extension Live {
  /// The shipped lessons, proven against the kernel, and the linter's messages on broken ones.
  @Suite("Lessons") struct LessonChecks {
    static let lessonsFolder = Socklab.packageRoot.appendingPathComponent("Lessons").path
    static let brokenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("BrokenLessons")
      .path

    /// The curriculum the binary carries, as the lab loads it.
    static func shipped() throws -> LessonLibrary {
      try LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: [])
    }

    @Test func theBinaryCarriesExactlyTheFilesOfLessons() throws {
      let names = try FileManager.default.contentsOfDirectory(atPath: Self.lessonsFolder)
        .filter { $0.hasSuffix(".md") && $0 != "README.md" }.sorted()
      #expect(ShippedLessons.files.map(\.name) == names)
      for (name, text) in ShippedLessons.files {
        #expect(text == (try String(contentsOfFile: Self.lessonsFolder + "/" + name, encoding: .utf8)), "\(name) differs")
      }
      let library = try Self.shipped()
      #expect(library.problems.map(\.description) == [])
      #expect(library.lessons.allSatisfy { $0.origin == LessonLibrary.builtIn })
      #expect(library.lessons.map(\.id) == (try LessonLibrary.load(Self.lessonsFolder)).lessons.map(\.id))
    }

    @Test func aTeachersFolderAddsLessonsAndReplacesOnesWithTheSameID() throws {
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-teacher-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: folder) }
      let shipped = try Self.shipped()
      let udp = try #require(ShippedLessons.files.first { $0.name.hasPrefix("03-") })
      // Lesson 40 needs lesson 1, which only the shipped lessons have; lesson 3 is the teacher's own version.
      try Self.teachersLesson.write(to: folder.appendingPathComponent("40-extra.md"), atomically: true, encoding: .utf8)
      try udp.text.replacingOccurrences(of: "title: UDP datagrams", with: "title: UDP, our way")
        .write(to: folder.appendingPathComponent("03-udp-our-way.md"), atomically: true, encoding: .utf8)
      let library = try LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: [folder.path])
      #expect(library.problems.map(\.description) == [])
      #expect(library.lessons.count == shipped.lessons.count + 1)
      #expect(library.lessons.last?.id == "extra")
      #expect(library.lessons.last?.origin == folder.path)
      let replaced = try #require(library.lesson(named: "udp-datagrams"))
      #expect(replaced.title == "UDP, our way")
      #expect(replaced.number == 3)
      #expect(replaced.replaces == LessonLibrary.builtIn)
      #expect(library.notices == ["lesson udp-datagrams from \(folder.path)/03-udp-our-way.md replaces the one from the built-in lessons"])
      // Alone, the folder's lesson 40 names a prerequisite it cannot find; linted beside the
      // curriculum it is clean.
      let alone = try LessonLibrary.load(folder.path).problems.map(\.description)
      #expect(alone.contains { $0.contains("40-extra.md:7:16: prerequisite tcp-conversation is not a lesson here") })
      #expect(try LessonLibrary.load(folder.path, known: Set(shipped.lessons.map(\.id))).problems.isEmpty)
    }

    static let teachersLesson = """
      ---
      id: extra
      title: A teacher's extra lesson
      summary: One socket, made and closed.
      level: beginner
      actors: main
      prerequisites: tcp-conversation
      time: 5 min
      ---

      # A teacher's extra lesson

      What comes after the shipped lessons.

      ## One socket

      Make one socket and close it again.

      ```lab
      s = socket(AF_INET, SOCK_STREAM, 0) = fd
      close(s) = 0
      ```

      Hint: run both lines.

      """

    @Test func theShippedLessonsLintClean() throws {
      let library = try LessonLibrary.load(Self.lessonsFolder)
      #expect(library.problems.map(\.description) == [])
      #expect(library.lessons.count >= 3)
      #expect(library.lessons.map(\.number) == Array(1...library.lessons.count))
    }

    @Test func everyShippedLessonReplaysGreen() throws {
      let library = try LessonLibrary.load(Self.lessonsFolder)
      for lesson in library.lessons {
        // Hosts are made by a process that is still single-threaded: the lab's binary, not
        // this test process.
        if !lesson.hosts.isEmpty || lesson.wireOnLoopback {
          let run = try Socklab.run(["run", lesson.file], timeout: 120)
          #expect(run.status == 0, "\(lesson.file)\n\(run.output)")
          // A lesson that watches its loopback also plays here, where there is no wire.
          if !lesson.hosts.isEmpty { continue }
        }
        let session = LabSession()
        let report = ScriptRunner().run(session.playable(lesson).script, in: session)
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

    /// Where the lab cannot make its host, a lesson that watches its loopback loses its wire
    /// lines, and each prediction still points at its own call.
    @Test func aLessonThatWatchesItsLoopbackPlaysWithoutItsWireLines() throws {
      let text = """
        ---
        id: watched
        title: Watched
        summary: A connection whose wire is only watched.
        level: beginner
        actors: server, client
        prerequisites: none
        time: 1 min
        wire: loopback
        ---

        ## Connect

        Prose.

        ```lab
        server: s = socket(AF_INET, SOCK_STREAM, 0) = fd
        wire_count(any) = 0
        client: c = socket(AF_INET, SOCK_STREAM, 0) = ?
        wire() = SYN, SYN-ACK, ACK
        ```

        Predict: Which descriptor?

        Answer: 4

        Explain: The next free one.
        """
      let (parsed, _, problems) = LessonParser.parse(text, file: "20-watched.md")
      #expect(problems.isEmpty, "\(problems)")
      let lesson = try #require(parsed)
      #expect(lesson.wireOnLoopback && lesson.hosts.isEmpty)
      #expect(lesson.steps[0].statements.count == 4)
      #expect(lesson.steps[0].prediction?.statementIndex == 2)
      let plain = lesson.withoutWireLines()
      #expect(plain.steps[0].statements.map(\.actorName) == ["server", "client"])
      #expect(plain.steps[0].prediction?.statementIndex == 1)
      #expect(plain.steps[0].statements[1].expectation == .prediction)
      // This test process made no user namespace: the session has no host, and the lesson
      // plays on this machine's loopback without complaint.
      var configuration = SessionConfiguration()
      configuration.place(lesson)
      #expect(configuration.sharedHost == ["server", "client"])
      let session = LabSession(configuration: configuration)
      defer { session.close() }
      #expect(session.wire == nil && session.isOnMachineLoopback)
      #expect(session.playable(lesson) == plain)
      let runner = LessonRunner(lesson: lesson)
      defer { runner.close() }
      #expect(runner.state.statements.count == 2)
      #expect(runner.state.wireProblem == nil && !runner.state.showsWire)
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
