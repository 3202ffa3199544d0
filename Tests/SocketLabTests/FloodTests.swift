import Foundation
import LabUI
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension Live {
  @Suite("A flood from outside") struct Flood {
    /// 200 connections and up to 5 MB from one outside program: the lab's screen stays bounded
    /// and its memory grows by less than 40 MB.
    @Test(
      .enabled(
        if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
          || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/python3"), "python3 is not installed"))
    func aFloodOfPeersLeavesTheLabBoundedAndResponsive() throws {
      let lab = try Harness(width: 120, height: 40)
      lab.app.openFreePlay()
      for line in [
        "s = socket(AF_INET, SOCK_STREAM, 0) = fd", "addr = sockaddr_in(\"127.0.0.1\", htons(PORT))",
        "bind(s, &addr, sizeof addr) = 0",
        "listen(s, 128) = 0",
      ] {
        lab.type(line).press(.enter)
      }
      var before = rusage()
      getrusage(RUSAGE_SELF.rawValue, &before)

      // Bounded in count (200 connections, 5 MB) and in time (3 s of sending, then gone).
      let flood = """
        import socket, time, errno
        port = \(lab.player.session.port)
        socks = []
        for i in range(200):
            s = socket.socket(); s.setblocking(False)
            try: s.connect(('127.0.0.1', port))
            except BlockingIOError: pass
            socks.append(s)
        time.sleep(0.3)
        sent, deadline, chunk = 0, time.time() + 3, b'x' * 65536
        big = socks[0]
        while sent < 5 * 1024 * 1024 and time.time() < deadline:
            try: sent += big.send(chunk)
            except (BlockingIOError, OSError): time.sleep(0.01)
        time.sleep(1.5)
        """
      let peer = Process()
      peer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      peer.arguments = ["python3", "-c", flood]
      try peer.run()
      defer {
        if peer.isRunning { peer.terminate() }
        peer.waitUntilExit()
      }
      var sawFlood = false
      let deadline = Date().addingTimeInterval(6)
      while Date() < deadline && peer.isRunning {
        lab.app.tick()
        let screen = lab.text
        if screen.contains("more connections on the lab") { sawFlood = true }
        Thread.sleep(forTimeInterval: 0.1)
      }
      #expect(sawFlood, "the Sockets pane never summarised the flood")
      let snapshot = lab.player.snapshot
      #expect(snapshot.queued.count <= 32 && snapshot.outsidePeers.count <= 32)
      // Still responsive: a line typed now runs at once.
      lab.type("a = accept(s, NULL, NULL) = fd").press(.enter)
      #expect(lab.player.log.last?.text.contains("accept(") == true)
      var after = rusage()
      getrusage(RUSAGE_SELF.rawValue, &after)
      #expect(after.ru_maxrss - before.ru_maxrss < 40 * 1024, "memory grew by \(after.ru_maxrss - before.ru_maxrss) KB")
    }
  }
}
