import SocketKit

/// A value in the lab's memory: what a variable of the call language holds.
public enum Value: Sendable, Equatable, CustomStringConvertible {
  case int(Int)
  /// A `char *`: a string literal or a call's text result.
  case string([UInt8])
  /// A `struct sockaddr_in`, `sockaddr_in6`, or a `sockaddr_storage` (nil while nothing has been
  /// written to it).
  case socketAddress(SocketAddress?)
  /// A `struct in_addr`; `s_addr` as it lies in memory (network order).
  case inAddr(UInt32)
  /// A `struct in6_addr`.
  case in6Addr([UInt8])
  /// A `char buf[capacity]` and the bytes last received into it.
  case buffer(contents: [UInt8], capacity: Int)
  case linger(onoff: Int32, seconds: Int32)
  case pollSet([PollEntry])
  /// The list `getaddrinfo` returned.
  case addressList([AddressInfo])
  /// A `struct addrinfo` used as hints: only family, socket type and flags are set.
  case addressHints(family: Int32, socketType: Int32, flags: Int32)
  /// A `char *` into a static buffer that every call of a function overwrites (`inet_ntoa`'s,
  /// one per thread in glibc): reading it gives what the buffer holds now, not what it held when
  /// the pointer was returned.
  case sharedBuffer(String)
  /// `NULL`
  case null

  /// What the variable holds, for a learner: `3`, `{AF_INET, 127.0.0.1:8080}`, `"hello\n"`.
  public var description: String {
    switch self {
    case .int(let value): return String(value)
    case .string(let bytes): return "\"\(escapeBytes(bytes, limit: 64))\""
    case .socketAddress(let address?): return address.description
    case .socketAddress(nil): return "{ss_family=AF_UNSPEC}"
    case .inAddr(let sAddr): return "{s_addr=\(hex32(sAddr))}"
    case .in6Addr(let bytes): return SocketAddress.presentation(family: AF_INET6_VALUE, bytes: bytes) ?? "?"
    case .buffer(let contents, let capacity): return "char[\(capacity)] \"\(escapeBytes(contents, limit: 64))\""
    case .linger(let onoff, let seconds): return "{l_onoff=\(onoff), l_linger=\(seconds)}"
    case .pollSet(let entries): return "[\(entries.map(\.description).joined(separator: ", "))]"
    case .addressList(let list): return "[\(list.map(\.address.description).joined(separator: ", "))]"
    case .addressHints(let family, let socketType, let flags):
      return
        "{ai_family=\(SocketConstants.name(Int(family), .family)), ai_socktype=\(socketType == 0 ? "0" : SocketConstants.socketType(Int(socketType))), ai_flags=\(SocketConstants.flags(Int(flags), .addrinfoFlag))}"
    case .sharedBuffer(let key): return "pointer to \(key)'s static buffer"
    case .null: return "NULL"
    }
  }

  /// The C type a learner would declare for it.
  var kindName: String {
    switch self {
    case .int: return "a number"
    case .string: return "a string"
    case .socketAddress: return "a socket address"
    case .inAddr: return "a struct in_addr"
    case .in6Addr: return "a struct in6_addr"
    case .buffer: return "a buffer"
    case .linger: return "a struct linger"
    case .pollSet: return "a struct pollfd"
    case .addressList: return "an addrinfo list"
    case .addressHints: return "a struct addrinfo"
    case .sharedBuffer: return "a pointer to a static buffer"
    case .null: return "NULL"
    }
  }
}

/// A variable: its value and the C type it is declared with (which decides `sizeof`).
public struct Variable: Sendable, Equatable {
  public var value: Value
  public var cType: String

  public init(value: Value, cType: String) {
    self.value = value
    self.cType = cType
  }

  /// `sizeof` the variable, as C would compute it.
  public var size: Int {
    if cType.hasPrefix("char["), let n = Int(cType.dropFirst(5).dropLast()) { return n }
    if cType.hasSuffix("*") { return 8 }
    if cType == "struct pollfd[]", case .pollSet(let entries) = value { return 8 * entries.count }
    return Parser.sizeOfType(cType) ?? 8
  }
}
