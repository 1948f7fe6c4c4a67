// husk-init is a container's first process: husk and huskrt exec it, from a
// read-only detached mount of its file (see runtime/exe.go), inside the
// container's new namespaces. It is a small static C program rather than
// part of the Go binaries because it must act before any Go runtime could
// start, and because linking C into husk made every husk command pay for
// cgo's thread start-up (0.17 ms of each run here).
//
// It does up to two jobs, each asked for by an environment variable that
// names the parent's sync socket:
//
//   - _HUSK_NSENTER (nsenter.c): join namespaces by path, the user
//     namespace first. setns(2) refuses to move a multithreaded process
//     into a mount or user namespace, which every Go program is by main.
//     When a pid namespace is joined, it forks once more with CLONE_PARENT
//     so the child is inside it; the intermediate reports the child's pid.
//   - _HUSK_CINIT (cinit.c): run the program of system calls the parent
//     compiled (runtime/program.go) and exec the container's process, so
//     a container starts without a second Go runtime.
//
// Without _HUSK_CINIT it execs the Go init: the husk binary whose fd
// _HUSK_GOINIT_EXE names, for the set-ups a program cannot express (the
// runtime decides, see goInitReason), after the joins.
//
// Review it as security code: it runs as root in every new container.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

extern char **environ;

void husk_nsenter(void);
void husk_cinit(void);

// exec_go_init execs the husk binary at fd with this process's arguments
// and environment; the Go init reads its sync fd from the environment.
static void exec_go_init(const char *env, char **argv)
{
	int fd = atoi(env);

	unsetenv("_HUSK_GOINIT_EXE");
	// The fd must not stay open in the Go init. An ELF binary execs from a
	// close-on-exec fd: the kernel holds the file, not the fd.
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	// ENOENT here is most likely a dynamic husk: its loader is looked up
	// in the container's mount namespace, joined by now.
	dprintf(2, "husk-init: exec the Go init: %s%s\n", strerror(errno),
		errno == ENOENT ? " (husk and huskrt must be static binaries, as make builds them)" : "");
	_exit(1);
}

int main(int argc, char **argv)
{
	const char *goinit;

	(void)argc;
	husk_nsenter();
	husk_cinit();

	goinit = getenv("_HUSK_GOINIT_EXE");
	if (goinit)
		exec_go_init(goinit, argv);
	dprintf(2, "husk-init: a container's init, run by husk and huskrt only\n");
	return 2;
}
