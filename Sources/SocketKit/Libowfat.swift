import CShims

#if canImport(Glibc)
  import Glibc
#endif

/// libowfat's IPv6 socket calls, reimplemented on the system calls with the same signatures,
/// return conventions and semantics (libowfat itself is GPL-2.0-only, so it is not linked).
/// Ports are in host order and addresses are 16 raw bytes, as libowfat takes them.
public enum Libowfat {
  /// libowfat's `V6loopback`: ::1.
  public static let loopback: [UInt8] = [UInt8](repeating: 0, count: 15) + [1]
  /// libowfat's `V6any`: ::.
  public static let any: [UInt8] = [UInt8](repeating: 0, count: 16)

  private static func show(_ ip: [UInt8]) -> String { SocketAddress.presentation(family: AF_INET6, bytes: ip) ?? "?" }

  private static func address(_ ip: [UInt8], _ port: UInt16, _ scopeID: UInt32) -> SocketAddress {
    .ipv6(bytes: ip, sinPort: ByteOrder.htons(port), scopeID: scopeID)
  }

  /// Creates a non-blocking IPv6 TCP socket that also accepts IPv4 peers (as v4-mapped
  /// addresses). The corresponding libowfat function is `socket_tcp6`.
  public static func socket_tcp6() -> CallRecord {
    let raw = measure { () -> Int32 in
      let fd = Glibc.socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 6)
      guard fd >= 0 else { return fd }
      var zero: Int32 = 0
      _ = Glibc.setsockopt(fd, 41, 26, &zero, socklen_t(MemoryLayout<Int32>.size))  // IPV6_V6ONLY off
      if socklab_fcntl(fd, F_SETFL, socklab_fcntl(fd, F_GETFL, 0) | O_NONBLOCK) < 0 {
        let saved = Glibc.errno
        Glibc.close(fd)
        Glibc.errno = saved
        return -1
      }
      return fd
    }
    return record("socket_tcp6", "", raw)
  }

  /// Binds to `ip` and `port` (host order). The corresponding libowfat function is `socket_bind6`.
  public static func socket_bind6(fd: Int32, ip: [UInt8], port: UInt16, scopeID: UInt32) -> CallRecord {
    let raw = address(ip, port, scopeID).withSockaddr { pointer, length in measure { Glibc.bind(fd, pointer, length) } }
    return record("socket_bind6", "\(fd), \(show(ip)), \(port), \(scopeID)", raw)
  }

  /// Starts listening. The corresponding libowfat function is `socket_listen`.
  public static func socket_listen(fd: Int32, backlog: UInt32) -> CallRecord {
    record("socket_listen", "\(fd), \(backlog)", measure { Glibc.listen(fd, Int32(clamping: backlog)) })
  }

  /// Accepts a connection and reports the peer's 16-byte address, port (host order) and scope id.
  /// The corresponding libowfat function is `socket_accept6`.
  public static func socket_accept6(fd: Int32) -> (CallRecord, ip: [UInt8], port: UInt16, scopeID: UInt32) {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let raw = withUnsafeMutablePointer(to: &storage) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in measure { Glibc.accept(fd, sa, &length) } }
    }
    var ip = any
    var port: UInt16 = 0
    var scope: UInt32 = 0
    if raw.succeeded, let peer = SocketAddress(storage: storage) {
      switch peer {
      case .ipv4:  // an IPv4 peer on an IPv6 socket is shown v4-mapped, as libowfat does
        ip = [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + peer.addressBytes
      case .ipv6:
        ip = peer.addressBytes
        scope = peer.scopeID
      }
      port = peer.port
    }
    let args = raw.succeeded ? "\(fd), [\(show(ip))], [\(port)], [\(scope)]" : "\(fd), ip, &port, &scope_id"
    return (record("socket_accept6", args, raw), ip, port, scope)
  }

  /// Connects to `ip` and `port` (host order): 0 when connected, -1 EINPROGRESS while a
  /// non-blocking connection is under way. Without a prior bind this binds to :: port 0.
  /// The corresponding libowfat function is `socket_connect6`.
  public static func socket_connect6(fd: Int32, ip: [UInt8], port: UInt16, scopeID: UInt32) -> CallRecord {
    let raw = address(ip, port, scopeID).withSockaddr { pointer, length in measure { Glibc.connect(fd, pointer, length) } }
    return record("socket_connect6", "\(fd), \(show(ip)), \(port), \(scopeID)", raw)
  }

  /// 1 when the socket has a connected peer, 0 otherwise. The corresponding libowfat function is
  /// `socket_connected`.
  public static func socket_connected(fd: Int32) -> CallRecord {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let raw = withUnsafeMutablePointer(to: &storage) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in measure { Glibc.getpeername(fd, sa, &length) } }
    }
    return CallRecord(
      function: "socket_connected", call: "socket_connected(\(fd))", result: .int(raw.succeeded ? 1 : 0), error: nil,
      nanoseconds: raw.nanoseconds)
  }
}
