/* Helper, not part of the lesson: prints how many bytes wait in a socket's queue, asked with
   ioctl(FIONREAD) for the receive queue or ioctl(TIOCOUTQ) for bytes not yet sent or acknowledged. */
static void show_queue(const char *name, int fd, unsigned long request) {
  int count = 0;
  if (ioctl(fd, request, &count) < 0) {
    perror("ioctl");
    return;
  }
  printf("%s: %d bytes %s\n", name, count, request == FIONREAD ? "waiting to be read" : "not yet acknowledged");
}
