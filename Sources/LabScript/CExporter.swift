import SocketKit

/// Turns a script into one C program that makes the same calls and checks the same results: one
/// thread per actor, run in the script's order by the lab's rule (a call that has not returned
/// after 150 ms is left blocked and the next line goes on).
public enum CExporter {
  /// A script line the exporter cannot write as C yet, with the reason.
  public struct Unsupported: Error, CustomStringConvertible {
    public var line: Int
    public var reason: String
    public var description: String { "line \(line): \(reason)" }
  }

  /// The C program for `script`, named `name`, with PORT and PORT2 fixed to `ports`.
  public static func program(_ script: Script, name: String, ports: (UInt16, UInt16)) throws -> String {
    var renderer = CRenderer()
    var globals: [String] = []
    var functions: [String] = []
    let actors = script.actors
    for (index, statement) in script.statements.enumerated() {
      let before = renderer.declared
      let rendered = renderer.render(statement)
      var code: [String] = []
      let newNames = renderer.declared.filter { before[$0.key] == nil }
      let isQuery = statement.expression.callName.flatMap { CallCatalog.spec(named: $0)?.kind } == .kernelQuery
      // A kernel query's C (TCP_INFO, FIONREAD) is in the program's helpers, not in globals.
      for (variable, type) in newNames.sorted(by: { $0.key < $1.key }) where !isQuery {
        globals.append(try global(variable, type, statement, rendered))
      }
      // Declarations become assignments to the globals above.
      for line in rendered {
        var line = line
        if line.hasPrefix("char "),
          let (variable, _) = newNames.first(where: { $0.value == "char[]" && line.hasPrefix("char \($0.key)[") })
        {
          _ = variable
          continue  // declared as a global
        }
        if line.hasPrefix("struct pollfd "), let (variable, _) = newNames.first(where: { $0.value == "struct pollfd[]" }),
          let brace = line.firstIndex(of: "{")
        {
          let entries = line[brace...].dropLast()  // "{ ... }" without the ;
          code.append("memcpy(\(variable), (struct pollfd[])\(entries), sizeof \(variable));")
          continue
        }
        if let (variable, type) = newNames.first(where: { line.hasPrefix(renderer.declaration($0.value, $0.key)) }) {
          let declared = renderer.declaration(type, variable)
          let rest = String(line.dropFirst(declared.count)).trimmingSpaces()
          if rest == ";" { continue }
          if rest.hasPrefix("= {") {
            line = "\(variable) = (\(type))\(rest.dropFirst(2))"
          } else {
            line = "\(variable) \(rest)"
          }
        }
        code.append(line)
      }
      functions.append(try lineFunction(index, statement, code: code, renderer: renderer))
    }
    let order = script.statements.map { actors.firstIndex(of: $0.actorName)! }
    let usesBIO = script.statements.contains { $0.expression.callName?.hasPrefix("BIO_") == true }
    let usesOwfat = script.statements.contains { $0.expression.callName?.hasPrefix("socket_") == true }
    // The descriptor each line works on, for wchan(): which actor is asleep on which socket.
    var descriptorCases: [String] = []
    for (index, statement) in script.statements.enumerated() {
      guard case .call(let name, let arguments, _) = statement.expression, let first = arguments.first,
        CallCatalog.spec(named: name)?.takesDescriptorFirst == true
      else { continue }
      descriptorCases.append("    case \(index): return (int)(\(renderer.expression(first)));")
    }
    let queries = script.statements.map { statement -> Int in
      statement.expression.callName.flatMap { CallCatalog.spec(named: $0)?.kind } == .kernelQuery ? 1 : 0
    }
    return """
      /* \(name), exported by SocketLab.
       * Build and run:  cc -Wall -Wextra -Werror -pthread -o prog prog.c && ./prog
       * One thread per actor (\(actors.joined(separator: ", "))). Every call prints its result; a result
       * other than the script's expectation prints FAILED and the program exits 1. */
      #define _GNU_SOURCE
      #include <arpa/inet.h>
      #include <errno.h>
      #include <fcntl.h>
      #include <linux/inet_diag.h>
      #include <linux/netlink.h>
      #include <linux/sock_diag.h>
      #include <netinet/in.h>
      #include <netinet/tcp.h>
      #include <poll.h>
      #include <pthread.h>
      #include <signal.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include <string.h>
      #include <sys/ioctl.h>
      #include <sys/socket.h>
      #include <time.h>
      #include <stdint.h>
      #include <unistd.h>
      \(usesBIO ? "#include <openssl/bio.h>\n" : "")
      /* The ports the lab's screen showed; `./prog PORT PORT2` runs on others (the lab may still
         hold these, or its closed connections keep them in TIME-WAIT for a minute). */
      static int PORT = \(ports.0);
      static int PORT2 = \(ports.1);
      #define LINES \(script.statements.count)
      #define ACTORS \(actors.count)

      \(helpers)
      \(usesOwfat ? libowfat : "")
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

      \(wchan)

      \(functions.joined(separator: "\n\n"))

      static void (*const lines[])(void) = { \(script.statements.indices.map { "line_\($0)" }.joined(separator: ", ")) };
      static const int actor_of[] = { \(order.map(String.init).joined(separator: ", ")) };
      static const char *const actor_names[] = { \(actors.map { "\"\($0)\"" }.joined(separator: ", ")) };

      \(runner)
      """
  }

  // MARK: - Pieces

  private static func global(_ name: String, _ type: String, _ statement: Statement, _ rendered: [String]) throws -> String {
    if type == "char[]", let line = rendered.first(where: { $0.hasPrefix("char \(name)[") }) { return "static " + line }
    if type == "struct pollfd[]", case .call(_, let entries, _) = statement.expression {
      return "static struct pollfd \(name)[\(entries.count)];"
    }
    return "static \(CRenderer().declaration(type, name));"
  }

  private static func cString(_ text: String) -> String { "\"\(escapeBytes(Array(text.utf8)))\"" }

  private static func lineFunction(_ index: Int, _ statement: Statement, code: [String], renderer: CRenderer) throws -> String {
    let label = cString("\(statement.actorName): \(statement.source)")
    let expectation = statement.expectation == .prediction ? statement.answer : statement.expectation
    var body = code.dropLast().map { "  " + $0 }
    let last = code.last ?? ""
    guard case .call(let name, let arguments, _) = statement.expression, let spec = CallCatalog.spec(named: name) else {
      body = code.map { "  " + $0 }
      return "static void line_\(index)(void) {\n\(body.joined(separator: "\n"))\n  report_text(\(label), \"done\", 1);\n}"
    }
    if name == "value", let inner = arguments.first {
      let expr = renderer.expression(inner)
      let isText =
        inner.rootName.flatMap { renderer.declared[$0] }.map { $0.contains("char *") } ?? false
        || { if case .value(.string)? = expectation { return true } else { return false } }()
      if isText {
        var check = "1"
        if case .value(.string(let bytes, _))? = expectation {
          check = "t != NULL && strcmp(t, \(cString(String(decoding: bytes, as: UTF8.self)))) == 0"
        }
        return
          "static void line_\(index)(void) {\n  const char *t = \(expr);\n  report_text(\(label), t ? t : \"NULL\", \(check));\n}"
      }
      var check = "1"
      if case .value(let wanted)? = expectation { check = "r == (long)(\(renderer.expression(wanted)))" }
      return "static void line_\(index)(void) {\n  long r = (long)(\(expr));\n  report(\(label), r, 0, \(check));\n}"
    }
    switch spec.kind {
    case .builder:
      body = code.map { "  " + $0 }
      return "static void line_\(index)(void) {\n\(body.joined(separator: "\n"))\n  report_text(\(label), \"done\", 1);\n}"
    case .kernelQuery:
      let fd = renderer.expression(arguments[0])
      switch name {
      case "tcp_state":
        var want = "-1"
        if case .state(let state)? = expectation { want = "\(state.rawValue)" }
        return """
          static void line_\(index)(void) {
            int st = wait_state(\(fd), \(want));
            report_text(\(label), state_name(st), \(want) < 0 || st == \(want));
          }
          """
      case "pending", "unsent":
        var want = "-1"
        if case .value(.integer(let n, _))? = expectation { want = "\(n)" }
        return """
          static void line_\(index)(void) {
            long n = wait_queue(\(fd), \(name == "pending" ? "FIONREAD" : "TIOCOUTQ"), \(want));
            report(\(label), n, 0, \(want) < 0 || n == \(want));
          }
          """
      case "wchan":
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
      default:
        throw Unsupported(line: statement.location.line, reason: "\(name)() is not exported yet")
      }
    case .system:
      break
    }
    if name == "getaddrinfo" {
      throw Unsupported(line: statement.location.line, reason: "\(name)() is not exported yet")
    }
    let call = last.hasSuffix(";") ? String(last.dropLast()) : last
    if name == "inet_ntoa" || name == "inet_ntop" {
      var check = "1"
      if case .value(.string(let bytes, _))? = expectation {
        check = "t != NULL && strcmp(t, \(cString(String(decoding: bytes, as: UTF8.self)))) == 0"
      }
      let assignment = call.contains(" = ") ? call : "const char *t_ = \(call)"
      let variable = call.contains(" = ") ? String(call.prefix { $0 != " " }) : "t_"
      return """
        static void line_\(index)(void) {
          \(assignment);
          const char *t = \(variable);
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
    case .state?: check = "0"
    }
    let evaluated =
      call.contains(" = ") && !call.hasPrefix("(")
      ? "(\(call.split(separator: " ", maxSplits: 1)[0]) = \(String(call.split(separator: "=", maxSplits: 1)[1]).trimmingSpaces()))"
      : call
    return """
      static void line_\(index)(void) {
      \(body.joined(separator: "\n"))\(body.isEmpty ? "" : "\n")  errno = 0;
        long r = (long)\(evaluated.hasPrefix("(") ? evaluated : "(\(evaluated))");
        int e = errno;
        (void)e;
      \(noteLines(name, arguments, renderer))  report(\(label), r, \(oneOrZero.contains(name) ? "r != 1" : "r < 0") ? e : 0, \(check));
      }
      """
  }

  /// Calls that remember where a socket is connected, so that its state can still be found in
  /// the kernel's table after it closes (TIME-WAIT has no descriptor).
  private static func noteLines(_ name: String, _ arguments: [Expr], _ renderer: CRenderer) -> String {
    var lines = ""
    let takesDescriptor = CallCatalog.spec(named: name)?.takesDescriptorFirst == true
    if takesDescriptor, let first = arguments.first, name != "close" {
      lines += "  note_endpoints(\(renderer.expression(first)));\n"
    }
    if name == "accept" || name == "accept4" { lines += "  if (r >= 0) note_endpoints((int)r);\n" }
    return lines
  }

  /// OpenSSL's calls that return 1 for success and 0 for failure.
  private static let oneOrZero: Set<String> = ["BIO_bind", "BIO_listen", "BIO_connect", "BIO_closesocket", "BIO_socket_nbio"]

  private static let wchan = """
    /* The kernel function in which the thread blocked on `fd` sleeps (/proc/self/task/TID/wchan). */
    __attribute__((unused)) static const char *wchan_of(int fd) {
      static char name[128];
      int tid = 0;
      pthread_mutex_lock(&lab_lock);
      for (int a = 0; a < ACTORS; a++)
        if (lab_job[a] >= 0 && !is_query[lab_job[a]] && line_fd(lab_job[a]) == fd) tid = lab_tids[a];
      pthread_mutex_unlock(&lab_lock);
      if (!tid) return NULL;
      char path[64];
      snprintf(path, sizeof path, "/proc/self/task/%d/wchan", tid);
      FILE *file = fopen(path, "r");
      if (!file) return NULL;
      size_t n = fread(name, 1, sizeof name - 1, file);
      fclose(file);
      name[n] = 0;
      return strcmp(name, "0") == 0 || n == 0 ? NULL : name;
    }

    __attribute__((unused)) static const char *wait_wchan(int fd, const char *want, int wait) {
      const char *w = NULL;
      for (int i = 0; i < 500; i++) {
        w = wchan_of(fd);
        if (!wait || (want ? w && strcmp(w, want) == 0 : w == NULL)) break;
        pause_ms(2);
      }
      return w;
    }
    """

  /// libowfat's IPv6 calls, written out (libowfat is GPL-2.0-only; this is SocketLab's own code).
  private static let libowfat = """
    /* libowfat's IPv6 calls, with libowfat's signatures and results. */
    typedef uint16_t uint16;
    typedef uint32_t uint32;
    __attribute__((unused)) static const char V6loopback[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    __attribute__((unused)) static const char V6any[16] = { 0 };

    __attribute__((unused)) static int socket_tcp6(void) {
      int s = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
      if (s < 0) return -1;
      int zero = 0;
      setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
      if (fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK) < 0) { int e = errno; close(s); errno = e; return -1; }
      return s;
    }

    static struct sockaddr_in6 owfat_address(const char *ip, uint16 port, uint32 scope_id) {
      struct sockaddr_in6 a;
      memset(&a, 0, sizeof a);
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(port);
      memcpy(&a.sin6_addr, ip, 16);
      a.sin6_scope_id = scope_id;
      return a;
    }

    __attribute__((unused)) static int socket_bind6(int s, const char *ip, uint16 port, uint32 scope_id) {
      struct sockaddr_in6 a = owfat_address(ip, port, scope_id);
      return bind(s, (struct sockaddr *)&a, sizeof a);
    }

    __attribute__((unused)) static int socket_listen(int s, unsigned int backlog) { return listen(s, (int)backlog); }

    __attribute__((unused)) static int socket_accept6(int s, char *ip, uint16 *port, uint32 *scope_id) {
      struct sockaddr_storage a;
      socklen_t length = sizeof a;
      int fd = accept(s, (struct sockaddr *)&a, &length);
      if (fd < 0) return -1;
      if (a.ss_family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&a;
        memset(ip, 0, 10);
        ip[10] = ip[11] = (char)0xff;
        memcpy(ip + 12, &v4->sin_addr, 4);
        *port = ntohs(v4->sin_port);
        if (scope_id) *scope_id = 0;
      } else {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a;
        memcpy(ip, &v6->sin6_addr, 16);
        *port = ntohs(v6->sin6_port);
        if (scope_id) *scope_id = v6->sin6_scope_id;
      }
      return fd;
    }

    __attribute__((unused)) static int socket_connect6(int s, const char *ip, uint16 port, uint32 scope_id) {
      struct sockaddr_in6 a = owfat_address(ip, port, scope_id);
      return connect(s, (struct sockaddr *)&a, sizeof a);
    }

    __attribute__((unused)) static int socket_connected(int s) {
      struct sockaddr_storage a;
      socklen_t length = sizeof a;
      return getpeername(s, (struct sockaddr *)&a, &length) == 0;
    }

    """

  private static let helpers = """
    static int lab_failures;
    static pthread_mutex_t lab_lock = PTHREAD_MUTEX_INITIALIZER;
    static pthread_cond_t lab_changed;

    __attribute__((unused)) static void report(const char *line, long result, int err, int held) {
      pthread_mutex_lock(&lab_lock);
      if (err) printf("%s -> %ld %s\\n", line, result, strerrorname_np(err));
      else printf("%s -> %ld\\n", line, result);
      if (!held) { printf("    FAILED\\n"); lab_failures++; }
      fflush(stdout);
      pthread_mutex_unlock(&lab_lock);
    }

    __attribute__((unused)) static void report_text(const char *line, const char *text, int held) {
      pthread_mutex_lock(&lab_lock);
      printf("%s -> %s\\n", line, text);
      if (!held) { printf("    FAILED\\n"); lab_failures++; }
      fflush(stdout);
      pthread_mutex_unlock(&lab_lock);
    }

    __attribute__((unused)) static const char *state_name(int state) {
      static const char *const names[] = { "?", "ESTABLISHED", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
        "TIME-WAIT", "CLOSED", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING" };
      return state >= 1 && state <= 11 ? names[state] : "?";
    }

    __attribute__((unused)) static void pause_ms(long ms) {
      struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
      nanosleep(&t, NULL);
    }

    /* Where each descriptor was last connected: its ports, for finding it in the kernel's table. */
    static unsigned short local_port[4096], peer_port[4096];

    __attribute__((unused)) static void note_endpoints(int fd) {
      struct sockaddr_storage a;
      socklen_t length = sizeof a;
      if (fd < 0 || fd >= 4096) return;
      if (getsockname(fd, (struct sockaddr *)&a, &length) == 0 && ((struct sockaddr_in *)&a)->sin_port)
        local_port[fd] = ntohs(((struct sockaddr_in *)&a)->sin_port);
      length = sizeof a;
      if (getpeername(fd, (struct sockaddr *)&a, &length) == 0) peer_port[fd] = ntohs(((struct sockaddr_in *)&a)->sin_port);
    }

    /* The state of a connection no descriptor holds any more (TIME-WAIT), from sock_diag. */
    __attribute__((unused)) static int orphan_state(int fd) {
      if (fd < 0 || fd >= 4096 || !local_port[fd]) return -1;
      int found = -1;
      int families[] = { AF_INET, AF_INET6 };
      for (int f = 0; f < 2 && found < 0; f++) {
        int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (nl < 0) return -1;
        struct { struct nlmsghdr nlh; struct inet_diag_req_v2 req; } msg;
        memset(&msg, 0, sizeof msg);
        msg.nlh.nlmsg_len = sizeof msg;
        msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        msg.req.sdiag_family = (unsigned char)families[f];
        msg.req.sdiag_protocol = IPPROTO_TCP;
        msg.req.idiag_states = ~0u;
        send(nl, &msg, sizeof msg, 0);
        char buffer[16384] __attribute__((aligned(4)));
        for (int more = 1; more;) {
          ssize_t n = recv(nl, buffer, sizeof buffer, 0);
          if (n <= 0) break;
          unsigned int length = (unsigned int)n;
          for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, length); h = NLMSG_NEXT(h, length)) {
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) { more = 0; break; }
            struct inet_diag_msg *d = NLMSG_DATA(h);
            if (d->idiag_inode == 0 && ntohs(d->id.idiag_sport) == local_port[fd] &&
                (!peer_port[fd] || ntohs(d->id.idiag_dport) == peer_port[fd]))
              found = d->idiag_state;
          }
        }
        close(nl);
      }
      return found;
    }

    /* The TCP state, waiting up to a second for `want` (-1: do not wait). Like the lab, it reports
       the kernel's TIME-WAIT twin of a socket that reads CLOSED, and a closed descriptor's state
       from sock_diag. */
    __attribute__((unused)) static int wait_state(int fd, int want) {
      int state = -1;
      for (int i = 0; i < 500; i++) {
        struct tcp_info info;
        socklen_t length = sizeof info;
        state = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0 ? info.tcpi_state : -1;
        if (state == 7 || state < 0) {
          int orphan = orphan_state(fd);
          state = orphan > 0 ? orphan : 7;
        }
        if (want < 0 || state == want) break;
        pause_ms(2);
      }
      return state;
    }

    /* Bytes waiting (FIONREAD) or unsent (TIOCOUTQ), waiting up to a second for `want`. */
    __attribute__((unused)) static long wait_queue(int fd, unsigned long request, long want) {
      int count = -1;
      for (int i = 0; i < 500; i++) {
        if (ioctl(fd, request, &count) < 0) count = -1;
        if (want < 0 || count == want) break;
        pause_ms(2);
      }
      return count;
    }
    """

  private static let runner = """
    static void *actor_main(void *arg) {
      int actor = (int)(long)arg;
      pthread_mutex_lock(&lab_lock);
      lab_tids[actor] = (int)gettid();
      pthread_mutex_unlock(&lab_lock);
      for (;;) {
        pthread_mutex_lock(&lab_lock);
        while (lab_job[actor] < 0) pthread_cond_wait(&lab_changed, &lab_lock);
        int line = lab_job[actor];
        pthread_mutex_unlock(&lab_lock);
        lines[line]();
        pthread_mutex_lock(&lab_lock);
        lab_done[line] = 1;
        lab_job[actor] = -1;
        pthread_cond_broadcast(&lab_changed);
        pthread_mutex_unlock(&lab_lock);
      }
      return NULL;
    }

    /* Waits, with the lock held, until `*flag` matches `value` or `ms` pass; returns whether it did. */
    static int wait_for(int *flag, int value, long ms) {
      struct timespec until;
      clock_gettime(CLOCK_MONOTONIC, &until);
      until.tv_sec += ms / 1000;
      until.tv_nsec += (ms % 1000) * 1000000L;
      if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
      while (*flag != value)
        if (pthread_cond_timedwait(&lab_changed, &lab_lock, &until) != 0) break;
      return *flag == value;
    }

    int main(int argc, char **argv) {
      if (argc > 1) PORT = atoi(argv[1]);
      if (argc > 2) PORT2 = atoi(argv[2]);
      signal(SIGPIPE, SIG_IGN); /* a send to a closed peer returns -1 EPIPE instead of killing us */
      pthread_condattr_t attributes;
      pthread_condattr_init(&attributes);
      pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
      pthread_cond_init(&lab_changed, &attributes);
      for (int a = 0; a < ACTORS; a++) {
        pthread_t thread;
        lab_job[a] = -1;
        pthread_create(&thread, NULL, actor_main, (void *)(long)a);
        pthread_detach(thread);
      }
      pthread_mutex_lock(&lab_lock);
      for (int i = 0; i < LINES; i++) {
        int actor = actor_of[i];
        if (!wait_for(&lab_job[actor], -1, 5000)) { /* the actor's earlier call is still blocked */
          printf("FAILED: %s is still blocked\\n", actor_names[actor]);
          lab_failures++;
          break;
        }
        lab_job[actor] = i;
        pthread_cond_broadcast(&lab_changed);
        wait_for(&lab_done[i], 1, is_query[i] ? 1150 : 150);
      }
      for (int i = 0; i < LINES; i++)
        if (!wait_for(&lab_done[i], 1, 1000)) { printf("FAILED: line %d never returned\\n", i + 1); lab_failures++; break; }
      pthread_mutex_unlock(&lab_lock);
      printf(lab_failures ? "# FAILED: %d\\n" : "# ok\\n", lab_failures);
      fflush(stdout);
      _exit(lab_failures ? 1 : 0);
    }
    """
}
