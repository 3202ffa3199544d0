import Lessons
import TerminalUI

/// Where each part of the player goes for a terminal of a given size.
struct PlayerLayout {
  var header: Rect
  var panes: [Pane: Rect]
  var status: Rect
  var footer: Rect

  /// The smallest terminal the lab lays out in.
  static let minimumWidth = 80
  static let minimumHeight = 24

  static func leftWidth(for width: Int) -> Int { width >= 110 ? width * 46 / 100 : max(36, width - 38) }

  /// The width inside the right column's borders (where the sockets table goes).
  static func rightInnerWidth(for width: Int) -> Int { width - leftWidth(for: width) - 2 }

  /// Wide terminals put the panes in two even columns; at 80 columns the lesson column is
  /// narrower so the sockets table keeps room.
  /// The Address pane's height for a body of `height` rows.
  static func addressHeight(body height: Int) -> Int { height >= 30 ? 10 : 8 }

  /// The most rows the Sockets pane may have inside its borders, leaving the Log four.
  static func socketsBudget(height: Int, statusRows: Int = 1) -> Int {
    let body = height - 2 - statusRows
    return body - addressHeight(body: body) - 4 - 2
  }

  /// `pinnedRows`: what the Lesson pane must show whole below its text (an Explain, a why); the
  /// pane grows for it, down to a Code pane of six rows. `statusRows`: one, or two for a long
  /// status line.
  /// `presentation`: the presentation layout's panes (one or two, side by side, the whole height).
  init(
    width: Int, height: Int, zoomed: Pane?, socketRows: Int, pinnedRows: Int = 0, statusRows: Int = 1,
    presentation: [Pane]? = nil, wire: Bool = false
  ) {
    let screen = Rect(x: 0, y: 0, width: width, height: height)
    header = Rect(x: 0, y: 0, width: width, height: 1)
    status = Rect(x: 0, y: height - 1 - statusRows, width: width, height: statusRows)
    footer = Rect(x: 0, y: height - 1, width: width, height: 1)
    let body = Rect(x: 0, y: 1, width: screen.width, height: height - 2 - statusRows)
    if let zoomed {
      panes = [zoomed: body]
      return
    }
    if let presentation, !presentation.isEmpty {
      let shown = Array(presentation.prefix(2))
      if shown.count == 1 {
        panes = [shown[0]: body]
      } else {
        let (left, right) = body.splitLeft(width / 2)
        panes = [shown[0]: left, shown[1]: right]
      }
      return
    }
    let leftWidth = Self.leftWidth(for: width)
    let (left, right) = body.splitLeft(leftWidth)
    let usual = left.height * 55 / 100
    // The pinned part, a line of its separator, the step's title and the borders.
    let lessonHeight = max(usual, min(pinnedRows + 5, left.height - 6))
    let (lesson, code) = left.splitTop(lessonHeight)
    if wire {
      // On hosts, the Wire pane takes the Address pane's place and most of the column: the
      // segments are what the lesson is about (z on the Sockets pane still shows every socket).
      let log = max(5, right.height * 22 / 100)
      let sockets = max(5, min(socketRows + 3, right.height * 30 / 100))
      let parts = right.rows([sockets, right.height - sockets - log, 0])
      panes = [.lesson: lesson, .code: code, .sockets: parts[0], .wire: parts[1], .log: parts[2]]
      return
    }
    var addressHeight = Self.addressHeight(body: body.height)
    if socketRows + 2 > right.height - addressHeight - 4 {
      // Every socket stays in view: the Address pane gives up its rows (z still shows it).
      addressHeight = max(0, right.height - 4 - (socketRows + 2))
      if addressHeight < 5 { addressHeight = 0 }
    }
    let roomy = (right.height - addressHeight) * 55 / 100
    let socketsHeight = min(max(socketRows + 3, 5), max(roomy, right.height - addressHeight - 4))
    let parts = right.rows([socketsHeight, addressHeight, 0])
    panes = [.lesson: lesson, .code: code, .sockets: parts[0], .log: parts[2]]
    if addressHeight > 0 { panes[.address] = parts[1] }
  }
}

/// The presentation layout: fewer, larger panes, chosen per step by the lesson (`Layout: code,
/// sockets`) or by the key P.
enum PresentationLayout {
  /// What P cycles through after the step's own choice.
  static let choices: [[Pane]] = [[.code, .sockets], [.lesson, .code], [.code, .log], [.code, .wire]]

  /// The panes of presentation choice `index` (0: off, 1: the step's own) for `step`.
  static func panes(_ index: Int, step: Step, wire: Bool = false) -> [Pane]? {
    guard index > 0 else { return nil }
    let offered = wire ? choices : choices.filter { !$0.contains(.wire) }
    if index == 1 {
      let own = step.presentation.compactMap { name in Pane.allCases.first { $0.rawValue.lowercased() == name } }
      return own.isEmpty ? (wire ? [.code, .wire] : offered[0]) : own
    }
    return offered[min(index - 1, offered.count - 1)]
  }

  /// How many choices P cycles through (before off).
  static func count(wire: Bool) -> Int { wire ? choices.count : choices.count - 1 }
}
