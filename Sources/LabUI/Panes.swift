import LabEngine
import LabScript
import Lessons
import SocketKit
import TerminalUI

/// Everything a pane needs to draw itself: pure data, no I/O.
struct PaneContext {
  var run: LessonState
  var ui: PlayerUI
  var theme: Theme
  var glyphs: BorderGlyphs
  var unicode: Bool
  var now: UInt64
  var cLines: [[String]] { ui.cLines }
  /// What a prediction now being asked would be given away by (see `hiddenWords`), and of those
  /// the words the lesson's `Hide:` note names, hidden even in a call's arguments.
  var hidden: [String] = []
  var named: [String] = []
  /// The Lesson pane's lines, laid out once per frame at this width.
  var lesson: (width: Int, lines: (text: [StyledLine], pinned: [StyledLine]))?
  /// One row per socket (fewer details), for when the Sockets pane cannot fit two rows each.
  var compactSockets = false
}

extension PaneContext {
  var spinner: Character {
    let frames: [Character] = unicode ? ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] : ["|", "/", "-", "\\"]
    return frames[Int(now / 100_000_000) % frames.count]
  }

  func seconds(since start: UInt64) -> String {
    let tenths = now > start ? (now - start) / 100_000_000 : 0
    return "\(tenths / 10).\(tenths % 10)s"
  }

  // MARK: - Lesson

  /// The step's text (scrolls), and what the learner must see now (kept in view at the bottom):
  /// the prediction question or its feedback, the why of an errno just produced, the hint.
  func lessonLines(width: Int) -> (text: [StyledLine], pinned: [StyledLine]) {
    let step = run.step
    var text = wrap(
      [Span("Step \(run.stepIndex + 1) of \(run.lesson.steps.count): \(step.title)", theme.title)], width: width)
    text.append([])
    text += renderMarkdown(step.prose, width: width, theme: theme)
    if let layers = step.layers {
      text.append([])
      text += wrap(
        [Span("Layers below: ", theme.bold)] + inlineSpans(layers, theme: theme).map { Span($0.text, theme.dim) }, width: width)
    }
    if let elsewhere = step.elsewhere {
      text.append([])
      text += wrap(
        [Span("Elsewhere: ", theme.bold)] + inlineSpans(elsewhere, theme: theme).map { Span($0.text, theme.dim) }, width: width)
    }
    var pinned: [StyledLine] = []
    if let line = run.predictionStatement, let prediction = step.prediction {
      if let feedback = run.feedback, feedback.statement == line {
        let source = AnswerSource.of(run.statements[line].expression).rawValue
        let verdict: Span =
          feedback.right
          ? Span("\(unicode ? "✓" : "+") Right: \(source) said \(feedback.actual).", theme.success)
          : Span("\(unicode ? "✗" : "x") You said \(feedback.guess); \(source) said \(feedback.actual).", theme.failure)
        pinned += wrap([verdict], width: width)
        pinned += wrap(inlineSpans(prediction.explanation, theme: theme), width: width)
      } else {
        pinned += wrap([Span("Predict: ", theme.prediction)] + inlineSpans(prediction.question, theme: theme), width: width)
        if run.guesses[line] == nil, ui.prompt == nil {
          pinned += wrap([Span("Press Enter and type your answer before the line runs.", theme.dim)], width: width)
        }
      }
    }
    if run.waitsForOutsidePeer, let command = run.outsideCommand {
      pinned += wrap(
        [
          Span("Your turn outside the lab: ", theme.prediction), Span("in another terminal, run ", theme.text),
          Span(command, theme.code),
          Span(" and type a line there. Or press s to let the lab play that program.", theme.text),
        ], width: width)
    }
    for name in producedErrnos() {
      if let why = step.whys[name] ?? Self.labWhys[name] {
        if !pinned.isEmpty { pinned.append([]) }
        pinned += wrap([Span("Why \(name): ", theme.failure)] + inlineSpans(why, theme: theme), width: width)
      }
    }
    if let hint = step.hint {
      if ui.showHint {
        if !pinned.isEmpty { pinned.append([]) }
        pinned += wrap([Span("Hint: ", theme.bold)] + inlineSpans(hint, theme: theme), width: width)
      } else {
        text += [[], [Span("(h shows a hint)", theme.dim)]]
      }
    }
    return (text, pinned)
  }

  /// Why an errno that the lab itself can cause came back, where the lesson does not say.
  static let labWhys = [
    "EINTR":
      "You pressed i: the lab sent the blocked thread a signal, and a call asleep in the kernel gives up with -1 EINTR when a signal arrives (a C program retries it, or checks the flag its signal handler set). The lines after it that need its result cannot run now: press ← to go back a line (replayed on fresh sockets), or r to start the lesson again."
  ]

  /// The errno names the current step's lines have produced so far.
  private func producedErrnos() -> [String] {
    run.stepRanges[run.stepIndex].compactMap { index in
      if case .done(let outcome)? = run.lineStates[index] { return outcome.record?.error?.name }
      return nil
    }
  }

  // MARK: - Code

  /// The lesson's lines as C, with markers and results, and the row of the next line.
  func codeLines() -> (lines: [StyledLine], current: Int, stepStart: Int) {
    var lines: [StyledLine] = []
    var currentRow = 0
    var stepStart = 0
    var previousActor: String?
    let step = run.stepRanges[run.stepIndex]
    // The line that caused the segment selected in the Wire pane is marked.
    let selectedCause = ui.wireSelection.flatMap { selected in run.wire?.rows.first { $0.index == selected } }.flatMap { row in
      if case .call(_, let line?, _) = row.cause { return line }
      return nil
    }
    let hideSegmentsOf = wireHiddenFrom != nil ? run.pendingStatement.map { $0 - 1 } : nil
    for (index, statement) in run.statements.enumerated() {
      if index == step.lowerBound { stepStart = lines.count }
      if statement.actorName != previousActor {
        lines.append([Span("// \(statement.actorName)", theme.actor)])
        previousActor = statement.actorName
      }
      let (marker, markerStyle, result) = mark(index)
      let isNext = index == run.nextLine
      if isNext { currentRow = lines.count }
      let base = isNext ? theme.current : step.contains(index) ? theme.code : theme.dim
      let code = cLines[index]
      for (offset, text) in code.enumerated() {
        // The marker and result go on the statement's last line: the call, after any declarations.
        let isCall = offset == code.count - 1
        var line: StyledLine = [Span(isCall ? marker : "  ", isCall ? markerStyle : base), Span(text, base)]
        if isCall, let result { line.append(Span(Self.mask("  // \(result)", hidden), markerStyle)) }
        if isCall, selectedCause == index { line.append(Span(unicode ? "  ◀ the selected segment" : "  < the selected segment", theme.prediction)) }
        lines.append(line)
      }
      // Under a call, the segments that crossed the wire while it ran: connect() → SYN, SYN-ACK, ACK.
      if let segments = run.wire?.segmentsByLine[index], !segments.isEmpty, hideSegmentsOf.map({ index < $0 }) ?? true {
        lines.append([Span("      " + (unicode ? "↳ " : "-> ") + segments.joined(separator: ", "), theme.dim)])
      }
    }
    // Everything has run (free play between lines): keep the newest line in view.
    if run.nextLine >= run.statements.count { currentRow = max(0, lines.count - 1) }
    return (lines, currentRow, stepStart)
  }

  private func mark(_ index: Int) -> (String, Style, String?) {
    switch run.lineStates[index] {
    case .done(let outcome)?:
      guard let record = outcome.record else { return (unicode ? "✓ " : "+ ", theme.success, nil) }
      let result = record.resultText
      switch outcome.verdict {
      case .failed(let expected, _): return (unicode ? "✗ " : "x ", theme.failure, "= \(result), expected \(expected)")
      case .predicted: return ("? ", theme.prediction, "= \(result)")
      default: return (unicode ? "✓ " : "+ ", theme.success, "= \(result)")
      }
    case .blocked?, .running?:
      return ("\(spinner) ", theme.blocked, "blocked")
    case .refused?:
      return ("! ", theme.failure, "not run")
    case .skipped?:
      return ("- ", theme.dim, "skipped: a real peer played it")
    case nil:
      return (index == run.nextLine ? (unicode ? "▶ " : "> ") : "  ", theme.text, nil)
    }
  }

  // MARK: - Sockets

  func socketLines(width: Int) -> [StyledLine] {
    if compactSockets { return compactSocketLines() }
    let wide = width >= 90
    var lines: [StyledLine] = [socketHeader(wide: wide)]
    if run.snapshot.omitted > 0 {
      // Said at the top, where it stays in view however long the list is.
      lines.append([Span("\(run.snapshot.omitted) more connections on the lab's ports are not listed", theme.blocked)])
    }
    for row in run.snapshot.sockets { lines += descriptorLines(row, wide: wide) }
    for call in run.snapshot.blocked { lines += blockedLines(call, wide: wide) }
    let kernelOnly: [(String, KernelSocket, String, Style)] =
      run.snapshot.lingering.map { ("(closed)", $0, "no descriptor: the kernel keeps it", theme.blocked) }
      + run.snapshot.queued.map { ("(queue)", $0, "waiting for accept()", theme.prediction) }
      + run.snapshot.outsidePeers.map { ("(other)", $0, "another program's socket", theme.prediction) }
    for (tag, socket, meaning, style) in kernelOnly {
      lines += kernelOnlyLines(tag: tag, socket, meaning: meaning, stateStyle: style, wide: wide)
    }
    if lines.count == 1 { lines.append([Span("No sockets yet. socket() makes one.", theme.dim)]) }
    return lines
  }

  /// One row per socket: actor, descriptor, state, queues and the local port; the same for the
  /// kernel's rows (`:40123→:51234`). What it leaves out is in the zoomed pane (z).
  private func compactSocketLines() -> [StyledLine] {
    var lines: [StyledLine] = [[Span(fit("ACTOR", 7) + fit("FD", 3) + fit("STATE", 12) + "R/S PORT", theme.bold)]]
    if run.snapshot.omitted > 0 {
      lines.append([Span("\(run.snapshot.omitted) more connections on the lab's ports are not listed", theme.blocked)])
    }
    for row in run.snapshot.sockets {
      let s = row.snapshot
      let state = row.twin?.state.description ?? s.tcpState?.description ?? (s.type == 2 ? "UDP" : "-")
      let queues = "\(s.receiveQueue.map(String.init) ?? "-")/\(s.sendQueue.map(String.init) ?? "-")"
      let port = s.local.map { ":\($0.port)" } ?? ""
      let stateStyle = s.tcpState == .listen || s.tcpState == .established ? theme.success : theme.text
      lines.append([
        Span(fit(row.actor, 7), theme.actor), Span(fit(String(s.fd), 3), theme.text), blind(Span(fit(state, 12), stateStyle)),
        blind(Span(queues, theme.text)), Span(" " + port, theme.dim),
      ])
    }
    for call in run.snapshot.blocked {
      lines.append([
        Span(fit(call.actor, 7), theme.actor),
        Span("\(spinner) blocked \(seconds(since: call.since)) in \(call.callName)", theme.blocked),
      ])
    }
    let kernelOnly: [(String, KernelSocket, Style)] =
      run.snapshot.lingering.map { ("(closed)", $0, theme.blocked) } + run.snapshot.queued.map { ("(queue)", $0, theme.prediction) }
      + run.snapshot.outsidePeers.map { ("(other)", $0, theme.prediction) }
    for (tag, socket, style) in kernelOnly {
      lines.append([
        Span(fit(tag, 10), theme.dim), blind(Span(fit(socket.state.description, 12), style)),
        Span(":\(socket.local.port)\(arrow):\(socket.peer.port)", theme.dim),
      ])
    }
    if lines.count == 1 { lines.append([Span("No sockets yet. socket() makes one.", theme.dim)]) }
    return lines
  }

  private func socketHeader(wide: Bool) -> StyledLine {
    guard wide else {
      return [Span(fit("ACTOR", 7) + fit("FD", 3) + fit("TYPE", 5) + fit("STATE", 12) + "RECV/SEND", theme.bold)]
    }
    return [
      Span(
        fit("ACTOR", 8) + fit("FD", 4) + fit("TYPE", 5) + fit("LOCAL", 22) + fit("PEER", 22) + fit("STATE", 12)
          + fit("RECV-Q", 7) + fit("SEND-Q", 7) + "OPTIONS", theme.bold)
    ]
  }

  /// An open descriptor of the lab's: one line when wide, two when narrow.
  private func descriptorLines(_ row: SocketRow, wide: Bool) -> [StyledLine] {
    let s = row.snapshot
    let type = s.type == 1 ? "TCP" : s.type == 2 ? "UDP" : "?"
    var state = s.tcpState?.description ?? (s.type == 2 ? (s.peer == nil ? "unconnected" : "connected") : "-")
    let local = s.local?.endpoint ?? "-"
    var peer = s.peer?.endpoint ?? "-"
    var options = s.options.map { option in
      // Linux turns IPV6_V6ONLY on by itself when a socket binds one IPv6 address (not :: and not
      // a v4-mapped one): say so, where a lesson says it defaults to 0.
      option == "IPV6_V6ONLY" && Self.isSpecificIPv6(s.local) ? "IPV6_V6ONLY (set by bind)" : option
    }
    if s.nonBlocking { options.insert("O_NONBLOCK", at: 0) }
    let twinNote = row.twin.map { "fd open, connection in \($0.state)" }
    if let twin = row.twin {
      // The descriptor is open; its connection lives on in the kernel's TIME-WAIT record.
      state = twin.state.description
      peer = twin.peer.endpoint
      if wide { options.insert(twinNote ?? "", at: 0) }
    }
    let stateStyle = s.tcpState == .listen || s.tcpState == .established ? theme.success : theme.text
    if wide {
      let queues = fit(s.receiveQueue.map(String.init) ?? "-", 7) + fit(s.sendQueue.map(String.init) ?? "-", 7)
      return [
        [
          Span(fit(row.actor, 8), theme.actor),
          Span(fit(String(s.fd), 4) + fit(type, 5) + fit(local, 22) + fit(peer, 22), theme.text),
          blind(Span(fit(state, 12), stateStyle)), blind(Span(queues + options.joined(separator: " "), theme.text)),
        ]
      ]
    }
    let queues = "\(s.receiveQueue.map(String.init) ?? "-")/\(s.sendQueue.map(String.init) ?? "-")"
    let more = options.isEmpty ? "" : "  " + options.joined(separator: " ")
    var lines: [StyledLine] = [
      [
        Span(fit(row.actor, 7), theme.actor), Span(fit(String(s.fd), 3) + fit(type, 5), theme.text),
        blind(Span(fit(state, 12), stateStyle)), blind(Span(queues, theme.text)),
      ],
      [Span("  \(local) \(arrow) \(peer)\(more)", theme.dim)],
    ]
    if let twinNote { lines.append([Span("  " + twinNote, theme.dim)]) }
    return lines
  }

  private func blockedLines(_ call: BlockedCall, wide: Bool) -> [StyledLine] {
    let blocked = Span("\(spinner) blocked \(seconds(since: call.since)) in \(call.callName)", theme.blocked)
    if wide {
      let sleeping = call.kernelFunction.map { ", kernel: \($0)" } ?? ""
      return [[Span(fit(call.actor, 8), theme.actor), blocked, blind(Span(sleeping, theme.blocked))]]
    }
    var lines: [StyledLine] = [[Span(fit(call.actor, 7), theme.actor), blocked]]
    if let function = call.kernelFunction { lines.append([blind(Span("  asleep in \(function)", theme.blocked))]) }
    return lines
  }

  /// A connection the kernel keeps with no descriptor of the lab's: closed but lingering, queued
  /// for accept(), or another program's.
  private func kernelOnlyLines(tag: String, _ socket: KernelSocket, meaning: String, stateStyle: Style, wide: Bool)
    -> [StyledLine]
  {
    if wide {
      return [
        [
          Span(fit(tag, 8) + fit("-", 4) + fit("TCP", 5) + fit(socket.local.endpoint, 22) + fit(socket.peer.endpoint, 22), theme.dim),
          blind(Span(fit(socket.state.description, 12), stateStyle)), Span(meaning, theme.dim),
        ]
      ]
    }
    return [
      [Span(fit(tag, 10) + fit("TCP", 5), theme.dim), blind(Span(fit(socket.state.description, 12), stateStyle))],
      [Span("  \(socket.local.endpoint) \(arrow) \(socket.peer.endpoint)", theme.dim)],
    ]
  }

  private var arrow: String { unicode ? "→" : "->" }

  static func isSpecificIPv6(_ address: SocketAddress?) -> Bool {
    guard let address, case .ipv6 = address else { return false }
    let host = address.host
    return host != "::" && !host.hasPrefix("::ffff:")
  }

  // MARK: - Address

  func addressLines(width: Int) -> [StyledLine] {
    guard let (name, address) = run.address.map({ ($0.name, $0.address) }) else {
      return [[Span("No address yet.", theme.dim)]]
    }
    let structName = address.family == AF_INET_VALUE ? "struct sockaddr_in" : "struct sockaddr_in6"
    var lines: [StyledLine] = [[Span(name, theme.bold), Span(" (\(structName), \(address.size) bytes)", theme.text)]]
    for field in address.fields {
      let bytes = field.bytes.map(hexByte).joined(separator: " ")
      let bytesWidth = max(12, min(24, width / 3))
      if width < 64 {
        // Narrow: the bytes on one line, what they mean under them.
        lines.append([Span(fit("  " + field.name, 15), theme.code), Span(bytes, theme.text)])
        lines += wrap([Span(field.meaning, theme.dim)], width: width - 4).map { [Span("    ")] + $0 }
      } else if bytes.count > bytesWidth {
        lines.append([Span(fit("  " + field.name, 16), theme.code), Span(bytes, theme.text)])
        lines += wrap([Span(field.meaning, theme.dim)], width: width - 16).map { [Span(String(repeating: " ", count: 16))] + $0 }
      } else {
        lines.append([
          Span(fit("  " + field.name, 16), theme.code), Span(fit(bytes, bytesWidth + 1), theme.text),
          Span(field.meaning, theme.dim),
        ])
      }
    }
    let port = address.port
    lines.append([
      Span(
        "  htons(\(port)) = \(ByteOrder.htons(port)): bytes \(ByteOrder.memoryBytes(ByteOrder.htons(port)).map(hexByte).joined(separator: " ")) in memory",
        theme.dim)
    ])
    for function in CallCatalog.definitions.filter({ $0.traits.contains(.showsInAddressPane) }).map(\.name) {
      if let text = run.addressCalls[function] { lines.append([Span("  " + text, theme.text)]) }
    }
    return lines
  }

  // MARK: - Log

  func logLines() -> [StyledLine] {
    var lines = run.log.map { line -> StyledLine in
      let style: Style
      switch line.kind {
      case .ok: style = theme.text
      case .failed, .refused: style = theme.failure
      case .blocked: style = theme.blocked
      case .info: style = theme.dim
      case .prediction: style = theme.prediction
      }
      return [Span(line.text, style)]
    }
    if lines.isEmpty { lines = [[Span("Every call will be listed here with its result, errno and time.", theme.dim)]] }
    return lines
  }
}

let AF_INET_VALUE = Int32(SocketConstants.named("AF_INET")!.value)
