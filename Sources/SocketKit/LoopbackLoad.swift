#if canImport(Glibc)
  import Glibc
#endif

/// Unrelated TCP connections on loopback, for benchmarks: `pairs` connections to a listener of
/// their own (two sockets each), all closed again by `close()`. Bounded by construction and never
/// beyond 127.0.0.1.
public final class LoopbackLoad {
  private var descriptors: [Int32] = []

  /// How many sockets the load holds open.
  public var socketCount: Int { descriptors.count }

  public init(pairs: Int) {
    var limit = rlimit()
    getrlimit(RLIMIT_NOFILE_VALUE, &limit)
    let wanted = rlim_t(2 * pairs + 256)
    if limit.rlim_cur < wanted {
      limit.rlim_cur = min(wanted, limit.rlim_max)
      setrlimit(RLIMIT_NOFILE_VALUE, &limit)
    }
    let listener = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listener >= 0 else { return }
    defer { Glibc.close(listener) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = ByteOrder.htonl(0x7f00_0001)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ready = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
        Glibc.bind(listener, raw, length) == 0 && Glibc.listen(listener, 4096) == 0 && getsockname(listener, raw, &length) == 0
      }
    }
    guard ready else { return }
    for _ in 0..<pairs {
      let client = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      guard client >= 0 else { break }
      let connected = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(client, $0, length) == 0 }
      }
      let server = connected ? Glibc.accept(listener, nil, nil) : -1
      descriptors.append(client)
      guard server >= 0 else { break }
      descriptors.append(server)
    }
  }

  /// Closes every socket of the load, with a reset (SO_LINGER {1, 0}), so that the load leaves
  /// no TIME-WAIT behind.
  public func close() {
    var abort = linger(l_onoff: 1, l_linger: 0)
    for fd in descriptors {
      _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, socklen_t(MemoryLayout<linger>.size))
      Glibc.close(fd)
    }
    descriptors = []
  }

  deinit { close() }
}

private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
