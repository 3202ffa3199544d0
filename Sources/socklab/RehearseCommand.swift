import ArgumentParser
import LabEngine
import LabScript
import Lessons
import SocketKit
import WireKit

#if canImport(Glibc)
  import Glibc
#endif

/// `socklab rehearse LESSON`: the talk before the talk. It replays the lesson headless, as the
/// player will, times each step, and warns of what would fail in front of the audience.
struct RehearseCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rehearse",
    abstract: "Replay a lesson headless as the talk will, time each step, and warn of what would fail live.",
    discussion: """
      Warns, before running anything, of a port held by another program or still in TIME-WAIT
      (with --port), of a program an Outside: note needs that is not installed, of steps that wait
      for an outside program, and of timed states asserted too late. Then it replays the lesson,
      prints each step's time, and says whether its fixed port is free again for the talk.
      Exit status: 0 when the rehearsal held and nothing would fail live, 1 otherwise.
      """
  )

  @Argument(help: "A lesson id or lesson file.")
  var lesson: String

  @Option(help: "The port the talk will use as PORT (PORT2 is the next one); default: a free one.")
  var port: UInt16?

  @OptionGroup var sources: LessonSources

  func run() throws {
    let lesson = try sources.lesson(self.lesson)
    var warnings = Self.warnings(lesson, port: port)
    say("# rehearsal of \(lesson.title): \(lesson.steps.count) steps")
    for warning in warnings { say("warning: \(warning)") }
    let before = warnings.count
    var configuration = SessionConfiguration(port: port)
    configuration.place(lesson)
    let session = LabSession(configuration: configuration)
    defer { session.close() }
    if let port, session.isOnMachineLoopback,
      LabSession.whyPortIsTaken(port) != nil || LabSession.whyPortIsTaken(port &+ 1) != nil
    {
      say("# not run: the lesson would fail live on these ports")
      throw ExitCode(1)
    }
    if let problem = session.wireProblem, !lesson.wireOnLoopback {
      say("# not run: this lesson needs hosts of its own, and this machine cannot build them: \(problem.reason)")
      if !problem.fix.isEmpty { say("# to allow them: \(problem.fix)") }
      throw ExitCode(1)
    }
    let starts = lesson.steps.map(\.line)
    var seconds = [UInt64](repeating: 0, count: lesson.steps.count)
    var current = 0
    var began = MonotonicClock.nanoseconds()
    var failed: [String] = []
    let report = ScriptRunner().run(session.playable(lesson).script, in: session) { entry in
      guard let line = entry.line else { return }
      let step = starts.lastIndex { $0 <= line } ?? 0
      if step != current {
        let now = MonotonicClock.nanoseconds()
        seconds[current] += now - began
        began = now
        current = step
      }
      if entry.status == .failed { failed.append("step \(step + 1): \(entry.text)") }
    }
    seconds[current] += MonotonicClock.nanoseconds() - began
    let used = session.port
    session.close()
    for (index, step) in lesson.steps.enumerated() {
      let time = formatDuration(nanoseconds: seconds[index])
      say("step \(String(index + 1).leftPadded(2))  \(time.leftPadded(8))  \(step.title)")
    }
    for failure in failed { say("FAILED \(failure)") }
    // The talk starts right after: a fixed port this rehearsal left in TIME-WAIT would fail it.
    if let port {
      for candidate in [port, port &+ 1] {
        if let why = LabSession.whyPortIsTaken(candidate) { warnings.append("after this rehearsal, \(why)") }
      }
    } else {
      say("# PORT was \(used) for this rehearsal; the talk picks its own free port")
    }
    for warning in warnings.suffix(from: before) { say("warning: \(warning)") }
    let total = formatDuration(nanoseconds: seconds.reduce(0, +))
    if report.passed && warnings.isEmpty {
      say("# ok: the lesson replays green in \(total); nothing would fail live")
      return
    }
    say(
      "# \(report.passed ? "replayed green" : "FAILED: \(report.failures) problem\(report.failures == 1 ? "" : "s")") in \(total), \(warnings.count) warning\(warnings.count == 1 ? "" : "s")"
    )
    throw ExitCode(1)
  }

  /// What would fail live, known before anything runs (a busy port, a missing program, a step
  /// that waits for a program in another terminal, a timed state asserted too late).
  static func warnings(_ lesson: Lesson, port: UInt16?) -> [String] {
    var warnings: [String] = []
    // A lesson that watches its loopback runs on a host of the lab's own where it can: there
    // every port is free, and a program from outside joins that host with socklab exec.
    let onSharedHost = lesson.wireOnLoopback && WireSupport.availability == .available
    if let port, !onSharedHost {
      for (name, candidate) in [("PORT", port), ("PORT2", port &+ 1)] {
        if let why = LabSession.whyPortIsTaken(candidate) { warnings.append("\(name): \(why)") }
      }
    }
    for (index, step) in lesson.steps.enumerated() {
      guard let note = step.outside else { continue }
      let program = note.split(separator: " ").first.map(String.init) ?? note
      let outside = onSharedHost ? HostVisit.command(note, on: lesson.actors.first ?? "server") : note
      // Live, the lesson stops here until someone starts the program: that is a pause the talk
      // must plan for, so it is a warning, with what to do.
      warnings.append(
        "step \(index + 1) (\(step.title)) waits for an outside program: have `\(outside)` ready in another terminal, or press s there to let the lab stand in"
      )
      if !Self.isInstalled(program) {
        warnings.append("step \(index + 1) needs \(program), which is not installed here: the lab can only stand in for it")
      }
    }
    warnings += lesson.timedStateWarnings().map { "line \($0.location.line): \($0.message)" }
    return warnings
  }

  static func isInstalled(_ program: String) -> Bool {
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    return path.split(separator: ":").contains { access("\($0)/\(program)", X_OK) == 0 }
  }
}

extension String {
  func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
