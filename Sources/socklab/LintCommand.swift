import ArgumentParser
import Lessons

struct LintCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lint",
    abstract: "Check lesson files and say exactly where each problem is.",
    discussion: "Exit status: 0 when the lessons are clean, 1 when problems were found, 2 when PATH cannot be read."
  )

  @Argument(help: "A lesson file or a folder of lessons (default: Lessons/ beside the package).")
  var path: String?

  func run() throws {
    let target = path ?? LessonLibrary.defaultFolder()
    let library = try orExitTwo { try LessonLibrary.load(target) }
    for problem in library.problems { print(problem.description) }
    let steps = library.lessons.reduce(0) { $0 + $1.steps.count }
    let lines = library.lessons.reduce(0) { $0 + $1.script.statements.count }
    if library.problems.isEmpty {
      print(
        "\(target): \(library.lessons.count) lesson\(library.lessons.count == 1 ? "" : "s"), \(steps) steps, \(lines) call lines: clean"
      )
    } else {
      print("\(target): \(library.problems.count) problem\(library.problems.count == 1 ? "" : "s")")
      throw ExitCode(1)
    }
  }
}
