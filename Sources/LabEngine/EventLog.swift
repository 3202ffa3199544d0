import SocketKit

/// The ordered record of everything that happened in a session. Appending wakes whoever waits,
/// and any observer (the terminal's run loop writes to its wake-up pipe from one).
public final class EventLog: @unchecked Sendable {
  private let lock = ConditionLock()
  private var storage: [LabEvent] = []
  /// Tickets whose statement has finished or been refused, kept with the events under one lock so
  /// that "done" and "its event is in the log" are never seen apart.
  private var completed: Set<Int> = []
  private var observers: [@Sendable (LabEvent) -> Void] = []
  /// When the log began (monotonic nanoseconds): each event's time counts from it.
  public let start = MonotonicClock.nanoseconds()

  public init() {}

  @discardableResult
  func append(actor: String?, ticket: Int?, _ kind: LabEvent.Kind) -> LabEvent {
    let (event, watchers) = lock.withLock {
      let event = LabEvent(
        sequence: storage.count, time: MonotonicClock.nanoseconds() - start, actor: actor, ticket: ticket, kind: kind)
      storage.append(event)
      if let ticket {
        switch kind {
        case .finished, .refused: completed.insert(ticket)
        default: break
        }
      }
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

  /// Whether the statement behind `ticket` has finished or been refused.
  public func isComplete(_ ticket: Int) -> Bool { lock.withLock { completed.contains(ticket) } }

  /// Waits up to `timeout` nanoseconds for `ticket` to complete; true if it did.
  public func waitForCompletion(of ticket: Int, timeout: UInt64) -> Bool {
    let deadline = MonotonicClock.nanoseconds() + timeout
    return lock.withLock { lock.wait(until: deadline) { completed.contains(ticket) } }
  }

  /// Waits up to `timeout` nanoseconds until any of `tickets` completes; true if one did.
  public func waitForAnyCompletion(of tickets: [Int], timeout: UInt64) -> Bool {
    let deadline = MonotonicClock.nanoseconds() + timeout
    return lock.withLock { lock.wait(until: deadline) { tickets.contains { completed.contains($0) } } }
  }

  /// Waits until `condition` holds for the events so far, or `timeout` nanoseconds pass.
  @discardableResult
  public func wait(timeout: UInt64, until condition: ([LabEvent]) -> Bool) -> Bool {
    let deadline = MonotonicClock.nanoseconds() + timeout
    return lock.withLock { lock.wait(until: deadline) { condition(storage) } }
  }
}
