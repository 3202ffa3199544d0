import SocketKit

extension CallDefinition {
  public static let shutdown = CallDefinition(
    "shutdown", ["fd", "how"], summary: "ends sending (SHUT_WR), receiving (SHUT_RD) or both", returns: "0, or -1",
    errors: [("ENOTCONN", "the socket is not connected")],
    layers: CallLayers(
      posix: "shutdown(fd, how): 0 or -1",
      bio: "no BIO counterpart for sockets: call shutdown() on BIO_get_fd()",
      kernel:
        "soshutdown(so, how) marks the direction closed; for SHUT_WR the protocol sends its FIN after the data already queued"),
    traits: .endsSending,
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let record = SocketAPI.shutdown(fd: fd, how: try cx.int32(a[1]))
      cx.refresh(fd)
      return record
    })
}
