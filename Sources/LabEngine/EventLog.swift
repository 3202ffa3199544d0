import SocketKit

/// The ordered record of everything that happened in a session. Appending wakes whoever waits,
/// and any observer (the terminal's run loop writes to its wake-up pipe from one).
public final class EventLog: @unchecked Sendable {
  private let lock = ConditionLock()
  private var storage: [LabEvent] = []
  private var observers: [@Sendable (LabEvent) -> Void] = []
  private let start = MonotonicClock.nanoseconds()

  public init() {}

  @discardableResult
  func append(actor: String?, ticket: Int?, _ kind: LabEvent.Kind) -> LabEvent {
    let (event, watchers) = lock.withLock {
      let event = LabEvent(
        sequence: storage.count, time: MonotonicClock.nanoseconds() - start, actor: actor, ticket: ticket, kind: kind)
      storage.append(event)
      lock.broadcast()
      return (event, observers)
    }
    for observer in watchers { observer(event) }
    return event
  }

  /// Calls `observer` (on the thread that appended) for every event from now on.
  public func observe(_ observer: @escaping @Sendable (LabEvent) -> Void) {
    lock.withLock { observers.append(observer) }
  }

  /// Every event so far.
  public var events: [LabEvent] { lock.withLock { storage } }

  /// Events numbered `sequence` and later.
  public func events(from sequence: Int) -> [LabEvent] {
    lock.withLock { sequence < storage.count ? Array(storage[sequence...]) : [] }
  }

  public var count: Int { lock.withLock { storage.count } }

  /// Waits until `condition` holds for the events so far, or `timeout` nanoseconds pass.
  @discardableResult
  public func wait(timeout: UInt64, until condition: ([LabEvent]) -> Bool) -> Bool {
    let deadline = MonotonicClock.nanoseconds() + timeout
    return lock.withLock { lock.wait(until: deadline) { condition(storage) } }
  }
}
