/// What a call's out-parameter becomes when the script has not declared it yet.
public enum OutParameter: Sendable, Hashable {
  /// `struct sockaddr_storage` (accept's peer, recvfrom's sender, getsockname's result).
  case socketAddress
  /// `socklen_t`, initialised to the size of the address before it.
  case addressLength
  /// `char buf[1024]`
  case buffer
  /// `int`
  case integer
  /// `struct in_addr`
  case inAddr
  /// `struct in_addr` or `struct in6_addr`, by the call's family argument.
  case ipAddress
  /// `struct addrinfo *`
  case addressList
  /// `char ip[16]`: libowfat's raw IPv6 address.
  case ip6
  /// libowfat's `uint16` (a port in host order) and `uint32` (a scope id).
  case uint16, uint32
  /// OpenSSL's `BIO_ADDR *`.
  case bioAddress
}

/// What sort of thing a name of the call language stands for.
public enum CallKind: Sendable, Hashable {
  /// A real C library or system call, recorded in the log.
  case system
  /// Builds a value in the lab's memory (`sockaddr_in(...)`); C renders it as declarations.
  case builder
  /// Asks the kernel about a socket (`tcp_state`, `pending`) so a lesson can assert what it says.
  case kernelQuery
  /// Acts on the lab's wire, or asks what crossed it (`wire: drop next SYN`, `wire()`).
  case wire
}

/// One call the language knows: its parameters, how many it may be given, and what it does.
public struct CallSpec: Sendable, Hashable {
  public var name: String
  public var parameters: [String]
  public var arities: Set<Int>
  public var kind: CallKind
  public var outParameters: [Int: OutParameter]
  /// One line on what the call does, for hints and help.
  public var summary: String

  /// Whether the first argument names a socket (as in `bind(fd, ...)`, `BIO_listen(sock, ...)`).
  public var takesDescriptorFirst: Bool { ["fd", "s", "sock", "accept_sock"].contains(parameters.first ?? "") }

  /// `bind(fd, addr, addrlen)`
  public var signature: String { "\(name)(\(parameters.joined(separator: ", ")))" }
}

/// Every call of the language: the list of definitions in `Calls/`. Adding a call is adding its
/// definition file and its name here.
public enum CallCatalog {
  public static let definitions: [CallDefinition] = [
    .socket, .bind, .listen, .accept, .accept4, .connect, .send, .recv, .sendto, .recvfrom, .shutdown, .close,
    .getsockname, .getpeername, .setsockopt, .getsockopt, .fcntl, .poll, .inet_aton, .inet_addr, .inet_ntoa, .inet_pton,
    .inet_ntop, .htons, .htonl, .ntohs, .ntohl, .getaddrinfo, .freeaddrinfo, .strlen,
    .BIO_socket, .BIO_bind, .BIO_listen, .BIO_connect, .BIO_accept_ex, .BIO_closesocket, .BIO_socket_nbio,
    .socket_tcp6, .socket_bind6, .socket_listen, .socket_accept6, .socket_connect6, .socket_connected,
    .sockaddr_in, .sockaddr_in6, .buffer, .memset, .linger, .pollfd, .pollfds, .in_addr, .bio_addr, .ip6, .addrinfo, .value,
    .tcp_state, .wchan, .pending, .unsent, .wireCommand, .wire, .wire_count, .wire_gap,
  ]

  /// Every call's signature and summary.
  public static var all: [CallSpec] { definitions.map(\.spec) }

  private static let byName: [String: CallDefinition] = Dictionary(uniqueKeysWithValues: definitions.map { ($0.name, $0) })

  public static func definition(named name: String) -> CallDefinition? { byName[name] }

  /// The definition of the call `expr` makes at its top, if it is one.
  public static func definition(of expr: Expr?) -> CallDefinition? {
    guard case .call(let name, _, _)? = expr else { return nil }
    return byName[name]
  }

  public static func spec(named name: String) -> CallSpec? { byName[name]?.spec }

  /// The closest known call name, for "did you mean …?".
  public static func suggestion(for name: String) -> String? { closest(to: name, in: definitions.map(\.name)) }
}
