import LabEngine
import LabScript
import Lessons
import SocketKit
import TerminalUI

/// Free play's logic: the prompt's keys, running a typed line, and the `:` commands.
enum FreePlayUpdate {
  static func open(_ state: inout AppState) -> [Effect] {
    state.screen = .player
    state.run = nil
    state.player = PlayerUI()
    state.player.focus = .log
    state.freePlay = FreePlayState()
    return [.openFreePlay]
  }

  static func key(_ state: inout AppState, _ key: Key) -> [Effect] {
    guard var prompt = state.freePlay else { return [] }
    var effects: [Effect] = []
    let (handled, run) = prompt.searching(key)
    if handled {
      if run { effects = submit(&state, &prompt) }
      if state.freePlay != nil { state.freePlay = prompt }
      return effects
    }
    if prompt.edit(key, limit: Parser.maximumLineLength) {
      state.freePlay = prompt
      return []
    }
    switch key {
    case .control("r"):
      prompt.searchHistory()
    case .enter:
      effects = submit(&state, &prompt)
    case .tab where prompt.text.isEmpty, .backTab:
      // With nothing typed, Tab moves between the panes (Shift-Tab back), for PgUp/PgDn and F2.
      state.player.focus = Update.next(after: state.player.focus, by: key == .backTab ? -1 : 1)
    case .function(2):
      state.player.zoomed = state.player.zoomed == nil ? state.player.focus : nil
    case .escape where state.player.zoomed != nil:
      state.player.zoomed = nil
    case .tab:
      prompt.cursor = nil
      let run = state.run
      prompt.complete(variables: (run?.variables ?? []) + Array(prompt.known), actors: ["server", "client"] + (run?.actorNames ?? []))
    case .up: prompt.recall(by: -1)
    case .down: prompt.recall(by: 1)
    case .function(1):
      prompt.showReference.toggle()
      // The reference opens at its top, in the Lesson pane, where PgUp/PgDn and F2 reach it.
      state.player.scroll[.lesson] = 0
      if prompt.showReference { state.player.focus = .lesson }
    case .escape:
      if prompt.text.isEmpty && !prompt.showReference { return Update.leave(&state) }
      prompt.text = ""
      prompt.cursor = nil
      prompt.showReference = false
    case .pageUp: state.player.scroll(state.player.focus, by: -10)
    case .pageDown: state.player.scroll(state.player.focus, by: 10)
    default:
      break
    }
    // A command may have left free play (:quit).
    if state.freePlay != nil { state.freePlay = prompt }
    return effects
  }

  private static func submit(_ state: inout AppState, _ prompt: inout FreePlayState) -> [Effect] {
    let line = prompt.text.trimmingSpaces()
    guard !line.isEmpty else { return [] }
    prompt.history.append(line)
    prompt.historyIndex = nil
    prompt.text = ""
    prompt.cursor = nil
    if line.hasPrefix(":") {
      state.freePlay = prompt
      let effects = [.appendHistory(line)] + command(&state, line)
      if let updated = state.freePlay { prompt = updated }
      return effects
    }
    do {
      var known = prompt.known
      guard var statement = try Parser.parseLine(line, line: prompt.lineNumber, known: &known) else { return [.appendHistory(line)] }
      if statement.expectation == .prediction { statement.expectation = nil }  // nothing to predict against here
      if let call = state.run?.blockedCall(of: statement.actorName) {
        prompt.text = line
        prompt.error = (
          line, 0,
          "\(statement.actorName) is still blocked in \(call). Type a line for another actor (client: ...), or :interrupt."
        )
        return [.appendHistory(line)]
      }
      prompt.known = known
      prompt.lineNumber += 1
      prompt.error = nil
      state.player.cLines = CRenderer.render(Script(statements: (state.run?.statements ?? []) + [statement]))
      return [.appendHistory(line), .runLine(statement)]
    } catch {
      // The line stays to be fixed, with the cursor at the mistake.
      let column = max(0, error.location.column - 1)
      prompt.text = line
      prompt.cursor = min(column, line.count)
      prompt.error = (line, column, error.hint.map { "\(error.message) — \($0)" } ?? error.message)
      return [.appendHistory(line)]
    }
  }

  /// A free-play line as `:save` writes it: with what it returned as its expectation, so that
  /// the saved script, replayed or exported, checks something. A line that already has one keeps
  /// it; values that depend on the ports of the run (value(), htons()) are left unchecked.
  static func savedLine(_ statement: Statement, _ lineState: LineState?) -> String {
    let plain = "\(statement.actorName): \(statement.source)"
    guard statement.expectation == nil, case .done(let outcome)? = lineState, let record = outcome.record,
      let definition = CallCatalog.definition(named: record.function)
    else { return plain }
    let source = statement.source.hasSuffix(";") ? String(statement.source.dropLast()) : statement.source
    if definition.traits.contains(.reportsTCPState), case .symbol(let state) = record.result {
      return "\(statement.actorName): \(source) = \(state)"
    }
    guard definition.spec.kind == .system, definition.failure != .never, let value = record.result.intValue else { return plain }
    let expected: String
    if let error = record.error {
      expected = "\(value) \(error.name)"
    } else if definition.ownership == .opensDescriptor {
      expected = "fd"
    } else {
      expected = String(value)
    }
    return "\(statement.actorName): \(source) = \(expected)"
  }

  private static func command(_ state: inout AppState, _ line: String) -> [Effect] {
    let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
    let argument = parts.count > 1 ? parts[1].trimmingSpaces() : ""
    let statements = state.run?.statements ?? []
    switch parts[0] {
    case ":save":
      guard !argument.isEmpty else {
        state.freePlay?.note = "Write :save FILE"
        return []
      }
      let lines = statements.enumerated().map { index, statement in
        savedLine(statement, state.run?.lineStates[index])
      }
      let recorded = zip(lines, statements).filter { $0.0 != "\($0.1.actorName): \($0.1.source)" }.count
      return [
        .writeFile(
          text: lines.joined(separator: "\n") + "\n", path: argument,
          done:
            "Saved \(statements.count) lines to \(argument), \(recorded) with what they returned as expectations. Replay them with socklab play \(argument)."
        )
      ]
    case ":load":
      guard !argument.isEmpty else {
        state.freePlay?.note = "Write :load FILE"
        return []
      }
      state.freePlay?.note = "Reading \(argument)…"
      return [.readScript(path: argument)]
    case ":export":
      guard !argument.isEmpty else {
        state.freePlay?.note = "Write :export FILE.c"
        return []
      }
      // A bare name goes to the exports folder, where `x` writes too; a path is taken as given.
      let path = argument.contains("/") ? argument : Files.join(state.exportsFolder, argument)
      return [.exportC(statements, name: "a free-play session", steps: [], path: path)]
    case ":hosts":
      return startOnWire(
        &state, .freePlayOnHosts, refused: "This machine cannot build hosts", allow: "To allow them",
        started:
          "New session on hosts: client is 10.50.0.1 and server 10.50.0.2, each with its own stack; the Wire pane shows what crosses between them. Lines for main stay on loopback. Try wire: drop next SYN."
      )
    case ":loopback":
      return startOnWire(
        &state, .freePlayOnLoopback, refused: "This machine cannot make the lab's host", allow: "To allow it",
        started:
          "New session on the lab's own host: every actor is 127.0.0.1 there, and the Wire pane shows each segment that crosses its loopback. The lab only watches it: wire: commands need :hosts."
      )
    case ":interrupt": return [.interrupt]
    case ":quit", ":q": return Update.leave(&state)
    case ":help":
      state.showHelp = true
      return []
    default:
      state.freePlay?.note = "Commands: :save FILE, :load FILE, :export FILE.c, :hosts, :loopback, :interrupt, :help, :quit"
      return []
    }
  }

  /// A script read for `:load`: checks every line, then runs them one after another.
  static func loaded(_ state: inout AppState, name: String, text: String?) -> [Effect] {
    guard var prompt = state.freePlay else { return [] }
    defer { state.freePlay = prompt }
    guard let text else {
      prompt.note = "Could not read \(name)."
      return []
    }
    var statements: [Statement] = []
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = String(raw).trimmingSpaces()
      if line.isEmpty || line.hasPrefix("#") { continue }
      do {
        guard var statement = try Parser.parseLine(line, line: prompt.lineNumber, known: &prompt.known) else { continue }
        if statement.expectation == .prediction { statement.expectation = nil }
        statements.append(statement)
        prompt.lineNumber += 1
      } catch {
        prompt.error = (line, max(0, error.location.column - 1), error.hint.map { "\(error.message) — \($0)" } ?? error.message)
        prompt.note = "Stopped at a line of \(name) that did not parse; nothing was run."
        return []
      }
    }
    guard !statements.isEmpty else {
      prompt.note = "\(name) has no lines to run."
      return []
    }
    prompt.note = "Running \(statements.count) lines from \(name)…"
    state.player.cLines = CRenderer.render(Script(statements: (state.run?.statements ?? []) + statements))
    return [.runScript(statements, name: name)]
  }

  /// A line that failed: say why, from the reference.
  static func noteFailure(_ state: inout AppState, before: LessonState?, after run: LessonState) {
    let last = run.statements.count - 1
    guard last >= 0, before?.lineStates[last] != run.lineStates[last], case .done(let outcome)? = run.lineStates[last],
      let record = outcome.record, let error = record.error
    else { return }
    let why = CallReference.entry(for: record.function)?.errors.first { $0.name == error.name }?.why
    state.freePlay?.note = "\(record.function)() failed with \(error.name) (\(error.message))" + (why.map { ": \($0)" } ?? ".")
  }

  /// `:hosts` and `:loopback`: a new session on the wire, or why this machine cannot have one.
  private static func startOnWire(
    _ state: inout AppState, _ effect: Effect, refused: String, allow: String, started: String
  ) -> [Effect] {
    if let problem = state.hostsProblem {
      state.freePlay?.note = "\(refused): \(problem.reason). \(allow): \(problem.fix)"
      return []
    }
    state.freePlay?.note = started
    state.player.focus = .log
    return [effect]
  }
}
