import LabScript
import Lessons
import SocketKit
import WireKit

/// Plays a lesson against a live session, for the player and for anything else that steps
/// through a lesson a line at a time: it submits lines without waiting for them, takes in the
/// engine's events, replays on a thread of its own, judges predictions, and keeps the lesson's
/// position. Its `state` is a value that views read; nothing here draws.
///
/// Used from one thread (the terminal's); the actors, the sampler and replays run on their own.
public final class LessonRunner {
  public private(set) var state: LessonState
  public private(set) var session: LabSession
  /// How long a call may run before it counts as blocked.
  public let grace = ScriptRunner().grace

  /// What a move did, for the player to tell the learner.
  public enum Move: Sendable, Equatable {
    case ran(line: Int)
    case needsPrediction(line: Int)
    /// The actor is blocked in this call, so its next line cannot run.
    case actorBlocked(actor: String, call: String)
    case waitingForOutside(command: String)
    case movedTo(step: Int)
    case lastStep
    /// A replay or script is still running.
    case busy
  }

  private let configuration: SessionConfiguration
  private let wake: @Sendable () -> Void
  private let sampler: KernelSampler
  private var tickets: [Int: Int] = [:]
  private var seenEvents = 0
  /// Lines waiting for an earlier line of another actor to return or block before they start,
  /// so that `listen()` has happened before the client's `connect()` however fast keys come.
  private var queue: [Int] = []
  private var job: BackgroundJob?
  /// While a replay's events are taken in: its predictions are not judged a second time.
  private var takingInReplay = false

  public init(lesson: Lesson, configuration: SessionConfiguration = SessionConfiguration(), wake: @escaping @Sendable () -> Void = {}) {
    var configuration = configuration
    // A lesson with hosts gets its private network, built again on every replay.
    configuration.place(lesson)
    self.configuration = configuration
    self.wake = wake
    session = LabSession(configuration: configuration)
    // Without its host, a lesson that watches its loopback plays as on any machine: no wire
    // lines, no Wire pane.
    state = LessonState(lesson: session.playable(lesson))
    session.log.observe { _ in wake() }
    sampler = KernelSampler(session: session, grace: grace, wake: wake)
    refreshFromSession()
    _ = refreshWire()
  }

  deinit { close() }

  /// How many kernel samples were taken so far.
  public var sampleCount: Int { sampler.count }

  // MARK: - Moves

  /// Space: runs the step's next line, or moves to the next step when its lines have run.
  public func advance() -> Move {
    guard state.background == nil else { return .busy }
    if state.waitsForOutsidePeer {
      if state.hasRunningCalls { return .waitingForOutside(command: state.outsideCommand ?? "") }
      // A real peer played this part: the stand-in lines are not needed.
      while let line = state.pendingStatement, state.statements[line].actor == Lesson.outsideActor {
        state.lineStates[line] = .skipped
        state.log.append(
          LogLine(text: "outside: \(state.statements[line].source)  (skipped: a real program played this part)", kind: .info))
        state.nextLine = line + 1
      }
    }
    if let line = state.pendingStatement {
      let statement = state.statements[line]
      if statement.expectation == .prediction && state.guesses[line] == nil { return .needsPrediction(line: line) }
      if let call = state.blockedCall(of: statement.actorName) { return .actorBlocked(actor: statement.actorName, call: call) }
      run(line)
      return .ran(line: line)
    }
    guard state.stepIndex < state.lesson.steps.count - 1 else { return .lastStep }
    state.stepIndex += 1
    state.feedback = nil
    return .movedTo(step: state.stepIndex)
  }

  /// The learner's answer at a prediction point: kept, then the line runs.
  public func predict(_ guess: String) -> Move {
    guard let line = state.pendingStatement else { return advance() }
    state.guesses[line] = guess
    return advance()
  }

  /// s: the lab plays the step's outside program itself. Nil when the step has none.
  public func standIn() -> Move? {
    guard state.step.outside != nil else { return nil }
    state.standInSteps.insert(state.stepIndex)
    return advance()
  }

  /// Adds a line typed at the free-play prompt to the last step and runs it.
  public func append(_ statement: Statement) -> Move {
    state.statements.append(statement)
    let last = state.stepRanges.count - 1
    state.stepRanges[last] = state.stepRanges[last].lowerBound..<state.statements.count
    return advance()
  }

  private func run(_ line: Int) {
    state.lineStates[line] = .running(since: MonotonicClock.nanoseconds())
    state.nextLine = line + 1
    queue.append(line)
    pump()
  }

  /// Starts queued lines, each once no line of another actor is still starting up.
  private func pump() {
    while let line = queue.first {
      let actor = state.statements[line].actorName
      let starting = tickets.values.contains { other in
        guard case .running? = state.lineStates[other] else { return false }
        return state.statements[other].actorName != actor
      }
      if starting { return }
      queue.removeFirst()
      if state.stepRanges[state.stepIndex].first == line { linker?.stepBegan(at: MonotonicClock.nanoseconds()) }
      tickets[session.submit(state.statements[line])] = line
    }
  }

  /// a: closes the connection an `accept()` took from outside the lab and runs the line again.
  public func acceptAgain() -> String {
    guard let outside = state.outsideAccept, state.nextLine == outside.line + 1,
      state.blockedCall(of: state.statements[outside.line].actorName) == nil
    else { return "There is no connection from outside to set aside here." }
    state.outsideAccept = nil
    let line = outside.line
    let actor = state.statements[line].actorName
    var known = Parser.builtins
    if let close = try? Parser.parseLine("\(actor): close(\(outside.fd))", line: state.statements[line].location.line, known: &known) {
      // The actor's thread runs it before the accept() that follows.
      session.submit(close)
      state.log.append(LogLine(text: "\(actor): close(\(outside.fd))  (the outside program's connection, set aside)", kind: .info))
    }
    run(line)
    return "Closed the outside connection and ran accept() again: it waits for the lab's client."
  }

  /// i: makes the first blocked call return, on a thread of its own (it can take a second).
  public func interrupt() -> String {
    guard let (line, _) = state.lineStates.filter({ $0.value.isUnderWay }).min(by: { $0.key < $1.key }) else {
      return "Nothing is blocked."
    }
    let actor = state.statements[line].actorName
    let session = self.session
    detachThread { _ = session.interrupt(actor) }
    return "Interrupting \(actor)'s \(state.statements[line].expression.callName ?? "call")()…"
  }

  // MARK: - Replays

  /// ←: real sockets cannot be undone, so a fresh session replays every line but the last one run.
  public func back() -> String {
    guard state.background == nil else { return "A replay is still running." }
    guard state.nextLine > 0 else { return "This is the beginning of the lesson." }
    replay(upTo: state.nextLine - 1, fresh: false)
    return "Going back one line: sockets cannot be undone, so the lab makes new ones and replays lines 1–\(state.nextLine - 1) for real."
  }

  /// g: goes to step `step` (0 is the first), replaying every line before it on fresh sockets.
  public func goTo(step: Int) -> String {
    guard state.background == nil else { return "A replay is still running." }
    guard state.lesson.steps.indices.contains(step) else {
      return "The lesson has steps 1 to \(state.lesson.steps.count)."
    }
    let target = state.stepRanges[step].lowerBound
    replay(upTo: target, fresh: false, step: step)
    return target == 0
      ? "Went to step \(step + 1)."
      : "Going to step \(step + 1): the lab makes new sockets and replays lines 1–\(target) for real."
  }

  /// r: the lesson again from the start, with fresh sockets.
  public func restart() -> String {
    guard state.background == nil else { return "A replay is still running." }
    replay(upTo: 0, fresh: true)
    return "Started again with fresh sockets."
  }

  private func replay(upTo target: Int, fresh: Bool, step: Int? = nil) {
    let old = session
    let lines = Array(state.statements.prefix(target))
    // Fresh ports too, unless the learner fixed one: the old session's connections may hold
    // its port in TIME-WAIT for a minute, and a replayed bind() would fail on it.
    let configuration = configuration
    let job = BackgroundJob(kind: .replay, total: lines.count, target: target, step: step)
    self.job = job
    // The lines from here on run again, so their predictions are asked again.
    state.guesses = state.guesses.filter { $0.key < target }
    state.background = BackgroundRun(kind: .replay, done: 0, total: lines.count)
    if fresh {
      state.guesses = [:]
      state.predictions = []
      state.stepIndex = 0
    }
    queue = []
    let file = state.lesson.file
    job.start(wake: wake) { [wake] in
      old.close()
      let session = LabSession(configuration: configuration)
      session.log.observe { _ in wake() }
      return (session, Script(statements: lines, file: file))
    }
  }

  /// Runs the lines of a script, one after another as a lesson replay does, on a thread of its
  /// own in the current session (free play's `:load`).
  public func runScript(_ statements: [Statement], name: String) -> Move {
    guard state.background == nil else { return .busy }
    state.statements += statements
    let last = state.stepRanges.count - 1
    state.stepRanges[last] = state.stepRanges[last].lowerBound..<state.statements.count
    state.nextLine = state.statements.count
    let job = BackgroundJob(kind: .script(name: name), total: statements.count, target: state.statements.count)
    self.job = job
    state.background = BackgroundRun(kind: .script(name: name), done: 0, total: statements.count)
    let session = self.session
    job.start(wake: wake) { (session, Script(statements: statements, file: name)) }
    return .ran(line: state.statements.count - 1)
  }

  private func finish(_ job: BackgroundJob) {
    job.join()
    self.job = nil
    state.background = nil
    guard let (session, report) = job.result else { return }
    switch job.kind {
    case .replay:
      self.session = session
      sampler.follow(session)
      tickets = [:]
      seenEvents = 0
      state.lineStates = [:]
      state.log = []
      state.feedback = nil
      state.outsideAccept = nil
      state.addressCalls = [:]
      takingInReplay = true
      _ = takeInEvents()
      takingInReplay = false
      state.nextLine = job.target
      if let port = configuration.port, report.entries.contains(where: { $0.text.contains("EADDRINUSE") }),
        let why = LabSession.whyPortIsTaken(port, kernel: session.kernel)
      {
        note("The replay's bind() failed: \(why).")
      }
      let lastRun = max(0, job.target - 1)
      state.stepIndex = state.stepRanges.lastIndex { $0.lowerBound <= lastRun && !$0.isEmpty } ?? 0
      if job.target == 0 { state.stepIndex = 0 }
      if let step = job.step { state.stepIndex = step }
    case .script(let name):
      let failed = report.failures > 0
      note(failed ? "Stopped in \(name): a line was refused or failed." : "Ran \(job.total) lines from \(name).")
    }
    refreshFromSession()
  }

  // MARK: - Following the engine

  /// Takes in what happened since the last look: results, blocked calls, the kernel's newest
  /// sample, a replay's progress. Returns whether anything on screen may have changed.
  @discardableResult
  public func update() -> Bool {
    var changed = false
    if let job {
      if job.isFinished {
        finish(job)
        changed = true
      } else if state.background?.done != job.done {
        state.background?.done = job.done
        changed = true
      }
    }
    if takeInEvents() {
      changed = true
      pump()
      refreshFromSession()
      sampler.request(busy: state.hasRunningCalls)
    } else {
      sampler.setBusy(state.hasRunningCalls)
    }
    if let snapshot = sampler.take() {
      state.snapshot = snapshot
      changed = true
    }
    if refreshWire() { changed = true }
    return changed
  }

  private var linker: WireLinker?
  private weak var linkedSession: LabSession?

  /// The wire's new segments, each linked to its cause. A fresh session (a replay) has a fresh
  /// wire and starts the pane again.
  private func refreshWire() -> Bool {
    guard let wire = session.wire else {
      // A lesson that only watches its loopback plays without it and does not complain.
      let problem =
        state.lesson.wireOnLoopback ? nil : session.wireProblem.map { LessonState.WireProblem(reason: $0.reason, fix: $0.fix) }
      if state.wireProblem != problem {
        state.wireProblem = problem
        return true
      }
      return false
    }
    var fresh = false
    if linkedSession !== session || linker == nil {
      linker = WireLinker(network: wire.network)
      linkedSession = session
      wire.relay.observe { [wake] in wake() }
      fresh = true
    }
    let tickets = self.tickets
    guard let linker, linker.refresh(session, wire: wire, lines: { tickets[$0] }) || fresh else { return false }
    state.wire = linker.state
    return true
  }

  /// Waits (bounded) until every line started has returned or been reported blocked and no
  /// replay runs, then takes a kernel sample on this thread: for tests and the benchmark, which
  /// want the screen as it will settle.
  public func settle(timeout: UInt64 = 5_000_000_000) {
    let deadline = MonotonicClock.nanoseconds() + timeout
    while MonotonicClock.nanoseconds() < deadline {
      update()
      let starting = state.lineStates.values.contains {
        if case .running = $0 { return true }
        return false
      }
      if state.background == nil && queue.isEmpty && !starting { break }
      session.kernel.pause(milliseconds: 2)
    }
    update()
    state.snapshot = sampler.sampleNow()
  }

  private func takeInEvents() -> Bool {
    let events = session.log.events(from: seenEvents)
    seenEvents += events.count
    var changed = false
    for event in events {
      guard let line = line(for: event) else { continue }
      changed = true
      apply(event, to: line)
    }
    return changed
  }

  /// The lesson line an event belongs to: by its ticket, or, for lines a replay or script
  /// submitted, by the statement it started.
  private func line(for event: LabEvent) -> Int? {
    guard let ticket = event.ticket else { return nil }
    if let line = tickets[ticket] { return line }
    guard case .started(let statement) = event.kind else { return nil }
    let mapped = Set(tickets.values)
    guard let line = state.statements.indices.first(where: { state.statements[$0] == statement && !mapped.contains($0) }) else {
      return nil
    }
    tickets[ticket] = line
    return line
  }

  private func apply(_ event: LabEvent, to line: Int) {
    switch event.kind {
    case .started:
      if state.lineStates[line] == nil { state.lineStates[line] = .running(since: MonotonicClock.nanoseconds()) }
    case .finished(let statement, let outcome):
      state.lineStates[line] = .done(outcome)
      state.log.append(Self.logLine(statement, outcome))
      if let record = outcome.record,
        CallCatalog.definition(named: record.function)?.traits.contains(.showsInAddressPane) == true
      {
        state.addressCalls[record.function] = record.description
      }
      guard !takingInReplay else { return }
      if case .predicted(let actual) = outcome.verdict { judgePrediction(line, actual: actual, outcome: outcome) }
      if case .failed = outcome.verdict, statement.expectation == .prediction, let guess = state.guesses[line] {
        state.feedback = PredictionFeedback(statement: line, guess: guess, actual: outcome.record?.resultText ?? "", right: false)
      }
      noticeOutsideAccept(line, statement, outcome)
    case .refused(let statement, let error):
      state.lineStates[line] = .refused(error)
      state.log.append(LogLine(text: "\(statement.actorName): \(statement.source)  NOT RUN: \(error.message)", kind: .refused))
      if !takingInReplay {
        var text = [error.message, error.hint].compactMap { $0 }.joined(separator: " — ")
        if state.lesson.id != Lesson.freePlayID {
          if !text.hasSuffix(".") { text += "." }
          text += " Press ← to go back a line (the lab replays up to there on fresh sockets), or r to start the lesson again."
        }
        note(text)
      }
    case .blocked(let call):
      state.lineStates[line] = .blocked(call)
      let sleeping = call.kernelFunction.map { ", asleep in \($0)" } ?? ""
      state.log.append(
        LogLine(text: "\(call.actor): \(call.statement.source)  … blocked in \(call.callName)\(sleeping)", kind: .blocked))
    case .interrupted(let call, let how):
      state.log.append(LogLine(text: "\(call.actor): interrupted \(call.callName): \(how)", kind: .info))
      if !takingInReplay { note("Interrupted \(call.actor)'s \(call.callName): \(how).") }
    case .sampled:
      break
    }
  }

  private func note(_ text: String) {
    state.notice = EngineNotice(serial: (state.notice?.serial ?? 0) + 1, text: text)
  }

  private func noticeOutsideAccept(_ line: Int, _ statement: Statement, _ outcome: StepOutcome) {
    guard let fd = outcome.acceptedFromOutside, state.step.outside == nil else { return }
    state.outsideAccept = OutsideAccept(line: line, fd: fd)
    let text =
      "\(statement.actorName)'s accept() took a connection from a program outside the lab, which connected before the lab's own client. Press a to close it and accept again (the lab's client comes next), or go on with it."
    state.log.append(LogLine(text: text, kind: .info))
    note(text)
  }

  private func judgePrediction(_ line: Int, actual: String, outcome: StepOutcome) {
    guard let guess = state.guesses[line] else { return }
    let stepIndex = state.stepRanges.firstIndex { $0.contains(line) } ?? state.stepIndex
    let right = PredictionJudge.matches(
      guess: guess, actual: outcome, answer: state.lesson.steps[stepIndex].prediction?.answer, ports: state.ports)
    state.feedback = PredictionFeedback(statement: line, guess: guess, actual: actual, right: right)
    state.predictions.append(
      PredictionRecord(step: stepIndex, line: state.statements[line].location.line, guess: guess, actual: actual, right: right, at: 0))
  }

  /// What the state keeps of the session itself: ports, actors, variables, the address on screen.
  private func refreshFromSession() {
    state.ports = session.environment.ports
    state.actorNames = session.actorNames
    state.variables = Array(session.environment.variables.keys)
    state.address = currentAddress()
  }

  /// The socket address the current step is about: the last one a run line used or built.
  private func currentAddress() -> LessonState.NamedAddress? {
    let last = min(max(state.nextLine, 1), state.statements.count) - 1
    guard last >= 0 else { return nil }
    for index in stride(from: last, through: 0, by: -1) {
      for name in Self.addressNames(in: state.statements[index]) {
        if case .socketAddress(let address?)? = session.environment.variable(name)?.value {
          return LessonState.NamedAddress(name: name, address: address)
        }
      }
    }
    return nil
  }

  private static func addressNames(in statement: Statement) -> [String] {
    var names: [String] = []
    if let target = statement.target?.rootName { names.append(target) }
    if case .call(_, let arguments, _) = statement.expression {
      names += arguments.compactMap(\.rootName)
    }
    return names
  }

  static func logLine(_ statement: Statement, _ outcome: StepOutcome) -> LogLine {
    let target = statement.target.map { CRenderer().expression($0) + " = " } ?? ""
    let call = outcome.record.map { "\(target)\($0.description)" } ?? "\(target)\(outcome.value)"
    let took =
      outcome.record.map {
        CallCatalog.definition(named: $0.function)?.isValueCheck == true || $0.nanoseconds == 0 ? "" : "  \(formatDuration(nanoseconds: $0.nanoseconds))"
      } ?? ""
    var text = "\(statement.actorName): \(call)\(took)"
    var kind = LogLine.Kind.ok
    switch outcome.verdict {
    case .failed(let expected, _):
      text += "  ✗ expected \(expected)"
      kind = .failed
    case .predicted:
      kind = .prediction
    default:
      break
    }
    if let note = outcome.note { text += "  (\(note))" }
    return LogLine(text: text, kind: kind)
  }

  // MARK: - Ending

  /// Ends the replay under way, the sampler, and the session (every socket and thread).
  public func close() {
    if let job {
      job.cancel()
      job.join()
      job.result?.session.close()
      self.job = nil
    }
    sampler.stop()
    session.close()
  }
}
