import LabEngine
import LabScript
import Lessons
import SocketKit
import TerminalUI

/// The whole lab as the learner sees it: the lesson picker, the player, the help overlay. Keys
/// and ticks change its state; `render` draws that state onto a canvas and does nothing else.
public final class LabApp {
  public enum Screen: Sendable, Equatable { case picker, player }

  public let library: LessonLibrary
  public var theme: Theme
  public let unicode: Bool
  public private(set) var screen: Screen = .picker
  public private(set) var player: Player?
  public private(set) var selection = 0
  public private(set) var showHelp = false
  /// The "layers" view: the next line's call as POSIX, OpenSSL BIO and kernel.
  public private(set) var showLayers = false
  /// Set when the learner quits; the run loop ends.
  public private(set) var wantsToQuit = false
  public private(set) var progress: LearnerProgress
  /// Said once at the top of the picker (an unreadable progress file, say).
  public var notice: String?
  /// The free-play prompt, while free play is open.
  public private(set) var freePlay: FreePlayState?
  /// Where free-play history is kept; nil keeps it in memory only.
  public var historyStore: HistoryStore?
  /// Why the last save of progress failed; shown until a later save succeeds, so a learner
  /// cannot miss that their progress is not being kept.
  public private(set) var saveProblem: String?
  /// When set, progress and history are written by it, off the terminal's thread; otherwise at
  /// once (as tests and the benchmark want).
  public var writer: StateWriter?
  /// Where `x` and `:export NAME` write C programs.
  public var exportsFolder = StatePaths.current().exports

  private let progressStore: ProgressStore?
  private let configuration: SessionConfiguration
  private var cLines: [[String]] = []
  private let clock: () -> Double
  private let wake: @Sendable () -> Void

  public init(
    library: LessonLibrary, progressStore: ProgressStore?, theme: Theme, unicode: Bool,
    configuration: SessionConfiguration = SessionConfiguration(), clock: @escaping () -> Double = { 0 },
    wake: @escaping @Sendable () -> Void = {}
  ) {
    self.wake = wake
    self.library = library
    self.progressStore = progressStore
    self.theme = theme
    self.unicode = unicode
    self.configuration = configuration
    self.clock = clock
    if let store = progressStore {
      let (loaded, note) = store.load()
      progress = loaded
      if case .unreadable(let reason, let aside)? = note {
        notice = "Your progress file could not be read (\(reason)); it was kept as \(aside)."
      }
    } else {
      progress = LearnerProgress()
    }
    if let last = progress.lastLesson, let index = library.lessons.firstIndex(where: { $0.id == last }) { selection = index }
  }

  public var glyphs: BorderGlyphs { unicode ? .unicode : .ascii }

  /// Whether something is running, so ticks should come often (spinners, timers).
  public var isBusy: Bool { player?.hasRunningCalls ?? false }

  // MARK: - Keys

  public func handle(_ key: Key) {
    if key == .control("c") {
      quit()
      return
    }
    if showHelp {
      if key == .escape || key == .character("?") || key == .character("q") || key == .enter { showHelp = false }
      return
    }
    if showLayers {
      if key == .escape || key == .character("L") || key == .character("q") || key == .enter { showLayers = false }
      return
    }
    switch screen {
    case .picker: handlePicker(key)
    case .player: handlePlayer(key)
    }
  }

  private func handlePicker(_ key: Key) {
    switch key {
    case .up, .character("k"): selection = max(0, selection - 1)
    case .down, .character("j"): selection = min(library.lessons.count, selection + 1)
    case .home: selection = 0
    case .end: selection = library.lessons.count
    case .enter, .character(" "), .right:
      if selection == library.lessons.count { openFreePlay() } else { open(selection) }
    case .character("?"): showHelp = true
    case .character("q"): quit()
    default: break
    }
  }

  /// Opens lesson `index` in the player.
  public func open(_ index: Int) {
    guard library.lessons.indices.contains(index) else { return }
    let lesson = library.lessons[index]
    selection = index
    let player = Player(lesson: lesson, configuration: configuration, wake: wake)
    player.onProgress = { [weak self] event in self?.record(event, lesson: lesson) }
    cLines = CRenderer.render(lesson.script)
    self.player = player
    screen = .player
    record(.reachedStep(0), lesson: lesson)
  }

  private func record(_ event: Player.ProgressEvent, lesson: Lesson) {
    let now = clock()
    switch event {
    case .reachedStep(let step): progress.reached(step: step, of: lesson.id, stepCount: lesson.steps.count, now: now)
    case .predicted(var record):
      record.at = now
      progress.predicted(record, in: lesson.id, now: now)
    }
    if let writer {
      writer.save(progress)
      return
    }
    do {
      if let saved = try progressStore?.save(progress) { progress = saved }
      saveProblem = nil
    } catch {
      saveProblem = "Progress could not be saved: \(error)"
    }
  }

  /// Takes in what the background writer reports: the merged progress, or why a save failed.
  /// Returns whether there was anything.
  private func applyWriterResult() -> Bool {
    guard let result = writer?.takeResult() else { return false }
    if let saved = result.saved {
      progress = saved.merging(progress)
      saveProblem = nil
    } else {
      saveProblem = result.problem
    }
    return true
  }

  private func handlePlayer(_ key: Key) {
    guard let player else { return }
    if freePlay != nil {
      handleFreePlay(key, player)
      return
    }
    if player.prompt != nil {
      handlePrompt(key, player)
      return
    }
    switch key {
    case .character(" "), .enter, .right, .character("l"): player.advance()
    case .left: player.back()
    case .character("p"):
      if let line = player.pendingStatement, player.statements[line].expectation == .prediction {
        player.prompt = PredictionPrompt(statement: line)
      } else {
        player.message = "There is no prediction to make before the next line."
      }
    case .character("h"): player.showHint.toggle()
    case .character("s"): player.playOutsideYourself()
    case .character("a"): player.acceptAgain()
    case .character("x"):
      let file = Files.join(exportsFolder, "\(player.lesson.id)-so-far.c")
      player.message = exportC(Array(player.statements.prefix(player.nextLine)), name: player.lesson.title, to: file)
    case .character("L"): showLayers = true
    case .tab: player.focus = next(after: player.focus, by: 1)
    case .backTab: player.focus = next(after: player.focus, by: -1)
    case .character("z"): player.zoomed = player.zoomed == nil ? player.focus : nil
    case .escape: player.zoomed = nil
    case .up, .character("k"): player.scroll(player.focus, by: -1)
    case .down, .character("j"): player.scroll(player.focus, by: 1)
    case .pageUp: player.scroll(player.focus, by: -10)
    case .pageDown: player.scroll(player.focus, by: 10)
    case .home: player.scroll[player.focus] = 0
    case .character("r"): player.restart()
    case .character("i"): player.interrupt()
    case .character("?"): showHelp = true
    case .character("q"): leavePlayer()
    default: break
    }
  }

  private func leavePlayer() {
    player?.close()
    player = nil
    freePlay = nil
    screen = .picker
  }

  // MARK: - Free play

  /// Opens free play: an empty session and a prompt. `script` lines, if given, are run first.
  public func openFreePlay(script: String? = nil) {
    let player = Player(lesson: Self.freePlayLesson, configuration: configuration, wake: wake)
    cLines = []
    self.player = player
    player.focus = .log
    var state = FreePlayState()
    state.history = historyStore?.load() ?? []
    freePlay = state
    screen = .player
    if let script { load(script, name: "the script") }
  }

  private func handleFreePlay(_ key: Key, _ player: Player) {
    guard var state = freePlay else { return }
    defer { if self.freePlay != nil { self.freePlay = state } }
    switch key {
    case .enter:
      submit(&state, player)
    case .tab:
      let variables = Array(player.session.environment.variables.keys)
      complete(&state, variables: variables + Array(state.known), actors: ["server", "client"] + player.session.actorNames)
    case .up:
      guard !state.history.isEmpty else { return }
      let index = max(0, (state.historyIndex ?? state.history.count) - 1)
      state.historyIndex = index
      state.text = state.history[index]
    case .down:
      guard let index = state.historyIndex else { return }
      if index + 1 < state.history.count {
        state.historyIndex = index + 1
        state.text = state.history[index + 1]
      } else {
        state.historyIndex = nil
        state.text = ""
      }
    case .backspace:
      if !state.text.isEmpty { state.text.removeLast() }
    case .function(1), .control("r"):
      state.showReference.toggle()
    case .escape:
      if state.text.isEmpty && !state.showReference {
        freePlay = nil
        leavePlayer()
        return
      }
      state.text = ""
      state.showReference = false
    case .pageUp: player.scroll(player.focus, by: -10)
    case .pageDown: player.scroll(player.focus, by: 10)
    case .character(let c):
      // A pasted megabyte would be redrawn on every frame; no line of the language is longer.
      guard state.text.utf8.count < Parser.maximumLineLength else {
        state.note = "A line may have \(Parser.maximumLineLength) bytes; split it, with variables for the parts."
        break
      }
      state.text.append(c)
      state.note = nil
    default:
      break
    }
  }

  private func submit(_ state: inout FreePlayState, _ player: Player) {
    let line = state.text.trimmingSpaces()
    guard !line.isEmpty else { return }
    state.history.append(line)
    state.historyIndex = nil
    if let writer { writer.append(line) } else { historyStore?.append(line) }
    if line.hasPrefix(":") {
      state.text = ""
      freePlay = state
      command(line)
      if let updated = freePlay { state = updated }
      return
    }
    do {
      var known = state.known
      guard var statement = try Parser.parseLine(line, line: state.lineNumber, known: &known) else {
        state.text = ""
        return
      }
      if statement.expectation == .prediction { statement.expectation = nil }  // nothing to predict against here
      if player.isBusy(statement.actorName) {
        state.error = (
          line, 0,
          "\(statement.actorName) is still inside a call that has not returned. Type a line for another actor (client: ...), or :interrupt."
        )
        return
      }
      state.known = known
      state.lineNumber += 1
      state.error = nil
      state.text = ""
      player.append(statement)
      cLines = CRenderer.render(Script(statements: player.statements))
      player.advance()
      // A call that failed: say why, from the reference.
      if case .done(let outcome)? = player.lineStates[player.statements.count - 1], let record = outcome.record,
        let error = record.error
      {
        let why = CallReference.entry(for: record.function)?.errors.first { $0.name == error.name }?.why
        state.note = "\(record.function)() failed with \(error.name) (\(error.message))" + (why.map { ": \($0)" } ?? ".")
      }
    } catch {
      state.error = (line, max(0, error.location.column - 1), error.hint.map { "\(error.message) — \($0)" } ?? error.message)
    }
  }

  /// Writes `statements` as a C program to `path`; returns what to tell the learner.
  func exportC(_ statements: [Statement], name: String, to path: String) -> String {
    let ports = SocketAPI.freeLoopbackPorts(count: 2)
    do {
      let text = try CExporter.program(
        Script(statements: statements), name: name,
        ports: (ports.first ?? 40000, ports.count > 1 ? ports[1] : (ports.first ?? 40000) + 1))
      try Files.write(text, to: path)
      let crypto = text.contains("BIO_") ? " -lcrypto" : ""
      return "Exported \(statements.count) lines to \(path). Build: cc -Wall -Wextra -Werror -pthread -o prog \(path)\(crypto)"
    } catch {
      return "Could not export: \(error)"
    }
  }

  private func command(_ line: String) {
    let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
    let argument = parts.count > 1 ? parts[1].trimmingSpaces() : ""
    switch parts[0] {
    case ":save":
      guard !argument.isEmpty, let player else {
        freePlay?.note = "Write :save FILE"
        return
      }
      let text = player.statements.map { "\($0.actorName): \($0.source)" }.joined(separator: "\n") + "\n"
      do {
        try Files.write(text, to: argument)
        freePlay?.note = "Saved \(player.statements.count) lines to \(argument). Replay them with socklab play \(argument)."
      } catch {
        freePlay?.note = "Could not save: \(error)"
      }
    case ":load":
      guard let text = try? Files.read(argument) else {
        freePlay?.note = "Could not read \(argument)."
        return
      }
      load(text, name: argument)
    case ":export":
      guard !argument.isEmpty, let player else {
        freePlay?.note = "Write :export FILE.c"
        return
      }
      // A bare name goes to the exports folder, where `x` writes too; a path is taken as given.
      let path = argument.contains("/") ? argument : Files.join(exportsFolder, argument)
      freePlay?.note = exportC(Array(player.statements), name: "a free-play session", to: path)
    case ":interrupt": player?.interrupt()
    case ":quit", ":q": leavePlayer()
    case ":help": showHelp = true
    default: freePlay?.note = "Commands: :save FILE, :load FILE, :export FILE.c, :interrupt, :help, :quit"
    }
  }

  /// Runs every line of a script through the prompt, waiting (bounded) for an actor's blocked call
  /// before that actor's next line, as a lesson replay does.
  private func load(_ text: String, name: String) {
    guard let player, var state = freePlay else { return }
    var count = 0
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = String(raw).trimmingSpaces()
      if line.isEmpty || line.hasPrefix("#") { continue }
      if let statement = try? Parser.parseLine(line, line: state.lineNumber, known: &state.known) {
        var waited = 0
        while player.isBusy(statement.actorName) && waited < 250 {
          player.session.kernel.pause(milliseconds: 20)
          player.update()
          waited += 1
        }
      }
      state.text = line
      submit(&state, player)
      if state.error != nil { break }
      count += 1
    }
    state.note = state.error == nil ? "Ran \(count) lines from \(name)." : "Stopped at a line of \(name) that did not parse."
    freePlay = state
  }

  private func handlePrompt(_ key: Key, _ player: Player) {
    switch key {
    case .enter: player.submitPrediction()
    case .escape:
      player.prompt = nil
      player.message = "Prediction cancelled."
    case .backspace: if !(player.prompt?.text.isEmpty ?? true) { player.prompt?.text.removeLast() }
    case .character(" ") where player.prompt?.text.isEmpty ?? true:
      break  // a Space meant to run the line; the answer starts with its first real character
    case .character(let c): if (player.prompt?.text.count ?? 0) < 60 { player.prompt?.text.append(c) }
    default: break
    }
  }

  private func next(after pane: Pane, by step: Int) -> Pane {
    let all = Pane.allCases
    let index = all.firstIndex(of: pane)!
    return all[(index + step + all.count) % all.count]
  }

  private func quit() {
    player?.close()
    player = nil
    wantsToQuit = true
  }

  /// Ends everything the app holds (sockets, threads).
  public func shutdown() {
    quit()
    writer?.flush()
  }

  // MARK: - Time

  /// Follows the engine: results that arrived, calls that became blocked, a fresh kernel sample.
  /// Returns whether the screen may have changed, so that an idle run loop can skip drawing.
  @discardableResult
  public func tick() -> Bool {
    let saved = applyWriterResult()
    let moved = player?.update(sample: true) ?? false
    return saved || moved
  }

  // MARK: - Drawing

  /// Draws the current state onto a new canvas of the given size.
  public func render(width: Int, height: Int, now: UInt64 = MonotonicClock.nanoseconds()) -> Canvas {
    var canvas = Canvas(width: width, height: height)
    if width < PlayerLayout.minimumWidth || height < PlayerLayout.minimumHeight {
      drawTooSmall(&canvas)
      return canvas
    }
    switch screen {
    case .picker: drawPicker(&canvas)
    case .player:
      if let player { drawPlayer(&canvas, player, now: now) }
    }
    if showHelp { drawHelp(&canvas) }
    if showLayers, let player, screen == .player { drawLayers(&canvas, player) }
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

  private func drawBar(_ canvas: inout Canvas, _ rect: Rect, left: String, right: String = "", style: Style) {
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
    // Lessons under their groups' headings, when the lessons name groups.
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
      let y = inside.y + offset
      guard let index = rows[rowIndex] else {
        canvas.write(headings[rowIndex] ?? "", x: inside.x + 1, y: y, style: theme.title, clip: inside)
        continue
      }
      guard index < library.lessons.count else {
        let style = index == selection ? theme.selection : theme.text
        if index == selection { canvas.fill(Rect(x: inside.x, y: y, width: inside.width, height: 1), style: style) }
        canvas.write("   Free play: any call, typed at a prompt", x: inside.x, y: y, style: style, clip: inside)
        continue
      }
      let lesson = library.lessons[index]
      let status = progress.status(of: lesson.id, stepCount: lesson.steps.count)
      let titleWidth = max(10, inside.width - 40)
      let text =
        "   " + fit("\(lesson.number). \(lesson.title)", titleWidth) + " " + fit(lesson.level.rawValue, 13)
        + fit("\(lesson.minutes) min", 8)
        + status
      let style = index == selection ? theme.selection : (status == "done" ? theme.success : theme.text)
      if index == selection { canvas.fill(Rect(x: inside.x, y: y, width: inside.width, height: 1), style: style) }
      canvas.write(text, x: inside.x, y: y, style: style, clip: inside)
    }
    if library.lessons.isEmpty {
      canvas.write("No lessons found (\(library.folder)).", x: inside.x, y: inside.y, style: theme.failure, clip: inside)
    }
    if selection == library.lessons.count {
      let details = canvas.box(detailRect, title: "Free play", glyphs: glyphs, style: theme.border, titleStyle: theme.title)
      canvas.write(renderMarkdown(Self.freePlayLesson.steps[0].prose, width: details.width, theme: theme), in: details)
    } else if library.lessons.indices.contains(selection) {
      let lesson = library.lessons[selection]
      let details = canvas.box(detailRect, title: lesson.title, glyphs: glyphs, style: theme.border, titleStyle: theme.title)
      var lines: [StyledLine] = wrap(inlineSpans(lesson.summary, theme: theme), width: details.width)
      lines.append([])
      let titles = lesson.prerequisites.map { id in library.lessons.first { $0.id == id }?.title ?? id }
      lines.append([
        Span("Before this: ", theme.bold), Span(titles.isEmpty ? "nothing" : titles.joined(separator: ", "), theme.text),
      ])
      lines.append([Span("Actors: ", theme.bold), Span(lesson.actors.joined(separator: ", "), theme.text)])
      lines.append([Span("Steps: ", theme.bold), Span("\(lesson.steps.count), about \(lesson.minutes) minutes", theme.text)])
      if lesson.origin != LessonLibrary.builtIn {
        let replaced = lesson.replaces.map { $0 == LessonLibrary.builtIn ? ", in place of the built-in lesson" : ", in place of \($0)" }
        lines += wrap([Span("From: ", theme.bold), Span(lesson.file + (replaced ?? ""), theme.text)], width: details.width)
      }
      let predictions = progress.lessons[lesson.id]?.predictions ?? []
      if !predictions.isEmpty {
        lines.append([
          Span("Predictions: ", theme.bold),
          Span("\(predictions.filter(\.right).count) of \(predictions.count) right", theme.text),
        ])
      }
      if !lesson.introduction.isEmpty {
        lines.append([])
        lines += renderMarkdown(lesson.introduction, width: details.width, theme: theme).filter { line in
          !(line.first?.style == theme.title && line.count == 1 && line[0].text == lesson.title)
        }
      }
      canvas.write(lines, in: details)
    }
    drawBar(
      &canvas, Rect(x: 0, y: bounds.height - 1, width: bounds.width, height: 1),
      left: "\(unicode ? "↑↓" : "up/down") choose   Enter open   ? help   q quit", right: "theme: \(theme.name)",
      style: theme.footer)
  }

  // MARK: Player

  private func drawPlayer(_ canvas: inout Canvas, _ player: Player, now: UInt64) {
    let context = PaneContext(player: player, theme: theme, glyphs: glyphs, unicode: unicode, now: now, cLines: cLines)
    let socketLines = context.socketLines(
      width: player.zoomed == nil ? PlayerLayout.rightInnerWidth(for: canvas.width) : canvas.width - 2
    ).count
    let layout = PlayerLayout(width: canvas.width, height: canvas.height, zoomed: player.zoomed, socketRows: socketLines)
    let sep = unicode ? "·" : "|"
    let title =
      freePlay != nil
      ? "SocketLab \(sep) free play \(sep) \(player.statements.count) lines run"
      : "SocketLab \(sep) \(player.lesson.number). \(player.lesson.title) \(sep) step \(player.stepIndex + 1) of \(player.lesson.steps.count)"
    drawBar(&canvas, layout.header, left: title, right: "PORT = \(player.session.port)", style: theme.header)
    for (pane, rect) in layout.panes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
      drawPane(&canvas, pane, rect, context)
    }
    drawStatus(&canvas, layout.status, player, context)
    let keys =
      freePlay != nil
      ? "Enter run  Tab complete  \(unicode ? "↑↓" : "Up/Down") history  F1 reference  :save FILE  :load FILE  Esc leave"
      : player.zoomed != nil
        ? "z/Esc unzoom   Tab focus   \(unicode ? "↑↓" : "up/down") PgUp/PgDn scroll   q lessons"
        : "Space run  \(unicode ? "←" : "Left") back  p predict  h hint  L layers  z zoom  ? help  q lessons"
    drawBar(&canvas, layout.footer, left: keys, style: theme.footer)
  }

  private func drawPane(_ canvas: inout Canvas, _ pane: Pane, _ rect: Rect, _ context: PaneContext) {
    let player = context.player
    let focused = player.focus == pane
    let inside = canvas.box(
      rect, title: pane.rawValue + (player.zoomed == pane ? " (zoomed)" : ""),
      glyphs: focused ? (unicode ? .heavy : .ascii) : glyphs,
      style: focused ? theme.focusedBorder : theme.border, titleStyle: focused ? theme.focusedBorder : theme.title)
    guard !inside.isEmpty else { return }
    let lines: [StyledLine]
    var offset = player.scroll[pane] ?? 0
    var area = inside
    switch pane {
    case .lesson:
      let (text, pinned) = freePlay.map { freePlayLines($0, width: inside.width) } ?? context.lessonLines(width: inside.width)
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
      if !focused || player.scroll[pane] == nil { offset = Self.pagedOffset(keeping: current, visible: inside.height) }
    case .sockets: lines = context.socketLines(width: inside.width)
    case .address: lines = context.addressLines(width: inside.width)
    case .log:
      lines = context.logLines().flatMap { wrap($0, width: inside.width, indent: 4) }
      if !focused || player.scroll[pane] == nil { offset = Self.pagedOffset(showingEndOf: lines.count, visible: inside.height) }
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

  private func drawStatus(_ canvas: inout Canvas, _ rect: Rect, _ player: Player, _ context: PaneContext) {
    if let state = freePlay {
      canvas.write(
        [Span(unicode ? " › " : " > ", theme.prediction), Span(state.text + (unicode ? "▏" : "_"), theme.bold)], x: rect.x,
        y: rect.y, clip: rect)
      return
    }
    if let prompt = player.prompt {
      let source = player.statements[prompt.statement].source
      let line = [
        Span(" Your prediction for ", theme.prediction),
        Span(source.split(separator: "=").first.map { String($0).trimmingSpaces() } ?? source, theme.code),
        Span(": ", theme.prediction), Span(prompt.text + (unicode ? "▏" : "_"), theme.bold),
        Span("   Enter runs it, Esc cancels", theme.dim),
      ]
      canvas.write(line, x: rect.x, y: rect.y, clip: rect)
      return
    }
    if let problem = saveProblem {
      canvas.write((unicode ? " ⚠ " : " ! ") + problem, x: rect.x, y: rect.y, style: theme.failure, clip: rect)
      return
    }
    if let message = player.message {
      canvas.write(" " + message, x: rect.x, y: rect.y, style: theme.bold, clip: rect)
      return
    }
    if let call = player.snapshot.blocked.first {
      let sleeping = call.kernelFunction.map { " (\($0))" } ?? ""
      canvas.write(
        " \(context.spinner) \(call.actor) blocked \(context.seconds(since: call.since)) in \(call.callName)\(sleeping) · Space: next line · i: interrupt",
        x: rect.x, y: rect.y, style: theme.blocked, clip: rect)
      return
    }
    let next: String
    if let line = player.pendingStatement {
      next = "Next: \(player.statements[line].actorName): \(player.statements[line].source)"
    } else if player.isFinished {
      next = "Lesson complete. q returns to the lessons."
    } else {
      next = "Space: on to step \(player.stepIndex + 2)."
    }
    canvas.write(" " + next, x: rect.x, y: rect.y, style: theme.dim, clip: rect)
  }

  // MARK: Layers

  private func drawLayers(_ canvas: inout Canvas, _ player: Player) {
    let line = player.pendingStatement ?? max(0, player.nextLine - 1)
    let statement = player.statements.isEmpty ? nil : player.statements[min(line, player.statements.count - 1)]
    let call = statement?.expression.callName ?? ""
    let width = min(canvas.width - 4, 76)
    var lines: [StyledLine] = []
    if let entry = Layers.entry(for: call) {
      for (label, text) in [("POSIX", entry.posix), ("OpenSSL BIO", entry.bio), ("Kernel", entry.kernel)] {
        lines += wrap([Span(label + ": ", theme.bold), Span(text, theme.text)], width: width - 4, indent: 2)
        lines.append([])
      }
    } else {
      lines = wrap(
        [
          Span(
            "\(call.isEmpty ? "This line" : call + "()") has no layers of its own: it runs in the lab, not in the kernel.",
            theme.text)
        ], width: width - 4)
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

  private func drawHelp(_ canvas: inout Canvas) {
    let keys: [(String, String)] = [
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
      ("L", "the line's layers: POSIX, OpenSSL BIO, kernel"),
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
