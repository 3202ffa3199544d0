import TerminalUI
import Testing

@Suite("Text on the canvas")
struct TextLayoutTests {
  @Test func wideCharactersTakeTwoColumns() {
    var canvas = Canvas(width: 10, height: 2)
    let end = canvas.write("中文ab", x: 0, y: 0)
    #expect(end == 6)
    #expect(canvas.lines[0] == "中文ab")
    #expect(canvas[4, 0].character == "a")
    // A wide character that does not fit whole is not cut in half.
    canvas.write("xyz中", x: 0, y: 1, clip: Rect(x: 0, y: 1, width: 4, height: 1))
    #expect(canvas.lines[1] == "xyz")
    #expect(ColumnWidth.of("コンピュータ") == 12)
    #expect(ColumnWidth.of("e\u{301}") == 1)
  }

  @Test func wrappingCountsColumnsNotCharacters() {
    let lines = wrap([Span("网络 套接字 编程 很 有趣")], width: 11)
    #expect(lines.map { $0.map(\.text).joined() } == ["网络 套接字", "编程 很", "有趣"])
    #expect(fit("套接字编程", 7) == "套接字…")
    #expect(ColumnWidth.of(fit("套接字编程", 8)) == 8)
  }

  @Test func aHugeWordIsCutInOnePass() {
    // A megabyte without a space: cut into lines of the width, each as wide as the line.
    let word = String(repeating: "x", count: 1 << 20)
    let lines = wrap([Span(word)], width: 40)
    #expect(lines.count == (1 << 20) / 40 + 1)
    #expect(lines.dropLast().allSatisfy { ColumnWidth.of($0.map(\.text).joined()) == 40 })
  }
}
