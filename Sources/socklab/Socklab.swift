import ArgumentParser
import LabEngine
import LabShare
import LabUI
import Lessons
import ShippedLessons
import WireKit

#if canImport(Glibc)
  import Glibc
#endif

@main
struct Socklab: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "socklab",
    abstract: "SocketLab: learn Berkeley sockets by making every call for real and watching the kernel answer.",
    discussion: "With no command, opens the lesson picker and the lesson player in this terminal.",
    version: Version.text,
    subcommands: [
      LessonsCommand.self, PlayCommand.self, RunCommand.self, LintCommand.self, ProgressCommand.self, ExportCommand.self,
      BenchCommand.self, NotesCommand.self, RehearseCommand.self, ClassCommand.self, ExecCommand.self,
    ],
    defaultSubcommand: LessonsCommand.self
  )

  /// Ctrl-\ (SIGQUIT) is a person's way to stop a program, not a crash: it ends the program at
  /// once, without the runtime's crash report and its wait. The lab's own terminal handler
  /// (installed when the player opens) replaces this one and restores the terminal first.
  static func main() {
    // The kernel grants a user namespace only to a process with one thread: ask now, before
    // anything starts one, so that lessons may later build hosts of their own. `socklab exec`
    // joins a running lab's namespaces instead.
    if CommandLine.arguments.dropFirst().first != "exec" { WireSupport.enterAtStartup() }
    signal(SIGQUIT, SIG_DFL)
    main(nil)
  }
}

/// The options of the interactive lab, shared by `lessons` and `play`.
struct LabOptions: ParsableArguments {
  @Option(help: "Colours: \(Theme.names.joined(separator: ", ")). NO_COLOR in the environment means monochrome.")
  var theme: String?

  @OptionGroup var sources: LessonSources

  @Option(help: "The port PORT stands for (default: a free port the lab picks).")
  var port: UInt16?

  @Flag(help: "Allow connect() and sendto() to addresses other than this machine's.")
  var allowRemote = false

  @Option(help: "Join a teacher's class at HOST:PORT (with --name and --code): the lab sends the lesson, the step, predictions and failed lines, nothing else.")
  var join: String?

  @Option(help: "With --join: the name the teacher's dashboard shows.")
  var name: String?

  @Option(help: "With --join: the class's join code, as the teacher's hub printed it.")
  var code: String?

  @Flag(help: "With --join: this lab is the teacher's own; the hub's \"follow me\" sends the class to its step.")
  var lead = false

  /// The hub's address from --join.
  var joinAddress: (host: String, port: UInt16)? {
    guard let join, let colon = join.lastIndex(of: ":"), let port = UInt16(join[join.index(after: colon)...]), port > 0 else {
      return nil
    }
    return (String(join[..<colon]), port)
  }

  func validate() throws {
    if join != nil {
      if joinAddress == nil { throw ValidationError("--join needs HOST:PORT, such as 192.168.1.20:7070") }
      if name?.isEmpty != false || code?.isEmpty != false { throw ValidationError("--join needs --name NAME and --code CODE") }
    } else if name != nil || code != nil || lead {
      throw ValidationError("--name, --code and --lead go with --join HOST:PORT")
    }
    if let theme, Theme.named(theme) == nil {
      throw ValidationError("unknown theme \(theme); choose one of \(Theme.names.joined(separator: ", "))")
    }
    if port == 0 { throw ValidationError("--port needs a port from 1 to 65535 (leave it out and the lab picks a free one)") }
  }
}

/// The lesson picker and player: what `socklab` alone opens.
struct LessonsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lessons",
    abstract: "Open the lesson picker and the lesson player (what socklab does with no command)."
  )

  @OptionGroup var options: LabOptions

  @Flag(help: "List the lessons and where each comes from (built in, or a lesson folder), then exit.")
  var list = false

  @Flag(help: "Print the folders and files SocketLab reads and writes, then exit.")
  var paths = false

  @Argument(help: "A lesson to open at once, by id or file name (tcp-conversation, 01-tcp-conversation.md).")
  var lesson: String?

  @Option(help: "With a lesson: the step to open it at (1 is the first); the lines before it are replayed.")
  var step: Int?

  func validate() throws {
    if step != nil && lesson == nil { throw ValidationError("--step needs a lesson: socklab lessons ID --step N") }
    if let step, step < 1 { throw ValidationError("--step counts from 1") }
  }

  func run() throws {
    if paths { return say(StatePaths.current().report) }
    if list { return try listLessons() }
    guard let lesson else { return try openLab(options) }
    let library = try options.sources.curriculum(tell: false).playable().0
    guard let index = library.lessons.firstIndex(where: { $0.id == lesson || $0.file.hasSuffix("/" + lesson) }) else {
      printError("socklab: no lesson named \(lesson) (the lessons are: \(library.lessons.map(\.id).joined(separator: ", ")))")
      throw ExitCode(2)
    }
    let steps = library.lessons[index].steps.count
    if let step, step > steps {
      printError("socklab: \(library.lessons[index].id) has steps 1 to \(steps)")
      throw ExitCode(2)
    }
    try openLab(options, wholeLessons: true) { app in app.open(index, atStep: (step ?? 1) - 1) }
  }

  private func listLessons() throws {
    let library = try options.sources.curriculum()
    for problem in library.problems { printError(problem.description) }
    for lesson in library.lessons {
      let origin = lesson.origin == LessonLibrary.builtIn ? "built in" : lesson.file
      say("\(lesson.number). \(lesson.id)  \(lesson.title)  (\(origin))")
    }
    if !library.problems.isEmpty { throw ExitCode(2) }
  }
}

/// Free play: an empty session and a prompt for any call.
struct PlayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "play",
    abstract: "Open free play: type any call at a prompt, with every pane live. A FILE of call lines is run first.")

  @Argument(help: "A script to run first (as saved with :save).")
  var file: String?

  @OptionGroup var options: LabOptions

  func run() throws {
    let script = try file.map { path in try orExitTwo { try Files.read(path) } }
    try openLab(options) { app in app.openFreePlay(script: script) }
  }
}

/// Opens the lab in this terminal, after checking that there is one and that the lessons are sound.
/// `wholeLessons` reads the lessons whole before the first frame, for a `start` that opens one.
func openLab(_ options: LabOptions, wholeLessons: Bool = false, start: (LabApp) -> Void = { _ in }) throws {
  let (theme, port, allowRemote) = (options.theme, options.port, options.allowRemote)
  guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
    say(Overview.notATerminal, raw: true)
    say()
    say(Overview.text, raw: true)
    throw ExitCode(1)
  }
  // The first frame needs only the lessons' outlines; the whole lessons are read and checked
  // on another thread just after it.
  let (library, notice) = try options.sources.curriculum(tell: false, outline: !wholeLessons).playable()
  let folders = options.sources.folders
  let read: @Sendable () -> LessonLibrary? = { try? LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: folders) }
  let whole = wholeLessons ? nil : read
  let chosen =
    theme.flatMap(Theme.named)
    ?? (getenv("NO_COLOR").map { $0.pointee != 0 } == true ? Theme.monochrome : Theme.named("default")!)
  let link = options.joinAddress.map {
    StudentLink(host: $0.host, port: $0.port, name: options.name ?? "", code: options.code ?? "", lead: options.lead)
  }
  defer { link?.close() }
  Interactive.run(
    library: library, store: ProgressStore(path: ProgressStore.defaultPath()), theme: chosen,
    configuration: SessionConfiguration(port: port, allowRemote: allowRemote), notice: notice, whole: whole,
    start: { app in
      app.classLink = link
      if let link { app.notice = "Joining the class at \(link.host):\(link.port) as \(link.name)." }
      start(app)
    })
}
