import LabScript

#if canImport(Glibc)
  import Glibc
#endif

/// Starts `body` on a new OS thread (not Swift concurrency's pool, which a blocking call would
/// starve) and returns the thread to join, or nil if none could be started.
@discardableResult
func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
  final class Box: @unchecked Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }
  let box = Unmanaged.passRetained(Box(body))
  var id = pthread_t()
  let status = pthread_create(
    &id, nil,
    { raw in
      Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
      return nil
    }, box.toOpaque())
  guard status == 0 else {
    box.release()
    return nil
  }
  return id
}

/// Runs `body` on a thread nobody waits for.
func detachThread(_ body: @escaping @Sendable () -> Void) {
  if let id = startThread(body) { pthread_detach(id) }
}

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
