#if canImport(Glibc)
  import Glibc
#endif

/// Monotonic time in nanoseconds, for how long a call took.
public enum MonotonicClock {
  public static func nanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }
}

/// Formats a duration the way the transcript shows it: `12µs`, `3.4ms`, `1.20s`.
public func formatDuration(nanoseconds ns: UInt64) -> String {
  if ns < 1_000 { return "\(ns)ns" }
  if ns < 1_000_000 { return "\(ns / 1_000)µs" }
  if ns < 1_000_000_000 {
    let tenths = ns / 100_000
    return "\(tenths / 10).\(tenths % 10)ms"
  }
  let hundredths = ns / 10_000_000
  let frac = hundredths % 100
  return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)s"
}
