import LabEngine
import Lessons
import TerminalUI

// MARK: - Blind predictions

extension PaneContext {
  /// What the panes hide while a prediction is asked: the answer, however the lesson writes it,
  /// and what the step's `Hide:` note names. The port names are not hidden: the header shows them.
  func hiddenWords() -> [String] {
    guard let line = run.pendingStatement, run.statements[line].expectation == .prediction, run.guesses[line] == nil,
      let prediction = run.step.prediction
    else { return [] }
    var words: [String] = run.step.hide
    for answer in prediction.alternatives where run.ports[answer] == nil {
      let parts = answer.split(separator: " ").map { $0.trimmingCharacters(in: "\"") }
      words += parts.filter { !$0.isEmpty && $0 != "-1" && $0 != "0" }
      if let number = PredictionJudge.decimal(answer) { words.append(number) }
    }
    return Array(Set(words)).sorted { $0.count > $1.count }
  }

  /// The line with every hidden word, standing alone, written over with `?`.
  func blind(_ line: StyledLine) -> StyledLine {
    hidden.isEmpty ? line : line.map(blind)
  }

  func blind(_ span: Span) -> Span {
    hidden.isEmpty ? span : Span(Self.mask(span.text, hidden), span.style)
  }

  /// A Log line with its result hidden, not the call's arguments (what the learner wrote):
  /// `recv(6, buf, 1024, 0) = ??`. A line without a result (blocked, a note) is hidden whole.
  func blindResult(_ line: StyledLine) -> StyledLine {
    guard !hidden.isEmpty else { return line }
    return line.map { span in
      guard let equals = span.text.firstRange(of: " = ") else { return blind(span) }
      let call = Self.mask(String(span.text[..<equals.upperBound]), named)
      return Span(call + Self.mask(String(span.text[equals.upperBound...]), hidden), span.style)
    }
  }

  static func mask(_ text: String, _ words: [String]) -> String {
    var characters = Array(text)
    for word in words {
      let target = Array(word)
      guard !target.isEmpty, target.count <= characters.count else { continue }
      var index = 0
      while index + target.count <= characters.count {
        let before = index == 0 ? " " : characters[index - 1]
        let after = index + target.count == characters.count ? " " : characters[index + target.count]
        if Array(characters[index..<(index + target.count)]) == target, !isWordCharacter(before), !isWordCharacter(after) {
          for offset in 0..<target.count { characters[index + offset] = "?" }
          index += target.count
        } else {
          index += 1
        }
      }
    }
    return String(characters)
  }

  /// Letters, digits and what joins them into one token: `127.0.0.1:40123`, `SYN-SENT`, `a_b`.
  private static func isWordCharacter(_ c: Character) -> Bool {
    c.isLetter || c.isNumber || c == "_" || c == "-" || c == "." || c == ":"
  }
}
