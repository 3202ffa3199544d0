import LabScript
import SocketKit

extension Lesson {
  /// The states the kernel ends by itself after a while: TIME-WAIT (a minute on Linux), and
  /// FIN-WAIT-2 once the socket is closed (`tcp_fin_timeout`, a minute too).
  static let timedStates: Set<TCPState> = [.timeWait, .finWait2]

  /// Warnings for lines that assert a timed state which began more than one step earlier. A
  /// class that stops to talk between those steps lets the state run out, and the line fails.
  /// Asserting it where it begins, or one step later, keeps the lesson the same every time.
  public func timedStateWarnings() -> [ScriptError] {
    var warnings: [ScriptError] = []
    // For each socket variable: the timed state last asserted, and the step where it began.
    var began: [String: (state: TCPState, step: Int)] = [:]
    var closed: Set<String> = []
    var lastEnding: Int?
    for (index, step) in steps.enumerated() {
      for statement in step.statements {
        guard case .call(_, let arguments, _) = statement.expression,
          let definition = CallCatalog.definition(of: statement.expression)
        else { continue }
        let variable = arguments.first?.rootName
        if definition.traits.contains(.endsSending) {
          lastEnding = index
          if definition.ownership == .closesDescriptor, let variable { closed.insert(variable) }
          continue
        }
        guard definition.traits.contains(.reportsTCPState), let variable else { continue }
        guard case .state(let state)? = statement.expectation,
          Self.timedStates.contains(state), state != .finWait2 || closed.contains(variable)
        else {
          began[variable] = nil
          continue
        }
        let start = began[variable].flatMap { $0.state == state ? $0.step : nil } ?? lastEnding ?? index
        began[variable] = (state, start)
        guard index - start > 1 else { continue }
        warnings.append(
          ScriptError(
            "\(variable) has been in \(state) since step \(start + 1), \(index - start) steps before this line; a pause of a minute between them ends the state and fails the line",
            at: statement.location,
            hint: "assert the state in the step that causes it, or the one after; later, show it in the prose (the Sockets pane keeps its row while it lasts)",
            file: file))
      }
    }
    return warnings
  }
}
