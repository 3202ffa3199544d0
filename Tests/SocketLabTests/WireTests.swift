import Foundation
import Lessons
import Testing
import WireKit

/// The wire: hosts in namespaces the lab makes, the relay, the Wire pane, the capture. The lab's
/// binary builds the hosts (a process must be single-threaded to make its user namespace, and
/// the test runner is not), so these tests run it as a person would.
enum WireCheck {
  static var tshark: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark") }
  static var hosts: Bool { Classroom.namespaces }

  /// A command line that runs `arguments` of the lab where no user namespace may be made: the
  /// limit is set to 0 inside a namespace the test makes, as a locked-down kernel would have it.
  static func forbidden(_ arguments: [String]) -> [String] {
    let quoted = ([Socklab.executable.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
    return ["-Ur", "sh", "-c", "echo 0 > /proc/sys/user/max_user_namespaces && exec \(quoted)"]
  }

  static let unshare = URL(fileURLWithPath: "/usr/bin/unshare")

  /// Replays `target` with `socklab run --json` (and `--pcap capture`), expects it green, and
  /// returns its transcript document.
  static func replay(_ target: String, pcap capture: String? = nil, timeout: TimeInterval = 90) throws -> [String: Any] {
    let run = try Socklab.run(["run", target, "--json"] + (capture.map { ["--pcap", $0] } ?? []), timeout: timeout)
    #expect(run.status == 0, "\(run.output)\(run.errors)")
    return try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
  }

  /// Replays a lesson written here, from a file in a folder of its own.
  static func replay(lesson text: String, named name: String) throws -> [String: Any] {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-wire-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent(name)
    try text.write(to: file, atomically: true, encoding: .utf8)
    return try replay(file.path, timeout: 60)
  }

  /// The shipped lessons with a wire: on hosts of their own, or watching their loopback.
  static var lessons: [String] {
    ((try? LessonLibrary.load(Socklab.packageRoot.path + "/Lessons").lessons) ?? []).filter { !$0.hosts.isEmpty || $0.wireOnLoopback }
      .map(\.id)
  }

  static func watchesLoopback(_ lesson: String) -> Bool {
    ((try? LessonLibrary.load(Socklab.packageRoot.path + "/Lessons").lesson(named: lesson)) ?? nil)?.wireOnLoopback ?? false
  }

  /// tshark's flags field (0x012) as the Wire pane names the flags.
  static func name(ofFlags hex: String) -> String {
    TCPHeader.Flags(rawValue: UInt8((Int(hex.dropFirst(2), radix: 16) ?? 0) & 0x3F)).name
  }
}

extension Live {
  @Suite("The wire") struct Wire {
    /// Every lesson with a wire: its capture, dissected by tshark, has the segments the pane
    /// shows. On a watched loopback every address is 127.0.0.1: there the ports must name the
    /// actors consistently (each port always the same actor's).
    @Test(.enabled(if: WireCheck.hosts && WireCheck.tshark, "needs user namespaces and tshark"), arguments: WireCheck.lessons)
    func tsharkReadsEachLessonsCaptureAsThePaneShowsIt(_ lesson: String) throws {
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-wire-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: folder) }
      let capture = folder.appendingPathComponent("\(lesson).pcapng").path
      let document = try WireCheck.replay(lesson, pcap: capture)
      let pane = try #require(document["wire"] as? [[String: Any]]).filter { $0["kind"] as? String != "IP" }
      let dissected = try Socklab.run(
        [
          "-r", capture, "-Y", "ip", "-o", "tcp.relative_sequence_numbers:TRUE", "-T", "fields", "-E", "separator=|",
          "-e", "ip.src", "-e", "ip.proto", "-e", "tcp.flags", "-e", "tcp.seq", "-e", "tcp.len", "-e", "udp.length",
          "-e", "tcp.srcport",
        ], program: URL(fileURLWithPath: "/usr/bin/tshark"))
      let rows = dissected.output.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
      #expect(rows.count == pane.count, "\(lesson): tshark \(rows.count), the pane \(pane.count)")
      let loopback = WireCheck.watchesLoopback(lesson)
      #expect(!pane.isEmpty, "\(lesson): nothing on the wire")
      var senders: [String: String] = [:]
      for (row, segment) in zip(rows, pane) {
        let kind = segment["kind"] as? String ?? ""
        let from = segment["from"] as? String ?? "?"
        // An ICMP error quotes the datagram it is about: its IP header is the second ip.src.
        let source = row[0].split(separator: ",").first.map(String.init)
        if loopback {
          #expect(source == "127.0.0.1", "\(row) \(segment)")
          // A port nobody held yet ("port 40123", where a SYN was refused) may later be an
          // actor's; an actor's port is never another actor's.
          if !row[6].isEmpty, !from.hasPrefix("port ") {
            #expect(senders[row[6], default: from] == from, "port \(row[6]) named both \(senders[row[6]] ?? "") and \(from)")
            senders[row[6]] = from
          }
        } else {
          #expect(source == (from == "client" ? "10.50.0.1" : "10.50.0.2"), "\(row) \(segment)")
        }
        switch row[1] {
        case "6":
          #expect(WireCheck.name(ofFlags: row[2]) == kind, "\(row) \(segment)")
          #expect(UInt32(row[3]) == segment["seq"] as? UInt32, "\(row) \(segment)")
          #expect(Int(row[4]) == segment["length"] as? Int, "\(row) \(segment)")
        case "17":
          #expect(kind == "UDP")
          #expect(Int(row[5]).map { $0 - 8 } == segment["length"] as? Int, "\(row) \(segment)")
        default:
          #expect(kind == "ICMP", "\(row) \(segment)")
        }
      }
    }

    @Test(.enabled(if: WireCheck.hosts && WireCheck.tshark, "needs user namespaces and tshark"))
    func tsharkReadsInTheCaptureTheSegmentsThePaneShows() throws {
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-wire-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: folder) }
      let capture = folder.appendingPathComponent("handshake.pcapng").path
      let document = try WireCheck.replay("handshake-on-the-wire", pcap: capture, timeout: 60)
      let pane = try #require(document["wire"] as? [[String: Any]])
      let dissected = try Socklab.run(
        [
          "-r", capture, "-Y", "tcp", "-o", "tcp.relative_sequence_numbers:TRUE", "-T", "fields", "-E", "separator=|",
          "-e", "ip.src", "-e", "tcp.flags", "-e", "tcp.seq", "-e", "tcp.ack", "-e", "tcp.len", "-e", "tcp.window_size",
          "-e", "frame.comment",
        ], program: URL(fileURLWithPath: "/usr/bin/tshark"))
      let rows = dissected.output.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
      let tcp = pane.filter { ["UDP", "ICMP", "IP"].contains($0["kind"] as? String ?? "") == false }
      #expect(rows.count == tcp.count, "tshark: \(rows.count) segments, the pane: \(tcp.count)")
      #expect(tcp.count >= 10)
      for (row, segment) in zip(rows, tcp) {
        let from = segment["from"] as? String
        #expect(row[0] == (from == "client" ? "10.50.0.1" : "10.50.0.2"))
        #expect(WireCheck.name(ofFlags: row[1]) == segment["kind"] as? String, "\(row) \(segment)")
        #expect(UInt32(row[2]) == segment["seq"] as? UInt32, "\(row) \(segment)")
        if let ack = segment["ack"] as? UInt32, segment["kind"] as? String != "SYN" { #expect(UInt32(row[3]) == ack, "\(row) \(segment)") }
        #expect(Int(row[4]) == segment["length"] as? Int)
        #expect(Int(row[5]) == segment["window"] as? Int, "\(row) \(segment)")
        // Each packet's comment names its cause, as the pane does.
        #expect(row[6].contains(segment["cause"] as? String ?? "?"), "\(row[6])")
      }
      // connect() became SYN, SYN-ACK, ACK; the lab dropped a SYN-ACK and a kernel timer sent
      // the handshake again.
      let kinds = tcp.prefix(3).map { $0["kind"] as? String ?? "" }
      #expect(kinds == ["SYN", "SYN-ACK", "ACK"])
      #expect(tcp[0]["cause"] as? String == "client: connect()")
      #expect(tcp[1]["cause"] as? String == "kernel: the listening socket answers the SYN")
      #expect(tcp.contains { $0["fate"] as? String == "dropped" && $0["kind"] as? String == "SYN-ACK" })
      #expect(tcp.contains { ($0["cause"] as? String ?? "").contains("retransmission timer") })
      #expect(rows.contains { $0[6].contains("dropped by the lab (drop next SYN-ACK)") })
    }

    /// A megabyte through the relay: every segment the client's kernel sent is in the capture,
    /// and the server's kernel received as many (TCP_INFO's counters).
    @Test(.enabled(if: WireCheck.hosts, "needs user namespaces"))
    func aMegabyteThroughTheWireLosesNoSegment() throws {
      let bench = try Socklab.run(["bench", "--wire", "--megabytes", "1"], timeout: 120)
      #expect(bench.status == 0, "\(bench.output)\(bench.errors)")
      #expect(bench.output.contains("none lost"), "\(bench.output)")
      #expect(bench.output.contains("0 not forwarded"), "\(bench.output)")
      #expect(bench.output.contains("hosts set up"))
      #expect(bench.output.contains("relay per segment"))
    }

    /// wire: reorder sends a segment after the one behind it; the receiver's kernel puts the bytes
    /// back in order, and says with a duplicate ACK that it saw a gap.
    @Test(.enabled(if: WireCheck.hosts, "needs user namespaces"))
    func reorderedSegmentsArriveSwappedAndAreReadInOrder() throws {
      let lesson = """
        ---
        id: reorder
        title: Reordered
        summary: Two segments swapped on the wire.
        level: advanced
        actors: server, client
        hosts: client, server
        prerequisites: none
        time: 5 min
        ---

        # Reordered

        Two segments, swapped.

        ## Swapped

        The lab sends the first segment after the second.

        ```lab
        server: s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = fd
        server: addr = sockaddr_in("10.50.0.2", htons(PORT))
        server: bind(s, &addr, sizeof addr) = 0
        server: listen(s, 5) = 0
        client: c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = fd
        client: connect(c, &addr, sizeof addr) = 0
        server: a = accept(s, NULL, NULL) = fd
        client: setsockopt(c, IPPROTO_TCP, TCP_NODELAY, 1) = 0
        wire: reorder next data
        client: send(c, "one ", 4, 0) = 4
        client: send(c, "two\\n", 4, 0) = 4
        wire_count(data) = 2
        server: recv(a, buf, sizeof buf, 0) = 8
        ```

        """
      let document = try WireCheck.replay(lesson: lesson, named: "30-reorder.md")
      let wire = try #require(document["wire"] as? [[String: Any]])
      let data = wire.filter { ($0["length"] as? Int ?? 0) > 0 }
      #expect(data.first?["fate"] as? String == "reordered", "\(data)")
      #expect(data.dropFirst().first?["seq"] as? Int == 5, "\(data)")
      #expect(wire.contains { ($0["cause"] as? String ?? "").hasPrefix("kernel: duplicate ACK") }, "\(wire)")
      let entries = try #require(document["entries"] as? [[String: Any]])
      #expect(entries.contains { ($0["text"] as? String ?? "").contains("recv(") && ($0["text"] as? String ?? "").contains("\"one two\\n\"") }, "\(entries)")
    }

    /// An idle connection with keep-alives of one second: the pane names the probe, one byte below
    /// what the client sent, and the server's kernel answers it.
    @Test(.enabled(if: WireCheck.hosts, "needs user namespaces"))
    func aKeepaliveProbeIsNamed() throws {
      let document = try WireCheck.replay(lesson: Self.keepaliveLesson, named: "31-keepalive.md")
      let wire = try #require(document["wire"] as? [[String: Any]])
      let probe = try #require(wire.first { ($0["cause"] as? String ?? "").contains("keepalive probe") }, "\(wire)")
      #expect(probe["from"] as? String == "client")
      #expect(probe["seq"] as? Int == 0 && probe["length"] as? Int == 0, "\(probe)")
    }

    static let keepaliveLesson = """
---
id: keepalive-test
title: Keep-alive
summary: An idle connection probed every second.
level: advanced
actors: server, client
hosts: client, server
prerequisites: none
time: 5 min
---

# Keep-alive

An idle connection with keep-alives of one second.

## Probed

The client waits a second and a half without sending; its kernel probes the server.

```lab
server: s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = fd
server: addr = sockaddr_in("10.50.0.2", htons(PORT))
server: bind(s, &addr, sizeof addr) = 0
server: listen(s, 5) = 0
client: c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = fd
client: setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, 1) = 0
client: setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, 1) = 0
client: setsockopt(c, IPPROTO_TCP, TCP_KEEPINTVL, 1) = 0
client: connect(c, &addr, sizeof addr) = 0
server: a = accept(s, NULL, NULL) = fd
wire_count(any) = 3
client: wait = pollfd(c, POLLIN)
client: poll(&wait, 1, 1500) = 0
wire_count(ACK) = 2
```
"""

    /// A rehearsal of a lesson on hosts builds them as the talk will: the step that loses a SYN
    /// takes its second.
    @Test(.enabled(if: WireCheck.hosts, "needs user namespaces"))
    func aLessonOnHostsRehearses() throws {
      let rehearsal = try Socklab.run(["rehearse", "loss-and-retransmission"], timeout: 90)
      #expect(rehearsal.status == 0, "\(rehearsal.output)")
      #expect(rehearsal.output.contains("# ok: the lesson replays green"), "\(rehearsal.output)")
      let lost = try #require(rehearsal.output.split(separator: "\n").first { $0.hasSuffix("A lost SYN") })
      #expect(lost.contains("1.0") || lost.contains("1.1"), "\(lost)")
      let forbidden = try Socklab.run(WireCheck.forbidden(["rehearse", "loss-and-retransmission"]), program: WireCheck.unshare)
      #expect(forbidden.status == 1)
      #expect(forbidden.output.contains("# not run: this lesson needs hosts of its own"), "\(forbidden.output)")
    }

    @Test(.enabled(if: WireCheck.hosts, "needs user namespaces"))
    func whereUserNamespacesAreForbiddenTheWireLessonSaysWhyAndTheOthersRun() throws {
      let wire = try Socklab.run(WireCheck.forbidden(["run", "handshake-on-the-wire"]), program: WireCheck.unshare)
      #expect(wire.status == 3, "\(wire.output)\(wire.errors)")
      #expect(wire.errors.contains("this lesson runs on hosts of its own, and this machine cannot build them"), "\(wire.errors)")
      #expect(wire.errors.contains("user.max_user_namespaces"))
      #expect(wire.errors.contains("To allow them: sudo sysctl user.max_user_namespaces=15000"))
      // The lessons that only watch their loopback play as before, without their wire lines.
      for lesson in ["tcp-conversation", "closing-well", "when-things-go-wrong"] {
        let loopback = try Socklab.run(WireCheck.forbidden(["run", lesson]), program: WireCheck.unshare)
        #expect(loopback.status == 0, "\(loopback.output)\(loopback.errors)")
        #expect(!loopback.output.contains("wire:"), "\(loopback.output)")
        #expect(loopback.output.contains("# ok:"), "\(loopback.output)")
      }
    }

    @Test(.enabled(if: WireCheck.hosts && TmuxSession.available, "needs user namespaces and tmux"))
    func wherePicksCannotBuildHostsThePickerMarksTheWireLessons() throws {
      let tmux = try TmuxSession(
        width: 100, height: 40, program: WireCheck.unshare.path, arguments: WireCheck.forbidden([]))
      var screen = try tmux.waitFor("12. The handshake on the wire (no wire here)")
      #expect(screen.contains("1. A TCP conversation"))
      for _ in 0..<11 { try tmux.send("Down") }
      screen = try tmux.waitFor("which this machine cannot build")
      try tmux.send("Enter")
      screen = try tmux.waitFor("This lesson needs hosts of its own")
      #expect(screen.contains("To allow"), "\(screen)")
      try tmux.send("q")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
    }

    /// The lesson played by keys in a real terminal: the Wire pane shows connect() become SYN,
    /// SYN-ACK, ACK, the SYN-ACK the lab drops, and the kernel trying again a second later; r
    /// plays it again on a fresh wire.
    @Test(.enabled(if: WireCheck.hosts && TmuxSession.available, "needs user namespaces and tmux"))
    func theWirePaneShowsTheHandshakeTheDropAndTheRetry() throws {
      // Tall enough for the Wire pane to hold the lost SYN-ACK and the retries below it.
      let exports = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-exports-\(UUID().uuidString)")
      defer { try? FileManager.default.removeItem(at: exports) }
      let tmux = try TmuxSession(
        width: 120, height: 56, arguments: ["lessons", "handshake-on-the-wire"], environment: ["SOCKLAB_EXPORTS=\(exports.path)"])
      try tmux.waitFor("Step 1 of 5")
      try tmux.waitFor("client 10.50.0.1 ⇄ server 10.50.0.2")
      let answers = ["0", "SYN, SYN-ACK, ACK", "0", "1000"]
      var screens: [String] = []
      try Self.play(tmux, answers: answers, screens: &screens)
      let handshake = try #require(screens.first { $0.contains("Right: the wire said SYN, SYN-ACK, ACK") }, "\(screens.last ?? "")")
      #expect(handshake.contains("client→server SYN"), "\(handshake)")
      #expect(handshake.contains("server→client SYN-ACK"))
      #expect(handshake.contains("client: connect()"))
      #expect(handshake.contains("↳ SYN, SYN-ACK, ACK"), "\(handshake)")
      let retry = try #require(screens.first { $0.contains("the wire said 1") }, "\(screens.last ?? "")")
      #expect(screens.contains { $0.contains("dropped (drop") }, "\(retry)")
      #expect(retry.contains("retransmission timer"), "\(retry)")
      // The arrows choose a segment; Enter opens its header byte by byte.
      for _ in 0..<7 where !(try tmux.screen().contains("┏ Wire")) {
        try tmux.send("Tab")
        Thread.sleep(forTimeInterval: 0.1)
      }
      try tmux.send("Up")
      try tmux.send("Enter")
      let opened = try tmux.waitFor("TCP header")
      #expect(opened.contains("IPv4 header (20 bytes)"), "\(opened)")
      #expect(opened.contains("0a 32 00"), "\(opened)")
      try tmux.send("Escape")
      // Apart, or the terminal reads Escape and r as Alt-r.
      Thread.sleep(forTimeInterval: 0.2)
      try tmux.send("r")
      try tmux.waitFor("Step 1 of 5")
      try tmux.waitFor("Nothing has crossed the wire yet.")
      try Self.play(tmux, answers: answers, screens: &screens)
      #expect(screens.last?.contains("Lesson complete") == true)
      // W writes the wire's frames as pcapng, into the exports folder.
      try tmux.send("W")
      try tmux.waitFor("Wrote the wire's frames to")
      let capture = exports.path + "/handshake-on-the-wire.pcapng"
      let bytes = try #require(FileManager.default.contents(atPath: capture))
      #expect(Array(bytes.prefix(4)) == [0x0a, 0x0d, 0x0d, 0x0a])
      #expect(String(decoding: bytes, as: UTF8.self).contains("client: connect()"))
      try tmux.send("q")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
    }

    /// A program outside the lab joins the client's host with socklab exec and connects to the
    /// lesson's server: the Wire pane shows its segments, from 10.50.0.1.
    @Test(.enabled(if: WireCheck.hosts && TmuxSession.available && Classroom.python, "needs user namespaces, tmux and python3"))
    func aVisitorJoinsAHostWithExec() throws {
      let runtime = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-run-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: runtime) }
      let tmux = try TmuxSession(
        width: 120, height: 40, arguments: ["lessons", "handshake-on-the-wire"], environment: ["XDG_RUNTIME_DIR=\(runtime.path)"])
      var screen = try tmux.waitFor("client 10.50.0.1 ⇄ server 10.50.0.2")
      for _ in 0..<4 {
        try tmux.send("Space")
        Thread.sleep(forTimeInterval: 0.2)
      }
      screen = try tmux.waitFor("LISTEN")
      let port = try #require(screen.split(separator: "\n").first?.split(separator: " ").last.map(String.init))
      let visit = try Socklab.run(
        [
          "exec", "client", "--", "/usr/bin/python3", "-c",
          "import socket; s = socket.create_connection(('10.50.0.2', \(port)), timeout=5); s.sendall(b'hi\\n'); print(s.getsockname()[0]); s.close()",
        ], environment: ["XDG_RUNTIME_DIR": runtime.path], timeout: 20)
      #expect(visit.status == 0, "\(visit.output)\(visit.errors)")
      #expect(visit.output.contains("10.50.0.1"))
      // The prediction point hides the segments until it is answered.
      try tmux.send("Enter")
      try tmux.send("-l", "0")
      try tmux.send("Enter")
      screen = try tmux.waitFor("the wire said")
      #expect(screen.contains("from a program outside the lab"), "\(screen)")
      let nobody = try Socklab.run(["exec", "nobody", "--", "true"], environment: ["XDG_RUNTIME_DIR": runtime.path])
      #expect(nobody.status == 1)
      #expect(nobody.errors.contains("no running lab has a host named nobody; its hosts are client, server"), "\(nobody.errors)")
      try tmux.send("q")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
    }

    /// Free play's :hosts starts a session with client and server on hosts: a connect() there
    /// shows its handshake in the Wire pane, and a wire line holds.
    @Test(.enabled(if: WireCheck.hosts && TmuxSession.available, "needs user namespaces and tmux"))
    func freePlayOnHostsShowsTheWire() throws {
      let tmux = try Self.freePlayHandshake(":hosts", server: "10.50.0.2", client: "client")
      let screen = try tmux.waitFor("wire: wire() = SYN, SYN-ACK, ACK")
      #expect(screen.contains("client 10.50.0.1 ⇄ server 10.50.0.2"), "\(screen)")
      #expect(screen.contains("client→server SYN"))
      #expect(screen.contains("↳ SYN, SYN-ACK, ACK"))
      #expect(!screen.contains("✗"), "\(screen)")
      try Self.leaveFreePlay(tmux)
    }

    /// Free play's :loopback: every actor on the lab's host at 127.0.0.1, the Wire pane watching
    /// its loopback; a wire question holds, and a wire command is refused with the reason.
    @Test(.enabled(if: WireCheck.hosts && TmuxSession.available, "needs user namespaces and tmux"))
    func freePlayOnTheLabsLoopbackShowsTheWire() throws {
      let tmux = try Self.freePlayHandshake(":loopback", server: "127.0.0.1", client: "visitor", then: ["wire: drop next SYN"])
      let screen = try tmux.waitFor("the lab only watches its loopback")
      #expect(screen.contains("the lab's host: loopback 127.0.0.1"), "\(screen)")
      #expect(screen.contains("visitor→server SYN"), "\(screen)")
      #expect(screen.contains("wire: wire() = SYN, SYN-ACK, ACK"), "\(screen)")
      #expect(screen.contains("↳ SYN, SYN-ACK, ACK"), "\(screen)")
      try Self.leaveFreePlay(tmux)
    }

    /// Free play after `command` (:hosts, :loopback): a server listening on `server`, `client`
    /// connecting to it, the handshake asked of the wire, then the lines in `then`.
    static func freePlayHandshake(_ command: String, server: String, client: String, then more: [String] = []) throws -> TmuxSession {
      let tmux = try TmuxSession(width: 120, height: 40, arguments: ["play"])
      try tmux.waitFor("free play")
      try tmux.enterLines(
        [
          command, "server: s = socket(AF_INET, SOCK_STREAM, 0)", "server: a = sockaddr_in(\"\(server)\", htons(PORT))",
          "server: bind(s, &a, sizeof a)", "server: listen(s, 5)", "\(client): c = socket(AF_INET, SOCK_STREAM, 0)",
          "\(client): connect(c, &a, sizeof a)", "wire() = SYN, SYN-ACK, ACK",
        ] + more)
      return tmux
    }

    static func leaveFreePlay(_ tmux: TmuxSession) throws {
      try tmux.send("-l", ":quit")
      try tmux.send("Enter")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
    }

    /// Presses Space through the lesson, answering each prediction; bounded in keys and time.
    static func play(_ tmux: TmuxSession, answers: [String], screens: inout [String]) throws {
      var next = 0
      let deadline = Date().addingTimeInterval(60)
      for _ in 0..<80 where Date() < deadline {
        let screen = try tmux.screen()
        screens.append(screen)
        if screen.contains("Lesson complete") { return }
        // The next line is a wire question the learner predicts.
        if screen.contains("Next: wire: wire"), screen.contains("Press Enter and type your answer"), next < answers.count {
          try tmux.send("Enter")
          try tmux.send("-l", answers[next])
          next += 1
          try tmux.send("Enter")
          // A wire question waits for the wire to go quiet (and the drop for its retry).
          _ = try tmux.waitFor(answers[next - 1] == "1000" ? "the wire said 1" : "the wire said", seconds: 15)
          screens.append(try tmux.screen())
          continue
        }
        // A call that waits for a retransmission is let finish, as a teacher would.
        let status = screen.split(separator: "\n").dropLast().last ?? ""
        if status.contains(" blocked ") {
          Thread.sleep(forTimeInterval: 0.2)
          continue
        }
        try tmux.send("Space")
        Thread.sleep(forTimeInterval: 0.15)
      }
    }

    /// Lesson 4 watches its loopback: the step that shuts down shows its FIN and ACK in the Wire
    /// pane, under the call in the Code pane; a step without wire lines keeps the Address pane;
    /// and the TIME-WAIT the lesson ends with is found in the lab's own host.
    @Test(.enabled(if: WireCheck.hosts && TmuxSession.available, "needs user namespaces and tmux"))
    func lessonFourShowsItsFINsOnTheLabsLoopback() throws {
      let tmux = try TmuxSession(width: 120, height: 40, arguments: ["lessons", "closing-well", "--step", "2"])
      try tmux.waitFor("the lab's host: loopback 127.0.0.1")
      // Space until the step's lines have run, as a teacher would (the replay to step 2 and the
      // wire question's wait for quiet take a moment).
      var screen = ""
      for _ in 0..<40 {
        screen = try tmux.screen()
        if screen.contains("Space: on to step 3") { break }
        if !screen.contains("Next: wire") || screen.contains("Next: wire: wire()") { try tmux.send("Space") }
        Thread.sleep(forTimeInterval: 0.3)
      }
      screen = try tmux.waitFor("Space: on to step 3", seconds: 15)
      #expect(screen.contains("// = FIN-ACK, ACK"), "\(screen)")
      #expect(screen.contains("client→server FIN-ACK"), "\(screen)")
      #expect(screen.contains("client: shutdown()"), "\(screen)")
      #expect(screen.contains("server→client ACK"), "\(screen)")
      // The ACK was delayed (about 40 ms): under shutdown() only the FIN, as it left.
      #expect(screen.contains("↳ FIN-ACK"), "\(screen)")
      #expect(!screen.contains("✗"), "\(screen)")
      // The next step (EPIPE) asks the wire too; the one after it (recv() = 0) does not.
      try tmux.send("Space")
      try tmux.waitFor("Step 3 of 8")
      try tmux.send("Space")
      try tmux.waitFor("Your prediction for")
      try tmux.send("-l", "--", "-1 EPIPE")
      try tmux.send("Enter")
      try tmux.waitFor("Right")
      try tmux.send("Space")
      screen = try tmux.waitFor("Space: on to step 4", seconds: 15)
      #expect(screen.contains("wire_count(any) = 0"), "\(screen)")
      try tmux.send("Space")
      screen = try tmux.waitFor("Step 4 of 8")
      #expect(screen.contains("Address") && !screen.contains("┌ Wire"), "\(screen)")
      try tmux.send("q")
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")

      let last = try TmuxSession(width: 120, height: 40, arguments: ["lessons", "closing-well", "--step", "8"])
      try last.waitFor("Step 8 of 8")
      try last.send("Space")
      screen = try last.waitFor("(closed)", seconds: 15)
      #expect(screen.contains("TIME-WAIT"), "the connection's TIME-WAIT, found in the lab's host:\n\(screen)")
      try last.send("q")
      try last.send("q")
    }

    @Test(.enabled(if: WireCheck.hosts && TmuxSession.available, "needs user namespaces and tmux"))
    func noNamespaceOrThreadOutlivesTheLabAfterSIGTERM() throws {
      // Two hosts and a wire between them, then the one host that lesson 4's actors share.
      try Self.endsWithTheLab("handshake-on-the-wire", showing: "client 10.50.0.1 ⇄ server 10.50.0.2", hosts: 2)
      try Self.endsWithTheLab("closing-well", showing: "the lab's host: loopback 127.0.0.1", hosts: 1)
    }

    static func endsWithTheLab(_ lesson: String, showing header: String, hosts count: Int) throws {
      let tmux = try TmuxSession(width: 120, height: 40, arguments: ["lessons", lesson])
      try tmux.waitFor(header)
      for _ in 0..<4 { try tmux.send("Space") }
      try tmux.waitFor("LISTEN")
      let shell = try tmux.tmux("display-message", "-p", "-t", tmux.name, "#{pane_pid}").trimmingCharacters(in: .whitespacesAndNewlines)
      let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
      let lab = try #require(Int32(children.split(separator: " ").first ?? ""))
      // The lab's threads sit in several network namespaces: its own and its hosts'.
      let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(lab)/task")
      let spaces = Set(tasks.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(lab)/task/\($0)/ns/net") })
      let mine = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
      let hosts = spaces.subtracting([mine])
      #expect(hosts.count >= count, "\(lesson): \(spaces)")
      kill(lab, SIGTERM)
      #expect(tmux.exitStatus() == "0")
      #expect(!FileManager.default.fileExists(atPath: "/proc/\(lab)"))
      // No process holds those namespaces any more, so the kernel has let them (and their links) go.
      let listed = try Socklab.run(["-t", "net", "-n", "-o", "NS"], program: URL(fileURLWithPath: "/usr/bin/lsns"))
      for space in hosts {
        let number = space.dropFirst("net:[".count).dropLast()
        #expect(!listed.output.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == number }, "\(space) is still there")
      }
    }
  }
}

/// Frames decoded without the network: the parser and the header view the pane relies on.
@Suite struct WireFrames {
  /// A SYN from 10.50.0.1:49786 to 10.50.0.2:7000 with MSS 1460, SACK, timestamps and a window scale.
  static let syn: [UInt8] =
    [0x6a, 0xf4, 0x19, 0xa8, 0x26, 0x67, 0x2e, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00]
    + [0x45, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 50, 0, 1, 10, 50, 0, 2]
    + [0xc2, 0x7a, 0x1b, 0x58, 0x01, 0x1e, 0x2e, 0x33, 0, 0, 0, 0, 0xa0, 0x02, 0xfa, 0xf0, 0, 0, 0, 0]
    + [0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 0, 0x01, 0x03, 0x03, 0x0a]

  @Test func aSynParsesWithItsOptions() throws {
    let packet = try #require(Packet.parse(Self.syn))
    #expect(packet.source.description == "10.50.0.1")
    #expect(packet.destination.description == "10.50.0.2")
    guard case .tcp(let tcp) = packet.transport else {
      Issue.record("not TCP")
      return
    }
    #expect(tcp.flags.name == "SYN")
    #expect(tcp.sourcePort == 49786 && tcp.destinationPort == 7000)
    #expect(tcp.seq == 18_755_123)
    #expect(tcp.mss == 1460 && tcp.windowScale == 10 && tcp.sackPermitted && tcp.timestamp?.value == 1)
    #expect(tcp.window == 64240)
    #expect(packet.payloadLength == 0)
  }

  @Test func truncatedAndForeignFramesNeverCrashTheParser() {
    for length in 0..<Self.syn.count { _ = Packet.parse(Array(Self.syn.prefix(length))) }
    var lying = Self.syn
    lying[14 + 20 + 12] = 0xf0  // a TCP header that claims 60 bytes
    _ = Packet.parse(lying)
    var arp = [UInt8](repeating: 0, count: 42)
    arp[12] = 0x08
    arp[13] = 0x06
    arp[21] = 1
    arp[28...31] = [10, 50, 0, 1]
    arp[38...41] = [10, 50, 0, 2]
    #expect(Packet.parse(arp) == nil)
    #expect(Packet.describeOther(arp) == "ARP who has 10.50.0.2? tell 10.50.0.1")
  }

  @Test func aCaptureFileHasItsBlocksInOrder() {
    let file = PcapNG.file([PcapNG.Packet(time: 1_700_000_000_000_000_000, bytes: Self.syn, comment: "client: connect()")])
    #expect(Array(file.prefix(4)) == [0x0a, 0x0d, 0x0d, 0x0a])
    #expect(Array(file[8..<12]) == [0x4d, 0x3c, 0x2b, 0x1a])
    #expect(file.count % 4 == 0)
    #expect(String(decoding: file, as: UTF8.self).contains("client: connect()"))
  }
}
