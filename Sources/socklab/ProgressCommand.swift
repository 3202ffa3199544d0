import ArgumentParser
import FoundationEssentials
import Lessons

struct ProgressCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "progress",
    abstract: "Show how far you are in each lesson, or start over with --reset.",
    discussion: "Progress is kept in $XDG_STATE_HOME/socklab/progress.json (by default ~/.local/state/socklab/progress.json)."
  )

  @Flag(help: "Erase all progress, after asking.")
  var reset = false

  @Flag(help: "With --reset: do not ask.")
  var yes = false

  @OptionGroup var sources: LessonSources

  func run() throws {
    let store = ProgressStore(path: ProgressStore.defaultPath())
    let (progress, note) = store.load()
    if case .unreadable(let reason, let aside)? = note {
      printError("socklab: the progress file could not be read (\(reason)); it was kept as \(aside) and progress starts afresh")
    }
    if reset {
      try confirmAndReset(store, progress)
      return
    }
    let library = try? sources.curriculum()
    say("Progress (\(store.path)):")
    for lesson in library?.lessons ?? [] {
      let status = progress.status(of: lesson.id, stepCount: lesson.steps.count)
      let scores = progress.lessons[lesson.id]?.scores ?? []
      let guessed =
        scores.isEmpty
        ? ""
        : scores.count == 1
          ? ", predictions \(scores[0].right)/\(scores[0].of) right"
          : ", predictions " + scores.map { "\($0.right)/\($0.of) right in attempt \($0.attempt)" }.joined(separator: ", ")
      let marker = progress.lastLesson == lesson.id ? " (last opened)" : ""
      say("  \(lesson.number). \(lesson.title): \(status)\(guessed)\(marker)")
    }
    let unknown = progress.lessons.keys.filter { id in !(library?.lessons.contains { $0.id == id } ?? false) }
    for id in unknown.sorted() {
      say("  \(id): \(progress.status(of: id, stepCount: 0)) (not among the lessons)")
    }
  }

  private func confirmAndReset(_ store: ProgressStore, _ progress: LearnerProgress) throws {
    if !yes {
      guard standardInputIsTerminal else {
        printError("socklab: not resetting without confirmation; run `socklab progress --reset --yes` to erase progress")
        throw ExitCode(1)
      }
      say(
        "Erase progress for \(progress.lessons.count) lesson\(progress.lessons.count == 1 ? "" : "s")? Type yes to confirm: ",
        terminator: "")
      guard readAnswer()?.trimmingSpaces().lowercased() == "yes" else {
        say("Nothing erased.")
        return
      }
    }
    do {
      try store.reset()
    } catch {
      printError("socklab: \(error)")
      throw ExitCode(1)
    }
    say("Progress erased.")
  }
}
