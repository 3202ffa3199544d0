import LabEngine
import LabShare
import LabUI
import Lessons
import NcursesBackend
import TerminalUI

#if canImport(Glibc)
  import Glibc
#endif

/// The terminal's run loop: one thread owns the terminal and waits in poll() on its input and on
/// a wake-up pipe the engine writes to, with a timeout for the periodic kernel sample. No busy
/// loop, no sleeps.
enum Interactive {
  /// How long to wait for input when nothing runs: the kernel sample refreshes this often.
  static let idleRefresh: Int32 = 1000
  /// While a call runs or blocks, so that spinners and timers move.
  static let busyRefresh: Int32 = 100

  /// `start` runs once the app exists, before the first frame (to open free play, say).
  static func run(
    library: LessonLibrary, store: ProgressStore, theme: Theme, configuration: SessionConfiguration, notice: String? = nil,
    whole: (@Sendable () -> LessonLibrary?)? = nil, start: (LabApp) -> Void = { _ in }
  ) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else {
      printError("socklab: cannot create the wake-up pipe: \(String(cString: strerror(errno)))")
      return
    }
    let (readEnd, writeEnd) = (fds[0], fds[1])
    for fd in fds {
      _ = fcntl(fd, F_SETFL, O_NONBLOCK)
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    defer {
      close(readEnd)
      close(writeEnd)
    }
    let terminal = NcursesTerminal(wakeDescriptor: writeEnd)
    let app = LabApp(
      library: library, progressStore: store, theme: theme, unicode: terminal.unicode, configuration: configuration,
      clock: { Double(time(nil)) },
      wake: {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
      })
    // The presenter's notes attach here (socklab notes), opened after the first frame; a second
    // lab leaves the first its feed.
    var feed: PresenterFeed?
    var feedPending = true
    defer {
      app.shutdown()
      feed?.close()
      terminal.restore()
    }
    app.performsIOInBackground = true
    app.historyStore = HistoryStore(path: HistoryStore.defaultPath())
    // The disk is written off this thread; the writer wakes the run loop when a save is done.
    app.writer = StateWriter(progress: store, history: app.historyStore) {
      var byte: UInt8 = 1
      _ = write(writeEnd, &byte, 1)
    }
    if let notice, app.notice == nil { app.notice = notice }
    start(app)
    var previous: Canvas?
    var previousSize = (width: 0, height: 0)
    var wholeLessons = whole
    // Rendering is skipped when nothing happened: an idle second with an unchanged kernel state
    // costs one sample and no drawing.
    var needsRender = true
    while !app.wantsToQuit && !terminal.stopRequested {
      let (width, height) = terminal.size
      if needsRender || previous == nil || previousSize != (width, height) {
        let canvas = app.render(width: width, height: height)
        if canvas != previous {
          terminal.draw(canvas)
          previous = canvas
        }
        previousSize = (width, height)
      }
      // Once the first frame is up, the lessons are read whole.
      if let read = wholeLessons {
        app.loadLessons(read)
        wholeLessons = nil
      }
      if feedPending {
        feedPending = false
        feed = PresenterFeed.open(folder: StatePaths.current().runtime).0
        app.presenter = feed
        app.publishPresenterNow()
      }
      var waits = [
        pollfd(fd: terminal.inputDescriptor, events: Int16(POLLIN), revents: 0),
        pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0),
      ]
      _ = poll(&waits, 2, app.isBusy ? busyRefresh : idleRefresh)
      needsRender = waits[1].revents != 0
      var drain = [UInt8](repeating: 0, count: 64)
      while read(readEnd, &drain, drain.count) > 0 {}
      while let key = terminal.nextKey() {
        needsRender = true
        if key == .resize {
          terminal.invalidate()
          previous = nil
        } else {
          app.handle(key)
        }
        if app.wantsToQuit { break }
      }
      if app.tick() { needsRender = true }
    }
  }
}
