import LabEngine
import LabScript
import Testing

extension Live {
  /// The classic failures, as this Linux kernel gives them, each asserted by the script itself
  /// and by the test.
  @Suite("Classic failures") struct ClassicFailures {
    @Test func bindingAPortInUseFailsWithAddressInUse() throws {
      try expectErrno(
        "EADDRINUSE", atLine: 5,
        in: """
          a = socket(AF_INET, SOCK_STREAM, 0) = fd
          addr = sockaddr_in("127.0.0.1", htons(PORT))
          bind(a, &addr, sizeof addr) = 0
          b = socket(AF_INET, SOCK_STREAM, 0) = fd
          bind(b, &addr, sizeof addr) = -1 EADDRINUSE
          """)
    }

    @Test func connectingWhereNobodyListensIsRefused() throws {
      try expectErrno(
        "ECONNREFUSED", atLine: 3,
        in: """
          c = socket(AF_INET, SOCK_STREAM, 0) = fd
          addr = sockaddr_in("127.0.0.1", htons(PORT2))
          connect(c, &addr, sizeof addr) = -1 ECONNREFUSED
          """)
    }

    @Test func acceptOnASocketThatIsNotListeningIsInvalid() throws {
      try expectErrno(
        "EINVAL", atLine: 4,
        in: """
          s = socket(AF_INET, SOCK_STREAM, 0) = fd
          addr = sockaddr_in("127.0.0.1", htons(PORT))
          bind(s, &addr, sizeof addr) = 0
          accept(s, NULL, NULL) = -1 EINVAL
          """)
    }

    @Test func getpeernameAndShutdownNeedAConnection() throws {
      let text = """
        s = socket(AF_INET, SOCK_STREAM, 0) = fd
        getpeername(s, &peer, &peerlen) = -1 ENOTCONN
        shutdown(s, SHUT_WR) = -1 ENOTCONN
        """
      try expectErrno("ENOTCONN", atLine: 2, in: text)
      try expectErrno("ENOTCONN", atLine: 3, in: text)
    }

    @Test func connectingTwiceIsAlreadyConnected() throws {
      try expectErrno(
        "EISCONN", atLine: 7,
        in: """
          s = socket(AF_INET, SOCK_STREAM, 0) = fd
          addr = sockaddr_in("127.0.0.1", htons(PORT))
          bind(s, &addr, sizeof addr) = 0
          listen(s, 1) = 0
          c = socket(AF_INET, SOCK_STREAM, 0)
          connect(c, &addr, sizeof addr) = 0
          connect(c, &addr, sizeof addr) = -1 EISCONN
          """)
    }

    @Test func bindingAnAddressThisHostDoesNotHaveIsNotAvailable() throws {
      try expectErrno(
        "EADDRNOTAVAIL", atLine: 3,
        in: """
          s = socket(AF_INET, SOCK_STREAM, 0) = fd
          addr = sockaddr_in("192.0.2.1", htons(PORT))
          bind(s, &addr, sizeof addr) = -1 EADDRNOTAVAIL
          """)
    }

    @Test func aDatagramSocketCannotSpeakTCP() throws {
      try expectErrno("EPROTONOSUPPORT", atLine: 1, in: "socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP) = -1 EPROTONOSUPPORT")
    }

    @Test func recvAfterThePeersShutdownReturnsZero() throws {
      let report = try run(
        Connected.script + """

          client: shutdown(c, SHUT_WR) = 0
          server: recv(a, buf, sizeof buf, 0) = 0
          """)
      #expect(report.failures == 0, transcript(report))
      #expect(entry(report, line: Connected.lines + 2)?.result == "0", transcript(report))
    }

    @Test func sendAfterOnesOwnShutdownIsABrokenPipe() throws {
      // Without SIGPIPE ignored this would kill the test process.
      try expectErrno(
        "EPIPE", atLine: Connected.lines + 2,
        in: Connected.script + """

          client: shutdown(c, SHUT_WR) = 0
          client: send(c, "late", 4, 0) = -1 EPIPE
          """)
    }

    @Test func recvAfterThePeerClosedWithUnreadDataIsReset() throws {
      try expectErrno(
        "ECONNRESET", atLine: Connected.lines + 3,
        in: Connected.script + """

          client: send(c, "unread", 6, 0) = 6
          server: close(a) = 0          # unread data: the kernel answers with RST, not FIN
          client: recv(c, buf, sizeof buf, 0) = -1 ECONNRESET
          """)
    }

    @Test func closingTwiceIsABadDescriptor() throws {
      try expectErrno(
        "EBADF", atLine: 3,
        in: """
          s = socket(AF_INET, SOCK_STREAM, 0) = fd
          close(s) = 0
          close(s) = -1 EBADF
          """)
    }

    @Test func recvfromOnAnEmptyNonBlockingUDPSocketWouldBlock() throws {
      try expectErrno(
        "EAGAIN", atLine: 5,
        in: """
          u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = fd
          addr = sockaddr_in("127.0.0.1", htons(PORT))
          bind(u, &addr, sizeof addr) = 0
          fcntl(u, F_SETFL, O_NONBLOCK) = 0
          recvfrom(u, buf, sizeof buf, 0, &from, &fromlen) = -1 EAGAIN
          """)
    }
  }
}

/// A server and a client already connected, for tests that start from there.
enum Connected {
  static let script = """
    server: s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = fd
    server: addr = sockaddr_in("127.0.0.1", htons(PORT))
    server: bind(s, &addr, sizeof addr) = 0
    server: listen(s, 5) = 0
    client: c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = fd
    client: connect(c, &addr, sizeof addr) = 0
    server: a = accept(s, &peer, &peerlen) = fd
    """
  static let lines = 7
}
