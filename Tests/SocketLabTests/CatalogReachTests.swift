import Foundation
import LabExport
import LabScript
import LabUI
import Testing

extension Live {
  /// A definition is all that adding a call takes: each one in the catalog is offered by Tab,
  /// shown by F1, and written by both exports.
  @Suite("Every definition reaches the screens and the exports") struct CatalogReach {
    static let names = CallCatalog.definitions.map(\.name)

    @Test(arguments: names)
    func tabCompletesItAndF1ShowsItsReference(_ name: String) throws {
      let lab = try Harness(width: 120, height: 40)
      lab.app.openFreePlay()
      if name == "wire:" {
        // A wire command is words, not a call: Tab offers the verbs, then the kinds.
        lab.type("wire: dr").press(.tab)
        #expect(lab.app.freePlay?.text == "wire: drop ", "Tab on wire: dr")
        lab.type("next SYN-").press(.tab)
        #expect(lab.app.freePlay?.text == "wire: drop next SYN-ACK ", "Tab on SYN-")
      } else {
        lab.type(name).press(.tab)
        #expect(lab.app.freePlay?.text == name + "(", "Tab on \(name)")
      }
      lab.press(.function(1))
      let reference = try #require(CallReference.entry(for: name))
      let first = reference.returns.split(separator: " ").prefix(4).joined(separator: " ")
      #expect(lab.text.contains("Returns: "), "\(lab.text)")
      #expect(lab.text.contains(first), "F1 on \(name):\n\(lab.text)")
    }

    @Test(arguments: names)
    func bothExportsWriteIt(_ name: String) throws {
      let definition = try #require(CallCatalog.definition(named: name))
      let arity = definition.spec.arities.sorted().last ?? 0
      let arguments = (0..<arity).map { _ in "x" }.joined(separator: ", ")
      let line =
        definition.spec.kind != .wire
        ? "main: r = \(name)(\(arguments))" : name == "wire:" ? "wire: drop next SYN-ACK" : name == "wire" ? "wire() = SYN" : "\(name)(SYN) = \(name == "wire_gap" ? "1000ms" : "1")"
      let script = try Parser.parse("main: x = 1\n" + line)
      let check = try CheckExport.program(script, name: "catalog", ports: (40000, 40001))
      let programs = try ProgramExport.files(script, name: "catalog", ports: (40000, 40001))
      let main = try #require(programs.first { $0.name == "main.c" }).text
      switch definition.spec.kind {
      case .system:
        #expect(check.contains("\(name)("), "\(check)")
        #expect(main.contains("\(name)("), "\(main)")
      case .wire:
        // The lab's relay: both exports say what it did, as a comment.
        #expect(check.contains("static void line_1(void)"), "\(check)")
        #expect(check.contains("on the lab's wire"), "\(check)")
        #expect(!main.contains("wire"), "\(main)")
      case .builder, .kernelQuery:
        // A builder fills r; a kernel query is the runtime's TCP_INFO or ioctl read, or a comment.
        #expect(check.contains("static void line_1(void)"))
        #expect(main.contains(definition.isValueCheck ? "printf(" : "r") || main.contains(name), "\(main)")
      }
    }
  }
}
