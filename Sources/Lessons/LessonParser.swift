import LabScript

/// Reads a lesson file: front matter, then steps (`## ` headings) with prose, ```lab blocks of
/// call lines, and notes (`Hint:`, `Predict:`, `Answer:`, `Explain:`, `Why ERRNO:`, `Layers:`,
/// `Elsewhere:`). Every problem is reported with its place and how to fix it.
public enum LessonParser {
  /// The front matter keys, in the order a lesson writes them.
  public static let requiredKeys = ["id", "title", "summary", "level", "actors", "prerequisites", "time"]
  /// Keys a lesson may leave out.
  public static let optionalKeys = ["group", "hosts", "wire"]

  /// Where each front matter key was written, for pointing at it.
  public struct FrontMatterLines: Sendable, Equatable {
    public var lines: [String: Int] = [:]
  }

  /// The longest line a lesson file may have, in bytes.
  public static let maximumLineLength = 4096

  /// Parses `text` (the contents of `file`); the lesson is nil when it cannot be used at all.
  /// An `outline` reads only what the lesson picker shows: the front matter, the introduction and
  /// the steps' titles, not their lines of the call language (a tenth of the work).
  public static func parse(_ text: String, file: String, outline: Bool = false) -> (Lesson?, FrontMatterLines, [ScriptError]) {
    // Split on bytes: grapheme-by-grapheme splitting of a whole lesson is the slowest part of reading it.
    let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
      String(decoding: $0, as: UTF8.self)
    }
    // A line is drawn on every frame: a megabyte-long word or heading would stall the player.
    let long = lines.indices.filter { lines[$0].utf8.count > maximumLineLength }
    if !long.isEmpty {
      let problems = long.map { index in
        ScriptError(
          "the line is \(lines[index].utf8.count) bytes long; a lesson's lines may have \(maximumLineLength)", at: SourceLocation(line: index + 1, column: 1),
          hint: "break it into several lines (Markdown joins the lines of a paragraph)", file: file)
      }
      return (nil, FrontMatterLines(), problems)
    }
    var reader = LessonReader(lines: lines, file: file)
    let lesson = reader.read(outline: outline)
    return (lesson, reader.frontMatterLines, reader.problems)
  }
}

/// The panes a presentation layout may show.
public enum PresentationPanes {
  public static let all = ["lesson", "code", "sockets", "address", "log"]
}

private let noteKeywords = ["Hint", "Predict", "Answer", "Explain", "Layers", "Elsewhere", "Outside", "Hide", "Notes", "Layout"]

/// One note of a step, as written.
private struct Note {
  var keyword: String
  var text: String
  var line: Int
  /// Column where the note's text starts (after `Keyword: `).
  var column: Int
}

private struct RawStep {
  var title: String
  var line: Int
  var prose: [String] = []
  var labLines: [(text: String, line: Int)] = []
  var notes: [Note] = []
}

private struct LessonReader {
  let lines: [String]
  let file: String
  var problems: [ScriptError] = []
  var frontMatterLines = LessonParser.FrontMatterLines()

  init(lines: [String], file: String) {
    self.lines = lines
    self.file = file
  }

  mutating func problem(_ message: String, line: Int, column: Int = 1, hint: String) {
    problems.append(ScriptError(message, at: SourceLocation(line: line, column: column), hint: hint, file: file))
  }

  mutating func read(outline: Bool = false) -> Lesson? {
    guard let (fields, bodyStart) = frontMatter() else { return nil }
    let (introduction, rawSteps) = body(from: bodyStart)
    let actors = list(fields["actors"])
    let hosts = list(fields["hosts"])
    for host in hosts where !actors.contains(host) {
      problem(
        "host \(host) is not one of the actors", line: frontMatterLines.lines["hosts"] ?? 1,
        hint: "each host is an actor that runs on it: hosts: client, server (now actors: \(actors.joined(separator: ", ")))")
    }
    let wireOnLoopback = fields["wire"] == "loopback"
    if let wire = fields["wire"], wire != "loopback" {
      problem(
        "wire: \(wire) is not a kind of wire", line: frontMatterLines.lines["wire"] ?? 1,
        hint: "`wire: loopback` lets the actors share a host whose loopback the Wire pane shows; hosts of their own are `hosts: client, server`")
    } else if wireOnLoopback, !hosts.isEmpty {
      problem(
        "both hosts: and wire: loopback", line: frontMatterLines.lines["wire"] ?? 1,
        hint: "choose one: hosts of their own (hosts:), or one shared host whose loopback is watched (wire: loopback)")
    }
    var known = Parser.builtins
    var steps: [Step] = []
    for raw in rawSteps {
      steps.append(
        outline
          ? Step(title: raw.title, prose: "", line: raw.line)
          : step(raw, actors: actors, hosts: hosts, loopbackWire: wireOnLoopback, known: &known))
    }
    if rawSteps.isEmpty {
      problem(
        "the lesson has no steps", line: max(1, bodyStart), hint: "start each step with a heading line such as `## Make a socket`"
      )
    }
    let level = fields["level"].flatMap { Lesson.Level(rawValue: $0) }
    return Lesson(
      id: fields["id"] ?? "", title: fields["title"] ?? "", summary: fields["summary"] ?? "", level: level ?? .beginner,
      actors: actors, prerequisites: fields["prerequisites"] == "none" ? [] : list(fields["prerequisites"]),
      group: fields["group"].flatMap { $0.isEmpty ? nil : $0 }, minutes: minutes(fields["time"]) ?? 0, number: fileNumber ?? 0,
      file: file, introduction: introduction, steps: steps, isOutline: outline, hosts: hosts, wireOnLoopback: wireOnLoopback)
  }

  private var fileNumber: Int? {
    let name = file.split(separator: "/").last.map(String.init) ?? file
    let digits = name.prefix { $0.isNumber }
    guard !digits.isEmpty, name.dropFirst(digits.count).first == "-" else { return nil }
    return Int(digits)
  }

  // MARK: - Front matter

  private mutating func frontMatter() -> ([String: String], Int)? {
    guard lines.first?.trimmingSpaces() == "---" else {
      problem(
        "a lesson starts with front matter between two --- lines", line: 1,
        hint: "begin the file with ---, then id:, title:, summary:, level:, actors:, prerequisites:, time:, then ---")
      return nil
    }
    guard let end = lines.indices.dropFirst().first(where: { lines[$0].trimmingSpaces() == "---" }) else {
      problem("the front matter is never closed", line: 1, hint: "add a line with --- after the last key")
      return nil
    }
    var fields: [String: String] = [:]
    for index in 1..<end {
      let text = lines[index]
      if text.trimmingSpaces().isEmpty || text.hasPrefix("#") { continue }
      guard let colon = text.firstIndex(of: ":") else {
        problem("expected `key: value`", line: index + 1, hint: "front matter lines look like `title: A TCP conversation`")
        continue
      }
      let key = String(text[..<colon]).trimmingSpaces()
      let value = String(text[text.index(after: colon)...]).trimmingSpaces()
      guard LessonParser.requiredKeys.contains(key) || LessonParser.optionalKeys.contains(key) else {
        problem(
          "unknown front matter key \(key)", line: index + 1,
          hint: "the keys are \(LessonParser.requiredKeys.joined(separator: ", ")), and optionally \(LessonParser.optionalKeys.joined(separator: ", "))")
        continue
      }
      fields[key] = value
      frontMatterLines.lines[key] = index + 1
    }
    for key in LessonParser.requiredKeys where (fields[key] ?? "").isEmpty {
      problem("the front matter has no \(key)", line: end + 1, hint: "add a line such as `\(example(key))` before this ---")
    }
    if let id = fields["id"], !id.isEmpty, !id.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) {
      problem(
        "the id \(id) has characters other than a-z, 0-9 and -", line: frontMatterLines.lines["id"]!, column: 5,
        hint: "use lowercase words joined by hyphens, such as tcp-conversation")
    }
    if let level = fields["level"], !level.isEmpty, Lesson.Level(rawValue: level) == nil {
      problem(
        "unknown level \(level)", line: frontMatterLines.lines["level"]!, column: 8,
        hint: "write one of \(Lesson.Level.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    if let time = fields["time"], !time.isEmpty, minutes(time) == nil {
      problem(
        "cannot read the time \"\(time)\"", line: frontMatterLines.lines["time"]!, column: 7,
        hint: "write minutes, such as `time: 15 min`")
    }
    if fileNumber == nil {
      problem(
        "the file name does not start with the lesson's number", line: 1,
        hint: "name it like 04-closing-well.md so that lessons sort in order")
    }
    return (fields, end + 1)
  }

  private func example(_ key: String) -> String {
    switch key {
    case "id": return "id: tcp-conversation"
    case "title": return "title: A TCP conversation"
    case "summary": return "summary: The whole client/server sequence, one real call at a time."
    case "level": return "level: beginner"
    case "actors": return "actors: server, client"
    case "prerequisites": return "prerequisites: none"
    default: return "time: 15 min"
    }
  }

  private func list(_ value: String?) -> [String] {
    (value ?? "").split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
  }

  private func minutes(_ value: String?) -> Int? {
    guard let value else { return nil }
    let digits = value.prefix { $0.isNumber }
    let rest = String(value.dropFirst(digits.count)).trimmingSpaces()
    guard let number = Int(digits), ["", "min", "mins", "minutes", "minute"].contains(rest) else { return nil }
    return number
  }

  // MARK: - Body

  private mutating func body(from start: Int) -> (String, [RawStep]) {
    var introduction: [String] = []
    var steps: [RawStep] = []
    var fence: String?
    var noteOpen = false
    var index = start
    while index < lines.count {
      let text = lines[index]
      let number = index + 1
      index += 1
      let trimmed = text.trimmingSpaces()
      if let open = fence {
        if trimmed == "```" {
          if open != "lab" { appendProse(text, to: &steps, introduction: &introduction) }
          fence = nil
        } else if open == "lab" {
          steps[steps.count - 1].labLines.append((text, number))
        } else {
          appendProse(text, to: &steps, introduction: &introduction)
        }
        continue
      }
      if text.hasPrefix("## ") {
        steps.append(RawStep(title: String(text.dropFirst(3)).trimmingSpaces(), line: number))
        noteOpen = false
        continue
      }
      if text.hasPrefix("# ") && steps.isEmpty { continue }  // the lesson's own title line
      if trimmed.hasPrefix("```") {
        let info = String(trimmed.dropFirst(3)).trimmingSpaces()
        noteOpen = false
        if info == "lab" && steps.isEmpty {
          problem("a lab block before the first step", line: number, hint: "put it under a `## ` step heading")
        }
        fence = info == "lab" && steps.isEmpty ? "text" : info
        if fence != "lab" { appendProse(text, to: &steps, introduction: &introduction) }
        continue
      }
      if trimmed.isEmpty {
        noteOpen = false
        appendProse(text, to: &steps, introduction: &introduction)
        continue
      }
      if let note = note(in: text, line: number) {
        if steps.isEmpty {
          problem("a \(note.keyword): note before the first step", line: number, hint: "put it under the step it belongs to")
        } else {
          steps[steps.count - 1].notes.append(note)
          noteOpen = true
        }
        continue
      }
      if noteOpen {
        steps[steps.count - 1].notes[steps[steps.count - 1].notes.count - 1].text += "\n" + trimmed
        continue
      }
      appendProse(text, to: &steps, introduction: &introduction)
    }
    if fence != nil {
      problem("a ``` block is never closed", line: lines.count, hint: "add a line with ``` after the block")
    }
    return (tidy(introduction), steps)
  }

  private func appendProse(_ text: String, to steps: inout [RawStep], introduction: inout [String]) {
    if steps.isEmpty { introduction.append(text) } else { steps[steps.count - 1].prose.append(text) }
  }

  private func note(in text: String, line: Int) -> Note? {
    // Notes start with a capital letter; most prose lines are rejected on their first byte.
    guard let first = text.utf8.first, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first),
      let colonByte = text.utf8.firstIndex(of: UInt8(ascii: ":")),
      text.utf8.distance(from: text.utf8.startIndex, to: colonByte) <= 40
    else { return nil }
    let colon = colonByte
    let keyword = String(text[..<colon])
    let isWhy =
      keyword.hasPrefix("Why ") && keyword.dropFirst(4).allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" }
      && keyword.count > 4
    guard noteKeywords.contains(keyword) || isWhy else { return nil }
    let rest = text[text.index(after: colon)...]
    let leading = rest.prefix { $0 == " " }.count
    return Note(keyword: keyword, text: String(rest).trimmingSpaces(), line: line, column: keyword.count + 2 + leading)
  }

  private func tidy(_ lines: [String]) -> String {
    var lines = lines
    while lines.first?.trimmingSpaces().isEmpty == true { lines.removeFirst() }
    while lines.last?.trimmingSpaces().isEmpty == true { lines.removeLast() }
    return lines.joined(separator: "\n")
  }

  // MARK: - Steps

  private mutating func step(
    _ raw: RawStep, actors: [String], hosts: [String], loopbackWire: Bool, known: inout Set<String>
  ) -> Step {
    if raw.title.isEmpty { problem("a step without a title", line: raw.line, hint: "write the step's title after ##") }
    let prose = tidy(raw.prose)
    if prose.isEmpty {
      problem(
        "the step \"\(raw.title)\" has no prose", line: raw.line, hint: "explain in a sentence or two what the step does and why")
    }
    var statements: [Statement] = []
    for (text, line) in raw.labLines {
      do {
        guard var statement = try Parser.parseLine(text, line: line, known: &known) else { continue }
        if statement.actor == nil, actors.count == 1 { statement.actor = actors[0] }
        if statement.actor == WireLanguage.actor {
          if loopbackWire {
            if statement.expression.callName == "wire:" {
              problem(
                "a wire command in a lesson that only watches its loopback", line: line, column: statement.location.column,
                hint: "a loopback cannot be made to drop or delay: give the actors hosts of their own with `hosts: client, server`")
            } else if statement.expectation == .prediction {
              problem(
                "a prediction on a wire line in a lesson whose wire is optional", line: line, column: statement.location.column,
                hint: "where the lab cannot make its host, the lesson's wire lines are left out: ask the prediction on a call")
            }
          } else if hosts.isEmpty {
            problem(
              "a wire line in a lesson without hosts", line: line, column: statement.location.column,
              hint: "add `hosts: client, server` to the front matter (the wire runs between the lesson's own hosts), or `wire: loopback` to watch the loopback")
          }
        } else if let actor = statement.actor, !actors.contains(actor) {
          problem(
            "actor \(actor) is not declared", line: line, column: statement.location.column,
            hint: "add it to `actors:` in the front matter (now: \(actors.joined(separator: ", ")))")
        } else if statement.actor == nil {
          problem(
            "which actor runs this line?", line: line, column: statement.location.column,
            hint: "start it with one of \(actors.map { "\($0):" }.joined(separator: " "))")
        }
        statements.append(statement)
      } catch {
        var located = error
        located.file = file
        problems.append(located)
      }
    }
    var notes: [String: Note] = [:]
    var whys: [String: String] = [:]
    for note in raw.notes {
      if note.keyword.hasPrefix("Why ") {
        whys[String(note.keyword.dropFirst(4))] = note.text
      } else if notes[note.keyword] != nil {
        problem("a second \(note.keyword): note in one step", line: note.line, hint: "join them into one")
      }
      if note.text.isEmpty {
        problem("the \(note.keyword): note is empty", line: note.line, hint: "write its text after the colon")
      }
      notes[note.keyword] = note
    }
    let prediction = predictionPoint(raw, notes: notes, statements: &statements, known: known)
    let outsideLines = statements.filter { $0.actor == Lesson.outsideActor }
    if let first = outsideLines.first, notes["Outside"] == nil {
      problem(
        "outside: lines but no Outside: note", line: first.location.line,
        hint: "add `Outside: nc 127.0.0.1 PORT`, the command a learner runs in another terminal to play this part")
    }
    if outsideLines.isEmpty, let note = notes["Outside"] {
      problem(
        "an Outside: note but no outside: lines", line: note.line,
        hint: "add the lines (actor outside:) that stand in for the outside program when nobody runs it")
    }
    checkWhys(raw, whys: whys, notes: raw.notes.filter { $0.keyword.hasPrefix("Why ") }, statements: statements)
    if let hide = notes["Hide"], prediction == nil {
      problem(
        "a Hide: note but no prediction point", line: hide.line,
        hint: "Hide: names what the panes keep hidden while a prediction is asked; give the step a `= ?` line, or drop the note")
    }
    var presentation: [String] = []
    if let layout = notes["Layout"] {
      presentation = layout.text.split(separator: ",").map { String($0).trimmingSpaces().lowercased() }.filter { !$0.isEmpty }
      for pane in presentation where !PresentationPanes.all.contains(pane) {
        problem(
          "Layout: names an unknown pane \(pane)", line: layout.line,
          hint: "name one or two of \(PresentationPanes.all.joined(separator: ", ")), such as `Layout: code, sockets`")
      }
    }
    var step = Step(
      title: raw.title, prose: prose, statements: statements, hint: notes["Hint"]?.text, prediction: prediction, whys: whys,
      layers: notes["Layers"]?.text, elsewhere: notes["Elsewhere"]?.text, outside: notes["Outside"]?.text,
      hide: notes["Hide"].map { $0.text.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty } } ?? [],
      line: raw.line)
    step.notes = notes["Notes"]?.text
    step.presentation = presentation
    return step
  }

  private mutating func predictionPoint(
    _ raw: RawStep, notes: [String: Note], statements: inout [Statement], known: Set<String>
  )
    -> Prediction?
  {
    let points = statements.indices.filter { statements[$0].expectation == .prediction }
    if points.count > 1 {
      let second = statements[points[1]]
      problem(
        "a step can have only one prediction point (= ?)", line: second.location.line,
        hint: "move this line to a step of its own")
    }
    guard let index = points.first else {
      for keyword in ["Predict", "Answer", "Explain"] {
        if let note = notes[keyword] {
          problem(
            "a \(keyword): note but no line ends in = ?", line: note.line, hint: "end the line the learner predicts with `= ?`")
        }
      }
      return nil
    }
    let point = statements[index]
    for (keyword, example) in [
      ("Predict", "Predict: How many bytes does this recv() return?"), ("Answer", "Answer: 6"),
      ("Explain", "Explain: TCP is a stream, so ..."),
    ]
    where notes[keyword] == nil {
      problem(
        "the prediction point has no \(keyword): note", line: point.location.line, column: point.expectationLocation?.column ?? 1,
        hint: "add a line such as `\(example)` after the lab block")
    }
    guard let question = notes["Predict"], let answer = notes["Answer"], let explanation = notes["Explain"] else { return nil }
    do {
      let first = Prediction.alternatives(answer.text).first ?? answer.text
      statements[index].answer = try Parser.parseAnswer(first, for: point, line: answer.line, column: answer.column, known: known)
    } catch {
      var located = error
      located.file = file
      problems.append(located)
    }
    return Prediction(question: question.text, answer: answer.text, explanation: explanation.text, statementIndex: index)
  }

  /// Every errno a step expects needs a `Why ERRNO:` note, and every such note an errno to explain.
  private mutating func checkWhys(_ raw: RawStep, whys: [String: String], notes: [Note], statements: [Statement]) {
    var expected: Set<String> = []
    for statement in statements {
      for expectation in [statement.expectation, statement.answer] {
        let name: String
        switch expectation {
        case .error(let errno)?, .failure(_, let errno)?: name = errno
        default: continue
        }
        expected.insert(name)
        if whys[name] == nil {
          let place = statement.expectationLocation ?? statement.location
          problem(
            "no Why \(name): note for the \(name) this line expects", line: place.line, column: place.column,
            hint: "add `Why \(name): ` with why the kernel answers \(name) and how to avoid it")
        }
      }
    }
    for note in notes where !expected.contains(String(note.keyword.dropFirst(4))) {
      problem(
        "\(note.keyword): but no line of this step expects \(note.keyword.dropFirst(4))", line: note.line,
        hint: "move the note to the step whose line gives that errno, or correct the name")
    }
  }
}
