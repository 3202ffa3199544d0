// A fuzz target for what reads untrusted text: the call language's parser (with the checks and
// the C rendering of what it accepts) and the lesson reader. Nothing here makes a system call
// on a socket, so the fuzzer can run it millions of times.
//
// Built with `-sanitize=fuzzer` and `-D FUZZING` it is a libFuzzer target (see the README's
// "Fuzzing"); built plainly it replays files or folders of inputs, which is how `swift test`
// runs the seed corpus in Tests/FuzzCorpus.
import LabScript
import Lessons

#if canImport(Glibc)
  import Glibc
#endif

/// Reads `bytes` as a script and as a lesson, the way `socklab run` and `socklab lint` would.
func exercise(_ bytes: UnsafeRawBufferPointer) {
  let text = String(decoding: bytes, as: UTF8.self)
  let (script, _) = Parser.parseCollectingErrors(text, file: "fuzz.lab")
  _ = CRenderer.render(script)
  let (lesson, _, _) = LessonParser.parse(text, file: "fuzz.md")
  if let lesson { _ = CRenderer.render(lesson.script) }
}

#if FUZZING
  import CShims

  /// The package manager links an executable's entry point under the module's name; here it
  /// hands over to libFuzzer's driver, which reads the fuzzer's options and corpus folders.
  @_cdecl("socklab_fuzz_main")
  func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
  }

  /// One input, as libFuzzer calls it.
  @_cdecl("LLVMFuzzerTestOneInput")
  func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    exercise(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
  }
#else
  @main
  struct Replay {
    /// `socklab-fuzz PATH...`: every file given, and every file in every folder given.
    static func main() {
      var count = 0
      for path in CommandLine.arguments.dropFirst() {
        let files = Files.isDirectory(path) ? ((try? Files.list(path)) ?? []).sorted().map { Files.join(path, $0) } : [path]
        for file in files {
          guard let text = try? Files.read(file, limit: 1 << 24) else { continue }
          let bytes = Array(text.utf8)
          bytes.withUnsafeBytes { exercise($0) }
          count += 1
        }
      }
      print("replayed \(count) inputs without a crash")
    }
  }
#endif
