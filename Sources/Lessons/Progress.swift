import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// A learner's progress through the lessons.
public struct LearnerProgress: Sendable, Codable, Equatable {
  public var version = 1
  /// The lesson the learner opened last, so the picker can start there.
  public var lastLesson: String?
  public var lessons: [String: LessonProgress] = [:]

  public init() {}
}

public struct LessonProgress: Sendable, Codable, Equatable {
  /// Seconds since 1970 when the lesson was first opened.
  public var started: Double
  /// When the last step was reached; nil while the lesson is unfinished.
  public var completed: Double?
  /// The step reached (0 is the first step).
  public var step: Int
  public var predictions: [PredictionRecord]
  /// How many times the lesson was started over (`r`); nil in files written before attempts
  /// were kept, which had one.
  public var attempts: Int?

  /// The attempt under way: 1 for the first.
  public var attempt: Int { attempts ?? 1 }

  /// Each attempt's predictions: how many were right, of how many.
  public var scores: [(attempt: Int, right: Int, of: Int)] {
    (1...attempt).compactMap { number in
      let made = predictions.filter { ($0.attempt ?? 1) == number }
      return made.isEmpty ? nil : (number, made.filter(\.right).count, made.count)
    }
  }

  public init(started: Double, completed: Double? = nil, step: Int = 0, predictions: [PredictionRecord] = []) {
    self.started = started
    self.completed = completed
    self.step = step
    self.predictions = predictions
  }
}

/// One prediction the learner made: what they guessed, what the line returned, and whether it matched.
public struct PredictionRecord: Sendable, Codable, Equatable {
  public var step: Int
  public var line: Int
  public var guess: String
  public var actual: String
  public var right: Bool
  public var at: Double
  /// Which attempt at the lesson it was made in (nil: the first, in older files).
  public var attempt: Int?

  public init(step: Int, line: Int, guess: String, actual: String, right: Bool, at: Double, attempt: Int? = nil) {
    self.attempt = attempt
    self.step = step
    self.line = line
    self.guess = guess
    self.actual = actual
    self.right = right
    self.at = at
  }
}

/// Reads and writes the progress file. Writes are atomic (a new file renamed over the old), so a
/// crash mid-write never loses what was saved before; a file that cannot be read is moved aside
/// with a timestamp and reported, never silently thrown away.
public struct ProgressStore: Sendable {
  public var path: String

  public init(path: String) {
    self.path = path
  }

  /// `$XDG_STATE_HOME/socklab/progress.json`, or `~/.local/state/socklab/progress.json`.
  public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    StatePaths.current(environment: environment).progress
  }

  /// What loading found besides the progress itself.
  public enum LoadNote: Sendable, Equatable {
    /// The file could not be read as progress and was moved to `movedTo`.
    case unreadable(reason: String, movedTo: String)
  }

  /// The saved progress (empty when there is none yet), and a note if the file was unreadable.
  public func load() -> (LearnerProgress, LoadNote?) {
    guard Files.exists(path) else { return (LearnerProgress(), nil) }
    let text: String
    do {
      text = try Files.read(path, limit: Self.maximumSize)
    } catch {
      return (LearnerProgress(), moveAside(reason: error.reason))
    }
    do {
      let progress = try JSONDecoder().decode(LearnerProgress.self, from: Data(text.utf8))
      return (progress, nil)
    } catch {
      return (LearnerProgress(), moveAside(reason: "it is not valid progress JSON"))
    }
  }

  private func moveAside(reason: String) -> LoadNote {
    let aside = "\(path).unreadable-\(Self.timestamp())"
    rename(path, aside)
    return .unreadable(reason: reason, movedTo: aside)
  }

  /// Merges `progress` into what the file holds now and writes the result atomically: under a
  /// lock (`flock` on `progress.json.lock`, so that two labs open at once take turns), it reads
  /// the file, merges by lesson (see `LearnerProgress.merging`), writes a temporary file beside
  /// the real one, flushes it to disk and renames it over. Returns what was written, which holds
  /// what other labs saved too.
  @discardableResult
  public func save(_ progress: LearnerProgress) throws(ProgressError) -> LearnerProgress {
    try makeDirectories(Files.directory(of: path))
    do {
      return try Files.withLock(path + ".lock") { () throws(ProgressError) -> LearnerProgress in
        var merged = progress
        if Files.exists(path), let text = try? Files.read(path, limit: Self.maximumSize),
          let saved = try? JSONDecoder().decode(LearnerProgress.self, from: Data(text.utf8))
        {
          merged = saved.merging(progress)
        }
        try writeAtomically(merged)
        return merged
      }
    } catch let error as ProgressError {
      throw error
    } catch {
      throw ProgressError(message: "cannot lock \(path).lock: \(error)")
    }
  }

  /// The largest progress file the lab reads.
  static let maximumSize = 16 << 20

  private func writeAtomically(_ progress: LearnerProgress) throws(ProgressError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    guard let data = try? encoder.encode(progress) else { throw ProgressError(message: "could not encode the progress") }
    let temporary = "\(path).tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw ProgressError(message: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
    let bytes = Array(data)
    var written = 0
    while written < bytes.count {
      let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        let reason = String(cString: strerror(errno))
        close(fd)
        unlink(temporary)
        throw ProgressError(message: "cannot write \(temporary): \(reason)")
      }
      written += count
    }
    fsync(fd)
    close(fd)
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw ProgressError(message: "cannot replace \(path): \(reason)")
    }
  }

  /// Removes the progress file (after the caller has confirmed).
  public func reset() throws(ProgressError) {
    if Files.exists(path), unlink(path) != 0 {
      throw ProgressError(message: "cannot remove \(path): \(String(cString: strerror(errno)))")
    }
  }

  private func makeDirectories(_ directory: String) throws(ProgressError) {
    do {
      try Files.makeDirectories(directory)
    } catch {
      throw ProgressError(message: "cannot create \(error.path): \(error.reason)")
    }
  }

  /// `20261122T041530Z`
  static func timestamp() -> String {
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return
      "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
  }
}

public struct ProgressError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

extension LearnerProgress {
  /// This progress with `newer`'s merged in, lesson by lesson: the earliest start and completion,
  /// the furthest step, and every prediction either holds (once). The last lesson is `newer`'s.
  /// Merging is what lets two labs open at once both keep what their learners did.
  public func merging(_ newer: LearnerProgress) -> LearnerProgress {
    var merged = self
    merged.lastLesson = newer.lastLesson ?? lastLesson
    for (id, entry) in newer.lessons {
      guard var saved = merged.lessons[id] else {
        merged.lessons[id] = entry
        continue
      }
      saved.started = min(saved.started, entry.started)
      saved.completed = [saved.completed, entry.completed].compactMap { $0 }.min()
      saved.step = max(saved.step, entry.step)
      if let attempts = [saved.attempts, entry.attempts].compactMap({ $0 }).max() { saved.attempts = attempts }
      for prediction in entry.predictions where !saved.predictions.contains(prediction) {
        saved.predictions.append(prediction)
      }
      saved.predictions.sort { ($0.at, $0.step, $0.line) < ($1.at, $1.step, $1.line) }
      merged.lessons[id] = saved
    }
    return merged
  }

  /// Records that the learner reached `step` of `lesson` (of `stepCount` steps).
  public mutating func reached(step: Int, of lesson: String, stepCount: Int, now: Double) {
    var entry = lessons[lesson] ?? LessonProgress(started: now)
    entry.step = max(entry.step, step)
    if step >= stepCount - 1, entry.completed == nil { entry.completed = now }
    lessons[lesson] = entry
    lastLesson = lesson
  }

  /// Records a prediction the learner made, in the attempt under way.
  public mutating func predicted(_ record: PredictionRecord, in lesson: String, now: Double) {
    var entry = lessons[lesson] ?? LessonProgress(started: now)
    var record = record
    record.attempt = entry.attempt
    entry.predictions.append(record)
    lessons[lesson] = entry
  }

  /// The learner starts `lesson` over: a new attempt, whose predictions are scored on their own.
  public mutating func startedOver(_ lesson: String, now: Double) {
    var entry = lessons[lesson] ?? LessonProgress(started: now)
    entry.attempts = entry.attempt + 1
    lessons[lesson] = entry
    lastLesson = lesson
  }

  /// `not started`, `step 3 of 9`, `done`.
  public func status(of lesson: String, stepCount: Int) -> String {
    guard let entry = lessons[lesson] else { return "not started" }
    if entry.completed != nil { return "done" }
    return "step \(entry.step + 1) of \(stepCount)"
  }
}
