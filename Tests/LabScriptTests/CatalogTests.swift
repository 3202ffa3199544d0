import LabScript
import Testing

/// A definition is all that adding a call takes: every one in the catalog reaches the reference,
/// the C rendering and the layers (or says why it has none).
@Suite struct CatalogTests {
  @Test(arguments: CallCatalog.definitions.map(\.name))
  func everyDefinitionReachesReferenceRenderingAndLayers(_ name: String) throws {
    let definition = try #require(CallCatalog.definition(named: name))
    #expect(CallReference.entry(for: name)?.returns == definition.reference.returns)
    #expect(!definition.spec.summary.isEmpty)
    #expect(CallCatalog.suggestion(for: String(name.dropLast())) != nil)
    // A call with arguments of its first arity renders as C that names it (or, for a builder,
    // fills its target).
    let arity = definition.spec.arities.sorted().last ?? 0
    let arguments = (0..<arity).map { _ in "x" }.joined(separator: ", ")
    let line =
      definition.spec.kind != .wire
      ? "r = \(name)(\(arguments))"
      : name == "wire:" ? "wire: drop next SYN-ACK" : name == "wire" ? "wire() = SYN" : "\(name)(SYN) = \(name == "wire_gap" ? "1000ms" : "1")"
    if definition.spec.kind == .wire { #expect(try Parser.parse(line).statements.first?.actorName == "wire") }
    let script = try Parser.parse("x = 1\n" + line)
    var renderer = CRenderer()
    let rendered = script.statements.flatMap { renderer.render($0) }.joined(separator: "\n")
    #expect(!rendered.isEmpty)
    if definition.spec.kind == .system { #expect(rendered.contains("\(name)("), "\(rendered)") }
    if definition.spec.kind == .wire { #expect(rendered.contains("on the lab's wire"), "\(rendered)") }
    // Only the lab's builders, the C library's own calls and libowfat's connected-check have no layers.
    if definition.spec.kind != .builder, !definition.traits.contains(.libraryCall) {
      #expect(definition.layers != nil || name == "socket_connected", "\(name) has no layers")
    }
  }

  @Test func theCatalogIsTheListOfDefinitions() {
    #expect(CallCatalog.all.map(\.name) == CallCatalog.definitions.map(\.name))
    #expect(Set(CallCatalog.definitions.map(\.name)).count == CallCatalog.definitions.count)
  }
}
