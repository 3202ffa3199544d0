import ArgumentParser
import FoundationEssentials
import LabEngine
import WireKit
import LabScript
import Lessons

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a lesson or a script of call lines against the real kernel and print the transcript.",
    discussion: """
      TARGET is a script file (call lines), a lesson file (.md), or a lesson id such as
      tcp-conversation. In a lesson, the answers to prediction points are checked too.
      Exit status: 0 when every expectation held, 1 when one failed (or a call was still blocked
      at the end), 2 when the script or lesson could not be read or parsed, 3 when a lesson needs
      hosts of its own and this machine cannot build them (the reason and the fix are printed).
      """
  )

  @Argument(help: "A script file, a lesson file, or a lesson id.")
  var target: String

  @Flag(help: "Print the transcript as JSON.")
  var json = false

  @Option(help: "The port PORT stands for (default: a free port the lab picks).")
  var port: UInt16?

  @Flag(help: "Allow connect() and sendto() to addresses other than this machine's.")
  var allowRemote = false

  @Option(help: "For a lesson on hosts: write every frame of its wire to FILE as pcapng (Wireshark, tshark), each with a comment naming the actor and the call line that caused it.")
  var pcap: String?

  @OptionGroup var sources: LessonSources

  func validate() throws {
    if port == 0 { throw ValidationError("--port needs a port from 1 to 65535 (leave it out and the lab picks a free one)") }
  }

  func run() throws {
    let (loaded, lesson) = try load()
    var configuration = SessionConfiguration(port: port, allowRemote: allowRemote)
    if let lesson { configuration.place(lesson) }
    let session = LabSession(configuration: configuration)
    defer { session.close() }
    // On a host of the lab's own, every port is free: only this machine's loopback is shared.
    if let port, session.isOnMachineLoopback, let why = LabSession.whyPortIsTaken(port) {
      printError("socklab: \(why).")
      throw ExitCode(2)
    }
    if let problem = session.wireProblem, !(lesson?.wireOnLoopback ?? false) {
      printError("socklab: this lesson runs on hosts of its own, and this machine cannot build them: \(problem.reason).")
      if !problem.fix.isEmpty { printError("To allow them: \(problem.fix)") }
      throw ExitCode(3)
    }
    let script = lesson.map { session.playable($0).script } ?? loaded
    let steps = lesson?.steps ?? []
    if !json {
      say(
        "# \(target): \(script.statements.count) lines, actors \(script.actors.joined(separator: ", ")), PORT = \(session.port)")
    }
    var nextStep = 0
    let report = ScriptRunner().run(script, in: session) { entry in
      guard !json else { return }
      while nextStep < steps.count, let line = entry.line, line >= steps[nextStep].line {
        say("## \(steps[nextStep].title)")
        nextStep += 1
      }
      say(entry.text)
    }
    let wireRows = session.wireRows()
    if let pcap {
      guard let capture = session.wireCapture() else {
        printError(
          session.wireProblem.map { "socklab: --pcap: this machine cannot make the lab's host, so there is no wire to write: \($0.reason)." }
            ?? "socklab: --pcap needs a lesson with a wire (hosts:, or wire: loopback): this one runs on this machine's loopback, which the lab cannot watch.")
        throw ExitCode(2)
      }
      try Files.write(capture, to: pcap)
      if !json { say("# wrote \(pcap): the wire's frames, each with its cause") }
    }
    session.close()
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      let document = JSONTranscript(
        file: script.file ?? target, port: session.port, passed: report.passed, failures: report.failures, entries: report.entries,
        wire: wireRows.map { $0.filter { $0.kind != "ARP" }.map(JSONTranscript.Segment.init) })
      say(String(decoding: try encoder.encode(document), as: UTF8.self))
    } else {
      say(summary(report))
    }
    if !report.passed { throw ExitCode(1) }
  }

  /// The script to run and, for a lesson, the lesson (its steps' headings, its hosts).
  private func load() throws -> (Script, Lesson?) {
    if target.hasSuffix(".md") || (!Files.exists(target) && !target.contains("/")) {
      let lesson = try sources.lesson(target)
      return (lesson.script, lesson)
    }
    let text = try orExitTwo { try Files.read(target) }
    do {
      return (try Parser.parse(text, file: target), nil)
    } catch {
      printError(error.description)
      throw ExitCode(2)
    }
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
  /// For a lesson on hosts: every segment, as the Wire pane shows it.
  var wire: [Segment]?

  struct Segment: Encodable {
    var index: Int
    var from: String
    var to: String
    var kind: String
    var seq: UInt32?
    var ack: UInt32?
    var length: Int
    var window: Int?
    var fate: String
    var cause: String
    var line: Int?

    init(_ row: WireRow) {
      index = row.index
      from = row.from
      to = row.to
      kind = row.kind
      seq = row.seq
      ack = row.ack
      length = row.length
      window = row.window
      switch row.fate {
      case .forwarded: fate = "forwarded"
      case .dropped: fate = "dropped"
      case .delayed: fate = "delayed"
      case .duplicated: fate = "duplicated"
      case .reordered: fate = "reordered"
      case .held, .released: fate = "held"
      }
      cause = row.cause.text
      line = row.sourceLine
    }
  }
}
