import Foundation
import LabEngine
import LabScript
import Lessons
import Testing

/// The readable export: one program per actor, compiled with gcc and clang, run as separate
/// processes, and traced to show that they make the lab's calls with the lab's results.
enum Programs {
  static var strace: String? { ["/usr/bin/strace"].first { FileManager.default.isExecutableFile(atPath: $0) } }

  /// Exports `target` with `--c` into a new folder; returns the folder and its files.
  static func export(_ target: String, extra: [String] = []) throws -> (URL, [String]) {
    let folder = try temporaryFolder("programs")
    let result = try Socklab.run(["export", "--c", target, "-o", folder.path + "/"] + extra)
    #expect(result.status == 0, "\(result.errors)")
    return (folder, try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted())
  }

  /// Runs each actor's program as its own process, in the lesson's order, under strace when it
  /// is installed; returns each program's exit status and traced network calls.
  static func runPrograms(_ actors: [String], in folder: URL) throws -> [String: (Int32, [String])] {
    let order = folder.appendingPathComponent(".lesson-order").path
    var processes: [(String, Process)] = []
    for actor in actors {
      let program = folder.appendingPathComponent(actor).path
      let process = Process()
      if let strace {
        process.executableURL = URL(fileURLWithPath: strace)
        process.arguments = ["-f", "-qq", "-e", "trace=network", "-o", program + ".trace", program]
      } else {
        process.executableURL = URL(fileURLWithPath: program)
      }
      process.environment = ["SOCKLAB_ORDER": order, "PATH": "/usr/bin:/bin"]
      process.currentDirectoryURL = folder
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      processes.append((actor, process))
      usleep(50_000)  // server first, then client
    }
    var results: [String: (Int32, [String])] = [:]
    let deadline = Date().addingTimeInterval(60)
    for (actor, process) in processes {
      while process.isRunning && Date() < deadline { usleep(20_000) }
      if process.isRunning { process.terminate() }
      process.waitUntilExit()
      let trace = (try? String(contentsOfFile: folder.appendingPathComponent(actor + ".trace").path, encoding: .utf8)) ?? ""
      results[actor] = (process.terminationStatus, trace.split(separator: "\n").map(String.init))
    }
    return results
  }

  /// strace's lines as `name = result`, without the helpers' TCP_INFO reads: `socket = fd`,
  /// `connect = -1 ECONNREFUSED`, `sendto = 6`.
  static func calls(_ trace: [String]) -> [String] {
    trace.compactMap { line in
      // A blocking call shows twice under -f: "accept(3, ... <unfinished ...>", then
      // "<... accept resumed> ...) = 4". Results are padded: "listen(3, 5)      = 0".
      guard !line.contains("TCP_INFO"), !line.contains("AF_NETLINK"), !line.contains("<unfinished"),
        let equals = line.range(of: " = ", options: .backwards)
      else { return nil }
      let name: String
      if let resumed = line.range(of: "<... ") {
        name = line[resumed.upperBound...].split(separator: " ").first.map(String.init) ?? ""
      } else {
        guard let open = line.firstIndex(of: "(") else { return nil }
        name = line[..<open].split(separator: " ").last.map(String.init) ?? ""
      }
      let result = line[equals.upperBound...].split(separator: " ").prefix(2).joined(separator: " ")
      return "\(name) = \(normal(name, result))"
    }
  }

  private static func normal(_ name: String, _ result: String) -> String {
    if ["socket", "accept", "accept4"].contains(name), let n = Int(result), n >= 0 { return "fd" }
    return result
  }

  /// The lab's transcript of `target` for `actor` in the same form: the calls that are socket
  /// system calls, named as the kernel names them (send() is sendto, recv() is recvfrom).
  static func labCalls(_ target: String) throws -> [String: [String]] {
    let replay = try Socklab.run(["run", "--json", target])
    let document = try #require(try JSONSerialization.jsonObject(with: Data(replay.output.utf8)) as? [String: Any])
    let entries = try #require(document["entries"] as? [[String: Any]])
    let syscalls = [
      "socket": "socket", "bind": "bind", "listen": "listen", "accept": "accept", "accept4": "accept4",
      "connect": "connect", "send": "sendto", "sendto": "sendto", "recv": "recvfrom", "recvfrom": "recvfrom",
      "shutdown": "shutdown", "getsockname": "getsockname", "getpeername": "getpeername", "setsockopt": "setsockopt",
      "getsockopt": "getsockopt",
    ]
    var calls: [String: [String]] = [:]
    for entry in entries where entry["kind"] as? String == "call" {
      guard let actor = entry["actor"] as? String, let call = entry["call"] as? String,
        let open = call.firstIndex(of: "("), var result = entry["result"] as? String
      else { continue }
      let function = String(call[..<open]).split(separator: " ").last.map(String.init) ?? ""
      guard let name = syscalls[function] else { continue }
      if let errno = entry["errno"] as? String { result += " " + errno }
      calls[actor, default: []].append("\(name) = \(normal(name, result))")
    }
    return calls
  }
}

extension Live {
  @Suite("Readable programs") struct ReadablePrograms {
    static var lessons: [Lesson] {
      (try? LessonLibrary.load(Socklab.packageRoot.path + "/Lessons").lessons) ?? []
    }

    static var targets: [String] {
      let scripts = ((try? FileManager.default.contentsOfDirectory(atPath: Socklab.packageRoot.path + "/Lessons/scripts")) ?? [])
        .filter { $0.hasSuffix(".lab") }.sorted().map { "Lessons/scripts/" + $0 }
      return lessons.map(\.id) + scripts
    }

    /// Lessons whose calls are each one system call (no OpenSSL or libowfat routine that makes
    /// several), so that strace's list is the lab's list.
    static let tracedLessons: Set<String> = [
      "udp-datagrams", "closing-well", "when-things-go-wrong", "the-accept-queue", "under-the-hood",
    ]

    @Test(arguments: targets)
    func everyProgramCompilesWithGccAndClangAndRunsInTheLessonsOrder(_ target: String) throws {
      let (folder, files) = try Programs.export(target)
      defer { try? FileManager.default.removeItem(at: folder) }
      let programs = files.filter { $0.hasSuffix(".c") }
      #expect(files.contains("Makefile"))
      let text = try programs.map { try String(contentsOfFile: folder.appendingPathComponent($0).path, encoding: .utf8) }
      let crypto = text.contains { $0.contains("BIO_") }
      for compiler in ExportCheck.compilers {
        for program in programs {
          let binary = folder.appendingPathComponent(String(program.dropLast(2))).path
          let messages = try ExportCheck.compile(
            compiler, [folder.appendingPathComponent(program).path], to: binary, crypto: crypto, pthread: false)
          #expect(messages == nil, "\(compiler) \(program):\n\(messages ?? "")")
        }
      }
      // Readable: no dispatch tables, no bare state numbers, the steps as comments.
      for body in text {
        #expect(!body.contains("is_query") && !body.contains("switch (line)"))
        #expect(body.contains("int main(int argc, char **argv)"))
      }
      let script = try Parser.parse(try Socklab.run(["export", "--script", target]).output)
      #expect(programs == script.actors.map { $0 + ".c" }.sorted())
      if ExportCheck.hostLessons.contains(target) { return }
      let results = try Programs.runPrograms(script.actors, in: folder)
      for (actor, (status, _)) in results { #expect(status == 0, "\(target): \(actor) exited \(status)") }
      guard Programs.strace != nil, Self.tracedLessons.contains(target) else { return }
      let lab = try Programs.labCalls(target)
      for actor in script.actors {
        #expect(Programs.calls(results[actor]?.1 ?? []) == (lab[actor] ?? []), "\(target): \(actor)")
      }
    }

    @Test func aServerProgramReadsTopToBottom() throws {
      let (folder, files) = try Programs.export("tcp-conversation", extra: ["--port", "45123"])
      defer { try? FileManager.default.removeItem(at: folder) }
      #expect(files.contains("server.c") && files.contains("client.c") && files.contains("lesson_order.h"))
      let server = try String(contentsOfFile: folder.appendingPathComponent("server.c").path, encoding: .utf8)
      #expect(server.contains("static int PORT = 45123;"))
      #expect(server.contains("/* Step 1. A socket for the server"))
      #expect(server.contains("  int s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);\n  if (s < 0) {\n    perror(\"socket\");\n    exit(1);\n  }"))
      #expect(server.contains("if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0) {"))
      #expect(server.contains("show_tcp_state(\"s\", s, \"LISTEN\");"))
      let client = try String(contentsOfFile: folder.appendingPathComponent("client.c").path, encoding: .utf8)
      // The client fills the server's address in itself, and handles the error the lesson expects.
      #expect(client.contains("struct sockaddr_in addr;"))
      #expect(client.contains("/* The lesson expects EISCONN"))
      #expect(client.contains("if (errno != EISCONN) {"))
    }

    @Test func stringsWithQuotesBackslashesAndEqualsExportBothWaysAndCompile() throws {
      let folder = try temporaryFolder("quotes")
      defer { try? FileManager.default.removeItem(at: folder) }
      let script = folder.appendingPathComponent("quotes.lab").path
      try """
        server: s = socket(AF_INET, SOCK_STREAM, 0) = fd
        server: addr = sockaddr_in("127.0.0.1", htons(PORT))
        server: bind(s, &addr, sizeof addr) = 0
        server: listen(s, 1) = 0
        client: c = socket(AF_INET, SOCK_STREAM, 0) = fd
        client: connect(c, &addr, sizeof addr) = 0
        server: a = accept(s, NULL, NULL) = fd
        client: send(c, "x = y", 5, 0) = 5
        client: send(c, "say \\"hi\\" \\\\ = ", 12, 0) = 12
        server: recv(a, buf, sizeof buf, 0) = 17
        """.write(toFile: script, atomically: true, encoding: .utf8)
      let check = try ExportCheck.exportBuildAndRun(script, folder: folder)
      #expect(check.status == 0, "\(check.output)")
      #expect(check.output.hasSuffix("# ok\n"), "\(check.output)")
      let (programs, _) = try Programs.export(script)
      defer { try? FileManager.default.removeItem(at: programs) }
      let client = try String(contentsOfFile: programs.appendingPathComponent("client.c").path, encoding: .utf8)
      #expect(client.contains(#"send(c, "x = y", 5, 0)"#))
      #expect(client.contains(#"send(c, "say \"hi\" \\ = ", 12, 0)"#))
      for compiler in ExportCheck.compilers {
        for program in ["server", "client"] {
          let messages = try ExportCheck.compile(
            compiler, [programs.appendingPathComponent(program + ".c").path], to: programs.appendingPathComponent(program).path,
            crypto: false, pthread: false)
          #expect(messages == nil, "\(messages ?? "")")
        }
      }
      let results = try Programs.runPrograms(["server", "client"], in: programs)
      #expect(results["server"]?.0 == 0 && results["client"]?.0 == 0)
    }

    @Test func descriptorsFromOpenSSLAndLibowfatBelongToTheActorThatMadeThem() throws {
      let session = LabSession()
      defer { session.close() }
      let script = try Parser.parse(
        """
        server: b = BIO_socket(AF_INET, SOCK_STREAM, 0, 0) = fd
        client: o = socket_tcp6() = fd
        """)
      let report = ScriptRunner().run(script, in: session)
      #expect(report.failures == 0, transcript(report))
      let b = try #require(session.environment.variable("b").flatMap { if case .int(let n) = $0.value { Int32(n) } else { nil } })
      let o = try #require(session.environment.variable("o").flatMap { if case .int(let n) = $0.value { Int32(n) } else { nil } })
      #expect(session.environment.owner(of: b) == "server")
      #expect(session.environment.owner(of: o) == "client")
      #expect(session.snapshot().sockets.map(\.actor).sorted() == ["client", "server"])
    }
  }
}
