import Foundation
import LabScript
import LabUI
import Lessons
import TerminalUI
import Testing

extension Live {
  @Suite("Free play") struct FreePlay {
    @Test func historyIsKeptAcrossRuns() throws {
      let path = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-history-\(UUID().uuidString)").path
      defer { try? FileManager.default.removeItem(atPath: path) }
      let first = try Harness()
      first.app.historyStore = HistoryStore(path: path)
      first.app.openFreePlay()
      first.type("s = socket(AF_INET, SOCK_DGRAM, 0)").press(.enter)
      first.app.shutdown()
      let second = try Harness()
      second.app.historyStore = HistoryStore(path: path)
      second.app.openFreePlay()
      second.press(.up)
      #expect(second.app.freePlay?.text == "s = socket(AF_INET, SOCK_DGRAM, 0)")
    }

    private func freePlay() throws -> Harness {
      let lab = try Harness(width: 100, height: 30)
      lab.app.openFreePlay()
      return lab
    }

    private func enter(_ lab: Harness, _ line: String) {
      lab.type(line).press(.enter)
    }

    @Test func tabCompletesCallsConstantsAndVariables() throws {
      let lab = try freePlay()
      lab.type("s = sock").press(.tab)
      #expect(lab.app.freePlay?.text == "s = sock")
      #expect(lab.text.contains("sockaddr_in sockaddr_in6 socket socket_accept6"), "\(lab.text)")
      lab.type("et").press(.tab)
      #expect(lab.app.freePlay?.text == "s = socket(")
      lab.type("AF_IN").press(.tab)
      #expect(lab.app.freePlay?.text == "s = socket(AF_INET")
      lab.type(", SOCK_ST").press(.tab)
      #expect(lab.app.freePlay?.text == "s = socket(AF_INET, SOCK_STREAM")
      lab.type(", 0)").press(.enter)
      lab.type("close(").press(.character("s"))
      #expect(lab.app.freePlay?.text == "close(s")
      #expect(lab.text.contains("close(fd): releases the descriptor"))
    }

    @Test func aMistakeIsShownWithItsPlaceAndNothingRuns() throws {
      let lab = try freePlay()
      enter(lab, "s = socket(AF_INET, SOCK_STREAM, 0)")
      enter(lab, "bnid(s, &addr, 16)")
      #expect(lab.player.statements.count == 1)
      let screen = lab.screen
      let echoed = try #require(screen.firstIndex { $0.contains("✗ bnid(s, &addr, 16)") })
      #expect(screen[echoed + 1].hasPrefix("│  ^"), "the caret points at the first column: \(screen[echoed + 1])")
      #expect(lab.text.contains("unknown call bnid() — did you mean bind?"))
      #expect(lab.app.freePlay?.text == "bnid(s, &addr, 16)", "the line stays at the prompt to be fixed")
    }

    @Test func aBlockingAcceptIsReleasedByARealPeer() throws {
      let lab = try freePlay()
      enter(lab, "s = socket(AF_INET, SOCK_STREAM, 0)")
      enter(lab, "addr = sockaddr_in(\"127.0.0.1\", htons(PORT))")
      enter(lab, "bind(s, &addr, sizeof addr) = 0")
      enter(lab, "listen(s, 5) = 0")
      enter(lab, "server: a = accept(s, &peer, &peerlen)")
      Thread.sleep(forTimeInterval: 0.2)
      lab.app.tick()
      #expect(lab.player.isBusy("server"))
      enter(lab, "server: close(s)")
      #expect(lab.text.contains("server is still blocked in accept()"), "\(lab.text)")
      lab.app.handle(.escape)
      enter(lab, "client: c = socket(AF_INET, SOCK_STREAM, 0) = fd")
      enter(lab, "client: nobody = sockaddr_in(\"127.0.0.1\", htons(PORT2))")
      enter(lab, "client: connect(c, &nobody, sizeof nobody)")
      #expect(
        lab.app.freePlay?.note?.hasPrefix("connect() failed with ECONNREFUSED (Connection refused): nothing listens there")
          == true)

      let peer = try OutsidePeer(port: lab.player.session.port, bytes: "hi\\x07\\n")
      defer { peer.stop() }
      let deadline = Date().addingTimeInterval(3)
      while lab.player.isBusy("server") && Date() < deadline {
        Thread.sleep(forTimeInterval: 0.02)
        lab.app.tick()
      }
      #expect(!lab.player.isBusy("server"))
      enter(lab, "server: recv(a, buf, sizeof buf, 0) = 4")
      let log = lab.player.log.map(\.text).joined(separator: "\n")
      #expect(log.contains(#"recv(6, "hi\x07\n", 1024, 0) = 4"#) || log.contains(#""hi\x07\n", 1024, 0) = 4"#), "\(log)")
    }

    @Test func aSessionIsSavedAndReplayed() throws {
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-play-\(UUID().uuidString)")
      defer { try? FileManager.default.removeItem(at: folder) }
      let path = folder.appendingPathComponent("session.lab").path
      let lab = try freePlay()
      enter(lab, "u = socket(AF_INET, SOCK_DGRAM, 0) = fd")
      enter(lab, "here = sockaddr_in(\"127.0.0.1\", htons(PORT))")
      enter(lab, "bind(u, &here, sizeof here) = 0")
      enter(lab, "sendto(u, \"ping\", 4, 0, &here, sizeof here) = 4")
      enter(lab, "recvfrom(u, buf, sizeof buf, 0, &from, &fromlen) = 4")
      enter(lab, ":save \(path)")
      #expect(lab.text.contains("Saved 5 lines to"))
      let saved = try String(contentsOfFile: path, encoding: .utf8)
      #expect(saved.hasPrefix("main: u = socket(AF_INET, SOCK_DGRAM, 0) = fd\nmain: here = sockaddr_in"))

      let again = try Harness(width: 100, height: 30)
      again.app.openFreePlay(script: saved)
      again.app.settle()
      #expect(again.player.statements.count == 5)
      #expect(again.text.contains("Ran 5 lines from the script."))
      let failures = again.player.lineStates.values.filter {
        if case .done(let outcome) = $0 { return outcome.verdict.isFailure }
        return true
      }
      #expect(failures.isEmpty)
      let exported = folder.appendingPathComponent("session.c").path
      enter(lab, ":export \(exported)")
      #expect(lab.text.contains("Exported 5 lines:"))
      #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("session/main.c").path))
      #expect(try String(contentsOfFile: exported, encoding: .utf8).contains("static void line_4(void)"))
      // History: the last line comes back with the up arrow.
      lab.press(.up)
      #expect(lab.app.freePlay?.text == ":export \(exported)")
    }

    @Test func savingRecordsWhatEachLineReturnedAsItsExpectation() throws {
      let folder = try temporaryFolder("save-expectations")
      defer { try? FileManager.default.removeItem(at: folder) }
      let path = folder.appendingPathComponent("typed.lab").path
      let lab = try freePlay()
      enter(lab, "u = socket(AF_INET, SOCK_DGRAM, 0)")
      enter(lab, "here = sockaddr_in(\"127.0.0.1\", htons(PORT))")
      enter(lab, "bind(u, &here, sizeof here)")
      enter(lab, "bind(u, &here, sizeof here)")
      enter(lab, "sendto(u, \"ping\", 4, 0, &here, sizeof here)")
      enter(lab, "t = socket(AF_INET, SOCK_STREAM, 0)")
      enter(lab, "tcp_state(t)")
      enter(lab, ":save \(path)")
      #expect(lab.text.contains("Saved 7 lines to"))
      let saved = try String(contentsOfFile: path, encoding: .utf8)
      #expect(
        saved == """
          main: u = socket(AF_INET, SOCK_DGRAM, 0) = fd
          main: here = sockaddr_in("127.0.0.1", htons(PORT))
          main: bind(u, &here, sizeof here) = 0
          main: bind(u, &here, sizeof here) = -1 EINVAL
          main: sendto(u, "ping", 4, 0, &here, sizeof here) = 4
          main: t = socket(AF_INET, SOCK_STREAM, 0) = fd
          main: tcp_state(t) = CLOSED

          """)
      // The saved script now checks something: replayed, every line holds.
      let replay = try Socklab.run(["run", path])
      #expect(replay.status == 0, "\(replay.output)")
    }

    @Test func theReferenceScrollsToConnectsLastErrnoAndZooms() throws {
      let lab = try freePlay()
      let last = try #require(CallReference.entry(for: "connect")?.errors.last?.name)
      lab.type("connect(").press(.function(1))
      #expect(lab.text.contains("Returns: "), "\(lab.text)")
      var pages = 0
      while !lab.text.contains("\(last): ") && pages < 10 {
        lab.press(.pageDown)
        pages += 1
      }
      #expect(lab.text.contains("\(last): "), "PgDn reaches the last errno:\n\(lab.text)")
      lab.press(.function(2))
      #expect(lab.text.contains("Lesson (zoomed)"))
      #expect(lab.app.freePlay?.text == "connect(", "the keys did not touch the line")
      lab.press(.escape)
      #expect(!lab.text.contains("(zoomed)"))
    }

    @Test func theLogFollowsAgainOnceScrolledBackToItsEnd() throws {
      let lab = try freePlay()
      for n in 1...30 { enter(lab, "v\(n) = \(n)") }
      #expect(lab.text.contains("main: v30 = 30"))
      lab.press(.pageUp)
      #expect(!lab.text.contains("main: v30 = 30"), "scrolled back")
      enter(lab, "w = 31")
      #expect(!lab.text.contains("main: w = 31"), "scrolled back, the Log stays where it was")
      lab.press(.pageDown)
      enter(lab, "x = 32")
      #expect(lab.text.contains("main: x = 32"), "following new lines again:\n\(lab.text)")
    }

    @Test func tabOnAnEmptyLineMovesFocusAndHelpIsFreePlays() throws {
      let lab = try freePlay()
      lab.press(.tab)
      #expect(lab.text.contains("┏ Lesson"), "focus moved on from the Log:\n\(lab.text)")
      lab.press(.function(2))
      #expect(lab.text.contains("Lesson (zoomed)"))
      lab.press(.escape)
      lab.type(":help").press(.enter)
      #expect(lab.text.contains("search the earlier lines") && lab.text.contains("write the session as a script"), "\(lab.text)")
      #expect(!lab.text.contains("answer the prediction before the line runs"))
    }
  }
}
