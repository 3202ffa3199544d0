import SocketKit

extension CallLayers {
  public static let send = CallLayers(
    posix: "send(fd, buf, len, flags): bytes queued, or -1",
    bio: "BIO_write() on a socket BIO",
    kernel:
      "sosend(so, addr, uio, top, control, flags) copies from the uio into mbufs on the send buffer and asks the protocol to transmit"
  )
  public static let recv = CallLayers(
    posix: "recv(fd, buf, len, flags): bytes read, 0 at end of stream, or -1",
    bio: "BIO_read() on a socket BIO",
    kernel:
      "soreceive(so, paddr, uio, mp0, controlp, flagsp) copies mbufs from the receive buffer into the uio, sleeping while it is empty (Linux: wait_woken)"
  )
}

extension CallDefinition {
  public static let send = CallDefinition(
    "send", ["fd", "buf", "len", "flags"], summary: "queues bytes to send on a connected socket",
    returns: "how many bytes the kernel took (not how many the peer read), or -1",
    errors: [
      ("EPIPE", "the sending side is shut down or the connection was reset"),
      ("EAGAIN", "non-blocking and the send buffer is full"),
      ("ENOTCONN", "not connected"),
    ],
    layers: .send, c: CForm(resultType: "ssize_t"),
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let data = try cx.bytes(a[1])
      let length = try cx.integer(a[2])
      try cx.checkLength(length, within: data.count, at: a[2].location, what: "the data")
      return SocketAPI.send(fd: fd, bytes: data, length: length, flags: try cx.int32(a[3]))
    })

  public static let recv = CallDefinition(
    "recv", ["fd", "buf", "len", "flags"], out: [1: .buffer],
    summary: "takes up to len received bytes; 0 means the peer will send no more",
    returns: "how many bytes were copied, 0 at the end of the stream, or -1; blocks while nothing is waiting",
    errors: [
      ("EAGAIN", "non-blocking (or MSG_DONTWAIT) and nothing waiting"), ("ECONNRESET", "the peer reset the connection"),
      ("ENOTCONN", "not connected"),
    ],
    layers: .recv, traits: .mayBlock, c: CForm(resultType: "ssize_t"),
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let capacity = try cx.bufferCapacity(a[1])
      let length = try cx.integer(a[2])
      try cx.checkLength(length, within: capacity, at: a[2].location, what: "the buffer")
      let (record, received) = SocketAPI.recv(fd: fd, capacity: length, flags: try cx.int32(a[3]))
      try cx.write(.buffer(contents: received, capacity: capacity), to: a[1], cType: "char[\(capacity)]")
      cx.refresh(fd)
      return record
    })
}
