import SocketKit
import WireKit

#if canImport(Glibc)
  import Glibc
#endif

/// One actor's own OS thread. A blocking `accept()` there blocks only that actor, never a shared
/// pool: Swift concurrency's cooperative pool has as many threads as cores and would starve.
final class ActorThread: @unchecked Sendable {
  let name: String
  private let lock = ConditionLock()
  private var jobs: [@Sendable () -> Void] = []
  private var stopping = false
  private var finished = false
  private var thread: pthread_t?
  /// The kernel's id for the thread, for reading where it sleeps.
  private(set) var threadID: Int32 = 0

  private let interruptSignal: Int32

  /// The network namespace of the actor's host, when it has one: the thread moves into it
  /// before its first job, so every socket it creates lives on that host.
  private let namespace: Int32?

  init(name: String, interruptSignal: Int32, namespace: Int32? = nil) {
    self.name = name
    self.interruptSignal = interruptSignal
    self.namespace = namespace
    let box = Unmanaged.passRetained(self)
    var handle = pthread_t()
    let status = pthread_create(
      &handle, nil,
      { raw in
        let actor = Unmanaged<ActorThread>.fromOpaque(raw!).takeRetainedValue()
        actor.main()
        return nil
      }, box.toOpaque())
    precondition(status == 0, "could not start a thread for actor \(name)")
    thread = handle
    lock.withLock { _ = lock.wait(until: .max) { threadID != 0 } }
  }

  private func main() {
    SocketAPI.unblockSignal(interruptSignal)
    if let namespace { _ = HostNetwork.enter(namespace: namespace) }
    lock.withLock {
      threadID = Kernel.current.currentThreadID()
      lock.broadcast()
    }
    while true {
      var job: (@Sendable () -> Void)?
      lock.withLock {
        _ = lock.wait(until: .max) { !jobs.isEmpty || stopping }
        if !jobs.isEmpty { job = jobs.removeFirst() }
      }
      guard let job else { break }
      job()
    }
    lock.withLock {
      finished = true
      lock.broadcast()
    }
  }

  /// Runs `job` on this actor's thread after the jobs already queued.
  func enqueue(_ job: @escaping @Sendable () -> Void) {
    lock.withLock {
      jobs.append(job)
      lock.broadcast()
    }
  }

  /// Sends `signal` to the thread, to make a blocked system call return EINTR.
  func send(signal: Int32) {
    if let thread { pthread_kill(thread, signal) }
  }

  /// Drops the jobs not yet started and asks the thread to end after the current one.
  func requestStop() {
    lock.withLock {
      jobs.removeAll()
      stopping = true
      lock.broadcast()
    }
  }

  var hasEnded: Bool { lock.withLock { finished } }

  /// Joins the thread once it has ended; false (and no join) if it is still running.
  @discardableResult
  func join(timeout: UInt64) -> Bool {
    let deadline = MonotonicClock.nanoseconds() + timeout
    guard lock.withLock({ lock.wait(until: deadline) { finished } }) else { return false }
    if let thread {
      pthread_join(thread, nil)
      self.thread = nil
    }
    return true
  }
}
