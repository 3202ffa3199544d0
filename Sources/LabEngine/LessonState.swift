import LabScript
import Lessons
import SocketKit
import WireKit

/// Where one call line of the lesson stands.
public enum LineState: Sendable, Equatable {
  case running(since: UInt64)
  case blocked(BlockedCall)
  case done(StepOutcome)
  case refused(ScriptError)
  /// Not run: a real program outside the lab played this part.
  case skipped
}

/// One line of the Log pane.
public struct LogLine: Sendable, Equatable {
  public enum Kind: Sendable { case ok, failed, blocked, refused, info, prediction }
  public var text: String
  public var kind: Kind

  public init(text: String, kind: Kind) {
    self.text = text
    self.kind = kind
  }
}

/// What the learner answered at a prediction point, and how it went.
public struct PredictionFeedback: Sendable, Equatable {
  public var statement: Int
  public var guess: String
  public var actual: String
  public var right: Bool
}

/// Something the engine has to tell the learner (a refused line, a connection from outside);
/// `serial` tells a new notice from one already shown.
public struct EngineNotice: Sendable, Equatable {
  public var serial: Int
  public var text: String
}

/// A replay or a script running on its own thread: how far it has come.
public struct BackgroundRun: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// Fresh sockets, and the lesson's lines up to a point run again.
    case replay
    /// Lines of a script run one after another in the current session.
    case script(name: String)
  }
  public var kind: Kind
  public var done: Int
  public var total: Int
}

/// An `accept()` line that took a connection from a program outside the lab.
public struct OutsideAccept: Sendable, Equatable {
  public var line: Int
  public var fd: Int32
}

/// Everything the player shows of a lesson in play, as a value: the position, every line's
/// state, the log, the predictions, and the kernel's last word. The runner changes it; views
/// read copies of it.
public struct LessonState: Sendable, Equatable {
  public let lesson: Lesson
  public internal(set) var statements: [Statement]
  /// For each step, the range of `statements` it runs.
  public internal(set) var stepRanges: [Range<Int>]
  public internal(set) var stepIndex = 0
  /// The index of the next statement to run.
  public internal(set) var nextLine = 0
  public internal(set) var lineStates: [Int: LineState] = [:]
  public internal(set) var log: [LogLine] = []
  public internal(set) var snapshot = SessionSnapshot()
  public internal(set) var guesses: [Int: String] = [:]
  /// The last record of each address call (inet_aton, inet_ntoa, getsockname, getpeername).
  public internal(set) var addressCalls: [String: String] = [:]
  public internal(set) var feedback: PredictionFeedback?
  /// Steps in which the learner asked the lab to play the outside program itself.
  public internal(set) var standInSteps: Set<Int> = []
  public internal(set) var outsideAccept: OutsideAccept?
  /// The names the call language stands for (`PORT`, `PORT2`) and their ports.
  public internal(set) var ports: [String: UInt16] = [:]
  /// The socket address the current step is about, with the variable that holds it.
  public internal(set) var address: NamedAddress?
  /// Actors in the order they first ran something.
  public internal(set) var actorNames: [String] = []
  /// The session's variables, for completion.
  public internal(set) var variables: [String] = []
  /// Predictions judged in this attempt, in order.
  public internal(set) var predictions: [PredictionRecord] = []
  public internal(set) var notice: EngineNotice?
  /// A replay or script under way on its own thread.
  public internal(set) var background: BackgroundRun?
  /// The wire between the lesson's hosts, when it has hosts.
  public internal(set) var wire: WireState?
  /// Why the lesson's hosts could not be built here, and the fix.
  public internal(set) var wireProblem: WireProblem?

  public struct WireProblem: Sendable, Equatable {
    public var reason: String
    public var fix: String
    public init(reason: String, fix: String) {
      self.reason = reason
      self.fix = fix
    }
  }

  public struct NamedAddress: Sendable, Equatable {
    public var name: String
    public var address: SocketAddress
  }

  init(lesson: Lesson) {
    self.lesson = lesson
    statements = lesson.steps.flatMap(\.statements)
    var ranges: [Range<Int>] = []
    var start = 0
    for step in lesson.steps {
      ranges.append(start..<(start + step.statements.count))
      start += step.statements.count
    }
    stepRanges = ranges
  }

  /// The port `PORT` stands for.
  public var port: UInt16 { ports["PORT"] ?? 0 }
  public var step: Step { lesson.steps[stepIndex] }

  /// Whether the Wire pane takes the Address pane's place. In a lesson on hosts, always (with
  /// the reason, where there are none). In one that watches its loopback, on the steps that ask
  /// about the wire, and only where the wire is there: the other steps keep their Address pane.
  public var showsWire: Bool {
    if lesson.wireOnLoopback, lesson.id != Lesson.freePlayID {
      return wire != nil && statements[stepRanges[stepIndex]].contains { $0.actorName == WireLanguage.actor }
    }
    return wire != nil || wireProblem != nil
  }
  public var isFinished: Bool { stepIndex == lesson.steps.count - 1 && nextLine >= stepRanges[stepIndex].upperBound }

  /// The statement the next advance runs, if it belongs to the step on screen.
  public var pendingStatement: Int? { nextLine < stepRanges[stepIndex].upperBound ? nextLine : nil }

  /// The statement of the current step that is a prediction point, if any.
  public var predictionStatement: Int? { stepRanges[stepIndex].first { statements[$0].expectation == .prediction } }

  /// Whether anything is running, so the screen needs its timers and spinners ticking.
  public var hasRunningCalls: Bool { lineStates.values.contains { $0.isUnderWay } }

  /// The call `actor` is inside, if it has not returned: `accept()`.
  public func runningCall(of actor: String) -> String? {
    for (line, state) in lineStates where state.isUnderWay && statements[line].actorName == actor {
      return "\(statements[line].expression.callName ?? "call")()"
    }
    return nil
  }

  /// Whether `actor` is inside a call that has not returned.
  public func isBusy(_ actor: String) -> Bool { runningCall(of: actor) != nil }

  /// The call `actor` is blocked in, once the lab has reported it blocked: its next line cannot
  /// run until that returns. (A call still inside its grace period only delays the next line.)
  public func blockedCall(of actor: String) -> String? {
    for (line, lineState) in lineStates where statements[line].actorName == actor {
      if case .blocked(let call) = lineState { return call.callName }
    }
    return nil
  }

  /// Whether the next line stands in for a program outside the lab that the learner may run.
  public var waitsForOutsidePeer: Bool {
    guard let line = pendingStatement, step.outside != nil, !standInSteps.contains(stepIndex) else { return false }
    return statements[line].actor == Lesson.outsideActor
  }

  /// The step's outside command with the session's ports filled in: `nc 127.0.0.1 40123`.
  /// On a host the actors share, the command joins that host first (`socklab exec server --
  /// nc 127.0.0.1 40123`): the machine's own 127.0.0.1 is another loopback.
  public var outsideCommand: String? {
    guard var command = step.outside else { return nil }
    for (name, port) in ports.sorted(by: { $0.key.count > $1.key.count }) {
      command = command.replacingAll(name, with: String(port))
    }
    if let wire, wire.sharedHost, let host = wire.hosts.first?.name { command = HostVisit.command(command, on: host) }
    return command
  }
}

extension LineState {
  /// Running or blocked: the call has not returned.
  public var isUnderWay: Bool {
    switch self {
    case .running, .blocked: return true
    default: return false
    }
  }
}

extension String {
  /// The text with every `target` replaced (Foundation's replacingOccurrences, without Foundation).
  public func replacingAll(_ target: String, with replacement: String) -> String {
    guard !target.isEmpty else { return self }
    var result = ""
    var rest = Substring(self)
    while let range = rest.firstRange(of: target) {
      result += rest[..<range.lowerBound] + replacement
      rest = rest[range.upperBound...]
    }
    return result + rest
  }
}
