import LabScript
import SocketKit

/// One line of a run's transcript, for people (`text`) and for programs (the other fields).
public struct TranscriptEntry: Sendable, Codable, Equatable {
  public enum Kind: String, Sendable, Codable {
    /// A line ran and returned.
    case call
    /// A call has not returned after the grace period; the script goes on with another actor.
    case blocked
    /// The lab made a blocked call return.
    case interrupted
    /// The lab refused to run the line.
    case refused
    /// The run ended with something wrong that is not one line's result (a call still blocked).
    case failure
  }

  public enum Status: String, Sendable, Codable {
    case held, failed, predicted, unchecked, blocked, error
  }

  public var kind: Kind
  public var status: Status
  public var line: Int?
  public var actor: String?
  /// The line as written in the script.
  public var source: String?
  /// The call with its actual values, as `bind(3, {AF_INET, 127.0.0.1:40123}, 16)`.
  public var call: String?
  public var result: String?
  public var errno: String?
  public var errnoMessage: String?
  public var nanoseconds: UInt64?
  public var expected: String?
  public var note: String?
  /// The whole entry as one line of text.
  public var text: String
}

/// What a headless run found.
public struct RunReport: Sendable, Codable, Equatable {
  public var entries: [TranscriptEntry]
  public var failures: Int
  public var predictions: Int
  /// Calls left blocked at the end, when the runner was told not to interrupt them.
  public var stillBlocked: [StillBlocked] = []
  public var passed: Bool { failures == 0 }
}

/// A call still blocked when a run ended: its script line, its ticket in the session, its actor.
public struct StillBlocked: Sendable, Codable, Equatable {
  public var line: Int
  public var ticket: Int
  public var actor: String
}

enum TranscriptFormat {
  static func call(_ statement: Statement, _ outcome: StepOutcome, blockedFor: UInt64?) -> TranscriptEntry {
    let target = statement.target.map { CRenderer().expression($0) + " = " } ?? ""
    var text = "\(statement.actorName): "
    var call: String?
    if let record = outcome.record {
      call = target + record.call
      text += "\(target)\(record.description)"
    } else {
      text += "\(target)\(outcome.value)"
    }
    var status = TranscriptEntry.Status.unchecked
    var expected: String?
    switch outcome.verdict {
    case .unchecked: break
    case .held: status = .held
    case .predicted(let actual):
      status = .predicted
      text += "   [prediction point: the answer is \(actual)]"
    case .failed(let wanted, let actual):
      status = .failed
      expected = wanted
      text += "\n    FAILED (line \(statement.location.line)): expected \(wanted), got \(actual)"
    }
    var notes: [String] = []
    if let blockedFor { notes.append("returned after \(formatDuration(nanoseconds: blockedFor)) blocked") }
    if let note = outcome.note { notes.append(note) }
    if !notes.isEmpty {
      let joined = notes.joined(separator: "; ")
      if status == .failed {
        text += " (\(joined))"
      } else {
        text += "   (\(joined))"
      }
    }
    return TranscriptEntry(
      kind: .call, status: status, line: statement.location.line, actor: statement.actorName, source: statement.source,
      call: call, result: outcome.record.map { $0.result.description } ?? outcome.value.description,
      errno: outcome.record?.error?.name, errnoMessage: outcome.record?.error?.message, nanoseconds: outcome.record?.nanoseconds,
      expected: expected, note: notes.isEmpty ? nil : notes.joined(separator: "; "), text: text)
  }

  static func blocked(_ call: BlockedCall) -> TranscriptEntry {
    let where_ = call.kernelFunction.map { " (the kernel has it asleep in \($0))" } ?? ""
    let text = "\(call.actor): \(call.statement.source)   ... blocked in \(call.callName)\(where_)"
    return TranscriptEntry(
      kind: .blocked, status: .blocked, line: call.statement.location.line, actor: call.actor, source: call.statement.source,
      call: nil, result: nil, errno: nil, errnoMessage: nil, nanoseconds: nil, expected: nil, note: call.kernelFunction,
      text: text)
  }

  static func refused(_ statement: Statement, _ error: ScriptError) -> TranscriptEntry {
    TranscriptEntry(
      kind: .refused, status: .error, line: statement.location.line, actor: statement.actorName, source: statement.source,
      call: nil, result: nil, errno: nil, errnoMessage: nil, nanoseconds: nil, expected: nil, note: error.hint,
      text: "\(statement.actorName): \(statement.source)\n    NOT RUN: \(error)")
  }

  static func interrupted(_ call: BlockedCall, how: String) -> TranscriptEntry {
    TranscriptEntry(
      kind: .interrupted, status: .error, line: call.statement.location.line, actor: call.actor, source: call.statement.source,
      call: nil, result: nil, errno: nil, errnoMessage: nil, nanoseconds: nil, expected: nil, note: how,
      text: "\(call.actor): interrupted \(call.callName): \(how)")
  }

  static func failure(_ message: String, line: Int?, actor: String?) -> TranscriptEntry {
    TranscriptEntry(
      kind: .failure, status: .failed, line: line, actor: actor, source: nil, call: nil, result: nil, errno: nil,
      errnoMessage: nil, nanoseconds: nil, expected: nil, note: nil, text: "FAILED: \(message)")
  }
}
