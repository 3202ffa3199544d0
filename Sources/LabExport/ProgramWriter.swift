import ExportRuntime
import LabScript
import SocketKit

/// Writes one actor's program: its lines in order, each checked, with the lesson's steps as
/// comments and the lesson's order kept by TURN and DONE.
struct ProgramWriter {
  let script: Script
  let actor: String
  let plan: SharingPlan
  let steps: [ExportStep]
  let single: Bool
  private var renderer = CRenderer()
  private var out: [String] = []
  private var closed: Set<String> = []
  private var declaredCount = false
  /// What the program needs around main().
  private(set) var needs: Set<String> = []

  init(script: Script, actor: String, plan: SharingPlan, steps: [ExportStep], single: Bool) {
    self.script = script
    self.actor = actor
    self.plan = plan
    self.steps = steps
    self.single = single
  }

  private var statements: [Statement] { script.statements }

  private func isOther(_ index: Int) -> Bool {
    statements.indices.contains(index) && statements[index].actorName != actor
  }

  // MARK: - The body of main()

  mutating func body() throws -> [String] {
    var stepShown = -1
    for (index, statement) in statements.enumerated() {
      let mine = statement.actorName == actor
      let copied = plan.copies[index]?.contains(actor) == true
      guard mine || copied else { continue }
      if let step = steps.lastIndex(where: { $0.firstStatement <= index }), step != stepShown {
        stepShown = step
        out.append("")
        out.append("  /* Step \(step + 1). \(comment(steps[step].title))")
        if !steps[step].explanation.isEmpty { out += wrapComment(steps[step].explanation) }
        out[out.count - 1] += " */"
      }
      if copied {
        out.append("  /* The \(statement.actorName) fills this in the same way: */")
        try line(index, statement)
        continue
      }
      if !single, index > 0, isOther(index - 1) { out.append("  TURN(\(index));") }
      for name in plan.receives[index] ?? [] {
        if renderer.declared[name] == nil, let type = plan.types[name] {
          out += renderer.declare(name, type).map { "  " + $0.text }
        }
        out.append("  RECEIVE(\(name));  /* as the \(owner(of: name)) has it */")
      }
      let definition = CallCatalog.definition(of: statement.expression)
      let passesFirst = !single && isOther(index + 1) && definition?.traits.contains(.mayBlock) == true
      if passesFirst {
        out.append("  DONE(\(index + 1));  /* this call may wait for the other side: let it go on */")
      }
      try line(index, statement)
      for name in plan.shares[index] ?? [] { out.append("  SHARE(\(name));") }
      if !single, !passesFirst, isOther(index + 1) { out.append("  DONE(\(index + 1));") }
    }
    return out
  }

  private func owner(of name: String) -> String {
    statements.first { SharingPlan.defines($0).contains(name) && $0.actorName != actor }?.actorName ?? "other program"
  }

  /// One statement as C.
  private mutating func line(_ index: Int, _ statement: Statement) throws {
    let definition = CallCatalog.definition(of: statement.expression)
    let expectation = statement.expectation == .prediction ? statement.answer : statement.expectation
    guard let definition, case .call(_, let arguments, _) = statement.expression else {
      out += renderer.lines(statement).map { "  " + $0.text }
      return
    }
    if let foreign = arguments.first?.rootName, let opener = plan.descriptors[foreign], opener != actor {
      out.append("  /* \(comment(statement.source)): \(foreign) is the \(opener)'s socket, which this program cannot see. */")
      return
    }
    if definition.isValueCheck {
      valueLine(statement, arguments[0], expectation)
      return
    }
    switch definition.spec.kind {
    case .kernelQuery:
      queryLine(statement, definition, arguments, expectation)
      return
    case .wire:
      for line in renderer.lines(statement) { out.append("  " + line.text) }
      return
    case .builder, .system:
      break
    }
    let lines = renderer.lines(statement)
    for line in lines {
      guard case .call(let call) = line else {
        out.append("  " + line.text)
        continue
      }
      if definition.spec.kind == .builder {
        out.append("  " + line.text)
      } else {
        checked(call, definition, expectation)
      }
    }
    if definition.ownership == .closesDescriptor, let fd = arguments.first?.rootName { closed.insert(fd) }
    if definition.ownership == .opensDescriptor, let fd = statement.target?.rootName { closed.remove(fd) }
  }

  // MARK: - Checks

  /// The call, checked by its failure convention: perror and exit, or the lesson's expected
  /// error handled and explained.
  private mutating func checked(_ call: CCall, _ definition: CallDefinition, _ expectation: Expectation?) {
    let name = definition.name
    var subject = call.expression
    var head: [String] = []
    if let target = call.target {
      head = ["  \(call.statement);"]
      switch target {
      case .declare(_, let variable): subject = variable
      case .assign(let lvalue): subject = lvalue
      }
    }
    if definition.failure == .never {
      guard call.target == nil else {
        out.append("  \(call.statement);")
        if definition.traits.contains(.returnsText), case .declare(_, let variable)? = call.target {
          out.append("  printf(\"\(variable) = %s\\n\", \(variable));")
        }
        return
      }
      // A value the lesson shows: print it.
      let label = CheckExport.cString(call.expression)
      if definition.c.resultType == "void" {
        out.append("  \(call.expression);")
      } else if definition.traits.contains(.returnsText) {
        out.append("  printf(\"%s = %s\\n\", \(label), \(call.expression));")
      } else {
        out.append("  printf(\"%s = %ld\\n\", \(label), (long)\(call.expression));")
      }
      return
    }
    let (failed, succeeded) = conditions(subject, definition)
    var expectedError: String?
    switch expectation {
    case .error(let errno)?: expectedError = errno
    case .failure(_, let errno)?: expectedError = errno
    default: break
    }
    if definition.failure == .zeroIsInvalid, case .value(.integer(0, _))? = expectation {
      out += head
      stop(if: succeeded, "fprintf(stderr, \"\(name): the lesson expects this text not to be an address\\n\")")
      out.append("  printf(\"\(name): not an address, as expected\\n\");")
      return
    }
    if let errno = expectedError {
      let why = definition.reference.errors.first { $0.name == errno }?.why
      out.append("  /* The lesson expects \(errno)\(why.map { ": \(comment($0))" } ?? ""). */")
      out += head
      stop(if: succeeded, "fprintf(stderr, \"\(name): succeeded, but the lesson expects \(errno)\\n\")")
      stop(if: "errno != \(errno)", "perror(\"\(name)\")")
      out.append("  printf(\"\(name): %s, as expected\\n\", strerror(errno));")
      return
    }
    if definition.failure == .errorCode {
      needs.insert("netdb")
      out += head
      stop(if: failed, "fprintf(stderr, \"\(name): %s\\n\", gai_strerror(\(subject)))")
      return
    }
    let receives = definition.spec.outParameters[1] == .buffer && definition.c.resultType == "ssize_t"
    if receives, call.target == nil {
      // What arrived is the point of a recv(): keep the count and show the bytes.
      let count = declaredCount ? "got" : "ssize_t got"
      declaredCount = true
      out.append("  \(count) = \(call.expression);")
      subject = "got"
    } else if head.isEmpty {
      stop(if: failed, complaint(definition))
      return
    } else {
      out += head
    }
    let (failedSubject, _) = conditions(subject, definition)
    stop(if: failedSubject, complaint(definition))
    if receives, let buffer = call.arguments.dropFirst().first {
      out.append("  printf(\"\(name): %zd bytes: \\\"%.*s\\\"\\n\", \(subject), (int)\(subject), \(buffer));")
    }
  }

  /// `if (condition) { report; exit(1); }`
  private mutating func stop(if condition: String, _ report: String) {
    out += ["  if (\(condition)) {", "    \(report);", "    exit(1);", "  }"]
  }

  /// What a program says when the call failed: perror, or for text that is not an address, so.
  private func complaint(_ definition: CallDefinition) -> String {
    definition.failure == .zeroIsInvalid
      ? "fprintf(stderr, \"\(definition.name): not a valid address\\n\")" : "perror(\"\(definition.name)\")"
  }

  /// C conditions for "it failed" and "it succeeded", by the call's convention.
  private func conditions(_ subject: String, _ definition: CallDefinition) -> (String, String) {
    switch definition.failure {
    case .minusOne: return ("\(subject) < 0", "\(subject) >= 0")
    case .zeroIsFailure, .zeroIsInvalid: return ("\(subject) != 1", "\(subject) == 1")
    case .errorCode: return ("\(subject) != 0", "\(subject) == 0")
    case .nullPointer: return ("\(subject) == NULL", "\(subject) != NULL")
    case .never: return ("0", "1")
    }
  }

  // MARK: - Values and the kernel's view

  private mutating func valueLine(_ statement: Statement, _ inner: Expr, _ expectation: Expectation?) {
    if inner.names.contains(where: { plan.descriptors[$0] != nil && plan.descriptors[$0] != actor }) {
      out.append("  /* \(comment(statement.source)): it reads another program's socket. */")
      return
    }
    let expr = renderer.expression(inner)
    var expected = ""
    if case .value(let wanted)? = expectation { expected = " (the lesson expects \(renderer.expression(wanted)))" }
    let label = CheckExport.cString(CRenderer().expression(inner))
    if CheckExport.isText(inner, expectation, renderer) {
      out.append("  printf(\"%s = %s\(escape(expected))\\n\", \(label), \(expr));")
    } else {
      out.append("  printf(\"%s = %ld\(escape(expected))\\n\", \(label), (long)(\(expr)));")
    }
  }

  private mutating func queryLine(
    _ statement: Statement, _ definition: CallDefinition, _ arguments: [Expr], _ expectation: Expectation?
  ) {
    let fd = renderer.expression(arguments[0])
    let name = CheckExport.cString(fd)
    if let request = definition.c.kernelRequest {
      needs.insert("show_queue")
      var expected = ""
      if case .value(let wanted)? = expectation { expected = " (the lesson shows \(renderer.expression(wanted)))" }
      out.append("  show_queue(\(name), \(fd), \(request));\(expected.isEmpty ? "" : "  /*\(expected) */")")
      return
    }
    guard definition.traits.contains(.reportsTCPState) else {
      out.append("  /* \(comment(statement.source)): the lab reads /proc/self/task/TID/wchan of the thread blocked on")
      out.append("     \(fd); a program with one thread is itself the one blocked, so it cannot look. */")
      return
    }
    var expected = "NULL"
    var shown = "?"
    if case .state(let state)? = expectation {
      expected = CheckExport.cString(state.description)
      shown = state.description
    }
    if let root = arguments[0].rootName, closed.contains(root) {
      out.append("  /* tcp_state(\(fd)): \(fd) is closed, so C cannot ask it any more. The lab looked its connection up")
      out.append("     with sock_diag (as ss -tan does) and found \(shown); the kernel keeps it without a descriptor. */")
      return
    }
    needs.insert("show_tcp_state")
    out.append("  show_tcp_state(\(name), \(fd), \(expected));")
  }

  // MARK: - The file

  func program(file: String, lesson: String, body: [String], ports: (UInt16, UInt16)) -> String {
    let used = Set(statements.filter { $0.actorName == actor }.compactMap { CallCatalog.definition(of: $0.expression) }.map(\.name))
    let traits = statements.filter { $0.actorName == actor }.compactMap { CallCatalog.definition(of: $0.expression)?.traits }
    let openSSL = traits.contains { $0.contains(.openSSL) }
    let owfat = traits.contains { $0.contains(.libowfat) }
    let program = String(file.dropLast(2))
    var includes = ["arpa/inet.h", "errno.h", "netinet/in.h", "netinet/tcp.h", "stdio.h", "stdlib.h", "string.h", "sys/socket.h", "unistd.h"]
    if used.contains(CallDefinition.poll.name) { includes.append("poll.h") }
    if body.contains(where: { $0.contains("fcntl(") }) { includes.append("fcntl.h") }
    if needs.contains("show_queue") { includes.append("sys/ioctl.h") }
    if needs.contains("netdb") { includes.append("netdb.h") }
    if owfat { includes += ["fcntl.h", "stdint.h"] }
    if openSSL { includes.append("openssl/bio.h") }
    let pipe = statements.contains { $0.actorName == actor && ($0.answer ?? $0.expectation).map(Self.mentionsEPIPE) == true }
    if pipe { includes.append("signal.h") }
    var text = "/* \(file): the \(single ? "program" : actor) of \"\(comment(lesson))\", exported by SocketLab.\n *\n"
    text += " * Build: cc -Wall -Wextra -Werror -o \(program) \(file)\(ProgramExport.libraries(script))\n"
    if single {
      text += " * Run:   ./\(program) [PORT [PORT2]]\n */\n"
    } else {
      text += " * Run:   make run (all of the lesson's programs, in its order), or ./\(program) [PORT [PORT2]]\n"
      text += " *        with the others in other terminals, started in the order: \(script.actors.joined(separator: ", ")). */\n"
    }
    if used.contains(CallDefinition.accept4.name) { text += "#define _GNU_SOURCE /* accept4() */\n" }
    text += Array(Set(includes)).sorted().map { "#include <\($0)>" }.joined(separator: "\n") + "\n"
    if !single { text += "\n#include \"lesson_order.h\"\n" }
    text += """

      /* The ports the lesson used; the first two arguments choose others. */
      static int PORT = \(ports.0);
      static int PORT2 = \(ports.1);

      """
    if owfat { text += "\n" + CRuntime.file("libowfat6.c") }
    if needs.contains("show_tcp_state") { text += "\n" + CRuntime.file("show_tcp_state.c") }
    if needs.contains("show_queue") { text += "\n" + CRuntime.file("show_queue.c") }
    text += "\nint main(int argc, char **argv) {\n"
    text += "  if (argc > 1) PORT = atoi(argv[1]);\n  if (argc > 2) PORT2 = atoi(argv[2]);\n"
    if !usesPort(body, "PORT2") { text += "  (void)PORT2;\n" }
    if !usesPort(body, "PORT") { text += "  (void)PORT;\n" }
    if pipe { text += "  signal(SIGPIPE, SIG_IGN); /* a send() the peer will not take returns -1 EPIPE instead of ending us */\n" }
    if !single {
      let first = statements.first?.actorName == actor ? 1 : 0
      text += "  lesson_order_start(\(first));\n"
    }
    text += body.joined(separator: "\n") + "\n  return 0;\n}\n"
    return text
  }

  private func usesPort(_ body: [String], _ name: String) -> Bool {
    body.contains { line in
      line.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).contains { $0 == name }
    }
  }

  private static func mentionsEPIPE(_ expectation: Expectation) -> Bool {
    switch expectation {
    case .error(let name), .failure(_, let name): return name == "EPIPE"
    default: return false
    }
  }

  /// Text safe inside a C comment.
  private func comment(_ text: String) -> String {
    text.replacingAll("*/", with: "* /").replacingAll("/*", with: "/ *")
  }

  private func escape(_ text: String) -> String {
    escapeBytes(Array(text.utf8)).replacingAll("%", with: "%%")
  }

  private func wrapComment(_ text: String) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in comment(text).split(separator: " ") {
      if current.count + word.count + 1 > 92, !current.isEmpty {
        lines.append("     " + current)
        current = ""
      }
      current += (current.isEmpty ? "" : " ") + word
    }
    if !current.isEmpty { lines.append("     " + current) }
    return lines
  }
}

extension String {
  func replacingAll(_ target: String, with replacement: String) -> String {
    let from = Array(self.unicodeScalars)
    let pattern = Array(target.unicodeScalars)
    guard !pattern.isEmpty else { return self }
    var result = String.UnicodeScalarView()
    var index = 0
    while index < from.count {
      if index + pattern.count <= from.count, Array(from[index..<index + pattern.count]) == pattern {
        result.append(contentsOf: replacement.unicodeScalars)
        index += pattern.count
      } else {
        result.append(from[index])
        index += 1
      }
    }
    return String(result)
  }
}
