import FoundationEssentials

/// The classroom protocol, version 1: JSON lines over TCP, one object per line, at most
/// `ClassProtocol.maximumLine` bytes. Every message has `"v": 1` and a `"type"`.
///
/// A student's lab sends: `hello` (first, within 5 s: name and join code), then `position`
/// (lesson and step), `answer` (a prediction: the guess and whether it was right, with an `id`
/// the hub acknowledges), `verdict` (a line that failed), and `ping`. It never sends code or keys.
/// The hub sends: `welcome` or `error` (then it hangs up), `ack` for each answer it has counted,
/// and, when the teacher asks, `follow` (a step the student may go to, or not).
/// A reader (a script, a second dashboard) sends `watch` with the code instead of `hello`, and
/// gets a `class` summary line after every change.
public enum ClassProtocol {
  public static let version = 1
  public static let maximumLine = 4096
  public static let maximumName = 24

  /// Any message, decoded leniently: unknown fields are ignored, missing ones are nil.
  public struct Message: Codable, Sendable, Equatable {
    public var v: Int?
    public var type: String
    public var name: String?
    public var code: String?
    public var lesson: String?
    public var step: Int?
    public var steps: Int?
    public var id: Int?
    public var answer: String?
    public var right: Bool?
    public var line: String?
    public var reason: String?
    public var student: Int?
    public var lead: Bool?

    public init(type: String) {
      v = ClassProtocol.version
      self.type = type
    }

    public var encoded: [UInt8] {
      var bytes = Array((try? JSONEncoder().encode(self)) ?? Data("{}".utf8))
      bytes.append(UInt8(ascii: "\n"))
      return bytes
    }
  }

  /// A name as the dashboard shows it: control characters and quotes replaced, at most 24 characters.
  public static func cleanName(_ raw: String) -> String {
    let kept = raw.unicodeScalars.map { scalar -> String in
      if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) { return "?" }
      if scalar.properties.generalCategory == .format { return "?" }
      return String(scalar)
    }.joined()
    let trimmed = String(kept.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    return trimmed.isEmpty ? "?" : String(trimmed.prefix(maximumName))
  }
}

/// What the dashboard shows, and what `watch` sends: who is where, and how the class answered.
public struct ClassSummary: Codable, Sendable, Equatable {
  public struct Student: Codable, Sendable, Equatable {
    public var id: Int
    public var name: String
    public var lesson: String?
    public var step: Int?
    public var steps: Int?
    /// Seconds on the current step.
    public var onStep: Double
    public var failures: Int
    public var connected: Bool
    /// The teacher's own lab (`--lead`): "follow me" sends the class to its step.
    public var lead: Bool?

    public init(
      id: Int, name: String, lesson: String?, step: Int?, steps: Int?, onStep: Double, failures: Int, connected: Bool,
      lead: Bool? = nil
    ) {
      self.id = id
      self.name = name
      self.lesson = lesson
      self.step = step
      self.steps = steps
      self.onStep = onStep
      self.failures = failures
      self.connected = connected
      self.lead = lead
    }
  }

  public struct Tally: Codable, Sendable, Equatable {
    public var answer: String
    public var count: Int
    public var right: Bool

    public init(answer: String, count: Int, right: Bool) {
      self.answer = answer
      self.count = count
      self.right = right
    }
  }

  /// A prediction point: a step of a lesson that asks for a prediction.
  public struct Point: Codable, Sendable, Equatable {
    public var lesson: String
    public var step: Int
    /// How many students answered it (filled in the summary's list of points).
    public var answered: Int

    public init(lesson: String, step: Int, answered: Int = 0) {
      self.lesson = lesson
      self.step = step
      self.answered = answered
    }
  }

  /// Why the summary shows the point it shows.
  public enum Shown: String, Codable, Sendable {
    /// The teacher picked it on the dashboard.
    case chosen
    /// The teacher's own lab (`--lead`) is on that step.
    case teacher
    /// Nobody chose: the point answered last.
    case latest
  }

  public var v = ClassProtocol.version
  public var type = "class"
  public var students: [Student] = []
  /// The prediction point shown (see `shown`): its lesson, step and answers so far.
  public var lesson: String?
  public var step: Int?
  public var shown: Shown?
  /// Every point answered so far, in the order of its first answer.
  public var points: [Point] = []
  public var answers: [Tally] = []
  public var answered = 0
  public var rightCount = 0
  /// Every answer counted since the hub started, and the connections refused or dropped.
  public var totalAnswers = 0
  public var refused = 0
  public var dropped = 0
  /// The last reasons for dropping a connection, newest last.
  public var drops: [String] = []

  public init() {}
}
