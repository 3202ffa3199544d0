import Foundation
import Lessons
import Testing

/// Exported C must build with every warning an error, and, run on loopback, hold every
/// expectation the lab holds.
enum ExportCheck {
  static var compiler: String? {
    ["/usr/bin/cc", "/usr/bin/gcc"].first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// gcc and clang, each where it is installed.
  static var compilers: [String] {
    ["/usr/bin/gcc", "/usr/bin/clang"].filter { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// Compiles `sources` with `compiler` and every warning an error; returns the messages on failure.
  static func compile(_ compiler: String, _ sources: [String], to binary: String, crypto: Bool, pthread: Bool) throws -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: compiler)
    process.arguments =
      ["-Wall", "-Wextra", "-Werror"] + (pthread ? ["-pthread"] : []) + ["-o", binary] + sources + (crypto ? ["-lcrypto"] : [])
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let messages = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return process.terminationStatus == 0 ? nil : messages
  }

  /// The lessons that run on hosts of their own (10.50.0.x): their programs compile here, and run
  /// on those hosts, not on this machine's loopback.
  static var hostLessons: Set<String> {
    Set(((try? LessonLibrary.load(Socklab.packageRoot.path + "/Lessons").lessons) ?? []).filter { !$0.hosts.isEmpty }.map(\.id))
  }

  /// Exports `target`, compiles it and runs it; returns the program's output and exit status.
  /// A lesson on hosts of its own is compiled, not run (its output is then empty).
  static func exportBuildAndRun(_ target: String, folder: URL) throws -> (output: String, status: Int32, exported: Bool) {
    let name = URL(fileURLWithPath: target).deletingPathExtension().lastPathComponent
    let source = folder.appendingPathComponent("\(name).c").path
    let export = try Socklab.run(["export", "--check", target, "-o", source])
    guard export.status == 0 else { return (export.errors, export.status, false) }
    let text = try String(contentsOfFile: source, encoding: .utf8)
    let binary = folder.appendingPathComponent(name).path
    for compiler in compilers {
      if let messages = try compile(compiler, [source], to: binary, crypto: text.contains("BIO_"), pthread: true) {
        return ("\(compiler) failed:\n\(messages)", 1, true)
      }
    }
    if hostLessons.contains(target) { return ("", 0, true) }
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
    /// Every shipped lesson and example script.
    static var targets: [String] {
      let root = Socklab.packageRoot.path
      let lessons = (try? LessonLibrary.load(root + "/Lessons").lessons.map(\.id)) ?? []
      let scripts = ((try? FileManager.default.contentsOfDirectory(atPath: root + "/Lessons/scripts")) ?? [])
        .filter { $0.hasSuffix(".lab") }.sorted().map { "Lessons/scripts/" + $0 }
      return lessons + scripts
    }

    @Test(.enabled(if: ExportCheck.compiler != nil, "no C compiler"), arguments: targets)
    func exportedCBuildsAndGivesTheSameResults(_ target: String) throws {
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-export-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: folder) }
      let (output, status, exported) = try ExportCheck.exportBuildAndRun(target, folder: folder)
      #expect(exported, "\(output)")
      #expect(status == 0, "\(output)")
      if ExportCheck.hostLessons.contains(target) {
        let text = try String(contentsOfFile: folder.appendingPathComponent("\(target).c").path, encoding: .utf8)
        #expect(text.contains("/* on the lab's wire: "), "\(text)")
        return
      }
      #expect(output.hasSuffix("# ok\n"), "\(output)")
      #expect(!output.contains("FAILED"))
      // The same errors, as many times each, as the lab's own replay.
      let replay = try Socklab.run(["run", "--json", target])
      let document = try #require(try JSONSerialization.jsonObject(with: Data(replay.output.utf8)) as? [String: Any])
      let entries = try #require(document["entries"] as? [[String: Any]])
      let labErrors = entries.compactMap { $0["errno"] as? String }.filter { $0.hasPrefix("E") && !$0.hasPrefix("EAI") }.sorted()
      let cErrors = output.split(separator: "\n").compactMap { line -> String? in
        guard let arrow = line.range(of: " -> ") else { return nil }
        let result = line[arrow.upperBound...].split(separator: " ")
        return result.count == 2 && result[1].hasPrefix("E") ? String(result[1]) : nil
      }.sorted()
      #expect(cErrors == labErrors, "C: \(cErrors)\nlab: \(labErrors)")
    }

    @Test func aScriptExportsAsCallLines() throws {
      let result = try Socklab.run(["export", "--script", "udp-datagrams"])
      #expect(result.status == 0)
      #expect(result.output.hasPrefix("server: u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = fd\nserver: addr = sockaddr_in("))
    }
  }
}
