/* What every line reports, and how the kernel's own view is read back. */
static int lab_failures;
static pthread_mutex_t lab_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lab_changed;

__attribute__((unused)) static void report(const char *line, long result, int err, int held) {
  pthread_mutex_lock(&lab_lock);
  if (err) printf("%s -> %ld %s\n", line, result, strerrorname_np(err));
  else printf("%s -> %ld\n", line, result);
  if (!held) { printf("    FAILED\n"); lab_failures++; }
  fflush(stdout);
  pthread_mutex_unlock(&lab_lock);
}

__attribute__((unused)) static void report_text(const char *line, const char *text, int held) {
  pthread_mutex_lock(&lab_lock);
  printf("%s -> %s\n", line, text);
  if (!held) { printf("    FAILED\n"); lab_failures++; }
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

struct orphan_search { int fd, found; };

static void orphan_match(const struct inet_diag_msg *d, void *context) {
  struct orphan_search *search = context;
  if (d->idiag_inode == 0 && ntohs(d->id.idiag_sport) == local_port[search->fd] &&
      (!peer_port[search->fd] || ntohs(d->id.idiag_dport) == peer_port[search->fd]))
    search->found = d->idiag_state;
}

/* The state of a connection no descriptor holds any more (TIME-WAIT), from sock_diag. */
__attribute__((unused)) static int orphan_state(int fd) {
  if (fd < 0 || fd >= 4096 || !local_port[fd]) return -1;
  struct orphan_search search = { fd, -1 };
  int families[] = { AF_INET, AF_INET6 };
  for (int f = 0; f < 2 && search.found < 0; f++) {
    int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (nl < 0) return -1;
    struct inet_diag_req_v2 req;
    memset(&req, 0, sizeof req);
    req.sdiag_family = (unsigned char)families[f];
    req.sdiag_protocol = IPPROTO_TCP;
    req.idiag_states = ~0u;
    socklab_diag_walk(nl, 1, &req, 1, NULL, 0, orphan_match, &search);
    close(nl);
  }
  return search.found;
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
    if (state == TCP_CLOSE || state < 0) {
      int orphan = orphan_state(fd);
      state = orphan > 0 ? orphan : TCP_CLOSE;
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
