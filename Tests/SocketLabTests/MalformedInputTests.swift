import Foundation
import Lessons
import ShippedLessons
import Testing

/// A deterministic corpus of malformed scripts and lessons, made by code from the shipped ones:
/// truncations, garbage bytes, huge numbers, deep nesting, long lines, escape bytes, FIFOs and
/// links to devices. Each must end with status 1 or 2 and a message that names its place, without
/// a crash, a hang, or a control byte reaching the terminal.
enum MalformedCorpus {
  enum Content {
    case text(String)
    case bytes([UInt8])
    case fifo
    case link(String)
    case folder
  }

  struct Case {
    var name: String
    var content: Content
  }

  /// A small fixed-seed generator, so that every run makes the same corpus.
  struct Generator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 33
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
  }

  static var scripts: [Case] {
    var cases: [Case] = []
    let hello = try! String(contentsOfFile: Live.LessonChecks.lessonsFolder + "/scripts/tcp-hello.lab", encoding: .utf8)
    // Truncations just after an opening parenthesis of a call (not one in a comment): the
    // line's call is never closed.
    let opens = hello.indices.filter { index in
      let lineStart = hello[..<index].lastIndex(of: "\n") ?? hello.startIndex
      return hello[index] == "(" && !hello[lineStart..<index].contains("#")
    }
    for (number, index) in opens.enumerated() {
      cases.append(Case(name: "truncated-\(number).lab", content: .text(String(hello[...index]))))
    }
    var random = Generator(state: 42)
    for number in 0..<40 {
      // Garbage after a valid first line, so the place of the problem is line 2 or later.
      let garbage = random.bytes(8 + number * 3).map { $0 == 0x0a ? 0x21 : $0 }
      cases.append(Case(name: "garbage-\(number).lab", content: .bytes(Array("s = socket(AF_INET, SOCK_STREAM, 0)\n".utf8) + garbage)))
    }
    let numbers = [
      "99999999999999999999999", "18446744073709551616", "-99999999999999999999", "0xffffffffffffffffff", "1e9", "0b101",
      "09", "0x",
    ]
    for (number, value) in numbers.enumerated() {
      cases.append(Case(name: "number-\(number).lab", content: .text("x = \(value)\nlisten(x, \(value))\n")))
      cases.append(Case(name: "port-\(number).lab", content: .text("a = sockaddr_in(\"127.0.0.1\", htons(\(value)))\n")))
    }
    for depth in [65, 200, 1_000, 2_000] {
      let nested = String(repeating: "htons(", count: depth) + "1" + String(repeating: ")", count: depth)
      cases.append(Case(name: "nested-\(depth).lab", content: .text("x = \(nested)\n")))
      cases.append(Case(name: "negated-\(depth).lab", content: .text("x = " + String(repeating: "-", count: depth) + "1\n")))
      let ors = Array(repeating: "1", count: depth).joined(separator: " | ")
      cases.append(Case(name: "ors-\(depth).lab", content: .text("x = \(ors)\n")))
      cases.append(Case(name: "parens-\(depth).lab", content: .text("x = " + String(repeating: "(", count: depth) + "1\n")))
    }
    cases.append(Case(name: "long-line.lab", content: .text("s = socket(AF_INET, SOCK_STREAM, 0) # " + String(repeating: "x", count: 5_000) + "\n")))
    cases.append(Case(name: "long-string.lab", content: .text("x = strlen(\"" + String(repeating: "y", count: 8_000) + "\")\n")))
    cases.append(Case(name: "escape-bytes.lab", content: .text("s = socket(AF_INET, SOCK_STREAM, 0) = fd\nx\u{1b}]0;owned\u{07} = 1\n")))
    cases.append(Case(name: "invalid-utf8.lab", content: .bytes([0x78, 0x20, 0x3d, 0x20, 0xff, 0xfe, 0xc3, 0x28, 0x0a])))
    cases.append(Case(name: "nul-bytes.lab", content: .bytes(Array("close(".utf8) + [0, 0, 0] + Array(")\n".utf8))))
    cases.append(Case(name: "bom-then-garbage.lab", content: .bytes([0xef, 0xbb, 0xbf] + Array("bnid(s)\n".utf8))))
    cases.append(Case(name: "too-large.lab", content: .text(String(repeating: "# a comment line\n", count: 70_000))))
    cases.append(Case(name: "fifo.lab", content: .fifo))
    cases.append(Case(name: "zero.lab", content: .link("/dev/zero")))
    cases.append(Case(name: "urandom.lab", content: .link("/dev/urandom")))
    cases.append(Case(name: "dangling.lab", content: .link("/nonexistent/socklab")))
    cases.append(Case(name: "folder.lab", content: .folder))
    return cases
  }

  static var lessons: [Case] {
    var cases: [Case] = []
    let text = ShippedLessons.files[0].text
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    // Lessons cut off inside their front matter and inside a lab block's call.
    for count in [1, 2, 3, 5, 8] {
      cases.append(Case(name: "front-\(count).md", content: .text(lines.prefix(count).joined(separator: "\n"))))
    }
    let opens = text.indices.filter { text[$0] == "(" }
    for (number, index) in opens.enumerated() where number % 2 == 0 {
      cases.append(Case(name: "cut-\(number).md", content: .text(String(text[...index]))))
    }
    var random = Generator(state: 7)
    for number in 0..<30 {
      // A lab line of garbage in an otherwise valid lesson.
      let garbage = String(decoding: random.bytes(6 + number).map { 0x21 + $0 % 90 }, as: UTF8.self)
      let broken = text.replacingOccurrences(of: "```lab\n", with: "```lab\n\(garbage)(\n", options: [], range: nil)
      cases.append(Case(name: "garbage-\(number).md", content: .text(broken)))
    }
    for depth in [100, 10_000] {
      let deep = String(repeating: "htons(", count: depth) + "1" + String(repeating: ")", count: depth)
      let name = depth == 100 ? "deep.md" : "deep-and-long.md"
      cases.append(Case(name: name, content: .text(text.replacingOccurrences(of: "```lab\n", with: "```lab\nserver: x = \(deep)\n"))))
    }
    cases.append(Case(name: "title-escape.md", content: .text(text.replacingOccurrences(of: "title: A TCP conversation", with: "title: \u{1b}]0;owned\u{07}\nbad key"))))
    cases.append(Case(name: "bom.md", content: .bytes([0xef, 0xbb, 0xbf] + Array(text.replacingOccurrences(of: "level: beginner", with: "level: wizard").utf8))))
    cases.append(Case(name: "too-large.md", content: .text(text + String(repeating: "More prose. ", count: 100_000))))
    cases.append(Case(name: "fifo.md", content: .fifo))
    cases.append(Case(name: "zero.md", content: .link("/dev/zero")))
    cases.append(Case(name: "folder.md", content: .folder))
    return cases
  }

  /// Writes `cases` into `folder`.
  static func write(_ cases: [Case], to folder: URL) throws {
    for item in cases {
      let path = folder.appendingPathComponent(item.name).path
      switch item.content {
      case .text(let text): try text.write(toFile: path, atomically: false, encoding: .utf8)
      case .bytes(let bytes): try Data(bytes).write(to: URL(fileURLWithPath: path))
      case .fifo: #expect(mkfifo(path, 0o600) == 0)
      case .link(let target): try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
      case .folder: try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
      }
    }
  }
}

extension Live {
  @Suite("Malformed input") struct MalformedInput {
    /// The status is 1 or 2, a line names the file with a line and column (or says it cannot be
    /// read), and no control byte but newline and tab reaches the terminal.
    private func expectHandled(_ result: Socklab.Result, _ path: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
      let name = (path as NSString).lastPathComponent
      let all = result.output + result.errors
      #expect([1, 2].contains(result.status), "\(name): status \(result.status)\n\(all.prefix(600))", sourceLocation: sourceLocation)
      let located = all.contains("\(path): cannot be read") || all.range(of: "\(path):[0-9]+:[0-9]+: ", options: .regularExpression) != nil
      #expect(located, "\(name): no located message\n\(all.prefix(600))", sourceLocation: sourceLocation)
      let control = all.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7f..<0xa0).contains($0.value) }
      #expect(!control, "\(name): a control byte reached the terminal", sourceLocation: sourceLocation)
    }

    @Test func everyMalformedScriptAndLessonEndsWithALocatedMessage() throws {
      let scripts = MalformedCorpus.scripts
      let lessons = MalformedCorpus.lessons
      #expect(scripts.count + lessons.count >= 200)
      let root = try temporaryFolder("malformed")
      defer { try? FileManager.default.removeItem(at: root) }
      try MalformedCorpus.write(scripts + lessons, to: root)
      for item in scripts {
        let path = root.appendingPathComponent(item.name).path
        expectHandled(try Socklab.run(["run", path], timeout: 20), path)
      }
      for item in lessons {
        let path = root.appendingPathComponent(item.name).path
        // A folder, even one named like a lesson, is linted as a folder of lessons.
        if case .folder = item.content {} else { expectHandled(try Socklab.run(["lint", path], timeout: 20), path) }
        expectHandled(try Socklab.run(["run", path], timeout: 20), path)
      }
    }

    @Test func aFolderOfBrokenLessonsIsLintedFileByFileAndStopsNothing() throws {
      let root = try temporaryFolder("malformed")
      defer { try? FileManager.default.removeItem(at: root) }
      try MalformedCorpus.write(MalformedCorpus.lessons.filter { $0.name != "folder.md" }, to: root)
      let lint = try Socklab.run(["lint", root.path], timeout: 60)
      #expect(lint.status == 1)
      #expect(lint.output.contains("\(root.path)/fifo.md:1:1: cannot be read: it is a FIFO, not a regular file"))
      #expect(lint.output.contains("\(root.path)/zero.md:1:1: cannot be read: it is a character device, not a regular file"))
      #expect(lint.output.contains("\(root.path)/too-large.md:1:1: cannot be read: it is"))
      #expect(lint.output.contains("\(root.path)/deep.md:") && lint.output.contains("nests more than 64 levels deep"))
      // The shipped lessons still run beside a teacher's broken folder, by id.
      let run = try Socklab.run(["run", "udp-datagrams"], environment: ["SOCKLAB_LESSONS": ""])
      #expect(run.status == 0)
    }

    @Test func aBadLengthTypedAsCWouldIsAnsweredByTheKernel() throws {
      let script = try Socklab.temporaryScript(
        """
        s = socket(AF_INET, SOCK_STREAM, 0) = fd
        a = sockaddr_in("127.0.0.1", htons(PORT))
        bind(s, &a, -1) = -1 EINVAL
        bind(s, &a, 4294967296) = -1 EINVAL
        bind(s, &a, 0x7fffffffffffffff) = -1 EINVAL
        connect(s, &a, -65536) = -1 EINVAL
        connect(s, &a, 200) = -1 EINVAL
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1, -1) = -1 EINVAL
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1, 2) = -1 EINVAL
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1, 1000) = 0
        u = socket(AF_INET, SOCK_DGRAM, 0) = fd
        sendto(u, "hi", 2, 0, &a, -1) = -1 EINVAL
        close(u) = 0
        close(s) = 0
        """)
      let result = try Socklab.run(["run", script])
      #expect(result.status == 0, "\(result.output)\(result.errors)")
      #expect(result.output.contains("bind(3, {AF_INET, 127.0.0.1:") && result.output.contains("}, 4294967295) = -1 EINVAL"))
      let refused = try Socklab.temporaryScript(
        """
        s = socket(AF_INET, SOCK_STREAM, 0) = fd
        send(s, "hello", -1, 0) = ?
        """)
      let refusal = try Socklab.run(["run", refused])
      #expect(refusal.status == 1)
      #expect(refusal.output.contains("\(refused):2:18: length -1 becomes 18446744073709551615 as a size_t"))
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func whatAStudentTypesInFreePlayNeverEndsTheLab() throws {
      let tmux = try TmuxSession(width: 100, height: 30, arguments: ["play"])
      try tmux.waitFor("free play")
      let lines = [
        ("s = socket(AF_INET, SOCK_STREAM, 0)", "main: s = socket("),
        ("a = sockaddr_in(\"127.0.0.1\", htons(PORT))", "main: a = "),
        ("bind(s, &a, -1)", "4294967295) ="),
        ("setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1, -2)", "4294967294) ="),
        ("setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1, -2147483649)", "optlen 2147483647 is"),
        ("x = " + String(repeating: "htons(", count: 300) + "1" + String(repeating: ")", count: 300), "nests more than 64"),
        ("y = " + String(repeating: "-", count: 1_600) + "1", "nests more than 64"),
      ]
      for (line, shown) in lines {
        try tmux.send("-l", line)
        try tmux.send("Enter")
        try tmux.waitFor(shown)
        // A line with a mistake stays at the prompt to be mended, the cursor on the mistake: clear it.
        try tmux.send("C-e", "C-u")
      }
      try tmux.send("-l", ":quit")
      try tmux.send("Enter")
      try tmux.waitFor("Lessons")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func aBrokenLessonInATeachersFolderIsLeftOutNotTheWholeLab() throws {
      let root = try temporaryFolder("broken-course")
      defer { try? FileManager.default.removeItem(at: root) }
      try MalformedCorpus.write(MalformedCorpus.lessons.filter { ["deep.md", "fifo.md", "zero.md"].contains($0.name) }, to: root)
      try Live.LessonChecks.teachersLesson.write(to: root.appendingPathComponent("40-extra.md"), atomically: true, encoding: .utf8)
      let tmux = try TmuxSession(width: 100, height: 48, arguments: ["--lessons", root.path])
      let screen = try tmux.waitFor("3 lesson files have problems and are left out")
      #expect(screen.contains("40. A teacher's extra lesson"))
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
    }

    @Test func theSeedCorpusReplaysThroughTheFuzzTarget() throws {
      let replayer = Socklab.executable.deletingLastPathComponent().appendingPathComponent("socklab-fuzz")
      let corpus = Socklab.packageRoot.appendingPathComponent("Tests/FuzzCorpus").path
      let root = try temporaryFolder("malformed")
      defer { try? FileManager.default.removeItem(at: root) }
      try MalformedCorpus.write(
        (MalformedCorpus.scripts + MalformedCorpus.lessons).filter {
          if case .text = $0.content { return true }
          if case .bytes = $0.content { return true }
          return false
        }, to: root)
      let result = try Socklab.run([corpus, root.path], timeout: 120, program: replayer)
      #expect(result.status == 0, "\(result.errors)")
      #expect(result.output.contains("without a crash"))
    }
  }
}
