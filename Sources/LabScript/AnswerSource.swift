/// Who gives a line its result, so that a verdict can say so: the kernel for a system call,
/// the C library for byte-order and address conversions, OpenSSL for its BIO routines, the
/// compiler for `sizeof`, and plain C for arithmetic.
public enum AnswerSource: String, Sendable {
  case kernel = "the kernel"
  case libc = "the C library"
  case openSSL = "OpenSSL"
  case compiler = "the compiler"
  case c = "C"
  case wire = "the wire"

  /// Whether `call` is computed by the C library alone (`htons`, `inet_aton`).
  public static func isLibraryCall(_ call: String) -> Bool {
    CallCatalog.definition(named: call)?.traits.contains(.libraryCall) == true
  }

  /// The source of what `expression` evaluates to: the outermost call that asks someone.
  public static func of(_ expression: Expr) -> AnswerSource {
    switch expression {
    case .call(let name, let arguments, _):
      let definition = CallCatalog.definition(named: name)
      if definition?.traits.contains(.openSSL) == true { return .openSSL }
      if definition?.traits.contains(.libraryCall) == true { return .libc }
      if definition?.spec.kind == .wire { return .wire }
      guard let definition, definition.spec.kind == .system || definition.spec.kind == .kernelQuery else {
        // value(variable): what a call wrote into it, and in this lab the calls that fill
        // variables (getsockopt, getsockname, recv) are the kernel's.
        if definition?.isValueCheck == true, let only = arguments.first, arguments.count == 1 {
          switch only {
          case .name, .field: return .kernel
          default: break
          }
        }
        // value(...) and the builders: whoever computes what is inside.
        return arguments.lazy.map(of).first { $0 != .c } ?? .c
      }
      return .kernel
    case .sizeof: return .compiler
    case .field(let base, _, _), .addressOf(let base, _), .negate(let base, _): return of(base)
    case .bitOr(let a, let b): return of(a) == .c ? of(b) : of(a)
    case .integer, .string, .name: return .c
    }
  }
}
