/* lesson_order.h: keeps the lesson's order between its programs. It is not socket code.
 *
 * In the lesson, the server's and the client's lines take turns in one order. Two programs run
 * at their own pace instead, so a result that depends on the other side's timing (how many
 * bytes one recv() finds, which state a socket is in) could differ from the lesson's. The
 * programs share a small file named by the SOCKLAB_ORDER environment variable, holding the
 * number of the lesson's next line:
 *
 *   TURN(n)  waits until the other programs have done the lesson's lines before line n;
 *   DONE(n)  lets the lesson go on to line n.
 *
 * Without SOCKLAB_ORDER, both do nothing and each program simply runs. `make run` sets it. */
#ifndef LESSON_ORDER_H
#define LESSON_ORDER_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int *lesson_next_line;

/* Opens the shared file; the program that has the lesson's first line starts it at 0. */
static void lesson_order_start(int first) {
  const char *path = getenv("SOCKLAB_ORDER");
  if (!path || !*path) return;
  int fd = open(path, O_RDWR | O_CREAT, 0600);
  if (fd < 0 || ftruncate(fd, sizeof(int)) < 0) { perror(path); exit(1); }
  void *shared = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (shared == MAP_FAILED) { perror("mmap"); exit(1); }
  lesson_next_line = shared;
  if (first) __atomic_store_n(lesson_next_line, 0, __ATOMIC_SEQ_CST);
}

static void TURN(int line) {
  if (!lesson_next_line) return;
  struct timespec millisecond = { 0, 1000000L };
  for (int waited = 0; __atomic_load_n(lesson_next_line, __ATOMIC_SEQ_CST) < line; waited++) {
    if (waited == 10000) { fprintf(stderr, "gave up after 10 s waiting for line %d\n", line); return; }
    nanosleep(&millisecond, NULL);
  }
}

static void DONE(int line) {
  if (lesson_next_line) __atomic_store_n(lesson_next_line, line, __ATOMIC_SEQ_CST);
}

#endif
