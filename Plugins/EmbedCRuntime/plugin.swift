import Foundation
import PackagePlugin

/// Carries the C runtime of exported programs inside the binary: the target's `C/` files and
/// the sock_diag walk that CShims shares with them, turned into Swift strings at build time.
@main
struct EmbedCRuntime: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target _: Target) throws -> [Command] {
    let root = context.package.directoryURL
    let folder = root.appending(path: "Sources/ExportRuntime/C")
    let files =
      try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".c") || $0.hasSuffix(".h") }
      .sorted()
      .map { folder.appending(path: $0) } + [root.appending(path: "Sources/CShims/diag_walk.h")]
    let output = context.pluginWorkDirectoryURL.appending(path: "CRuntimeFiles.swift")
    return [
      .buildCommand(
        displayName: "Embedding \(files.count) C runtime files",
        executable: try context.tool(named: "embed-lessons").url,
        arguments: ["--c-runtime", output.path] + files.map(\.path),
        inputFiles: files,
        outputFiles: [output])
    ]
  }
}
