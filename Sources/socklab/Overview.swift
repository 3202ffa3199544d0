enum Overview {
  static let notATerminal = """
    socklab: the lesson player needs a terminal, and this output is not one.

    To replay a lesson or a script without a terminal, use `socklab run`, for example
      socklab run tcp-conversation
    """

  static let text = """
    SocketLab — a lab for the Berkeley sockets API.

    Every socket(), bind(), listen(), accept(), connect(), send() and recv() you step through is
    executed for real on this machine, on loopback (or, in the lessons on the wire, on hosts of
    the lab's own with every segment shown), and the kernel's answer is shown as it is: return
    values, errno names, TCP states, bytes waiting in queues.

    Commands:
      socklab                 open the lessons in this terminal (at least 80x24)
      socklab play [FILE]     free play: type any call at a prompt
      socklab run LESSON      replay a lesson (a file or an id such as tcp-conversation)
      socklab run FILE        run a script of call lines headless and print the transcript
      socklab run FILE --json the same transcript as JSON, for programs
      socklab lint [PATH]     check lesson files and say where each problem is
      socklab export --c X    write a lesson or script as a C program
      socklab progress        how far you are in each lesson (--reset to start over)
      socklab run L --pcap F  for a lesson on the wire: write its frames as pcapng
      socklab exec HOST -- C  run a command on a host of the running lab (nc, socat, python3)
      socklab bench --wire    the wire's figures: host set-up, relay time, throughput
      socklab help run        every option of a command

    Try one of the example scripts:
      swift run socklab run Lessons/scripts/tcp-hello.lab

    A script line looks like C, with the result it must give after `=`:
      server: s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)   = fd
      server: bind(s, &addr, sizeof addr)                      = 0
      client: connect(c, &addr, sizeof addr)                   = -1 ECONNREFUSED

    """
}
