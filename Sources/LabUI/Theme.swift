import TerminalUI

/// The styles of every role on screen, so a projector, a colour terminal and a monochrome one
/// each get a readable lab.
public struct Theme: Sendable {
  public var name: String
  public var text = Style.plain
  public var dim = Style(dim: true)
  public var border = Style(foreground: .brightBlack)
  public var focusedBorder = Style(foreground: .cyan, bold: true)
  public var title = Style(bold: true)
  public var header = Style(bold: true, reverse: true)
  public var footer = Style(reverse: true)
  public var key = Style(bold: true)
  public var code = Style(foreground: .cyan)
  public var bold = Style(bold: true)
  public var current = Style(reverse: true)
  public var success = Style(foreground: .green, bold: true)
  public var failure = Style(foreground: .red, bold: true)
  public var blocked = Style(foreground: .yellow, bold: true)
  public var prediction = Style(foreground: .magenta, bold: true)
  public var actor = Style(foreground: .blue, bold: true)
  public var selection = Style(reverse: true)
  /// The colours every cell gets where its role names none. Nil keeps the terminal's own, which
  /// a projector theme cannot trust: the same bright yellow is clear on black and unreadable on
  /// white, so the high-contrast themes paint their own background.
  public var background: Color?
  public var foreground: Color?

  public static let names = ["default", "high-contrast", "high-contrast-light", "monochrome"]

  /// The theme called `name`, nil for a name the lab does not know.
  public static func named(_ name: String) -> Theme? {
    switch name {
    case "default": return Theme(name: "default")
    case "high-contrast", "high-contrast-dark": return highContrast
    case "high-contrast-light": return highContrastLight
    case "monochrome": return monochrome
    default: return nil
    }
  }

  /// For projectors, on a black background of its own: bright colours, bold everywhere, nothing dim.
  public static let highContrast: Theme = {
    var theme = Theme(name: "high-contrast")
    theme.background = .black
    theme.foreground = .brightWhite
    theme.text = Style(foreground: .brightWhite, bold: true)
    theme.dim = Style(foreground: .white)
    theme.border = Style(foreground: .brightWhite)
    theme.focusedBorder = Style(foreground: .brightYellow, bold: true)
    theme.title = Style(foreground: .brightYellow, bold: true)
    theme.code = Style(foreground: .brightCyan, bold: true)
    theme.success = Style(foreground: .brightGreen, bold: true)
    theme.failure = Style(foreground: .brightRed, bold: true)
    theme.blocked = Style(foreground: .brightYellow, bold: true)
    theme.prediction = Style(foreground: .brightMagenta, bold: true)
    theme.actor = Style(foreground: .brightCyan, bold: true)
    return theme
  }()

  /// For projectors with light themes, on a white background of its own: dark colours, bold
  /// everywhere, nothing yellow or dim.
  public static let highContrastLight: Theme = {
    var theme = Theme(name: "high-contrast-light")
    theme.background = .brightWhite
    theme.foreground = .black
    theme.text = Style(foreground: .black, bold: true)
    theme.dim = Style(foreground: .black)
    theme.border = Style(foreground: .black)
    theme.focusedBorder = Style(foreground: .blue, bold: true)
    theme.title = Style(foreground: .blue, bold: true)
    theme.code = Style(foreground: .blue, bold: true)
    theme.success = Style(foreground: .green, bold: true)
    theme.failure = Style(foreground: .red, bold: true)
    theme.blocked = Style(foreground: .magenta, bold: true)
    theme.prediction = Style(foreground: .magenta, bold: true)
    theme.actor = Style(foreground: .blue, bold: true)
    return theme
  }()

  /// Gives every cell the theme's own colours where its style names none.
  func paint(_ canvas: inout Canvas) {
    guard background != nil || foreground != nil else { return }
    canvas.restyle(canvas.bounds) { style in
      if style.background == nil { style.background = background }
      if style.foreground == nil { style.foreground = foreground }
    }
  }

  /// No colours at all (NO_COLOR, or a terminal without them): attributes only.
  public static let monochrome: Theme = {
    var theme = Theme(name: "monochrome")
    theme.border = .plain
    theme.focusedBorder = Style(bold: true)
    theme.code = .plain
    theme.success = Style(bold: true)
    theme.failure = Style(bold: true, underline: true)
    theme.blocked = Style(bold: true)
    theme.prediction = Style(bold: true, underline: true)
    theme.actor = Style(bold: true)
    return theme
  }()
}
