import TerminalUI

/// Renders the Markdown subset of lessons (paragraphs, `-` and numbered lists, `#` headings,
/// fenced code, `code`, **bold**, links shown as their text) as lines wrapped to `width`.
func renderMarkdown(_ text: String, width: Int, theme: Theme) -> [StyledLine] {
  var lines: [StyledLine] = []
  var paragraph: [String] = []
  var fenced = false
  func flushParagraph() {
    guard !paragraph.isEmpty else { return }
    let joined = paragraph.joined(separator: " ")
    paragraph = []
    if let marker = listMarker(joined) {
      let body = String(joined.dropFirst(marker.count))
      lines += wrap([Span(marker, theme.text)] + inlineSpans(body, theme: theme), width: width, indent: marker.count)
    } else {
      lines += wrap(inlineSpans(joined, theme: theme), width: width)
    }
  }
  for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
    let line = String(raw)
    if line.hasPrefix("```") {
      flushParagraph()
      fenced.toggle()
      continue
    }
    if fenced {
      lines.append([Span("  " + line, theme.code)])
      continue
    }
    let trimmed = line.trimmingCharacters(in: " ")
    if trimmed.isEmpty {
      flushParagraph()
      if lines.last.map({ !$0.isEmpty }) ?? false { lines.append([]) }
      continue
    }
    if trimmed.hasPrefix("#") {
      flushParagraph()
      let heading = trimmed.drop { $0 == "#" }.trimmingCharacters(in: " ")
      lines += wrap(inlineSpans(heading, theme: theme).map { Span($0.text, theme.title) }, width: width)
      continue
    }
    if listMarker(trimmed) != nil { flushParagraph() }
    paragraph.append(trimmed)
  }
  flushParagraph()
  while lines.last?.isEmpty == true { lines.removeLast() }
  return lines
}

private func listMarker(_ line: String) -> String? {
  if line.hasPrefix("- ") || line.hasPrefix("* ") { return "• " }
  let digits = line.prefix { $0.isNumber }
  if !digits.isEmpty, line.dropFirst(digits.count).hasPrefix(". ") { return "\(digits). " }
  return nil
}

/// `code`, **bold** and [text](url) within a line.
func inlineSpans(_ text: String, theme: Theme) -> [Span] {
  var spans: [Span] = []
  var current = ""
  var characters = Array(text)
  var i = 0
  func flush(_ style: Style) {
    if !current.isEmpty { spans.append(Span(current, style)) }
    current = ""
  }
  while i < characters.count {
    let c = characters[i]
    if c == "`", let end = characters[(i + 1)...].firstIndex(of: "`") {
      flush(theme.text)
      spans.append(Span(String(characters[(i + 1)..<end]), theme.code))
      i = end + 1
    } else if c == "*", i + 1 < characters.count, characters[i + 1] == "*",
      let end = findPair(characters, from: i + 2, "*")
    {
      flush(theme.text)
      spans.append(Span(String(characters[(i + 2)..<end]), theme.bold))
      i = end + 2
    } else if c == "[", let close = characters[(i + 1)...].firstIndex(of: "]"), close + 1 < characters.count,
      characters[close + 1] == "(", let paren = characters[(close + 1)...].firstIndex(of: ")")
    {
      current += String(characters[(i + 1)..<close])
      i = paren + 1
    } else {
      current.append(c)
      i += 1
    }
  }
  flush(theme.text)
  characters.removeAll()
  return spans
}

private func findPair(_ characters: [Character], from start: Int, _ mark: Character) -> Int? {
  var j = start
  while j + 1 < characters.count {
    if characters[j] == mark && characters[j + 1] == mark { return j }
    j += 1
  }
  return nil
}

extension String {
  func trimmingCharacters(in set: Character) -> String {
    var s = Substring(self)
    while s.first == set { s = s.dropFirst() }
    while s.last == set { s = s.dropLast() }
    return String(s)
  }
}

extension Substring {
  func trimmingCharacters(in set: Character) -> String { String(self).trimmingCharacters(in: set) }
}
