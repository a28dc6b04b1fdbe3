// What RoostAgent needs from libc that Swift's Glibc module does not show: the GNU
// posix_spawn file actions, pidfds and epoll.
#ifndef CROOSTSPAWN_H
#define CROOSTSPAWN_H

#include <sys/types.h>

/// Starts `path` with `posix_spawn` as the leader of a new process group: signal mask empty,
/// every catchable signal at its default disposition, standard input from `/dev/null`,
/// standard output and error on `stdout_fd` and `stderr_fd`, every other descriptor closed,
/// working directory `directory`, environment `envp`.
///
/// Returns 0 and sets `*pid` once the child runs the program (glibc's `posix_spawn` waits for
/// the `exec`), or the error: `ENOENT`/`EACCES`/`ENOEXEC` from the `exec` or the `chdir`,
/// `EAGAIN` when the process limit is reached, `ENOMEM`.
int roost_spawn(const char *path, char *const argv[], char *const envp[], const char *directory,
                int stdout_fd, int stderr_fd, pid_t *pid);

/// A close-on-exec pidfd for the child `pid` (Linux 5.3+); -1 with `errno` set on failure.
int roost_pidfd_open(pid_t pid);

/// Reaps the exited child behind `pidfd` without blocking. Returns 1 and sets `*exited` (1:
/// it called exit, `*status` is the code; 0: a signal ended it, `*status` is the signal), 0
/// when it is still running, or -1 with `errno` set.
int roost_pidfd_reap(int pidfd, int *exited, int *status);

/// Reaps the exited child `pid` without blocking; the same results as `roost_pidfd_reap`.
int roost_pid_reap(pid_t pid, int *exited, int *status);

/// A close-on-exec epoll instance; -1 with `errno` set on failure.
int roost_epoll_create(void);

/// Watches `fd` for readability on `epoll`; 0, or -1 with `errno` set.
int roost_epoll_add(int epoll, int fd);

/// Stops watching `fd`; 0, or -1 with `errno` set.
int roost_epoll_remove(int epoll, int fd);

/// Waits (without a timeout) until some watched descriptor is readable; writes up to
/// `capacity` of them to `fds` and returns how many, or -1 with `errno` set (`EINTR`).
int roost_epoll_wait(int epoll, int *fds, int capacity);

#endif
