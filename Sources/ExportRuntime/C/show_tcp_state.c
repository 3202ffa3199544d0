/* Helper, not part of the lesson: prints the TCP state the kernel holds for `fd`, read with
   getsockopt(TCP_INFO) (the numbers are <netinet/tcp.h>'s TCP_ESTABLISHED, TCP_LISTEN, ...).
   A state the lesson expects may take a moment to arrive (the peer's ACK or FIN is on its way),
   so it asks again for up to 200 ms. */
static void show_tcp_state(const char *name, int fd, const char *expected) {
  static const char *const names[] = { "?", "ESTABLISHED", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
    "TIME-WAIT", "CLOSED", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING" };
  const char *state = "?";
  for (int tries = 0; tries < 200; tries++) {
    struct tcp_info info;
    socklen_t length = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) < 0) {
      perror("getsockopt TCP_INFO");
      return;
    }
    state = info.tcpi_state <= TCP_CLOSING ? names[info.tcpi_state] : "?";
    if (!expected || strcmp(expected, state) == 0) break;
    usleep(1000);
  }
  printf("%s is %s", name, state);
  /* Linux moves a connection entering TIME-WAIT to a small socket of its own: the descriptor's
     socket reads CLOSED, and `ss -tan` shows the TIME-WAIT. */
  if (expected && strcmp(expected, state) != 0) printf(" (the lesson showed %s)", expected);
  printf("\n");
}
