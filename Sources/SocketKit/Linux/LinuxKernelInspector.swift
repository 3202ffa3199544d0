import CShims

#if canImport(Glibc)
  import Glibc
#endif

/// Linux: TCP_INFO for the state, SIOCINQ/SIOCOUTQ for the queues, sock_diag netlink for
/// sockets no descriptor holds any more, `/proc/self/task/TID/wchan` for where a thread sleeps.
struct LinuxKernelInspector: KernelInspector {
  func tcpState(fd: Int32) -> TCPState? {
    let state = socklab_tcp_state(fd)
    return state < 0 ? nil : TCPState(rawValue: Int(state))
  }

  func pendingBytes(fd: Int32) -> Int? {
    let count = socklab_inq(fd)
    return count < 0 ? nil : Int(count)
  }

  func unsentBytes(fd: Int32) -> Int? {
    let count = socklab_outq(fd)
    return count < 0 ? nil : Int(count)
  }

  func snapshot(fd: Int32) -> SocketSnapshot {
    let flags = socklab_fcntl(fd, F_GETFL, 0)
    let isOpen = flags >= 0
    let type = intOption(fd, SOL_SOCKET, SO_TYPE)
    let local = SocketAPI.getsockname(fd: fd).1
    let peer = SocketAPI.getpeername(fd: fd).1
    let isTCP = type == Int32(SOCK_STREAM.rawValue)
    return SocketSnapshot(
      fd: fd, family: local?.family, type: type, local: local, peer: peer,
      tcpState: isTCP ? tcpState(fd: fd) : nil,
      receiveQueue: isOpen ? pendingBytes(fd: fd) : nil,
      sendQueue: isOpen ? unsentBytes(fd: fd) : nil,
      nonBlocking: isOpen && flags & O_NONBLOCK != 0,
      options: isOpen ? notableOptions(fd, family: local?.family, isTCP: isTCP) : [],
      isOpen: isOpen)
  }

  private func intOption(_ fd: Int32, _ level: Int32, _ option: Int32) -> Int32? {
    var value: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    return getsockopt(fd, level, option, &value, &length) == 0 ? value : nil
  }

  /// The options a learner sets on purpose, listed only when they are on.
  private func notableOptions(_ fd: Int32, family: Int32?, isTCP: Bool) -> [String] {
    var names: [String] = []
    let flags: [(String, Int32, Int32)] = [
      ("SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR), ("SO_REUSEPORT", SOL_SOCKET, SO_REUSEPORT),
      ("SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE), ("SO_BROADCAST", SOL_SOCKET, SO_BROADCAST),
    ]
    for (name, level, option) in flags where (intOption(fd, level, option) ?? 0) != 0 { names.append(name) }
    var lingerValue = linger()
    var length = socklen_t(MemoryLayout<linger>.size)
    if getsockopt(fd, SOL_SOCKET, SO_LINGER, &lingerValue, &length) == 0, lingerValue.l_onoff != 0 {
      names.append("SO_LINGER=\(lingerValue.l_linger)")
    }
    if isTCP {
      if (intOption(fd, 6, 1) ?? 0) != 0 { names.append("TCP_NODELAY") }
      if let queue = intOption(fd, 6, 23), queue != 0 { names.append("TCP_FASTOPEN=\(queue)") }
    }
    if family == AF_INET6, (intOption(fd, 41, 26) ?? 0) != 0 { names.append("IPV6_V6ONLY") }
    return names
  }

  func tcpSockets(onPort port: UInt16) -> [KernelSocket] {
    var found: [KernelSocket] = []
    for family in [AF_INET, AF_INET6] {
      var entries = [socklab_diag_entry](repeating: socklab_diag_entry(), count: 512)
      let count = socklab_diag_tcp_port(family, port, &entries, Int32(entries.count))
      guard count > 0 else { continue }
      found += entries.prefix(Int(count)).compactMap(Self.socket)
    }
    return found
  }

  func tcpSocket(local: SocketAddress, peer: SocketAddress) -> KernelSocket? {
    guard local.family == peer.family else { return nil }
    func raw(_ address: SocketAddress) -> [UInt8] { address.addressBytes + [UInt8](repeating: 0, count: 16 - address.addressBytes.count) }
    var entry = socklab_diag_entry()
    let count = socklab_diag_tcp_exact(local.family, raw(local), local.port, raw(peer), peer.port, &entry)
    return count == 1 ? Self.socket(entry) : nil
  }

  func acceptQueueLength(fd: Int32) -> Int? {
    let length = socklab_accept_queue(fd)
    return length < 0 ? nil : Int(length)
  }

  private static func socket(_ entry: socklab_diag_entry) -> KernelSocket? {
    guard let state = TCPState(rawValue: Int(entry.state)) else { return nil }
    return KernelSocket(
      state: state, local: address(family: entry.family, bytes: entry.src, port: entry.sport),
      peer: address(family: entry.family, bytes: entry.dst, port: entry.dport), inode: entry.inode,
      receiveQueue: Int(entry.rqueue), sendQueue: Int(entry.wqueue))
  }

  private static func address(
    family: Int32,
    bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8),
    port: UInt16
  ) -> SocketAddress {
    let array = withUnsafeBytes(of: bytes) { Array($0) }
    if family == AF_INET {
      let sAddr = array.withUnsafeBytes { $0.load(as: UInt32.self) }
      return .ipv4(sinAddr: sAddr, sinPort: ByteOrder.htons(port))
    }
    return .ipv6(bytes: array, sinPort: ByteOrder.htons(port))
  }

  func sleepingIn(threadID: Int32) -> String? {
    // The file of each thread is opened once, above the learners' descriptor numbers, and read
    // again from its start each time: the sampler asks often, and a descriptor it opened and
    // closed between two of a learner's calls could take a number the learner just freed.
    WchanFiles.shared.read(threadID: threadID)
  }

  func currentThreadID() -> Int32 { socklab_gettid() }

  func inode(fd: Int32) -> UInt32? {
    var info = stat()
    return fstat(fd, &info) == 0 ? UInt32(truncatingIfNeeded: info.st_ino) : nil
  }

  func isOpen(fd: Int32) -> Bool { socklab_fcntl(fd, F_GETFD, 0) >= 0 }

  func pause(milliseconds: Int32) { _ = Glibc.poll(nil, 0, milliseconds) }
}

/// The open `/proc/self/task/TID/wchan` files, by thread.
final class WchanFiles: @unchecked Sendable {
  static let shared = WchanFiles()
  private var lock = pthread_mutex_t()
  private var files: [Int32: Int32] = [:]
  private var order: [Int32] = []
  private let limit = 64

  private init() { pthread_mutex_init(&lock, nil) }

  func read(threadID: Int32) -> String? {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    for attempt in 0..<2 {
      guard let fd = file(for: threadID) else { return nil }
      var buffer = [UInt8](repeating: 0, count: 128)
      let count = pread(fd, &buffer, buffer.count, 0)
      if count > 0 {
        let name = String(decoding: buffer.prefix(count), as: UTF8.self)
        return name == "0" ? nil : name
      }
      // The thread ended (and its id may come back for another): open the file again, once.
      forget(threadID)
      if attempt == 1 { return nil }
    }
    return nil
  }

  private func file(for threadID: Int32) -> Int32? {
    if let fd = files[threadID] { return fd }
    let fd = socklab_private_fd(open("/proc/self/task/\(threadID)/wchan", O_RDONLY | O_CLOEXEC))
    guard fd >= 0 else { return nil }
    files[threadID] = fd
    order.append(threadID)
    if order.count > limit { forget(order[0]) }
    return fd
  }

  private func forget(_ threadID: Int32) {
    if let fd = files.removeValue(forKey: threadID) { Glibc.close(fd) }
    order.removeAll { $0 == threadID }
  }
}
