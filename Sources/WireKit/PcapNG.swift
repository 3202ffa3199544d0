/// A capture file Wireshark and tshark open: pcapng, one Ethernet interface with nanosecond
/// timestamps, and a comment on each packet (which actor and which call line caused it).
public enum PcapNG {
  public struct Packet: Sendable {
    /// Wall-clock nanoseconds since 1970.
    public var time: Int64
    public var bytes: [UInt8]
    public var comment: String?

    public init(time: Int64, bytes: [UInt8], comment: String?) {
      self.time = time
      self.bytes = bytes
      self.comment = comment
    }
  }

  public static func file(_ packets: [Packet], interface: String = "socklab-wire", application: String = "SocketLab") -> [UInt8] {
    var out: [UInt8] = []
    // Section header block.
    var shb: [UInt8] = []
    shb.append(u32: 0x1A2B_3C4D)
    shb.append(u16: 1)
    shb.append(u16: 0)
    shb.append(u64: UInt64.max)  // section length unknown
    shb += option(4, Array(application.utf8))  // shb_userappl
    shb += endOfOptions
    out += block(0x0A0D_0D0A, shb)
    // Interface description block: Ethernet, whole frames, nanosecond time stamps.
    var idb: [UInt8] = []
    idb.append(u16: 1)  // LINKTYPE_ETHERNET
    idb.append(u16: 0)
    idb.append(u32: 262_144)
    idb += option(2, Array(interface.utf8))  // if_name
    idb += option(9, [9])  // if_tsresol: 10^-9
    idb += endOfOptions
    out += block(1, idb)
    for packet in packets {
      var epb: [UInt8] = []
      let time = UInt64(max(0, packet.time))
      epb.append(u32: 0)
      epb.append(u32: UInt32(time >> 32))
      epb.append(u32: UInt32(time & 0xFFFF_FFFF))
      epb.append(u32: UInt32(packet.bytes.count))
      epb.append(u32: UInt32(packet.bytes.count))
      epb += packet.bytes
      epb += [UInt8](repeating: 0, count: padding(packet.bytes.count))
      if let comment = packet.comment {
        epb += option(1, Array(comment.utf8))  // opt_comment
        epb += endOfOptions
      }
      out += block(6, epb)
    }
    return out
  }

  private static let endOfOptions: [UInt8] = [0, 0, 0, 0]

  private static func padding(_ count: Int) -> Int { (4 - count % 4) % 4 }

  private static func option(_ code: UInt16, _ value: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.append(u16: code)
    out.append(u16: UInt16(value.count))
    out += value
    out += [UInt8](repeating: 0, count: padding(value.count))
    return out
  }

  private static func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
    let total = UInt32(12 + body.count)
    var out: [UInt8] = []
    out.append(u32: type)
    out.append(u32: total)
    out += body
    out.append(u32: total)
    return out
  }
}

extension [UInt8] {
  // Little-endian, as the section header's byte-order magic says.
  mutating func append(u16 value: UInt16) { append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8)]) }
  mutating func append(u32 value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) } }
  mutating func append(u64 value: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { append(UInt8((value >> UInt64(shift)) & 0xFF)) } }
}
