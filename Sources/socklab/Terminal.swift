import ArgumentParser
import SocketKit

#if canImport(Glibc)
  import Glibc
#endif

/// Runs `body`; when it throws, says why on standard error and exits with status 2 (the status
/// every command uses for input it could not read).
func orExitTwo<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch {
    printError("socklab: \(error)")
    throw ExitCode(2)
  }
}

/// Writes a line to standard error, with control characters escaped.
func printError(_ message: String) {
  let line = Array((Printable.escaped(message) + "\n").utf8)
  _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// Reads one line from standard input, nil at its end.
func readAnswer() -> String? {
  var bytes: [UInt8] = []
  var byte: UInt8 = 0
  while read(STDIN_FILENO, &byte, 1) == 1 {
    if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
    bytes.append(byte)
  }
  return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
}

/// Whether standard input is a terminal a person can answer at.
var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

/// Writes `text` and a newline to standard output at once, with control characters escaped
/// (unless `raw`): unbuffered, so that `socklab run … | tee log` keeps every line even when the
/// run is interrupted. A write that fails (a full disk, /dev/full, a closed pipe) ends the
/// program with status 74 (EX_IOERR) and says why: output that was lost is never a success.
func say(_ text: String = "", raw: Bool = false, terminator: String = "\n") {
  var bytes = Array(((raw ? text : Printable.escaped(text)) + terminator).utf8)[...]
  while !bytes.isEmpty {
    let count = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    if count < 0 && errno == EINTR { continue }
    guard count > 0 else {
      printError("socklab: cannot write to standard output: \(String(cString: strerror(errno)))")
      exit(74)
    }
    bytes = bytes.dropFirst(count)
  }
}
