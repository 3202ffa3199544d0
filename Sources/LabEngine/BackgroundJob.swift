import LabScript
import SocketKit

#if canImport(Glibc)
  import Glibc
#endif

/// A script run on a thread of its own by the script runner: a replay on fresh sockets, or a
/// loaded script in the current session. The terminal's thread reads its progress and, once it
/// is finished, its result; it never waits for it except when the lab ends.
final class BackgroundJob: @unchecked Sendable {
  enum Kind { case replay, script(name: String) }
  let kind: Kind
  let total: Int
  /// The line the lesson stands at once the job is done, and the step, when one was asked for.
  let target: Int
  let step: Int?

  private let lock = ConditionLock()
  private var count = 0
  private var finished = false
  private var cancelled = false
  private var outcome: (session: LabSession, report: RunReport)?
  private var thread: pthread_t?

  init(kind: Kind, total: Int, target: Int, step: Int? = nil) {
    self.kind = kind
    self.total = total
    self.target = target
    self.step = step
  }

  var done: Int { lock.withLock { min(count, total) } }
  var isFinished: Bool { lock.withLock { finished } }
  var result: (session: LabSession, report: RunReport)? { lock.withLock { outcome } }

  /// Starts the job: `prepare` (on the job's thread) returns the session to run in and the
  /// script; `wake` is called as lines finish and at the end.
  func start(wake: @escaping @Sendable () -> Void, prepare: @escaping @Sendable () -> (LabSession, Script)) {
    thread = startThread { [self] in
      let (session, script) = prepare()
      var runner = ScriptRunner()
      runner.interruptAtEnd = false
      runner.shouldStop = { [self] in lock.withLock { cancelled } }
      let report = runner.run(script, in: session) { [self] entry in
        guard entry.kind == .call else { return }
        lock.withLock { count += 1 }
        wake()
      }
      lock.withLock {
        outcome = (session, report)
        finished = true
      }
      wake()
    }
    if thread == nil {
      lock.withLock { finished = true }
    }
  }

  func cancel() { lock.withLock { cancelled = true } }

  func join() {
    if let thread {
      pthread_join(thread, nil)
      self.thread = nil
    }
  }
}
