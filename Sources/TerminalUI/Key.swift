/// A key the learner pressed, as the backend decoded it.
public enum Key: Sendable, Hashable {
  case character(Character)
  case enter, escape, tab, backTab, backspace, delete
  case up, down, left, right, pageUp, pageDown, home, end
  /// Ctrl and a letter: `.control("c")`.
  case control(Character)
  /// Alt (or Esc, then the key) and a character: `.alt("b")`.
  case alt(Character)
  case function(Int)
  /// The terminal changed size.
  case resize
}

/// What draws the canvas on a real terminal and reads keys from it.
public protocol TerminalBackend: AnyObject {
  /// The terminal's size in cells.
  var size: (width: Int, height: Int) { get }
  /// Copies the canvas to the screen.
  func draw(_ canvas: Canvas)
  /// The next key already typed, without waiting; nil when there is none.
  func nextKey() -> Key?
  /// The descriptor to wait on for input.
  var inputDescriptor: Int32 { get }
  /// Gives the terminal back as it was.
  func restore()
}
