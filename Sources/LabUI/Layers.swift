import LabScript

/// What one call is at each layer: the POSIX call, its OpenSSL BIO counterpart, and what the
/// kernel does for it (OpenBSD's in-kernel interface, and where Linux sleeps).
typealias LayerEntry = CallLayers

enum Layers {
  /// What to say of a call that has no layers: who computes it instead.
  static func without(_ call: String) -> String {
    guard let spec = CallCatalog.spec(named: call) else { return "This line runs no call: C evaluates it in the program." }
    switch spec.kind {
    case .builder:
      return "\(call)() is the lab's shorthand for filling a structure in the program's memory: no call, no kernel."
    case .wire:
      return "This line is the lab's own hand on the wire between its hosts: no program makes it, no kernel call answers it."
    case .system, .kernelQuery:
      if spec.kind == .system, CallCatalog.definition(named: call)?.traits.contains(.libraryCall) == true {
        return "\(call)() runs in the C library, in the program's own memory: the kernel is not asked."
      }
      return "\(call)() is a system call: the kernel answers it from the socket's own state. The lab has no more to say of its layers."
    }
  }

  /// The layers of a call by its name: every definition in the catalog that has a kernel layer.
  static func entry(for call: String) -> LayerEntry? { CallCatalog.definition(named: call)?.layers }
}
