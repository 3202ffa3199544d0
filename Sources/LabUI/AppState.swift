import LabEngine
import LabExport
import LabScript
import Lessons
import SocketKit
import TerminalUI

/// The panes of the player, in the order Tab visits them.
public enum Pane: String, Sendable, CaseIterable {
  case lesson = "Lesson"
  case code = "Code"
  case sockets = "Sockets"
  case address = "Address"
  case log = "Log"
  case wire = "Wire"
}

/// The learner's answer being typed at a prediction point.
public struct PredictionPrompt: Sendable, Equatable {
  public var statement: Int
  public var text = ""
}

/// Everything the lab shows, as a value. `Update` changes it in answer to messages and says what
/// I/O to do as effects; views draw it; only the run loop (`LabApp`) performs effects.
public struct AppState: Sendable {
  public enum Screen: Sendable, Equatable { case picker, player }

  public var library: LessonLibrary
  public var theme: Theme
  public let unicode: Bool
  public var screen: Screen = .picker
  public var selection = 0
  public var showHelp = false
  /// The "layers" view: the next line's call as POSIX, OpenSSL BIO and kernel.
  public var showLayers = false
  /// Set when the learner quits; the run loop ends.
  public var wantsToQuit = false
  public var progress: LearnerProgress
  /// Said once at the top of the picker (an unreadable progress file, say).
  public var notice: String?
  /// Why the last save of progress failed; shown until a later save succeeds.
  public var saveProblem: String?
  /// Where `x` and `:export NAME` write C programs.
  public var exportsFolder: String
  /// The open lesson as the engine last reported it.
  public var run: LessonState?
  /// What the player shows of it: focus, zoom, scrolling, the prompt, the status message.
  public var player = PlayerUI()
  /// The free-play prompt, while free play is open.
  public var freePlay: FreePlayState?
  /// Why lessons with hosts cannot build them on this machine (nil when they can).
  public var hostsProblem: LessonState.WireProblem?

  public init(library: LessonLibrary, theme: Theme, unicode: Bool, progress: LearnerProgress, exportsFolder: String) {
    self.library = library
    self.theme = theme
    self.unicode = unicode
    self.progress = progress
    self.exportsFolder = exportsFolder
    if let last = progress.lastLesson, let index = library.lessons.firstIndex(where: { $0.id == last }) { selection = index }
  }

  public var glyphs: BorderGlyphs { unicode ? .unicode : .ascii }
}

/// The player's own state, beside the engine's.
public struct PlayerUI: Sendable, Equatable {
  public var focus: Pane = .lesson
  public var zoomed: Pane?
  /// The presentation layout (key P): 0 off, 1 the step's own (its Layout: note, or Code and
  /// Sockets), 2 and 3 the other pairs a talk uses.
  public var presenting = 0
  public var scroll: [Pane: Int] = [:]
  public var showHint = false
  public var prompt: PredictionPrompt?
  /// A line for the status bar: what just happened, or why a key did nothing.
  public var message: String?
  /// `g`: the step number being typed.
  public var goTo: String?
  /// A step the teacher asked the class to go to (0 is the first); F accepts it.
  public var followOffer: Int?
  /// Offered when a lesson opens where the learner left it: the step to resume at.
  public var resumeAt: Int?
  /// The Wire pane's selected segment (its index on the wire), and whether it is opened into
  /// its header fields; ARP is shown only when asked (key a in the Wire pane).
  public var wireSelection: Int?
  public var wireExpanded = false
  public var wireShowsARP = false
  /// The lesson's lines as C, rendered once when it opens (and as free play grows).
  public var cLines: [[String]] = []
  /// The engine notice last shown, and how many of the attempt's predictions are in progress.
  var noticeShown = 0
  var predictionsKept = 0

  /// Scrolls `pane` by `delta` lines (negative: up). The Log counts from its end, so that once
  /// scrolled back down to it, it follows new lines again.
  public mutating func scroll(_ pane: Pane, by delta: Int) {
    if pane == .log {
      let back = max(0, (scroll[.log] ?? 0) - delta)
      scroll[.log] = back == 0 ? nil : back
      return
    }
    scroll[pane] = max(0, (scroll[pane] ?? 0) + delta)
  }
}

/// What happened: the messages `Update` answers.
public enum Message: Sendable {
  case key(Key)
  /// The engine's state after it took in events, a kernel sample or a replay's progress.
  case engine(LessonState)
  /// What a move of the lesson (an effect) did.
  case moved(LessonRunner.Move)
  /// An effect's result to show in the status line (or under the free-play prompt).
  case said(String)
  /// The background writer saved progress (merged with other labs'), or could not.
  case saved(LearnerProgress?, problem: String?)
  /// The lessons read whole (the first frame had their outlines), and what to tell about them.
  case lessons(LessonLibrary, notice: String?)
  /// Free play's history as read from disk.
  case history([String])
  /// A script read for free play's `:load`: its text, or nil if it could not be read.
  case loaded(name: String, text: String?)
}

/// I/O for the run loop to do. Each may answer with messages.
public enum Effect: Sendable, Equatable {
  case openLesson(Int)
  case openFreePlay
  /// Free play again, with `client` and `server` on hosts of their own and the lab as the wire.
  case freePlayOnHosts
  /// Free play again, every actor on one host of the lab's whose loopback the Wire pane watches.
  case freePlayOnLoopback
  case closeLesson
  case advance
  case predict(String)
  case standIn
  case acceptAgain
  case back
  case goTo(step: Int)
  case restart
  case interrupt
  /// Runs a line typed in free play.
  case runLine(Statement)
  /// Runs a script's lines one after another, on a thread of their own.
  case runScript([Statement], name: String)
  case readScript(path: String)
  case saveProgress(LearnerProgress)
  case appendHistory(String)
  /// Writes `text` to `path`; `done` is what to say when it worked.
  case writeFile(text: String, path: String, done: String)
  /// Writes statements as a C program.
  case exportC([Statement], name: String, steps: [ExportStep], path: String)
  /// Writes every frame of the session's wire as pcapng.
  case writeCapture(path: String)
  case quit
}
