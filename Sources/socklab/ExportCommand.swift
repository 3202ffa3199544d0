import ArgumentParser
import LabExport
import LabScript
import Lessons
import SocketKit

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write a lesson or script as a C program (--c) or as a plain script of call lines (--script).",
    discussion: """
      --c writes one C file with a thread per actor that makes the same calls in the same order
      and checks the same expectations; the build command is in its first comment. Lines the
      exporter does not handle yet are named, and nothing is written.
      """
  )

  @Argument(help: "A script file, a lesson file, or a lesson id.")
  var target: String

  @Flag(help: "Write C.")
  var c = false

  @Flag(help: "Write the call lines as a plain script for socklab run.")
  var script = false

  @Option(
    name: .shortAndLong, help: "The file to write, or a folder to write NAME.c (or NAME.lab) in (default: standard output).")
  var output: String?

  @OptionGroup var sources: LessonSources

  func validate() throws {
    if c == script { throw ValidationError("choose one of --c and --script") }
  }

  func run() throws {
    let (parsed, name) = try loadScript()
    let text: String
    if script {
      text = parsed.statements.map { "\($0.actorName): \($0.source)" }.joined(separator: "\n") + "\n"
    } else {
      let ports = SocketAPI.freeLoopbackPorts(count: 2)
      do {
        let first = ports.first ?? 40000
        text = try CheckExport.program(parsed, name: name, ports: (first, ports.count > 1 ? ports[1] : first &+ 1))
      } catch {
        printError("socklab: cannot export \(target) to C yet: \(error)")
        throw ExitCode(1)
      }
    }
    if var output {
      if Files.isDirectory(output) || output.hasSuffix("/") {
        let base = Files.baseName(target).split(separator: ".").first.map(String.init) ?? "lab"
        output = Files.join(output, base + (script ? ".lab" : ".c"))
      }
      try orExitTwo { try Files.write(text, to: output) }
      printError("socklab: wrote \(output)")
    } else {
      say(text, raw: true, terminator: "")
    }
  }

  private func loadScript() throws -> (Script, String) {
    if target.hasSuffix(".md") || (!Files.exists(target) && !target.contains("/")) {
      let lesson = try sources.lesson(target)
      return (lesson.script, lesson.title)
    }
    let text = try orExitTwo { try Files.read(target) }
    do {
      return (try Parser.parse(text, file: target), Files.baseName(target))
    } catch {
      printError(error.description)
      throw ExitCode(2)
    }
  }
}
