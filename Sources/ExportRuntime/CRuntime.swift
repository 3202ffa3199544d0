/// The C that exported programs carry, by file name (`check_head.c`, `lesson_order.h`,
/// `diag_walk.h`...), built into the binary from this target's `C/` folder.
public enum CRuntime {
  public static func file(_ name: String) -> String {
    guard let text = cRuntimeFiles[name] else { preconditionFailure("no C runtime file \(name)") }
    return text
  }

  public static var names: [String] { cRuntimeFiles.keys.sorted() }
}
