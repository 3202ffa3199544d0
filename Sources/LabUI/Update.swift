import LabEngine
import LabExport
import LabScript
import Lessons
import SocketKit
import TerminalUI

/// The lab's logic: a message and the state in, the new state and the effects out. No I/O here;
/// `time` (seconds since 1970) is the wall clock, passed in as data for what progress records.
public enum Update {
  public static func apply(_ state: inout AppState, _ message: Message, time: Double) -> [Effect] {
    switch message {
    case .key(let key): return keyPressed(&state, key, time: time)
    case .engine(let run): return engineMoved(&state, run, time: time)
    case .moved(let move): return moved(&state, move, time: time)
    case .said(let text):
      if state.freePlay != nil { state.freePlay?.note = text } else { state.player.message = text }
      return []
    case .saved(let progress, let problem):
      if let progress { state.progress = progress.merging(state.progress) }
      state.saveProblem = problem
      return []
    case .loaded(let name, let text): return FreePlayUpdate.loaded(&state, name: name, text: text)
    case .lessons(let library, let notice):
      let selected = state.library.lessons.indices.contains(state.selection) ? state.library.lessons[state.selection].id : nil
      state.library = library
      if let notice, state.notice == nil { state.notice = notice }
      state.selection =
        selected.flatMap { id in library.lessons.firstIndex { $0.id == id } } ?? min(state.selection, library.lessons.count)
      return []
    case .history(let lines):
      state.freePlay?.history.insert(contentsOf: lines, at: 0)
      return []
    }
  }

  // MARK: - Keys

  static func keyPressed(_ state: inout AppState, _ key: Key, time: Double) -> [Effect] {
    if key == .control("c") { return quit(&state) }
    if state.showHelp {
      if [.escape, .character("?"), .character("q"), .enter].contains(key) { state.showHelp = false }
      return []
    }
    if state.showLayers {
      if [.escape, .character("L"), .character("q"), .enter].contains(key) { state.showLayers = false }
      return []
    }
    switch state.screen {
    case .picker: return pickerKey(&state, key, time: time)
    case .player:
      if state.freePlay != nil { return FreePlayUpdate.key(&state, key) }
      if state.player.prompt != nil { return promptKey(&state, key) }
      if state.player.goTo != nil { return goToKey(&state, key) }
      if let step = state.player.resumeAt {
        state.player.resumeAt = nil
        if key == .enter || key == .character("y") { return [.goTo(step: step)] }
        if key == .character("n") || key == .escape { return [] }
      }
      return playerKey(&state, key, time: time)
    }
  }

  static func quit(_ state: inout AppState) -> [Effect] {
    state.wantsToQuit = true
    return [.quit]
  }

  static func pickerKey(_ state: inout AppState, _ key: Key, time: Double) -> [Effect] {
    let count = state.library.lessons.count
    switch key {
    case .up, .character("k"): state.selection = max(0, state.selection - 1)
    case .down, .character("j"): state.selection = min(count, state.selection + 1)
    case .home: state.selection = 0
    case .end: state.selection = count
    case .enter, .character(" "), .right: return open(&state, state.selection, time: time)
    case .character("?"): state.showHelp = true
    case .character("q"): return quit(&state)
    default: break
    }
    return []
  }

  /// Opens lesson `index` (or free play, just past the last lesson).
  static func open(_ state: inout AppState, _ index: Int, time: Double) -> [Effect] {
    if index == state.library.lessons.count { return FreePlayUpdate.open(&state) }
    guard state.library.lessons.indices.contains(index) else { return [] }
    let lesson = state.library.lessons[index]
    state.selection = index
    state.screen = .player
    state.player = PlayerUI()
    state.player.cLines = CRenderer.render(lesson.script)
    state.freePlay = nil
    state.run = nil
    if !lesson.hosts.isEmpty, let problem = state.hostsProblem {
      // Said at once: the lesson's lines need hosts this machine cannot build.
      state.player.message =
        "This lesson needs hosts of its own, and this machine cannot build them: \(problem.reason). To allow them: \(problem.fix)"
    }
    // Where the learner left it: offer to go on from there.
    if let entry = state.progress.lessons[lesson.id], entry.completed == nil, entry.step > 0,
      entry.step < lesson.steps.count
    {
      state.player.resumeAt = entry.step
    }
    return [.openLesson(index), reached(&state, step: 0, of: lesson, time: time)]
  }

  static func leave(_ state: inout AppState) -> [Effect] {
    state.screen = .picker
    state.run = nil
    state.freePlay = nil
    state.player = PlayerUI()
    return [.closeLesson]
  }

  static func playerKey(_ state: inout AppState, _ key: Key, time: Double) -> [Effect] {
    guard let run = state.run else { return key == .character("q") ? leave(&state) : [] }
    var ui = state.player
    defer { state.player = ui }
    let hasWire = run.showsWire
    if ui.focus == .wire, let rows = run.wire?.rows.filter({ $0.kind != "ARP" || ui.wireShowsARP }), !rows.isEmpty {
      // In the Wire pane the arrows choose a segment and Enter opens its header, byte by byte.
      let at = ui.wireSelection.flatMap { selected in rows.firstIndex { $0.index == selected } }
      switch key {
      case .up, .character("k"):
        ui.wireSelection = rows[max(0, (at ?? rows.count) - 1)].index
        return []
      case .down, .character("j"):
        ui.wireSelection = at.map { rows[min(rows.count - 1, $0 + 1)].index } ?? rows[rows.count - 1].index
        return []
      case .enter where ui.wireSelection != nil:
        ui.wireExpanded.toggle()
        return []
      case .escape where ui.wireSelection != nil:
        ui.wireSelection = nil
        ui.wireExpanded = false
        return []
      default: break
      }
    }
    switch key {
    case .character(" "), .enter, .right, .character("l"):
      ui.message = nil
      return [.advance]
    case .left: return [.back]
    case .character("p"):
      if let line = run.pendingStatement, run.statements[line].expectation == .prediction {
        ui.prompt = PredictionPrompt(statement: line)
      } else {
        ui.message = "There is no prediction to make before the next line."
      }
    case .character("h"): ui.showHint.toggle()
    case .character("s"): return [.standIn]
    case .character("a"): return [.acceptAgain]
    case .character("x"):
      let path = Files.join(state.exportsFolder, "\(run.lesson.id)-so-far.c")
      return [
        .exportC(
          Array(run.statements.prefix(run.nextLine)), name: run.lesson.title, steps: ExportStep.steps(of: run.lesson), path: path)
      ]
    case .character("W"):
      guard hasWire else {
        ui.message = "This lesson runs on loopback: there is no wire to capture (lessons on hosts are marked in the picker)."
        return []
      }
      return [.writeCapture(path: Files.join(state.exportsFolder, "\(run.lesson.id).pcapng"))]
    case .character("L"): state.showLayers = true
    case .tab: ui.focus = next(after: ui.focus, by: 1, wire: hasWire)
    case .backTab: ui.focus = next(after: ui.focus, by: -1, wire: hasWire)
    case .character("z"): ui.zoomed = ui.zoomed == nil ? ui.focus : nil
    case .character("F") where ui.followOffer != nil:
      let step = ui.followOffer!
      ui.followOffer = nil
      return [.goTo(step: step)]
    case .character("P"):
      ui.presenting = (ui.presenting + 1) % (PresentationLayout.count(wire: hasWire) + 1)
      ui.zoomed = nil
      let panes = PresentationLayout.panes(ui.presenting, step: run.step, wire: hasWire)
      ui.message =
        panes.map { "Presentation layout: \($0.map { $0.rawValue }.joined(separator: " + ")) (P for the next, until off)" }
        ?? "Presentation layout off."
      if let first = panes?.first { ui.focus = first }
    case .escape: ui.zoomed = nil
    case .up, .character("k"): ui.scroll(ui.focus, by: -1)
    case .down, .character("j"): ui.scroll(ui.focus, by: 1)
    case .pageUp: ui.scroll(ui.focus, by: -10)
    case .pageDown: ui.scroll(ui.focus, by: 10)
    case .home: ui.scroll[ui.focus] = 0
    case .character("r"):
      guard run.background == nil else {
        ui.message = "A replay is still running; press r again when it is done."
        return []
      }
      ui.predictionsKept = 0
      ui.prompt = nil
      state.progress.startedOver(run.lesson.id, now: time)
      return [.restart, .saveProgress(state.progress)]
    case .character("i"): return [.interrupt]
    case .character("g"): ui.goTo = ""
    case .character("?"): state.showHelp = true
    case .character("q"):
      ui = PlayerUI()
      return leave(&state)
    default: break
    }
    return []
  }

  static func promptKey(_ state: inout AppState, _ key: Key) -> [Effect] {
    guard var prompt = state.player.prompt else { return [] }
    switch key {
    case .enter:
      let guess = prompt.text.trimmingSpaces()
      guard !guess.isEmpty else {
        state.player.message = "Type your prediction first (Esc to cancel)."
        return []
      }
      state.player.prompt = nil
      state.player.message = nil
      return [.predict(guess)]
    case .escape:
      state.player.prompt = nil
      state.player.message = "Prediction cancelled."
      return []
    case .backspace: if !prompt.text.isEmpty { prompt.text.removeLast() }
    case .character(" ") where prompt.text.isEmpty:
      break  // a Space meant to run the line; the answer starts with its first real character
    case .character(let c): if prompt.text.count < 60 { prompt.text.append(c) }
    default: break
    }
    state.player.prompt = prompt
    return []
  }

  /// `g` then a step number and Enter.
  static func goToKey(_ state: inout AppState, _ key: Key) -> [Effect] {
    guard var typed = state.player.goTo, let run = state.run else { return [] }
    switch key {
    case .enter:
      state.player.goTo = nil
      guard let number = Int(typed), (1...run.lesson.steps.count).contains(number) else {
        state.player.message = "Type a step from 1 to \(run.lesson.steps.count), then Enter."
        return []
      }
      return [.goTo(step: number - 1)]
    case .escape:
      state.player.goTo = nil
      return []
    case .backspace: if !typed.isEmpty { typed.removeLast() }
    case .character(let c) where c.isNumber && typed.count < 3: typed.append(c)
    default: break
    }
    state.player.goTo = typed
    return []
  }

  static func next(after pane: Pane, by step: Int, wire: Bool = false) -> Pane {
    let all = Pane.allCases.filter { wire || $0 != .wire }
    let index = all.firstIndex(of: pane) ?? 0
    return all[(index + step + all.count) % all.count]
  }

  // MARK: - The engine

  static func engineMoved(_ state: inout AppState, _ run: LessonState, time: Double) -> [Effect] {
    guard state.screen == .player else { return [] }
    let before = state.run
    state.run = run
    var effects: [Effect] = []
    if let notice = run.notice, notice.serial != state.player.noticeShown {
      state.player.noticeShown = notice.serial
      state.player.message = notice.text
      if state.freePlay != nil { state.freePlay?.note = notice.text }
    }
    if state.freePlay != nil {
      FreePlayUpdate.noteFailure(&state, before: before, after: run)
      return []
    }
    // A lesson that watches its loopback plays without its wire lines where the lab could not
    // make its host: the Code pane shows the lines that play.
    if state.player.cLines.count != run.statements.count {
      state.player.cLines = CRenderer.render(Script(statements: run.statements))
    }
    // A step reached by a jump (g, --step) counts as reached, as one reached by Space does.
    if run.stepIndex > (state.progress.lessons[run.lesson.id]?.step ?? 0) {
      effects.append(reached(&state, step: run.stepIndex, of: run.lesson, time: time))
    }
    // Predictions judged since the last look are kept in progress.
    if run.predictions.count < state.player.predictionsKept { state.player.predictionsKept = 0 }
    if run.predictions.count > state.player.predictionsKept {
      for var record in run.predictions[state.player.predictionsKept...] {
        record.at = time
        state.progress.predicted(record, in: run.lesson.id, now: time)
      }
      state.player.predictionsKept = run.predictions.count
      effects.append(.saveProgress(state.progress))
    }
    return effects
  }

  static func moved(_ state: inout AppState, _ move: LessonRunner.Move, time: Double) -> [Effect] {
    guard let run = state.run else { return [] }
    switch move {
    case .ran: break
    case .needsPrediction(let line):
      state.player.prompt = PredictionPrompt(statement: line)
      state.player.message = "Predict first: type what this line will return, then Enter."
    case .actorBlocked(let actor, let call):
      state.player.message =
        "\(actor) is still blocked in \(call): it cannot run its next line until that returns. Press i to interrupt it."
    case .waitingForOutside(let command):
      state.player.message =
        "Waiting for a program outside the lab: run `\(command)` in another terminal, or press s to let the lab play it."
    case .movedTo(let step):
      state.player.showHint = false
      state.player.scroll[.lesson] = 0
      return [reached(&state, step: step, of: run.lesson, time: time)]
    case .lastStep:
      state.player.message = "That was the last step. Press q to go back to the lessons, or r to play it again."
      return [reached(&state, step: run.stepIndex, of: run.lesson, time: time)]
    case .busy:
      state.player.message = "A replay is still running; the lab takes keys again when it is done."
    }
    return []
  }

  static func reached(_ state: inout AppState, step: Int, of lesson: Lesson, time: Double) -> Effect {
    state.progress.reached(step: step, of: lesson.id, stepCount: lesson.steps.count, now: time)
    return .saveProgress(state.progress)
  }
}
