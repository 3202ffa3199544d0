import Dispatch
import Lessons
import Synchronization

/// Writes progress and free play's history off the terminal's thread, so that no key waits for
/// the disk (a progress save flushes to disk with fsync). Writes happen in the order asked, one at
/// a time; progress saves that pile up while one is under way are coalesced into the newest, and
/// each still goes through `ProgressStore.save`: locked, merged, and replaced atomically.
public final class StateWriter: Sendable {
  private let progressStore: ProgressStore?
  private let historyStore: HistoryStore?
  private let queue = DispatchQueue(label: "socklab.state-writer")
  private let pending = Mutex<LearnerProgress?>(nil)
  private let results = Mutex<Result?>(nil)
  private let done: @Sendable () -> Void

  /// What the writer has to tell the app since it last asked.
  public struct Result: Sendable {
    /// The progress as saved: what the app had, merged with what other labs saved.
    public var saved: LearnerProgress?
    /// Why the last save failed; nil once a save succeeded.
    public var problem: String?
  }

  /// `done` runs on the writer's thread after each write, to wake the run loop.
  public init(progress: ProgressStore?, history: HistoryStore?, done: @escaping @Sendable () -> Void = {}) {
    progressStore = progress
    historyStore = history
    self.done = done
  }

  /// Saves `progress` soon; a newer save asked for before this one starts replaces it.
  public func save(_ progress: LearnerProgress) {
    guard progressStore != nil else { return }
    let alreadyQueued = pending.withLock { waiting in
      defer { waiting = progress }
      return waiting != nil
    }
    guard !alreadyQueued else { return }
    queue.async { [self] in
      guard let store = progressStore, let progress = pending.withLock({ $0.take() }) else { return }
      var result = Result()
      do {
        result.saved = try store.save(progress)
      } catch {
        result.problem = "Progress could not be saved: \(error)"
      }
      results.withLock { $0 = result }
      done()
    }
  }

  /// Adds a line to the history file soon.
  public func append(_ line: String) {
    guard let historyStore else { return }
    queue.async { historyStore.append(line) }
  }

  /// What happened since the last call, if anything.
  public func takeResult() -> Result? { results.withLock { $0.take() } }

  /// Waits until every write asked for so far is done (before the program ends).
  public func flush() { queue.sync {} }
}
