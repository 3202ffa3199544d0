import LabEngine
import LabScript
import Lessons
import SocketKit

/// The panes of the player, in the order Tab visits them.
public enum Pane: String, Sendable, CaseIterable {
  case lesson = "Lesson"
  case code = "Code"
  case sockets = "Sockets"
  case address = "Address"
  case log = "Log"
}

/// Where one call line of the lesson stands.
public enum LineState: Sendable, Equatable {
  case running(since: UInt64)
  case blocked(BlockedCall)
  case done(StepOutcome)
  case refused(ScriptError)
  /// Not run: a real program outside the lab played this part.
  case skipped
}

/// One line of the Log pane.
public struct LogLine: Sendable, Equatable {
  public enum Kind: Sendable { case ok, failed, blocked, refused, info, prediction }
  public var text: String
  public var kind: Kind
}

/// What the learner answered at a prediction point, and how it went.
public struct PredictionFeedback: Sendable, Equatable {
  public var statement: Int
  public var guess: String
  public var actual: String
  public var right: Bool
}

/// The learner's answer being typed at a prediction point.
public struct PredictionPrompt: Sendable, Equatable {
  public var statement: Int
  public var text = ""
}

/// Plays one lesson against a live session: runs its lines on the learner's command, follows the
/// engine's events, and keeps everything the screen shows. Drawing reads this state; only the
/// methods here do I/O.
public final class Player {
  public let lesson: Lesson
  public private(set) var session: LabSession
  public private(set) var statements: [Statement]
  /// For each step, the range of `statements` it runs.
  public private(set) var stepRanges: [Range<Int>]
  public private(set) var stepIndex = 0
  /// The index of the next statement to run.
  public private(set) var nextLine = 0
  public private(set) var lineStates: [Int: LineState] = [:]
  public private(set) var log: [LogLine] = []
  public private(set) var snapshot = SessionSnapshot(sockets: [], lingering: [], blocked: [])
  public private(set) var guesses: [Int: String] = [:]
  /// The last record of each address call (inet_aton, inet_ntoa, getsockname, getpeername).
  public private(set) var addressCalls: [String: String] = [:]
  public private(set) var feedback: PredictionFeedback?
  public var prompt: PredictionPrompt?
  public var focus: Pane = .lesson
  public var zoomed: Pane?
  public var scroll: [Pane: Int] = [:]
  public var showHint = false
  /// Steps in which the learner asked the lab to play the outside program itself.
  public private(set) var standInSteps: Set<Int> = []
  /// A line for the status bar: what just happened, or why a key did nothing.
  public var message: String?
  /// An `accept()` line that took a connection from a program outside the lab, in a step that
  /// expects the lab's own client; `a` closes that connection and runs the line again.
  public private(set) var outsideAccept: (line: Int, fd: Int32)?
  /// Called when the learner reaches a step or answers a prediction, to keep progress.
  var onProgress: ((ProgressEvent) -> Void)?

  enum ProgressEvent {
    case reachedStep(Int)
    case predicted(PredictionRecord)
  }

  private var tickets: [Int: Int] = [:]
  private var seenEvents = 0
  private let grace: UInt64 = 150_000_000

  /// Called from any thread whenever the engine records an event, so a run loop can wake up.
  private let wake: @Sendable () -> Void

  public init(
    lesson: Lesson, configuration: SessionConfiguration = SessionConfiguration(), wake: @escaping @Sendable () -> Void = {}
  ) {
    self.lesson = lesson
    self.wake = wake
    statements = lesson.steps.flatMap(\.statements)
    var ranges: [Range<Int>] = []
    var start = 0
    for step in lesson.steps {
      ranges.append(start..<(start + step.statements.count))
      start += step.statements.count
    }
    stepRanges = ranges
    session = LabSession(configuration: configuration)
    session.log.observe { _ in wake() }
    refreshSnapshot()
  }

  deinit { session.close() }

  public var step: Step { lesson.steps[stepIndex] }
  public var isFinished: Bool { stepIndex == lesson.steps.count - 1 && nextLine >= stepRanges[stepIndex].upperBound }

  /// The statement the next advance runs, if it belongs to the step on screen.
  public var pendingStatement: Int? {
    nextLine < stepRanges[stepIndex].upperBound ? nextLine : nil
  }

  /// The statement of the current step that is a prediction point, if any.
  public var predictionStatement: Int? {
    stepRanges[stepIndex].first { statements[$0].expectation == .prediction }
  }

  /// Whether anything is running, so the screen needs its timers and spinners ticking.
  public var hasRunningCalls: Bool {
    lineStates.values.contains {
      switch $0 {
      case .running, .blocked: return true
      default: return false
      }
    }
  }

  // MARK: - Free play

  /// Adds a line typed at the free-play prompt to the last step, to be run next.
  public func append(_ statement: Statement) {
    statements.append(statement)
    stepRanges[stepRanges.count - 1] = stepRanges[stepRanges.count - 1].lowerBound..<statements.count
  }

  /// Whether `actor` is inside a call that has not returned.
  public func isBusy(_ actor: String) -> Bool { runningCall(of: actor) != nil }

  // MARK: - Moving on

  /// Whether the next line stands in for a program outside the lab that the learner may run.
  public var waitsForOutsidePeer: Bool {
    guard let line = pendingStatement, step.outside != nil, !standInSteps.contains(stepIndex) else { return false }
    return statements[line].actor == Lesson.outsideActor
  }

  /// The step's outside command with the session's ports filled in: `nc 127.0.0.1 40123`.
  public var outsideCommand: String? {
    guard var command = step.outside else { return nil }
    for (name, port) in session.environment.ports.sorted(by: { $0.key.count > $1.key.count }) {
      command = command.replacingAll(name, with: String(port))
    }
    return command
  }

  /// s: the lab plays the outside program of this step itself.
  public func playOutsideYourself() {
    guard step.outside != nil else {
      message = "This step has no outside program to stand in for."
      return
    }
    standInSteps.insert(stepIndex)
    advance()
  }

  /// Space, Enter, →: runs the step's next line, or moves to the next step when its lines have run.
  public func advance() {
    message = nil
    if waitsForOutsidePeer {
      if !session.runningCalls.isEmpty {
        message =
          "Waiting for a program outside the lab: run `\(outsideCommand ?? "")` in another terminal, or press s to let the lab play it."
        return
      }
      // A real peer played this part: the stand-in lines are not needed.
      while let line = pendingStatement, statements[line].actor == Lesson.outsideActor {
        lineStates[line] = .skipped
        log.append(LogLine(text: "outside: \(statements[line].source)  (skipped: a real program played this part)", kind: .info))
        nextLine = line + 1
      }
    }
    if let line = pendingStatement {
      let statement = statements[line]
      if statement.expectation == .prediction && guesses[line] == nil {
        prompt = PredictionPrompt(statement: line)
        message = "Predict first: type what this line will return, then Enter."
        return
      }
      if let blocked = runningCall(of: statement.actorName) {
        message =
          "\(statement.actorName) is still blocked in \(blocked.callName): it cannot run its next line until that returns. Press i to interrupt it."
        return
      }
      run(line)
      return
    }
    guard stepIndex < lesson.steps.count - 1 else {
      message = "That was the last step. Press q to go back to the lessons, or r to play it again."
      onProgress?(.reachedStep(stepIndex))
      return
    }
    stepIndex += 1
    feedback = nil
    showHint = false
    scroll[.lesson] = 0
    onProgress?(.reachedStep(stepIndex))
  }

  private func runningCall(of actor: String) -> BlockedCall? {
    for state in lineStates.values {
      if case .blocked(let call) = state, call.actor == actor { return call }
    }
    return session.isBusy(actor) ? session.runningCalls.first { $0.actor == actor } : nil
  }

  private func run(_ line: Int) {
    let ticket = session.submit(statements[line])
    tickets[ticket] = line
    lineStates[line] = .running(since: MonotonicClock.nanoseconds())
    nextLine = line + 1
    // Most calls return in microseconds; wait a moment so the screen shows the result at once.
    _ = session.wait(for: ticket, timeout: 30_000_000)
    update()
  }

  private func noticeOutsideAccept(_ line: Int, _ statement: Statement, _ outcome: StepOutcome) {
    guard let fd = outcome.acceptedFromOutside, step.outside == nil else { return }
    outsideAccept = (line, fd)
    let text =
      "\(statement.actorName)'s accept() took a connection from a program outside the lab, which connected before the lab's own client. Press a to close it and accept again (the lab's client comes next), or go on with it."
    log.append(LogLine(text: text, kind: .info))
    message = text
  }

  /// a: closes the connection an `accept()` took from outside the lab and runs the line again,
  /// so that the lesson goes on with the lab's own client.
  public func acceptAgain() {
    guard let (line, fd) = outsideAccept, nextLine == line + 1, runningCall(of: statements[line].actorName) == nil else {
      message = "There is no connection from outside to set aside here."
      return
    }
    outsideAccept = nil
    var known = Parser.builtins
    let actor = statements[line].actorName
    if let close = try? Parser.parseLine("\(actor): close(\(fd))", line: statements[line].location.line, known: &known) {
      let ticket = session.submit(close)
      _ = session.wait(for: ticket, timeout: 1_000_000_000)
      let result = outcome(of: close, in: session.log.events)?.record?.description ?? "close(\(fd))"
      log.append(LogLine(text: "\(actor): \(result)  (the outside program's connection, set aside)", kind: .info))
    }
    run(line)
    message = "Closed the outside connection and ran accept() again: it waits for the lab's client."
  }

  /// The learner's typed answer at a prediction point: record it, then run the line.
  public func submitPrediction() {
    guard let prompt, !prompt.text.trimmingCharacters(in: " ").isEmpty else {
      message = "Type your prediction first (Esc to cancel)."
      return
    }
    guesses[prompt.statement] = prompt.text.trimmingCharacters(in: " ")
    self.prompt = nil
    advance()
  }

  /// ←: real sockets cannot be undone, so the session starts afresh and replays every line but the
  /// last one run.
  public func back() {
    guard nextLine > 0 else {
      message = "This is the beginning of the lesson."
      return
    }
    replay(upTo: nextLine - 1)
    message = "Went back one line: sockets cannot be undone, so the lab made new ones and replayed lines 1–\(nextLine) for real."
  }

  /// r: starts the lesson again with fresh sockets.
  public func restart() {
    replay(upTo: 0)
    stepIndex = 0
    feedback = nil
    message = "Started again with fresh sockets."
  }

  private func replay(upTo target: Int) {
    let port = session.port
    session.close()
    session = LabSession(configuration: SessionConfiguration(port: port, allowRemote: session.environment.allowRemote))
    session.log.observe { [wake] _ in wake() }
    lineStates = [:]
    tickets = [:]
    seenEvents = 0
    log = []
    feedback = nil
    prompt = nil
    var runner = ScriptRunner()
    runner.interruptAtEnd = false
    let report = runner.run(Script(statements: Array(statements.prefix(target)), file: lesson.file), in: session)
    seenEvents = session.log.count
    for (index, statement) in statements.prefix(target).enumerated() {
      if let entry = report.entries.last(where: { $0.line == statement.location.line && $0.kind == .call }) {
        log.append(LogLine(text: entry.text, kind: entry.status == .failed ? .failed : .ok))
      }
      lineStates[index] = nil
    }
    for (index, statement) in statements.prefix(target).enumerated() {
      if let outcome = outcome(of: statement, in: session.log.events) { lineStates[index] = .done(outcome) }
      if let blocked = report.stillBlocked.first(where: { $0.line == statement.location.line }) {
        tickets[blocked.ticket] = index
        if let call = session.runningCalls.first(where: { $0.ticket == blocked.ticket }) { lineStates[index] = .blocked(call) }
      }
    }
    nextLine = target
    if target > 0 || stepIndex > 0 {
      stepIndex = stepRanges.lastIndex { $0.lowerBound <= max(0, target - 1) && !$0.isEmpty } ?? 0
      if target < stepRanges[stepIndex].lowerBound { stepIndex = 0 }
    }
    refreshSnapshot()
  }

  private func outcome(of statement: Statement, in events: [LabEvent]) -> StepOutcome? {
    for event in events.reversed() {
      if case .finished(let finished, let outcome) = event.kind, finished == statement { return outcome }
    }
    return nil
  }

  /// i: interrupts the first blocked call.
  public func interrupt() {
    guard let call = session.runningCalls.first else {
      message = "Nothing is blocked."
      return
    }
    let how = session.interrupt(call.actor) ?? "nothing to interrupt"
    message = "Interrupted \(call.actor)'s \(call.callName): \(how)."
    update()
  }

  // MARK: - Following the engine

  /// Takes in what happened since the last look: results, blocked calls, a fresh kernel sample.
  /// Called after each key, on each tick, and whenever the engine wakes the run loop.
  /// `sample` takes a kernel sample even when nothing changed (the periodic tick).
  /// Returns whether anything on screen may have changed: an event, a new kernel state, or a
  /// call still running (whose timer moves).
  @discardableResult
  public func update(now: UInt64 = MonotonicClock.nanoseconds(), sample: Bool = false) -> Bool {
    for (line, state) in lineStates {
      if case .running(let since) = state, now - since >= grace, let ticket = tickets.first(where: { $0.value == line })?.key {
        if let call = session.markBlocked(ticket) { lineStates[line] = .blocked(call) }
      }
    }
    let events = session.log.events(from: seenEvents)
    seenEvents += events.count
    var changed = false
    for event in events {
      guard let ticket = event.ticket, let line = tickets[ticket] else { continue }
      switch event.kind {
      case .finished(let statement, let outcome):
        changed = true
        lineStates[line] = .done(outcome)
        log.append(logLine(statement, outcome))
        if let record = outcome.record, ["inet_aton", "inet_ntoa", "getsockname", "getpeername"].contains(record.function) {
          addressCalls[record.function] = record.description
        }
        if case .predicted(let actual) = outcome.verdict { judgePrediction(line, actual: actual, outcome: outcome) }
        noticeOutsideAccept(line, statement, outcome)
        if case .failed = outcome.verdict, statement.expectation == .prediction, let guess = guesses[line] {
          feedback = PredictionFeedback(statement: line, guess: guess, actual: outcome.record?.resultText ?? "", right: false)
        }
      case .refused(let statement, let error):
        changed = true
        lineStates[line] = .refused(error)
        log.append(LogLine(text: "\(statement.actorName): \(statement.source)  NOT RUN: \(error.message)", kind: .refused))
        message = "\(error.message) — \(error.hint ?? "")"
      case .blocked(let call):
        changed = true
        lineStates[line] = .blocked(call)
        let sleeping = call.kernelFunction.map { ", asleep in \($0)" } ?? ""
        log.append(
          LogLine(text: "\(call.actor): \(call.statement.source)  … blocked in \(call.callName)\(sleeping)", kind: .blocked))
      case .interrupted(let call, let how):
        changed = true
        log.append(LogLine(text: "\(call.actor): interrupted \(call.callName): \(how)", kind: .info))
      default:
        break
      }
    }
    let before = snapshot
    if sample || changed || hasRunningCalls { refreshSnapshot() }
    return changed || hasRunningCalls || snapshot != before
  }

  /// Samples the kernel's view of the session's sockets.
  public func refreshSnapshot() {
    snapshot = session.snapshot()
  }

  private func logLine(_ statement: Statement, _ outcome: StepOutcome) -> LogLine {
    let target = statement.target.map { CRenderer().expression($0) + " = " } ?? ""
    let call = outcome.record.map { "\(target)\($0.description)" } ?? "\(target)\(outcome.value)"
    let took =
      outcome.record.map {
        $0.function == "value" || $0.nanoseconds == 0 ? "" : "  \(formatDuration(nanoseconds: $0.nanoseconds))"
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

  private func judgePrediction(_ line: Int, actual: String, outcome: StepOutcome) {
    guard let guess = guesses[line] else { return }
    let right = Self.matches(
      guess: guess, actual: outcome, answer: lesson.steps[stepIndex].prediction?.answer, ports: session.environment.ports)
    feedback = PredictionFeedback(statement: line, guess: guess, actual: actual, right: right)
    onProgress?(
      .predicted(
        PredictionRecord(step: stepIndex, line: statements[line].location.line, guess: guess, actual: actual, right: right, at: 0)
      ))
  }

  /// Whether a learner's guess says the same as what the line returned: `12`, `-1 ECONNREFUSED`,
  /// `ECONNREFUSED`, `LISTEN`, a string with or without quotes, or the lesson's own answer text.
  static func matches(guess: String, actual: StepOutcome, answer: String?, ports: [String: UInt16]) -> Bool {
    func normal(_ text: String) -> String {
      text.uppercased().split(separator: " ").joined(separator: " ").trimmingCharacters(in: "\"")
    }
    let said = normal(guess)
    var accepted: Set<String> = []
    if let record = actual.record {
      accepted.insert(normal(record.result.description))
      if let error = record.error {
        accepted.insert(normal("\(record.result) \(error.name)"))
        accepted.insert(normal(error.name))
      }
    } else {
      accepted.insert(normal(actual.value.description))
    }
    if let answer { accepted.insert(normal(answer)) }
    if let port = ports[said], accepted.contains(String(port)) { return true }
    return accepted.contains(said)
  }

  // MARK: - The address on screen

  /// The socket address the current step is about: the last one a run line used or built.
  public func currentAddress() -> (String, SocketAddress)? {
    let last = min(max(nextLine, 1), statements.count) - 1
    guard last >= 0 else { return nil }
    for index in stride(from: last, through: 0, by: -1) {
      for name in addressNames(in: statements[index]) {
        if case .socketAddress(let address?)? = session.environment.variable(name)?.value { return (name, address) }
      }
    }
    return nil
  }

  private func addressNames(in statement: Statement) -> [String] {
    var names: [String] = []
    if let target = statement.target?.rootName { names.append(target) }
    if case .call(_, let arguments, _) = statement.expression {
      for argument in arguments {
        if let root = argument.rootName { names.append(root) }
      }
    }
    return names
  }

  // MARK: - Scrolling

  public func scroll(_ pane: Pane, by delta: Int) {
    scroll[pane] = max(0, (scroll[pane] ?? 0) + delta)
  }

  public func close() { session.close() }
}

extension String {
  /// The text with every `target` replaced (Foundation's replacingOccurrences, without Foundation).
  func replacingAll(_ target: String, with replacement: String) -> String {
    guard !target.isEmpty else { return self }
    var result = ""
    var rest = Substring(self)
    while let range = rest.firstRange(of: target) {
      result += rest[..<range.lowerBound] + replacement
      rest = rest[range.upperBound...]
    }
    return result + rest
  }
}
