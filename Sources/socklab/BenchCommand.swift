import ArgumentParser
import LabEngine
import LabUI
import Lessons
import SocketKit
import TerminalUI

#if canImport(Glibc)
  import Glibc
#endif

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure the player: first frame, render time, bytes per frame and per step, idle CPU, memory.",
    discussion: """
      Renders on an in-memory canvas of 120x40 and counts the bytes a diffing terminal library
      would send. Lesson 1 is played step by step for real. The idle phase refreshes the live
      panes the way the terminal's run loop does (one kernel sample a second).
      """
  )

  @Option(help: "How long to measure idle CPU, in seconds.")
  var idleSeconds = 10

  @OptionGroup var sources: LessonSources

  @Flag(help: "Measure in a real terminal instead (a private tmux), beside vim -u NONE -N measured the same way.")
  var terminal = false

  @Flag(help: "Measure the wire instead: host set-up and teardown, the relay's time per segment, a bulk transfer's rate and loss.")
  var wire = false

  @Option(help: "With --wire: how many megabytes the bulk transfer sends.")
  var megabytes = 256

  func run() throws {
    if wire { return try WireBench.run(megabytes: max(1, min(megabytes, 4096))) }
    if terminal {
      guard TerminalBench.available else { throw ValidationError("--terminal needs tmux (apt-get install tmux)") }
      return TerminalBench(program: Files.executablePath()).run(idleSeconds: idleSeconds)
    }
    // As the lab starts: the outlines for the first frame, then the whole lessons.
    let start = MonotonicClock.nanoseconds()
    let outlines = try sources.curriculum(outline: true)
    let outlined = MonotonicClock.nanoseconds() - start
    guard !outlines.lessons.isEmpty else { throw ValidationError("no lessons found") }
    let app = LabApp(library: outlines, progressStore: nil, theme: Theme.named("default")!, unicode: true)
    defer { app.shutdown() }
    let (width, height) = (120, 40)

    var previous = app.render(width: width, height: height)
    let firstFrameBytes = AnsiEncoder.encode(from: nil, to: previous).count
    let firstFrame = MonotonicClock.nanoseconds() - start
    let wholeStart = MonotonicClock.nanoseconds()
    let library = try sources.curriculum(tell: false)
    let loaded = MonotonicClock.nanoseconds() - wholeStart
    app.loadLessons { library }

    app.open(0)
    var frame = app.render(width: width, height: height)
    let playerFrameBytes = AnsiEncoder.encode(from: nil, to: frame).count
    previous = frame

    var renderTimes: [UInt64] = []
    for _ in 0..<200 {
      let t = MonotonicClock.nanoseconds()
      frame = app.render(width: width, height: height)
      renderTimes.append(MonotonicClock.nanoseconds() - t)
    }
    renderTimes.sort()

    var stepBytes: [Int] = []
    guard let runner = app.runner else { return }
    var presses = 0
    while !runner.state.isFinished && presses < 300 {
      let run = runner.state
      if run.waitsForOutsidePeer && run.hasRunningCalls {
        app.handle(.character("s"))  // nobody outside: the lab plays the visitor
      } else if let line = run.pendingStatement, run.statements[line].expectation == .prediction, run.guesses[line] == nil {
        app.handle(.character(" "))
        for character in run.step.prediction?.answer ?? "?" { app.handle(.character(character)) }
        app.handle(.enter)
      } else {
        app.handle(.character(" "))
      }
      app.settle()
      frame = app.render(width: width, height: height)
      stepBytes.append(AnsiEncoder.encode(from: previous, to: frame).count)
      previous = frame
      presses += 1
    }

    // One kernel sample of lesson 1's sockets (TIME-WAIT rows included), alone and beside 4000
    // unrelated TCP sockets on the host: the cost must not grow with them.
    let quietSample = medianSampleTime(runner.session)
    let load = LoopbackLoad(pairs: 2000)
    let loadedSample = medianSampleTime(runner.session)
    let loadSockets = load.socketCount
    load.close()

    var usageBefore = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usageBefore)
    let idleStart = MonotonicClock.nanoseconds()
    var idleFrames = 0
    var idleBytes = 0
    while MonotonicClock.nanoseconds() - idleStart < UInt64(idleSeconds) * 1_000_000_000 {
      _ = poll(nil, 0, Interactive.idleRefresh)
      app.tick()
      frame = app.render(width: width, height: height)
      if frame != previous {
        if getenv("SOCKLAB_BENCH_DEBUG") != nil {
          for (a, b) in zip(previous.lines, frame.lines) where a != b { print("- \(a)\n+ \(b)") }
        }
        idleBytes += AnsiEncoder.encode(from: previous, to: frame).count
        previous = frame
      }
      idleFrames += 1
    }
    let idleWall = Double(MonotonicClock.nanoseconds() - idleStart) / 1e9
    var usageAfter = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usageAfter)
    let cpu =
      seconds(usageAfter.ru_utime) + seconds(usageAfter.ru_stime) - seconds(usageBefore.ru_utime) - seconds(usageBefore.ru_stime)

    let mean = stepBytes.isEmpty ? 0 : stepBytes.reduce(0, +) / stepBytes.count
    let median = stepBytes.sorted()[stepBytes.count / 2]
    print("SocketLab benchmark, 120x40 canvas, lesson 1 (\(runner.state.lesson.title))")
    print("  lessons read as outlines (first frame):    \(formatDuration(nanoseconds: outlined)) (\(library.lessons.count) lessons)")
    print("  lessons read whole, after the first frame: \(formatDuration(nanoseconds: loaded))")
    print("  first frame (picker), from command start:  \(formatDuration(nanoseconds: firstFrame))")
    print("  median render of a player frame:           \(formatDuration(nanoseconds: renderTimes[renderTimes.count / 2]))")
    print("  bytes, first picker frame:                 \(firstFrameBytes)")
    print("  bytes, first player frame:                 \(playerFrameBytes)")
    print("  bytes per step (\(stepBytes.count) steps):  median \(median), mean \(mean), max \(stepBytes.max() ?? 0)")
    print("  a step's redraw / a full frame (median):   \(percent(Double(median) / Double(playerFrameBytes)))")
    print(
      "  idle: \(idleFrames) refreshes in \(String(format1(idleWall)))s, \(idleBytes) bytes sent, CPU \(percent(cpu / idleWall)) of a core"
    )
    print(
      "  one kernel sample (lesson 1's sockets):    \(formatDuration(nanoseconds: quietSample)) alone, \(formatDuration(nanoseconds: loadedSample)) beside \(loadSockets) unrelated TCP sockets"
    )
    print("  peak resident memory:                      \(usageAfter.ru_maxrss / 1024) MB")
  }

  private func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }

  private func percent(_ fraction: Double) -> String {
    let hundredths = Int((fraction * 10000).rounded())
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100) %"
  }

  private func format1(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
  }
}

/// The median time of one kernel sample of `session`, over 51 samples.
private func medianSampleTime(_ session: LabSession) -> UInt64 {
  var times: [UInt64] = []
  for _ in 0..<51 {
    let start = MonotonicClock.nanoseconds()
    _ = session.snapshot()
    times.append(MonotonicClock.nanoseconds() - start)
  }
  return times.sorted()[times.count / 2]
}
