import LabScript
import SocketKit
import Testing

/// Parses `text` and returns the first error's `line:column: message — hint`.
private func parseError(_ text: String) -> String? {
  do {
    _ = try Parser.parse(text)
    return nil
  } catch {
    return error.description
  }
}

@Suite("The call language's parser")
struct ParserTests {
  @Test func parsesTheFullLineShape() throws {
    let script = try Parser.parse(
      """
      server: s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = fd
      server: a = accept(s, &peer,   &peerlen) = fd   # blocks
      """)
    #expect(script.statements.count == 2)
    let accept = script.statements[1]
    #expect(accept.actor == "server")
    #expect(accept.target == .name("a", SourceLocation(line: 2, column: 9)))
    #expect(accept.expression.callName == "accept")
    #expect(accept.expectation == .anyDescriptor)
    #expect(accept.comment == "blocks")
    #expect(accept.source == "a = accept(s, &peer, &peerlen) = fd")
    #expect(accept.defines == ["peer", "peerlen", "a"])
  }

  @Test func scriptsWithoutActorsRunAsOneActor() throws {
    let script = try Parser.parse("s = socket(AF_INET, SOCK_DGRAM, 0)\nclose(s) = 0\n")
    #expect(script.actors == ["main"])
  }

  @Test func readsEveryKindOfExpectation() throws {
    let script = try Parser.parse(
      """
      s = socket(AF_INET, SOCK_STREAM, 0) = fd
      listen(s, 5) = 0
      connect(s, &s, sizeof s) = -1 ECONNREFUSED (Connection refused)
      tcp_state(s) = FIN-WAIT-2
      recv(s, buf, sizeof buf, 0) = ?
      inet_ntoa(in_addr(16777343)) = "127.0.0.1"
      htons(8080) = 0x901f
      """)
    let expectations = script.statements.map(\.expectation)
    #expect(expectations[0] == .anyDescriptor)
    #expect(expectations[2] == .error("ECONNREFUSED"))
    #expect(expectations[3] == .state(.finWait2))
    #expect(expectations[4] == .prediction)
    #expect(expectations[6] == .value(.integer(0x901f, SourceLocation(line: 7, column: 15))))
  }

  @Test func stringsTakeCEscapes() throws {
    let script = try Parser.parse(#"x = "a\tb\n\x41\101\0""#)
    guard case .string(let bytes, _) = script.statements[0].expression else {
      Issue.record("not a string")
      return
    }
    #expect(bytes == [97, 9, 98, 10, 65, 65, 0])
  }

  @Test func outParametersAreCreatedOnFirstUse() throws {
    let script = try Parser.parse(
      """
      s = socket(AF_INET, SOCK_DGRAM, 0)
      recvfrom(s, buf, sizeof buf, 0, &from, &fromlen) = -1 EAGAIN
      inet_ntoa(from.sin_addr)
      """)
    #expect(script.statements[1].defines == ["buf", "from", "fromlen"])
  }

  @Test func castsFromCAreAccepted() throws {
    let script = try Parser.parse(
      """
      s = socket(AF_INET, SOCK_STREAM, 0)
      addr = sockaddr_in("127.0.0.1", htons(PORT))
      bind(s, (struct sockaddr *)&addr, sizeof(struct sockaddr_in)) = 0
      """)
    guard case .call(_, let arguments, _) = script.statements[2].expression else { return }
    #expect(arguments[1] == .addressOf(.name("addr", SourceLocation(line: 3, column: 29)), SourceLocation(line: 3, column: 28)))
  }

  // MARK: - Mistakes, with their exact places

  @Test func unknownCallSuggestsTheClosest() {
    #expect(parseError("s = socket(AF_INET, SOCK_STREAM, 0)\nbnid(s, &a, 16)") == "2:1: unknown call bnid() — did you mean bind?")
  }

  @Test func wrongArgumentCountShowsTheSignature() {
    #expect(
      parseError("s = socket(AF_INET, SOCK_STREAM, 0)\nclient: listen(s)")
        == "2:9: listen() takes 2 arguments, not 1 — write it as listen(fd, backlog)")
  }

  @Test func unknownConstantSuggestsTheClosest() {
    #expect(parseError("s = socket(AF_INTE, SOCK_STREAM, 0)") == "1:12: unknown constant AF_INTE — did you mean AF_INET?")
  }

  @Test func undefinedVariableIsNamed() {
    #expect(
      parseError("close(sock)")
        == "1:7: undefined variable sock — give it a value first, for example `sock = socket(AF_INET, SOCK_STREAM, 0)`")
  }

  @Test func portOverSixteenBitsIsRefused() {
    #expect(
      parseError(#"addr = sockaddr_in("127.0.0.1", htons(70000))"#)
        == "1:39: port 70000 is over 65535 — a port is 16 bits: use 1 to 65535, or PORT")
  }

  @Test func invalidAddressLiteralIsRefused() {
    #expect(
      parseError(#"addr = sockaddr_in("127.0.0.300", htons(PORT))"#)
        == #"1:20: "127.0.0.300" is not a valid IPv4 address — write a numeric address such as 127.0.0.1"#)
  }

  @Test func unknownErrnoNameSuggestsTheClosest() {
    #expect(
      parseError("s = socket(AF_INET, SOCK_STREAM, 0)\nlisten(s, 1) = -1 EADDRINUSED")
        == "2:16: unknown errno name EADDRINUSED — did you mean EADDRINUSE?")
  }

  @Test func unknownTCPStateListsTheStates() throws {
    let error = try #require(parseError("s = socket(AF_INET, SOCK_STREAM, 0)\ntcp_state(s) = FIN-WAIT-3"))
    #expect(error.hasPrefix("2:16: unknown TCP state FIN-WAIT-3 — write one of ESTABLISHED, SYN-SENT"))
  }

  @Test func unterminatedStringPointsAtItsStart() {
    #expect(parseError(#"x = "abc"#) == #"1:5: unterminated string — add the closing " before the end of the line"#)
  }

  @Test func strayTextAfterTheCallIsRefused() {
    #expect(
      parseError("s = socket(AF_INET, SOCK_STREAM, 0) 5")
        == "1:37: unexpected 5 — one call per line; write the expected result after ` = `")
  }

  @Test func everyLineIsReportedForTheLinter() {
    let (_, errors) = Parser.parseCollectingErrors("bnid(1)\nlisten(1)\nclose(1) = 0", file: "x.lab")
    #expect(
      errors.map(\.description) == [
        "x.lab:1:1: unknown call bnid() — did you mean bind?",
        "x.lab:2:1: listen() takes 2 arguments, not 1 — write it as listen(fd, backlog)",
      ])
  }
}

@Suite("The free-play reference")
struct ReferenceTests {
  @Test func everyCallOfTheLanguageHasAReferenceEntry() {
    let missing = CallCatalog.all.map(\.name).filter { CallReference.entry(for: $0) == nil }
    #expect(missing == [])
  }
}
