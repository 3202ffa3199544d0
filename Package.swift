// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "SocketLab",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "socklab", targets: ["socklab"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // Tiny C functions for what Swift cannot import: variadic ioctl/fcntl, errno names,
    // TCP_INFO, gettid and the sock_diag netlink dump.
    .target(name: "CShims"),
    // OpenSSL's BIO socket routines, called for real (libssl-dev).
    .systemLibrary(name: "CLibcrypto"),
    .target(name: "SocketKit", dependencies: ["CShims", "CLibcrypto"]),
    .target(name: "LabScript", dependencies: ["SocketKit"]),
    .target(name: "Lessons", dependencies: ["LabScript"]),
    // The shipped lessons, carried inside the binary: Lessons/*.md turned into Swift at build time.
    .executableTarget(name: "embed-lessons"),
    .plugin(name: "EmbedLessons", capability: .buildTool(), dependencies: ["embed-lessons"]),
    .target(name: "ShippedLessons", plugins: ["EmbedLessons"]),
    // The C runtime of exported programs (Sources/ExportRuntime/C), carried inside the binary.
    .plugin(name: "EmbedCRuntime", capability: .buildTool(), dependencies: ["embed-lessons"]),
    .target(name: "ExportRuntime", exclude: ["C"], plugins: ["EmbedCRuntime"]),
    // C from scripts: the readable programs, one per actor, and the verifying program.
    .target(name: "LabExport", dependencies: ["LabScript", "Lessons", "ExportRuntime"]),
    // The lab's own channels to other programs: the presenter's notes (a UNIX socket) and the
    // classroom hub (JSON lines over TCP).
    .target(name: "LabShare", dependencies: ["SocketKit"]),
    // The wire: hosts in network namespaces of the lab's own user namespace, joined through the
    // lab itself (AF_PACKET), with rtnetlink link set-up in C. Only this layer touches them.
    .target(name: "CWire"),
    .target(name: "WireKit", dependencies: ["SocketKit", "CWire"]),
    .target(name: "LabEngine", dependencies: ["SocketKit", "LabScript", "Lessons", "WireKit"]),
    // Canvas, styles, layout, keys, widgets: no sockets, no ncurses.
    .target(name: "TerminalUI"),
    .target(
      name: "LabUI", dependencies: ["LabEngine", "Lessons", "TerminalUI", "SocketKit", "LabScript", "LabExport", "LabShare", "WireKit"]),
    // The only code that touches ncurses.
    .systemLibrary(name: "CNcursesw"),
    .target(name: "NcursesBackend", dependencies: ["TerminalUI", "CNcursesw"]),
    .executableTarget(
      name: "socklab",
      dependencies: [
        "SocketKit", "LabScript", "Lessons", "ShippedLessons", "LabEngine", "TerminalUI", "LabUI", "NcursesBackend",
        "LabExport", "LabShare", "WireKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // The fuzz target for the parser and the lesson reader (a corpus replayer unless built with
    // -sanitize=fuzzer -D FUZZING; see the README).
    .executableTarget(name: "socklab-fuzz", dependencies: ["CShims", "LabScript", "Lessons"]),
    // Pure tests: the call language's parser and C rendering. No sockets, so they run in parallel.
    .testTarget(name: "LabScriptTests", dependencies: ["LabScript", "Lessons", "TerminalUI"]),
    // Everything that opens real sockets or runs the real binary, in one serialized suite tree so
    // that descriptor numbers one test closes are not reused by another test mid-check.
    .testTarget(
      name: "SocketLabTests", dependencies: [
        "SocketKit", "LabScript", "Lessons", "ShippedLessons", "LabEngine", "TerminalUI", "LabUI", "socklab", "LabExport", "LabShare",
        "WireKit",
      ],
      exclude: ["BrokenLessons", "Screens"]),
  ],
  swiftLanguageModes: [.v6]
)
