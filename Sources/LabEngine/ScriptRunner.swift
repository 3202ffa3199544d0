import LabScript
import SocketKit

/// Runs a script in order against a session, the way a lesson is told: a call that does not
/// return within the grace period is reported as blocked and the script goes on with the next
/// line of another actor; that actor's own next line waits until the blocked call returns.
public struct ScriptRunner: Sendable {
  /// How long a call may take before it counts as blocked.
  public var grace: UInt64 = 150_000_000
  /// How long an actor's next line waits for its blocked call before the run gives up.
  public var blockLimit: UInt64 = 5_000_000_000
  /// How long the end of the script waits for calls still blocked.
  public var endWait: UInt64 = 1_000_000_000
  /// After each line, how long to wait for other actors' calls that it may have unblocked, so
  /// that the transcript reads the same on every run.
  public var settle: UInt64 = 20_000_000
  /// Whether calls still blocked at the end fail the run and are interrupted. The player turns
  /// this off when it replays a lesson up to a blocked line and wants it left blocked.
  public var interruptAtEnd = true
  /// Asked before each line: true ends the run there (the learner left while a replay ran).
  public var shouldStop: @Sendable () -> Bool = { false }

  public init() {}

  public func run(_ script: Script, in session: LabSession, onEntry: @escaping (TranscriptEntry) -> Void = { _ in }) -> RunReport
  {
    var state = RunState(session: session, onEntry: onEntry)
    state.file = script.file
    for statement in script.statements {
      if shouldStop() { break }
      if let blocked = state.pending[statement.actorName] {
        // The actor is still inside its earlier call: its next line waits for it.
        if !session.wait(for: blocked.ticket, timeout: blockLimit) {
          state.drain()
          state.fail(
            "\(blocked.actor) is still blocked in \(blocked.callName) (line \(blocked.statement.location.line)), so its line \(statement.location.line) cannot run",
            line: statement.location.line, actor: blocked.actor)
          return state.finish()
        }
        state.drain()
      }
      let ticket = session.submit(statement)
      let timeout =
        statement.actorName == WireLanguage.actor
        ? 12_000_000_000 : isKernelQuery(statement) ? session.evaluator.stateWait + grace : grace
      let finished = session.wait(for: ticket, timeout: timeout)
      state.drain(first: ticket)
      if !finished, let call = session.markBlocked(ticket) {
        state.pending[call.actor] = call
        state.emit(TranscriptFormat.blocked(call))
      } else if !state.pending.isEmpty {
        settleOthers(&state)
      }
      state.drain()
      if state.stopped { return state.finish() }
    }
    guard interruptAtEnd else {
      var report = state.finish()
      report.stillBlocked = state.pending.values.sorted { $0.ticket < $1.ticket }.map {
        StillBlocked(line: $0.statement.location.line, ticket: $0.ticket, actor: $0.actor)
      }
      return report
    }
    for call in state.pending.values.sorted(by: { $0.ticket < $1.ticket }) {
      _ = session.wait(for: call.ticket, timeout: endWait)
      state.drain()
    }
    for call in state.pending.values.sorted(by: { $0.ticket < $1.ticket }) {
      state.fail(
        "\(call.actor) still blocked in \(call.callName) at the end of the script (line \(call.statement.location.line))",
        line: call.statement.location.line, actor: call.actor)
      // The interrupted call's own result is a consequence of this failure, not a second one.
      state.excused.insert(call.ticket)
      if let how = session.interrupt(call.actor) { state.emit(TranscriptFormat.interrupted(call, how: how)) }
    }
    return state.finish()
  }

  private func settleOthers(_ state: inout RunState) {
    let tickets = state.pending.values.map(\.ticket)
    _ = state.session.log.waitForAnyCompletion(of: tickets, timeout: settle)
  }

  private func isKernelQuery(_ statement: Statement) -> Bool {
    statement.expression.callName.flatMap { CallCatalog.spec(named: $0)?.kind } == .kernelQuery
  }
}

/// The runner's bookkeeping: which events have been turned into transcript entries, which calls
/// are blocked, and how many lines failed.
private struct RunState {
  let session: LabSession
  let onEntry: (TranscriptEntry) -> Void
  var entries: [TranscriptEntry] = []
  var pending: [String: BlockedCall] = [:]
  var seen = 0
  var failures = 0
  var predictions = 0
  var stopped = false
  /// Tickets whose failure is already counted (calls the runner interrupted).
  var excused: Set<Int> = []
  /// The script's file, so that a refusal names its place in it.
  var file: String?

  init(session: LabSession, onEntry: @escaping (TranscriptEntry) -> Void) {
    self.session = session
    self.onEntry = onEntry
    self.seen = session.log.count
  }

  mutating func emit(_ entry: TranscriptEntry) {
    entries.append(entry)
    onEntry(entry)
  }

  mutating func fail(_ message: String, line: Int?, actor: String?) {
    failures += 1
    emit(TranscriptFormat.failure(message, line: line, actor: actor))
  }

  /// Turns new events into entries: `first`'s result before any other, then the rest in order.
  mutating func drain(first ticket: Int? = nil) {
    let events = session.log.events(from: seen)
    seen += events.count
    let ordered = events.filter { $0.ticket == ticket } + events.filter { $0.ticket != ticket }
    for event in ordered {
      switch event.kind {
      case .finished(let statement, let outcome):
        var blockedFor: UInt64?
        if let call = pending[statement.actorName], call.ticket == event.ticket {
          pending[statement.actorName] = nil
          let waited = MonotonicClock.nanoseconds() - call.since
          blockedFor = min(waited, outcome.record?.nanoseconds ?? waited)
        }
        if outcome.verdict.isFailure, let ticket = event.ticket, !excused.contains(ticket) { failures += 1 }
        if case .predicted = outcome.verdict { predictions += 1 }
        emit(TranscriptFormat.call(statement, outcome, blockedFor: blockedFor))
      case .refused(let statement, let error):
        if pending[statement.actorName]?.ticket == event.ticket { pending[statement.actorName] = nil }
        failures += 1
        stopped = true
        var located = error
        if located.file == nil { located.file = file }
        emit(TranscriptFormat.refused(statement, located))
      case .started, .blocked, .interrupted, .sampled:
        break
      }
    }
  }

  mutating func finish() -> RunReport {
    drain()
    return RunReport(entries: entries, failures: failures, predictions: predictions)
  }
}
