/* libowfat's IPv6 calls with libowfat's signatures and results, written for SocketLab: libowfat
   itself is GPL-2.0-only and is not used. */
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
