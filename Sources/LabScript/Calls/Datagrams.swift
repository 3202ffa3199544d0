import SocketKit

extension CallDefinition {
  public static let sendto = CallDefinition(
    "sendto", ["fd", "buf", "len", "flags", "dest_addr", "addrlen"], summary: "sends one datagram to an address",
    returns: "how many bytes were sent in one datagram, or -1",
    errors: [("EMSGSIZE", "the datagram is too large to send at once")],
    layers: .send, c: CForm(resultType: "ssize_t", addressArguments: [4]),
    .system { cx, a, place throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let data = try cx.bytes(a[1])
      let length = try cx.integer(a[2])
      try cx.checkLength(length, within: data.count, at: a[2].location, what: "the data")
      let flags = try cx.int32(a[3])
      var target: SocketAddress?
      if !cx.isNull(a[4]) {
        let address = try cx.address(a[4])
        try cx.requireLocal(address, "sendto", at: place)
        target = address
      }
      let record = SocketAPI.sendto(
        fd: fd, bytes: data, length: length, flags: flags, address: target, addressLength: try cx.socklen(a[5]))
      cx.refresh(fd)
      return record
    })

  public static let recvfrom = CallDefinition(
    "recvfrom", ["fd", "buf", "len", "flags", "src_addr", "addrlen"],
    out: [1: .buffer, 4: .socketAddress, 5: .addressLength], summary: "receives one datagram and who sent it",
    returns: "the size of the datagram received (cut to the buffer), and who sent it",
    errors: [("EAGAIN", "non-blocking and no datagram waiting")],
    layers: .recv, traits: .mayBlock, c: CForm(resultType: "ssize_t", addressArguments: [4]),
    .system { cx, a, _ throws(ScriptError) in
      let fd = try cx.descriptor(a[0])
      let capacity = try cx.bufferCapacity(a[1])
      let length = try cx.integer(a[2])
      try cx.checkLength(length, within: capacity, at: a[2].location, what: "the buffer")
      let senderTarget = cx.outTarget(a[4])
      let (record, received, sender, senderLength) = SocketAPI.recvfrom(
        fd: fd, capacity: length, flags: try cx.int32(a[3]), wantSender: senderTarget != nil)
      try cx.write(.buffer(contents: received, capacity: capacity), to: a[1], cType: "char[\(capacity)]")
      try cx.write(.socketAddress(sender), to: senderTarget, cType: "struct sockaddr_storage")
      try cx.write(
        .int(record.error == nil ? senderLength : cx.lengthVariableSize(of: senderTarget)), to: cx.outTarget(a[5]),
        cType: "socklen_t")
      cx.refresh(fd)
      return record
    })
}
