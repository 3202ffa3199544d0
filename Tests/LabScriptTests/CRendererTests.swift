import LabScript
import Testing

@Suite("Rendering call lines as C")
struct CRendererTests {
  private func render(_ text: String) throws -> [[String]] {
    CRenderer.render(try Parser.parse(text))
  }

  @Test func declaresOnFirstUseAndCastsAddresses() throws {
    let lines = try render(
      """
      server: s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = fd
      server: addr = sockaddr_in("127.0.0.1", htons(PORT))
      server: bind(s, &addr, sizeof addr) = 0
      server: a = accept(s, &peer, &peerlen) = fd
      server: recv(a, buf, sizeof buf, 0) = ?
      """)
    #expect(lines[0] == ["int s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);"])
    #expect(
      lines[1] == [
        "struct sockaddr_in addr;", "memset(&addr, 0, sizeof addr);", "addr.sin_family = AF_INET;",
        "addr.sin_port = htons(PORT);", "inet_pton(AF_INET, \"127.0.0.1\", &addr.sin_addr);",
      ])
    #expect(lines[2] == ["bind(s, (struct sockaddr *)&addr, sizeof addr);"])
    #expect(
      lines[3] == [
        "struct sockaddr_storage peer;", "socklen_t peerlen = sizeof peer;",
        "int a = accept(s, (struct sockaddr *)&peer, &peerlen);",
      ])
    #expect(lines[4] == ["char buf[1024];", "recv(a, buf, sizeof buf, 0);"])
  }

  @Test func shortFormsExpandToTheCForm() throws {
    let lines = try render(
      """
      s = socket(AF_INET, SOCK_STREAM, 0)
      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1) = 0
      setsockopt(s, SOL_SOCKET, SO_LINGER, linger(1, 0)) = 0
      flags = fcntl(s, F_GETFL)
      fcntl(s, F_SETFL, flags | O_NONBLOCK) = 0
      send(s, "hi\\n", 3, MSG_NOSIGNAL)
      """)
    #expect(lines[1] == ["setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));"])
    #expect(lines[2] == ["setsockopt(s, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 }, sizeof(struct linger));"])
    #expect(lines[3] == ["int flags = fcntl(s, F_GETFL);"])
    #expect(lines[4] == ["fcntl(s, F_SETFL, flags | O_NONBLOCK);"])
    #expect(lines[5] == ["send(s, \"hi\\n\", 3, MSG_NOSIGNAL);"])
  }

  @Test func kernelQueriesBecomeTheCallsThatReadThem() throws {
    let lines = try render(
      """
      s = socket(AF_INET, SOCK_STREAM, 0)
      tcp_state(s) = CLOSED
      pending(s) = 0
      """)
    #expect(
      lines[1] == [
        "struct tcp_info info;", "socklen_t infolen = sizeof info;",
        "getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &infolen);  /* info.tcpi_state */",
      ])
    #expect(lines[2] == ["int pending;", "ioctl(s, FIONREAD, &pending);"])
  }

  @Test func fieldAssignmentsStayFieldAssignments() throws {
    let lines = try render(
      """
      addr = sockaddr_in()
      addr.sin_port = htons(8080)
      inet_aton("127.0.0.1", &addr.sin_addr) = 1
      """)
    #expect(lines[1] == ["addr.sin_port = htons(8080);"])
    #expect(lines[2] == ["inet_aton(\"127.0.0.1\", &addr.sin_addr);"])
  }
}
