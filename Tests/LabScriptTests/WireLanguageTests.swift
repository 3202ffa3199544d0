import LabScript
import Testing

/// The wire's lines: commands for the relay and questions about the segments, with their own
/// grammar (arrows, times, tolerances) and mistakes reported at their place.
@Suite struct WireLanguageTests {
  func statement(_ line: String) throws -> Statement { try #require(try Parser.parse(line).statements.first) }

  @Test func commandsReadAsTheRelayWillObeyThem() throws {
    let cases: [(String, String)] = [
      ("wire: drop next SYN-ACK", "drop next SYN-ACK"),
      ("wire: drop next 2 syn client→server", "drop next 2 SYN client→server"),
      ("wire:   drop next data client->server   # the first request", "drop next data client→server"),
      ("wire: delay server→client 200ms", "delay server→client 200ms"),
      ("wire: delay 1s", "delay 1000ms"),
      ("wire: hold next FIN", "hold next FIN"),
      ("wire: duplicate next data", "duplicate next data"),
      ("wire: reorder next data client→server", "reorder next data client→server"),
      ("wire: release", "release"),
      ("wire: mtu 576", "mtu 576"),
    ]
    for (line, words) in cases {
      let parsed = try statement(line)
      #expect(parsed.actorName == WireLanguage.actor)
      #expect(parsed.source == words, "\(line)")
      #expect(parsed.expression.callName == "wire:")
    }
    #expect(try statement("wire:   drop next data client->server   # the first request").comment == "the first request")
  }

  @Test func questionsTakeSegmentsCountsAndTimesWithATolerance() throws {
    #expect(try statement("wire() = SYN, SYN-ACK, ACK").expectation == .wire(.segments(["SYN", "SYN-ACK", "ACK"])))
    #expect(
      try statement("wire() = syn, SYN-ACK dropped, SYN").expectation == .wire(.segments(["SYN", "SYN-ACK dropped", "SYN"])))
    #expect(try statement("wire_count(SYN) = 2").expectation == .wire(.count(2)))
    #expect(try statement("wire_count(\"data\") = 0").expression == .call("wire_count", [.string(Array("data".utf8), SourceLocation(line: 1, column: 1))], SourceLocation(line: 1, column: 1)))
    #expect(try statement("wire_gap(SYN) = 1000ms ± 300").expectation == .wire(.about(1000, within: 300)))
    #expect(try statement("wire_gap(SYN) = 3s +- 500ms").expectation == .wire(.about(3000, within: 500)))
    #expect(try statement("wire_gap(SYN) = 200ms").expectation == .wire(.about(200, within: 50)))
    #expect(try statement("wire_count(any) = ?").expectation == .prediction)
  }

  @Test(arguments: [
    ("wire: explode", "1:7: unknown wire command explode"),
    ("wire: drop next SYNACK", "1:7: SYNACK is not a kind of segment"),
    ("wire: delay client→server", "1:7: delay needs a time, such as 200ms"),
    ("wire: mtu 20", "1:7: mtu needs a size from 68 to 65535 bytes"),
    ("wire: drop next SYN now", "1:7: unexpected now in the wire command"),
    ("wire(SYN) = 1", "1:1: wire() takes no argument"),
    ("wire_count(FOO) = 1", "1:1: wire_count() counts a kind of segment, and FOO is not one"),
    ("wire_count(SYN) = many", "1:19: wire_count() is expected to be a number"),
    ("wire() = SYN, HELLO", "1:10: HELLO is not a segment"),
  ])
  func mistakesSayWhatAndWhere(_ line: String, _ message: String) throws {
    do {
      _ = try Parser.parse(line)
      Issue.record("\(line) parsed")
    } catch {
      #expect(error.description.hasPrefix(message), "\(error.description)")
    }
  }

  @Test func wireLinesAreNotAnActorOfTheLesson() throws {
    let script = try Parser.parse("server: s = socket(AF_INET, SOCK_STREAM, 0) = fd\nwire: drop next SYN\nwire() = nothing\n")
    #expect(script.actors == ["server"])
  }
}

extension WireLanguageTests {
  @Test func aQuestionWrittenWithItsActorReadsTheSame() throws {
    let plain = try statement("wire_count(any) = 0")
    let prefixed = try statement("wire: wire_count(any) = 0")
    #expect(prefixed.expression.callName == plain.expression.callName)
    #expect(prefixed.expectation == plain.expectation)
    #expect(prefixed.source == "wire_count(any)")
  }
}
