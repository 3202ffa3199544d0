import Dispatch
import LabScript
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The lessons of a folder, or of the whole curriculum, in order, with every problem found in them.
public struct LessonLibrary: Sendable {
  /// Where the lessons were read from, for messages: a folder, a file, or the curriculum's sources.
  public var folder: String
  public var lessons: [Lesson]
  /// Problems in single files and across files (duplicate ids, missing prerequisites).
  public var problems: [ScriptError]
  /// What the curriculum did that a teacher should know: a folder's lesson replacing a shipped one.
  public var notices: [String] = []

  /// The origin of the lessons the binary carries.
  public static let builtIn = "built in"

  public init(folder: String, lessons: [Lesson], problems: [ScriptError] = [], notices: [String] = []) {
    self.folder = folder
    self.lessons = lessons
    self.problems = problems
    self.notices = notices
  }

  /// Loads every lesson file (`*.md` but `README.md`) of `folder`, or the one file `path` names.
  /// Prerequisites may also name the lessons in `known` (the shipped ones, say).
  public static func load(_ path: String, known: Set<String> = []) throws(LessonFileError) -> LessonLibrary {
    let isFolder = Files.isDirectory(path)
    let folder = isFolder ? path : Files.directory(of: path)
    let (texts, unreadable) = isFolder ? readAll(try lessonFiles(in: path)) : ([(path, try Files.read(path))], [])
    var library = parse(texts, folder: folder, origin: folder)
    library.problems = unreadable + library.problems
    var ids = known.union(library.lessons.map(\.id))
    if !isFolder, let lesson = library.lessons.first, !lesson.prerequisites.isEmpty,
      let siblings = try? LessonLibrary.load(folder)
    {
      // One file: its prerequisites are looked up among the lessons beside it too.
      ids.formUnion(siblings.lessons.map(\.id))
    }
    library.checkPrerequisites(against: ids)
    return library
  }

  /// The curriculum: the lessons the binary carries (`shipped`, by file name), then those of each
  /// folder in turn. A folder's lesson with the id of an earlier one replaces it, and a notice says
  /// so; any other lesson is added. Prerequisites may name a lesson from any source.
  /// An `outline` reads each lesson only as far as the picker needs (see `LessonParser.parse`).
  public static func curriculum(shipped: [(name: String, text: String)], folders: [String], outline: Bool = false)
    throws(LessonFileError) -> LessonLibrary
  {
    var library = parse(shipped.map { ("Lessons/" + $0.name, $0.text) }, folder: builtIn, origin: builtIn, outline: outline)
    for folder in folders {
      let (texts, unreadable) = readAll(try lessonFiles(in: folder))
      let added = parse(texts, folder: folder, origin: folder, outline: outline)
      library.problems += unreadable + added.problems
      for lesson in added.lessons {
        if let index = library.lessons.firstIndex(where: { $0.id == lesson.id }) {
          let replaced = library.lessons[index]
          library.notices.append(
            "lesson \(lesson.id) from \(lesson.file) replaces the one from \(replaced.origin == builtIn ? "the built-in lessons" : replaced.file)"
          )
          library.lessons[index] = lesson
          library.lessons[index].replaces = replaced.origin == builtIn ? builtIn : replaced.file
        } else {
          library.lessons.append(lesson)
        }
      }
      library.frontMatter.merge(added.frontMatter) { $1 }
    }
    library.lessons.sort { ($0.number, $0.file) < ($1.number, $1.file) }
    library.folder = ([builtIn] + folders).joined(separator: ", ")
    library.checkPrerequisites(against: Set(library.lessons.map(\.id)))
    return library
  }

  /// The extra lesson folders named by `SOCKLAB_LESSONS` (colon-separated) and then `option`.
  public static func extraFolders(option: String?, environment: String?) -> [String] {
    let fromEnvironment = (environment ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
    return fromEnvironment + (option.map { [$0] } ?? [])
  }

  /// The texts of `files`; one that cannot be read (a FIFO, a link to a device, too large) is a
  /// problem at its first line, and the others are still read.
  private static func readAll(_ files: [String]) -> ([(path: String, text: String)], [ScriptError]) {
    var texts: [(path: String, text: String)] = []
    var problems: [ScriptError] = []
    for file in files {
      do {
        texts.append((file, try Files.read(file)))
      } catch {
        problems.append(error.problem)
      }
    }
    return (texts, problems)
  }

  /// The `*.md` files of a folder but its `README.md`, sorted by name.
  private static func lessonFiles(in folder: String) throws(LessonFileError) -> [String] {
    try Files.list(folder).filter { $0.hasSuffix(".md") && $0 != "README.md" }.sorted().map { Files.join(folder, $0) }
  }

  /// Parses lesson texts (on every core: the picker waits for all of them) and checks them
  /// against each other, but not their prerequisites.
  private static func parse(_ files: [(path: String, text: String)], folder: String, origin: String, outline: Bool = false)
    -> LessonLibrary
  {
    let parsed = Mutex([(Lesson?, LessonParser.FrontMatterLines, [ScriptError])?](repeating: nil, count: files.count))
    DispatchQueue.concurrentPerform(iterations: files.count) { index in
      let result = LessonParser.parse(files[index].text, file: files[index].path, outline: outline)
      parsed.withLock { $0[index] = result }
    }
    var library = LessonLibrary(folder: folder, lessons: [])
    for result in parsed.withLock({ $0 }) {
      guard let (lesson, lines, found) = result else { continue }
      library.problems += found
      if var lesson {
        lesson.origin = origin
        library.lessons.append(lesson)
        library.frontMatter[lesson.file] = lines
      }
    }
    library.lessons.sort { ($0.number, $0.file) < ($1.number, $1.file) }
    if files.count > 1 { library.checkAcrossFiles() }
    return library
  }

  /// The front-matter line numbers of each lesson file, for the places of cross-file problems.
  private var frontMatter: [String: LessonParser.FrontMatterLines] = [:]

  private mutating func checkAcrossFiles() {
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
  }

  private mutating func checkPrerequisites(against ids: Set<String>) {
    for lesson in lessons {
      checkPrerequisites(of: lesson, against: ids, line: frontMatter[lesson.file]?.lines["prerequisites"])
    }
  }

  private mutating func checkPrerequisites(of lesson: Lesson, against ids: Set<String>, line: Int?) {
    for prerequisite in lesson.prerequisites where !ids.contains(prerequisite) {
      let hint =
        closestID(to: prerequisite, in: ids).map { "did you mean \($0)?" }
        ?? "name the id of a shipped lesson or of one in the lesson folders, or write none"
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
  /// Whether the lessons were read only as outlines (for the picker's first frame).
  public var isOutline: Bool { lessons.contains { $0.isOutline } }

  /// The library without the lessons whose files have problems (a teacher's broken lesson is
  /// left out, not the whole lab), and what to tell the learner about it.
  public func playable() -> (LessonLibrary, notice: String?) {
    let broken = Set(problems.compactMap(\.file))
    var library = self
    library.lessons.removeAll { broken.contains($0.file) }
    let notice =
      broken.isEmpty
      ? notices.first
      : "\(broken.count) lesson file\(broken.count == 1 ? " has" : "s have") problems and \(broken.count == 1 ? "is" : "are") left out: `socklab lint` says where."
    return (library, notice)
  }

  public func lesson(named name: String) -> Lesson? {
    lessons.first { $0.id == name || Files.baseName($0.file) == name || Files.baseName($0.file) == name + ".md" }
  }
}

/// A lesson file that could not be read.
public struct LessonFileError: Error, Sendable, CustomStringConvertible {
  public var path: String
  public var reason: String
  public var description: String { "\(path): cannot be read: \(reason)" }

  /// The same, as a problem of the lesson file at its first line.
  var problem: ScriptError {
    ScriptError("cannot be read: \(reason)", at: SourceLocation(line: 1, column: 1), hint: "give the lab a regular text file", file: path)
  }
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

  /// The largest lesson or script the lab reads.
  public static let maximumSize = 1 << 20

  /// Reads a regular file of at most `limit` bytes as UTF-8 (a byte-order mark at its start is
  /// dropped). A FIFO, a device (a link to /dev/zero, say), a folder or a larger file is refused
  /// with the reason, without reading it: opening never blocks, and reading stops at the limit.
  public static func read(_ path: String, limit: Int = maximumSize) throws(LessonFileError) -> String {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw LessonFileError(path: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw LessonFileError(path: path, reason: String(cString: strerror(errno))) }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw LessonFileError(path: path, reason: "it is \(kind(of: info.st_mode)), not a regular file")
    }
    guard Int(info.st_size) <= limit else {
      throw LessonFileError(path: path, reason: "it is \(info.st_size) bytes long, and the lab reads files of up to \(limit) bytes")
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while bytes.count <= limit {
      let count = Glibc.read(fd, &chunk, chunk.count)
      if count < 0 && errno == EINTR { continue }
      if count < 0 { throw LessonFileError(path: path, reason: String(cString: strerror(errno))) }
      if count == 0 { break }
      bytes += chunk.prefix(count)
    }
    guard bytes.count <= limit else {
      throw LessonFileError(path: path, reason: "it grew past \(limit) bytes while it was read")
    }
    let text = bytes.starts(with: [0xef, 0xbb, 0xbf]) ? bytes.dropFirst(3) : bytes[...]
    return String(decoding: text, as: UTF8.self)
  }

  private static func kind(of mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: "a FIFO"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFDIR: "a folder"
    case S_IFSOCK: "a socket"
    default: "not a plain file"
    }
  }

  /// Writes `text` to `path` (creating the folder), replacing it atomically.
  public static func write(_ text: String, to path: String) throws(LessonFileError) {
    try write(Array(text.utf8), to: path)
  }

  /// Writes `bytes` to `path` (creating the folder), replacing it atomically.
  public static func write(_ bytes: [UInt8], to path: String) throws(LessonFileError) {
    try makeDirectories(directory(of: path))
    let temporary = path + ".tmp-\(getpid())"
    guard let file = fopen(temporary, "wb") else { throw LessonFileError(path: path, reason: String(cString: strerror(errno))) }
    let written = fwrite(bytes, 1, bytes.count, file)
    fclose(file)
    guard written == bytes.count, rename(temporary, path) == 0 else {
      unlink(temporary)
      throw LessonFileError(path: path, reason: "could not write")
    }
  }

  /// Runs `body` holding an exclusive `flock` on the file `lockPath` (created if missing), so that
  /// processes that share a file take turns reading, merging and replacing it.
  public static func withLock<T, E: Error>(_ lockPath: String, _ body: () throws(E) -> T) throws -> T {
    let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw LessonFileError(path: lockPath, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    while flock(fd, LOCK_EX) != 0 {
      guard errno == EINTR else { throw LessonFileError(path: lockPath, reason: String(cString: strerror(errno))) }
    }
    defer { flock(fd, LOCK_UN) }
    return try body()
  }

  /// Makes `path` and every folder above it that is missing, like `mkdir -p`.
  public static func makeDirectories(_ path: String) throws(LessonFileError) {
    if path.isEmpty || isDirectory(path) { return }
    try makeDirectories(directory(of: path))
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
      throw LessonFileError(path: path, reason: String(cString: strerror(errno)))
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
