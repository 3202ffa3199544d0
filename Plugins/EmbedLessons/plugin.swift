import Foundation
import PackagePlugin

/// Turns the package's `Lessons/*.md` into Swift source at build time, so that the `socklab`
/// binary carries its curriculum and runs from any folder. It also records the commit the binary
/// was built from, for `socklab --version`.
@main
struct EmbedLessons: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    let root = context.package.directoryURL
    let folder = root.appending(path: "Lessons")
    let lessons = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".md") && $0 != "README.md" }
      .sorted()
      .map { folder.appending(path: $0) }
    // The files whose change means a new commit: HEAD, the branch it names, and packed refs.
    let git = root.appending(path: ".git")
    var gitFiles = [git.appending(path: "HEAD"), git.appending(path: "packed-refs")]
    if let head = try? String(contentsOf: gitFiles[0], encoding: .utf8), head.hasPrefix("ref: ") {
      gitFiles.append(git.appending(path: head.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)))
    }
    gitFiles = gitFiles.filter { FileManager.default.fileExists(atPath: $0.path) }
    let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedLessons.swift")
    return [
      .buildCommand(
        displayName: "Embedding \(lessons.count) lessons",
        executable: try context.tool(named: "embed-lessons").url,
        arguments: [output.path, git.path] + lessons.map(\.path),
        inputFiles: lessons + gitFiles,
        outputFiles: [output])
    ]
  }
}
