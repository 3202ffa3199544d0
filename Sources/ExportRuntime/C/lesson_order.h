/* lesson_order.h: keeps the lesson's order between its programs. It is not socket code.
 *
 * In the lesson, the server's and the client's lines take turns in one order. Two programs run
 * at their own pace instead, so a result that depends on the other side's timing (how many
 * bytes one recv() finds, which state a socket is in) could differ from the lesson's. The
 * programs share a small file named by the SOCKLAB_ORDER environment variable, holding the
 * number of the lesson's next line:
 *
 *   TURN(n)  waits until the other programs have done the lesson's lines before line n;
 *   DONE(n)  lets the lesson go on to line n;
 *   SHARE(v) and RECEIVE(v) pass a variable that the kernel filled in for one program (the port
 *            it chose, the client's own address) to another, as a real client would be told it.
 *
 * Without SOCKLAB_ORDER, TURN and DONE do nothing and each program simply runs. `make run` sets
 * it. */
#ifndef LESSON_ORDER_H
#define LESSON_ORDER_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* The shared file: the lesson's next line, and a few variables passed between programs. */
struct lesson_shared {
  int next_line;
  struct { char name[32]; unsigned size; unsigned char bytes[128]; } values[8];
};

static struct lesson_shared *lesson_order;
static int *lesson_next_line;

/* Opens the shared file; the program that has the lesson's first line starts it at 0. */
static inline void lesson_order_start(int first) {
  const char *path = getenv("SOCKLAB_ORDER");
  if (!path || !*path) return;
  int fd = open(path, O_RDWR | O_CREAT, 0600);
  if (fd < 0 || ftruncate(fd, sizeof(struct lesson_shared)) < 0) { perror(path); exit(1); }
  void *shared = mmap(NULL, sizeof(struct lesson_shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (shared == MAP_FAILED) { perror("mmap"); exit(1); }
  lesson_order = shared;
  lesson_next_line = &lesson_order->next_line;
  if (first) {
    memset(lesson_order->values, 0, sizeof lesson_order->values);
    __atomic_store_n(lesson_next_line, 0, __ATOMIC_SEQ_CST);
  }
}

static inline void TURN(int line) {
  if (!lesson_next_line) return;
  struct timespec millisecond = { 0, 1000000L };
  for (int waited = 0; __atomic_load_n(lesson_next_line, __ATOMIC_SEQ_CST) < line; waited++) {
    if (waited == 10000) { fprintf(stderr, "gave up after 10 s waiting for line %d\n", line); return; }
    nanosleep(&millisecond, NULL);
  }
}

static inline void DONE(int line) {
  if (lesson_next_line) __atomic_store_n(lesson_next_line, line, __ATOMIC_SEQ_CST);
}

static inline void lesson_share(const char *name, const void *value, size_t size) {
  if (!lesson_order || size > sizeof lesson_order->values[0].bytes) return;
  for (int i = 0; i < 8; i++)
    if (!lesson_order->values[i].name[0] || strcmp(lesson_order->values[i].name, name) == 0) {
      snprintf(lesson_order->values[i].name, sizeof lesson_order->values[i].name, "%s", name);
      memcpy(lesson_order->values[i].bytes, value, size);
      lesson_order->values[i].size = (unsigned)size;
      return;
    }
}

static inline void lesson_receive(const char *name, void *value, size_t size) {
  for (int i = 0; lesson_order && i < 8; i++)
    if (strcmp(lesson_order->values[i].name, name) == 0 && lesson_order->values[i].size == size) {
      memcpy(value, lesson_order->values[i].bytes, size);
      return;
    }
  fprintf(stderr, "%s comes from another of the lesson's programs: run them with `make run`\n", name);
  exit(1);
}

#define SHARE(v) lesson_share(#v, &(v), sizeof(v))
#define RECEIVE(v) lesson_receive(#v, &(v), sizeof(v))

#endif
