#if canImport(Glibc)
  import Glibc
#endif

struct FileError: Error, CustomStringConvertible {
  var description: String
}

/// Reads and writes whole text files with the C library (the lab stays off full Foundation).
enum TextFile {
  static func read(_ path: String) throws -> String {
    guard let file = fopen(path, "rb") else { throw FileError(description: String(cString: strerror(errno))) }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = fread(&chunk, 1, chunk.count, file)
      if count > 0 { bytes += chunk.prefix(count) }
      if count < chunk.count { break }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

func printError(_ message: String) {
  let line = Array((message + "\n").utf8)
  _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
