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
  init(width: Int, height: Int, zoomed: Pane?, socketRows: Int) {
    let screen = Rect(x: 0, y: 0, width: width, height: height)
    header = Rect(x: 0, y: 0, width: width, height: 1)
    status = Rect(x: 0, y: height - 2, width: width, height: 1)
    footer = Rect(x: 0, y: height - 1, width: width, height: 1)
    let body = Rect(x: 0, y: 1, width: screen.width, height: height - 3)
    if let zoomed {
      panes = [zoomed: body]
      return
    }
    let leftWidth = Self.leftWidth(for: width)
    let (left, right) = body.splitLeft(leftWidth)
    let lessonHeight = left.height * 55 / 100
    let (lesson, code) = left.splitTop(lessonHeight)
    let addressHeight = body.height >= 30 ? 10 : 8
    let socketsHeight = min(max(socketRows + 3, 5), (right.height - addressHeight) * 55 / 100)
    let parts = right.rows([socketsHeight, addressHeight, 0])
    panes = [.lesson: lesson, .code: code, .sockets: parts[0], .address: parts[1], .log: parts[2]]
  }
}
