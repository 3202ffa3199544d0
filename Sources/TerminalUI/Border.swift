/// The characters a box is drawn with: Unicode lines, or ASCII where the locale cannot show them.
public struct BorderGlyphs: Sendable, Equatable {
  public var horizontal: Character
  public var vertical: Character
  public var topLeft: Character
  public var topRight: Character
  public var bottomLeft: Character
  public var bottomRight: Character

  public static let unicode = BorderGlyphs(
    horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘")
  public static let heavy = BorderGlyphs(
    horizontal: "━", vertical: "┃", topLeft: "┏", topRight: "┓", bottomLeft: "┗", bottomRight: "┛")
  public static let ascii = BorderGlyphs(
    horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+")
}

extension Canvas {
  /// Draws a border around `rect` with `title` in its top edge, and returns the inside.
  @discardableResult
  public mutating func box(_ rect: Rect, title: String = "", glyphs: BorderGlyphs, style: Style, titleStyle: Style? = nil) -> Rect
  {
    guard rect.width >= 2, rect.height >= 2 else { return Rect(x: rect.x, y: rect.y, width: 0, height: 0) }
    let right = rect.maxX - 1
    let bottom = rect.maxY - 1
    for column in rect.x...right {
      self[column, rect.y] = Cell(glyphs.horizontal, style: style)
      self[column, bottom] = Cell(glyphs.horizontal, style: style)
    }
    for row in rect.y...bottom {
      self[rect.x, row] = Cell(glyphs.vertical, style: style)
      self[right, row] = Cell(glyphs.vertical, style: style)
    }
    self[rect.x, rect.y] = Cell(glyphs.topLeft, style: style)
    self[right, rect.y] = Cell(glyphs.topRight, style: style)
    self[rect.x, bottom] = Cell(glyphs.bottomLeft, style: style)
    self[right, bottom] = Cell(glyphs.bottomRight, style: style)
    if !title.isEmpty, rect.width > 4 {
      let clip = Rect(x: rect.x + 1, y: rect.y, width: rect.width - 2, height: 1)
      write(" \(title) ", x: rect.x + 1, y: rect.y, style: titleStyle ?? style, clip: clip)
    }
    return rect.inset(1)
  }
}
