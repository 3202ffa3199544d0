import ArgumentParser

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

/// Writes a line to standard error.
func printError(_ message: String) {
  let line = Array((message + "\n").utf8)
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
