import SocketKit

/// An expression of the call language.
public indirect enum Expr: Sendable, Hashable {
  case integer(Int, SourceLocation)
  case string([UInt8], SourceLocation)
  /// A constant (`AF_INET`), a variable (`s`) or a built-in (`PORT`).
  case name(String, SourceLocation)
  /// `addr.sin_port`
  case field(Expr, String, SourceLocation)
  /// `&addr`
  case addressOf(Expr, SourceLocation)
  /// `sizeof addr`, `sizeof(struct sockaddr_in)`
  case sizeof(SizeofOperand, SourceLocation)
  case call(String, [Expr], SourceLocation)
  /// `flags | O_NONBLOCK`
  case bitOr(Expr, Expr)
  /// `-1`
  case negate(Expr, SourceLocation)

  public var location: SourceLocation {
    switch self {
    case .integer(_, let l), .string(_, let l), .name(_, let l), .field(_, _, let l), .addressOf(_, let l),
      .sizeof(_, let l), .call(_, _, let l), .negate(_, let l):
      return l
    case .bitOr(let a, _): return a.location
    }
  }

  /// The variable an lvalue expression is rooted in: `addr` for `&addr.sin_addr`.
  public var rootName: String? {
    switch self {
    case .name(let name, _): return name
    case .field(let base, _, _), .addressOf(let base, _): return base.rootName
    default: return nil
    }
  }

  /// The call's name when the expression is a call.
  public var callName: String? {
    if case .call(let name, _, _) = self { return name }
    return nil
  }
}

public enum SizeofOperand: Sendable, Hashable {
  case variable(String)
  /// A C type name such as `struct sockaddr_in` or `int`.
  case type(String)
}

/// What a line says its call must return.
public enum Expectation: Sendable, Hashable {
  /// `= ?`: the learner predicts; headless runs record the result without checking it.
  case prediction
  /// `= fd`: any descriptor (a number of 0 or more).
  case anyDescriptor
  /// `= -1 EADDRINUSE`
  case error(String)
  /// `= 0 ECONNREFUSED`: a call whose failure is not -1 (OpenSSL's BIO calls return 0) with the
  /// errno it leaves.
  case failure(Int, String)
  /// `= LISTEN` after `tcp_state(s)`
  case state(TCPState)
  /// `= 6`, `= POLLOUT`, `= "127.0.0.1"`
  case value(Expr)
  /// After a wire question: `= SYN, SYN-ACK, ACK`, `= 2`, `= 1000ms ± 250`.
  case wire(WireExpectation)
}

/// One line of the call language: `[actor:] [target =] expression [= expectation] [# comment]`.
public struct Statement: Sendable, Hashable {
  public var actor: String?
  /// The variable or field the result is stored in.
  public var target: Expr?
  public var expression: Expr
  public var expectation: Expectation?
  public var expectationLocation: SourceLocation?
  public var comment: String?
  public var location: SourceLocation
  /// The line as written, without its comment.
  public var source: String
  /// Variables this line brings into being (its target and any out-parameters).
  public var defines: [String]
  /// For a prediction point (`= ?`) in a lesson: the answer the lesson gives. Replays check it,
  /// so a lesson cannot teach a wrong answer.
  public var answer: Expectation?

  /// The name of the actor that runs the line, `main` when the script has no actors.
  public var actorName: String { actor ?? Script.defaultActor }
}

/// A parsed script: its statements in order and the actors it names.
public struct Script: Sendable, Hashable {
  public static let defaultActor = "main"

  public var statements: [Statement]
  public var file: String?

  public init(statements: [Statement], file: String? = nil) {
    self.statements = statements
    self.file = file
  }

  /// Actor names in order of first appearance.
  public var actors: [String] {
    var seen: [String] = []
    // Wire lines run on the lab's own hand on the wire, not on a program of the lesson.
    for statement in statements where !seen.contains(statement.actorName) && statement.actorName != WireLanguage.actor {
      seen.append(statement.actorName)
    }
    return seen
  }
}
