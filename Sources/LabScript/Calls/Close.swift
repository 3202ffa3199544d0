import SocketKit

extension CallLayers {
  public static let close = CallLayers(
    posix: "close(fd): 0 or -1",
    bio: "BIO_closesocket(sock): 1 or 0",
    kernel: "soclose(so) drops the descriptor's reference; the protocol finishes the connection (FIN, TIME-WAIT) without it")
}

extension CallDefinition {
  public static let close = CallDefinition(
    "close", ["fd"], summary: "releases the descriptor; the kernel finishes the connection",
    returns: "0, or -1; the descriptor number is free again at once",
    errors: [("EBADF", "the descriptor is not open (closed twice?)")],
    layers: .close, ownership: .closesDescriptor, traits: .endsSending,
    .system { cx, a, _ throws(ScriptError) in SocketAPI.close(fd: try cx.descriptor(a[0])) })
}
