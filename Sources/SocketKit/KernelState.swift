/// A TCP connection's state as the kernel names it (RFC 793, with Linux's numbering).
public enum TCPState: Int, Sendable, CaseIterable, CustomStringConvertible {
  case established = 1, synSent, synReceived, finWait1, finWait2, timeWait, closed, closeWait, lastAck, listen, closing

  /// The constant C programs compare `tcpi_state` with (`<netinet/tcp.h>`): `TCP_LISTEN`.
  public var cName: String {
    let names = [
      "TCP_ESTABLISHED", "TCP_SYN_SENT", "TCP_SYN_RECV", "TCP_FIN_WAIT1", "TCP_FIN_WAIT2", "TCP_TIME_WAIT", "TCP_CLOSE",
      "TCP_CLOSE_WAIT", "TCP_LAST_ACK", "TCP_LISTEN", "TCP_CLOSING",
    ]
    return names[rawValue - 1]
  }

  /// The name `ss` and the lessons use: `FIN-WAIT-2`, `CLOSE-WAIT`.
  public var description: String {
    switch self {
    case .established: return "ESTABLISHED"
    case .synSent: return "SYN-SENT"
    case .synReceived: return "SYN-RECV"
    case .finWait1: return "FIN-WAIT-1"
    case .finWait2: return "FIN-WAIT-2"
    case .timeWait: return "TIME-WAIT"
    case .closed: return "CLOSED"
    case .closeWait: return "CLOSE-WAIT"
    case .lastAck: return "LAST-ACK"
    case .listen: return "LISTEN"
    case .closing: return "CLOSING"
    }
  }

  /// Reads a state name as written in a lesson; `_` and `-` are both accepted (`FIN_WAIT2` too).
  public init?(name: String) {
    let wanted = Self.normalise(name)
    guard let state = Self.allCases.first(where: { Self.normalise($0.description) == wanted }) else { return nil }
    self = state
  }

  private static func normalise(_ name: String) -> String {
    let upper = name.uppercased().filter { $0 != "-" && $0 != "_" }
    return upper == "SYNRECEIVED" ? "SYNRECV" : upper == "CLOSE" ? "CLOSED" : upper
  }
}

/// What the kernel says about one open socket right now.
public struct SocketSnapshot: Sendable, Equatable {
  public var fd: Int32
  public var family: Int32?
  public var type: Int32?
  public var local: SocketAddress?
  public var peer: SocketAddress?
  /// nil for sockets without TCP state (UDP).
  public var tcpState: TCPState?
  /// Bytes waiting to be read (SIOCINQ).
  public var receiveQueue: Int?
  /// Bytes sent but not yet acknowledged, or not yet sent (SIOCOUTQ).
  public var sendQueue: Int?
  public var nonBlocking: Bool
  /// Options that are set to something other than their default, by name: `SO_REUSEADDR`.
  public var options: [String]
  /// False once the descriptor is no longer open (closed behind the lab's back).
  public var isOpen: Bool
}

/// A TCP socket the kernel still keeps although no descriptor names it (TIME-WAIT, FIN-WAIT-2,
/// LAST-ACK after `close`), or any TCP socket on the session's ports, as `ss` shows them.
public struct KernelSocket: Sendable, Equatable {
  public var state: TCPState
  public var local: SocketAddress
  public var peer: SocketAddress
  public var inode: UInt32
  public var receiveQueue: Int
  public var sendQueue: Int
}

/// The platform seam: everything SocketLab reads about sockets that the portable API cannot tell.
/// Linux reads TCP_INFO, SIOCINQ/SIOCOUTQ, sock_diag netlink and /proc; another platform is
/// another conformance, not a rewrite.
public protocol KernelInspector: Sendable {
  /// The TCP state of an open socket, nil if it has none.
  func tcpState(fd: Int32) -> TCPState?
  /// Bytes waiting to be read, nil if the kernel will not say.
  func pendingBytes(fd: Int32) -> Int?
  /// Bytes waiting to be sent or acknowledged.
  func unsentBytes(fd: Int32) -> Int?
  /// Everything about one open socket.
  func snapshot(fd: Int32) -> SocketSnapshot
  /// TCP sockets the kernel knows whose local or remote port is `port`. The kernel walks its
  /// whole table for this, so it costs more the more sockets the host has: ask only when there
  /// is something to look for that has no known address.
  func tcpSockets(onPort port: UInt16) -> [KernelSocket]
  /// The one TCP socket with exactly these addresses (a connection whose descriptor is gone, or
  /// the far end of one), found by the kernel's hash lookup at a cost that does not grow with
  /// the host's other sockets.
  func tcpSocket(local: SocketAddress, peer: SocketAddress) -> KernelSocket?
  /// How many finished connections wait in a listening socket's accept queue.
  func acceptQueueLength(fd: Int32) -> Int?
  /// The kernel function a thread is sleeping in (`inet_csk_accept`), nil when it is running.
  func sleepingIn(threadID: Int32) -> String?
  /// The calling thread's id, as `sleepingIn` wants it.
  func currentThreadID() -> Int32
  /// The inode number of the socket behind `fd`, to tell this process's sockets from others'
  /// in the kernel's tables.
  func inode(fd: Int32) -> UInt32?
  /// True when `fd` names an open file of this process (of any kind).
  func isOpen(fd: Int32) -> Bool
  /// Waits a little without spinning, while a state is awaited.
  func pause(milliseconds: Int32)
}

/// The inspector for the platform SocketLab was built on.
public enum Kernel {
  public static let current: any KernelInspector = LinuxKernelInspector()
}
