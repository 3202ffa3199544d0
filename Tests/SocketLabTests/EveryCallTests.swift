import LabEngine
import LabScript
import SocketKit
import Testing

extension Live {
  /// The success path of every call the language knows, checked by the scripts' own expectations.
  @Suite("Every call, for real") struct EveryCall {
    private func expectPasses(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> RunReport {
      let report = try run(text)
      #expect(report.failures == 0, transcript(report), sourceLocation: sourceLocation)
      let checked = report.entries.filter { $0.status == .held }.count
      #expect(checked > 0, "the script checked nothing", sourceLocation: sourceLocation)
      return report
    }

    @Test func tcpFromSocketToClose() throws {
      let report = try expectPasses(
        Connected.script + """

          server: getsockname(a, &local, &locallen) = 0
          server: value(ntohs(local.sin_port)) = PORT           # the accepted socket shares the listener's port
          server: getpeername(a, &remote, &remotelen) = 0
          client: getsockname(c, &mine, &minelen) = 0
          server: value(remote.sin_port) = mine.sin_port         # the server sees the client's port
          client: send(c, "hello\\n", 6, 0) = 6
          client: send(c, "world\\n", 6, 0) = 6
          server: pending(a) = 12                                # a stream: both sends wait together
          server: recv(a, buf, sizeof buf, 0) = 12
          client: shutdown(c, SHUT_WR) = 0
          server: recv(a, buf, sizeof buf, 0) = 0
          server: close(a) = 0
          client: close(c) = 0
          server: close(s) = 0
          """)
      let recv = try #require(entry(report, line: Connected.lines + 9))
      #expect(recv.call?.hasSuffix(#", "hello\nworld\n", 1024, 0)"#) == true, "\(recv.text)")
    }

    @Test func accept4SetsFlagsOnTheNewDescriptor() throws {
      try _ = expectPasses(
        """
        s = socket(AF_INET, SOCK_STREAM, 0) = fd
        addr = sockaddr_in("127.0.0.1", htons(PORT))
        bind(s, &addr, sizeof addr) = 0
        listen(s, 5) = 0
        c = socket(AF_INET, SOCK_STREAM, 0) = fd
        connect(c, &addr, sizeof addr) = 0
        a = accept4(s, &peer, &peerlen, SOCK_NONBLOCK) = fd
        value(fcntl(a, F_GETFL) | 0) = O_RDWR | O_NONBLOCK
        recv(a, buf, sizeof buf, 0) = -1 EAGAIN
        """)
    }

    @Test func udpDatagramsKeepTheirBoundaries() throws {
      try _ = expectPasses(
        """
        server: u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = fd
        server: addr = sockaddr_in("127.0.0.1", htons(PORT))
        server: bind(u, &addr, sizeof addr) = 0
        client: k = socket(AF_INET, SOCK_DGRAM, 0) = fd
        client: sendto(k, "one", 3, 0, &addr, sizeof addr) = 3
        client: sendto(k, "two!", 4, 0, &addr, sizeof addr) = 4
        server: recvfrom(u, buf, sizeof buf, 0, &from, &fromlen) = 3
        server: recvfrom(u, buf, sizeof buf, 0, &from, &fromlen) = 4
        client: getsockname(k, &me, &melen) = 0
        server: value(from.sin_port) = me.sin_port
        server: inet_ntoa(from.sin_addr) = "127.0.0.1"
        client: connect(k, &addr, sizeof addr) = 0
        client: send(k, "toolong", 7, 0) = 7
        server: small = buffer(4)
        server: recv(u, small, sizeof small, 0) = 4           # the rest of the datagram is lost
        """)
    }

    @Test func everyOptionTheLabKnows() throws {
      try _ = expectPasses(
        """
        s = socket(AF_INET, SOCK_STREAM, 0) = fd
        getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, &onlen) = 0
        value(on) = 0
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1) = 0
        getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, &onlen) = 0
        value(on) = 1
        one = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) = 0
        setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, 1) = 0
        getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &on, &onlen) = 0
        value(on) = 1
        setsockopt(s, SOL_SOCKET, SO_LINGER, linger(1, 0)) = 0
        getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &lglen) = 0
        value(lg.l_onoff) = 1
        value(lglen) = 8
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, 65536) = 0
        getsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, &sizelen) = 0
        value(size) = 131072                  # Linux doubles it for its own bookkeeping
        setsockopt(s, SOL_SOCKET, SO_SNDBUF, 65536) = 0
        getsockopt(s, SOL_SOCKET, SO_SNDBUF, &size, &sizelen) = 0
        value(size) = 131072
        getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &errlen) = 0
        value(err) = 0
        getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &typelen) = 0
        value(type) = SOCK_STREAM
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, 1) = 0
        getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, &onlen) = 0
        value(on) = 1
        setsockopt(s, IPPROTO_TCP, TCP_FASTOPEN, 5) = 0
        six = socket(AF_INET6, SOCK_STREAM, 0) = fd
        getsockopt(six, IPPROTO_IPV6, IPV6_V6ONLY, &on, &onlen) = 0
        value(on) = 0
        setsockopt(six, IPPROTO_IPV6, IPV6_V6ONLY, 1) = 0
        getsockopt(six, IPPROTO_IPV6, IPV6_V6ONLY) = 0
        """)
    }

    @Test func fcntlAndPoll() throws {
      try _ = expectPasses(
        """
        s = socket(AF_INET, SOCK_STREAM, 0) = fd
        addr = sockaddr_in("127.0.0.1", htons(PORT))
        bind(s, &addr, sizeof addr) = 0
        listen(s, 5) = 0
        flags = fcntl(s, F_GETFL)
        fcntl(s, F_SETFL, flags | O_NONBLOCK) = 0
        accept(s, NULL, NULL) = -1 EAGAIN
        pfd = pollfd(s, POLLIN)
        poll(&pfd, 1, 0) = 0                  # nobody has connected yet
        c = socket(AF_INET, SOCK_STREAM, 0) = fd
        fcntl(c, F_SETFL, O_NONBLOCK) = 0
        connect(c, &addr, sizeof addr) = -1 EINPROGRESS
        out = pollfd(c, POLLOUT)
        poll(&out, 1, 1000) = 1
        value(out.revents) = POLLOUT
        getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &errlen) = 0
        value(err) = 0
        poll(&pfd, 1, 1000) = 1
        value(pfd.revents) = POLLIN
        a = accept(s, NULL, NULL) = fd
        both = pollfds(pollfd(a, POLLIN), pollfd(c, POLLOUT))
        poll(both, 2, 0) = 1
        """)
    }

    @Test func addressConversions() throws {
      try _ = expectPasses(
        """
        htons(8080) = 0x901f
        ntohs(0x901f) = 8080
        htonl(INADDR_LOOPBACK) = 0x0100007f
        ntohl(0x0100007f) = INADDR_LOOPBACK
        inet_aton("127.0.0.1", &ina) = 1
        value(ina.s_addr) = 0x0100007f
        inet_aton("127.0.0.300", &bad) = 0
        inet_addr("127.0.0.1") = 0x0100007f
        inet_addr("255.255.255.255") = INADDR_NONE     # the same as a failure
        inet_addr("nonsense") = INADDR_NONE
        inet_ntoa(ina) = "127.0.0.1"
        inet_pton(AF_INET6, "::1", &six) = 1
        inet_ntop(AF_INET6, &six) = "::1"
        inet_pton(AF_INET, "::1", &four) = 0
        inet_pton(AF_INET, "10.1.2.3", &four) = 1
        inet_ntop(AF_INET, &four, text, sizeof text) = "10.1.2.3"
        strlen("hello") = 5
        """)
    }

    @Test func getaddrinfoForNumericHostsAndLocalhost() throws {
      try _ = expectPasses(
        """
        hints = addrinfo(AF_INET, SOCK_STREAM, 0)
        getaddrinfo("127.0.0.1", "8080", &hints, &res) = 0
        value(ntohs(res.ai_addr.sin_port)) = 8080
        getaddrinfo("localhost", NULL, &hints, &res2) = 0
        inet_ntoa(res2.ai_addr.sin_addr) = "127.0.0.1"
        s = socket(res.ai_family, res.ai_socktype, res.ai_protocol) = fd
        six = addrinfo(AF_INET6, SOCK_STREAM, AI_NUMERICHOST)
        getaddrinfo("::1", "80", &six, &res3) = 0
        getaddrinfo("not-an-address", "80", &hints, &res4) = -1 EAI_NONAME   # an EAI_ code, not errno
        freeaddrinfo(res)
        """)
    }

    @Test func ipv6WithAScopeIDAndAV4MappedPeer() throws {
      try _ = expectPasses(
        """
        server: s = socket(AF_INET6, SOCK_STREAM, 0) = fd
        server: any6 = sockaddr_in6("::ffff:127.0.0.1", htons(PORT))
        server: bind(s, &any6, sizeof any6) = 0
        server: listen(s, 5) = 0
        client: c = socket(AF_INET, SOCK_STREAM, 0) = fd
        client: addr = sockaddr_in("127.0.0.1", htons(PORT))
        client: connect(c, &addr, sizeof addr) = 0
        server: a = accept(s, &peer, &peerlen) = fd
        server: inet_ntop(AF_INET6, &peer.sin6_addr) = "::ffff:127.0.0.1"
        server: ll = sockaddr_in6("fe80::1", htons(PORT), 1)
        server: value(ll.sin6_scope_id) = 1
        """)
    }
  }
}
