import Foundation
import Lessons
import ShippedLessons
import Testing

/// The program as a teacher installs it: copied out of the package, run from another folder, with
/// a folder of the teacher's own lessons beside the shipped ones.
final class InstalledCopy {
  let root: URL
  let home: URL
  let program: URL
  let teacher: URL

  /// Copies `binary` (the one this test run built, or an installed one) to a new folder outside
  /// the package, with an empty home folder to run it in.
  init(of binary: URL = Socklab.executable) throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("socklab-installed-\(UUID().uuidString)")
    home = root.appendingPathComponent("home")
    teacher = root.appendingPathComponent("teacher")
    program = root.appendingPathComponent("bin/socklab")
    for folder in [home, teacher, program.deletingLastPathComponent()] {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    try FileManager.default.copyItem(at: binary, to: program)
    try Live.LessonChecks.teachersLesson.write(
      to: teacher.appendingPathComponent("40-extra.md"), atomically: true, encoding: .utf8)
  }

  deinit { try? FileManager.default.removeItem(at: root) }

  var environment: [String: String] { ["HOME": home.path, "XDG_STATE_HOME": home.path + "/state", "SOCKLAB_LESSONS": ""] }

  func run(_ arguments: String..., environment extra: [String: String] = [:]) throws -> Socklab.Result {
    try Socklab.run(arguments, environment: environment.merging(extra) { $1 }, program: program, in: home)
  }
}

extension Live {
  @Suite("Installed like a real tool") struct Installed {
    @Test func aCopyOutsideThePackageReplaysLintsAndListsItsLessons() throws {
      let copy = try InstalledCopy()
      try expectWorks(copy)
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed"))
    func aCopysPickerListsTheShippedLessonsAndTheTeachersLesson40() throws {
      let copy = try InstalledCopy()
      let tmux = try TmuxSession(
        width: 100, height: 40, program: copy.program.path, in: copy.home.path,
        environment: ["HOME=\(copy.home.path)", "SOCKLAB_LESSONS=\(copy.teacher.path)"])
      let screen = try tmux.waitFor("40. A teacher's extra lesson")
      let titles = try Live.LessonChecks.shipped().lessons.map { "\($0.number). \($0.title)" } + ["40. A teacher's extra lesson"]
      for title in titles { #expect(screen.contains(title), "\(title) is missing:\n\(screen)") }
      let rows = screen.split(separator: "\n").map(String.init)
      let eleven = try #require(rows.firstIndex { $0.contains("11. Socket options") })
      let twelve = try #require(rows.firstIndex { $0.contains("40. A teacher's extra lesson") })
      #expect(eleven < twelve)
      try tmux.send("q")
      #expect(tmux.exitStatus() == "0")
    }

    /// `.ci/run` builds the release archive (`make dist`), unpacks it into a fresh folder and names
    /// that folder here, so that what a teacher copies to 30 machines is what is tested.
    static let installedPrefix = ProcessInfo.processInfo.environment["SOCKLAB_INSTALLED_PREFIX"]

    @Test(.enabled(if: installedPrefix != nil, "set SOCKLAB_INSTALLED_PREFIX to a folder `make dist` was unpacked in"))
    func theUnpackedReleaseRunsAndHasItsManualAndCompletions() throws {
      let prefix = URL(fileURLWithPath: try #require(Self.installedPrefix))
      let binary = prefix.appendingPathComponent("bin/socklab")
      try expectWorks(try InstalledCopy(of: binary))

      // The release binary carries the Swift runtime: other machines need no Swift.
      let libraries = try shell("ldd '\(binary.path)'")
      #expect(!libraries.output.contains("libswift"), "\(libraries.output)")

      let manual = try shell("MANWIDTH=80 man -l '\(prefix.path)/share/man/man1/socklab.1'")
      #expect(manual.status == 0)
      #expect(manual.errors.isEmpty, "man warned: \(manual.errors)")
      for text in ["SOCKLAB(1)", "lessons", "--lessons", "SOCKLAB_LESSONS", "export"] {
        #expect(manual.output.contains(text), "the manual lacks \(text)")
      }

      let bash = try shell(
        "source '\(prefix.path)/share/bash-completion/completions/socklab' && complete -p socklab", shell: "/bin/bash")
      #expect(bash.status == 0 && bash.output.contains("socklab"), "\(bash.errors)")
      let zsh = try String(contentsOfFile: prefix.path + "/share/zsh/site-functions/_socklab", encoding: .utf8)
      #expect(zsh.hasPrefix("#compdef socklab"))
      let fish = try String(contentsOfFile: prefix.path + "/share/fish/vendor_completions.d/socklab.fish", encoding: .utf8)
      #expect(fish.contains("complete -c 'socklab'") || fish.contains("complete -c socklab"))
    }

    /// What a teacher checks on a new machine: the lessons replay and lint clean from any folder,
    /// the version names the commit and OpenSSL, and a lesson folder adds a lesson 40.
    private func expectWorks(_ copy: InstalledCopy, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
      let replay = try copy.run("run", "tcp-conversation")
      #expect(replay.status == 0, "\(replay.errors)", sourceLocation: sourceLocation)
      #expect(replay.output.contains("# ok:"), sourceLocation: sourceLocation)

      let lint = try copy.run("lint")
      #expect(lint.status == 0, sourceLocation: sourceLocation)
      let count = ShippedLessons.files.count
      #expect(lint.output.contains("built in: \(count) lessons"), "\(lint.output)", sourceLocation: sourceLocation)

      let version = try copy.run("--version")
      #expect(version.output.hasPrefix("socklab \(ShippedLessons.version) (commit "), sourceLocation: sourceLocation)
      #expect(version.output.contains("OpenSSL 3"), sourceLocation: sourceLocation)

      let paths = try copy.run("--paths")
      #expect(paths.output.contains("progress        \(copy.home.path)/state/socklab/progress.json"), sourceLocation: sourceLocation)
      #expect(paths.output.contains("exports         \(copy.home.path)/socklab/exports"), sourceLocation: sourceLocation)

      let list = try copy.run("lessons", "--list", "--lessons", copy.teacher.path)
      let rows = list.output.split(separator: "\n").map(String.init)
      #expect(rows.count == count + 1, "\(list.output)\(list.errors)", sourceLocation: sourceLocation)
      #expect(rows.dropLast().allSatisfy { $0.hasSuffix("(built in)") }, sourceLocation: sourceLocation)
      #expect(
        rows.last == "40. extra  A teacher's extra lesson  (\(copy.teacher.path)/40-extra.md)", sourceLocation: sourceLocation)
      let extra = try copy.run("run", "extra", environment: ["SOCKLAB_LESSONS": copy.teacher.path])
      #expect(extra.status == 0, "\(extra.output)\(extra.errors)", sourceLocation: sourceLocation)
    }

    private func shell(_ command: String, shell: String = "/bin/sh") throws -> Socklab.Result {
      try Socklab.run(["-c", command], program: URL(fileURLWithPath: shell))
    }
  }
}
