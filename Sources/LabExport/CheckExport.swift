import ExportRuntime
import LabScript
import SocketKit

/// A script line the exporter cannot write as C yet, with the reason.
public struct ExportUnsupported: Error, CustomStringConvertible {
  public var line: Int
  public var reason: String
  public var description: String { "line \(line): \(reason)" }
}

/// The verifying program (`socklab export --check`): one C file that makes the script's calls in
/// the script's order, one thread per actor, by the lab's rule (a call that has not returned
/// after 150 ms is left blocked and the next line goes on), and checks every expectation. For CI,
/// and for teachers who want the exact replay.
public enum CheckExport {
  public static func program(_ script: Script, name: String, ports: (UInt16, UInt16)) throws -> String {
    var renderer = CRenderer()
    var globals: [String] = []
    var functions: [String] = []
    // The lab's wire lines are a thread of their own here, which only reports them.
    let actors = script.actors + (script.statements.contains { $0.actorName == WireLanguage.actor } ? [WireLanguage.actor] : [])
    for (index, statement) in script.statements.enumerated() {
      let definition = CallCatalog.definition(of: statement.expression)
      let lines = renderer.lines(statement)
      var body: [String] = []
      var call: CCall?
      for line in lines {
        switch line {
        case .declaration(let type, let declared, let initialiser):
          // A query's C (TCP_INFO, FIONREAD) is in the runtime's helpers, not in globals.
          if definition?.spec.kind == .kernelQuery { continue }
          globals.append(global(type, declared, statement))
          if let initialiser { body.append(assignment(type, declared, initialiser)) }
        case .statement: body.append(line.text)
        case .call(var made):
          // A variable the call declares is a global here: the call assigns to it.
          if case .declare(let type, let variable)? = made.target {
            globals.append("static \(CRenderer.declaration(type, variable));")
            made.target = .assign(variable)
          }
          call = made
        case .comment: break
        }
      }
      functions.append(try lineFunction(index, statement, definition, body: body, call: call, renderer: renderer))
    }
    let order = script.statements.map { actors.firstIndex(of: $0.actorName)! }
    let traits = script.statements.compactMap { CallCatalog.definition(of: $0.expression)?.traits }
    let usesBIO = traits.contains { $0.contains(.openSSL) }
    let usesOwfat = traits.contains { $0.contains(.libowfat) }
    // The descriptor each line works on, for wchan(): which actor is asleep on which socket.
    var descriptorCases: [String] = []
    for (index, statement) in script.statements.enumerated() {
      guard case .call(_, let arguments, _) = statement.expression, let first = arguments.first,
        CallCatalog.definition(of: statement.expression)?.spec.takesDescriptorFirst == true
      else { continue }
      descriptorCases.append("    case \(index): return (int)(\(renderer.expression(first)));")
    }
    let queries = script.statements.map { CallCatalog.definition(of: $0.expression)?.spec.kind == .kernelQuery ? 1 : 0 }
    return """
      /* \(name), exported by SocketLab as a verifying program.
       * Build and run:  cc -Wall -Wextra -Werror -pthread -o prog prog.c\(usesBIO ? " -lcrypto" : "") && ./prog
       * One thread per actor (\(actors.joined(separator: ", "))). Every call prints its result; a result
       * other than the script's expectation prints FAILED and the program exits 1. */
      #define _GNU_SOURCE
      #include <arpa/inet.h>
      #include <fcntl.h>
      #include <netinet/in.h>
      #include <netinet/tcp.h>
      #include <poll.h>
      #include <pthread.h>
      #include <signal.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include <sys/ioctl.h>
      #include <time.h>
      #include <unistd.h>
      \(usesBIO ? "#include <openssl/bio.h>\n" : "")
      \(CRuntime.file("diag_walk.h"))
      /* The ports the lab's screen showed; `./prog PORT PORT2` runs on others (the lab may still
         hold these, or its closed connections keep them in TIME-WAIT for a minute). */
      static int PORT = \(ports.0);
      static int PORT2 = \(ports.1);
      #define LINES \(script.statements.count)
      #define ACTORS \(actors.count)

      \(CRuntime.file("check_head.c"))
      \(usesOwfat ? CRuntime.file("libowfat6.c") : "")
      /* The script's variables, shared by every actor as in the lab. */
      \(globals.joined(separator: "\n"))

      /* Which line each actor runs, and which thread it is. */
      static int lab_job[ACTORS];
      static int lab_done[LINES];
      static int lab_tids[ACTORS];
      static const int is_query[] = { \(queries.map(String.init).joined(separator: ", ")) };

      static int line_fd(int line) {
        switch (line) {
      \(descriptorCases.joined(separator: "\n"))
        }
        return -1;
      }

      \(CRuntime.file("check_wchan.c"))
      \(functions.joined(separator: "\n\n"))

      static void (*const lines[])(void) = { \(script.statements.indices.map { "line_\($0)" }.joined(separator: ", ")) };
      static const int actor_of[] = { \(order.map(String.init).joined(separator: ", ")) };
      static const char *const actor_names[] = { \(actors.map { cString($0) }.joined(separator: ", ")) };

      \(CRuntime.file("check_runner.c"))
      """
  }

  // MARK: - Pieces

  /// A variable the script declares, as a global every actor's thread shares.
  private static func global(_ type: String, _ name: String, _ statement: Statement) -> String {
    if name.hasSuffix("[]"), case .call(_, let entries, _) = statement.expression {
      return "static \(type) \(name.dropLast(2))[\(entries.count)];"
    }
    return "static \(CRenderer.declaration(type, name));"
  }

  /// A declaration's initialiser, as an assignment to its global.
  private static func assignment(_ type: String, _ name: String, _ initialiser: String) -> String {
    if name.hasSuffix("[]") {
      let array = name.dropLast(2)
      return "memcpy(\(array), (\(type)[])\(initialiser), sizeof \(array));"
    }
    if initialiser.hasPrefix("{") { return "\(name) = (\(type))\(initialiser);" }
    return "\(name) = \(initialiser);"
  }

  /// Whether a `value(...)` line shows text: a `char *` variable, or an expected string.
  static func isText(_ inner: Expr, _ expectation: Expectation?, _ renderer: CRenderer) -> Bool {
    if case .value(.string)? = expectation { return true }
    return inner.rootName.flatMap { renderer.declared[$0] }.map { $0.contains("char *") } ?? false
  }

  /// A C string literal. A hex escape takes every hex digit after it, so one that a hex digit
  /// follows ("\x92c") is closed with "" ("\x92""c").
  static func cString(_ text: String) -> String {
    let escaped = Array(escapeBytes(Array(text.utf8)))
    var out = ""
    var index = 0
    while index < escaped.count {
      out.append(escaped[index])
      if escaped[index] == "\\", index + 3 < escaped.count + 0, escaped[index + 1] == "x", index + 3 < escaped.count {
        out.append(contentsOf: escaped[(index + 1)...(index + 3)])
        index += 4
        if index < escaped.count, escaped[index].isHexDigit { out.append(contentsOf: "\"\"") }
        continue
      }
      if escaped[index] == "\\", index + 1 < escaped.count {
        out.append(escaped[index + 1])
        index += 2
        continue
      }
      index += 1
    }
    return "\"" + out + "\""
  }

  private static func lineFunction(
    _ index: Int, _ statement: Statement, _ definition: CallDefinition?, body: [String], call: CCall?, renderer: CRenderer
  ) throws -> String {
    let label = cString("\(statement.actorName): \(statement.source)")
    let expectation = statement.expectation == .prediction ? statement.answer : statement.expectation
    let code = body.map { "  " + $0 }.joined(separator: "\n")
    func done(_ extra: String = "") -> String {
      "static void line_\(index)(void) {\n\(code)\(code.isEmpty ? "" : "\n")\(extra)  report_text(\(label), \"done\", 1);\n}"
    }
    guard let definition, case .call(_, let arguments, _) = statement.expression else {
      return done(call.map { "  \($0.statement);\n" } ?? "")
    }
    if definition.isValueCheck { return valueLine(index, label, arguments[0], expectation, renderer) }
    switch definition.spec.kind {
    case .builder: return done(call.map { "  \($0.statement);\n" } ?? "")
    case .kernelQuery: return try queryLine(index, label, statement, definition, arguments, expectation, renderer)
    // The lab's relay has no C counterpart: the line says what it did, and is not checked.
    case .wire:
      let said = statement.source + (expectation.map { " = \($0)" } ?? "")
      return done("  /* on the lab's wire: \(said.replacing("*/", with: "* /")) (no C counterpart: the lab relays the frames) */\n")
    case .system: break
    }
    guard let call else {
      throw ExportUnsupported(line: statement.location.line, reason: "\(definition.name)() is not exported yet")
    }
    if definition.c.resultType == "void" { return done("  \(call.statement);\n") }
    if definition.traits.contains(.returnsText) {
      var check = "1"
      if case .value(.string(let bytes, _))? = expectation {
        check = "t != NULL && strcmp(t, \(cString(String(decoding: bytes, as: UTF8.self)))) == 0"
      }
      return """
        static void line_\(index)(void) {
        \(code)\(code.isEmpty ? "" : "\n")  const char *t = (\(call.statement));
          report_text(\(label), t ? t : "NULL", \(check));
        }
        """
    }
    let check: String
    switch expectation {
    case nil, .prediction?: check = "1"
    case .anyDescriptor?: check = "r >= 0"
    case .error(let errno)?: check = "r == -1 && e == \(errno)"
    case .failure(let value, let errno)?: check = "r == \(value) && e == \(errno)"
    case .value(let expr)?: check = "r == (long)(\(renderer.expression(expr)))"
    case .state?, .wire?: check = "0"
    }
    // The error to print beside the result: errno when the call says it failed. getaddrinfo's
    // EAI_ code is its result, not errno.
    let failed = definition.failure == .zeroIsFailure ? "r != 1" : definition.failure == .errorCode ? "0" : "r < 0"
    return """
      static void line_\(index)(void) {
      \(code)\(code.isEmpty ? "" : "\n")  errno = 0;
        long r = (long)(\(call.statement));
        int e = errno;
        (void)e;
      \(noteLines(definition, arguments, renderer))  report(\(label), r, \(failed) ? e : 0, \(check));
      }
      """
  }

  private static func valueLine(
    _ index: Int, _ label: String, _ inner: Expr, _ expectation: Expectation?, _ renderer: CRenderer
  ) -> String {
    let expr = renderer.expression(inner)
    if isText(inner, expectation, renderer) {
      var check = "1"
      if case .value(.string(let bytes, _))? = expectation {
        check = "t != NULL && strcmp(t, \(cString(String(decoding: bytes, as: UTF8.self)))) == 0"
      }
      return "static void line_\(index)(void) {\n  const char *t = \(expr);\n  report_text(\(label), t ? t : \"NULL\", \(check));\n}"
    }
    var check = "1"
    if case .value(let wanted)? = expectation { check = "r == (long)(\(renderer.expression(wanted)))" }
    return "static void line_\(index)(void) {\n  long r = (long)(\(expr));\n  report(\(label), r, 0, \(check));\n}"
  }

  private static func queryLine(
    _ index: Int, _ label: String, _ statement: Statement, _ definition: CallDefinition, _ arguments: [Expr],
    _ expectation: Expectation?, _ renderer: CRenderer
  ) throws -> String {
    let fd = renderer.expression(arguments[0])
    if let request = definition.c.kernelRequest {
      var want = "-1"
      if case .value(.integer(let n, _))? = expectation { want = "\(n)" }
      return """
        static void line_\(index)(void) {
          long n = wait_queue(\(fd), \(request), \(want));
          report(\(label), n, 0, \(want) < 0 || n == \(want));
        }
        """
    }
    if definition.traits.contains(.returnsText) {
      var want = "NULL"
      var check = "1"
      switch expectation {
      case .value(.string(let bytes, _))?:
        want = cString(String(decoding: bytes, as: UTF8.self))
        check = "w != NULL && strcmp(w, \(want)) == 0"
      case .value(.name("NULL", _))?:
        check = "w == NULL"
      default:
        break
      }
      return """
        static void line_\(index)(void) {
          const char *w = wait_wchan(\(fd), \(want), \(expectation == nil ? 0 : 1));
          report_text(\(label), w ? w : "NULL", \(check));
        }
        """
    }
    var want = "-1"
    var check = "1"
    if case .state(let state)? = expectation {
      want = state.cName
      check = "st == \(want)"
    }
    return """
      static void line_\(index)(void) {
        int st = wait_state(\(fd), \(want));
        report_text(\(label), state_name(st), \(check));
      }
      """
  }

  /// Calls that remember where a socket is connected, so that its state can still be found in
  /// the kernel's table after it closes (TIME-WAIT has no descriptor).
  private static func noteLines(_ definition: CallDefinition, _ arguments: [Expr], _ renderer: CRenderer) -> String {
    var lines = ""
    if definition.spec.takesDescriptorFirst, let first = arguments.first, definition.ownership != .closesDescriptor {
      lines += "  note_endpoints(\(renderer.expression(first)));\n"
    }
    if definition.ownership == .opensDescriptor { lines += "  if (r >= 0) note_endpoints((int)r);\n" }
    return lines
  }
}
