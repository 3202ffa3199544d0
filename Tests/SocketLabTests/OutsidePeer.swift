import Foundation

/// A real program outside the lab: Python's socket module connects once to 127.0.0.1:`port`,
/// sends `bytes` (a Python bytes literal's contents), and exits after `seconds`. Bounded in count
/// and time by construction; `stop()` ends it sooner.
final class OutsidePeer {
  let process = Process()

  /// `host`: the lab's host to join first (`socklab exec HOST --`), when the lesson runs on one.
  init(port: UInt16, bytes: String, seconds: Double = 2, host: String? = nil) throws {
    let peer = [
      "python3", "-c",
      "import socket,time; s=socket.create_connection(('127.0.0.1', \(port)), timeout=2); s.sendall(b'\(bytes)'); time.sleep(\(seconds))",
    ]
    if let host {
      process.executableURL = Socklab.executable
      process.arguments = ["exec", host, "--"] + peer
    } else {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = peer
    }
    try process.run()
  }

  func stop() {
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
  }

  deinit { stop() }

  static var available: Bool {
    ["/usr/bin/python3", "/usr/local/bin/python3"].contains { FileManager.default.isExecutableFile(atPath: $0) }
  }
}
