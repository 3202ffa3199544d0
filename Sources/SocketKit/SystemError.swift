import CShims

#if canImport(Glibc)
  import Glibc
#endif

/// An error a call reported: errno's C name and the C library's message for it.
///
/// For SocketLab an errno is a lesson outcome, not a failure of the lab, so both the name a
/// programmer greps for (`EADDRINUSE`) and the sentence the C library prints are kept.
public struct SystemError: Sendable, Hashable, CustomStringConvertible {
  /// The numeric value (errno, or a getaddrinfo `EAI_*` code).
  public var code: Int32
  /// The C name, such as `ECONNREFUSED`.
  public var name: String
  /// The message `strerror` gives, such as "Connection refused".
  public var message: String

  public init(code: Int32, name: String, message: String) {
    self.code = code
    self.name = name
    self.message = message
  }

  /// The error for an errno value. The corresponding C functions are `strerrorname_np` and `strerror`.
  public init(errno code: Int32) {
    self.code = code
    if let cName = socklab_errno_name(code) {
      self.name = String(cString: cName)
    } else {
      self.name = "E\(code)"
    }
    self.message = String(cString: strerror(code))
  }

  /// "ECONNREFUSED (Connection refused)"
  public var description: String { "\(name) (\(message))" }

  /// Every errno name this C library knows, for checking the names a lesson expects.
  public static let allByName: [String: SystemError] = {
    var table: [String: SystemError] = [:]
    for code in Int32(1)...Int32(200) where socklab_errno_name(code) != nil {
      let error = SystemError(errno: code)
      table[error.name] = error
    }
    // Aliases glibc reports under another name.
    table["EWOULDBLOCK"] = SystemError(code: EAGAIN, name: "EWOULDBLOCK", message: String(cString: strerror(EAGAIN)))
    table["EDEADLOCK"] = table["EDEADLK"]
    table["ENOTSUP"] = table["EOPNOTSUPP"]
    return table
  }()

  /// The error named `name` (`"EPIPE"`), if this C library has it.
  public static func named(_ name: String) -> SystemError? { allByName[name] }
}
