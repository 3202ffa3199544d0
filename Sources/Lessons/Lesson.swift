import LabScript

/// A lesson: its front matter and its steps, as written in one Markdown file of `Lessons/`.
public struct Lesson: Sendable, Equatable {
  public var id: String
  public var title: String
  public var summary: String
  public var level: Level
  public var actors: [String]
  public var prerequisites: [String]
  /// The part of the curriculum the picker lists it under ("Basics"); optional.
  public var group: String?
  /// The estimated time, in minutes.
  public var minutes: Int
  /// The order in the curriculum, from the file name's number (`01-…`).
  public var number: Int
  /// The file the lesson came from.
  public var file: String
  /// Where the lesson came from: `LessonLibrary.builtIn` for the lessons the binary carries, or
  /// the folder it was read from.
  public var origin: String = LessonLibrary.builtIn
  /// The file (or `LessonLibrary.builtIn`) of the lesson with the same id that this one replaced.
  public var replaces: String?
  /// Prose before the first step, shown when the lesson opens.
  public var introduction: String
  public var steps: [Step]
  /// Read only as far as the picker needs: the steps have titles but no lines yet.
  public var isOutline = false
  /// The actors that run on hosts of their own (`hosts:`), in order: 10.50.0.1, 10.50.0.2, …
  /// joined through the lab's wire. Empty: every actor shares this machine's loopback.
  public var hosts: [String] = []
  /// `wire: loopback`: where the lab can make a host of its own, the actors share it and the
  /// Wire pane shows its loopback (watched, never changed: no wire commands). Elsewhere the
  /// lesson plays on this machine's loopback, with its wire questions left out.
  public var wireOnLoopback = false

  public init(
    id: String, title: String, summary: String, level: Level, actors: [String], prerequisites: [String], group: String? = nil,
    minutes: Int, number: Int, file: String, introduction: String, steps: [Step], isOutline: Bool = false,
    hosts: [String] = [], wireOnLoopback: Bool = false
  ) {
    self.isOutline = isOutline
    self.hosts = hosts
    self.wireOnLoopback = wireOnLoopback
    self.id = id
    self.title = title
    self.summary = summary
    self.level = level
    self.actors = actors
    self.prerequisites = prerequisites
    self.group = group
    self.minutes = minutes
    self.number = number
    self.file = file
    self.introduction = introduction
    self.steps = steps
  }

  public enum Level: String, Sendable, CaseIterable {
    case beginner, intermediate, advanced
  }

  /// The id of the one-step lesson free play runs in.
  public static let freePlayID = "free-play"

  /// The actor whose lines stand in for a program outside the lab.
  public static let outsideActor = "outside"

  /// Every call line of the lesson, in order: what a replay runs.
  public var script: Script {
    Script(statements: steps.flatMap(\.statements), file: file)
  }

  /// The lesson as it plays where there is no wire: its wire lines left out, each step's
  /// prediction still pointing at its own line.
  public func withoutWireLines() -> Lesson {
    var lesson = self
    for index in lesson.steps.indices {
      let statements = lesson.steps[index].statements
      let kept = statements.indices.filter { statements[$0].actorName != WireLanguage.actor }
      lesson.steps[index].statements = kept.map { statements[$0] }
      if let prediction = lesson.steps[index].prediction {
        if let at = kept.firstIndex(of: prediction.statementIndex) {
          lesson.steps[index].prediction?.statementIndex = at
        } else {
          lesson.steps[index].prediction = nil
        }
      }
    }
    return lesson
  }

  /// The step a line of the lesson file belongs to.
  public func stepIndex(containingLine line: Int) -> Int? {
    steps.lastIndex { $0.line <= line }
  }
}

/// One step: a heading, prose, the call lines it runs, and the notes that go with them.
public struct Step: Sendable, Equatable {
  public var title: String
  /// The step's prose, in the Markdown subset the player renders.
  public var prose: String
  public var statements: [Statement]
  public var hint: String?
  public var prediction: Prediction?
  /// Why each errno the step produces happens, and how to fix it, by errno name.
  public var whys: [String: String]
  /// What the same step is in OpenSSL's BIO API and in the kernel.
  public var layers: String?
  /// Where BSD, macOS or Windows behave differently.
  public var elsewhere: String?
  /// The command a learner types in another terminal to be the step's outside peer
  /// (`nc 127.0.0.1 PORT`); the step's `outside:` lines stand in for it when nobody does.
  public var outside: String?
  /// What the panes hide while the step's prediction is asked, besides the answer itself
  /// (`Hide: pending, 12`).
  public var hide: [String] = []
  /// What the presenter reads on the notes screen (`socklab notes`); never on the lab's screen.
  public var notes: String?
  /// The panes the presentation layout shows for this step (`Layout: code, sockets`).
  public var presentation: [String] = []
  /// The line of the step's heading in the lesson file.
  public var line: Int

  public init(
    title: String, prose: String, statements: [Statement] = [], hint: String? = nil, prediction: Prediction? = nil,
    whys: [String: String] = [:], layers: String? = nil, elsewhere: String? = nil, outside: String? = nil,
    hide: [String] = [], line: Int
  ) {
    self.outside = outside
    self.hide = hide
    self.title = title
    self.prose = prose
    self.statements = statements
    self.hint = hint
    self.prediction = prediction
    self.whys = whys
    self.layers = layers
    self.elsewhere = elsewhere
    self.line = line
  }
}

/// A prediction point: the question asked before a `= ?` line runs, the lesson's answer, and
/// the explanation shown after.
public struct Prediction: Sendable, Equatable {
  public var question: String
  /// The answer as written (`12`, `-1 ECONNREFUSED`); the statement holds it parsed.
  public var answer: String
  public var explanation: String
  /// Which of the step's statements is the prediction point.
  public var statementIndex: Int

  /// The answer's alternatives, separated by ` | `: the first is what the line must return (a
  /// replay checks it); the others are more ways a learner may say it.
  public var alternatives: [String] { Self.alternatives(answer) }

  public static func alternatives(_ answer: String) -> [String] {
    answer.split(separator: " | ").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
  }
}
