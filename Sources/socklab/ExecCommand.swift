import ArgumentParser
import Lessons
import WireKit

/// `socklab exec HOST -- COMMAND`: runs a program on one of a running lab's hosts, so that a
/// visitor from outside (nc, socat, Python) can take part in a lesson on the wire.
struct ExecCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exec",
    abstract: "Run a command on a host of the running lab's private network (for example: socklab exec client -- nc 10.50.0.2 PORT).",
    discussion: """
      The command joins the host's network namespace: it has that host's address and reaches the
      other hosts through the lab's wire, where the Wire pane shows its segments. In lessons 1,
      4 and 5 the actors share one host whose loopback the lab watches: there the visitor
      joins it by any actor's name and connects to 127.0.0.1 (socklab exec server -- nc
      127.0.0.1 PORT), as the player's visitor step says. It finds the newest running lab with
      a host of that name (same user). Exit status: the command's, or 1 when there is no such
      host.
      """
  )

  @Argument(help: "The host: an actor of the lesson that runs on a host of its own, or shares the lab's (client, server).")
  var host: String

  @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, after --.")
  var command: [String] = []

  func run() throws {
    let words = command.first == "--" ? Array(command.dropFirst()) : command
    guard !words.isEmpty else { throw ValidationError("name a command after --: socklab exec \(host) -- nc 10.50.0.2 PORT") }
    let folder = StatePaths.current().runtime
    let (found, hosts) = HostVisit.find(host, in: folder)
    guard let found else {
      printError(
        hosts.isEmpty
          ? "socklab: no running lab has hosts: open a lesson on the wire (they are marked ⇄ in the picker), or lesson 1, 4 or 5, first"
          : "socklab: no running lab has a host named \(host); its hosts are \(hosts.joined(separator: ", "))")
      throw ExitCode(1)
    }
    let why = HostVisit.run(found, command: words)
    printError("socklab: \(why)")
    throw ExitCode(1)
  }
}
