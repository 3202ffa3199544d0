import ArgumentParser
import Lessons

struct LintCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lint",
    abstract: "Check lesson files and say exactly where each problem is.",
    discussion: """
      With no PATH, checks the whole curriculum: the shipped lessons and those of SOCKLAB_LESSONS and
      --lessons. Prerequisites may name any lesson of the curriculum.
      Warnings (a line that asserts a state a pause can end, such as a TIME-WAIT begun two steps
      earlier) are printed but do not fail the check.
      Exit status: 0 when the lessons are clean, 1 when problems were found, 2 when PATH cannot be read.
      """
  )

  @Argument(help: "A lesson file or a folder of lessons (default: the whole curriculum).")
  var path: String?

  @OptionGroup var sources: LessonSources

  func run() throws {
    let curriculum = try sources.curriculum()
    let library =
      try path.map { path in
        try orExitTwo { try LessonLibrary.load(path, known: Set(curriculum.lessons.map(\.id))) }
      } ?? curriculum
    let target = path ?? library.folder
    for problem in library.problems { say(problem.description) }
    let warnings = library.lessons.flatMap { $0.timedStateWarnings() }
    for warning in warnings { say("warning: " + warning.description) }
    let steps = library.lessons.reduce(0) { $0 + $1.steps.count }
    let lines = library.lessons.reduce(0) { $0 + $1.script.statements.count }
    if library.problems.isEmpty {
      say(
        "\(target): \(library.lessons.count) lesson\(library.lessons.count == 1 ? "" : "s"), \(steps) steps, \(lines) call lines: clean"
      )
    } else {
      say("\(target): \(library.problems.count) problem\(library.problems.count == 1 ? "" : "s")")
      throw ExitCode(1)
    }
  }
}
