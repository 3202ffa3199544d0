#if canImport(Glibc)
  import Glibc
#endif

/// The named constants of the sockets API, grouped by what they name, so that a call's actual
/// arguments can be shown by name (`AF_INET`, not `2`) and the call language can look names up.
public enum ConstantKind: String, Sendable, CaseIterable {
  case family, socketType, socketFlag, networkProtocol, level, socketOption, tcpOption, ipv6Option
  case shutdown, messageFlag, fcntlCommand, fileFlag, pollEvent, address, addrinfoFlag, bioOption, misc
}

public struct NamedConstant: Sendable, Hashable {
  public var name: String
  public var value: Int
  public var kind: ConstantKind
}

public enum SocketConstants {
  private static func c(_ name: String, _ value: some BinaryInteger, _ kind: ConstantKind) -> NamedConstant {
    NamedConstant(name: name, value: Int(value), kind: kind)
  }

  /// Every constant the lab knows, in the order names are preferred when formatting.
  public static let all: [NamedConstant] =
    [
      c("AF_INET", AF_INET, .family),
      c("AF_INET6", AF_INET6, .family),
      c("AF_UNSPEC", AF_UNSPEC, .family),
      c("AF_UNIX", AF_UNIX, .family),
      c("PF_INET", PF_INET, .misc),
      c("PF_INET6", PF_INET6, .misc),
      c("SOCK_STREAM", SOCK_STREAM.rawValue, .socketType),
      c("SOCK_DGRAM", SOCK_DGRAM.rawValue, .socketType),
      c("SOCK_RAW", SOCK_RAW.rawValue, .socketType),
      c("SOCK_NONBLOCK", SOCK_NONBLOCK.rawValue, .socketFlag),
      c("SOCK_CLOEXEC", SOCK_CLOEXEC.rawValue, .socketFlag),
      c("IPPROTO_IP", 0, .networkProtocol),
      c("IPPROTO_TCP", 6, .networkProtocol),
      c("IPPROTO_UDP", 17, .networkProtocol),
      c("IPPROTO_IPV6", 41, .networkProtocol),
      c("SOL_SOCKET", SOL_SOCKET, .level),
      c("SO_REUSEADDR", SO_REUSEADDR, .socketOption),
      c("SO_REUSEPORT", SO_REUSEPORT, .socketOption),
      c("SO_KEEPALIVE", SO_KEEPALIVE, .socketOption),
      c("SO_LINGER", SO_LINGER, .socketOption),
      c("SO_RCVBUF", SO_RCVBUF, .socketOption),
      c("SO_SNDBUF", SO_SNDBUF, .socketOption),
      c("SO_ERROR", SO_ERROR, .socketOption),
      c("SO_TYPE", SO_TYPE, .socketOption),
      c("SO_ACCEPTCONN", SO_ACCEPTCONN, .socketOption),
      c("SO_BROADCAST", SO_BROADCAST, .socketOption),
      c("SO_RCVLOWAT", SO_RCVLOWAT, .socketOption),
      c("TCP_NODELAY", 1, .tcpOption),
      c("TCP_MAXSEG", 2, .tcpOption),
      c("TCP_KEEPIDLE", 4, .tcpOption),
      c("TCP_KEEPINTVL", 5, .tcpOption),
      c("TCP_KEEPCNT", 6, .tcpOption),
      c("TCP_INFO", 11, .tcpOption),
      c("TCP_FASTOPEN", 23, .tcpOption),
      c("IPV6_V6ONLY", 26, .ipv6Option),
      c("SHUT_RD", SHUT_RD, .shutdown),
      c("SHUT_WR", SHUT_WR, .shutdown),
      c("SHUT_RDWR", SHUT_RDWR, .shutdown),
      c("MSG_PEEK", MSG_PEEK, .messageFlag),
      c("MSG_DONTWAIT", MSG_DONTWAIT, .messageFlag),
      c("MSG_WAITALL", MSG_WAITALL, .messageFlag),
      c("MSG_NOSIGNAL", MSG_NOSIGNAL, .messageFlag),
      c("MSG_OOB", MSG_OOB, .messageFlag),
      c("MSG_TRUNC", MSG_TRUNC, .messageFlag),
      c("F_GETFL", F_GETFL, .fcntlCommand),
      c("F_SETFL", F_SETFL, .fcntlCommand),
      c("F_GETFD", F_GETFD, .fcntlCommand),
      c("F_SETFD", F_SETFD, .fcntlCommand),
      c("O_NONBLOCK", O_NONBLOCK, .fileFlag),
      c("O_RDWR", O_RDWR, .fileFlag),
      c("FD_CLOEXEC", FD_CLOEXEC, .misc),
      c("POLLIN", POLLIN, .pollEvent),
      c("POLLOUT", POLLOUT, .pollEvent),
      c("POLLERR", POLLERR, .pollEvent),
      c("POLLHUP", POLLHUP, .pollEvent),
      c("POLLNVAL", POLLNVAL, .pollEvent),
      c("POLLPRI", POLLPRI, .pollEvent),
      c("POLLRDHUP", 0x2000, .pollEvent),
      c("INADDR_ANY", 0, .address),
      c("INADDR_LOOPBACK", 0x7f00_0001, .address),
      c("INADDR_NONE", 0xffff_ffff, .address),
      c("INADDR_BROADCAST", 0xffff_ffff, .address),
      c("AI_PASSIVE", AI_PASSIVE, .addrinfoFlag),
      c("AI_NUMERICHOST", AI_NUMERICHOST, .addrinfoFlag),
      c("AI_NUMERICSERV", AI_NUMERICSERV, .addrinfoFlag),
      c("AI_CANONNAME", AI_CANONNAME, .addrinfoFlag),
      c("NULL", 0, .misc),
      c("INET_ADDRSTRLEN", INET_ADDRSTRLEN, .misc),
      c("INET6_ADDRSTRLEN", INET6_ADDRSTRLEN, .misc),
      c("SOMAXCONN", 4096, .misc),
    ] + OpenSSLBIO.options.map { c($0.0, $0.1, .bioOption) }

  private static let byName: [String: NamedConstant] = {
    var table: [String: NamedConstant] = [:]
    for constant in all where table[constant.name] == nil { table[constant.name] = constant }
    return table
  }()

  /// The constant called `name`, if the lab knows it.
  public static func named(_ name: String) -> NamedConstant? { byName[name] }

  /// The first name of `kind` whose value is `value`, or the number itself.
  public static func name(_ value: Int, _ kind: ConstantKind) -> String {
    all.first { $0.kind == kind && $0.value == value }?.name ?? String(value)
  }

  /// A bit set written as names joined by `|` (`MSG_PEEK|MSG_DONTWAIT`), `0` when empty.
  public static func flags(_ value: Int, _ kind: ConstantKind) -> String {
    if value == 0 { return "0" }
    var names: [String] = []
    var rest = value
    for constant in all where constant.kind == kind && constant.value != 0 {
      if rest & constant.value == constant.value {
        names.append(constant.name)
        rest &= ~constant.value
      }
    }
    if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
    return names.joined(separator: "|")
  }

  /// A socket type with its flags: `SOCK_STREAM|SOCK_NONBLOCK`.
  public static func socketType(_ value: Int) -> String {
    let flagBits = Int(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
    let base = name(value & ~flagBits, .socketType)
    let extra = value & flagBits
    return extra == 0 ? base : base + "|" + flags(extra, .socketFlag)
  }

  /// The option kind that names options at `level`.
  public static func optionKind(level: Int) -> ConstantKind {
    switch level {
    case Int(IPPROTO_TCP): return .tcpOption
    case 41: return .ipv6Option
    default: return .socketOption
    }
  }

  /// The level's name: `SOL_SOCKET`, `IPPROTO_TCP`, `IPPROTO_IPV6`.
  public static func levelName(_ level: Int) -> String {
    level == Int(SOL_SOCKET) ? "SOL_SOCKET" : name(level, .networkProtocol)
  }

  /// The option's name at its level: `SO_REUSEADDR`, `TCP_NODELAY`, `IPV6_V6ONLY`.
  public static func optionName(_ option: Int, level: Int) -> String {
    name(option, optionKind(level: level))
  }
}
