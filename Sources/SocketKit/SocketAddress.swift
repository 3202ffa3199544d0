#if canImport(Glibc)
  import Glibc
#endif

/// An IPv4 or IPv6 socket address exactly as it lies in memory: a `sockaddr_in` or `sockaddr_in6`.
///
/// The fields hold what C would hold, so a port stored without `htons` stays wrong here too, and
/// the address pane can show why.
public enum SocketAddress: Sendable, Equatable, CustomStringConvertible {
  case ipv4(sockaddr_in)
  case ipv6(sockaddr_in6)

  // MARK: - Building

  /// A zeroed `struct sockaddr_in` with `sin_family = AF_INET`.
  public static func emptyIPv4() -> SocketAddress {
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    return .ipv4(sin)
  }

  /// A zeroed `struct sockaddr_in6` with `sin6_family = AF_INET6`.
  public static func emptyIPv6() -> SocketAddress {
    var sin6 = sockaddr_in6()
    sin6.sin6_family = sa_family_t(AF_INET6)
    return .ipv6(sin6)
  }

  /// IPv4 from the raw field values: `sinAddr` and `sinPort` are the integers as stored in memory
  /// (network order when the program used `htonl`/`htons` as it should).
  public static func ipv4(sinAddr: UInt32, sinPort: UInt16) -> SocketAddress {
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = sinPort
    sin.sin_addr.s_addr = sinAddr
    return .ipv4(sin)
  }

  /// IPv6 from its 16 address bytes and the raw `sin6_port` field.
  public static func ipv6(bytes: [UInt8], sinPort: UInt16, scopeID: UInt32 = 0, flowInfo: UInt32 = 0) -> SocketAddress {
    var sin6 = sockaddr_in6()
    sin6.sin6_family = sa_family_t(AF_INET6)
    sin6.sin6_port = sinPort
    sin6.sin6_scope_id = scopeID
    sin6.sin6_flowinfo = flowInfo
    withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
      for (i, byte) in bytes.prefix(16).enumerated() { raw[i] = byte }
    }
    return .ipv6(sin6)
  }

  /// Reads what the kernel wrote into a `sockaddr_storage`; nil for a family the lab does not show.
  public init?(storage: sockaddr_storage) {
    var copy = storage
    switch Int32(storage.ss_family) {
    case AF_INET:
      self = withUnsafeBytes(of: &copy) { .ipv4($0.load(as: sockaddr_in.self)) }
    case AF_INET6:
      self = withUnsafeBytes(of: &copy) { .ipv6($0.load(as: sockaddr_in6.self)) }
    default:
      return nil
    }
  }

  // MARK: - Fields

  public var family: Int32 { if case .ipv4 = self { return AF_INET } else { return AF_INET6 } }

  /// `sizeof` of the C structure: 16 for `sockaddr_in`, 28 for `sockaddr_in6`.
  public var size: Int {
    switch self {
    case .ipv4: return MemoryLayout<sockaddr_in>.size
    case .ipv6: return MemoryLayout<sockaddr_in6>.size
    }
  }

  /// The port field as stored in memory (network order if `htons` was used).
  public var sinPort: UInt16 {
    get {
      switch self {
      case .ipv4(let sin): return sin.sin_port
      case .ipv6(let sin6): return sin6.sin6_port
      }
    }
    set {
      switch self {
      case .ipv4(var sin): sin.sin_port = newValue; self = .ipv4(sin)
      case .ipv6(var sin6): sin6.sin6_port = newValue; self = .ipv6(sin6)
      }
    }
  }

  /// The port a peer on the network sees: the field read in network order.
  public var port: UInt16 { ByteOrder.ntohs(sinPort) }

  /// The 4 or 16 bytes of the IP address, in network order.
  public var addressBytes: [UInt8] {
    switch self {
    case .ipv4(var sin): return withUnsafeBytes(of: &sin.sin_addr) { Array($0) }
    case .ipv6(var sin6): return withUnsafeBytes(of: &sin6.sin6_addr) { Array($0) }
    }
  }

  public var scopeID: UInt32 {
    if case .ipv6(let sin6) = self { return sin6.sin6_scope_id }
    return 0
  }

  /// The address as text, the way `inet_ntop` writes it: `127.0.0.1`, `::1`, `::ffff:127.0.0.1`.
  public var host: String { Self.presentation(family: family, bytes: addressBytes) ?? "?" }

  /// True for addresses that never leave this machine: 127.0.0.0/8, ::1, ::ffff:127.x.y.z, and the
  /// unspecified address, which the kernel takes to mean this host.
  public var isLocal: Bool {
    let bytes = addressBytes
    switch self {
    case .ipv4: return bytes[0] == 127 || bytes == [0, 0, 0, 0]
    case .ipv6:
      if bytes == [UInt8](repeating: 0, count: 15) + [1] || bytes == [UInt8](repeating: 0, count: 16) { return true }
      let mapped = [UInt8](repeating: 0, count: 10) + [0xff, 0xff]
      return Array(bytes.prefix(12)) == mapped && bytes[12] == 127
    }
  }

  /// True only for loopback addresses (127.0.0.0/8, ::1, ::ffff:127.x.y.z): a socket listening
  /// there cannot be reached from another machine.
  public var isLoopback: Bool {
    let bytes = addressBytes
    switch self {
    case .ipv4: return bytes[0] == 127
    case .ipv6:
      if bytes == [UInt8](repeating: 0, count: 15) + [1] { return true }
      return Array(bytes.prefix(12)) == [UInt8](repeating: 0, count: 10) + [0xff, 0xff] && bytes[12] == 127
    }
  }

  /// `{AF_INET, 127.0.0.1:40123}` or `{AF_INET6, [::1]:40123}`.
  public var description: String {
    switch self {
    case .ipv4: return "{AF_INET, \(host):\(port)}"
    case .ipv6:
      let scope = scopeID == 0 ? "" : "%\(scopeID)"
      return "{AF_INET6, [\(host)\(scope)]:\(port)}"
    }
  }

  /// `127.0.0.1:40123` or `[::1]:40123`.
  public var endpoint: String {
    switch self {
    case .ipv4: return "\(host):\(port)"
    case .ipv6: return "[\(host)\(scopeID == 0 ? "" : "%\(scopeID)")]:\(port)"
    }
  }

  // MARK: - Memory

  /// Calls `body` with a `struct sockaddr *` to this address and its size, for the C calls.
  public func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    switch self {
    case .ipv4(var sin):
      return withUnsafePointer(to: &sin) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
      }
    case .ipv6(var sin6):
      return withUnsafePointer(to: &sin6) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
      }
    }
  }

  /// Calls `body` with the address at the start of a zeroed `struct sockaddr_storage` (128
  /// bytes): whatever length a script passes with it, the kernel reads zeros past the address,
  /// never the lab's memory, and answers EINVAL beyond the storage's size.
  public func withStorage<R>(_ body: (UnsafePointer<sockaddr>) -> R) -> R {
    var storage = sockaddr_storage()
    withUnsafeMutableBytes(of: &storage) { target in
      withSockaddr { pointer, length in
        target.copyMemory(from: UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: Int(length)))
      }
    }
    return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0) } }
  }

  /// The whole structure's bytes as they lie in memory.
  public var memory: [UInt8] {
    withSockaddr { pointer, length in
      Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: Int(length)))
    }
  }

  /// One field of the structure in memory, for the byte-order pane.
  public struct Field: Sendable, Equatable {
    public var name: String
    public var offset: Int
    public var bytes: [UInt8]
    /// What the bytes mean: `AF_INET (2)`, `8080 (network order; 36895 if read in host order)`.
    public var meaning: String
  }

  /// The structure field by field: family, port, address, and `sin_zero` or the IPv6 extras.
  public var fields: [Field] {
    let bytes = memory
    func slice(_ from: Int, _ count: Int) -> [UInt8] { Array(bytes[from..<(from + count)]) }
    let hostOrderPort = sinPort  // what a program forgetting ntohs would print
    let portMeaning = "\(port) in network order (read in host order: \(hostOrderPort))"
    switch self {
    case .ipv4:
      return [
        Field(
          name: "sin_family", offset: 0, bytes: slice(0, 2),
          meaning: "\(SocketConstants.name(Int(family), .family)) (\(family)), host order"),
        Field(name: "sin_port", offset: 2, bytes: slice(2, 2), meaning: portMeaning),
        Field(name: "sin_addr", offset: 4, bytes: slice(4, 4), meaning: host),
        Field(name: "sin_zero", offset: 8, bytes: slice(8, 8), meaning: "padding, must be zero"),
      ]
    case .ipv6:
      return [
        Field(name: "sin6_family", offset: 0, bytes: slice(0, 2), meaning: "AF_INET6 (\(family)), host order"),
        Field(name: "sin6_port", offset: 2, bytes: slice(2, 2), meaning: portMeaning),
        Field(name: "sin6_flowinfo", offset: 4, bytes: slice(4, 4), meaning: "flow label"),
        Field(name: "sin6_addr", offset: 8, bytes: slice(8, 16), meaning: host),
        Field(name: "sin6_scope_id", offset: 24, bytes: slice(24, 4), meaning: "interface index \(scopeID), host order"),
      ]
    }
  }

  // MARK: - Text

  /// Parses an address literal (`inet_pton`): `127.0.0.1` or `::1`; nil when it is not one.
  public static func parseHost(_ text: String, family: Int32) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: 16)
    let ok = buffer.withUnsafeMutableBytes { inet_pton(family, text, $0.baseAddress) }
    guard ok == 1 else { return nil }
    return Array(buffer.prefix(family == AF_INET ? 4 : 16))
  }

  /// Writes address bytes as text (`inet_ntop`).
  public static func presentation(family: Int32, bytes: [UInt8]) -> String? {
    var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    let written = bytes.withUnsafeBytes { raw in
      inet_ntop(family, raw.baseAddress, &out, socklen_t(out.count))
    }
    guard written != nil else { return nil }
    return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

extension sockaddr_in: @retroactive Equatable {
  public static func == (a: sockaddr_in, b: sockaddr_in) -> Bool {
    a.sin_family == b.sin_family && a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr
  }
}

extension sockaddr_in6: @retroactive Equatable {
  public static func == (a: sockaddr_in6, b: sockaddr_in6) -> Bool {
    SocketAddress.ipv6(a).memory == SocketAddress.ipv6(b).memory
  }
}
