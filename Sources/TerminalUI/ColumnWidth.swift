/// How many terminal columns text takes: East Asian wide and fullwidth characters (CJK, Hangul,
/// fullwidth forms) and most emoji take two, everything else one. Measured from the code points,
/// so that it does not depend on the process's locale (as `wcwidth` does) and tests on an
/// in-memory canvas see what a terminal shows.
public enum ColumnWidth {
  public static func of(_ character: Character) -> Int {
    // Most of what the lab draws is ASCII and box lines: answer those without looking further.
    if character.utf8.count == 1 { return 1 }
    guard let first = character.unicodeScalars.first else { return 1 }
    if first.value < 0x1100 && character.unicodeScalars.count == 1 { return 1 }
    if character.unicodeScalars.contains(where: { $0.value == 0xfe0f }), first.properties.isEmoji { return 2 }
    return isWide(first.value) ? 2 : 1
  }

  public static func of(_ text: some StringProtocol) -> Int {
    if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.utf8.count }
    var total = 0
    for character in text { total += of(character) }
    return total
  }

  private static func isWide(_ value: UInt32) -> Bool {
    switch value {
    case 0x1100...0x115f, 0x231a...0x231b, 0x2329...0x232a, 0x23e9...0x23ec, 0x23f0, 0x23f3, 0x25fd...0x25fe,
      0x2614...0x2615, 0x2648...0x2653, 0x267f, 0x2693, 0x26a1, 0x26aa...0x26ab, 0x26bd...0x26be, 0x26c4...0x26c5,
      0x26ce, 0x26d4, 0x26ea, 0x26f2...0x26f3, 0x26f5, 0x26fa, 0x26fd, 0x2705, 0x270a...0x270b, 0x2728, 0x274c,
      0x274e, 0x2753...0x2755, 0x2757, 0x2795...0x2797, 0x27b0, 0x27bf, 0x2b1b...0x2b1c, 0x2b50, 0x2b55,
      0x2e80...0x303e, 0x3041...0x33ff, 0x3400...0x4dbf, 0x4e00...0x9fff, 0xa000...0xa4cf, 0xa960...0xa97f,
      0xac00...0xd7a3, 0xf900...0xfaff, 0xfe10...0xfe19, 0xfe30...0xfe6f, 0xff00...0xff60, 0xffe0...0xffe6,
      0x16fe0...0x18cff, 0x1b000...0x1b2ff, 0x1f004, 0x1f0cf, 0x1f18e, 0x1f191...0x1f19a, 0x1f200...0x1f251,
      0x1f300...0x1f64f, 0x1f680...0x1f6ff, 0x1f7e0...0x1f7eb, 0x1f90c...0x1f9ff, 0x1fa70...0x1faff,
      0x20000...0x2fffd, 0x30000...0x3fffd:
      true
    default:
      false
    }
  }
}
