/* The kernel function in which the thread blocked on `fd` sleeps (/proc/self/task/TID/wchan). */
__attribute__((unused)) static const char *wchan_of(int fd) {
  static char name[128];
  int tid = 0;
  pthread_mutex_lock(&lab_lock);
  for (int a = 0; a < ACTORS; a++)
    if (lab_job[a] >= 0 && !is_query[lab_job[a]] && line_fd(lab_job[a]) == fd) tid = lab_tids[a];
  pthread_mutex_unlock(&lab_lock);
  if (!tid) return NULL;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/wchan", tid);
  FILE *file = fopen(path, "r");
  if (!file) return NULL;
  size_t n = fread(name, 1, sizeof name - 1, file);
  fclose(file);
  name[n] = 0;
  return strcmp(name, "0") == 0 || n == 0 ? NULL : name;
}

__attribute__((unused)) static const char *wait_wchan(int fd, const char *want, int wait) {
  const char *w = NULL;
  for (int i = 0; i < 500; i++) {
    w = wchan_of(fd);
    if (!wait || (want ? w && strcmp(w, want) == 0 : w == NULL)) break;
    pause_ms(2);
  }
  return w;
}
