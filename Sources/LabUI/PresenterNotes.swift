import FoundationEssentials
import LabEngine
import LabScript
import LabShare
import Lessons

/// The lab's half of the presenter's notes: from the player's state, what `socklab notes` shows,
/// sent only when it changed.
struct PresenterTimes {
  var lessonID: String?
  var step = -1
  var stepStarted = 0.0
  var lessonStarted = 0.0
  var stepSeconds: [Double] = []
  var last: PresenterSnapshot?
}

extension LabApp {
  /// Sends the current position at once (a feed opened after the lesson was).
  public func publishPresenterNow() { publishPresenter() }

  /// Sends the notes screen where the lesson is, if it moved.
  func publishPresenter() {
    guard let presenter, let run = state.run else { return }
    let now = Date().timeIntervalSince1970
    var times = presenterTimes
    if times.lessonID != run.lesson.id {
      times = PresenterTimes(
        lessonID: run.lesson.id, step: run.stepIndex, stepStarted: now, lessonStarted: now,
        stepSeconds: Array(repeating: 0, count: run.lesson.steps.count))
    } else if times.step != run.stepIndex {
      // The time spent on the step just left, added to any earlier visit.
      if times.stepSeconds.indices.contains(times.step) { times.stepSeconds[times.step] += now - times.stepStarted }
      times.step = run.stepIndex
      times.stepStarted = now
    }
    let snapshot = Self.presenterSnapshot(run, times)
    if snapshot != times.last {
      presenter.publish(snapshot)
      times.last = snapshot
    }
    presenterTimes = times
  }

  static func presenterSnapshot(_ run: LessonState, _ times: PresenterTimes) -> PresenterSnapshot {
    let step = run.step
    var nextLine: String?
    var expected: String?
    if let index = run.pendingStatement {
      let statement = run.statements[index]
      let source = statement.source
      if let equals = source.lastIndex(of: "="), statement.expectation != nil,
        source[source.index(after: equals)...].first == " "
      {
        nextLine = "\(statement.actorName): " + String(source[..<equals]).trimmingSpaces()
        expected = String(source[source.index(after: equals)...]).trimmingSpaces()
        if statement.expectation == .prediction { expected = "? (the class predicts)" }
      } else {
        nextLine = "\(statement.actorName): \(source)"
      }
    }
    let following = run.stepIndex + 1 < run.lesson.steps.count ? run.lesson.steps[run.stepIndex + 1].title : nil
    return PresenterSnapshot(
      lessonID: run.lesson.id, lesson: run.lesson.title, step: run.stepIndex + 1, steps: run.lesson.steps.count,
      stepTitle: step.title, notes: step.notes, nextLine: nextLine, expected: expected, answer: step.prediction?.answer,
      nextStep: following, stepStarted: times.stepStarted, lessonStarted: times.lessonStarted, stepSeconds: times.stepSeconds)
  }
}
