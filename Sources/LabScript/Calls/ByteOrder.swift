import SocketKit

extension CallDefinition {
  public static let htons = shortOrder("htons", "hostshort", "16 bits from host to network byte order",
    "the 16-bit value with its bytes in network order (swapped on this machine)", ByteOrder.htons)
  public static let ntohs = shortOrder("ntohs", "netshort", "16 bits from network to host byte order",
    "the 16-bit value back in host order", ByteOrder.ntohs)
  public static let htonl = longOrder("htonl", "hostlong", "32 bits from host to network byte order",
    "the 32-bit value with its bytes in network order", ByteOrder.htonl)
  public static let ntohl = longOrder("ntohl", "netlong", "32 bits from network to host byte order",
    "the 32-bit value back in host order", ByteOrder.ntohl)

  private static func shortOrder(
    _ name: String, _ parameter: String, _ summary: String, _ returns: String,
    _ convert: @escaping @Sendable (UInt16) -> UInt16
  ) -> CallDefinition {
    CallDefinition(
      name, [parameter], summary: summary, returns: returns, failure: .never, traits: .libraryCall,
      c: CForm(resultType: "uint16_t"),
      literals: { a throws(ScriptError) in
        if case .integer(let value, let place) = a[0], value > 65535 {
          throw ScriptError("port \(value) is over 65535", at: place, hint: "a port is 16 bits: use 1 to 65535, or PORT")
        }
      },
      .system { cx, a, _ throws(ScriptError) in
        let value = try cx.integer(a[0])
        guard (0...65535).contains(value) else {
          throw ScriptError("\(value) does not fit in 16 bits", at: a[0].location, hint: "a port goes from 0 to 65535")
        }
        return cx.pure(name, "\(value)", Int(convert(UInt16(value))))
      })
  }

  private static func longOrder(
    _ name: String, _ parameter: String, _ summary: String, _ returns: String,
    _ convert: @escaping @Sendable (UInt32) -> UInt32
  ) -> CallDefinition {
    CallDefinition(
      name, [parameter], summary: summary, returns: returns, failure: .never, traits: .libraryCall,
      c: CForm(resultType: "in_addr_t"),
      .system { cx, a, _ throws(ScriptError) in
        let value = UInt32(truncatingIfNeeded: try cx.integer(a[0]))
        return cx.pure(name, hex32(value), Int(convert(value)))
      })
  }
}
