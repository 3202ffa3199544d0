#if canImport(Glibc)
  import Glibc
#endif

/// Starts `body` on a new OS thread (not Swift concurrency's pool, which a blocking call would
/// starve) and returns the thread to join, or nil if none could be started.
@discardableResult
public func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
  final class Box: @unchecked Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }
  let box = Unmanaged.passRetained(Box(body))
  var id = pthread_t()
  let status = pthread_create(
    &id, nil,
    { raw in
      Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
      return nil
    }, box.toOpaque())
  guard status == 0 else {
    box.release()
    return nil
  }
  return id
}

/// Runs `body` on a thread nobody waits for.
public func detachThread(_ body: @escaping @Sendable () -> Void) {
  if let id = startThread(body) { pthread_detach(id) }
}
