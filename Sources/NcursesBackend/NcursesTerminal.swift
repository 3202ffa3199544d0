import CNcursesw
import TerminalUI

#if canImport(Glibc)
  import Glibc
#endif

/// The terminal, through ncurses. The only code of SocketLab that calls ncurses, and only from the
/// thread that created it.
public final class NcursesTerminal: TerminalBackend {
  private var pairs: [Int: Int16] = [:]
  private var hasColors = false
  private var active = false
  /// Whether the locale can show Unicode box lines.
  public let unicode: Bool

  /// Starts curses mode. `wakeDescriptor` is written to by the signal handlers that ask the lab to
  /// stop (SIGTERM, SIGINT, SIGHUP, SIGQUIT), so the run loop wakes up and ends cleanly.
  public init(wakeDescriptor: Int32) {
    setlocale(LC_ALL, "")
    unicode = socklab_locale_is_utf8() != 0
    socklab_unblock_terminal_signals()
    socklab_install_terminal_guards(wakeDescriptor)
    set_escdelay(25)  // Esc registers at once instead of after a second
    initscr()
    raw()  // Ctrl-C arrives as a key, so quitting always goes through the same clean path
    noecho()
    nonl()
    keypad(socklab_stdscr(), true)
    nodelay(socklab_stdscr(), true)
    curs_set(0)
    if has_colors() {
      start_color()
      use_default_colors()
      hasColors = true
    }
    active = true
  }

  deinit { restore() }

  public var size: (width: Int, height: Int) { (Int(socklab_cols()), Int(socklab_lines())) }

  public var inputDescriptor: Int32 { STDIN_FILENO }

  /// True once SIGTERM, SIGINT, SIGHUP or SIGQUIT asked the lab to stop.
  public var stopRequested: Bool { socklab_stop_was_requested() != 0 }

  public func draw(_ canvas: Canvas) {
    guard active else { return }
    for row in 0..<min(canvas.height, size.height) {
      var column = 0
      while column < min(canvas.width, size.width) {
        let style = canvas[column, row].style
        var run: [wchar_t] = []
        let start = column
        while column < min(canvas.width, size.width), canvas[column, row].style == style {
          // A wide character's second cell is drawn by the character itself; combining marks
          // travel with the character they belong to.
          let cell = canvas[column, row]
          if !cell.isWideTail {
            for scalar in cell.character.unicodeScalars { run.append(wchar_t(bitPattern: scalar.value)) }
          }
          column += 1
        }
        run.append(0)
        _ = socklab_put(Int32(row), Int32(start), run, Int32(run.count - 1), attributes(style), pair(style))
      }
    }
    refresh()
  }

  private func attributes(_ style: Style) -> attr_t {
    var value = socklab_a_normal()
    if style.bold { value |= socklab_a_bold() }
    if style.reverse { value |= socklab_a_reverse() }
    if style.underline { value |= socklab_a_underline() }
    if style.dim { value |= socklab_a_dim() }
    return value
  }

  /// The colour pair for a style's colours, made on first use.
  private func pair(_ style: Style) -> Int16 {
    guard hasColors, style.foreground != nil || style.background != nil else { return 0 }
    let foreground = style.foreground.map { Int16($0.rawValue) } ?? -1
    let background = style.background.map { Int16($0.rawValue) } ?? -1
    let key = Int(foreground + 1) * 32 + Int(background + 1)
    if let pair = pairs[key] { return pair }
    let number = Int16(pairs.count + 1)
    guard Int32(number) < socklab_color_pairs(), Int32(max(foreground, background)) < socklab_colors() else { return 0 }
    init_pair(number, foreground, background)
    pairs[key] = number
    return number
  }

  /// After a resize the screen's old contents cannot be trusted: repaint everything next time.
  public func invalidate() {
    guard active else { return }
    clearok(socklab_stdscr(), true)
    erase()
  }

  public func nextKey() -> Key? {
    guard active else { return nil }
    var code: wint_t = 0
    let kind = socklab_get_key(&code)
    if kind == ERR { return nil }
    if kind == KEY_CODE_YES { return functionKey(Int32(code)) }
    if code == 27 {
      // Alt-b arrives as Esc then b, together; an Esc on its own has nothing right behind it.
      var next: wint_t = 0
      let nextKind = socklab_get_key(&next)
      if nextKind != ERR {
        if nextKind != KEY_CODE_YES, let scalar = Unicode.Scalar(UInt32(next)), scalar.value > 32, scalar.value != 127 {
          return .alt(Character(scalar))
        }
        socklab_unget_key(nextKind, next)
      }
    }
    return characterKey(UInt32(code))
  }

  private func functionKey(_ code: Int32) -> Key? {
    switch code {
    case KEY_UP: return .up
    case KEY_DOWN: return .down
    case KEY_LEFT: return .left
    case KEY_RIGHT: return .right
    case KEY_PPAGE: return .pageUp
    case KEY_NPAGE: return .pageDown
    case KEY_HOME: return .home
    case KEY_END: return .end
    case KEY_ENTER: return .enter
    case KEY_BACKSPACE: return .backspace
    case KEY_DC: return .delete
    case KEY_BTAB: return .backTab
    case socklab_key_resize(): return .resize
    default:
      for n in 1...12 where code == socklab_key_f(Int32(n)) { return .function(n) }
      return nil
    }
  }

  private func characterKey(_ code: UInt32) -> Key? {
    switch code {
    case 9: return .tab
    case 10, 13: return .enter
    case 27: return .escape
    case 127, 8: return .backspace
    case 1...26: return .control(Character(Unicode.Scalar(code + 96)!))
    default:
      guard let scalar = Unicode.Scalar(code) else { return nil }
      return .character(Character(scalar))
    }
  }

  public func restore() {
    guard active else { return }
    active = false
    curs_set(1)
    endwin()
  }
}
