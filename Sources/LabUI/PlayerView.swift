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
    let socketLines = context.socketLines(
      width: ui.zoomed == nil ? PlayerLayout.rightInnerWidth(for: canvas.width) : canvas.width - 2
    ).count
    let layout = PlayerLayout(width: canvas.width, height: canvas.height, zoomed: ui.zoomed, socketRows: socketLines)
    let sep = unicode ? "·" : "|"
    let title =
      freePlay != nil
      ? "SocketLab \(sep) free play \(sep) \(run.statements.count) lines run"
      : "SocketLab \(sep) \(run.lesson.number). \(run.lesson.title) \(sep) step \(run.stepIndex + 1) of \(run.lesson.steps.count)"
    drawBar(&canvas, layout.header, left: title, right: "PORT = \(run.port)", style: theme.header)
    for (pane, rect) in layout.panes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
      drawPane(&canvas, pane, rect, context)
    }
    drawStatus(&canvas, layout.status, run, context)
    let keys =
      freePlay != nil
      ? "Enter run  Tab complete  \(unicode ? "↑↓" : "Up/Down") history  F1 reference  :save FILE  :load FILE  Esc leave"
      : ui.zoomed != nil
        ? "z/Esc unzoom   Tab focus   \(unicode ? "↑↓" : "up/down") PgUp/PgDn scroll   q lessons"
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
      let (text, pinned) = freePlay.map { $0.lines(width: inside.width, theme: theme, unicode: unicode) } ?? context.lessonLines(width: inside.width)
      lines = text
      if !pinned.isEmpty {
        // What the learner must see now stays in view below the step's text.
        let pinnedHeight = min(pinned.count, max(3, inside.height * 3 / 5))
        let (top, bottom) = inside.splitTop(inside.height - pinnedHeight - 1)
        area = top
        canvas.write(
          String(repeating: unicode ? "┄" : "-", count: inside.width), x: inside.x, y: bottom.y, style: theme.border, clip: inside
        )
        canvas.write(pinned, in: Rect(x: bottom.x, y: bottom.y + 1, width: bottom.width, height: bottom.height - 1))
      }
    case .code:
      let (code, current) = context.codeLines()
      lines = code
      if !focused || ui.scroll[pane] == nil { offset = Self.pagedOffset(keeping: current, visible: inside.height) }
    case .sockets: lines = context.socketLines(width: inside.width)
    case .address: lines = context.addressLines(width: inside.width).map(context.blind)
    case .log:
      lines = context.logLines().map(context.blindResult).flatMap { wrap($0, width: inside.width, indent: 4) }
      if !focused || ui.scroll[pane] == nil { offset = Self.pagedOffset(showingEndOf: lines.count, visible: inside.height) }
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

  private func drawStatus(_ canvas: inout Canvas, _ rect: Rect, _ run: LessonState, _ context: PaneContext) {
    let ui = player
    if let state = freePlay {
      canvas.write(
        [Span(unicode ? " › " : " > ", theme.prediction), Span(state.text + (unicode ? "▏" : "_"), theme.bold)], x: rect.x,
        y: rect.y, clip: rect)
      return
    }
    if let prompt = ui.prompt {
      let source = run.statements[prompt.statement].source
      let line = [
        Span(" Your prediction for ", theme.prediction),
        Span(source.split(separator: "=").first.map { String($0).trimmingSpaces() } ?? source, theme.code),
        Span(": ", theme.prediction), Span(prompt.text + (unicode ? "▏" : "_"), theme.bold),
        Span("   Enter runs it, Esc cancels", theme.dim),
      ]
      canvas.write(line, x: rect.x, y: rect.y, clip: rect)
      return
    }
    if let typed = ui.goTo {
      let line = [
        Span(" Go to step (1–\(run.lesson.steps.count)): ", theme.prediction), Span(typed + (unicode ? "▏" : "_"), theme.bold),
        Span("   Enter goes there (the lines before it are replayed), Esc cancels", theme.dim),
      ]
      canvas.write(line, x: rect.x, y: rect.y, clip: rect)
      return
    }
    if let step = ui.resumeAt {
      canvas.write(
        [
          Span(" You left this lesson at step \(step + 1). ", theme.prediction),
          Span("Enter: go on from there (the lines before it are replayed)   n: start at step 1", theme.bold),
        ], x: rect.x, y: rect.y, clip: rect)
      return
    }
    if let background = run.background {
      let what =
        switch background.kind {
        case .replay: "Replaying \(background.total) lines on fresh sockets"
        case .script(let name): "Running \(background.total) lines from \(name)"
        }
      canvas.write(
        " \(context.spinner) \(what): \(background.done) of \(background.total) done", x: rect.x, y: rect.y, style: theme.blocked,
        clip: rect)
      return
    }
    if let problem = saveProblem {
      canvas.write((unicode ? " ⚠ " : " ! ") + problem, x: rect.x, y: rect.y, style: theme.failure, clip: rect)
      return
    }
    if let message = ui.message {
      canvas.write(" " + message, x: rect.x, y: rect.y, style: theme.bold, clip: rect)
      return
    }
    if let call = run.snapshot.blocked.first {
      let sleeping = call.kernelFunction.map { " (\($0))" } ?? ""
      let text =
        " \(context.spinner) \(call.actor) blocked \(context.seconds(since: call.since)) in \(call.callName)\(sleeping) · Space: next line · i: interrupt"
      canvas.write(context.blind([Span(text, theme.blocked)]), x: rect.x, y: rect.y, clip: rect)
      return
    }
    let next: String
    if let line = run.pendingStatement {
      next = "Next: \(run.statements[line].actorName): \(run.statements[line].source)"
    } else if run.isFinished {
      next = "Lesson complete. q returns to the lessons."
    } else {
      next = "Space: on to step \(run.stepIndex + 2)."
    }
    canvas.write(" " + next, x: rect.x, y: rect.y, style: theme.dim, clip: rect)
  }

}
