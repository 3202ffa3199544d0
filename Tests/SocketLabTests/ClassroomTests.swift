import Foundation
import LabShare
import LabUI
import SocketKit
import Synchronization
import TerminalUI
import Testing

/// The classroom hub: real TCP on loopback, and on hosts in network namespaces the test makes.
enum Classroom {
  static var scripts: URL { Socklab.packageRoot.appendingPathComponent("Tests/Scripts") }
  static var python: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") }
  /// Whether this machine lets an unprivileged process make its own user and network namespaces.
  static var namespaces: Bool {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"),
      FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/usr/bin/ip")
    else { return false }
    return (try? Socklab.run(["-Urn", "true"], timeout: 10, program: URL(fileURLWithPath: "/usr/bin/unshare")).status) == 0
  }

  static func json(_ text: String) throws -> [String: Any] {
    let line = try #require(text.split(separator: "\n").last)
    return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
  }

  /// A headless hub in a process of its own on a free loopback port.
  final class HubProcess {
    let process = Process()
    let port: UInt16
    init(code: String) throws {
      port = try #require(SocketAPI.freeLoopbackPorts(count: 1).first)
      process.executableURL = Socklab.executable
      process.arguments = ["class", "--headless", "--listen", "127.0.0.1:\(port)", "--code", code]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      let deadline = Date().addingTimeInterval(10)
      while Date() < deadline {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let ok = withUnsafePointer(to: &address) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        close(probe)
        if ok == 0 { return }
        usleep(20_000)
      }
    }

    var rssKB: Int {
      let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
      let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
      return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    deinit {
      process.terminate()
      process.waitUntilExit()
    }
  }

  static func python(_ arguments: [String], timeout: TimeInterval = 60) throws -> Socklab.Result {
    try Socklab.run(
      [scripts.appendingPathComponent("class_students.py").path] + arguments, timeout: timeout,
      program: URL(fileURLWithPath: "/usr/bin/python3"))
  }
}

extension Live {
  @Suite("Classroom") struct ClassroomHub {
    @Test(.enabled(if: Classroom.python && Classroom.namespaces, "needs python3, unshare and ip"))
    func threeHundredStudentsOnLoopbackAndTenOnHostsOfTheirOwnAnswerOnce() throws {
      let folder = try temporaryFolder("class-namespaces")
      defer { try? FileManager.default.removeItem(at: folder) }
      let result = try Socklab.run(
        [
          "-Urnm", "bash", Classroom.scripts.appendingPathComponent("class_namespaces.sh").path, Socklab.executable.path,
          Classroom.scripts.appendingPathComponent("class_students.py").path,
        ], timeout: 90, program: URL(fileURLWithPath: "/usr/bin/unshare"), in: folder)
      #expect(result.status == 0, "\(result.errors)")
      let summary = try Classroom.json(result.output)
      // Every answer counted exactly once, though each student sent it twice.
      #expect(summary["totalAnswers"] as? Int == 310)
      #expect(summary["answered"] as? Int == 310)
      #expect(summary["rightCount"] as? Int == 78)
      let tallies = (summary["answers"] as? [[String: Any]] ?? []).map { "\($0["answer"] ?? "") \($0["count"] ?? "")" }
      #expect(tallies == ["0 78", "1 78", "2 77", "3 77"])
      let students = summary["students"] as? [[String: Any]] ?? []
      #expect(students.count == 310)
      #expect(students.allSatisfy { $0["lesson"] as? String == "net" && $0["step"] as? Int == 3 })
      // Each acknowledged both of its sends.
      #expect(result.errors.components(separatedBy: "{\"acked\": 300}").count == 2, "\(result.errors)")
      #expect(result.errors.components(separatedBy: "{\"acked\": 1}").count == 11, "\(result.errors)")
    }

    @Test(.enabled(if: Classroom.python, "needs python3"))
    func hostileClientsAreDroppedWhileAnHonestStudentKeepsGoing() throws {
      let hub = try Classroom.HubProcess(code: "ROOM")
      let honest = StudentLink(host: "127.0.0.1", port: hub.port, name: "honest", code: "ROOM")
      defer { honest.close() }
      for _ in 0..<200 where !honest.isJoined { usleep(10_000) }
      #expect(honest.isJoined, "\(honest.status)")
      honest.position(lesson: "tcp-conversation", step: 4, steps: 16)
      // The attack runs on another thread while the honest student answers, one a second.
      let attack = Mutex<Socklab.Result?>(nil)
      let port = hub.port
      let thread = Thread { attack.withLock { $0 = try? Classroom.python(["hostile", "127.0.0.1", String(port), "ROOM"]) } }
      thread.start()
      var step = 1
      while attack.withLock({ $0 == nil }) && step < 30 {
        honest.answer(lesson: "tcp-conversation", step: step, answer: "12", right: true)
        step += 1
        usleep(400_000)
      }
      while attack.withLock({ $0 == nil }) { usleep(50_000) }
      let result = try #require(attack.withLock { $0 })
      let report = try Classroom.json(result.output)
      #expect(report["garbage"] as? Bool == true, "the hub hung up on garbage")
      #expect((report["long line cut at"] as? Int ?? .max) < 10 * 1024 * 1024, "a 10 MB line is cut off")
      #expect(report["wrong code"] as? String == "wrong code")
      #expect((report["slow sender cut after"] as? Double ?? 99) < 7, "\(report)")
      #expect(report["idle opened"] as? Int == 1000)
      for _ in 0..<300 where honest.unacknowledged > 0 { usleep(10_000) }
      #expect(honest.unacknowledged == 0, "every honest answer acknowledged")
      #expect(honest.isJoined)
      #expect(hub.rssKB < 64 * 1024, "the hub stays bounded: \(hub.rssKB) KB")
      let watched = try Classroom.json(try Classroom.python(["watch", "127.0.0.1", String(hub.port), "ROOM"], timeout: 10).output)
      let drops = (watched["drops"] as? [String] ?? []).joined(separator: "\n")
      for reason in ["not a JSON message", "a line over 4096 bytes", "wrong code", "no hello within 5 s", "refused a connection"] {
        #expect(drops.contains(reason), "\(reason) in:\n\(drops)")
      }
      #expect(watched["totalAnswers"] as? Int == step - 1)
    }

    /// Students who answered different predictions: the dashboard shows the teacher's step, the
    /// point the teacher picks, and otherwise the point answered last.
    @Test func theShownPredictionIsTheTeachersStepOrTheirChoice() throws {
      let hub = try ClassHub(host: "127.0.0.1", port: 0, code: "ROOM")
      hub.start()
      defer { hub.stop() }
      func waitFor(_ what: (ClassSummary) -> Bool) -> ClassSummary {
        for _ in 0..<500 where !what(hub.summary) { usleep(10_000) }
        return hub.summary
      }
      let ahead = StudentLink(host: "127.0.0.1", port: hub.port, name: "ahead", code: "ROOM")
      let behind = StudentLink(host: "127.0.0.1", port: hub.port, name: "behind", code: "ROOM")
      defer {
        ahead.close()
        behind.close()
      }
      ahead.position(lesson: "net", step: 3, steps: 9)
      ahead.answer(lesson: "net", step: 3, answer: "SYN", right: true)
      _ = waitFor { $0.step == 3 }
      ahead.position(lesson: "net", step: 7, steps: 9)
      ahead.answer(lesson: "net", step: 7, answer: "FIN", right: false)
      var summary = waitFor { $0.step == 7 }
      #expect(summary.shown == .latest)
      #expect(summary.points.map(\.step) == [3, 7])
      // A slower student answering step 3 takes the histogram back there: nobody leads.
      behind.position(lesson: "net", step: 3, steps: 9)
      behind.answer(lesson: "net", step: 3, answer: "SYN", right: true)
      summary = waitFor { $0.step == 3 && $0.answered == 2 }
      #expect(summary.answers == [.init(answer: "SYN", count: 2, right: true)])
      // The teacher's own lab is on step 7: that is the point shown, whoever answers last.
      let teacher = StudentLink(host: "127.0.0.1", port: hub.port, name: "teacher", code: "ROOM", lead: true)
      defer { teacher.close() }
      teacher.position(lesson: "net", step: 7, steps: 9)
      summary = waitFor { $0.shown == .teacher }
      #expect(summary.step == 7 && summary.answered == 1)
      behind.answer(lesson: "net", step: 3, answer: "ACK", right: false)
      summary = waitFor { $0.totalAnswers == 3 && $0.points.first?.answered == 2 }
      #expect(summary.step == 7 && summary.shown == .teacher)
      // The teacher picks step 3 on the dashboard, then goes back to the current point.
      let view = ClassDashboard(
        summary: summary, listening: "", code: "ROOM", stuckAfter: 300, theme: .monochrome, unicode: true)
      let picked = try #require(view.neighbouringPoint(-1))
      #expect(picked.step == 3)
      #expect(view.neighbouringPoint(5)?.step == 7)
      hub.show(picked)
      summary = waitFor { $0.shown == .chosen }
      #expect(summary.step == 3)
      #expect(summary.answers.map(\.answer).sorted() == ["ACK", "SYN"])
      let screen = ClassDashboard(
        summary: summary, listening: "", code: "ROOM", stuckAfter: 300, theme: .monochrome, unicode: true
      ).render(width: 80, height: 24).lines.joined(separator: "\n")
      #expect(screen.contains("│net, step 3"), "\(screen)")
      #expect(screen.contains("│1 of 2 · chosen (c: current)"), "\(screen)")
      hub.showCurrent()
      summary = waitFor { $0.shown == .teacher }
      #expect(summary.step == 7)
    }

    /// The real dashboard in a real terminal: students answer two predictions, the teacher picks
    /// the earlier one with ←, and `e` writes the answers as CSV for grading.
    @Test(.enabled(if: TmuxSession.available && Classroom.python, "needs tmux and python3"))
    func theDashboardInATerminalPicksAPredictionAndExportsTheAnswers() throws {
      let port = try #require(SocketAPI.freeLoopbackPorts(count: 1).first)
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-class-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: folder) }
      let csv = folder.appendingPathComponent("answers.csv").path
      let tmux = try TmuxSession(
        width: 100, height: 30, arguments: ["class", "--listen", "127.0.0.1:\(port)", "--code", "K7Q2", "--csv", csv])
      _ = try tmux.waitFor("code K7Q2")
      let first = try Classroom.python(["students", "127.0.0.1", String(port), "K7Q2", "8", "1", "0", "3"])
      #expect(first.output.contains("\"acked\": 8"), "\(first.output)")
      let second = try Classroom.python(["students", "127.0.0.1", String(port), "K7Q2", "3", "20", "0", "5"])
      #expect(second.output.contains("\"acked\": 3"), "\(second.output)")
      var screen = try tmux.waitFor("net, step 5")
      #expect(screen.contains("2 of 2 · answered last"), "\(screen)")
      #expect(screen.contains("3 answered, 1 right"), "\(screen)")
      try tmux.send("Left")
      screen = try tmux.waitFor("1 of 2 · chosen (c: current)")
      #expect(screen.contains("net, step 3"))
      #expect(screen.contains("8 answered, 2 right"), "\(screen)")
      try tmux.send("e")
      screen = try tmux.waitFor("Wrote 11 answers to \(csv)")
      let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
      #expect(rows.count == 12, "\(rows)")
      #expect(rows.first?.hasPrefix("name,") == true, "\(rows)")
      #expect(rows.contains { $0.hasPrefix("student-4,net,3,0,yes,") }, "\(rows)")
      #expect(rows.contains { $0.hasPrefix("student-21,net,5,1,no,") }, "\(rows)")
      try tmux.send("c")
      _ = try tmux.waitFor("2 of 2 · answered last")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
    }

    @Test func aWrongCodeIsRefusedAndTheLinkStopsTrying() throws {
      let hub = try ClassHub(host: "127.0.0.1", port: 0, code: "ROOM")
      hub.start()
      defer { hub.stop() }
      let link = StudentLink(host: "127.0.0.1", port: hub.port, name: "eve", code: "WRONG")
      defer { link.close() }
      for _ in 0..<200 where !link.status.contains("refused") { usleep(10_000) }
      #expect(link.status == "the class refused: wrong code")
      #expect(hub.summary.students.isEmpty)
    }

    @Test func aStudentsLabSendsItsStepAndPredictionAndFollowsWhenAsked() throws {
      let hub = try ClassHub(host: "127.0.0.1", port: 0, code: "ROOM")
      hub.start()
      defer { hub.stop() }
      let lab = try Harness(width: 120, height: 40)
      let link = StudentLink(host: "127.0.0.1", port: hub.port, name: "Ada\u{1B}[31m", code: "room")
      defer { link.close() }
      lab.app.classLink = link
      lab.press(.enter)
      for _ in 0..<200 where !link.isJoined { usleep(10_000) }
      lab.app.tick()
      // Lesson 1's first prediction: inet_aton's result.
      for _ in 0..<40 where lab.player.step.prediction == nil || lab.player.pendingStatement.map({ lab.player.statements[$0].expectation != .prediction }) ?? true {
        lab.step()
      }
      lab.press(.character(" "))
      lab.type("1").press(.enter)
      lab.app.settle()
      for _ in 0..<200 where hub.summary.totalAnswers == 0 || link.unacknowledged > 0 { usleep(10_000) }
      let summary = hub.summary
      let student = try #require(summary.students.first)
      #expect(student.name == "Ada?[31m", "control characters never reach the dashboard")
      #expect(student.lesson == "tcp-conversation" && student.step == lab.player.stepIndex + 1)
      #expect(summary.answers.map(\.answer) == ["1"] && summary.rightCount == 1)
      // Follow me: offered, then taken with F.
      hub.follow(lesson: "tcp-conversation", step: 6)
      for _ in 0..<200 where lab.app.state.player.followOffer == nil {
        usleep(10_000)
        lab.app.tick()
      }
      #expect(lab.text.contains("press F to follow"), "\(lab.text)")
      lab.press(.character("F"))
      lab.app.settle()
      #expect(lab.player.stepIndex == 5)
      for _ in 0..<200 where hub.summary.students.first?.step != 6 { usleep(10_000); lab.app.tick() }
      #expect(hub.summary.students.first?.step == 6)
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func theDashboard(_ size: (Int, Int)) throws {
      var summary = ClassSummary()
      for n in 1...12 {
        let name: String = n == 3 ? "a name that is far too long for" : "student \(n)"
        let lesson: String? = n == 12 ? nil : "tcp-conversation"
        let step: Int? = n == 12 ? nil : 10
        let onStep: Double = n == 5 ? 420 : Double(n * 7)
        summary.students.append(
          ClassSummary.Student(
            id: n, name: name, lesson: lesson, step: step, steps: 16, onStep: onStep, failures: n == 7 ? 2 : 0,
            connected: n != 9))
      }
      summary.lesson = "tcp-conversation"
      summary.step = 10
      summary.shown = .teacher
      summary.points = [.init(lesson: "tcp-conversation", step: 4, answered: 12), .init(lesson: "tcp-conversation", step: 10, answered: 11)]
      summary.answers = [
        .init(answer: "12", count: 6, right: true), .init(answer: "6", count: 4, right: false),
        .init(answer: "-1 EAGAIN", count: 1, right: false),
      ]
      summary.answered = 11
      summary.rightCount = 6
      summary.totalAnswers = 31
      let view = ClassDashboard(
        summary: summary, listening: "0.0.0.0:7070", code: "K7Q2", stuckAfter: 300, theme: .monochrome, unicode: true)
      let text = view.render(width: size.0, height: size.1).lines.joined(separator: "\n") + "\n"
      let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Screens/class-\(size.0)x\(size.1).txt")
      if ProcessInfo.processInfo.environment["SOCKLAB_RECORD"] == "1" { try text.write(to: url, atomically: true, encoding: .utf8) }
      let expected = try String(contentsOf: url, encoding: .utf8)
      #expect(text == expected, "\(text)")
    }
  }
}
