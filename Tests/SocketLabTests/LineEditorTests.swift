import LabUI
import Lessons
import ShippedLessons
import TerminalUI
import Testing

@Suite("Free play's prompt edits like readline") struct LineEditing {
  func freePlay() throws -> AppState {
    let library = try LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: [], outline: true)
    var state = AppState(library: library, theme: .monochrome, unicode: true, progress: LearnerProgress(), exportsFolder: "/x")
    _ = Update.apply(&state, .key(.end), time: 0)
    _ = Update.apply(&state, .key(.enter), time: 0)
    return state
  }

  @discardableResult
  func press(_ state: inout AppState, _ keys: Key...) -> [Effect] {
    keys.flatMap { Update.apply(&state, .key($0), time: 0) }
  }

  func type(_ state: inout AppState, _ text: String) {
    for c in text { _ = Update.apply(&state, .key(.character(c)), time: 0) }
  }

  @Test func theCursorMovesAndTypingGoesWhereItIs() throws {
    var state = try freePlay()
    type(&state, "ind(s, &addr, 16)")
    press(&state, .home)
    type(&state, "b")
    #expect(state.freePlay?.text == "bind(s, &addr, 16)")
    press(&state, .end, .left, .left, .left, .backspace)
    #expect(state.freePlay?.text == "bind(s, &addr,16)")
    press(&state, .control("a"), .alt("f"), .alt("f"))
    #expect(state.freePlay?.caret == 6, "after bind, then s")
    press(&state, .control("e"), .alt("b"))
    #expect(state.freePlay?.caret == 14)
  }

  @Test func ctrlUKAndWCutAsInAShell() throws {
    var state = try freePlay()
    type(&state, "client: connect(c, &addr, sizeof addr)")
    press(&state, .control("w"))
    #expect(state.freePlay?.text == "client: connect(c, &addr, sizeof ")
    press(&state, .home, .alt("f"), .control("k"))
    #expect(state.freePlay?.text == "client")
    type(&state, ": close(c)")
    press(&state, .left, .control("u"))
    #expect(state.freePlay?.text == ")")
  }

  @Test func aFailedLineStaysWithTheCursorAtTheMistake() throws {
    var state = try freePlay()
    type(&state, "s = sokcet(AF_INET, SOCK_STREAM, 0)")
    let effects = press(&state, .enter)
    #expect(!effects.contains { if case .runLine = $0 { return true } else { return false } })
    #expect(state.freePlay?.text == "s = sokcet(AF_INET, SOCK_STREAM, 0)")
    #expect(state.freePlay?.caret == 4, "at the misspelt call")
  }

  @Test func ctrlRFindsAnEarlierLine() throws {
    var state = try freePlay()
    state.freePlay?.history = [
      "u = socket(AF_INET, SOCK_DGRAM, 0)", "here = sockaddr_in(\"127.0.0.1\", htons(PORT))", "t = socket(AF_INET, SOCK_STREAM, 0)",
    ]
    press(&state, .control("r"))
    type(&state, "DGR")
    #expect(state.freePlay?.search?.match == 0)
    press(&state, .escape)
    #expect(state.freePlay?.text == "" && state.freePlay?.search == nil)
    press(&state, .control("r"))
    type(&state, "o")
    #expect(state.freePlay?.search?.match == 2, "the newest line with an o")
    press(&state, .control("r"))
    #expect(state.freePlay?.search?.match == 1, "Ctrl-R again: an older one")
    press(&state, .right)
    #expect(state.freePlay?.text == "here = sockaddr_in(\"127.0.0.1\", htons(PORT))" && state.freePlay?.search == nil)
    press(&state, .control("r"))
    type(&state, "STREAM")
    let effects = press(&state, .enter)
    #expect(effects.contains { if case .runLine(let s) = $0 { return s.source.hasPrefix("t = socket") } else { return false } })
  }
}
