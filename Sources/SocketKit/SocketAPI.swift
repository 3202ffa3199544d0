import CShims

#if canImport(Glibc)
  import Glibc
#endif

/// A socket option's value: an `int`, or a `struct linger`.
public enum OptionValue: Sendable, Equatable, CustomStringConvertible {
  case int(Int32)
  case linger(onoff: Int32, seconds: Int32)

  public var description: String {
    switch self {
    case .int(let value): return "[\(value)]"
    case .linger(let onoff, let seconds): return "{l_onoff=\(onoff), l_linger=\(seconds)}"
    }
  }

  /// `sizeof` the C value.
  public var size: Int {
    switch self {
    case .int: return MemoryLayout<Int32>.size
    case .linger: return MemoryLayout<linger>.size
    }
  }
}

/// One entry of a `poll()` set.
public struct PollEntry: Sendable, Equatable, CustomStringConvertible {
  public var fd: Int32
  public var events: Int16
  public var revents: Int16 = 0

  public init(fd: Int32, events: Int16, revents: Int16 = 0) {
    self.fd = fd
    self.events = events
    self.revents = revents
  }

  public var description: String {
    let events = SocketConstants.flags(Int(self.events), .pollEvent)
    let revents = SocketConstants.flags(Int(self.revents), .pollEvent)
    return "{fd=\(fd), events=\(events), revents=\(revents)}"
  }
}

/// One result of `getaddrinfo`.
public struct AddressInfo: Sendable, Equatable {
  public var family: Int32
  public var socketType: Int32
  public var protocolNumber: Int32
  public var address: SocketAddress
}

/// Every socket call the lab makes, each performed for real and returned with its `CallRecord`.
///
/// Out-parameters (the peer address of `accept`, the bytes of `recv`) come back beside the record.
/// Only this type calls the C sockets API.
public enum SocketAPI {
  // MARK: - Creating and naming

  /// Creates a socket. The corresponding C function is `socket`.
  public static func socket(domain: Int32, type: Int32, protocol proto: Int32) -> CallRecord {
    let raw = measure { Glibc.socket(domain, type, proto) }
    let args =
      "\(SocketConstants.name(Int(domain), .family)), \(SocketConstants.socketType(Int(type))), \(proto == 0 ? "0" : SocketConstants.name(Int(proto), .networkProtocol))"
    return record("socket", args, raw)
  }

  /// Gives a socket its local address. The corresponding C function is `bind`.
  public static func bind(fd: Int32, address: SocketAddress, length: socklen_t) -> CallRecord {
    let raw = address.withStorage { pointer in measure { Glibc.bind(fd, pointer, length) } }
    return record("bind", "\(fd), \(address), \(length)", raw)
  }

  /// Marks a socket as passive, ready to accept. The corresponding C function is `listen`.
  public static func listen(fd: Int32, backlog: Int32) -> CallRecord {
    record("listen", "\(fd), \(backlog)", measure { Glibc.listen(fd, backlog) })
  }

  // MARK: - Connecting

  /// Takes the next completed connection off a listening socket's queue, as a new descriptor.
  /// The corresponding C functions are `accept` and, with `flags`, `accept4`.
  public static func accept(fd: Int32, wantPeer: Bool, flags: Int32? = nil) -> (CallRecord, SocketAddress?, Int) {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let raw = withUnsafeMutablePointer(to: &storage) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        measure {
          if let flags {
            return wantPeer ? socklab_accept4(fd, sa, &length, flags) : socklab_accept4(fd, nil, nil, flags)
          }
          return wantPeer ? Glibc.accept(fd, sa, &length) : Glibc.accept(fd, nil, nil)
        }
      }
    }
    let peer = raw.succeeded && wantPeer ? SocketAddress(storage: storage) : nil
    var args = "\(fd), "
    if wantPeer {
      args += raw.succeeded ? "\(peer.map(String.init(describing:)) ?? "{?}"), [\(length)]" : "&peer, &peerlen"
    } else {
      args += "NULL, NULL"
    }
    if let flags { args += ", \(SocketConstants.flags(Int(flags), .socketFlag))" }
    return (record(flags == nil ? "accept" : "accept4", args, raw), peer, Int(length))
  }

  /// Connects a socket to a peer. The corresponding C function is `connect`.
  public static func connect(fd: Int32, address: SocketAddress, length: socklen_t) -> CallRecord {
    let raw = address.withStorage { pointer in measure { Glibc.connect(fd, pointer, length) } }
    return record("connect", "\(fd), \(address), \(length)", raw)
  }

  // MARK: - Data

  /// Sends bytes on a connected socket. The corresponding C function is `send`.
  public static func send(fd: Int32, bytes: [UInt8], length: Int, flags: Int32) -> CallRecord {
    _ = sigpipeIgnored
    let count = min(length, bytes.count)
    let raw = bytes.withUnsafeBytes { buffer in measure { Glibc.send(fd, buffer.baseAddress, count, flags) } }
    return record(
      "send",
      "\(fd), \"\(escapeBytes(bytes.prefix(count), limit: 64))\", \(length), \(SocketConstants.flags(Int(flags), .messageFlag))",
      raw)
  }

  /// Receives up to `capacity` bytes. The corresponding C function is `recv`.
  public static func recv(fd: Int32, capacity: Int, flags: Int32) -> (CallRecord, [UInt8]) {
    var buffer = [UInt8](repeating: 0, count: max(capacity, 1))
    let raw = buffer.withUnsafeMutableBytes { raw in measure { Glibc.recv(fd, raw.baseAddress, capacity, flags) } }
    let received = raw.value > 0 ? Array(buffer.prefix(min(Int(raw.value), capacity))) : []
    let shown = raw.succeeded ? "\"\(escapeBytes(received, limit: 64))\"" : "buf"
    return (record("recv", "\(fd), \(shown), \(capacity), \(SocketConstants.flags(Int(flags), .messageFlag))", raw), received)
  }

  /// Sends one datagram to `address` (or to the connected peer when nil). The corresponding C
  /// function is `sendto`.
  public static func sendto(
    fd: Int32, bytes: [UInt8], length: Int, flags: Int32, address: SocketAddress?, addressLength: socklen_t
  ) -> CallRecord {
    _ = sigpipeIgnored
    let count = min(length, bytes.count)
    let raw = bytes.withUnsafeBytes { buffer in
      if let address {
        return address.withStorage { pointer in
          measure { Glibc.sendto(fd, buffer.baseAddress, count, flags, pointer, addressLength) }
        }
      }
      return measure { Glibc.sendto(fd, buffer.baseAddress, count, flags, nil, 0) }
    }
    let target = address.map { "\($0), \(addressLength)" } ?? "NULL, 0"
    return record(
      "sendto",
      "\(fd), \"\(escapeBytes(bytes.prefix(count), limit: 64))\", \(length), \(SocketConstants.flags(Int(flags), .messageFlag)), \(target)",
      raw)
  }

  /// Receives one datagram and who sent it. The corresponding C function is `recvfrom`.
  public static func recvfrom(
    fd: Int32, capacity: Int, flags: Int32, wantSender: Bool
  ) -> (CallRecord, [UInt8], SocketAddress?, Int) {
    var buffer = [UInt8](repeating: 0, count: max(capacity, 1))
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let raw = buffer.withUnsafeMutableBytes { bytes in
      withUnsafeMutablePointer(to: &storage) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
          measure {
            wantSender
              ? Glibc.recvfrom(fd, bytes.baseAddress, capacity, flags, sa, &length)
              : Glibc.recvfrom(fd, bytes.baseAddress, capacity, flags, nil, nil)
          }
        }
      }
    }
    let received = raw.value > 0 ? Array(buffer.prefix(min(Int(raw.value), capacity))) : []
    let sender = raw.succeeded && wantSender ? SocketAddress(storage: storage) : nil
    let shown = raw.succeeded ? "\"\(escapeBytes(received, limit: 64))\"" : "buf"
    var args = "\(fd), \(shown), \(capacity), \(SocketConstants.flags(Int(flags), .messageFlag)), "
    if wantSender {
      args += raw.succeeded ? "\(sender.map(String.init(describing:)) ?? "{?}"), [\(length)]" : "&from, &fromlen"
    } else {
      args += "NULL, NULL"
    }
    return (record("recvfrom", args, raw), received, sender, Int(length))
  }

  // MARK: - Ending

  /// Shuts down one or both directions of a connection. The corresponding C function is `shutdown`.
  public static func shutdown(fd: Int32, how: Int32) -> CallRecord {
    record("shutdown", "\(fd), \(SocketConstants.name(Int(how), .shutdown))", measure { Glibc.shutdown(fd, how) })
  }

  /// Releases the descriptor. The corresponding C function is `close`.
  public static func close(fd: Int32) -> CallRecord {
    record("close", "\(fd)", measure { Glibc.close(fd) })
  }

  // MARK: - Names

  /// The local address the socket is bound to. The corresponding C function is `getsockname`.
  public static func getsockname(fd: Int32) -> (CallRecord, SocketAddress?) {
    addressQuery("getsockname", fd) { Glibc.getsockname(fd, $0, $1) }
  }

  /// The address of the connected peer. The corresponding C function is `getpeername`.
  public static func getpeername(fd: Int32) -> (CallRecord, SocketAddress?) {
    addressQuery("getpeername", fd) { Glibc.getpeername(fd, $0, $1) }
  }

  private static func addressQuery(
    _ function: String, _ fd: Int32, _ call: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
  ) -> (CallRecord, SocketAddress?) {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let raw = withUnsafeMutablePointer(to: &storage) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in measure { call(sa, &length) } }
    }
    let address = raw.succeeded ? SocketAddress(storage: storage) : nil
    let args = raw.succeeded ? "\(fd), \(address.map(String.init(describing:)) ?? "{?}"), [\(length)]" : "\(fd), &addr, &addrlen"
    return (record(function, args, raw), address)
  }

  // MARK: - Options

  /// Sets a socket option. The corresponding C function is `setsockopt`.
  ///
  /// `length` is passed as given (a negative C length arrives as a huge `socklen_t`, and the kernel
  /// answers EINVAL). The value lies at the start of a zeroed buffer of up to `maximumOptionLength`
  /// bytes, so that an option that reads `length` bytes reads zeros, never the lab's memory.
  public static func setsockopt(fd: Int32, level: Int32, option: Int32, value: OptionValue, length: socklen_t? = nil)
    -> CallRecord
  {
    var bytes: [UInt8]
    switch value {
    case .int(let number): bytes = withUnsafeBytes(of: number) { Array($0) }
    case .linger(let onoff, let seconds): bytes = withUnsafeBytes(of: linger(l_onoff: onoff, l_linger: seconds)) { Array($0) }
    }
    let size = length ?? socklen_t(bytes.count)
    let readable = Int32(bitPattern: size) > 0 ? min(Int(size), maximumOptionLength) : 0
    if readable > bytes.count { bytes += [UInt8](repeating: 0, count: readable - bytes.count) }
    let raw = bytes.withUnsafeBytes { buffer in measure { Glibc.setsockopt(fd, level, option, buffer.baseAddress, size) } }
    let args =
      "\(fd), \(SocketConstants.levelName(Int(level))), \(SocketConstants.optionName(Int(option), level: Int(level))), \(value), \(size)"
    return record("setsockopt", args, raw)
  }

  /// The longest option value the lab passes to `setsockopt`; a longer `optlen` is refused before
  /// the call, since the kernel could read that much of the lab's memory.
  public static let maximumOptionLength = 65536

  /// Reads a socket option. The corresponding C function is `getsockopt`.
  public static func getsockopt(fd: Int32, level: Int32, option: Int32) -> (CallRecord, OptionValue?) {
    let isLinger = level == SOL_SOCKET && option == SO_LINGER
    var number: Int32 = 0
    var lingerValue = linger()
    var length = socklen_t(isLinger ? MemoryLayout<linger>.size : MemoryLayout<Int32>.size)
    let raw =
      isLinger
      ? measure { Glibc.getsockopt(fd, level, option, &lingerValue, &length) }
      : measure { Glibc.getsockopt(fd, level, option, &number, &length) }
    let value: OptionValue? =
      raw.succeeded ? (isLinger ? .linger(onoff: lingerValue.l_onoff, seconds: lingerValue.l_linger) : .int(number)) : nil
    let shown = value.map { "\($0), [\(length)]" } ?? "&optval, &optlen"
    let args =
      "\(fd), \(SocketConstants.levelName(Int(level))), \(SocketConstants.optionName(Int(option), level: Int(level))), \(shown)"
    return (record("getsockopt", args, raw), value)
  }

  /// Reads or changes descriptor flags (O_NONBLOCK). The corresponding C function is `fcntl`.
  public static func fcntl(fd: Int32, command: Int32, argument: Int32) -> CallRecord {
    let raw = measure { socklab_fcntl(fd, command, argument) }
    let commandName = SocketConstants.name(Int(command), .fcntlCommand)
    let args =
      command == F_SETFL ? "\(fd), \(commandName), \(SocketConstants.flags(Int(argument), .fileFlag))" : "\(fd), \(commandName)"
    var result = record("fcntl", args, raw)
    if command == F_GETFL, raw.succeeded {
      // Flags read better by name than as a number; the number stays the return value.
      result.call += " /* \(SocketConstants.flags(Int(raw.value), .fileFlag)) */"
    }
    return result
  }

  /// Waits until one of the descriptors is ready. The corresponding C function is `poll`.
  public static func poll(entries: [PollEntry], timeoutMilliseconds: Int32) -> (CallRecord, [PollEntry]) {
    var fds = entries.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
    let raw = measure { Glibc.poll(&fds, nfds_t(fds.count), timeoutMilliseconds) }
    let after = zip(entries, fds).map { PollEntry(fd: $0.fd, events: $0.events, revents: $1.revents) }
    let args = "[\(after.map(\.description).joined(separator: ", "))], \(entries.count), \(timeoutMilliseconds)"
    return (record("poll", args, raw), after)
  }

  // MARK: - Addresses as text

  /// Parses dotted-quad text into an `in_addr` (network order). Returns 1 on success, 0 when the
  /// text is not an address. The corresponding C function is `inet_aton`.
  public static func inet_aton(_ text: String) -> (CallRecord, UInt32?) {
    var address = in_addr()
    let raw = measure { Glibc.inet_aton(text, &address) }
    let ok = raw.value != 0
    let shown = ok ? "{s_addr=\(hex32(address.s_addr))}" : "&inp"
    let result = CallRecord(
      function: "inet_aton", call: "inet_aton(\"\(escapeBytes(Array(text.utf8)))\", \(shown))", result: .int(Int(raw.value)),
      error: nil, nanoseconds: raw.nanoseconds)
    return (result, ok ? address.s_addr : nil)
  }

  /// Parses dotted-quad text into an `in_addr_t`, or INADDR_NONE (all ones) on failure, which
  /// cannot be told apart from 255.255.255.255. The corresponding C function is `inet_addr`.
  public static func inet_addr(_ text: String) -> CallRecord {
    let raw = measure { Int64(Glibc.inet_addr(text)) }
    return CallRecord(
      function: "inet_addr", call: "inet_addr(\"\(escapeBytes(Array(text.utf8)))\")", result: .int(Int(raw.value)), error: nil,
      nanoseconds: raw.nanoseconds)
  }

  /// Writes an `in_addr` as dotted-quad text, into one static buffer shared by every call.
  /// The corresponding C function is `inet_ntoa`.
  public static func inet_ntoa(_ sAddr: UInt32) -> CallRecord {
    let start = MonotonicClock.nanoseconds()
    let text = String(cString: Glibc.inet_ntoa(in_addr(s_addr: sAddr)))
    return CallRecord(
      function: "inet_ntoa", call: "inet_ntoa({s_addr=\(hex32(sAddr))})", result: .string(text), error: nil,
      nanoseconds: MonotonicClock.nanoseconds() - start)
  }

  /// Parses text into an address of `family`: 1 on success, 0 for text that is not an address,
  /// -1 EAFNOSUPPORT for a bad family. The corresponding C function is `inet_pton`.
  public static func inet_pton(family: Int32, text: String) -> (CallRecord, [UInt8]?) {
    var buffer = [UInt8](repeating: 0, count: 16)
    let raw = buffer.withUnsafeMutableBytes { bytes in measure { Glibc.inet_pton(family, text, bytes.baseAddress) } }
    let bytes = raw.value == 1 ? Array(buffer.prefix(family == AF_INET ? 4 : 16)) : nil
    let shown = bytes.map { "[\($0.map { hexByte($0) }.joined(separator: " "))]" } ?? "&dst"
    return (
      record("inet_pton", "\(SocketConstants.name(Int(family), .family)), \"\(escapeBytes(Array(text.utf8)))\", \(shown)", raw),
      bytes
    )
  }

  /// Writes address bytes of `family` as text. The corresponding C function is `inet_ntop`.
  public static func inet_ntop(family: Int32, bytes: [UInt8]) -> CallRecord {
    let start = MonotonicClock.nanoseconds()
    var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    var padded = bytes + [UInt8](repeating: 0, count: max(0, 16 - bytes.count))
    Glibc.errno = 0
    let written = padded.withUnsafeMutableBytes { Glibc.inet_ntop(family, $0.baseAddress, &out, socklen_t(out.count)) }
    let savedErrno = Glibc.errno
    let text = written.map { _ in String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    let shownBytes = "[\(bytes.map { hexByte($0) }.joined(separator: " "))]"
    return CallRecord(
      function: "inet_ntop", call: "inet_ntop(\(SocketConstants.name(Int(family), .family)), \(shownBytes), dst, \(out.count))",
      result: .string(text), error: text == nil ? SystemError(errno: savedErrno) : nil,
      nanoseconds: MonotonicClock.nanoseconds() - start)
  }

  /// Resolves a numeric host or `localhost` (never a name that would need the network).
  /// The corresponding C function is `getaddrinfo`; its failures are `EAI_*` codes, not errno.
  public static func getaddrinfo(
    host: String?, service: String?, family: Int32, socketType: Int32, flags: Int32
  ) -> (CallRecord, [AddressInfo]) {
    var hints = addrinfo()
    hints.ai_family = family
    hints.ai_socktype = socketType
    hints.ai_flags = flags
    if let host, host != "localhost" { hints.ai_flags |= AI_NUMERICHOST }
    var list: UnsafeMutablePointer<addrinfo>?
    let start = MonotonicClock.nanoseconds()
    let status = Glibc.getaddrinfo(host, service, &hints, &list)
    let elapsed = MonotonicClock.nanoseconds() - start
    var results: [AddressInfo] = []
    var cursor = list
    while let entry = cursor {
      if let sa = entry.pointee.ai_addr {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { dst in
          dst.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(entry.pointee.ai_addrlen)))
        }
        if let address = SocketAddress(storage: storage) {
          results.append(
            AddressInfo(
              family: entry.pointee.ai_family, socketType: entry.pointee.ai_socktype, protocolNumber: entry.pointee.ai_protocol,
              address: address))
        }
      }
      cursor = entry.pointee.ai_next
    }
    if list != nil { freeaddrinfo(list) }
    let error =
      status == 0 ? nil : SystemError(code: status, name: gaiErrorName(status), message: String(cString: gai_strerror(status)))
    let quoted: (String?) -> String = { $0.map { "\"\(escapeBytes(Array($0.utf8)))\"" } ?? "NULL" }
    let hintText =
      "{ai_family=\(SocketConstants.name(Int(family), .family)), ai_socktype=\(socketType == 0 ? "0" : SocketConstants.socketType(Int(socketType))), ai_flags=\(SocketConstants.flags(Int(hints.ai_flags), .addrinfoFlag))}"
    let listText = status == 0 ? "[\(results.map { $0.address.description }.joined(separator: ", "))]" : "&res"
    return (
      CallRecord(
        function: "getaddrinfo", call: "getaddrinfo(\(quoted(host)), \(quoted(service)), \(hintText), \(listText))",
        result: .int(Int(status)), error: error, nanoseconds: elapsed),
      results
    )
  }

  private static func gaiErrorName(_ code: Int32) -> String {
    let names: [Int32: String] = [
      EAI_BADFLAGS: "EAI_BADFLAGS", EAI_NONAME: "EAI_NONAME", EAI_AGAIN: "EAI_AGAIN", EAI_FAIL: "EAI_FAIL",
      EAI_FAMILY: "EAI_FAMILY", EAI_SOCKTYPE: "EAI_SOCKTYPE", EAI_SERVICE: "EAI_SERVICE", EAI_MEMORY: "EAI_MEMORY",
      EAI_SYSTEM: "EAI_SYSTEM", EAI_OVERFLOW: "EAI_OVERFLOW",
    ]
    return names[code] ?? "EAI_\(code)"
  }
}

/// `0x0100007f`: a 32-bit field as C would print it with `%#010x`.
public func hex32(_ value: UInt32) -> String {
  let digits = String(value, radix: 16)
  return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// `7f`: one byte as two hex digits.
public func hexByte(_ byte: UInt8) -> String {
  let digits = String(byte, radix: 16)
  return digits.count == 1 ? "0" + digits : digits
}

// MARK: - Ports

extension SocketAPI {
  /// Ports that are free on loopback right now, chosen by the kernel (bind to port 0) and
  /// released again, so a session can use them for its lessons.
  public static func freeLoopbackPorts(count: Int) -> [UInt16] {
    var held: [Int32] = []
    var ports: [UInt16] = []
    defer { for fd in held { Glibc.close(fd) } }
    for _ in 0..<count {
      let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      guard fd >= 0 else { break }
      held.append(fd)
      let any = SocketAddress.ipv4(sinAddr: ByteOrder.htonl(0x7f00_0001), sinPort: 0)
      guard any.withSockaddr({ Glibc.bind(fd, $0, $1) }) == 0, let bound = getsockname(fd: fd).1 else { continue }
      ports.append(bound.port)
    }
    return ports
  }

  /// Shuts a socket down in both directions, to wake a thread blocked on it. Used only to
  /// interrupt a call, so it is not recorded.
  public static func wake(fd: Int32) {
    _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
  }

  /// Makes a signal interrupt blocked calls (EINTR) instead of restarting them.
  public static func installInterruptSignal(_ signal: Int32) {
    _ = socklab_install_interrupt_signal(signal)
  }

  /// Lets `signal` reach the calling thread.
  public static func unblockSignal(_ signal: Int32) {
    _ = socklab_unblock_signal(signal)
  }

  /// Closes a descriptor the session still holds at its end.
  public static func release(fd: Int32) {
    _ = Glibc.close(fd)
  }
}
