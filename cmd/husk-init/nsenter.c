// husk_nsenter joins the namespaces the parent sends, in husk-init, before
// any Go runtime (the Go init's, exec'd after) starts threads. Review it as
// security code: it runs as root in every container process that joins
// namespaces, and must stay this small.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

#define MAX_JOIN 16

struct join {
	int flag;
	int fd;
	const char *path;
};

// join_failed reports what failed, with its path and errno, and exits;
// the path comes from a container spec.
static void __attribute__((noreturn)) join_failed(const char *what, const char *path, int err)
{
	fail("%s %s: %s", what, path, errstr(err));
}

// read_joins parses the packet "FLAG PATH\n"... into joins, opening every
// path before joining any namespace, so all are resolved in the caller's
// mount namespace.
static int read_joins(char *buf, struct join *joins)
{
	int n = 0;
	char *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *path = strchr(line, ' ');
		if (!path || n == MAX_JOIN)
			join_failed("parse", "namespace list", EINVAL);
		*path++ = '\0';
		joins[n].flag = atoi(line);
		joins[n].path = path;
		joins[n].fd = open(path, O_RDONLY | O_CLOEXEC);
		if (joins[n].fd < 0)
			join_failed("open namespace", path, errno);
		n++;
	}
	return n;
}

// join_all enters the user namespace first, which may be what grants the
// right to enter the others.
// become_root makes this process the joined user namespace's root. The
// host's root is not mapped there, so until then the process is nobody
// inside, and the exec of the Go init that follows would drop every
// capability it has in the namespace.
static void become_root(void)
{
	if (syscall(SYS_setresgid, 0, 0, 0) < 0)
		join_failed("setresgid 0 in", "user namespace", errno);
	if (syscall(SYS_setresuid, 0, 0, 0) < 0)
		join_failed("setresuid 0 in", "user namespace", errno);
}

static int join_all(struct join *joins, int n)
{
	int pid_ns = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			int is_user = joins[i].flag == CLONE_NEWUSER;
			if ((pass == 0) != is_user)
				continue;
			if (setns(joins[i].fd, joins[i].flag) < 0)
				join_failed("setns", joins[i].path, errno);
			close(joins[i].fd);
			if (is_user)
				become_root();
			if (joins[i].flag == CLONE_NEWPID)
				pid_ns = 1;
		}
	}
	return pid_ns;
}

// fork_into_pid_ns forks a child inside the joined pid namespace, as a
// child of our own parent (CLONE_PARENT) so the caller can wait for it.
// The intermediate reports the child's pid and exits; only the child
// returns.
static void fork_into_pid_ns(void)
{
	char buf[64];
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);

	if (pid < 0)
		join_failed("fork into", "pid namespace", errno);
	if (pid > 0) {
		int n = snprintf(buf, sizeof(buf), "{\"type\":\"pid\",\"pid\":%ld}", pid);
		if (send_packet(buf, n) < 0)
			dprintf(2, "husk-init: nsenter: parent gone, child %ld\n", pid);
		_exit(0);
	}
}

void husk_nsenter(void)
{
	static char buf[MAX_JOIN * (PATH_MAX + 16)];
	struct join joins[MAX_JOIN];
	const char *env = getenv("_HUSK_NSENTER");
	ssize_t len;
	int n;

	if (!env)
		return;
	sync_fd = atoi(env);
	step = "nsenter";
	unsetenv("_HUSK_NSENTER");

	len = recv(sync_fd, buf, sizeof(buf) - 1, 0);
	if (len < 0)
		join_failed("read", "namespace list", errno);
	buf[len] = '\0';

	n = read_joins(buf, joins);
	if (join_all(joins, n))
		fork_into_pid_ns();
}
