import TerminalUI

/// The free-play prompt's editing, as readline users expect: the cursor moves (← → Home End,
/// Ctrl-A Ctrl-E, Alt-B Alt-F by words), Ctrl-U and Ctrl-K cut before and after it, Ctrl-W the
/// word before it, and Ctrl-R searches the history.
extension FreePlayState {
  /// Where the cursor stands in `text`, in characters.
  public var caret: Int { min(cursor ?? text.count, text.count) }

  /// Handles an editing key; false when the key is not one (Enter, Tab, Up, and so on).
  mutating func edit(_ key: Key, limit: Int) -> Bool {
    var characters = Array(text)
    var at = caret
    switch key {
    case .left: at = max(0, at - 1)
    case .right: at = min(characters.count, at + 1)
    case .home, .control("a"): at = 0
    case .end, .control("e"): at = characters.count
    case .alt("b"): at = Self.wordStart(before: at, in: characters)
    case .alt("f"): at = Self.wordEnd(after: at, in: characters)
    case .backspace:
      guard at > 0 else { return true }
      characters.remove(at: at - 1)
      at -= 1
    case .delete:
      guard at < characters.count else { return true }
      characters.remove(at: at)
    case .control("u"):
      characters.removeSubrange(0..<at)
      at = 0
    case .control("k"):
      characters.removeSubrange(at...)
    case .control("w"):
      // As readline's unix-word-rubout: back to the space before the word.
      var start = at
      while start > 0 && characters[start - 1] == " " { start -= 1 }
      while start > 0 && characters[start - 1] != " " { start -= 1 }
      characters.removeSubrange(start..<at)
      at = start
    case .character(let c):
      guard text.utf8.count < limit else {
        note = "A line may have \(limit) bytes; split it, with variables for the parts."
        return true
      }
      characters.insert(c, at: at)
      at += 1
      note = nil
    default:
      return false
    }
    text = String(characters)
    cursor = at == characters.count ? nil : at
    return true
  }

  private static func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

  static func wordStart(before index: Int, in characters: [Character]) -> Int {
    var i = index
    while i > 0 && !isWord(characters[i - 1]) { i -= 1 }
    while i > 0 && isWord(characters[i - 1]) { i -= 1 }
    return i
  }

  static func wordEnd(after index: Int, in characters: [Character]) -> Int {
    var i = index
    while i < characters.count && !isWord(characters[i]) { i += 1 }
    while i < characters.count && isWord(characters[i]) { i += 1 }
    return i
  }

  /// ↑ and ↓: the previous or next line of the history; past the newest, an empty line.
  mutating func recall(by step: Int) {
    if step < 0 {
      guard !history.isEmpty else { return }
      historyIndex = max(0, (historyIndex ?? history.count) - 1)
    } else {
      guard let index = historyIndex else { return }
      historyIndex = index + 1 < history.count ? index + 1 : nil
    }
    text = historyIndex.map { history[$0] } ?? ""
    cursor = nil
  }

  // MARK: - Ctrl-R

  /// Ctrl-R: starts a search of the history, or finds the next older match of the one under way.
  mutating func searchHistory() {
    guard var search else {
      self.search = HistorySearch(query: "", match: nil, original: text)
      return
    }
    search.match = Self.find(search.query, in: history, before: search.match ?? history.count)
    self.search = search
  }

  /// A key while the search is open: typing narrows it, Enter takes the line, Esc gives the old
  /// one back, and any other key takes the line and goes on editing it. True when it is used up.
  mutating func searching(_ key: Key) -> (handled: Bool, run: Bool) {
    guard var search else { return (false, false) }
    switch key {
    case .control("r"):
      searchHistory()
      return (true, false)
    case .character(let c):
      search.query.append(c)
      search.match = Self.find(search.query, in: history, before: history.count)
    case .backspace:
      if !search.query.isEmpty { search.query.removeLast() }
      search.match = search.query.isEmpty ? nil : Self.find(search.query, in: history, before: history.count)
    case .escape, .control("g"):
      text = search.original
      cursor = nil
      self.search = nil
      return (true, false)
    case .enter:
      if let match = search.match { text = history[match] }
      cursor = nil
      self.search = nil
      return (true, true)
    default:
      if let match = search.match { text = history[match] }
      cursor = nil
      self.search = nil
      return (false, false)
    }
    self.search = search
    return (true, false)
  }

  /// The newest history line before `index` that contains `query`.
  static func find(_ query: String, in history: [String], before index: Int) -> Int? {
    guard !query.isEmpty else { return nil }
    return history.indices.prefix(max(0, min(index, history.count))).last { history[$0].contains(query) }
  }
}

/// A Ctrl-R search of the history: what is typed, the line it found, and the line to give back.
public struct HistorySearch: Sendable, Equatable {
  public var query: String
  public var match: Int?
  public var original: String
}
