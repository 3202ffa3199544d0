import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// The folders and files SocketLab reads and writes, after the XDG base directory conventions.
public struct StatePaths: Sendable, Equatable {
  /// What the learner has done: `$XDG_STATE_HOME/socklab/progress.json`.
  public var progress: String
  /// Free play's history of lines, beside the progress.
  public var history: String
  /// Where `x` and `:export` write C programs: `SOCKLAB_EXPORTS`, or `~/socklab/exports`. These are
  /// the learner's own documents, to open and hand out, so they sit in plain sight, not in a
  /// hidden state folder.
  public var exports: String
  /// The folder of the lab's runtime sockets (presenter notes): `$XDG_RUNTIME_DIR/socklab`, or a
  /// private folder in /tmp when the session has no runtime folder.
  public var runtime: String

  public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> StatePaths {
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "."
    func absolute(_ name: String) -> String? { environment[name].flatMap { $0.hasPrefix("/") ? $0 : nil } }
    let state = (absolute("XDG_STATE_HOME") ?? home + "/.local/state") + "/socklab"
    return StatePaths(
      progress: state + "/progress.json", history: state + "/history",
      exports: absolute("SOCKLAB_EXPORTS") ?? home + "/socklab/exports",
      runtime: absolute("XDG_RUNTIME_DIR").map { $0 + "/socklab" } ?? "/tmp/socklab-\(getuid())")
  }

  /// What `socklab --paths` prints.
  public var report: String {
    """
    progress        \(progress)
    history         \(history)
    exports         \(exports)
    runtime folder  \(runtime)
    """
  }
}
