/// One frame as the wire layer understands it: Ethernet, then IPv4, then TCP, UDP or ICMP. Only
/// what the Wire pane shows is decoded; the bytes stay with the frame for the capture and for
/// the byte-by-byte view.
public struct Packet: Sendable, Equatable {
  public enum Transport: Sendable, Equatable {
    case tcp(TCPHeader)
    case udp(UDPHeader)
    /// An ICMP message; for an error, the UDP or TCP ports of the datagram it quotes.
    case icmp(ICMPMessage)
    /// ARP, IPv6 or another protocol the pane only counts.
    case other(String)
  }

  public var source: IPv4Address
  public var destination: IPv4Address
  /// IPv4 total length, TTL and the don't-fragment bit.
  public var ipLength: Int
  public var ttl: UInt8
  public var dontFragment: Bool
  public var transport: Transport
  /// Where the IPv4 header and the transport header begin in the frame, and the payload.
  public var ipOffset: Int
  public var transportOffset: Int
  public var payloadOffset: Int
  public var payloadLength: Int

  /// Decodes `frame`; nil for what is not IPv4 (ARP, IPv6), described by `describeOther`.
  public static func parse(_ frame: [UInt8]) -> Packet? {
    guard frame.count >= 14 else { return nil }
    let etherType = Int(frame[12]) << 8 | Int(frame[13])
    guard etherType == 0x0800, frame.count >= 34 else { return nil }
    let ip = 14
    let headerLength = Int(frame[ip] & 0x0F) * 4
    guard frame[ip] >> 4 == 4, headerLength >= 20, frame.count >= ip + headerLength else { return nil }
    let total = Int(frame[ip + 2]) << 8 | Int(frame[ip + 3])
    let end = min(frame.count, ip + max(total, headerLength))
    let proto = frame[ip + 9]
    let source = IPv4Address(frame[ip + 12], frame[ip + 13], frame[ip + 14], frame[ip + 15])
    let destination = IPv4Address(frame[ip + 16], frame[ip + 17], frame[ip + 18], frame[ip + 19])
    let at = ip + headerLength
    var packet = Packet(
      source: source, destination: destination, ipLength: total, ttl: frame[ip + 8],
      dontFragment: frame[ip + 6] & 0x40 != 0, transport: .other("IPv4 protocol \(proto)"), ipOffset: ip,
      transportOffset: at, payloadOffset: end, payloadLength: 0)
    switch proto {
    case 6:
      guard let tcp = TCPHeader(frame, at: at, end: end) else { return packet }
      packet.transport = .tcp(tcp)
      packet.payloadOffset = at + tcp.headerLength
    case 17:
      guard end - at >= 8 else { return packet }
      packet.transport = .udp(
        UDPHeader(sourcePort: UInt16(frame[at]) << 8 | UInt16(frame[at + 1]), destinationPort: UInt16(frame[at + 2]) << 8 | UInt16(frame[at + 3])))
      packet.payloadOffset = at + 8
    case 1:
      guard end - at >= 8 else { return packet }
      packet.transport = .icmp(ICMPMessage(frame, at: at, end: end))
      packet.payloadOffset = end
    default:
      return packet
    }
    packet.payloadLength = max(0, end - packet.payloadOffset)
    return packet
  }

  /// A name for a frame that is not IPv4: "ARP who-has 10.50.0.2", "IPv6".
  public static func describeOther(_ frame: [UInt8]) -> String {
    guard frame.count >= 14 else { return "a runt frame of \(frame.count) bytes" }
    let etherType = Int(frame[12]) << 8 | Int(frame[13])
    switch etherType {
    case 0x0806 where frame.count >= 42:
      let target = IPv4Address(frame[38], frame[39], frame[40], frame[41])
      let sender = IPv4Address(frame[28], frame[29], frame[30], frame[31])
      return frame[21] == 1 ? "ARP who has \(target)? tell \(sender)" : "ARP \(sender) is at \(Self.mac(frame, 22))"
    case 0x86DD: return "IPv6"
    default: return "ethertype 0x" + String(etherType, radix: 16)
    }
  }

  static func mac(_ frame: [UInt8], _ at: Int) -> String {
    frame[at..<at + 6].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
  }
}

public struct IPv4Address: Sendable, Hashable, CustomStringConvertible {
  public var bytes: (UInt8, UInt8, UInt8, UInt8)
  public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) { bytes = (a, b, c, d) }

  /// "10.50.0.2"; nil when `text` is not a dotted quad.
  public init?(_ text: String) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
    guard parts.count == 4, text.split(separator: ".").count == 4 else { return nil }
    bytes = (parts[0], parts[1], parts[2], parts[3])
  }

  /// The address as `in_addr.s_addr` holds it (network order in memory).
  public var networkOrder: UInt32 {
    UInt32(bytes.0) | UInt32(bytes.1) << 8 | UInt32(bytes.2) << 16 | UInt32(bytes.3) << 24
  }

  public var description: String { "\(bytes.0).\(bytes.1).\(bytes.2).\(bytes.3)" }
  public static func == (a: Self, b: Self) -> Bool { a.networkOrder == b.networkOrder }
  public func hash(into hasher: inout Hasher) { hasher.combine(networkOrder) }
}

public struct TCPHeader: Sendable, Equatable {
  public struct Flags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = Flags(rawValue: 0x01)
    public static let syn = Flags(rawValue: 0x02)
    public static let rst = Flags(rawValue: 0x04)
    public static let psh = Flags(rawValue: 0x08)
    public static let ack = Flags(rawValue: 0x10)
    public static let urg = Flags(rawValue: 0x20)
  }

  public var sourcePort: UInt16
  public var destinationPort: UInt16
  public var seq: UInt32
  public var ack: UInt32
  public var headerLength: Int
  public var flags: Flags
  public var window: UInt16
  /// Options of a SYN or SYN-ACK (and timestamps on any segment).
  public var mss: UInt16?
  public var windowScale: UInt8?
  public var sackPermitted = false
  /// Carries SACK blocks: the receiver says which data after a gap it holds.
  public var sackBlocks = false
  public var timestamp: (value: UInt32, echo: UInt32)?

  init?(_ frame: [UInt8], at: Int, end: Int) {
    guard end - at >= 20 else { return nil }
    func u16(_ i: Int) -> UInt16 { UInt16(frame[i]) << 8 | UInt16(frame[i + 1]) }
    func u32(_ i: Int) -> UInt32 { UInt32(u16(i)) << 16 | UInt32(u16(i + 2)) }
    sourcePort = u16(at)
    destinationPort = u16(at + 2)
    seq = u32(at + 4)
    ack = u32(at + 8)
    headerLength = Int(frame[at + 12] >> 4) * 4
    flags = Flags(rawValue: frame[at + 13] & 0x3F)
    window = u16(at + 14)
    guard headerLength >= 20, at + headerLength <= end else { return nil }
    var i = at + 20
    while i < at + headerLength {
      let kind = frame[i]
      if kind == 0 { break }
      if kind == 1 {
        i += 1
        continue
      }
      guard i + 1 < at + headerLength else { break }
      let length = Int(frame[i + 1])
      guard length >= 2, i + length <= at + headerLength else { break }
      switch (kind, length) {
      case (2, 4): mss = u16(i + 2)
      case (3, 3): windowScale = frame[i + 2]
      case (4, 2): sackPermitted = true
      case (5, _): sackBlocks = true
      case (8, 10): timestamp = (u32(i + 2), u32(i + 6))
      default: break
      }
      i += length
    }
  }

  public static func == (a: Self, b: Self) -> Bool {
    a.sourcePort == b.sourcePort && a.destinationPort == b.destinationPort && a.seq == b.seq && a.ack == b.ack
      && a.flags == b.flags && a.window == b.window && a.mss == b.mss && a.windowScale == b.windowScale
      && a.sackPermitted == b.sackPermitted && a.sackBlocks == b.sackBlocks && a.timestamp?.value == b.timestamp?.value
      && a.timestamp?.echo == b.timestamp?.echo
  }
}

public struct UDPHeader: Sendable, Equatable {
  public var sourcePort: UInt16
  public var destinationPort: UInt16
}

public struct ICMPMessage: Sendable, Equatable {
  public var type: UInt8
  public var code: UInt8
  /// For "destination unreachable": the quoted datagram's protocol and ports.
  public var quotedProtocol: UInt8?
  public var quotedSourcePort: UInt16?
  public var quotedDestinationPort: UInt16?

  init(_ frame: [UInt8], at: Int, end: Int) {
    type = frame[at]
    code = frame[at + 1]
    let inner = at + 8
    guard type == 3, end - inner >= 20 else { return }
    let length = Int(frame[inner] & 0x0F) * 4
    quotedProtocol = frame[inner + 9]
    let ports = inner + length
    guard end - ports >= 4 else { return }
    quotedSourcePort = UInt16(frame[ports]) << 8 | UInt16(frame[ports + 1])
    quotedDestinationPort = UInt16(frame[ports + 2]) << 8 | UInt16(frame[ports + 3])
  }

  /// "port unreachable", "echo request"
  public var name: String {
    switch (type, code) {
    case (3, 3): "port unreachable"
    case (3, 4): "fragmentation needed"
    case (3, _): "destination unreachable (code \(code))"
    case (8, _): "echo request"
    case (0, _): "echo reply"
    case (11, _): "time exceeded"
    default: "type \(type) code \(code)"
    }
  }
}

extension TCPHeader.Flags {
  /// How the lesson language and the pane name a segment: SYN, SYN-ACK, ACK, PSH-ACK, FIN-ACK, RST.
  public var name: String {
    if contains(.syn) { return contains(.ack) ? "SYN-ACK" : "SYN" }
    if contains(.rst) { return contains(.ack) ? "RST-ACK" : "RST" }
    var parts: [String] = []
    if contains(.fin) { parts.append("FIN") }
    if contains(.psh) { parts.append("PSH") }
    if contains(.urg) { parts.append("URG") }
    if contains(.ack) { parts.append("ACK") }
    return parts.isEmpty ? "none" : parts.joined(separator: "-")
  }
}
