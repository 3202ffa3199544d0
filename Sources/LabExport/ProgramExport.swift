import ExportRuntime
import LabScript
import Lessons
import SocketKit

/// A lesson step, as the exported program's comments tell it.
public struct ExportStep: Sendable, Equatable {
  public var title: String
  /// One line on what the step shows.
  public var explanation: String
  /// The index of the step's first statement in the script.
  public var firstStatement: Int

  public init(title: String, explanation: String, firstStatement: Int) {
    self.title = title
    self.explanation = explanation
    self.firstStatement = firstStatement
  }
}

extension ExportStep {
  /// A lesson's steps, each with the first sentence of its prose.
  public static func steps(of lesson: Lesson) -> [ExportStep] {
    var first = 0
    var steps: [ExportStep] = []
    for step in lesson.steps {
      steps.append(ExportStep(title: step.title, explanation: firstSentence(step.prose), firstStatement: first))
      first += step.statements.count
    }
    return steps
  }

  static func firstSentence(_ prose: String) -> String {
    let flat = prose.split(whereSeparator: { $0 == "\n" }).map { String($0).trimmingSpaces() }
      .filter { !$0.isEmpty && !$0.hasPrefix("#") }.joined(separator: " ")
    var sentence = ""
    for character in flat where character != "*" {
      sentence.append(character)
      if ".!?".contains(character), sentence.count > 20 { break }
    }
    return sentence.trimmingSpaces()
  }
}

/// One file an export writes.
public struct ExportedFile: Sendable {
  public var name: String
  public var text: String
}

/// The readable export (`socklab export --c`): one program per actor (`server.c`, `client.c`, or
/// `main.c` for a lesson with one), each with its calls in order in `main()`, every call checked
/// the way a careful C programmer checks it, the lesson's steps as comments, and a Makefile.
public enum ProgramExport {
  public static func files(
    _ script: Script, name: String, steps: [ExportStep] = [], ports: (UInt16, UInt16)
  ) throws -> [ExportedFile] {
    // The lab's wire lines are its relay between hosts: no program makes them, so the
    // programs leave them out (the verifying program reports them).
    let kept = script.statements.indices.filter { script.statements[$0].actorName != WireLanguage.actor }
    let script = Script(statements: kept.map { script.statements[$0] }, file: script.file)
    let steps = steps.map { step in
      var step = step
      step.firstStatement = kept.filter { $0 < step.firstStatement }.count
      return step
    }
    let plan = SharingPlan(script)
    let actors = script.actors
    var files: [ExportedFile] = []
    for actor in actors {
      let file = "\(cIdentifier(actor)).c"
      var writer = ProgramWriter(script: script, actor: actor, plan: plan, steps: steps, single: actors.count == 1)
      let body = try writer.body()
      files.append(ExportedFile(name: file, text: writer.program(file: file, lesson: name, body: body, ports: ports)))
    }
    if actors.count > 1 { files.append(ExportedFile(name: "lesson_order.h", text: CRuntime.file("lesson_order.h"))) }
    files.append(ExportedFile(name: "Makefile", text: makefile(files.map(\.name).filter { $0.hasSuffix(".c") }, script)))
    return files
  }

  /// `cc` flags and libraries for a script's programs.
  static func libraries(_ script: Script) -> String {
    script.statements.contains { CallCatalog.definition(of: $0.expression)?.traits.contains(.openSSL) == true } ? " -lcrypto" : ""
  }

  private static func makefile(_ sources: [String], _ script: Script) -> String {
    let programs = sources.map { String($0.dropLast(2)) }
    let header = programs.count > 1 ? " lesson_order.h" : ""
    var text = """
      # Built by `make` (gcc or clang: `make CC=clang`). `make run` runs the lesson's programs
      # together, in the lesson's order; `make run ARGS="PORT PORT2"` picks other ports.
      CFLAGS = -Wall -Wextra -Werror
      LDLIBS =\(libraries(script))

      all: \(programs.joined(separator: " "))

      """
    for program in programs {
      text += "\(program): \(program).c\(header)\n\t$(CC) $(CFLAGS) -o $@ \(program).c $(LDLIBS)\n\n"
    }
    if programs.count == 1 {
      text += "run: all\n\t./\(programs[0]) $(ARGS)\n"
    } else {
      let background = programs.dropLast().enumerated().map { "./\($1) $(ARGS) & p\($0)=$$!;" }.joined(separator: " ")
      let waits = programs.dropLast().indices.map { "wait $$p\($0)" }.joined(separator: " && ")
      text += """
        run: all
        \trm -f .lesson-order; export SOCKLAB_ORDER=.lesson-order; \(background) ./\(programs.last!) $(ARGS) && \(waits)

        """
    }
    text += "\nclean:\n\trm -f \(programs.joined(separator: " ")) .lesson-order\n"
    return text
  }

  static func cIdentifier(_ text: String) -> String {
    String(text.map { $0.isLetter || $0.isNumber ? $0 : "_" })
  }
}

/// Which variables pass between the actors' programs, and how: a value C computes (an address
/// filled in by hand) is computed again by each program that needs it; a value the kernel gave
/// one program (the port it chose) is passed with SHARE and RECEIVE.
struct SharingPlan {
  /// Statements copied into other actors' programs: index → the actors that copy it.
  var copies: [Int: Set<String>] = [:]
  /// After statement index, its actor shares these variables.
  var shares: [Int: [String]] = [:]
  /// Before its statement index, the actor receives these variables.
  var receives: [Int: [String]] = [:]
  /// Variables that hold a descriptor, by the actor that opened it.
  var descriptors: [String: String] = [:]
  /// Every variable's C type, from a rendering of the whole script.
  var types: [String: String] = [:]

  init(_ script: Script) {
    var whole = CRenderer()
    for statement in script.statements { _ = whole.lines(statement) }
    types = whole.declared
    let statements = script.statements
    for statement in statements {
      if CallCatalog.definition(of: statement.expression)?.ownership == .opensDescriptor, let name = statement.target?.rootName {
        descriptors[name] = descriptors[name] ?? statement.actorName
      }
    }
    // Where each actor first gives each name a value: a name it gives itself is its own.
    var firstDefinition: [String: [String: Int]] = [:]
    for (index, statement) in statements.enumerated() {
      for name in Self.defines(statement) where firstDefinition[statement.actorName]?[name] == nil {
        firstDefinition[statement.actorName, default: [:]][name] = index
      }
    }
    for (index, statement) in statements.enumerated() {
      let defined = Self.defines(statement)
      guard !defined.isEmpty else { continue }
      let portable = Self.isPortable(statement, descriptors: descriptors)
      for (later, user) in statements.enumerated().dropFirst(index + 1) where user.actorName != statement.actorName {
        let needed = defined.intersection(Self.uses(user)).filter { name in
          firstDefinition[user.actorName]?[name].map { $0 > later } ?? true
        }
        guard !needed.isEmpty, descriptors[needed.first!] == nil else { continue }
        if portable {
          copies[index, default: []].insert(user.actorName)
        } else {
          for name in needed.sorted() {
            if !(shares[index] ?? []).contains(name) { shares[index, default: []].append(name) }
            if !(receives[later] ?? []).contains(name) { receives[later, default: []].append(name) }
          }
        }
      }
    }
  }

  /// Names a statement gives a value to: its target, and its out-parameters.
  static func defines(_ statement: Statement) -> Set<String> {
    var names: Set<String> = []
    if let root = statement.target?.rootName { names.insert(root) }
    if case .call(_, let arguments, _) = statement.expression, let definition = CallCatalog.definition(of: statement.expression) {
      for index in definition.spec.outParameters.keys where index < arguments.count {
        if let root = arguments[index].rootName { names.insert(root) }
      }
    }
    return names
  }

  /// Names a statement reads or writes.
  static func uses(_ statement: Statement) -> Set<String> {
    var names = Set(statement.expression.names)
    if let target = statement.target { names.formUnion(target.names) }
    return names
  }

  /// Whether another program can compute the same value itself: no kernel, no descriptor.
  static func isPortable(_ statement: Statement, descriptors: [String: String]) -> Bool {
    guard uses(statement).allSatisfy({ descriptors[$0] == nil }) else { return false }
    guard let definition = CallCatalog.definition(of: statement.expression) else { return true }
    return definition.spec.kind == .builder || definition.traits.contains(.libraryCall)
  }
}

extension Expr {
  /// Every variable name in the expression (constants and NULL included; callers intersect).
  var names: [String] {
    switch self {
    case .name(let name, _): return [name]
    case .field(let base, _, _), .addressOf(let base, _), .negate(let base, _): return base.names
    case .sizeof(.variable(let name), _): return [name]
    case .bitOr(let a, let b): return a.names + b.names
    case .call(_, let arguments, _): return arguments.flatMap(\.names)
    case .integer, .string, .sizeof: return []
    }
  }
}
