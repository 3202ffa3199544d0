import ArgumentParser
import LabScript
import Lessons
import ShippedLessons

#if canImport(Glibc)
  import Glibc
#endif

/// Where the commands find lessons: the ones the binary carries, then the folders of
/// `SOCKLAB_LESSONS` (colon-separated), then `--lessons`. A lesson with the id of an earlier one
/// replaces it; any other is added.
struct LessonSources: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "A folder of lessons to add to the shipped ones; a lesson with a shipped lesson's id replaces it.",
      discussion: "SOCKLAB_LESSONS names more folders, colon-separated.", valueName: "dir"))
  var lessons: String?

  var folders: [String] {
    LessonLibrary.extraFolders(option: lessons, environment: getenv("SOCKLAB_LESSONS").map { String(cString: $0) })
  }

  /// The whole curriculum. Its notices (a lesson replaced) go to standard error when `tell` is set.
  func curriculum(tell: Bool = true, outline: Bool = false) throws -> LessonLibrary {
    let library = try orExitTwo {
      try LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: folders, outline: outline)
    }
    if tell { for notice in library.notices { printError("socklab: \(notice)") } }
    return library
  }

  /// The lesson that `target` names: a lesson file's path, or the id (or file name) of a lesson of
  /// the curriculum. A lesson with problems is refused with each problem and its place (exit 2).
  func lesson(_ target: String) throws -> Lesson {
    let library = try curriculum()
    if Files.isDirectory(target) {
      printError("socklab: \(target): cannot be read: it is a folder; name a lesson file or a lesson id")
      throw ExitCode(2)
    }
    if Files.exists(target) {
      let file = try orExitTwo { try LessonLibrary.load(target, known: Set(library.lessons.map(\.id))) }
      try refuse(file.problems)
      guard let lesson = file.lessons.first else {
        printError("socklab: \(target) holds no lesson")
        throw ExitCode(2)
      }
      return lesson
    }
    guard let lesson = library.lesson(named: target) else {
      let known = library.lessons.map(\.id).joined(separator: ", ")
      printError("socklab: no lesson or file named \(target) (the lessons are: \(known))")
      throw ExitCode(2)
    }
    try refuse(library.problems.filter { $0.file == lesson.file })
    return lesson
  }

  private func refuse(_ problems: [ScriptError]) throws {
    guard !problems.isEmpty else { return }
    for problem in problems { printError(problem.description) }
    throw ExitCode(2)
  }
}
