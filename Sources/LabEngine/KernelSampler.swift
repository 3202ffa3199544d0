import SocketKit

#if canImport(Glibc)
  import Glibc
#endif

/// Takes the kernel samples of a session on a thread of its own, so that the terminal's thread
/// never waits for the kernel. A sample is taken when asked (after the engine recorded events,
/// coalesced) and on a slow period when idle, for what changes without an event of the lab's
/// (a TIME-WAIT running out, a program outside connecting). The run loop is woken only when the
/// kernel's answer differs from the last one.
final class KernelSampler: @unchecked Sendable {
  /// How often to look when nothing asks: idle, and while calls run (so that a blocked call is
  /// reported, and its timer moves).
  static let idlePeriod: UInt64 = 1_000_000_000
  static let busyPeriod: UInt64 = 100_000_000

  private let lock = ConditionLock()
  private var session: LabSession
  private var requested = true
  private var busy = false
  private var stopped = false
  private var latest: SessionSnapshot?
  private var last: SessionSnapshot?
  private var samples = 0
  private let grace: UInt64
  private let wake: @Sendable () -> Void
  private var thread: pthread_t?

  init(session: LabSession, grace: UInt64, wake: @escaping @Sendable () -> Void) {
    self.session = session
    self.grace = grace
    self.wake = wake
    let box = Unmanaged.passRetained(self)
    var id = pthread_t()
    if pthread_create(&id, nil, { raw in
      let sampler = Unmanaged<KernelSampler>.fromOpaque(raw!).takeRetainedValue()
      sampler.loop()
      return nil
    }, box.toOpaque()) == 0 {
      thread = id
    } else {
      box.release()
    }
  }

  /// Asks for a sample soon; `busy` says whether calls are running (the faster period).
  func request(busy: Bool) {
    lock.withLock {
      requested = true
      self.busy = busy
      lock.broadcast()
    }
  }

  /// Calls are running or not, without asking for a sample now.
  func setBusy(_ busy: Bool) {
    lock.withLock {
      guard self.busy != busy else { return }
      self.busy = busy
      lock.broadcast()
    }
  }

  /// The session to sample from now on (a replay made a new one).
  func follow(_ session: LabSession) {
    lock.withLock {
      self.session = session
      last = nil
      latest = nil
      requested = true
      lock.broadcast()
    }
  }

  /// The newest sample that differs from the one taken before it, once.
  func take() -> SessionSnapshot? { lock.withLock { latest.take() } }

  /// How many samples were taken so far (for the benchmark and tests).
  var count: Int { lock.withLock { samples } }

  /// Takes a sample on the calling thread and returns it (tests that want the kernel's word now).
  func sampleNow() -> SessionSnapshot {
    let session = lock.withLock { self.session }
    let snapshot = session.snapshot()
    lock.withLock {
      samples += 1
      last = snapshot
      latest = nil
    }
    return snapshot
  }

  func stop() {
    lock.withLock {
      stopped = true
      lock.broadcast()
    }
    if let thread {
      pthread_join(thread, nil)
      self.thread = nil
    }
  }

  private func loop() {
    while true {
      let session: LabSession? = lock.withLock {
        let period = busy ? Self.busyPeriod : Self.idlePeriod
        _ = lock.wait(until: MonotonicClock.nanoseconds() + period) { requested || stopped }
        guard !stopped else { return nil }
        requested = false
        return self.session
      }
      guard let session else { return }
      session.reportOverdueCalls(grace: grace)
      let snapshot = session.snapshot()
      let changed = lock.withLock { () -> Bool in
        samples += 1
        guard snapshot != last, self.session === session else { return false }
        last = snapshot
        latest = snapshot
        return true
      }
      if changed { wake() }
    }
  }
}
