import LabEngine
import LabScript
import Lessons
import SocketKit
import TerminalUI

/// The screens, drawn as pure functions of the state onto a canvas; the time comes in as data.
extension AppState {

  /// Draws the current state onto a new canvas of the given size.
  public func render(width: Int, height: Int, now: UInt64 = MonotonicClock.nanoseconds()) -> Canvas {
    var canvas = Canvas(width: width, height: height)
    if width < PlayerLayout.minimumWidth || height < PlayerLayout.minimumHeight {
      drawTooSmall(&canvas)
      theme.paint(&canvas)
      return canvas
    }
    switch screen {
    case .picker: drawPicker(&canvas)
    case .player:
      if let run { drawPlayer(&canvas, run, now: now) }
    }
    if showHelp { drawHelp(&canvas) }
    if showLayers, let run, screen == .player { drawLayers(&canvas, run) }
    theme.paint(&canvas)
    return canvas
  }

  private func drawTooSmall(_ canvas: inout Canvas) {
    let lines = [
      "SocketLab needs a terminal of at least \(PlayerLayout.minimumWidth)x\(PlayerLayout.minimumHeight).",
      "This one is \(canvas.width)x\(canvas.height).",
      "Make the window larger: the lab carries on",
      "where it was as soon as it fits.",
    ]
    let top = max(0, (canvas.height - lines.count) / 2)
    for (offset, line) in lines.enumerated() {
      let text = String(line.prefix(canvas.width))
      canvas.write(
        text, x: max(0, (canvas.width - text.count) / 2), y: top + offset, style: offset == 0 ? theme.bold : theme.text)
    }
  }

  func drawBar(_ canvas: inout Canvas, _ rect: Rect, left: String, right: String = "", style: Style) {
    canvas.fill(rect, style: style)
    canvas.write(" " + left, x: rect.x, y: rect.y, style: style, clip: rect)
    if !right.isEmpty, right.count + left.count + 3 < rect.width {
      canvas.write(right + " ", x: rect.maxX - right.count - 1, y: rect.y, style: style, clip: rect)
    }
  }

  // MARK: Picker

  private func drawPicker(_ canvas: inout Canvas) {
    let bounds = canvas.bounds
    drawBar(
      &canvas, Rect(x: 0, y: 0, width: bounds.width, height: 1),
      left: "SocketLab: learn Berkeley sockets, one real call at a time", style: theme.header)
    let body = Rect(x: 0, y: 1, width: bounds.width, height: bounds.height - 2)
    let (rows, headings) = pickerRows()
    let listHeight = min(rows.count + 2, body.height - 8)
    let (listRect, detailRect) = body.splitTop(max(4, listHeight + (notice == nil ? 0 : 1)))
    var inside = canvas.box(listRect, title: "Lessons", glyphs: glyphs, style: theme.focusedBorder, titleStyle: theme.title)
    if let notice {
      canvas.write(notice, x: inside.x, y: inside.y, style: theme.failure, clip: inside)
      inside = Rect(x: inside.x, y: inside.y + 1, width: inside.width, height: inside.height - 1)
    }
    let selectedRow = rows.firstIndex { $0 == selection } ?? 0
    let first = max(0, selectedRow - inside.height + 1)
    for (offset, rowIndex) in (first..<rows.count).prefix(inside.height).enumerated() {
      let line = Rect(x: inside.x, y: inside.y + offset, width: inside.width, height: 1)
      if let index = rows[rowIndex] {
        drawPickerRow(&canvas, index, in: line)
      } else {
        canvas.write(headings[rowIndex] ?? "", x: line.x + 1, y: line.y, style: theme.title, clip: line)
      }
    }
    if library.lessons.isEmpty {
      canvas.write("No lessons found (\(library.folder)).", x: inside.x, y: inside.y, style: theme.failure, clip: inside)
    }
    if selection == library.lessons.count {
      let details = canvas.box(detailRect, title: "Free play", glyphs: glyphs, style: theme.border, titleStyle: theme.title)
      canvas.write(renderMarkdown(FreePlayState.lesson.steps[0].prose, width: details.width, theme: theme), in: details)
    } else if library.lessons.indices.contains(selection) {
      let lesson = library.lessons[selection]
      let details = canvas.box(detailRect, title: lesson.title, glyphs: glyphs, style: theme.border, titleStyle: theme.title)
      canvas.write(lessonDetails(lesson, width: details.width), in: details)
    }
    drawBar(
      &canvas, Rect(x: 0, y: bounds.height - 1, width: bounds.width, height: 1),
      left: "\(unicode ? "↑↓" : "up/down") choose   Enter open   ? help   q quit", right: "theme: \(theme.name)",
      style: theme.footer)
  }

  /// The picker's rows: lesson indices under their groups' headings (nil rows), then free play.
  private func pickerRows() -> (rows: [Int?], headings: [Int: String]) {
    var rows: [Int?] = []
    var headings: [Int: String] = [:]
    var previousGroup: String?
    for (index, lesson) in library.lessons.enumerated() {
      if let group = lesson.group, group != previousGroup {
        headings[rows.count] = group
        rows.append(nil)
        previousGroup = group
      }
      rows.append(index)
    }
    if !library.lessons.isEmpty {
      headings[rows.count] = "Play"
      rows.append(nil)
    }
    rows.append(library.lessons.count)  // free play
    return (rows, headings)
  }

  private func drawPickerRow(_ canvas: inout Canvas, _ index: Int, in line: Rect) {
    let selected = index == selection
    guard index < library.lessons.count else {
      let style = selected ? theme.selection : theme.text
      if selected { canvas.fill(line, style: style) }
      canvas.write("   Free play: any call, typed at a prompt", x: line.x, y: line.y, style: style, clip: line)
      return
    }
    let lesson = library.lessons[index]
    let status = progress.status(of: lesson.id, stepCount: lesson.steps.count)
    let titleWidth = max(10, line.width - 40)
    // A lesson on hosts says so, and says when this machine cannot build them.
    let mark = lesson.hosts.isEmpty ? "" : hostsProblem != nil ? " (no wire here)" : unicode ? " ⇄" : " <->"
    let text =
      "   " + fit("\(lesson.number). \(lesson.title)\(mark)", titleWidth) + " " + fit(lesson.level.rawValue, 13)
      + fit("\(lesson.minutes) min", 8) + status
    let style = selected ? theme.selection : (status == "done" ? theme.success : theme.text)
    if selected { canvas.fill(line, style: style) }
    canvas.write(text, x: line.x, y: line.y, style: style, clip: line)
  }

  /// The details under the list: summary, prerequisites, actors, steps, origin, predictions.
  private func lessonDetails(_ lesson: Lesson, width: Int) -> [StyledLine] {
    var lines: [StyledLine] = wrap(inlineSpans(lesson.summary, theme: theme), width: width)
    lines.append([])
    let titles = lesson.prerequisites.map { id in library.lessons.first { $0.id == id }?.title ?? id }
    lines.append([
      Span("Before this: ", theme.bold), Span(titles.isEmpty ? "nothing" : titles.joined(separator: ", "), theme.text),
    ])
    lines.append([Span("Actors: ", theme.bold), Span(lesson.actors.joined(separator: ", "), theme.text)])
    if !lesson.hosts.isEmpty {
      let hosts = lesson.hosts.enumerated().map { "\($1) 10.50.0.\($0 + 1)" }.joined(separator: ", ")
      if let problem = hostsProblem {
        lines += wrap(
          [Span("Hosts: ", theme.bold), Span("\(hosts), which this machine cannot build: \(problem.reason). ", theme.failure),
           Span("To allow them: ", theme.bold), Span(problem.fix, theme.code),
           Span(". Its lines need those hosts: the other lessons run as usual on loopback.", theme.text)], width: width)
      } else {
        lines += wrap([Span("Hosts: ", theme.bold), Span("\(hosts), each with its own network stack; the lab is the wire between them", theme.text)], width: width)
      }
    }
    lines.append([Span("Steps: ", theme.bold), Span("\(lesson.steps.count), about \(lesson.minutes) minutes", theme.text)])
    if lesson.origin != LessonLibrary.builtIn {
      let replaced = lesson.replaces.map { $0 == LessonLibrary.builtIn ? ", in place of the built-in lesson" : ", in place of \($0)" }
      lines += wrap([Span("From: ", theme.bold), Span(lesson.file + (replaced ?? ""), theme.text)], width: width)
    }
    let scores = progress.lessons[lesson.id]?.scores ?? []
    if let last = scores.last {
      let earlier = scores.dropLast().map { "attempt \($0.attempt): \($0.right) of \($0.of)" }
      let said =
        scores.count == 1
        ? "\(last.right) of \(last.of) right"
        : "\(last.right) of \(last.of) right in attempt \(last.attempt) (\(earlier.joined(separator: ", ")))"
      lines += wrap([Span("Predictions: ", theme.bold), Span(said, theme.text)], width: width)
    }
    if !lesson.introduction.isEmpty {
      lines.append([])
      lines += renderMarkdown(lesson.introduction, width: width, theme: theme).filter { line in
        !(line.first?.style == theme.title && line.count == 1 && line[0].text == lesson.title)
      }
    }
    return lines
  }
}
