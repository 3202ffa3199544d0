/* One thread per actor runs the lines it is given; main hands them out in the script's order,
   by the lab's rule: a call that has not returned after 150 ms is left blocked, and the next
   line goes on. */
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
      printf("FAILED: %s is still blocked\n", actor_names[actor]);
      lab_failures++;
      break;
    }
    lab_job[actor] = i;
    pthread_cond_broadcast(&lab_changed);
    wait_for(&lab_done[i], 1, is_query[i] ? 1150 : 150);
  }
  for (int i = 0; i < LINES; i++)
    if (!wait_for(&lab_done[i], 1, 1000)) { printf("FAILED: line %d never returned\n", i + 1); lab_failures++; break; }
  pthread_mutex_unlock(&lab_lock);
  printf(lab_failures ? "# FAILED: %d\n" : "# ok\n", lab_failures);
  fflush(stdout);
  _exit(lab_failures ? 1 : 0);
}
