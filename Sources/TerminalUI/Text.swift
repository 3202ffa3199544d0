/// A run of text in one style.
public struct Span: Sendable, Equatable {
  public var text: String
  public var style: Style

  public init(_ text: String, _ style: Style = .plain) {
    self.text = text
    self.style = style
  }
}

/// A line of styled spans.
public typealias StyledLine = [Span]

extension Canvas {
  /// Writes a styled line from column `x` of row `y`, clipped to `clip`.
  @discardableResult
  public mutating func write(_ line: StyledLine, x: Int, y: Int, clip: Rect) -> Int {
    var column = x
    for span in line { column = write(span.text, x: column, y: y, style: span.style, clip: clip) }
    return column
  }

  /// Writes `lines` into `rect`, starting from line `offset`; returns how many lines there were.
  public mutating func write(_ lines: [StyledLine], in rect: Rect, offset: Int = 0) {
    guard !rect.isEmpty else { return }
    for (row, line) in lines.dropFirst(max(0, offset)).prefix(rect.height).enumerated() {
      write(line, x: rect.x, y: rect.y + row, clip: rect)
    }
  }
}

/// Wraps styled text to `width` columns at spaces, keeping styles; words longer than the width
/// are cut. `indent` is put before every line after the first (for list items).
public func wrap(_ spans: [Span], width: Int, indent: Int = 0) -> [StyledLine] {
  guard width > indent + 1 else { return [spans] }
  // Split into words that keep their style, with a flag for a space before them.
  var words: [(spans: [Span], spaceBefore: Bool)] = []
  var current: [Span] = []
  var pendingSpace = false
  var spaceBeforeCurrent = false
  func flush() {
    if !current.isEmpty { words.append((current, spaceBeforeCurrent)) }
    current = []
  }
  for span in spans {
    var text = ""
    for character in span.text {
      if character == " " {
        if !text.isEmpty { current.append(Span(text, span.style)) }
        text = ""
        flush()
        pendingSpace = true
      } else {
        if current.isEmpty && text.isEmpty {
          spaceBeforeCurrent = pendingSpace
          pendingSpace = false
        }
        text.append(character)
      }
    }
    if !text.isEmpty { current.append(Span(text, span.style)) }
  }
  flush()

  var lines: [StyledLine] = []
  var line: StyledLine = []
  var used = 0
  for (wordSpans, spaceBefore) in words {
    let length = wordSpans.reduce(0) { $0 + ColumnWidth.of($1.text) }
    let limit = lines.isEmpty ? width : width - indent
    if used > 0 && used + 1 + length > limit {
      lines.append(line)
      line = indent > 0 ? [Span(String(repeating: " ", count: indent))] : []
      used = 0
    }
    if used > 0 && spaceBefore {
      line.append(Span(" ", wordSpans[0].style))
      used += 1
    } else if used > 0 {
      // Words joined without a space (a style change mid-word) stay together.
    }
    for span in wordSpans {
      let spanWidth = ColumnWidth.of(span.text)
      guard used == 0, spanWidth > (lines.isEmpty ? width : width - indent) else {
        line.append(span)
        used += spanWidth
        continue
      }
      // A word wider than the line is cut into pieces, in one pass over its characters.
      var piece = ""
      for character in span.text {
        let columns = ColumnWidth.of(character)
        if used + columns > (lines.isEmpty ? width : width - indent), used > 0 {
          line.append(Span(piece, span.style))
          lines.append(line)
          line = indent > 0 ? [Span(String(repeating: " ", count: indent))] : []
          used = 0
          piece = ""
        }
        piece.append(character)
        used += columns
      }
      if !piece.isEmpty { line.append(Span(piece, span.style)) }
    }
  }
  if !line.isEmpty || lines.isEmpty { lines.append(line) }
  return lines
}

/// Pads or cuts `text` to exactly `width` columns.
public func fit(_ text: String, _ width: Int) -> String {
  guard width > 0 else { return "" }
  let columns = ColumnWidth.of(text)
  if columns <= width { return text + String(repeating: " ", count: width - columns) }
  var cut = ""
  var used = 0
  let room = width > 1 ? width - 1 : width
  for character in text {
    let next = ColumnWidth.of(character)
    if used + next > room { break }
    cut.append(character)
    used += next
  }
  return (width > 1 ? cut + "…" : cut) + String(repeating: " ", count: max(0, room - used))
}

/// Folds a line that is wider than `width` onto more lines, keeping every space as it is (code,
/// a status line): it breaks after the last space that fits, or mid-word when none does, and
/// starts each further line with `indent` spaces. A line that fits comes back unchanged.
public func fold(_ line: StyledLine, width: Int, indent: Int = 4) -> [StyledLine] {
  var cells: [(Character, Style)] = []
  for span in line { for character in span.text { cells.append((character, span.style)) } }
  guard width > indent + 1, cells.reduce(0, { $0 + ColumnWidth.of($1.0) }) > width else { return [line] }
  var lines: [StyledLine] = []
  var rest = cells[...]
  var first = true
  while !rest.isEmpty {
    let room = first ? width : width - indent
    var used = 0
    var end = rest.startIndex
    while end < rest.endIndex, used + ColumnWidth.of(rest[end].0) <= room {
      used += ColumnWidth.of(rest[end].0)
      end += 1
    }
    if end < rest.endIndex, let space = rest[rest.startIndex..<end].lastIndex(where: { $0.0 == " " }), space > rest.startIndex {
      end = space + 1
    }
    var spans: StyledLine = first ? [] : [Span(String(repeating: " ", count: indent), rest[rest.startIndex].1)]
    for (character, style) in rest[rest.startIndex..<end] {
      if let last = spans.last, last.style == style {
        spans[spans.count - 1].text.append(character)
      } else {
        spans.append(Span(String(character), style))
      }
    }
    lines.append(spans)
    rest = rest[end...]
    first = false
  }
  return lines
}
