import LabScript
import SocketKit

/// A call that has not returned: who made it, what it is, since when, and where the kernel has
/// put the thread to sleep.
public struct BlockedCall: Sendable, Equatable {
  public var actor: String
  public var ticket: Int
  public var statement: Statement
  /// Monotonic nanoseconds when the call started.
  public var since: UInt64
  /// The kernel function the thread sleeps in (`inet_csk_accept`), when the kernel says.
  public var kernelFunction: String?

  /// `accept()`
  public var callName: String { "\(statement.expression.callName ?? "call")()" }
}

/// Something that happened in a session. Events are numbered in the order they happened.
public struct LabEvent: Sendable {
  public enum Kind: Sendable {
    case started(Statement)
    /// The call has not returned after the grace period.
    case blocked(BlockedCall)
    case finished(Statement, StepOutcome)
    /// The lab refused to run the line (a wrong argument type, a descriptor that is not the lab's).
    case refused(Statement, ScriptError)
    /// The lab made a blocked call return, and how.
    case interrupted(BlockedCall, how: String)
    /// A snapshot of the kernel's view of every socket of the session.
    case sampled(SessionSnapshot)
  }

  public var sequence: Int
  /// Nanoseconds since the session started.
  public var time: UInt64
  public var actor: String?
  /// Which submitted statement the event belongs to.
  public var ticket: Int?
  public var kind: Kind
}

/// One socket as the Sockets pane shows it.
public struct SocketRow: Sendable, Equatable {
  /// The actor that created the descriptor.
  public var actor: String
  public var snapshot: SocketSnapshot
  /// The kernel's TIME-WAIT twin of the descriptor's connection: the descriptor is still open,
  /// but the kernel has moved the connection to a small record of its own (TCP_INFO then says
  /// CLOSED), so the row shows both on one line.
  public var twin: KernelSocket?

  public init(actor: String, snapshot: SocketSnapshot, twin: KernelSocket? = nil) {
    self.actor = actor
    self.snapshot = snapshot
    self.twin = twin
  }
}

/// The kernel's view of a session at one moment.
public struct SessionSnapshot: Sendable, Equatable {
  public var sockets: [SocketRow]
  /// Connections the kernel still keeps after `close` (TIME-WAIT, FIN-WAIT-2, LAST-ACK).
  public var lingering: [KernelSocket]
  public var blocked: [BlockedCall]
  /// Connections the kernel has completed on a listening socket of the session, waiting for
  /// accept() (they have no descriptor yet).
  public var queued: [KernelSocket]
  /// Sockets of other programs connected to the session's ports: `nc 127.0.0.1 PORT`, say.
  public var outsidePeers: [KernelSocket]
  /// Rows left out because a flood of peers would not fit (at most `rowLimit` of each kind).
  public var omitted: Int

  public static let rowLimit = 32

  public init(
    sockets: [SocketRow] = [], lingering: [KernelSocket] = [], blocked: [BlockedCall] = [], queued: [KernelSocket] = [],
    outsidePeers: [KernelSocket] = [], omitted: Int = 0
  ) {
    self.sockets = sockets
    self.lingering = lingering
    self.blocked = blocked
    self.queued = queued
    self.outsidePeers = outsidePeers
    self.omitted = omitted
  }
}
