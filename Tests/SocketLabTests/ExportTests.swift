import Foundation
import Lessons
import Testing

/// Exported C must build with every warning an error, and, run on loopback, hold every
/// expectation the lab holds.
enum ExportCheck {
  static var compiler: String? {
    ["/usr/bin/cc", "/usr/bin/gcc"].first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// Exports `target`, compiles it and runs it; returns the program's output and exit status.
  static func exportBuildAndRun(_ target: String, folder: URL) throws -> (output: String, status: Int32, exported: Bool) {
    let name = URL(fileURLWithPath: target).deletingPathExtension().lastPathComponent
    let source = folder.appendingPathComponent("\(name).c").path
    let export = try Socklab.run(["export", "--c", target, "-o", source])
    guard export.status == 0 else { return (export.errors, export.status, false) }
    let text = try String(contentsOfFile: source, encoding: .utf8)
    let binary = folder.appendingPathComponent(name).path
    let compile = Process()
    compile.executableURL = URL(fileURLWithPath: compiler!)
    compile.arguments =
      ["-Wall", "-Wextra", "-Werror", "-pthread", "-o", binary, source] + (text.contains("BIO_") ? ["-lcrypto"] : [])
    let errors = Pipe()
    compile.standardError = errors
    try compile.run()
    let messages = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    compile.waitUntilExit()
    guard compile.terminationStatus == 0 else { return ("compile failed:\n\(messages)", compile.terminationStatus, true) }
    let run = Process()
    run.executableURL = URL(fileURLWithPath: binary)
    let output = Pipe()
    run.standardOutput = output
    try run.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    run.waitUntilExit()
    return (String(decoding: data, as: UTF8.self), run.terminationStatus, true)
  }
}

extension Live {
  @Suite("Export to C") struct Export {
    static let exportable = [
      "Lessons/scripts/tcp-hello.lab", "Lessons/scripts/udp-datagrams.lab", "Lessons/scripts/mistakes.lab", "tcp-conversation",
      "addresses-and-byte-order", "udp-datagrams", "closing-well", "when-things-go-wrong", "the-accept-queue",
      "blocking-and-poll",
      "socket-options",
    ]

    @Test(.enabled(if: ExportCheck.compiler != nil, "no C compiler"), arguments: exportable)
    func exportedCBuildsAndHoldsEveryExpectation(_ target: String) throws {
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-export-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: folder) }
      let (output, status, exported) = try ExportCheck.exportBuildAndRun(target, folder: folder)
      #expect(exported, "\(output)")
      #expect(status == 0, "\(output)")
      #expect(output.hasSuffix("# ok\n"), "\(output)")
      #expect(!output.contains("FAILED"))
    }

    @Test func aScriptExportsAsCallLines() throws {
      let result = try Socklab.run(["export", "--script", "udp-datagrams"])
      #expect(result.status == 0)
      #expect(result.output.hasPrefix("server: u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = fd\nserver: addr = sockaddr_in("))
    }
  }
}
