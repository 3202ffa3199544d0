import ArgumentParser

@main
struct Socklab: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "socklab",
    abstract: "SocketLab: learn Berkeley sockets by making every call for real and watching the kernel answer.",
    subcommands: [RunCommand.self, LintCommand.self, ProgressCommand.self]
  )

  func run() throws {
    print(Overview.text)
  }
}
