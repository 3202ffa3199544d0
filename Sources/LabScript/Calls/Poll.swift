import SocketKit

extension CallDefinition {
  public static let poll = CallDefinition(
    "poll", ["fds", "nfds", "timeout"],
    summary: "waits until a descriptor is readable or writable, or the timeout in ms passes",
    returns: "how many descriptors are ready (0 after the timeout), with revents filled in",
    errors: [("EINTR", "a signal interrupted the wait")],
    layers: CallLayers(
      posix: "poll(fds, n, timeout): how many are ready",
      bio: "BIO_wait() (OpenSSL 3) waits on a BIO's socket",
      kernel:
        "each socket's poll routine reports readiness from its buffers and state; the thread sleeps until one wakes it (Linux: poll_schedule_timeout)"
    ),
    traits: .mayBlock,
    c: CForm(shortForm: { renderer, a in
      // An array decays to a pointer: poll(set, ...) rather than poll(&set, ...).
      guard case .addressOf(let inner, _) = a[0], let variable = inner.asName, renderer.declared[variable] == "struct pollfd[]"
      else { return nil }
      return ([], [variable] + a.dropFirst().map { renderer.expression($0) })
    }),
    .system { cx, a, _ throws(ScriptError) in
      guard case .pollSet(let entries) = try cx.evaluate(a[0]) else {
        throw ScriptError(
          "poll() needs a struct pollfd", at: a[0].location, hint: "declare one with pfd = pollfd(s, POLLIN) and pass &pfd")
      }
      let count = try cx.integer(a[1])
      guard (0...entries.count).contains(count) else {
        throw ScriptError(
          "nfds is \(count) but the set holds \(entries.count)", at: a[1].location, hint: "pass the number of entries")
      }
      for entry in entries.prefix(count) where !cx.environment.owns(entry.fd) && cx.kernel.isOpen(fd: entry.fd) {
        throw ScriptError(
          "descriptor \(entry.fd) is not a socket of this lab", at: a[0].location, hint: "poll the lab's own sockets")
      }
      let (record, after) = SocketAPI.poll(entries: Array(entries.prefix(count)), timeoutMilliseconds: try cx.int32(a[2]))
      try cx.write(.pollSet(after + entries.dropFirst(count)), to: a[0], cType: "struct pollfd")
      return record
    })

  public static let pollfd = CallDefinition(
    "pollfd", ["fd", "events"], summary: "a struct pollfd for poll()",
    returns: "a struct pollfd asking for events (POLLIN, POLLOUT) on one descriptor",
    c: CForm(build: { renderer, a, target in
      renderer.declare(target, "struct pollfd", initialiser: "{ .fd = \(renderer.expression(a[0])), .events = \(renderer.expression(a[1])) }")
    }),
    .builder { cx, a, _ throws(ScriptError) in
      .pollSet([PollEntry(fd: try cx.int32(a[0]), events: Int16(truncatingIfNeeded: try cx.integer(a[1])))])
    })

  public static let pollfds = CallDefinition(
    "pollfds", ["pollfd", "..."], arities: Set(1...64), summary: "an array of struct pollfd",
    returns: "an array of struct pollfd for one poll() call",
    c: CForm(build: { renderer, a, target in
      let entries = a.map { entry -> String in
        if case .call(_, let inner, _) = entry, inner.count == 2, CallCatalog.definition(of: entry) == .pollfd {
          return "{ .fd = \(renderer.expression(inner[0])), .events = \(renderer.expression(inner[1])) }"
        }
        return renderer.expression(entry)
      }
      renderer.declared[target] = "struct pollfd[]"
      return [.declaration(type: "struct pollfd", name: "\(target)[]", initialiser: "{ \(entries.joined(separator: ", ")) }")]
    }),
    .builder { cx, a, _ throws(ScriptError) in
      var entries: [PollEntry] = []
      for argument in a {
        guard case .pollSet(let more) = try cx.evaluate(argument) else {
          throw ScriptError(
            "pollfds() takes pollfd(fd, events) entries", at: argument.location,
            hint: "write pollfds(pollfd(a, POLLIN), pollfd(b, POLLIN))")
        }
        entries += more
      }
      return .pollSet(entries)
    })
}
