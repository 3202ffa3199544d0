// Writes the Swift source that carries the shipped lessons inside the binary:
//   embed-lessons OUTPUT.swift GIT_DIR LESSON.md...
// Each lesson becomes a raw string literal with enough `#`s that no text in it can end it early.
#if canImport(Glibc)
  import Glibc
#endif

func readFile(_ path: String) -> [UInt8]? {
  guard let file = fopen(path, "rb") else { return nil }
  defer { fclose(file) }
  var bytes: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let count = fread(&chunk, 1, chunk.count, file)
    bytes += chunk.prefix(count)
    if count < chunk.count { break }
  }
  return bytes
}

/// A message on standard error (by descriptor: Swift 6 refuses the shared `stderr` global).
func complain(_ message: String) {
  let bytes = Array((message + "\n").utf8)
  _ = write(2, bytes, bytes.count)
}

func text(_ path: String) -> String? { readFile(path).map { String(decoding: $0, as: UTF8.self) } }

/// The commit HEAD points at, read from the git folder itself (no git program needed).
func commit(gitFolder: String) -> String {
  guard let head = text(gitFolder + "/HEAD")?.split(separator: "\n").first.map(String.init) else { return "unknown" }
  guard head.hasPrefix("ref: ") else { return String(head.prefix(12)) }
  let ref = String(head.dropFirst(5))
  if let loose = text(gitFolder + "/" + ref)?.split(separator: "\n").first { return String(loose.prefix(12)) }
  for line in (text(gitFolder + "/packed-refs") ?? "").split(separator: "\n") where line.hasSuffix(" " + ref) {
    return String(line.prefix(12))
  }
  return "unknown"
}

/// A Swift raw string literal for `value`: `#"…"#` with more `#`s than any run in the text.
func literal(_ value: String) -> String {
  var longest = 0
  var run = 0
  for character in value.unicodeScalars {
    run = character == "#" ? run + 1 : 0
    longest = max(longest, run)
  }
  let hashes = String(repeating: "#", count: longest + 1)
  return hashes + "\"\"\"\n" + value + "\n\"\"\"" + hashes
}

func save(_ source: String, to path: String) -> Bool {
  guard let output = fopen(path, "wb") else {
    complain("embed-lessons: cannot write \(path)")
    return false
  }
  let bytes = Array(source.utf8)
  let written = fwrite(bytes, 1, bytes.count, output)
  fclose(output)
  return written == bytes.count
}

/// Each file at `paths` as (its base name, its text), or exits when one cannot be read.
func files(_ paths: ArraySlice<String>) -> [(name: String, text: String)] {
  paths.map { path in
    guard let body = text(path) else {
      complain("embed-lessons: cannot read \(path)")
      exit(1)
    }
    return (path.split(separator: "/").last.map(String.init) ?? path, body)
  }
}

let arguments = CommandLine.arguments

/// `embed-lessons --c-runtime OUTPUT.swift FILE...`: the C that exported programs carry, as one
/// Swift dictionary from file name to text.
if arguments.count >= 3, arguments[1] == "--c-runtime" {
  var source = "// Generated at build time from the exported programs' C files. Do not edit.\n\n"
  source += "public let cRuntimeFiles: [String: String] = [\n"
  for (name, body) in files(arguments.dropFirst(3)) { source += "  \(literal(name)): \(literal(body)),\n" }
  source += "]\n"
  exit(save(source, to: arguments[2]) ? 0 : 1)
}

guard arguments.count >= 3 else {
  complain("usage: embed-lessons OUTPUT.swift GIT_DIR LESSON.md...")
  exit(2)
}
var source = "// Generated at build time from Lessons/*.md by the EmbedLessons plugin. Do not edit.\n\n"
source += "let builtCommit = \(literal(commit(gitFolder: arguments[2])))\n\n"
source += "let embeddedLessonFiles: [(name: String, text: String)] = [\n"
for (name, body) in files(arguments.dropFirst(3)) { source += "  (name: \(literal(name)), text: \(literal(body))),\n" }
source += "]\n"
exit(save(source, to: arguments[1]) ? 0 : 1)
