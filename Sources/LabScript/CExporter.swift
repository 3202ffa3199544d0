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
      #include <unistd.h>

      #define PORT \(ports.0)
      #define PORT2 \(ports.1)

      \(helpers)

      /* The script's variables, shared by every actor as in the lab. */
      \(globals.joined(separator: "\n"))

      \(functions.joined(separator: "\n\n"))

      static void (*const lines[])(void) = { \(script.statements.indices.map { "line_\($0)" }.joined(separator: ", ")) };
      static const int actor_of[] = { \(order.map(String.init).joined(separator: ", ")) };
      static const int is_query[] = { \(queries.map(String.init).joined(separator: ", ")) };
      static const char *const actor_names[] = { \(actors.map { "\"\($0)\"" }.joined(separator: ", ")) };
      #define LINES \(script.statements.count)
      #define ACTORS \(actors.count)

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
      default:
        throw Unsupported(line: statement.location.line, reason: "\(name)() is not exported yet")
      }
    case .system:
      break
    }
    if name.hasPrefix("BIO_") || name.hasPrefix("socket_") || name == "getaddrinfo" {
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
      \(noteLines(name, arguments, renderer))  report(\(label), r, e, \(check));
      }
      """
  }

  /// Calls that remember where a socket is connected, so that its state can still be found in
  /// the kernel's table after it closes (TIME-WAIT has no descriptor).
  private static func noteLines(_ name: String, _ arguments: [Expr], _ renderer: CRenderer) -> String {
    var lines = ""
    let takesDescriptor = ["fd", "s", "sock"].contains(CallCatalog.spec(named: name)?.parameters.first ?? "")
    if takesDescriptor, let first = arguments.first, name != "close" {
      lines += "  note_endpoints(\(renderer.expression(first)));\n"
    }
    if name == "accept" || name == "accept4" { lines += "  if (r >= 0) note_endpoints((int)r);\n" }
    return lines
  }

  private static let helpers = """
    static int failures;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static pthread_cond_t changed;

    __attribute__((unused)) static void report(const char *line, long result, int err, int held) {
      pthread_mutex_lock(&lock);
      if (result < 0 && err) printf("%s -> %ld %s\\n", line, result, strerrorname_np(err));
      else printf("%s -> %ld\\n", line, result);
      if (!held) { printf("    FAILED\\n"); failures++; }
      fflush(stdout);
      pthread_mutex_unlock(&lock);
    }

    __attribute__((unused)) static void report_text(const char *line, const char *text, int held) {
      pthread_mutex_lock(&lock);
      printf("%s -> %s\\n", line, text);
      if (!held) { printf("    FAILED\\n"); failures++; }
      fflush(stdout);
      pthread_mutex_unlock(&lock);
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
          int length = (int)n;
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
    static int job[ACTORS];
    static int done[LINES];

    static void *actor_main(void *arg) {
      int actor = (int)(long)arg;
      for (;;) {
        pthread_mutex_lock(&lock);
        while (job[actor] < 0) pthread_cond_wait(&changed, &lock);
        int line = job[actor];
        pthread_mutex_unlock(&lock);
        lines[line]();
        pthread_mutex_lock(&lock);
        done[line] = 1;
        job[actor] = -1;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
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
        if (pthread_cond_timedwait(&changed, &lock, &until) != 0) break;
      return *flag == value;
    }

    int main(void) {
      signal(SIGPIPE, SIG_IGN); /* a send to a closed peer returns -1 EPIPE instead of killing us */
      pthread_condattr_t attributes;
      pthread_condattr_init(&attributes);
      pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
      pthread_cond_init(&changed, &attributes);
      for (int a = 0; a < ACTORS; a++) {
        pthread_t thread;
        job[a] = -1;
        pthread_create(&thread, NULL, actor_main, (void *)(long)a);
        pthread_detach(thread);
      }
      pthread_mutex_lock(&lock);
      for (int i = 0; i < LINES; i++) {
        int actor = actor_of[i];
        if (!wait_for(&job[actor], -1, 5000)) { /* the actor's earlier call is still blocked */
          printf("FAILED: %s is still blocked\\n", actor_names[actor]);
          failures++;
          break;
        }
        job[actor] = i;
        pthread_cond_broadcast(&changed);
        wait_for(&done[i], 1, is_query[i] ? 1150 : 150);
      }
      for (int i = 0; i < LINES; i++)
        if (!wait_for(&done[i], 1, 1000)) { printf("FAILED: line %d never returned\\n", i + 1); failures++; break; }
      pthread_mutex_unlock(&lock);
      printf(failures ? "# FAILED: %d\\n" : "# ok\\n", failures);
      fflush(stdout);
      _exit(failures ? 1 : 0);
    }
    """
}
