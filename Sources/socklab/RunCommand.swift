import ArgumentParser
import FoundationEssentials
import LabEngine
import LabScript

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a script of call lines against the real kernel and print the transcript.",
    discussion: """
      Exit status: 0 when every expectation held, 1 when one failed (or a call was still blocked
      at the end), 2 when the script could not be read or parsed.
      """
  )

  @Argument(help: "The script to run (a file of call lines).")
  var file: String

  @Flag(help: "Print the transcript as JSON.")
  var json = false

  @Option(help: "The port PORT stands for (default: a free port the lab picks).")
  var port: UInt16?

  @Flag(help: "Allow connect() and sendto() to addresses other than this machine's.")
  var allowRemote = false

  func validate() throws {
    if port == 0 { throw ValidationError("--port needs a port from 1 to 65535 (leave it out and the lab picks a free one)") }
  }

  func run() throws {
    let text: String
    do {
      text = try TextFile.read(file)
    } catch {
      printError("socklab: cannot read \(file): \(error)")
      throw ExitCode(2)
    }
    let script: Script
    do {
      script = try Parser.parse(text, file: file)
    } catch {
      printError(error.description)
      throw ExitCode(2)
    }
    let session = LabSession(configuration: SessionConfiguration(port: port, allowRemote: allowRemote))
    defer { session.close() }
    if !json {
      print(
        "# \(file): \(script.statements.count) lines, actors \(script.actors.joined(separator: ", ")), PORT = \(session.port)")
    }
    let report = ScriptRunner().run(script, in: session) { entry in
      if !json { print(entry.text) }
    }
    session.close()
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      let document = JSONTranscript(
        file: file, port: session.port, passed: report.passed, failures: report.failures, entries: report.entries)
      print(String(decoding: try encoder.encode(document), as: UTF8.self))
    } else {
      print(summary(report))
    }
    if !report.passed { throw ExitCode(1) }
  }

  private func summary(_ report: RunReport) -> String {
    let checked = report.entries.filter { $0.status == .held || $0.status == .failed }.count
    let predictions =
      report.predictions == 0 ? "" : ", \(report.predictions) prediction point\(report.predictions == 1 ? "" : "s") recorded"
    if report.passed { return "# ok: \(checked) expectation\(checked == 1 ? "" : "s") held\(predictions)" }
    return "# FAILED: \(report.failures) problem\(report.failures == 1 ? "" : "s")\(predictions)"
  }
}

struct JSONTranscript: Encodable {
  var file: String
  var port: UInt16
  var passed: Bool
  var failures: Int
  var entries: [TranscriptEntry]
}
