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

/// Every call of the language.
public enum CallCatalog {
  private static func spec(
    _ name: String, _ parameters: [String], arities: Set<Int>? = nil, out: [Int: OutParameter] = [:], _ summary: String
  ) -> CallSpec {
    spec(name, parameters, arities: arities, .system, out: out, summary)
  }

  private static func spec(
    _ name: String, _ parameters: [String], arities: Set<Int>? = nil, _ kind: CallKind,
    out: [Int: OutParameter] = [:], _ summary: String
  ) -> CallSpec {
    CallSpec(
      name: name, parameters: parameters, arities: arities ?? [parameters.count], kind: kind, outParameters: out,
      summary: summary)
  }

  public static let all: [CallSpec] = [
    spec("socket", ["domain", "type", "protocol"], "creates an endpoint and returns its descriptor"),
    spec("bind", ["fd", "addr", "addrlen"], "gives the socket its local address and port"),
    spec("listen", ["fd", "backlog"], "turns the socket into one that waits for connections"),
    spec(
      "accept", ["fd", "addr", "addrlen"], out: [1: .socketAddress, 2: .addressLength],
      "takes the next finished connection off the queue as a new descriptor; blocks while there is none"),
    spec(
      "accept4", ["fd", "addr", "addrlen", "flags"], out: [1: .socketAddress, 2: .addressLength],
      "accept with SOCK_NONBLOCK/SOCK_CLOEXEC set on the new descriptor"),
    spec("connect", ["fd", "addr", "addrlen"], "connects to a peer (TCP: the three-way handshake)"),
    spec("send", ["fd", "buf", "len", "flags"], "queues bytes to send on a connected socket"),
    spec(
      "recv", ["fd", "buf", "len", "flags"], out: [1: .buffer],
      "takes up to len received bytes; 0 means the peer will send no more"),
    spec("sendto", ["fd", "buf", "len", "flags", "dest_addr", "addrlen"], "sends one datagram to an address"),
    spec(
      "recvfrom", ["fd", "buf", "len", "flags", "src_addr", "addrlen"],
      out: [1: .buffer, 4: .socketAddress, 5: .addressLength], "receives one datagram and who sent it"),
    spec("shutdown", ["fd", "how"], "ends sending (SHUT_WR), receiving (SHUT_RD) or both"),
    spec("close", ["fd"], "releases the descriptor; the kernel finishes the connection"),
    spec(
      "getsockname", ["fd", "addr", "addrlen"], arities: [1, 3], out: [1: .socketAddress, 2: .addressLength],
      "the socket's own address and port"),
    spec(
      "getpeername", ["fd", "addr", "addrlen"], arities: [1, 3], out: [1: .socketAddress, 2: .addressLength],
      "the connected peer's address and port"),
    spec(
      "setsockopt", ["fd", "level", "optname", "optval", "optlen"], arities: [4, 5],
      "sets an option; the short form puts the value in place of the pointer"),
    spec(
      "getsockopt", ["fd", "level", "optname", "optval", "optlen"], arities: [3, 5], out: [3: .integer, 4: .addressLength],
      "reads an option's current value"),
    spec(
      "fcntl", ["fd", "cmd", "arg"], arities: [2, 3], "reads (F_GETFL) or sets (F_SETFL) descriptor flags such as O_NONBLOCK"),
    spec("poll", ["fds", "nfds", "timeout"], "waits until a descriptor is readable or writable, or the timeout in ms passes"),
    spec("inet_aton", ["cp", "inp"], out: [1: .inAddr], "parses dotted text into a struct in_addr; 1 if valid, 0 if not"),
    spec("inet_addr", ["cp"], "parses dotted text into an in_addr_t; INADDR_NONE if invalid (same as 255.255.255.255)"),
    spec("inet_ntoa", ["in"], "writes a struct in_addr as dotted text in a static buffer"),
    spec("inet_pton", ["af", "src", "dst"], out: [2: .ipAddress], "parses IPv4 or IPv6 text; 1 if valid, 0 if not"),
    spec(
      "inet_ntop", ["af", "src", "dst", "size"], arities: [2, 4], out: [2: .buffer], "writes an IPv4 or IPv6 address as text"),
    spec("htons", ["hostshort"], "16 bits from host to network byte order"),
    spec("htonl", ["hostlong"], "32 bits from host to network byte order"),
    spec("ntohs", ["netshort"], "16 bits from network to host byte order"),
    spec("ntohl", ["netlong"], "32 bits from network to host byte order"),
    spec(
      "getaddrinfo", ["node", "service", "hints", "res"], out: [3: .addressList],
      "turns a numeric host or localhost and a port into socket addresses"),
    spec("freeaddrinfo", ["res"], "frees the list getaddrinfo returned"),
    spec("strlen", ["s"], "the length of a string"),
    spec("BIO_socket", ["domain", "socktype", "protocol", "options"], "OpenSSL: create a socket; the descriptor, or -1"),
    spec("BIO_bind", ["sock", "addr", "options"], "OpenSSL: bind; 1 on success, 0 on failure"),
    spec(
      "BIO_listen", ["sock", "addr", "options"],
      "OpenSSL: set the BIO_SOCK_ options, bind and listen in one call; 1 on success, 0 on failure"),
    spec(
      "BIO_connect", ["sock", "addr", "options"],
      "OpenSSL: connect (start to, with BIO_SOCK_NONBLOCK); 1 on success, 0 on failure"),
    spec(
      "BIO_accept_ex", ["accept_sock", "peer", "options"], out: [1: .bioAddress],
      "OpenSSL: accept, with BIO_SOCK_NONBLOCK for the new socket; the descriptor, or -1"),
    spec("BIO_closesocket", ["sock"], "OpenSSL: close; 1 on success, 0 on failure"),
    spec("BIO_socket_nbio", ["sock", "mode"], "OpenSSL: non-blocking mode on (1) or off (0); 1 on success"),
    spec("socket_tcp6", [], "libowfat: a non-blocking IPv6 TCP socket that also takes IPv4 peers"),
    spec("socket_bind6", ["s", "ip", "port", "scope_id"], "libowfat: bind to a 16-byte address and a port in host order"),
    spec("socket_listen", ["s", "backlog"], "libowfat: listen"),
    spec(
      "socket_accept6", ["s", "ip", "port", "scope_id"], out: [1: .ip6, 2: .uint16, 3: .uint32],
      "libowfat: accept, writing the peer's address, port (host order) and scope id"),
    spec("socket_connect6", ["s", "ip", "port", "scope_id"], "libowfat: connect; -1 EINPROGRESS on a non-blocking socket"),
    spec("socket_connected", ["s"], "libowfat: 1 if the socket has a connected peer, 0 if not"),
    spec(
      "sockaddr_in", ["addr", "port"], arities: [0, 2], .builder, "a struct sockaddr_in: IPv4 address text and a port field"),
    spec(
      "sockaddr_in6", ["addr", "port", "scope_id"], arities: [0, 2, 3], .builder,
      "a struct sockaddr_in6: IPv6 address text, a port field and an optional scope id"),
    spec("buffer", ["size"], .builder, "a char array of size bytes for recv and recvfrom"),
    spec("memset", ["dest", "c", "n"], .builder, "fills a variable with zero bytes: memset(&addr, 0, sizeof addr)"),
    spec("linger", ["onoff", "seconds"], .builder, "a struct linger for SO_LINGER"),
    spec("pollfd", ["fd", "events"], .builder, "a struct pollfd for poll()"),
    spec("pollfds", ["pollfd", "..."], arities: Set(1...64), .builder, "an array of struct pollfd"),
    spec("in_addr", ["s_addr"], arities: [0, 1], .builder, "a struct in_addr"),
    spec(
      "bio_addr", ["family", "host", "port"], .builder,
      "a BIO_ADDR made with BIO_ADDR_rawmake: numeric host text and a port in network order"),
    spec("ip6", ["text"], .builder, "16 raw IPv6 address bytes from text, as libowfat's calls take them"),
    spec("addrinfo", ["family", "socktype", "flags"], arities: [0, 1, 2, 3], .builder, "hints for getaddrinfo"),
    spec("value", ["expr"], .builder, "shows what an expression or variable holds, so a line can check it: value(optval) = 1"),
    spec(
      "tcp_state", ["fd"], .kernelQuery,
      "the TCP state the kernel reports (TCP_INFO), or for a closed socket what sock_diag still shows"),
    spec(
      "wchan", ["fd"], .kernelQuery,
      "the kernel function in which a call blocked on this socket sleeps (/proc/self/task/TID/wchan)"),
    spec("pending", ["fd"], .kernelQuery, "bytes received and waiting to be read (SIOCINQ)"),
    spec("unsent", ["fd"], .kernelQuery, "bytes not yet sent or not yet acknowledged (SIOCOUTQ)"),
  ]

  private static let byName: [String: CallSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

  public static func spec(named name: String) -> CallSpec? { byName[name] }

  /// The closest known call name, for "did you mean …?".
  public static func suggestion(for name: String) -> String? { closest(to: name, in: all.map(\.name)) }
}
