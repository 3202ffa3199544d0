/// Host-to-network byte order conversions. The network order of the sockets API is big-endian;
/// on a little-endian host (x86, most ARM) these swap bytes, on a big-endian one they do nothing.
public enum ByteOrder {
  /// The corresponding C function is `htons`.
  public static func htons(_ value: UInt16) -> UInt16 { value.bigEndian }
  /// The corresponding C function is `ntohs`.
  public static func ntohs(_ value: UInt16) -> UInt16 { UInt16(bigEndian: value) }
  /// The corresponding C function is `htonl`.
  public static func htonl(_ value: UInt32) -> UInt32 { value.bigEndian }
  /// The corresponding C function is `ntohl`.
  public static func ntohl(_ value: UInt32) -> UInt32 { UInt32(bigEndian: value) }

  /// True on the machines almost everyone has, where `htons` really swaps.
  public static var hostIsLittleEndian: Bool { 1.littleEndian == 1 && UInt16(1).bigEndian != 1 }

  /// The bytes of an integer as they lie in this machine's memory.
  public static func memoryBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value) { Array($0) }
  }
}
