import SocketKit

extension CallLayers {
  public static let accept = CallLayers(
    posix: "accept(fd, addr, addrlen): a new descriptor, blocking while the queue is empty",
    bio: "BIO_accept_ex(sock, peer, options): the new descriptor or -1",
    kernel:
      "the system call sleeps until the completed-connection queue has an entry, then soaccept() hands it over (Linux sleeps in inet_csk_accept)"
  )
}

extension CallDefinition {
  public static let accept = CallDefinition(
    "accept", ["fd", "addr", "addrlen"], out: [1: .socketAddress, 2: .addressLength],
    summary: "takes the next finished connection off the queue as a new descriptor; blocks while there is none",
    returns: "a new descriptor for the next completed connection; blocks while there is none",
    errors: [
      ("EINVAL", "the socket is not listening"), ("EAGAIN", "non-blocking and nothing waiting"),
      ("EINTR", "a signal interrupted the wait"),
    ],
    layers: .accept, ownership: .opensDescriptor, traits: .mayBlock, c: CForm(addressArguments: [1]),
    .system { cx, a, _ throws(ScriptError) in try cx.accept(a, flags: nil) })

  public static let accept4 = CallDefinition(
    "accept4", ["fd", "addr", "addrlen", "flags"], out: [1: .socketAddress, 2: .addressLength],
    summary: "accept with SOCK_NONBLOCK/SOCK_CLOEXEC set on the new descriptor",
    returns: "like accept(), with SOCK_NONBLOCK or SOCK_CLOEXEC already set on the new descriptor",
    errors: [("EINVAL", "not listening, or unknown flags"), ("EAGAIN", "non-blocking and nothing waiting")],
    layers: .accept, ownership: .opensDescriptor, traits: .mayBlock, c: CForm(addressArguments: [1]),
    .system { cx, a, _ throws(ScriptError) in try cx.accept(a, flags: try cx.int32(a[3])) })
}

extension CallContext {
  fileprivate mutating func accept(_ a: [Expr], flags: Int32?) throws(ScriptError) -> CallRecord {
    let fd = try descriptor(a[0])
    let peerTarget = outTarget(a[1])
    let (record, peer, length) = SocketAPI.accept(fd: fd, wantPeer: peerTarget != nil, flags: flags)
    if let newFD = record.result.intValue, newFD >= 0 {
      try write(.socketAddress(peer), to: peerTarget, cType: "struct sockaddr_storage")
      try write(.int(length), to: outTarget(a[2]), cType: "socklen_t")
      noteIfFromOutside(Int32(newFD), peer: peer)
    } else {
      try write(.socketAddress(nil), to: peerTarget, cType: "struct sockaddr_storage")
      try write(.int(lengthVariableSize(of: peerTarget)), to: outTarget(a[2]), cType: "socklen_t")
    }
    return record
  }
}
