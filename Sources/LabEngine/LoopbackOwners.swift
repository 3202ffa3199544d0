import LabScript
import SocketKit
import Synchronization
import WireKit

#if canImport(Glibc)
  import Glibc
#endif

/// On a host the actors share, every segment goes from 127.0.0.1 to 127.0.0.1: only the ports
/// say whose it is. This names the actor at each end by asking which of the session's sockets
/// holds the port, at the moment the segment crosses (a client's port is bound before its SYN
/// leaves, so even connect()'s first segment is known). A port no socket of the session holds is
/// named as such: "port 7011", where nothing listens, or a program that joined the host.
final class LoopbackOwners: @unchecked Sendable {
  private let environment: Environment
  /// Ports seen held before, by protocol and port, with the descriptor that held them: asked
  /// first, so that a busy connection costs one getsockname() a segment, not one per socket. A
  /// closed socket's connection still sends (the last ACK of TIME-WAIT) after its descriptor
  /// is gone: its owner is remembered.
  private let known = Mutex<[Key: (fd: Int32, owner: String)]>([:])

  private struct Key: Hashable {
    var tcp: Bool
    var port: UInt16
  }

  init(environment: Environment) { self.environment = environment }

  func ends(of packet: Packet) -> (from: String, to: String) {
    switch packet.transport {
    case .tcp(let tcp): (name(tcp: true, tcp.sourcePort), name(tcp: true, tcp.destinationPort))
    case .udp(let udp): (name(tcp: false, udp.sourcePort), name(tcp: false, udp.destinationPort))
    case .icmp(let icmp):
      // The kernel answers for the port the datagram was sent to, back to its sender.
      (
        icmp.quotedDestinationPort.map { name(tcp: icmp.quotedProtocol == 6, $0) } ?? "kernel",
        icmp.quotedSourcePort.map { name(tcp: icmp.quotedProtocol == 6, $0) } ?? "kernel"
      )
    case .other: ("?", "?")
    }
  }

  private func name(tcp: Bool, _ port: UInt16) -> String {
    let key = Key(tcp: tcp, port: port)
    let remembered = known.withLock { $0[key] }
    if let remembered, holds(remembered.fd, tcp: tcp, port: port) == remembered.owner { return remembered.owner }
    for fd in environment.openDescriptors.sorted() {
      guard let owner = holds(fd, tcp: tcp, port: port) else { continue }
      known.withLock { $0[key] = (fd, owner) }
      return owner
    }
    return remembered?.owner ?? "port \(port)"
  }

  /// The actor whose open socket `fd` is bound to `port` for that protocol, if it is.
  private func holds(_ fd: Int32, tcp: Bool, port: UInt16) -> String? {
    guard environment.owns(fd), let local = SocketAPI.getsockname(fd: fd).1, local.port == port, isTCP(fd) == tcp else { return nil }
    return environment.owner(of: fd)
  }

  private func isTCP(_ fd: Int32) -> Bool {
    var type: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == Int32(SOCK_STREAM.rawValue)
  }
}
