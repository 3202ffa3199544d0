import Foundation
import LabEngine
import LabScript
import SocketKit
import Testing

extension Live {
  @Suite("Sessions of actors") struct Sessions {
    private func statements(_ text: String) throws -> [Statement] { try Parser.parse(text).statements }

    @Test func aServerBlockedInAcceptReturnsWhenTheClientConnects() throws {
      let session = LabSession()
      defer { session.close() }
      let lines = try statements(
        Listening.script + """

          server: a = accept(s, &peer, &peerlen) = fd
          client: c = socket(AF_INET, SOCK_STREAM, 0) = fd
          client: connect(c, &addr, sizeof addr) = 0
          """)
      for line in lines.prefix(4) { #expect(session.wait(for: session.submit(line), timeout: 1_000_000_000)) }

      let accept = session.submit(lines[4])
      #expect(!session.wait(for: accept, timeout: 100_000_000), "accept() returned with nobody connecting")
      let blocked = try #require(session.markBlocked(accept))
      #expect(blocked.actor == "server")
      #expect(blocked.callName == "accept()")
      #expect(blocked.kernelFunction == "inet_csk_accept")
      #expect(session.isBusy("server"))

      // The client actor goes on while the server is blocked.
      #expect(session.wait(for: session.submit(lines[5]), timeout: 1_000_000_000))
      let connect = session.submit(lines[6])
      #expect(session.wait(for: connect, timeout: 1_000_000_000))
      #expect(session.wait(for: accept, timeout: 1_000_000_000))

      let events = session.log.events
      let blockedAt = try #require(events.firstIndex { if case .blocked = $0.kind { return true } else { return false } })
      let connectStarted = try #require(
        events.firstIndex { $0.ticket == connect && { if case .started = $0.kind { return true } else { return false } }($0) })
      let acceptFinished = try #require(
        events.firstIndex { $0.ticket == accept && { if case .finished = $0.kind { return true } else { return false } }($0) })
      #expect(blockedAt < connectStarted)
      #expect(connectStarted < acceptFinished)
      guard case .finished(_, let outcome) = events[acceptFinished].kind else { return }
      #expect(outcome.verdict == .held)
      #expect(outcome.record?.call.hasPrefix("accept(") == true)
    }

    @Test func everyCallThatOpensADescriptorGivesItToItsActor() throws {
      let session = LabSession()
      defer { session.close() }
      let script = try Parser.parse(
        """
        server: b = BIO_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0) = fd
        client: t = socket_tcp6() = fd
        other: s = socket(AF_INET, SOCK_DGRAM, 0) = fd
        """)
      #expect(ScriptRunner().run(script, in: session).failures == 0)
      #expect(session.snapshot().sockets.map(\.actor) == ["server", "client", "other"])
    }

    @Test func aBlockedCallCanBeInterrupted() throws {
      let session = LabSession()
      defer { session.close() }
      let lines = try statements(
        Listening.script + """

          server: accept(s, NULL, NULL) = -1 EINTR
          """)
      for line in lines.prefix(4) { #expect(session.wait(for: session.submit(line), timeout: 1_000_000_000)) }
      let accept = session.submit(lines[4])
      #expect(!session.wait(for: accept, timeout: 100_000_000))
      let how = try #require(session.interrupt("server"))
      #expect(how.contains("EINTR"))
      #expect(session.isDone(accept))
      let finished = session.log.events.compactMap { event -> StepOutcome? in
        if case .finished(_, let outcome) = event.kind, event.ticket == accept { return outcome }
        return nil
      }
      #expect(finished.first?.record?.error?.name == "EINTR")
      #expect(finished.first?.verdict == .held)
    }

    @Test func timeWaitIsSeenThroughSockDiagAfterTheActiveClose() throws {
      let session = LabSession()
      defer { session.close() }
      let script = try Parser.parse(
        Connected.script + """

          client: close(c) = 0                    # the client closes first: the active close
          server: recv(a, buf, sizeof buf, 0) = 0
          server: close(a) = 0
          client: tcp_state(c) = TIME-WAIT        # no descriptor any more; sock_diag still sees it
          """)
      let report = ScriptRunner().run(script, in: session)
      #expect(report.failures == 0, transcript(report))
      let snapshot = session.snapshot()
      let timeWait = snapshot.lingering.filter { $0.state == .timeWait }
      #expect(timeWait.count == 1)
      #expect(timeWait.first?.peer.port == session.port)
      #expect(snapshot.sockets.map(\.snapshot.tcpState) == [.listen])
      #expect(snapshot.sockets.first?.actor == "server")
    }

    @Test func theSnapshotShowsWhatTheKernelSays() throws {
      let session = LabSession()
      defer { session.close() }
      let script = try Parser.parse(
        Connected.script + """

          client: setsockopt(c, IPPROTO_TCP, TCP_NODELAY, 1) = 0
          client: fcntl(c, F_SETFL, O_NONBLOCK) = 0
          client: send(c, "12345", 5, 0) = 5
          server: pending(a) = 5
          """)
      #expect(ScriptRunner().run(script, in: session).failures == 0)
      let rows = session.snapshot().sockets
      #expect(rows.map(\.actor) == ["server", "client", "server"])
      let client = try #require(rows.first { $0.actor == "client" }?.snapshot)
      #expect(client.tcpState == .established)
      #expect(client.nonBlocking)
      #expect(client.options.contains("TCP_NODELAY"))
      #expect(client.peer?.port == session.port)
      let accepted = try #require(rows.last?.snapshot)
      #expect(accepted.receiveQueue == 5)
      #expect(accepted.local?.port == session.port)
    }

    @Test func aCallStillBlockedAtTheEndFailsTheRunAndIsCleanedUp() throws {
      let session = LabSession()
      var runner = ScriptRunner()
      runner.endWait = 100_000_000
      let script = try Parser.parse(
        """
        server: s = socket(AF_INET, SOCK_STREAM, 0) = fd
        server: addr = sockaddr_in("127.0.0.1", htons(PORT))
        server: bind(s, &addr, sizeof addr) = 0
        server: listen(s, 5) = 0
        server: a = accept(s, &peer, &peerlen) = fd
        """)
      let report = runner.run(script, in: session)
      #expect(report.failures == 1)
      #expect(
        report.entries.contains { $0.text == "FAILED: server still blocked in accept() at the end of the script (line 5)" },
        transcript(report))
      let port = session.port
      let open = session.environment.openDescriptors
      session.close()
      #expect(Kernel.current.tcpSockets(onPort: port).filter { $0.state == .listen }.isEmpty, "something still listens")
      for fd in open { #expect(!Kernel.current.isOpen(fd: fd) || !session.environment.owns(fd)) }
    }

    @Test func theNextLineOfABlockedActorWaitsForItsCall() throws {
      let report = try run(
        """
        server: s = socket(AF_INET, SOCK_STREAM, 0) = fd
        server: addr = sockaddr_in("127.0.0.1", htons(PORT))
        server: bind(s, &addr, sizeof addr) = 0
        server: listen(s, 5) = 0
        server: a = accept(s, &peer, &peerlen) = fd
        server: tcp_state(a) = ESTABLISHED       # waits for accept() to return
        client: c = socket(AF_INET, SOCK_STREAM, 0) = fd
        client: connect(c, &addr, sizeof addr) = 0
        """.reordered())
      #expect(report.failures == 0, transcript(report))
      let kinds = report.entries.map { "\($0.actor ?? ""):\($0.kind.rawValue):\($0.line ?? 0)" }
      #expect(
        kinds == [
          "server:call:1", "server:call:2", "server:call:3", "server:call:4", "server:blocked:5", "client:call:6",
          "client:call:7", "server:call:5", "server:call:8",
        ], transcript(report))
    }

    @Test func theLabRefusesDescriptorsItDoesNotOwn() throws {
      let report = try run("close(1) = 0")
      #expect(report.failures == 1)
      let entry = try #require(report.entries.first)
      #expect(entry.kind == .refused)
      #expect(entry.text.contains("descriptor 1 is not a socket of this lab"))
      #expect(Kernel.current.isOpen(fd: 1), "the lab closed its own standard output")
    }

    @Test func theLabStaysOnLoopback() throws {
      let report = try run(
        """
        c = socket(AF_INET, SOCK_STREAM, 0) = fd
        far = sockaddr_in("198.51.100.7", htons(80))
        connect(c, &far, sizeof far) = -1 ECONNREFUSED
        """)
      let refused = try #require(report.entries.last)
      #expect(refused.kind == .refused)
      #expect(refused.text.contains("the lab only talks to this machine"))
      #expect(refused.note?.contains("--allow-remote") == true)
    }

    @Test func endingASessionClosesEverySocketAndThread() throws {
      let session = LabSession()
      let script = try Parser.parse(Connected.script)
      #expect(ScriptRunner().run(script, in: session).failures == 0)
      let open = session.environment.openDescriptors
      #expect(open.count == 3)
      session.close()
      #expect(session.environment.openDescriptors.isEmpty)
      #expect(Kernel.current.tcpSockets(onPort: session.port).allSatisfy { $0.state != .listen && $0.state != .established })
    }
  }
}

/// A server listening on PORT, for tests that go on from there (four statements).
enum Listening {
  static let script = """
    server: s = socket(AF_INET, SOCK_STREAM, 0) = fd
    server: addr = sockaddr_in("127.0.0.1", htons(PORT))
    server: bind(s, &addr, sizeof addr) = 0
    server: listen(s, 5) = 0
    """
}

extension String {
  /// Moves the server's tcp_state line (6) after the client's lines, as a lesson would write it
  /// when the server's next step comes later in the story.
  fileprivate func reordered() -> String {
    var lines = split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let line = lines.remove(at: 5)
    lines.append(line)
    return lines.joined(separator: "\n")
  }
}

extension Live.Sessions {
  @Test func theLabListensOnLoopbackOnly() throws {
    let report = try run(
      """
      s = socket(AF_INET, SOCK_STREAM, 0) = fd
      listen(s, 5) = 0
      """)
    let refused = try #require(report.entries.last)
    #expect(refused.kind == .refused)
    #expect(refused.text.contains("listen() on an unbound socket (listen() would bind it to every address) was not run"))
    let anywhere = try run(
      """
      s = socket(AF_INET, SOCK_STREAM, 0) = fd
      any = sockaddr_in(htonl(INADDR_ANY), htons(PORT))
      bind(s, &any, sizeof any) = 0
      listen(s, 5) = 0
      """)
    #expect(anywhere.entries.last?.text.contains("listen() on a socket bound to 0.0.0.0 was not run") == true)
  }
}

extension Live.Sessions {
  /// A real outside peer (Python's socket module) connects to a listening socket of the lab.
  @Test(
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
        || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/python3"), "python3 is not installed"))
  func anOutsidePeerIsSeenArrivingAndItsBytesAreEscaped() throws {
    let session = LabSession()
    defer { session.close() }
    let listen = try Parser.parse(Listening.script)
    #expect(ScriptRunner().run(listen, in: session).failures == 0)

    let peer = try OutsidePeer(port: session.port, bytes: "\\x1b[31mred\\n")
    defer { peer.stop() }
    var snapshot = session.snapshot()
    let deadline = Date().addingTimeInterval(3)
    while (snapshot.queued.isEmpty || snapshot.outsidePeers.isEmpty) && Date() < deadline {
      Thread.sleep(forTimeInterval: 0.02)
      snapshot = session.snapshot()
    }
    let queued = try #require(snapshot.queued.first, "the connection never showed up in the accept queue")
    #expect(queued.local.port == session.port)
    let outside = try #require(snapshot.outsidePeers.first)
    #expect(outside.peer.port == session.port)
    #expect(outside.local.port == queued.peer.port)

    let accept = try Parser.parse(
      Listening.script + """

        server: a = accept(s, &from, &fromlen) = fd
        server: recv(a, buf, sizeof buf, 0) = 9
        """
    ).statements.suffix(2)
    var records: [CallRecord] = []
    for statement in accept {
      let outcome = try session.evaluator.run(statement)
      #expect(outcome.verdict == .held)
      if let record = outcome.record { records.append(record) }
    }
    #expect(records[0].call.contains("{AF_INET, 127.0.0.1:\(outside.local.port)}"))
    #expect(records[1].call.contains(#""\x1b[31mred\n""#), "bytes from the network must be shown escaped: \(records[1].call)")
    #expect(session.snapshot().queued.isEmpty)
  }
}
