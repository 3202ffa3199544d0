#if canImport(Glibc)
  import Glibc
#endif

/// Small helpers over the C socket calls, for the lab's own channels (the presenter's notes, the
/// classroom hub): non-blocking descriptors, lines in and out, bounded buffers.
public enum LineSocket {
  public static func setNonBlocking(_ fd: Int32) {
    let flags = fcntl(fd, F_GETFL)
    _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
  }

  static func setCloseOnExec(_ fd: Int32) { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

  /// Writes all of `bytes`, waiting up to `milliseconds` for room; false if it could not.
  public static func writeAll(_ fd: Int32, _ bytes: [UInt8], milliseconds: Int32 = 200) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if written > 0 {
        offset += written
        continue
      }
      if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        if poll(&entry, 1, milliseconds) <= 0 { return false }
        continue
      }
      if written < 0 && errno == EINTR { continue }
      return false
    }
    return true
  }

  /// A UNIX socket address for `path`, or nil if the path is too long for one.
  static func unixAddress(_ path: String) -> sockaddr_un? {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in bytes.enumerated() { raw[index] = byte }
    }
    return address
  }
}

/// Bytes received and not yet cut into lines, with a cap: a line longer than `limit` is an error.
struct LineBuffer {
  var bytes: [UInt8] = []
  let limit: Int

  init(limit: Int) { self.limit = limit }

  enum Problem: Error { case tooLong }

  /// Adds `more` and returns the whole lines now complete, without their newlines.
  mutating func take(_ more: ArraySlice<UInt8>) throws(Problem) -> [[UInt8]] {
    bytes += more
    var lines: [[UInt8]] = []
    var start = 0
    for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
      lines.append(Array(bytes[start..<index]))
      start = index + 1
    }
    if start > 0 { bytes.removeFirst(start) }
    if bytes.count > limit { throw .tooLong }
    return lines
  }
}
