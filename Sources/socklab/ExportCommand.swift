import ArgumentParser
import LabExport
import LabScript
import Lessons
import SocketKit

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write a lesson or script as C programs (--c), a verifying C program (--check), or plain call lines (--script).",
    discussion: """
      --c writes one readable program per actor (server.c, client.c; main.c for one actor) with
      the lesson's steps as comments, every call checked, and a Makefile: `make run` runs them
      together in the lesson's order. A lesson with one actor goes to standard output unless -o
      names a file or folder; with more it goes to -o or to a folder named after the lesson.
      --check writes one C file that replays the script exactly, one thread per actor, and
      checks every expectation; it prints # ok and exits 0 when all hold.
      """
  )

  @Argument(help: "A script file, a lesson file, or a lesson id.")
  var target: String

  @Flag(help: "Write one readable C program per actor, and a Makefile.")
  var c = false

  @Flag(help: "Write one C program that replays the script and checks every expectation.")
  var check = false

  @Flag(help: "Write the call lines as a plain script for socklab run.")
  var script = false

  @Option(help: "The port the programs use as PORT (PORT2 is the next); default: two free ones.")
  var port: UInt16?

  @Option(
    name: .shortAndLong,
    help: "The file or folder to write (default: standard output, or a folder named after the lesson for several programs).")
  var output: String?

  @OptionGroup var sources: LessonSources

  func validate() throws {
    if [c, check, script].filter({ $0 }).count != 1 { throw ValidationError("choose one of --c, --check and --script") }
  }

  func run() throws {
    let (parsed, name, id, steps) = try loadScript()
    let ports = chosenPorts()
    if c {
      try writePrograms(parsed, name: name, id: id, steps: steps, ports: ports)
      return
    }
    let text: String
    if script {
      text = parsed.statements.map { "\($0.actorName): \($0.source)" }.joined(separator: "\n") + "\n"
    } else {
      do {
        text = try CheckExport.program(parsed, name: name, ports: ports)
      } catch {
        printError("socklab: cannot export \(target) to C yet: \(error)")
        throw ExitCode(1)
      }
    }
    if var output {
      if Files.isDirectory(output) || output.hasSuffix("/") {
        output = Files.join(output, id + (script ? ".lab" : ".c"))
      }
      try orExitTwo { try Files.write(text, to: output) }
      printError("socklab: wrote \(output)")
    } else {
      say(text, raw: true, terminator: "")
    }
  }

  private func chosenPorts() -> (UInt16, UInt16) {
    if let port { return (port, port &+ 1) }
    let free = SocketAPI.freeLoopbackPorts(count: 2)
    let first = free.first ?? 40000
    return (first, free.count > 1 ? free[1] : first &+ 1)
  }

  private func writePrograms(_ parsed: Script, name: String, id: String, steps: [ExportStep], ports: (UInt16, UInt16)) throws {
    let files: [ExportedFile]
    do {
      files = try ProgramExport.files(parsed, name: name, steps: steps, ports: ports)
    } catch {
      printError("socklab: cannot export \(target) to C yet: \(error)")
      throw ExitCode(1)
    }
    let programs = files.filter { $0.name.hasSuffix(".c") }
    if programs.count == 1, output == nil || !(Files.isDirectory(output!) || output!.hasSuffix("/")) {
      if let output {
        try orExitTwo { try Files.write(programs[0].text, to: output) }
        printError("socklab: wrote \(output)")
      } else {
        say(programs[0].text, raw: true, terminator: "")
      }
      return
    }
    let folder = output ?? id
    try orExitTwo { try Files.makeDirectories(folder) }
    for file in files {
      try orExitTwo { try Files.write(file.text, to: Files.join(folder, file.name)) }
    }
    printError(
      "socklab: wrote \(files.map(\.name).joined(separator: ", ")) in \(folder); `make -C \(folder) run` builds them and runs them in the lesson's order"
    )
  }

  private func loadScript() throws -> (Script, String, String, [ExportStep]) {
    if target.hasSuffix(".md") || (!Files.exists(target) && !target.contains("/")) {
      let lesson = try sources.lesson(target)
      return (lesson.script, lesson.title, lesson.id, ExportStep.steps(of: lesson))
    }
    let text = try orExitTwo { try Files.read(target) }
    let base = Files.baseName(target).split(separator: ".").first.map(String.init) ?? "lab"
    do {
      return (try Parser.parse(text, file: target), Files.baseName(target), base, [])
    } catch {
      printError(error.description)
      throw ExitCode(2)
    }
  }
}
