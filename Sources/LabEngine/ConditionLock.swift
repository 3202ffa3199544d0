#if canImport(Glibc)
  import Glibc
#endif

/// A mutex with a condition variable, for threads that wait for each other without spinning.
final class ConditionLock: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  init() {
    pthread_mutex_init(mutex, nil)
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    pthread_cond_init(condition, &attributes)
    pthread_condattr_destroy(&attributes)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
    condition.deallocate()
  }

  func withLock<R>(_ body: () throws -> R) rethrows -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }

  /// Wakes every waiter. Call with the lock held.
  func broadcast() { pthread_cond_broadcast(condition) }

  /// Waits, with the lock held, until `done()` is true or the monotonic clock reaches `deadline`
  /// (nanoseconds); returns `done()`.
  func wait(until deadline: UInt64, _ done: () -> Bool) -> Bool {
    while !done() {
      var ts = timespec()
      clock_gettime(CLOCK_MONOTONIC, &ts)
      let now = UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
      if now >= deadline { return false }
      var until = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
      pthread_cond_timedwait(condition, mutex, &until)
    }
    return true
  }
}
