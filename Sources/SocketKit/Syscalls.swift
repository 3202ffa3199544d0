import CShims

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - Calling C and reading errno at once
//
// Every C call goes through `measure`, which reads errno immediately after the call returns.
// It is `@inline(never)` so that nothing the optimiser moves in between can clobber errno.

/// A C call's raw outcome: its return value, errno if it failed, and how long it took.
struct RawOutcome<T> {
  var value: T
  var errno: Int32?
  var nanoseconds: UInt64
}

@inline(never)
func measure<T: BinaryInteger>(_ call: () -> T) -> RawOutcome<T> {
  let start = MonotonicClock.nanoseconds()
  Glibc.errno = 0
  let value = call()
  let savedErrno = Glibc.errno
  let elapsed = MonotonicClock.nanoseconds() - start
  return RawOutcome(value: value, errno: value < 0 ? savedErrno : nil, nanoseconds: elapsed)
}

/// SIGPIPE would kill the lab when a send meets a closed peer; ignored once, the send returns EPIPE.
let sigpipeIgnored: Bool = {
  socklab_ignore_sigpipe()
  return true
}()

func record<T: BinaryInteger>(_ function: String, _ arguments: String, _ raw: RawOutcome<T>) -> CallRecord {
  CallRecord(
    function: function, call: "\(function)(\(arguments))", result: .int(Int(raw.value)),
    error: raw.errno.map { SystemError(errno: $0) }, nanoseconds: raw.nanoseconds)
}

extension RawOutcome {
  var succeeded: Bool { errno == nil }
}
