import Foundation
import LabEngine
import LabUI
import Lessons
import TerminalUI
import Testing

/// A lab driven by keys and rendered on an in-memory canvas, as the terminal would show it.
final class Harness {
  let app: LabApp
  var width: Int
  var height: Int

  init(width: Int = 100, height: Int = 30, theme: Theme = Theme.named("default")!, unicode: Bool = true) throws {
    let library = try LessonLibrary.load(Live.LessonChecks.lessonsFolder)
    app = LabApp(library: library, progressStore: nil, theme: theme, unicode: unicode)
    self.width = width
    self.height = height
  }

  @discardableResult
  func press(_ keys: Key...) -> Harness {
    for key in keys {
      app.handle(key)
      app.tick()
    }
    return self
  }

  func type(_ text: String) -> Harness {
    for character in text { app.handle(.character(character)) }
    return self
  }

  var screen: [String] { app.render(width: width, height: height, now: 0).lines }
  var text: String { screen.joined(separator: "\n") }
}

extension Live {
  @Suite("The player's screens") struct PlayerScreens {
    @Test func openingTheFirstLessonShowsItsFirstStep() throws {
      let lab = try Harness()
      lab.press(.enter)
      #expect(lab.text.contains("Step 1 of 15: A socket for the server"), "\(lab.text)")
    }
  }
}
