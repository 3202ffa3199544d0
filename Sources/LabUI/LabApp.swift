import Dispatch
import LabEngine
import WireKit
import LabExport
import LabScript
import LabShare
import Lessons
import SocketKit
import Synchronization
import TerminalUI

/// The lab's run-time: it holds the state, feeds it messages through `Update`, and performs the
/// effects that come back. Engine moves are quick and done at once; the disk is written and read
/// on a worker (when `performsIOInBackground`), whose results come back as messages on a later
/// tick. Nothing here draws: `render` hands the state to the views.
public final class LabApp {
  public internal(set) var state: AppState
  /// The open lesson's runner, if a lesson or free play is open.
  public private(set) var runner: LessonRunner?
  /// Where free-play history is kept; nil keeps it in memory only.
  public var historyStore: HistoryStore?
  /// When set, progress and history are written by it, off the terminal's thread.
  public var writer: StateWriter?
  /// Whether files (`:save`, `:load`, exports) are read and written on a worker thread. The
  /// terminal's run loop turns it on; tests keep it off so that results are there at once.
  public var performsIOInBackground = false

  private let progressStore: ProgressStore?
  private let configuration: SessionConfiguration
  private let clock: () -> Double
  private let wake: @Sendable () -> Void
  private let worker = DispatchQueue(label: "socklab.effects")
  private let inbox = Inbox()

  public init(
    library: LessonLibrary, progressStore: ProgressStore?, theme: Theme, unicode: Bool,
    configuration: SessionConfiguration = SessionConfiguration(), clock: @escaping () -> Double = { 0 },
    wake: @escaping @Sendable () -> Void = {}
  ) {
    self.progressStore = progressStore
    self.configuration = configuration
    self.clock = clock
    self.wake = wake
    var progress = LearnerProgress()
    var notice: String?
    if let store = progressStore {
      let (loaded, note) = store.load()
      progress = loaded
      if case .unreadable(let reason, let aside)? = note {
        notice = "Your progress file could not be read (\(reason)); it was kept as \(aside)."
      }
    }
    state = AppState(
      library: library, theme: theme, unicode: unicode, progress: progress, exportsFolder: StatePaths.current().exports)
    state.notice = notice
    switch WireSupport.availability {
    case .available: break
    case .unavailable(let reason, let fix): state.hostsProblem = LessonState.WireProblem(reason: reason, fix: fix)
    case .notTried:
      state.hostsProblem = LessonState.WireProblem(
        reason: "this process did not make its user namespace when it started", fix: "run the lab as socklab")
    }
  }

  // MARK: - What the run loop and tests read

  public var screen: AppState.Screen { state.screen }
  public var wantsToQuit: Bool { state.wantsToQuit }
  public var progress: LearnerProgress { state.progress }
  public var freePlay: FreePlayState? { state.freePlay }
  public var saveProblem: String? { state.saveProblem }
  public var selection: Int { state.selection }
  public var library: LessonLibrary { state.library }
  public var notice: String? {
    get { state.notice }
    set { state.notice = newValue }
  }
  public var theme: Theme {
    get { state.theme }
    set { state.theme = newValue }
  }
  public var exportsFolder: String {
    get { state.exportsFolder }
    set { state.exportsFolder = newValue }
  }

  /// Whether something is running, so ticks should come often (spinners, timers).
  /// The presenter's notes feed (`socklab notes` attaches to it), when the lab runs in a terminal.
  public var presenter: PresenterFeed?
  var presenterTimes = PresenterTimes()
  /// The link to the teacher's class hub, when the student joined one (`socklab --join`).
  public var classLink: StudentLink?
  var classReport = ClassReport()

  public var isBusy: Bool { state.run.map { $0.hasRunningCalls || $0.background != nil } ?? false }

  // MARK: - Messages in, effects out

  /// A key: the engine's news first, so that the key acts on the newest state.
  public func handle(_ key: Key) {
    awaitLessons()
    followEngine()
    send(.key(key))
  }

  /// Opens lesson `index` in the player.
  public func open(_ index: Int) {
    awaitLessons()
    run(Update.open(&state, index, time: clock()))
  }

  /// Opens lesson `index` at step `step` (0 is the first), as `socklab lessons ID --step N` does.
  public func open(_ index: Int, atStep step: Int) {
    open(index)
    state.player.resumeAt = nil
    if step > 0 { run([.goTo(step: step)]) }
  }

  /// Reads the whole lessons on the worker, in place of the outlines the first frame showed.
  public func loadLessons(_ read: @escaping @Sendable () -> LessonLibrary?) {
    lessonsPending = true
    let (inbox, wake) = (self.inbox, self.wake)
    worker.async {
      if let library = read() {
        let (playable, notice) = library.playable()
        inbox.post(.lessons(playable, notice: notice))
      }
      wake()
    }
  }

  private var lessonsPending = false

  /// The first key can come before the whole lessons are read (they take milliseconds): wait.
  private func awaitLessons() {
    guard lessonsPending else { return }
    worker.sync {}
    lessonsPending = false
    tick()
  }

  /// Opens free play: an empty session and a prompt. `script` lines, if given, are run first.
  public func openFreePlay(script: String? = nil) {
    run(FreePlayUpdate.open(&state))
    if let script { send(.loaded(name: "the script", text: script)) }
  }

  /// Gives `message` to `Update`, and performs the effects, and so on until nothing is left.
  public func send(_ message: Message) {
    var messages = [message]
    while !messages.isEmpty {
      let next = messages.removeFirst()
      for effect in Update.apply(&state, next, time: clock()) { messages += perform(effect) }
    }
    publishPresenter()
    publishClass()
  }

  private func run(_ effects: [Effect]) {
    for effect in effects {
      for message in perform(effect) { send(message) }
    }
  }

  /// Takes in what happened off this thread: the engine's events and samples, the worker's
  /// results, the writer's saves. Returns whether the screen may have changed.
  @discardableResult
  public func tick() -> Bool {
    var changed = followEngine()
    if classLink != nil {
      takeFollowRequest()
      publishClass()
    }
    for message in inbox.takeAll() {
      send(message)
      changed = true
    }
    if let result = writer?.takeResult() {
      send(.saved(result.saved, problem: result.problem))
      changed = true
    }
    return changed
  }

  /// Waits until the engine has settled (every started line returned or reported blocked, no
  /// replay under way, the worker idle) and takes it all in: for tests and the benchmark.
  public func settle() {
    runner?.settle()
    worker.sync {}
    writer?.flush()
    tick()
    if let runner { send(.engine(runner.state)) }
  }

  @discardableResult
  private func followEngine() -> Bool {
    guard let runner, runner.update() || state.run == nil else { return false }
    send(.engine(runner.state))
    return true
  }

  // MARK: - Effects

  private func perform(_ effect: Effect) -> [Message] {
    switch effect {
    case .openLesson(let index): return start(state.library.lessons[index])
    case .freePlayOnHosts:
      var lesson = FreePlayState.lesson
      lesson.hosts = ["client", "server"]
      return start(lesson)
    case .freePlayOnLoopback:
      var lesson = FreePlayState.lesson
      lesson.wireOnLoopback = true
      return start(lesson)
    case .openFreePlay:
      let messages = start(FreePlayState.lesson)
      let store = historyStore
      return messages + offThread { .history(store?.load() ?? []) }
    case .closeLesson:
      if let runner {
        self.runner = nil
        // Ending a session interrupts its blocked calls and joins its threads: not on this thread.
        let closing = UncheckedBox(runner)
        worker.async { closing.value.close() }
      }
      return []
    case .quit:
      runner?.close()
      runner = nil
      return []
    case .advance: return moved(runner?.advance())
    case .predict(let guess): return moved(runner?.predict(guess))
    case .standIn:
      guard let runner else { return [] }
      guard let move = runner.standIn() else { return [.said("This step has no outside program to stand in for.")] }
      return moved(move)
    case .runLine(let statement): return moved(runner?.append(statement))
    case .runScript(let statements, let name): return moved(runner?.runScript(statements, name: name))
    case .acceptAgain: return said(runner?.acceptAgain())
    case .back: return said(runner?.back())
    case .goTo(let step): return said(runner?.goTo(step: step))
    case .restart: return said(runner?.restart())
    case .interrupt: return said(runner?.interrupt())
    case .readScript(let path):
      return offThread { .loaded(name: path, text: try? Files.read(path)) }
    case .saveProgress(let progress): return save(progress)
    case .appendHistory(let line):
      if let writer { writer.append(line) } else { historyStore?.append(line) }
      return []
    case .writeFile(let text, let path, let done):
      return offThread {
        do {
          try Files.write(text, to: path)
          return .said(done)
        } catch {
          return .said("Could not save: \(error)")
        }
      }
    case .exportC(let statements, let name, let steps, let path):
      let ports = state.run?.ports ?? [:]
      return offThread { .said(Self.exportC(statements, name: name, steps: steps, ports: ports, to: path)) }
    case .writeCapture(let path):
      guard let session = runner?.session else { return [] }
      return offThread {
        guard let capture = session.wireCapture() else { return .said("This lesson has no wire to capture: it runs on loopback.") }
        do {
          try Files.write(capture, to: path)
          return .said("Wrote the wire's frames to \(path) (open it in Wireshark: each packet's comment names its cause)")
        } catch {
          return .said("Could not write \(path): \(error)")
        }
      }
    }
  }

  private func start(_ lesson: Lesson) -> [Message] {
    runner?.close()
    let runner = LessonRunner(lesson: lesson, configuration: configuration, wake: wake)
    self.runner = runner
    return [.engine(runner.state)]
  }

  private func moved(_ move: LessonRunner.Move?) -> [Message] {
    guard let runner, let move else { return [] }
    return [.engine(runner.state), .moved(move)]
  }

  private func said(_ text: String?) -> [Message] {
    guard let runner, let text else { return [] }
    return [.engine(runner.state), .said(text)]
  }

  private func save(_ progress: LearnerProgress) -> [Message] {
    if let writer {
      writer.save(progress)
      return []
    }
    guard let progressStore else { return [] }
    do {
      return [.saved(try progressStore.save(progress), problem: nil)]
    } catch {
      return [.saved(nil, problem: "Progress could not be saved: \(error)")]
    }
  }

  /// Does `work` on the worker and brings its message back on a later tick, or does it now.
  private func offThread(_ work: @escaping @Sendable () -> Message) -> [Message] {
    guard performsIOInBackground else { return [work()] }
    let (inbox, wake) = (self.inbox, self.wake)
    worker.async {
      inbox.post(work())
      wake()
    }
    return []
  }

  /// Writes `statements` as C, with the session's ports: the readable programs (one per actor,
  /// and a Makefile) in a folder named after `path`, and the verifying program at `path`.
  /// Returns what to tell the learner.
  static func exportC(
    _ statements: [Statement], name: String, steps: [ExportStep], ports: [String: UInt16], to path: String
  ) -> String {
    let port = ports["PORT"] ?? 40000
    let chosen = (port, ports["PORT2"] ?? port + 1)
    let script = Script(statements: statements)
    do {
      let text = try CheckExport.program(script, name: name, ports: chosen)
      let folder = path.hasSuffix(".c") ? String(path.dropLast(2)) : path + "-programs"
      let programs = try ProgramExport.files(script, name: name, steps: steps, ports: chosen)
      try Files.makeDirectories(folder)
      for file in programs { try Files.write(file.text, to: Files.join(folder, file.name)) }
      try Files.write(text, to: path)
      let names = programs.map(\.name).filter { $0.hasSuffix(".c") }.joined(separator: ", ")
      return
        "Exported \(statements.count) lines: \(names) in \(folder)/ (make -C \(folder) run), and \(path), which replays them exactly and checks every result"
    } catch {
      return "Could not export: \(error)"
    }
  }

  /// Ends everything the app holds (sockets, threads), and waits for the disk.
  public func shutdown() {
    // A line that was still returning (a prediction's, say) is judged and kept first.
    if let runner {
      runner.settle(timeout: 500_000_000)
      send(.engine(runner.state))
    }
    send(.key(.control("c")))
    worker.sync {}
    writer?.flush()
  }

  /// Draws the current state onto a new canvas of the given size.
  public func render(width: Int, height: Int, now: UInt64 = MonotonicClock.nanoseconds()) -> Canvas {
    state.render(width: width, height: height, now: now)
  }
}

/// Messages that effects done on the worker bring back to the terminal's thread.
final class Inbox: Sendable {
  private let messages = Mutex<[Message]>([])

  func post(_ message: Message) { messages.withLock { $0.append(message) } }

  func takeAll() -> [Message] {
    messages.withLock { waiting in
      defer { waiting = [] }
      return waiting
    }
  }
}

/// Carries a value that is not Sendable to another thread that becomes its only user.
struct UncheckedBox<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
