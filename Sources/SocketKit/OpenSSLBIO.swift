import CLibcrypto

#if canImport(Glibc)
  import Glibc
#endif

/// OpenSSL's BIO socket routines, called for real through libcrypto. They return 1 for success
/// and 0 for failure (except `BIO_socket` and `BIO_accept_ex`, which return a descriptor or -1),
/// and leave errno as the system call underneath set it.
public enum OpenSSLBIO {
  /// The option bits `BIO_listen`, `BIO_connect` and `BIO_accept_ex` take, by name.
  public static let options: [(String, Int32)] = {
    var list: [(String, Int32)] = [
      ("BIO_SOCK_REUSEADDR", socklab_bio_sock_reuseaddr()), ("BIO_SOCK_V6_ONLY", socklab_bio_sock_v6_only()),
      ("BIO_SOCK_KEEPALIVE", socklab_bio_sock_keepalive()), ("BIO_SOCK_NONBLOCK", socklab_bio_sock_nonblock()),
      ("BIO_SOCK_NODELAY", socklab_bio_sock_nodelay()),
    ]
    if socklab_bio_sock_tfo() != 0 { list.append(("BIO_SOCK_TFO", socklab_bio_sock_tfo())) }
    return list
  }()

  /// Whether this libcrypto knows BIO_SOCK_TFO (OpenSSL 3.2 and later).
  public static var hasFastOpen: Bool { socklab_bio_sock_tfo() != 0 }

  /// "OpenSSL 3.0.19 ..."
  public static var version: String { String(cString: socklab_openssl_version()) }

  static func optionText(_ value: Int32) -> String {
    if value == 0 { return "0" }
    var names: [String] = []
    var rest = value
    for (name, bit) in options where rest & bit != 0 {
      names.append(name)
      rest &= ~bit
    }
    if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
    return names.joined(separator: "|")
  }

  /// A BIO_ADDR made from a socket address with `BIO_ADDR_rawmake` (port in network order).
  private static func withBIOAddress<R>(_ address: SocketAddress, _ body: (OpaquePointer) -> R) -> R {
    let bio = BIO_ADDR_new()!
    defer { BIO_ADDR_free(bio) }
    var bytes = address.addressBytes
    _ = BIO_ADDR_rawmake(bio, address.family, &bytes, bytes.count, address.sinPort)
    return body(bio)
  }

  /// For the 1-on-success calls: a failure is 0, and errno says why.
  private static func oneOrZero(_ function: String, _ arguments: String, _ body: () -> Int32) -> CallRecord {
    let start = MonotonicClock.nanoseconds()
    Glibc.errno = 0
    let value = body()
    let saved = Glibc.errno
    return CallRecord(
      function: function, call: "\(function)(\(arguments))", result: .int(Int(value)),
      error: value == 1 ? nil : SystemError(errno: saved == 0 ? EINVAL : saved), nanoseconds: MonotonicClock.nanoseconds() - start
    )
  }

  /// Creates a socket. The corresponding OpenSSL function is `BIO_socket`.
  public static func socket(domain: Int32, type: Int32, protocol proto: Int32, options: Int32) -> CallRecord {
    let raw = measure { BIO_socket(domain, type, proto, options) }
    let args =
      "\(SocketConstants.name(Int(domain), .family)), \(SocketConstants.socketType(Int(type))), \(proto == 0 ? "0" : SocketConstants.name(Int(proto), .networkProtocol)), \(optionText(options))"
    return record("BIO_socket", args, raw)
  }

  /// Binds. The corresponding OpenSSL function is `BIO_bind`.
  public static func bind(fd: Int32, address: SocketAddress, options: Int32) -> CallRecord {
    oneOrZero("BIO_bind", "\(fd), \(address), \(optionText(options))") { withBIOAddress(address) { BIO_bind(fd, $0, options) } }
  }

  /// Sets the options, binds and listens in one call. The corresponding OpenSSL function is
  /// `BIO_listen`.
  public static func listen(fd: Int32, address: SocketAddress, options: Int32) -> CallRecord {
    oneOrZero("BIO_listen", "\(fd), \(address), \(optionText(options))") {
      withBIOAddress(address) { BIO_listen(fd, $0, options) }
    }
  }

  /// Connects (with BIO_SOCK_NONBLOCK, only starts to). The corresponding OpenSSL function is
  /// `BIO_connect`.
  public static func connect(fd: Int32, address: SocketAddress, options: Int32) -> CallRecord {
    oneOrZero("BIO_connect", "\(fd), \(address), \(optionText(options))") {
      withBIOAddress(address) { BIO_connect(fd, $0, options) }
    }
  }

  /// Accepts a connection, the new descriptor getting `options` (BIO_SOCK_NONBLOCK). The
  /// corresponding OpenSSL function is `BIO_accept_ex`.
  public static func accept(fd: Int32, wantPeer: Bool, options: Int32) -> (CallRecord, SocketAddress?) {
    let peer = BIO_ADDR_new()!
    defer { BIO_ADDR_free(peer) }
    let raw = measure { BIO_accept_ex(fd, wantPeer ? peer : nil, options) }
    var address: SocketAddress?
    if raw.succeeded && wantPeer {
      var length = 0
      _ = BIO_ADDR_rawaddress(peer, nil, &length)
      var bytes = [UInt8](repeating: 0, count: max(length, 1))
      _ = BIO_ADDR_rawaddress(peer, &bytes, &length)
      let port = BIO_ADDR_rawport(peer)
      address =
        BIO_ADDR_family(peer) == AF_INET6
        ? .ipv6(bytes: bytes, sinPort: port) : .ipv4(sinAddr: bytes.withUnsafeBytes { $0.load(as: UInt32.self) }, sinPort: port)
    }
    let shown = wantPeer ? (address.map(String.init(describing:)) ?? "peer") : "NULL"
    return (record("BIO_accept_ex", "\(fd), \(shown), \(optionText(options))", raw), address)
  }

  /// Closes. The corresponding OpenSSL function is `BIO_closesocket`.
  public static func closesocket(fd: Int32) -> CallRecord {
    oneOrZero("BIO_closesocket", "\(fd)") { BIO_closesocket(fd) }
  }

  /// Turns non-blocking mode on (1) or off (0). The corresponding OpenSSL function is
  /// `BIO_socket_nbio`.
  public static func socketNbio(fd: Int32, on: Bool) -> CallRecord {
    oneOrZero("BIO_socket_nbio", "\(fd), \(on ? 1 : 0)") { BIO_socket_nbio(fd, on ? 1 : 0) }
  }
}
