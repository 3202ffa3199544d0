import LabScript
import Testing

@Suite("C declarations as a student writes them")
struct CDeclarationTests {
  func line(_ text: String, known: Set<String> = Parser.builtins) throws -> Statement {
    var known = known
    return try #require(try Parser.parseLine(text, line: 1, known: &known))
  }

  func error(_ text: String) -> String? {
    var known = Parser.builtins.union(["addr", "s"])
    do {
      _ = try Parser.parseLine(text, line: 1, known: &known)
      return nil
    } catch {
      return error.description
    }
  }

  @Test func aTypedDeclarationRunsAsAnAssignmentAndRendersAsTyped() throws {
    let socket = try line("int sockfd = socket(AF_INET, SOCK_STREAM, 0);")
    #expect(socket.target == .name("sockfd", SourceLocation(line: 1, column: 5)))
    #expect(socket.expression.callName == "socket")
    #expect(socket.source == "int sockfd = socket(AF_INET, SOCK_STREAM, 0)")
    #expect(CRenderer.render(Script(statements: [socket])) == [["int sockfd = socket(AF_INET, SOCK_STREAM, 0);"]])
    let size = try line("socklen_t len = sizeof addr;", known: Parser.builtins.union(["addr"]))
    #expect(CRenderer.render(Script(statements: [size])) == [["socklen_t len = sizeof addr;"]])
    let text = try line("char *name = inet_ntoa(addr.sin_addr)", known: Parser.builtins.union(["addr"]))
    #expect(CRenderer.render(Script(statements: [text])) == [["char *name = inet_ntoa(addr.sin_addr);"]])
  }

  @Test func structsBuffersAndMemsetAreTheLabsBuilders() throws {
    let address = try line("struct sockaddr_in their_addr;")
    #expect(address.expression.callName == "sockaddr_in")
    #expect(CRenderer.render(Script(statements: [address])) == [["struct sockaddr_in their_addr;"]])
    let buffer = try line("char buf[64];")
    #expect(buffer.expression == .call("buffer", [.integer(64, SourceLocation(line: 1, column: 10))], SourceLocation(line: 1, column: 1)))
    #expect(CRenderer.render(Script(statements: [buffer])) == [["char buf[64];"]])
    let zero = try line("memset(&addr, 0, sizeof addr);", known: Parser.builtins.union(["addr"]))
    #expect(zero.target?.rootName == "addr" && zero.expression.callName == "memset")
    let length = try line("socklen_t addr_size;")
    #expect(length.expression == .integer(0, SourceLocation(line: 1, column: 11)))
  }

  @Test func theTypeIsCheckedAgainstWhatTheCallReturns() {
    #expect(error("int name = inet_ntoa(addr.sin_addr)")?.contains("inet_ntoa() returns a char *, not an int") == true)
    #expect(error("char *fd = socket(AF_INET, SOCK_STREAM, 0)")?.contains("socket() returns a number, not a char *") == true)
    #expect(error("struct sockaddr_storage peer;")?.contains("accept(s, &their_addr, &addr_size)") == true)
    #expect(error("int s = socket(AF_INET, SOCK_STREAM, 0); close(s)")?.contains("one statement per line") == true)
  }

  @Test func theLanguageItselfIsUnchanged() throws {
    let plain = try line("s = socket(AF_INET, SOCK_STREAM, 0) = fd")
    #expect(plain.source == "s = socket(AF_INET, SOCK_STREAM, 0) = fd")
    #expect(CRenderer.render(Script(statements: [plain])) == [["int s = socket(AF_INET, SOCK_STREAM, 0);"]])
  }
}
