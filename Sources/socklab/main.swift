import LabScript
import SocketKit

let text = """
s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = fd
addr = sockaddr_in("127.0.0.1", htons(PORT))
bind(s, &addr, sizeof addr) = 0
listen(s, 5) = 0
tcp_state(s) = LISTEN
c = socket(AF_INET, SOCK_STREAM, 0) = fd
connect(c, &addr, sizeof addr) = 0
a = accept(s, &peer, &peerlen) = fd
send(c, "hello\\n", 6, 0) = 6
pending(a) = 6
recv(a, buf, sizeof buf, 0) = ?
shutdown(c, SHUT_WR) = 0
tcp_state(c) = FIN-WAIT-2
recv(a, buf, sizeof buf, 0) = 0
tcp_state(a) = CLOSE-WAIT
connect(c, &addr, sizeof addr) = -1 EISCONN
getpeername(a, &p2, &p2len) = 0
inet_ntoa(p2.sin_addr) = "127.0.0.1"
close(a) = 0
close(c) = 0
tcp_state(a) = LAST-ACK
close(a) = -1 EBADF
x = inet_addr("255.255.255.255") = INADDR_NONE
ok = inet_aton("1.2.3.300", &ia) = 0
u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = fd
fcntl(u, F_SETFL, O_NONBLOCK) = 0
recvfrom(u, b2, sizeof b2, 0, &from, &fromlen) = -1 EAGAIN
"""
let env = Environment(ports: ["PORT": 40123, "PORT2": 40124])
let evaluator = Evaluator(environment: env)
do {
  let script = try Parser.parse(text)
  for st in script.statements {
    do {
      let out = try evaluator.run(st)
      print(out.record?.description ?? "\(st.source) -> \(out.value)", out.verdict, out.note ?? "")
    } catch { print("RUNTIME", error) }
  }
} catch { print("PARSE", error) }
