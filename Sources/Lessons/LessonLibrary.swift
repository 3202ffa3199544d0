import Dispatch
import LabScript
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The lessons of a folder, in order, with every problem found in them.
public struct LessonLibrary: Sendable {
  public var folder: String
  public var lessons: [Lesson]
  /// Problems in single files and across files (duplicate ids, missing prerequisites).
  public var problems: [ScriptError]

  public init(folder: String, lessons: [Lesson], problems: [ScriptError] = []) {
    self.folder = folder
    self.lessons = lessons
    self.problems = problems
  }

  /// Loads every lesson file (`*.md` but `README.md`) of `folder`, or the one file `path` names.
  public static func load(_ path: String) throws(LessonFileError) -> LessonLibrary {
    let files: [String]
    let folder: String
    if Files.isDirectory(path) {
      folder = path
      files = try Files.list(path).filter { $0.hasSuffix(".md") && $0 != "README.md" }.sorted().map { Files.join(path, $0) }
    } else {
      folder = Files.directory(of: path)
      files = [path]
    }
    var lessons: [Lesson] = []
    var problems: [ScriptError] = []
    var frontMatter: [String: LessonParser.FrontMatterLines] = [:]
    let texts = try files.map { (file) throws(LessonFileError) in try Files.read(file) }
    // Lessons parse independently: use every core, since the picker waits for all of them.
    let parsed = Mutex([(Lesson?, LessonParser.FrontMatterLines, [ScriptError])?](repeating: nil, count: files.count))
    DispatchQueue.concurrentPerform(iterations: files.count) { index in
      let result = LessonParser.parse(texts[index], file: files[index])
      parsed.withLock { $0[index] = result }
    }
    for (file, result) in zip(files, parsed.withLock { $0 }) {
      guard let (lesson, lines, found) = result else { continue }
      problems += found
      if let lesson {
        lessons.append(lesson)
        frontMatter[file] = lines
      }
    }
    lessons.sort { ($0.number, $0.file) < ($1.number, $1.file) }
    var library = LessonLibrary(folder: folder, lessons: lessons, problems: problems)
    if files.count > 1 || Files.isDirectory(path) {
      library.checkAcrossFiles(frontMatter)
    } else if let lesson = lessons.first, !lesson.prerequisites.isEmpty, let siblings = try? LessonLibrary.load(folder) {
      // One file: its prerequisites are looked up among the lessons beside it.
      library.checkPrerequisites(
        of: lesson, against: Set(siblings.lessons.map(\.id)), line: frontMatter[lesson.file]?.lines["prerequisites"])
    }
    return library
  }

  private mutating func checkAcrossFiles(_ frontMatter: [String: LessonParser.FrontMatterLines]) {
    var seen: [String: String] = [:]
    for lesson in lessons where !lesson.id.isEmpty {
      if let first = seen[lesson.id] {
        problems.append(
          ScriptError(
            "the id \(lesson.id) is already used by \(first)",
            at: SourceLocation(line: frontMatter[lesson.file]?.lines["id"] ?? 1, column: 5),
            hint: "give every lesson its own id", file: lesson.file))
      } else {
        seen[lesson.id] = lesson.file
      }
    }
    var numbers: [Int: String] = [:]
    for lesson in lessons where lesson.number > 0 {
      if let first = numbers[lesson.number] {
        problems.append(
          ScriptError(
            "lesson number \(lesson.number) is already taken by \(Files.baseName(first))", at: SourceLocation(line: 1, column: 1),
            hint: "give each lesson file its own number, the next free one", file: lesson.file))
      } else {
        numbers[lesson.number] = lesson.file
      }
    }
    let ids = Set(seen.keys)
    for lesson in lessons {
      checkPrerequisites(of: lesson, against: ids, line: frontMatter[lesson.file]?.lines["prerequisites"])
    }
  }

  private mutating func checkPrerequisites(of lesson: Lesson, against ids: Set<String>, line: Int?) {
    for prerequisite in lesson.prerequisites where !ids.contains(prerequisite) {
      let hint =
        closestID(to: prerequisite, in: ids).map { "did you mean \($0)?" }
        ?? "name the id of a lesson in this folder, or write none"
      problems.append(
        ScriptError(
          "prerequisite \(prerequisite) is not a lesson here", at: SourceLocation(line: line ?? 1, column: 16), hint: hint,
          file: lesson.file))
    }
  }

  private func closestID(to id: String, in ids: Set<String>) -> String? {
    ids.first { $0.hasPrefix(id) || id.hasPrefix($0) }
  }

  /// The lesson with this id, or whose file name is `name`.
  public func lesson(named name: String) -> Lesson? {
    lessons.first { $0.id == name || Files.baseName($0.file) == name || Files.baseName($0.file) == name + ".md" }
  }

  /// Where the lessons are when no folder is given: `Lessons/` beside the package the program was
  /// built in (found from the executable's path), else `Lessons/` in the current directory.
  public static func defaultFolder(executablePath: String = Files.executablePath()) -> String {
    var directory = Files.directory(of: executablePath)
    for _ in 0..<6 {
      let candidate = Files.join(directory, "Lessons")
      if Files.isDirectory(candidate), Files.exists(Files.join(directory, "Package.swift")) { return candidate }
      directory = Files.directory(of: directory)
    }
    return "Lessons"
  }
}

/// A lesson file that could not be read.
public struct LessonFileError: Error, Sendable, CustomStringConvertible {
  public var path: String
  public var reason: String
  public var description: String { "cannot read \(path): \(reason)" }
}

/// The few file operations the lessons need, on the C library.
public enum Files {
  public static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  public static func exists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
  }

  public static func list(_ path: String) throws(LessonFileError) -> [String] {
    guard let directory = opendir(path) else { throw LessonFileError(path: path, reason: String(cString: strerror(errno))) }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  public static func read(_ path: String) throws(LessonFileError) -> String {
    guard let file = fopen(path, "rb") else { throw LessonFileError(path: path, reason: String(cString: strerror(errno))) }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = fread(&chunk, 1, chunk.count, file)
      if count > 0 { bytes += chunk.prefix(count) }
      if count < chunk.count { break }
    }
    if ferror(file) != 0 { throw LessonFileError(path: path, reason: "read error") }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Writes `text` to `path` (creating the folder), replacing it atomically.
  public static func write(_ text: String, to path: String) throws(LessonFileError) {
    let folder = directory(of: path)
    if !isDirectory(folder) { _ = mkdir(folder, 0o755) }
    let temporary = path + ".tmp-\(getpid())"
    guard let file = fopen(temporary, "wb") else { throw LessonFileError(path: path, reason: String(cString: strerror(errno))) }
    let bytes = Array(text.utf8)
    let written = fwrite(bytes, 1, bytes.count, file)
    fclose(file)
    guard written == bytes.count, rename(temporary, path) == 0 else {
      unlink(temporary)
      throw LessonFileError(path: path, reason: "could not write")
    }
  }

  public static func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }

  public static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  public static func baseName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }

  /// The running program's own path (`/proc/self/exe` on Linux).
  public static func executablePath() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return CommandLine.arguments.first ?? "." }
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
