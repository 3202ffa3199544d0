import Foundation
import LabEngine
import LabScript
import SocketKit
import Testing

/// Every test that opens real sockets or runs the real binary lives under this suite, one at a
/// time: a test that closes a descriptor twice must not see another test reuse its number.
@Suite(.serialized) enum Live {}

/// Runs `text` in a fresh session and returns the report; the session is closed afterwards.
func run(_ text: String, runner: ScriptRunner = ScriptRunner()) throws -> RunReport {
  let script = try Parser.parse(text)
  let session = LabSession()
  defer { session.close() }
  return runner.run(script, in: session)
}

/// The transcript, for failure messages.
func transcript(_ report: RunReport) -> Comment {
  Comment(rawValue: report.entries.map(\.text).joined(separator: "\n"))
}

/// The entry for the script line `line`.
func entry(_ report: RunReport, line: Int) -> TranscriptEntry? {
  report.entries.last { $0.line == line && $0.kind == .call }
}

/// Runs a script whose line `line` must fail with `errno`, and checks that it did.
func expectErrno(
  _ errno: String, atLine line: Int, in text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws {
  let report = try run(text)
  #expect(report.failures == 0, transcript(report), sourceLocation: sourceLocation)
  #expect(entry(report, line: line)?.errno == errno, transcript(report), sourceLocation: sourceLocation)
  #expect(entry(report, line: line)?.result == "-1", transcript(report), sourceLocation: sourceLocation)
}

/// A new, empty folder under the temporary folder, named `socklab-PURPOSE-…`.
func temporaryFolder(_ purpose: String) throws -> URL {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-\(purpose)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  return folder
}
