import LabShare
import TerminalUI

/// The teacher's class dashboard: who is connected and where, how the class answered the
/// current prediction point (or one the teacher picks with ← →), and who is stuck. A pure function of the hub's summary.
public struct ClassDashboard {
  public var summary: ClassSummary
  public var listening: String
  public var code: String
  /// A step longer than this, in seconds, or a failed line, marks a student as stuck.
  public var stuckAfter: Double
  public var theme: Theme
  public var unicode: Bool
  public var message: String?
  public var scroll = 0

  public init(
    summary: ClassSummary, listening: String, code: String, stuckAfter: Double, theme: Theme, unicode: Bool,
    message: String? = nil
  ) {
    self.summary = summary
    self.listening = listening
    self.code = code
    self.stuckAfter = stuckAfter
    self.theme = theme
    self.unicode = unicode
    self.message = message
  }

  public func render(width: Int, height: Int) -> Canvas {
    var canvas = Canvas(width: width, height: height)
    let connected = summary.students.filter(\.connected)
    let header = Rect(x: 0, y: 0, width: width, height: 1)
    canvas.fill(header, style: theme.header)
    canvas.write(
      " SocketLab class \(unicode ? "·" : "|") \(listening) \(unicode ? "·" : "|") code \(code)", x: 0, y: 0,
      style: theme.header, clip: header)
    let count = "\(connected.count) connected "
    canvas.write(count, x: width - count.count, y: 0, style: theme.header, clip: header)
    let body = Rect(x: 0, y: 1, width: width, height: height - 3)
    let (left, right) = body.splitLeft(width * 55 / 100)
    let glyphs: BorderGlyphs = unicode ? .unicode : .ascii
    drawStudents(&canvas, canvas.box(left, title: "Students", glyphs: glyphs, style: theme.border, titleStyle: theme.title))
    let (answers, stuck) = right.splitTop(right.height * 60 / 100)
    drawAnswers(&canvas, canvas.box(answers, title: "Answers", glyphs: glyphs, style: theme.border, titleStyle: theme.title))
    drawStuck(&canvas, canvas.box(stuck, title: "Stuck", glyphs: glyphs, style: theme.border, titleStyle: theme.title))
    let status = Rect(x: 0, y: height - 2, width: width, height: 1)
    let problems = summary.dropped + summary.refused
    let said =
      message
      ?? "\(summary.totalAnswers) answers counted\(problems > 0 ? ", \(summary.dropped) connections dropped, \(summary.refused) refused" : "")\(summary.drops.last.map { " (last: \($0))" } ?? "")"
    canvas.write(" " + said, x: 0, y: height - 2, style: theme.dim, clip: status)
    let footer = Rect(x: 0, y: height - 1, width: width, height: 1)
    canvas.fill(footer, style: theme.footer)
    canvas.write(
      " e export CSV  f follow me  \(unicode ? "←→" : "left/right") prediction  c current  \(unicode ? "↑↓" : "up/down") scroll  q quit",
      x: 0, y: height - 1,
      style: theme.footer, clip: footer)
    return canvas
  }

  private func isStuck(_ student: ClassSummary.Student) -> Bool {
    student.connected && (student.failures > 0 || student.onStep > stuckAfter)
  }

  private func drawStudents(_ canvas: inout Canvas, _ inside: Rect) {
    guard !inside.isEmpty else { return }
    // Name and lesson share what the step and time columns leave.
    let room = max(16, inside.width - 13)
    let nameWidth = min(ClassProtocol.maximumName, room / 2)
    let lessonWidth = room - nameWidth
    var lines: [StyledLine] = [[Span(fit("NAME", nameWidth) + " " + fit("LESSON", lessonWidth) + " STEP  TIME", theme.dim)]]
    let students = summary.students.sorted { ($0.connected ? 0 : 1, $0.id) < ($1.connected ? 0 : 1, $1.id) }
    for student in students.dropFirst(scroll) {
      let step = student.step.map { "\($0)/\(student.steps.map(String.init) ?? "?")" } ?? "-"
      let text =
        fit(student.name, nameWidth) + " " + fit(student.lesson ?? "-", lessonWidth) + " " + fit(step, 5) + " "
        + (student.connected ? Self.minutes(student.onStep) : "gone")
      let style = !student.connected ? theme.dim : isStuck(student) ? theme.blocked : theme.text
      lines.append([Span(text, style)])
    }
    if students.isEmpty { lines.append([Span("Nobody yet: students join with the command below.", theme.dim)]) }
    canvas.write(lines, in: inside)
  }

  private func drawAnswers(_ canvas: inout Canvas, _ inside: Rect) {
    guard !inside.isEmpty else { return }
    var lines: [StyledLine] = []
    guard let lesson = summary.lesson, let step = summary.step else {
      canvas.write([[Span("No prediction answered yet.", theme.dim)]], in: inside)
      return
    }
    let index = summary.points.firstIndex { $0.lesson == lesson && $0.step == step }
    let which = index.map { "\($0 + 1) of \(summary.points.count)" } ?? ""
    let why: String =
      switch summary.shown {
      case .chosen: "chosen (c: current)"
      case .teacher: "the teacher's step"
      case .latest, nil: "answered last"
      }
    lines.append([Span("\(lesson), step \(step)", theme.bold)])
    lines.append([Span("\(which)\(which.isEmpty ? "" : unicode ? " · " : " | ")\(why)", theme.dim)])
    lines.append([
      Span("\(summary.answered) answered, \(summary.rightCount) right", theme.text)
    ])
    let widest = max(1, summary.answers.map(\.count).max() ?? 1)
    let barRoom = max(4, inside.width - 20)
    for tally in summary.answers.prefix(max(0, inside.height - 3)) {
      let bar = String(repeating: unicode ? "█" : "#", count: max(1, tally.count * barRoom / widest))
      lines.append([
        Span(fit(tally.answer, 12) + " ", tally.right ? theme.success : theme.text),
        Span(bar, tally.right ? theme.success : theme.dim), Span(" \(tally.count)", theme.text),
      ])
    }
    canvas.write(lines, in: inside)
  }

  /// The prediction point `offset` places before (negative) or after the one shown, among those
  /// answered, in the order they were first answered; it stops at the first and the last.
  public func neighbouringPoint(_ offset: Int) -> ClassSummary.Point? {
    guard !summary.points.isEmpty else { return nil }
    let here =
      summary.points.firstIndex { $0.lesson == summary.lesson && $0.step == summary.step } ?? summary.points.count - 1
    return summary.points[min(max(0, here + offset), summary.points.count - 1)]
  }

  private func drawStuck(_ canvas: inout Canvas, _ inside: Rect) {
    guard !inside.isEmpty else { return }
    let stuck = summary.students.filter(isStuck)
    var lines: [StyledLine] = []
    for student in stuck {
      let why =
        student.failures > 0
        ? "\(student.failures) failed line\(student.failures == 1 ? "" : "s")" : "\(Self.minutes(student.onStep)) on step \(student.step ?? 0)"
      lines.append([Span(fit(student.name, 16) + " ", theme.blocked), Span(why, theme.text)])
    }
    if stuck.isEmpty {
      lines.append([Span("Nobody over \(Int(stuckAfter / 60)) min on a step, no failed lines.", theme.dim)])
    }
    canvas.write(lines, in: inside)
  }

  static func minutes(_ seconds: Double) -> String {
    let whole = max(0, Int(seconds))
    let text = "\(whole / 60):" + (whole % 60 < 10 ? "0" : "") + "\(whole % 60)"
    return text
  }
}
