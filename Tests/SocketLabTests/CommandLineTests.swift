import Foundation
import SocketKit
import Testing

/// Runs the real `socklab` binary built beside the tests.
struct Socklab {
  struct Result {
    var status: Int32
    var output: String
    var errors: String
  }

  static var executable: URL {
    let tests = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return tests.deletingLastPathComponent().appendingPathComponent("socklab")
  }

  /// The package's root folder (where `Lessons/` is).
  static var packageRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  }

  /// Runs the binary (by default the one this test run built, in the package's folder).
  static func run(
    _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60, program: URL = executable,
    in folder: URL = packageRoot
  ) throws -> Result {
    let process = Process()
    process.executableURL = program
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.currentDirectoryURL = folder
    // Output goes to files, not pipes: nothing has to read while the process runs.
    let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-out-\(UUID().uuidString)")
    let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-err-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: outputURL.path, contents: nil)
    FileManager.default.createFile(atPath: errorURL.path, contents: nil)
    defer {
      try? FileManager.default.removeItem(at: outputURL)
      try? FileManager.default.removeItem(at: errorURL)
    }
    let output = try FileHandle(forWritingTo: outputURL)
    let errors = try FileHandle(forWritingTo: errorURL)
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    try output.close()
    try errors.close()
    let out = try Data(contentsOf: outputURL)
    let err = try Data(contentsOf: errorURL)
    return Result(
      status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
      errors: String(decoding: err, as: UTF8.self))
  }

  /// Writes `text` to a new temporary file and returns its path.
  static func temporaryScript(_ text: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-\(UUID().uuidString).lab")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
  }
}

extension Live {
  @Suite("The socklab command") struct CommandLine {
    @Test func withoutATerminalItPointsToRun() throws {
      let result = try Socklab.run([])
      #expect(result.status == 1)
      #expect(result.output.hasPrefix("socklab: the lesson player needs a terminal, and this output is not one."))
      #expect(result.output.contains("socklab run tcp-conversation"))
      #expect(result.output.contains("socklab lint [PATH]"))
    }

    @Test func anUnknownThemeIsRefused() throws {
      let result = try Socklab.run(["--theme", "neon"])
      #expect(result.status == 64)
      #expect(result.errors.contains("unknown theme neon; choose one of default, high-contrast, high-contrast-light, monochrome"))
    }

    @Test func runPrintsATranscriptALearnerCanRead() throws {
      let result = try Socklab.run(["run", "Lessons/scripts/tcp-hello.lab"])
      #expect(result.status == 0, "\(result.output)\(result.errors)")
      #expect(result.output.contains("server: listen(3, 5) = 0"))
      #expect(result.output.contains("blocked in accept() (the kernel has it asleep in inet_csk_accept)"))
      #expect(result.output.contains("client: tcp_state(") && result.output.contains(") = FIN-WAIT-2"))
      #expect(result.output.contains("= -1 EISCONN (Transport endpoint is already connected)"))
      #expect(result.output.hasSuffix("# ok: 19 expectations held, 1 prediction point recorded\n"))
    }

    @Test func everyShippedScriptRunsGreen() throws {
      let folder = Socklab.packageRoot.appendingPathComponent("Lessons/scripts")
      let scripts = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".lab") }.sorted()
      #expect(!scripts.isEmpty)
      for script in scripts {
        let result = try Socklab.run(["run", "Lessons/scripts/\(script)"])
        #expect(result.status == 0, "\(script):\n\(result.output)\(result.errors)")
      }
    }

    @Test func aFailedExpectationShowsExpectedAndActualAndExitsOne() throws {
      let path = try Socklab.temporaryScript(
        """
        c = socket(AF_INET, SOCK_STREAM, 0) = fd
        addr = sockaddr_in("127.0.0.1", htons(PORT))
        connect(c, &addr, sizeof addr) = 0
        """)
      let result = try Socklab.run(["run", path])
      #expect(result.status == 1)
      #expect(
        result.output.contains(
          "= -1 ECONNREFUSED (Connection refused)\n    FAILED (line 3): expected 0, got -1 ECONNREFUSED (Connection refused)"))
    }

    @Test func aScriptThatDoesNotParseExitsTwoWithItsPlace() throws {
      let path = try Socklab.temporaryScript("s = socket(AF_INET, SOCK_STREAM, 0)\nbnid(s, &addr, 16)\n")
      let result = try Socklab.run(["run", path])
      #expect(result.status == 2)
      #expect(result.errors == "\(path):2:1: unknown call bnid() — did you mean bind?\n")
    }

    @Test func thePortCanBeChosen() throws {
      let port = try #require(SocketAPI.freeLoopbackPorts(count: 1).first)
      let result = try Socklab.run(["run", "--port", "\(port)", "Lessons/scripts/tcp-hello.lab"])
      #expect(result.status == 0, "\(result.output)\(result.errors)")
      #expect(result.output.contains("PORT = \(port)"))
      #expect(result.output.contains("bind(3, {AF_INET, 127.0.0.1:\(port)}, 16) = 0"))
    }

    @Test func aMissingFileExitsTwo() throws {
      let result = try Socklab.run(["run", "no/such/script.lab"])
      #expect(result.status == 2)
      #expect(result.errors.contains("no/such/script.lab: cannot be read: No such file or directory"))
    }

    @Test func jsonTranscriptsAreMachineReadable() throws {
      let result = try Socklab.run(["run", "--json", "Lessons/scripts/udp-datagrams.lab"])
      #expect(result.status == 0, "\(result.output)\(result.errors)")
      let document = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
      #expect(document["passed"] as? Bool == true)
      let entries = try #require(document["entries"] as? [[String: Any]])
      let failedRecv = try #require(entries.first { ($0["errno"] as? String) == "EAGAIN" })
      #expect(failedRecv["errnoMessage"] as? String == "Resource temporarily unavailable")
      #expect(failedRecv["result"] as? String == "-1")
      #expect(failedRecv["status"] as? String == "held")
      #expect(failedRecv["nanoseconds"] is Int)
    }
  }
}
