import Foundation
import LabEngine
import LabScript
import SocketKit
import Testing

/// libowfat is GPL-2.0-only, so SocketLab reimplements its calls. Where libowfat-dev is installed,
/// a small C program runs the same sequence against the real library and both must agree on
/// every result and errno.
enum RealLibowfat {
  static let library = "/usr/lib/libowfat.a"
  static var available: Bool {
    FileManager.default.fileExists(atPath: library) && FileManager.default.fileExists(atPath: "/usr/include/socket.h")
  }

  /// The sequence, in C, printing `name result errno-name` for each call.
  static func program(port: UInt16, closedPort: UInt16) -> String {
    """
    #define _GNU_SOURCE
    #include <errno.h>
    #include <fcntl.h>
    #include <poll.h>
    #include <stdio.h>
    #include <string.h>
    #include <socket.h>
    #include <ip6.h>

    static void show(const char *name, int result) {
      printf("%s %d %s\\n", name, result, result < 0 ? strerrorname_np(errno) : "-");
    }

    static int wait_for(int fd, short events) {
      struct pollfd p = { .fd = fd, .events = events };
      return poll(&p, 1, 2000);
    }

    int main(void) {
      char ip[16];
      uint16 peerport;
      uint32 scope;
      int s = socket_tcp6();
      show("socket_tcp6", s >= 0 ? 0 : -1);
      show("nonblocking", (fcntl(s, F_GETFL) & O_NONBLOCK) ? 1 : 0);
      show("socket_bind6", socket_bind6(s, V6loopback, \(port), 0));
      show("socket_listen", socket_listen(s, 16));
      show("socket_accept6", socket_accept6(s, ip, &peerport, &scope));
      int c = socket_tcp6();
      show("socket_tcp6", c >= 0 ? 0 : -1);
      show("socket_connected", socket_connected(c));
      show("socket_connect6", socket_connect6(c, V6loopback, \(port), 0));
      show("poll", wait_for(c, POLLOUT));
      show("socket_connected", socket_connected(c));
      show("poll", wait_for(s, POLLIN));
      int a = socket_accept6(s, ip, &peerport, &scope);
      show("socket_accept6", a >= 0 ? 0 : -1);
      show("v6loopback", memcmp(ip, V6loopback, 16) == 0 ? 1 : 0);
      int z = socket_tcp6();
      show("socket_tcp6", z >= 0 ? 0 : -1);
      show("socket_connect6", socket_connect6(z, V6loopback, \(closedPort), 0));
      show("poll", wait_for(z, POLLOUT));
      show("socket_connected", socket_connected(z));
      return 0;
    }
    """
  }

  /// The same sequence in the call language.
  static let script = """
    s = socket_tcp6() = fd
    value(fcntl(s, F_GETFL) & 0)
    socket_bind6(s, V6loopback, PORT, 0)
    socket_listen(s, 16)
    socket_accept6(s, ip, &peerport, &scope)
    c = socket_tcp6()
    socket_connected(c)
    socket_connect6(c, V6loopback, PORT, 0)
    w = pollfd(c, POLLOUT)
    poll(&w, 1, 2000)
    socket_connected(c)
    r = pollfd(s, POLLIN)
    poll(&r, 1, 2000)
    a = socket_accept6(s, ip, &peerport, &scope)
    z = socket_tcp6()
    socket_connect6(z, V6loopback, PORT2, 0)
    wz = pollfd(z, POLLOUT)
    poll(&wz, 1, 2000)
    socket_connected(z)
    """
}

extension Live {
  @Suite("libowfat, reimplemented") struct LibowfatComparison {
    @Test(.enabled(if: RealLibowfat.available, "libowfat-dev is not installed (.ci/run installs it)"))
    func ourCallsGiveWhatTheRealLibraryGives() throws {
      let session = LabSession()
      defer { session.close() }
      let lines = try Parser.parse(RealLibowfat.script.replacingOccurrences(of: "& 0)", with: "| 0)")).statements
      var ours: [String] = []
      for statement in lines {
        let outcome = try session.evaluator.run(statement)
        guard let record = outcome.record else { continue }
        switch record.function {
        case "value":
          let flags = record.result.intValue ?? 0
          ours.append("nonblocking \(flags & Int(O_NONBLOCK) != 0 ? 1 : 0) -")
        case "socket_tcp6":
          ours.append("socket_tcp6 \((record.result.intValue ?? -1) >= 0 ? 0 : -1) \(record.error?.name ?? "-")")
        case "socket_accept6" where (record.result.intValue ?? -1) >= 0:
          ours.append("socket_accept6 0 -")
          let ip = session.environment.variable("ip")?.value
          ours.append("v6loopback \(ip == .in6Addr(Libowfat.loopback) ? 1 : 0) -")
        default:
          ours.append("\(record.function) \(record.result) \(record.error?.name ?? "-")")
        }
      }
      // The C program uses its own ports: free ones, found the same way.
      let ports = SocketAPI.freeLoopbackPorts(count: 2)
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-owfat-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: folder) }
      try RealLibowfat.program(port: ports[0], closedPort: ports[1]).write(
        to: folder.appendingPathComponent("seq.c"), atomically: true, encoding: .utf8)
      let compile = Process()
      compile.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
      compile.arguments = [
        "-Wall", "-Wextra", "-Werror", "-o", folder.appendingPathComponent("seq").path,
        folder.appendingPathComponent("seq.c").path, RealLibowfat.library,
      ]
      try compile.run()
      compile.waitUntilExit()
      #expect(compile.terminationStatus == 0, "the C program did not compile")
      let run = Process()
      run.executableURL = folder.appendingPathComponent("seq")
      let output = Pipe()
      run.standardOutput = output
      try run.run()
      let data = output.fileHandleForReading.readDataToEndOfFile()
      run.waitUntilExit()
      let theirs = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
      #expect(ours == theirs)
      #expect(theirs.count == 17, "\(theirs)")
    }
  }
}
