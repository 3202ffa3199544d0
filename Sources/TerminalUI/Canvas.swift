/// A colour of the 16-colour palette every terminal has, or the terminal's own default.
public enum Color: Int, Sendable, Hashable, CaseIterable {
  case black, red, green, yellow, blue, magenta, cyan, white
  case brightBlack, brightRed, brightGreen, brightYellow, brightBlue, brightMagenta, brightCyan, brightWhite
}

/// How a cell looks: colours and attributes. `nil` colours mean the terminal's default.
public struct Style: Sendable, Hashable {
  public var foreground: Color?
  public var background: Color?
  public var bold = false
  public var reverse = false
  public var underline = false
  public var dim = false

  public init(
    foreground: Color? = nil, background: Color? = nil, bold: Bool = false, reverse: Bool = false, underline: Bool = false,
    dim: Bool = false
  ) {
    self.foreground = foreground
    self.background = background
    self.bold = bold
    self.reverse = reverse
    self.underline = underline
    self.dim = dim
  }

  public static let plain = Style()
}

/// One character cell of the screen.
public struct Cell: Sendable, Hashable {
  public var character: Character
  public var style: Style

  public init(_ character: Character = " ", style: Style = .plain) {
    self.character = character
    self.style = style
  }

  /// The second column of a wide character: the terminal draws the character across both, so
  /// backends send nothing for this cell, and plain text leaves it out.
  public static let wideTail: Character = "\u{0}"

  public var isWideTail: Bool { character == Cell.wideTail }
}

/// A rectangle of cells: column `x`, row `y`, `width` columns, `height` rows.
public struct Rect: Sendable, Hashable, CustomStringConvertible {
  public var x: Int
  public var y: Int
  public var width: Int
  public var height: Int

  public init(x: Int, y: Int, width: Int, height: Int) {
    self.x = x
    self.y = y
    self.width = max(0, width)
    self.height = max(0, height)
  }

  public var isEmpty: Bool { width <= 0 || height <= 0 }
  public var maxX: Int { x + width }
  public var maxY: Int { y + height }

  /// The rectangle inside a border of `margin` cells.
  public func inset(_ margin: Int) -> Rect {
    Rect(x: x + margin, y: y + margin, width: width - 2 * margin, height: height - 2 * margin)
  }

  /// Splits into a top part of `rows` rows and the rest.
  public func splitTop(_ rows: Int) -> (Rect, Rect) {
    let top = min(max(0, rows), height)
    return (Rect(x: x, y: y, width: width, height: top), Rect(x: x, y: y + top, width: width, height: height - top))
  }

  /// Splits into a left part of `columns` columns and the rest.
  public func splitLeft(_ columns: Int) -> (Rect, Rect) {
    let left = min(max(0, columns), width)
    return (Rect(x: x, y: y, width: left, height: height), Rect(x: x + left, y: y, width: width - left, height: height))
  }

  /// Splits into rows of the given heights, the last taking what is left.
  public func rows(_ heights: [Int]) -> [Rect] {
    var rest = self
    var parts: [Rect] = []
    for height in heights.dropLast() {
      let (top, bottom) = rest.splitTop(height)
      parts.append(top)
      rest = bottom
    }
    parts.append(rest)
    return parts
  }

  public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// An in-memory screen of cells. Widgets draw into it; a backend copies it to the terminal;
/// tests read it back as plain text lines.
public struct Canvas: Sendable, Equatable {
  public let width: Int
  public let height: Int
  public private(set) var cells: [Cell]

  public init(width: Int, height: Int) {
    self.width = max(0, width)
    self.height = max(0, height)
    cells = Array(repeating: Cell(), count: self.width * self.height)
  }

  public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

  public subscript(x: Int, y: Int) -> Cell {
    get { cells[y * width + x] }
    set {
      guard x >= 0, y >= 0, x < width, y < height else { return }
      cells[y * width + x] = newValue
    }
  }

  /// Writes `text` from column `x` of row `y`, cut at `clip`'s right edge (or the canvas's).
  /// Returns the column after the last character written.
  @discardableResult
  public mutating func write(_ text: String, x: Int, y: Int, style: Style = .plain, clip: Rect? = nil) -> Int {
    let area = clip ?? bounds
    guard y >= area.y, y < area.maxY, y >= 0, y < height else { return x }
    var column = x
    for character in text {
      let shown: Character = character.isControl ? "?" : character
      let columns = ColumnWidth.of(shown)
      if column + columns > area.maxX || column + columns > width {
        // A wide character that does not fit whole leaves a blank, never half a glyph.
        if column < area.maxX && column < width && column >= area.x && column >= 0 { cells[y * width + column] = Cell(" ", style: style) }
        break
      }
      if column >= area.x && column >= 0 {
        cells[y * width + column] = Cell(shown, style: style)
        if columns == 2 { cells[y * width + column + 1] = Cell(Cell.wideTail, style: style) }
      }
      column += columns
    }
    return column
  }

  /// Fills `rect` with blanks of `style`.
  public mutating func fill(_ rect: Rect, style: Style = .plain) {
    for row in max(0, rect.y)..<min(height, rect.maxY) {
      for column in max(0, rect.x)..<min(width, rect.maxX) {
        cells[row * width + column] = Cell(" ", style: style)
      }
    }
  }

  /// Applies `change` to the style of every cell in `rect` (to highlight a line, say).
  public mutating func restyle(_ rect: Rect, _ change: (inout Style) -> Void) {
    for row in max(0, rect.y)..<min(height, rect.maxY) {
      for column in max(0, rect.x)..<min(width, rect.maxX) {
        change(&cells[row * width + column].style)
      }
    }
  }

  /// The screen as plain text, one string per row, trailing blanks removed.
  public var lines: [String] {
    (0..<height).map { row in
      var line = String(cells[(row * width)..<(row * width + width)].filter { !$0.isWideTail }.map(\.character))
      while line.last == " " { line.removeLast() }
      return line
    }
  }

  /// The screen as one string, rows joined by newlines.
  public var text: String { lines.joined(separator: "\n") }
}

extension Character {
  var isControl: Bool { unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f || (0x80..<0xa0).contains($0.value) } }
}
