import LabEngine
import LabScript
import LabShare
import Lessons

/// What a student's lab has told the class so far, to send only what is new.
struct ClassReport {
  var lesson: String?
  var step = -1
  var predictions = 0
  var failedLines: Set<Int> = []
}

extension LabApp {
  /// Tells the class hub what changed: the position, new prediction answers, new failed lines.
  /// Events only: no code and no keys leave the lab.
  func publishClass() {
    guard let classLink, let run = state.run, state.freePlay == nil else { return }
    var report = classReport
    let lesson = run.lesson.id
    if report.lesson != lesson {
      report = ClassReport(lesson: lesson)
      report.predictions = run.predictions.count
    }
    if report.step != run.stepIndex {
      classLink.position(lesson: lesson, step: run.stepIndex + 1, steps: run.lesson.steps.count)
      report.step = run.stepIndex
    }
    if run.predictions.count > report.predictions {
      for record in run.predictions[report.predictions...] {
        classLink.answer(lesson: lesson, step: record.step + 1, answer: record.guess, right: record.right)
      }
    }
    report.predictions = run.predictions.count
    for (line, lineState) in run.lineStates where !report.failedLines.contains(line) {
      guard case .done(let outcome) = lineState, outcome.verdict.isFailure else { continue }
      report.failedLines.insert(line)
      let step = run.stepRanges.firstIndex { $0.contains(line) } ?? run.stepIndex
      classLink.failed(lesson: lesson, step: step + 1, line: run.statements[line].source)
    }
    classReport = report
  }

  /// A "follow me" from the teacher: offered, never forced (F follows, anything else stays).
  func takeFollowRequest() {
    guard let classLink, let request = classLink.takeFollow(), let run = state.run, request.lesson == run.lesson.id,
      (1...run.lesson.steps.count).contains(request.step), request.step != run.stepIndex + 1
    else { return }
    state.player.followOffer = request.step - 1
    state.player.message = "The teacher asks the class to go to step \(request.step): press F to follow, or go on as you are."
  }
}
