import LabEngine
import LabScript
import Lessons
import SocketKit
import TerminalUI

/// The player's screen: header, the five panes, the status line and the keys.
extension AppState {
  // MARK: Player

  func drawPlayer(_ canvas: inout Canvas, _ run: LessonState, now: UInt64) {
    let ui = player
    var context = PaneContext(run: run, ui: ui, theme: theme, glyphs: glyphs, unicode: unicode, now: now)
    context.hidden = context.hiddenWords()
    context.named = context.hidden.isEmpty ? [] : run.step.hide
    let status = statusRows(run, context, width: canvas.width)
    // Every socket of the lesson in view: one row each, compact, when two would not fit.
    let socketsWidth = ui.zoomed == nil ? PlayerLayout.rightInnerWidth(for: canvas.width) : canvas.width - 2
    var socketLines = context.socketLines(width: socketsWidth).count
    let budget = PlayerLayout.socketsBudget(height: canvas.height, statusRows: status.count)
    if ui.zoomed == nil, socketLines > budget {
      context.compactSockets = true
      socketLines = context.socketLines(width: socketsWidth).count
    }
    // The pinned part of the Lesson pane (an Explain, a why) shows whole: the pane grows for it.
    if freePlay == nil && ui.zoomed == nil {
      let width = PlayerLayout.leftWidth(for: canvas.width) - 2
      context.lesson = (width, context.lessonLines(width: width))
    }
    let pinned = context.lesson?.lines.pinned.count ?? 0
    let hasWire = run.showsWire
    let presentation = freePlay == nil ? PresentationLayout.panes(ui.presenting, step: run.step, wire: hasWire) : nil
    let layout = PlayerLayout(
      width: canvas.width, height: canvas.height, zoomed: ui.zoomed, socketRows: socketLines, pinnedRows: pinned,
      statusRows: status.count, presentation: presentation, wire: hasWire)
    let sep = unicode ? "·" : "|"
    let title =
      freePlay != nil
      ? "SocketLab \(sep) free play \(sep) \(run.statements.count) lines run"
      : "SocketLab \(sep) \(run.lesson.number). \(run.lesson.title) \(sep) step \(run.stepIndex + 1) of \(run.lesson.steps.count)"
    drawBar(&canvas, layout.header, left: title, right: "PORT = \(run.port)", style: theme.header)
    for (pane, rect) in layout.panes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
      drawPane(&canvas, pane, rect, context)
    }
    canvas.write(status, in: layout.status)
    let keys =
      freePlay != nil
      ? "Enter run  Tab complete  \(unicode ? "↑↓" : "Up/Down") history  Ctrl-R search  F1 ref  F2 zoom  :help  Esc leave"
      : ui.zoomed != nil
        ? "z/Esc unzoom   Tab focus   \(unicode ? "↑↓" : "up/down") PgUp/PgDn scroll   q lessons"
        : presentation != nil
          ? "Space run  \(unicode ? "←" : "Left") back  p predict  P next layout  Tab focus  ? help  q lessons"
          : "Space run  \(unicode ? "←" : "Left") back  p predict  h hint  L layers  z zoom  ? help  q lessons"
    drawBar(&canvas, layout.footer, left: keys, style: theme.footer)
  }

  private func drawPane(_ canvas: inout Canvas, _ pane: Pane, _ rect: Rect, _ context: PaneContext) {
    let ui = context.ui
    let focused = ui.focus == pane
    let inside = canvas.box(
      rect, title: pane.rawValue + (ui.zoomed == pane ? " (zoomed)" : ""),
      glyphs: focused ? (unicode ? .heavy : .ascii) : glyphs,
      style: focused ? theme.focusedBorder : theme.border, titleStyle: focused ? theme.focusedBorder : theme.title)
    guard !inside.isEmpty else { return }
    let lines: [StyledLine]
    var offset = ui.scroll[pane] ?? 0
    var area = inside
    switch pane {
    case .lesson:
      // Laid out once per frame: the layout already needed the pinned part's height.
      let laidOut = context.lesson.flatMap { $0.width == inside.width ? $0.lines : nil }
      let (text, pinned) =
        freePlay.map { $0.lines(width: inside.width, theme: theme, unicode: unicode) } ?? laidOut
        ?? context.lessonLines(width: inside.width)
      lines = text
      if !pinned.isEmpty {
        // What the learner must see now stays in view below the step's text.
        let pinnedHeight = min(pinned.count, max(3, inside.height - 2))
        let (top, bottom) = inside.splitTop(inside.height - pinnedHeight - 1)
        area = top
        canvas.write(
          String(repeating: unicode ? "┄" : "-", count: inside.width), x: inside.x, y: bottom.y, style: theme.border, clip: inside
        )
        canvas.write(pinned, in: Rect(x: bottom.x, y: bottom.y + 1, width: bottom.width, height: bottom.height - 1))
      }
    case .code:
      // Wrapped, not cut: a long call keeps its `// = result` in view.
      let (code, current, stepStart) = context.codeLines()
      var wrapped: [StyledLine] = []
      var (currentRow, startRow) = (0, 0)
      for (index, line) in code.enumerated() {
        if index == current { currentRow = wrapped.count }
        if index == stepStart { startRow = wrapped.count }
        wrapped += fold(line, width: inside.width, indent: 4)
      }
      lines = wrapped
      if !focused || ui.scroll[pane] == nil {
        // The whole step from its first line when it fits; else the next line, half a pane at a time.
        offset =
          currentRow - startRow < inside.height ? startRow : Self.pagedOffset(keeping: currentRow, visible: inside.height)
      }
    case .sockets: lines = context.socketLines(width: inside.width)
    case .wire:
      lines = context.wireLines(width: inside.width)
      if let selected = context.wireSelectedLine(width: inside.width) {
        // The selected segment and its opened header stay in view.
        offset = max(0, min(selected - 1, lines.count - inside.height))
      } else if !focused || ui.scroll[pane] == nil {
        // Like the Log: the newest segments, half a pane at a time.
        offset = Self.pagedOffset(showingEndOf: lines.count, visible: inside.height)
      }
    case .address: lines = context.addressLines(width: inside.width).map(context.blind)
    case .log:
      lines = context.logLines().map(context.blindResult).flatMap { wrap($0, width: inside.width, indent: 4) }
      // The Log's scroll counts back from its end: at 0 it follows new lines.
      let end = Self.pagedOffset(showingEndOf: lines.count, visible: inside.height)
      offset = max(0, end - (focused ? ui.scroll[pane] ?? 0 : 0))
    }
    offset = min(offset, max(0, lines.count - area.height))
    canvas.write(lines, in: area, offset: offset)
    if lines.count > area.height, inside.width > 2 {
      let more = offset + area.height < lines.count ? (unicode ? "↓ more" : "v more") : ""
      let less = offset > 0 ? (unicode ? "↑" : "^") : ""
      let tag = " \(less)\(more.isEmpty || less.isEmpty ? "" : " ")\(more) "
      if tag.count > 2 { canvas.write(tag, x: rect.maxX - tag.count - 1, y: rect.maxY - 1, style: theme.dim, clip: rect) }
    }
  }

  /// Scrolls by half a pane at a time, not a line at a time, so that a step redraws only what
  /// changed instead of shifting the whole pane (fewer bytes to the terminal, a steadier picture).
  static func pagedOffset(keeping row: Int, visible height: Int) -> Int {
    let step = max(1, height / 2)
    return max(0, (row - step / 2) / step * step)
  }

  /// The offset that shows the last of `count` lines, moving in half-pane steps.
  static func pagedOffset(showingEndOf count: Int, visible height: Int) -> Int {
    guard count > height else { return 0 }
    let step = max(1, height / 2)
    return min(count - 1, (count - height + step - 1) / step * step)
  }

  /// The status line: what is being typed, a replay's progress, a message, a blocked call, or
  /// what Space does next. Drawn whole: wrapped onto a second row when it is long.
  func statusLine(_ run: LessonState, _ context: PaneContext) -> StyledLine {
    let ui = player
    let caret = unicode ? "▏" : "_"
    if let state = freePlay { return promptLine(state) }
    if let prompt = ui.prompt {
      let source = run.statements[prompt.statement].source
      return [
        Span(" Your prediction for ", theme.prediction),
        Span(source.split(separator: "=").first.map { String($0).trimmingSpaces() } ?? source, theme.code),
        Span(": ", theme.prediction), Span(prompt.text + caret, theme.bold), Span("   Enter runs it, Esc cancels", theme.dim),
      ]
    }
    if let typed = ui.goTo {
      return [
        Span(" Go to step (1–\(run.lesson.steps.count)): ", theme.prediction), Span(typed + caret, theme.bold),
        Span("   Enter goes there (the lines before it are replayed), Esc cancels", theme.dim),
      ]
    }
    if let step = ui.resumeAt {
      return [
        Span(" You left this lesson at step \(step + 1). ", theme.prediction),
        Span("Enter: go on from there (the lines before it are replayed)   n: start at step 1", theme.bold),
      ]
    }
    if let background = run.background {
      let what =
        switch background.kind {
        case .replay: "Replaying \(background.total) lines on fresh sockets"
        case .script(let name): "Running \(background.total) lines from \(name)"
        }
      return [Span(" \(context.spinner) \(what): \(background.done) of \(background.total) done", theme.blocked)]
    }
    if let problem = saveProblem { return [Span((unicode ? " ⚠ " : " ! ") + problem, theme.failure)] }
    if let message = ui.message { return [Span(" " + message, theme.bold)] }
    if let call = run.snapshot.blocked.first {
      let sleeping = call.kernelFunction.map { " (\($0))" } ?? ""
      let text =
        " \(context.spinner) \(call.actor) blocked \(context.seconds(since: call.since)) in \(call.callName)\(sleeping) · Space: next line · i: interrupt"
      return context.blind([Span(text, theme.blocked)])
    }
    let next: String
    if let line = run.pendingStatement {
      next = "Next: \(run.statements[line].actorName): \(run.statements[line].source)"
    } else if run.isFinished {
      next = "Lesson complete. q returns to the lessons, r plays it again."
    } else {
      next = "Space: on to step \(run.stepIndex + 2)."
    }
    return [Span(" " + next, theme.dim)]
  }

  /// Free play's prompt: the line with its cursor, or a history search under way.
  func promptLine(_ state: FreePlayState) -> StyledLine {
    let caret = unicode ? "▏" : "_"
    if let search = state.search {
      let found = search.match.map { state.history[$0] } ?? (search.query.isEmpty ? "" : "(no earlier line has it)")
      return [
        Span(" history search `", theme.prediction), Span(search.query + caret, theme.bold), Span("': ", theme.prediction),
        Span(found, theme.text), Span("   Ctrl-R older, Enter runs it, Esc cancels", theme.dim),
      ]
    }
    let characters = Array(state.text)
    let at = state.caret
    guard at < characters.count else {
      return [Span(unicode ? " › " : " > ", theme.prediction), Span(state.text + caret, theme.bold)]
    }
    var under = theme.bold
    under.reverse = true
    return [
      Span(unicode ? " › " : " > ", theme.prediction), Span(String(characters[..<at]), theme.bold),
      Span(String(characters[at]), under), Span(String(characters[(at + 1)...]), theme.bold),
    ]
  }

  /// The status line as the rows it takes: one, or two when it is long (never cut in the middle
  /// of what it says; a third row's worth ends in "…").
  func statusRows(_ run: LessonState, _ context: PaneContext, width: Int) -> [StyledLine] {
    let rows = fold(statusLine(run, context), width: width, indent: 1)
    guard rows.count > 2 else { return rows }
    var second = rows[1]
    let used = second.reduce(0) { $0 + ColumnWidth.of($1.text) }
    if used >= width - 2, var last = second.popLast() {
      last.text = String(last.text.dropLast(2))
      second.append(last)
    }
    second.append(Span(" …", theme.dim))
    return [rows[0], second]
  }
}
