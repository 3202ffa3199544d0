import Foundation
import LabEngine
import LabUI
import Lessons
import TerminalUI
import Testing

extension Live {
  @Suite("The screen tells one truth") struct OneTruth {
    func open(lesson number: Int, width: Int = 120, height: Int = 40) throws -> Harness {
      let lab = try Harness(width: width, height: height)
      for _ in 1..<number { lab.press(.down) }
      lab.press(.enter)
      return lab
    }

    func advance(_ lab: Harness, until text: String) { lab.advance(untilNextLineContains: text) }

    @Test func aDescriptorWhoseConnectionIsInTimeWaitIsOneRow() throws {
      let lab = try open(lesson: 1)
      advance(lab, until: "recv(c, buf, sizeof buf, 0) = 0")
      // The client shut down both ways: its descriptor is open, its connection in TIME-WAIT.
      let rows = lab.screen
      let client = try #require(rows.firstIndex { $0.contains("client") && $0.contains("TIME-WAIT") }, "\(lab.text)")
      #expect(rows[client + 2].contains("fd open, connection in TIME-WAIT"), "\(lab.text)")
      #expect(!lab.text.contains("(closed)"), "no second row for the same connection:\n\(lab.text)")
      #expect(!rows[client].contains("CLOSED"))
    }

    @Test func automaticV6OnlyIsExplainedWhereItAppears() throws {
      let lab = try open(lesson: 8)
      advance(lab, until: "inet_ntop(AF_INET6, &peer.sin6_addr)")
      #expect(lab.text.contains("IPV6_V6ONLY (set by bind)"), "\(lab.text)")
    }

    @Test func socketsFromEveryCallThatMakesThemHaveTheirActor() throws {
      let lab = try open(lesson: 9)
      advance(lab, until: "BIO_listen")
      #expect(lab.screen.contains { $0.contains("server") && $0.contains("TCP") }, "\(lab.text)")
      #expect(!lab.screen.contains { $0.hasPrefix("│?  ") || $0.contains("│?      ") }, "\(lab.text)")
      let six = try open(lesson: 8)
      advance(six, until: "socket_bind6")
      #expect(!six.screen.contains { $0.contains("│?") }, "\(six.text)")
    }

    @Test func layersDescribeTheNextLineTruly() throws {
      let lab = try open(lesson: 1)
      advance(lab, until: "tcp_state(s) = CLOSED")
      lab.press(.character("L"))
      #expect(lab.text.contains("getsockopt(fd, IPPROTO_TCP, TCP_INFO"), "\(lab.text)")
      #expect(!lab.text.contains("runs in the lab"))
      lab.press(.escape)
      advance(lab, until: "htons(PORT)")
      lab.press(.character("L"))
      #expect(lab.text.contains("htons() runs in the C library"), "\(lab.text)")
    }

    @Test func anInterruptIsExplainedAndSaysHowToRecover() throws {
      let lab = try open(lesson: 1)
      advance(lab, until: "accept(s")
      lab.press(.character(" "))
      #expect(lab.player.hasRunningCalls)
      lab.press(.character("i"))
      Thread.sleep(forTimeInterval: 0.3)
      lab.app.settle()
      #expect(lab.text.contains("Why EINTR:"), "\(lab.text)")
      // The lines after it that use its descriptor are refused, and the refusal says what to do.
      for _ in 0..<10 where !lab.text.contains("Press ← to go back a line") { lab.press(.character(" ")) }
      #expect(lab.text.contains("Press ← to go back a line"), "\(lab.text)")
      lab.press(.left)
      #expect(lab.player.background == nil)
      #expect(!lab.player.lineStates.values.contains { if case .refused = $0 { return true } else { return false } })
    }
  }
}

extension Live {
  @Suite("Themes for projectors") struct ProjectorThemes {
    func cells(_ lab: Harness) -> [Cell] {
      let canvas = lab.app.render(width: lab.width, height: lab.height, now: 0)
      return (0..<canvas.height).flatMap { y in (0..<canvas.width).map { x in canvas[x, y] } }
    }

    @Test func bothHighContrastThemesPaintTheirOwnBackground() throws {
      for (name, paper, unreadable) in [
        ("high-contrast-light", Color.brightWhite, [Color.yellow, .brightYellow, .white, .brightWhite, .brightCyan]),
        ("high-contrast", Color.black, [Color.black, .brightBlack, .blue]),
      ] {
        let lab = try Harness(width: 80, height: 24, theme: Theme.named(name)!)
        for screen in 0..<2 {
          if screen == 1 { lab.press(.enter).press(.character(" "), .character(" ")) }
          let all = cells(lab)
          #expect(all.allSatisfy { $0.style.background != nil && $0.style.foreground != nil }, "\(name): a cell left to the terminal's colours")
          #expect(all.filter { $0.style.background == paper && !$0.style.reverse }.count > all.count / 2, "\(name)")
          let clashing = all.filter { !$0.style.reverse && $0.character != " " && unreadable.contains($0.style.foreground!) }
          #expect(clashing.isEmpty, "\(name): \(clashing.count) cells in a colour that does not show on its background")
        }
      }
    }
  }
}
