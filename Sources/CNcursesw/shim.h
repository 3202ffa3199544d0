#ifndef SOCKLAB_CNCURSESW_SHIM_H
#define SOCKLAB_CNCURSESW_SHIM_H

/* Without this, get_wch, add_wchnstr and the cchar_t functions are not declared. */
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <langinfo.h>
#include <ncurses.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

/* Swift cannot import these macros or reach these globals in Swift 6 mode. */
static inline WINDOW *socklab_stdscr(void) { return stdscr; }
static inline int socklab_lines(void) { return LINES; }
static inline int socklab_cols(void) { return COLS; }
static inline attr_t socklab_a_bold(void) { return A_BOLD; }
static inline attr_t socklab_a_reverse(void) { return A_REVERSE; }
static inline attr_t socklab_a_underline(void) { return A_UNDERLINE; }
static inline attr_t socklab_a_dim(void) { return A_DIM; }
static inline attr_t socklab_a_normal(void) { return A_NORMAL; }
static inline int socklab_color_pairs(void) { return COLOR_PAIRS; }
static inline int socklab_colors(void) { return COLORS; }
static inline int socklab_key_resize(void) { return KEY_RESIZE; }
static inline int socklab_key_f(int n) { return KEY_F(n); }

/* Draws one run of characters in one attribute and colour pair at row y, column x. */
static inline int socklab_put(int y, int x, const wchar_t *text, int count, attr_t attrs, short pair) {
  attr_set(attrs, pair, NULL);
  return mvaddnwstr(y, x, text, count);
}

/* Reads one key without waiting: returns OK (character), KEY_CODE_YES (function key) or ERR. */
static inline int socklab_get_key(wint_t *key) { return get_wch(key); }
/* Gives back a key read ahead (after an Esc that turned out to stand alone). */
static inline void socklab_unget_key(int kind, wint_t key) {
  if (kind == KEY_CODE_YES) ungetch((int)key); else unget_wch((wchar_t)key);
}

/* True when the locale's character set is UTF-8 (box lines can be drawn). */
static inline int socklab_locale_is_utf8(void) {
  const char *codeset = nl_langinfo(CODESET);
  return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

/* The terminal must come back even when the lab crashes: these handlers end curses mode, then
   let the signal do what it would have done. */
static void socklab_crash_handler(int sig) {
  endwin();
  signal(sig, SIG_DFL);
  raise(sig);
}

static volatile sig_atomic_t socklab_stop_requested = 0;
static int socklab_wake_fd = -1;

static void socklab_stop_handler(int sig) {
  (void)sig;
  socklab_stop_requested = 1;
  if (socklab_wake_fd >= 0) {
    char byte = 's';
    ssize_t ignored = write(socklab_wake_fd, &byte, 1);
    (void)ignored;
  }
}

/* SIGTERM, SIGINT, SIGHUP and SIGQUIT ask the run loop to stop (it wakes through `wake_fd`); SIGSEGV,
   SIGBUS, SIGILL, SIGFPE and SIGABRT restore the terminal before the process dies. */
static inline void socklab_install_terminal_guards(int wake_fd) {
  socklab_wake_fd = wake_fd;
  struct sigaction stop;
  memset(&stop, 0, sizeof stop);
  stop.sa_handler = socklab_stop_handler;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGTERM, &stop, NULL);
  sigaction(SIGINT, &stop, NULL);
  sigaction(SIGHUP, &stop, NULL);
  sigaction(SIGQUIT, &stop, NULL);
  int crashes[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
  for (unsigned i = 0; i < sizeof crashes / sizeof crashes[0]; i++) signal(crashes[i], socklab_crash_handler);
}

/* A process started by one whose threads block signals (a test runner, say) inherits that mask:
   the terminal's signals must reach this thread, or a resize would never be noticed. */
static inline void socklab_unblock_terminal_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  int signals[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT};
  for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&set, signals[i]);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static inline int socklab_stop_was_requested(void) { return socklab_stop_requested; }

#endif
