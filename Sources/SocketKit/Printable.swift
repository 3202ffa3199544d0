/// Text from files (lesson names, prose, paths) made safe to print on a terminal.
public enum Printable {
  /// `text` with every control character (C0 but newline and tab, DEL, C1) written as `\xNN`,
  /// so that a shared lesson file cannot send escape sequences (a new window title, say) to the
  /// terminal of whoever lints or runs it. Everything printable, in any script, stays as it is.
  public static func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      if isControl(scalar) {
        let hex = Array("0123456789abcdef".unicodeScalars)
        out.append(contentsOf: "\\x".unicodeScalars)
        if scalar.value > 0xff { out.append(contentsOf: "{\(String(scalar.value, radix: 16))}".unicodeScalars) } else {
          out.append(hex[Int(scalar.value >> 4)])
          out.append(hex[Int(scalar.value & 0xf)])
        }
      } else {
        out.append(scalar)
      }
    }
    return String(out)
  }

  private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x0a, 0x09: false
    case 0x00..<0x20, 0x7f..<0xa0: true
    // Bidirectional overrides and isolates can make a line read differently than it is.
    case 0x202a...0x202e, 0x2066...0x2069: true
    default: false
    }
  }
}
