import LabEngine
import LabScript
import Lessons
import SocketKit
import TerminalUI

/// What is drawn over a screen: the layers of a call and the keys.
extension AppState {
  // MARK: Layers

  func drawLayers(_ canvas: inout Canvas, _ run: LessonState) {
    // The line Space runs next (in this step or the next one); after the last, the last.
    let line = run.pendingStatement ?? min(run.nextLine, run.statements.count - 1)
    let statement = run.statements.isEmpty ? nil : run.statements[max(0, line)]
    let call = statement?.expression.callName ?? ""
    let width = min(canvas.width - 4, 76)
    var lines: [StyledLine] = []
    if let entry = Layers.entry(for: call) {
      for (label, text) in [("POSIX", entry.posix), ("OpenSSL BIO", entry.bio), ("Kernel", entry.kernel)] {
        lines += wrap([Span(label + ": ", theme.bold), Span(text, theme.text)], width: width - 4, indent: 2)
        lines.append([])
      }
    } else {
      lines = wrap([Span(Layers.without(call), theme.text)], width: width - 4)
      lines.append([])
    }
    lines.append([Span("L or Esc closes this view", theme.dim)])
    let height = min(canvas.height - 2, lines.count + 2)
    let rect = Rect(x: (canvas.width - width) / 2, y: (canvas.height - height) / 2, width: width, height: height)
    canvas.fill(rect)
    let inside = canvas.box(
      rect, title: "Layers: \(statement?.source ?? "")", glyphs: glyphs, style: theme.focusedBorder, titleStyle: theme.title)
    canvas.write(lines, in: Rect(x: inside.x + 1, y: inside.y, width: inside.width - 2, height: inside.height))
  }

  // MARK: Help

  /// Free play's own keys and commands.
  var freePlayKeys: [(String, String)] {
    [
      ("Enter", "run the line (a mistake stays, the cursor on it)"),
      (unicode ? "← → Home End" : "Left Right Home End", "move in the line; Ctrl-A, Ctrl-E, Alt-B, Alt-F too"),
      ("Ctrl-U Ctrl-K Ctrl-W", "cut before the cursor, after it, the word before it"),
      (unicode ? "↑ ↓" : "Up Down", "earlier lines (kept between runs)"),
      ("Ctrl-R", "search the earlier lines"),
      ("Tab", "complete a call, constant, variable or actor"),
      ("Tab on an empty line", "move focus between panes (Shift-Tab back)"),
      ("F1", "the reference of the call being typed"),
      ("F2", "zoom the focused pane (Esc returns)"),
      ("PgUp PgDn", "scroll the focused pane"),
      (":save FILE  :load FILE", "write the session as a script; run one"),
      (":export FILE.c", "write the session as a C program"),
      (":interrupt  :quit", "wake a blocked call; leave (or Esc on an empty line)"),
      ("Ctrl-C", "quit"),
    ]
  }

  func drawHelp(_ canvas: inout Canvas) {
    let keys: [(String, String)] = freePlay != nil ? freePlayKeys : [
      ("Space Enter \(unicode ? "→" : "Right")", "run the next line (or go to the next step)"),
      (unicode ? "←" : "Left", "go back one line (replayed on fresh sockets)"),
      ("p", "answer the prediction before the line runs"),
      ("h", "show or hide the step's hint"),
      ("Tab Shift-Tab", "move focus between panes"),
      ("z", "zoom the focused pane to full screen"),
      (unicode ? "↑ ↓ j k PgUp PgDn" : "Up Down j k PgUp PgDn", "scroll the focused pane"),
      ("i", "interrupt a blocked call"),
      ("s", "let the lab play a step's outside program"),
      ("x", "export the lines run so far as a C program"),
      ("W", "on hosts: write the wire's frames as pcapng"),
      (unicode ? "↑ ↓ Enter (Wire)" : "Up Down Enter (Wire)", "choose a segment, open its header"),
      ("L", "the line's layers: POSIX, OpenSSL BIO, kernel"),
      ("g", "go to a step (the lines before it are replayed)"),
      ("r", "restart the lesson with fresh sockets"),
      ("q", "back to the lessons (quit from the list)"),
      ("Esc", "close this help, a zoom, or a prediction"),
      ("Ctrl-C", "quit"),
    ]
    let width = min(canvas.width - 4, 72)
    let height = min(canvas.height - 2, keys.count + 4)
    let rect = Rect(x: (canvas.width - width) / 2, y: (canvas.height - height) / 2, width: width, height: height)
    canvas.fill(rect)
    let inside = canvas.box(rect, title: "Keys", glyphs: glyphs, style: theme.focusedBorder, titleStyle: theme.title)
    for (row, (key, meaning)) in keys.enumerated() where row < inside.height - 1 {
      canvas.write(
        [Span(" " + fit(key, 22), theme.key), Span(meaning, theme.text)], x: inside.x, y: inside.y + row, clip: inside)
    }
    canvas.write(" ? or Esc closes this help", x: inside.x, y: inside.maxY - 1, style: theme.dim, clip: inside)
  }
}
