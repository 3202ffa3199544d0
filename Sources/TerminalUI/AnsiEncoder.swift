/// Encodes what changed between two canvases as the bytes a terminal needs (cursor moves,
/// SGR attributes, characters), the way a diffing library such as ncurses sends them. Used to
/// measure how much a frame costs on the wire.
public enum AnsiEncoder {
  /// The bytes that turn a screen showing `previous` (nil: an unknown screen, so clear it and
  /// draw everything) into one showing `next`.
  public static func encode(from previous: Canvas?, to next: Canvas) -> [UInt8] {
    var out = ""
    var style: Style?
    var cursor: (x: Int, y: Int)?
    let full = previous == nil || previous!.width != next.width || previous!.height != next.height
    if full { out += "\u{1b}[H\u{1b}[2J" }
    for y in 0..<next.height {
      for x in 0..<next.width {
        let cell = next[x, y]
        if cell.isWideTail { continue }
        if !full, previous![x, y] == cell { continue }
        if full, cell == Cell() { continue }
        if cursor == nil || cursor! != (x, y) { out += "\u{1b}[\(y + 1);\(x + 1)H" }
        if style != cell.style {
          out += sgr(cell.style)
          style = cell.style
        }
        out.append(cell.character)
        cursor = (x + ColumnWidth.of(cell.character), y)
      }
    }
    return Array(out.utf8)
  }

  private static func sgr(_ style: Style) -> String {
    var codes = ["0"]
    if style.bold { codes.append("1") }
    if style.dim { codes.append("2") }
    if style.underline { codes.append("4") }
    if style.reverse { codes.append("7") }
    if let color = style.foreground { codes.append(color.rawValue < 8 ? "\(30 + color.rawValue)" : "\(90 + color.rawValue - 8)") }
    if let color = style.background {
      codes.append(color.rawValue < 8 ? "\(40 + color.rawValue)" : "\(100 + color.rawValue - 8)")
    }
    return "\u{1b}[\(codes.joined(separator: ";"))m"
  }
}
