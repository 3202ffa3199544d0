import LabEngine
import LabScript
import Lessons
import SocketKit
import TerminalUI

#if canImport(Glibc)
  import Glibc
#endif

/// The free-play prompt: what is being typed, the last mistake, history and completion.
public struct FreePlayState: Sendable {
  public var text = ""
  /// Where the cursor is in `text` (characters); nil at its end.
  public var cursor: Int?
  /// A Ctrl-R search under way.
  public var search: HistorySearch?
  /// The mistake in the last line submitted, shown under a copy of it with a caret.
  public var error: (line: String, column: Int, message: String)?
  /// Completion candidates or a command's result.
  public var note: String?
  public var history: [String] = []
  public var historyIndex: Int?
  /// Variables defined so far, for checking the next line.
  public var known: Set<String> = Parser.builtins
  public var lineNumber = 1
  public var showReference = false
}

/// Where free-play history is kept between runs.
public struct HistoryStore: Sendable {
  public var path: String
  public static let limit = 500

  public init(path: String) { self.path = path }

  /// `$XDG_STATE_HOME/socklab/history` (or under `~/.local/state`).
  public static func defaultPath() -> String {
    StatePaths.current().history
  }

  public func load() -> [String] {
    guard let text = try? Files.read(path) else { return [] }
    return text.split(separator: "\n").map(String.init).suffix(Self.limit).map { $0 }
  }

  /// Adds `line` to the end of the history file, under a lock, keeping the last `limit` lines: two
  /// labs open at once both keep their lines.
  @discardableResult
  public func append(_ line: String) -> Bool {
    do {
      try Files.makeDirectories(Files.directory(of: path))
      return try Files.withLock(path + ".lock") { () throws(LessonFileError) -> Bool in
        let saved = (try? Files.read(path)).map { $0.split(separator: "\n").map(String.init) } ?? []
        let text = (saved + [line]).suffix(Self.limit).joined(separator: "\n") + "\n"
        try Files.write(text, to: path)
        return true
      }
    } catch {
      return false
    }
  }
}

extension FreePlayState {
  /// The lesson free play runs in: one step whose lines are the ones typed.
  public static let lesson = Lesson(
    id: Lesson.freePlayID, title: "Free play", summary: "Any call you like, for real.", level: .beginner, actors: [],
    prerequisites: [], minutes: 0, number: 0, file: "free play", introduction: "",
    steps: [
      Step(
        title: "Free play",
        prose: """
          Type any line of the call language at the prompt and press Enter: it runs for real, and
          every pane follows. Lines without an actor run as `main`; start a line with `server:` or
          `client:` to use several actors, so that one can block while another goes on.

          - `s = socket(AF_INET, SOCK_STREAM, 0)` makes a socket; C works too:
            `int s = socket(AF_INET, SOCK_STREAM, 0);`
          - an address in one line: `addr = sockaddr_in("127.0.0.1", htons(PORT))`;
            or as C: `struct sockaddr_in addr;`, then `addr.sin_family = AF_INET;`,
            `addr.sin_port = htons(PORT);` and
            `inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);`
          - `char buf[64];`, `socklen_t len = sizeof addr;` and `memset(&addr, 0, sizeof addr);` too
          - Tab completes calls, constants, variables and actors
          - F1 shows the reference of the call being typed
          - `:save FILE` writes the session as a script, `:load FILE` runs one
          - `:hosts` starts again with `client` and `server` on hosts of their own (10.50.0.1 and
            10.50.0.2) and the Wire pane; `wire: drop next SYN` and the other wire lines work there
          - `:loopback` starts again on one host of the lab's own, every actor 127.0.0.1, with the
            Wire pane watching its loopback (`wire()` and `wire_count()` work there)
          - `:interrupt` wakes a blocked call, `:quit` (or Esc on an empty prompt) leaves
          """, line: 1)
    ])

  /// The reference of the call nearest the end of the prompt's text.
  static func callBeingTyped(_ text: String) -> String? {
    if text.drop(while: { $0 == " " }).hasPrefix("wire:") { return "wire:" }
    var depth = 0
    var end = text.endIndex
    for index in text.indices.reversed() {
      if text[index] == ")" { depth += 1 }
      if text[index] == "(" {
        if depth == 0 {
          end = index
          break
        }
        depth -= 1
      }
    }
    guard end != text.endIndex else { return nil }
    let name = text[..<end].reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
    return name.isEmpty ? nil : String(name.reversed())
  }

  /// Completes the word at the end of `text`.
  mutating func complete(variables: [String], actors: [String]) {
    if text.drop(while: { $0 == " " }).hasPrefix("wire:") {
      completeWireCommand(hosts: actors)
      return
    }
    let word = String(text.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
    guard !word.isEmpty else {
      note = "Type the start of a name, then Tab."
      return
    }
    let calls = CallCatalog.all.map(\.name)
    if calls.contains(word) && !text.hasSuffix("(") {
      text += "("  // a whole call name: open its argument list
      note = nil
      return
    }
    var pool = Set(calls + SocketConstants.all.map(\.name) + Array(Parser.builtins) + variables)
    if text.count == word.count { pool.formUnion(actors.map { $0 + ":" } + [WireLanguage.actor + ":"]) }
    let matches = pool.filter { $0.hasPrefix(word) && $0 != word }.sorted()
    guard let first = matches.first else {
      note = "Nothing starts with \(word)."
      return
    }
    var common = Self.commonPrefix(of: matches)
    if matches.count == 1 && calls.contains(first) { common += "(" }
    text += common.dropFirst(word.count)
    note = matches.count == 1 ? nil : matches.prefix(14).joined(separator: "  ") + (matches.count > 14 ? "  …" : "")
  }

  /// What every completion offered starts with: what Tab can add at once.
  static func commonPrefix(of matches: [String]) -> String {
    guard var common = matches.first else { return "" }
    for match in matches.dropFirst() {
      while !match.hasPrefix(common) { common.removeLast() }
    }
    return common
  }

  /// Completes a wire command word by word: the verb, `next`, a kind of segment, a direction.
  private mutating func completeWireCommand(hosts: [String]) {
    let word = text.hasSuffix(" ") || text.hasSuffix(":") ? "" : String(text.split(separator: " ").last ?? "")
    let verbs = ["drop", "delay", "duplicate", "reorder", "hold", "release", "mtu"]
    let directions = hosts.flatMap { a in hosts.filter { $0 != a }.map { "\(a)→\($0)" } }
    let typed = text.split(separator: " ").count - (word.isEmpty ? 0 : 1)
    let pool = typed <= 1 ? verbs : ["next"] + WireLanguage.kinds + directions
    let matches = pool.filter { $0.lowercased().hasPrefix(word.lowercased()) && $0 != word }
    guard !matches.isEmpty else {
      note = "A wire command: \(WireCommand.usage)."
      return
    }
    let common = Self.commonPrefix(of: matches)
    if text.hasSuffix(":") { text += " " }
    text += common.dropFirst(word.count) + (matches.count == 1 ? " " : "")
    note = matches.count == 1 ? nil : matches.prefix(14).joined(separator: "  ")
  }

  /// The free-play Lesson pane: the intro, the signature of the call being typed, its reference,
  /// the last mistake.
  func lines(width: Int, theme: Theme, unicode: Bool) -> (text: [StyledLine], pinned: [StyledLine]) {
    let state = self
    var text = renderMarkdown(Self.lesson.steps[0].prose, width: width, theme: theme)
    var pinned: [StyledLine] = []
    if let (line, column, message) = state.error {
      pinned += [
        [Span((unicode ? "✗ " : "x ") + line, theme.failure)],
        [Span(String(repeating: " ", count: column + 2) + "^", theme.failure)],
      ]
      pinned += wrap([Span(message, theme.failure)], width: width)
    }
    if let name = Self.callBeingTyped(state.text), let spec = CallCatalog.spec(named: name) {
      if !pinned.isEmpty { pinned.append([]) }
      pinned += wrap([Span(spec.signature, theme.code), Span(": " + spec.summary, theme.text)], width: width)
      if state.showReference, let reference = CallReference.entry(for: name) {
        // The whole reference, in the pane's text, where it scrolls (PgUp/PgDn) and zooms (F2).
        var entry = wrap([Span(spec.signature, theme.code)], width: width)
        entry += wrap([Span("Returns: ", theme.bold), Span(reference.returns, theme.text)], width: width)
        for (errno, why) in reference.errors {
          entry += wrap([Span("  \(errno): ", theme.failure), Span(why, theme.text)], width: width, indent: 4)
        }
        text = entry + [[]] + text
        pinned += [[Span("F1 closes the reference; PgUp/PgDn scroll it, F2 zooms it", theme.dim)]]
      } else {
        pinned += [[Span("F1: the full reference", theme.dim)]]
      }
    }
    if let note = state.note {
      if !pinned.isEmpty { pinned.append([]) }
      pinned += wrap([Span(note, theme.dim)], width: width)
    }
    if pinned.isEmpty {
      text += [[]] + wrap([Span("Your lines appear in the Code pane as C; results in the Log.", theme.dim)], width: width)
    }
    return (text, pinned)
  }
}
