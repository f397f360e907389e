/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kml_spawn.h - run a program with its output collected, for the guest test
 * programs that check what an exec did (kml_exec_test, kml_policy_test).
 */
#ifndef KML_SPAWN_H
#define KML_SPAWN_H
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * Forks; the child sends stdout and stderr into a pipe, calls prepare(arg)
 * if given (non-zero: it exits 125, having printed why), and execve()s
 * PATH.  The parent collects the output into OUT (NUL-terminated) and the
 * exec's errno into *exec_errno (0: the exec worked), and returns the
 * child's pid, not yet reaped -- the caller may look at the zombie -- or
 * -1 if no child was started.
 */
static pid_t kml_spawn(const char *path, char *const argv[], char *const envp[],
		       int (*prepare)(const void *arg), const void *arg,
		       char *out, size_t outsz, int *exec_errno)
{
	int pfd[2], epfd[2], e = 0;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	out[0] = 0;
	*exec_errno = 0;
	if (pipe(pfd))
		return -1;
	if (pipe2(epfd, O_CLOEXEC)) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(epfd[0]);
		if (prepare && prepare(arg)) {
			fflush(stdout);
			_exit(125);
		}
		execve(path, argv, envp);
		e = errno;
		(void)!write(epfd[1], &e, sizeof(e));
		_exit(127);
	}
	close(pfd[1]);
	close(epfd[1]);
	while (pid > 0 && n + 1 < outsz &&
	       (r = read(pfd[0], out + n, outsz - 1 - n)) > 0)
		n += r;
	out[n] = 0;
	close(pfd[0]);
	if (pid > 0 && read(epfd[0], &e, sizeof(e)) == sizeof(e))
		*exec_errno = e;
	close(epfd[0]);
	return pid;
}
#endif /* KML_SPAWN_H */
