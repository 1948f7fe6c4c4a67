// husk_cinit is a container's init written in C: it runs a program of
// system calls that the parent compiled (runtime/program.go), then execs
// the user process. It is husk-init's job when _HUSK_CINIT names the sync
// socket (main.c): no Go runtime runs in the container before its
// process, whose start-up, threads and page faults were a third of
// `husk run` here. It decides nothing the parent could decide; the
// only choices left to it depend on the container's own files (a path to
// mask that is a directory, a masked path that does not exist).
//
// Review it as security code: it runs as root in every new container.
// Paths inside the rootfs are resolved with openat2(RESOLVE_IN_ROOT), so a
// symlink in the image cannot send a mount outside it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "program.h"
#include "report.h"

#ifndef RESOLVE_IN_ROOT
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct open_how_ {
	uint64_t flags, mode, resolve;
};

struct mount_attr_ {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

struct arg {
	const char *s;
	uint32_t len;
};

static int root_fd = -1;
static const char *root_path = "";
static char exec_path[PATH_MAX];

// ---- the program -------------------------------------------------------

static uint64_t num(const struct arg *a)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(a->s, &end, 10);
	if (errno || *end || end == a->s)
		fail("bad number %s in program", a->s);
	return v;
}

static const char *opt(const struct arg *a)
{
	return a->len ? a->s : NULL;
}

// read_program receives the program: "HUSKPROG", then ops, each a u32
// code, a u32 count and that many strings, each a u32 length, the bytes
// and a NUL. Strings point into the buffer, which is never freed.
static struct arg *read_program(uint32_t *nargs)
{
	ssize_t size = recv(sync_fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	char *buf, *p, *end;
	struct arg *args;
	uint32_t n = 0;

	if (size <= 8)
		fail("read program: %s", size < 0 ? errstr(errno) : "too short");
	buf = malloc(size + 1);
	args = calloc(size / 4 + 1, sizeof(*args));
	if (!buf || !args)
		fail("read program: out of memory");
	if (recv(sync_fd, buf, size, 0) != size || memcmp(buf, "HUSKPROG", 8))
		fail("read program: bad packet");
	buf[size] = '\0';

	for (p = buf + 8, end = buf + size; p + 4 <= end;) {
		uint32_t len;
		memcpy(&len, p, 4);
		p += 4;
		if (len > (uint32_t)(end - p) - 1 || p[len] != '\0')
			fail("read program: string %u overruns", n);
		args[n].s = p;
		args[n].len = len;
		n++;
		p += len + 1;
	}
	*nargs = n;
	return args;
}

// ---- paths inside the rootfs -------------------------------------------

static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

static int open_in_root(const char *path, uint64_t flags)
{
	struct open_how_ how = {
		.flags = O_PATH | O_CLOEXEC | flags,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	for (int i = 0; i < 32; i++) {
		fd = syscall(SYS_openat2, root_fd, rel(path), &how, sizeof(how));
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	return fd;
}

// mkdir_all_in_root opens path as a directory, creating what is missing.
// Each directory is made by name in its parent, which was opened with
// RESOLVE_IN_ROOT, so no symlink is followed outside the rootfs.
static int mkdir_all_in_root(const char *path)
{
	char sub[PATH_MAX], name[NAME_MAX + 1];
	const char *r = rel(path);
	int fd = open_in_root(r, O_DIRECTORY), parent, err;
	size_t start = 0;

	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (strlen(r) >= sizeof(sub)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	parent = open_in_root(".", O_DIRECTORY);
	for (size_t i = 0; parent >= 0; i++) {
		if (r[i] != '/' && r[i] != '\0')
			continue;
		memcpy(sub, r, i);
		sub[i] = '\0';
		fd = open_in_root(sub, O_DIRECTORY);
		if (fd < 0 && errno == ENOENT) {
			snprintf(name, sizeof(name), "%.*s", (int)(i - start), r + start);
			if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST) {
				err = errno;
				close(parent);
				errno = err;
				return -1;
			}
			fd = open_in_root(sub, O_DIRECTORY);
		}
		close(parent);
		if (fd < 0 || r[i] == '\0')
			return fd;
		parent = fd;
		start = i + 1;
	}
	return -1;
}

// create_in_root opens path, creating it (a directory, or an empty file
// when dir is 0) and its parents when missing.
static int create_in_root(const char *path, int dir)
{
	char parent[PATH_MAX];
	const char *base;
	int fd, pfd;

	if (dir)
		return mkdir_all_in_root(path);
	fd = open_in_root(path, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	snprintf(parent, sizeof(parent), "/%s", rel(path));
	base = strrchr(parent, '/');
	*(char *)base++ = '\0';
	pfd = mkdir_all_in_root(parent);
	if (pfd < 0)
		return -1;
	if (mknodat(pfd, base, S_IFREG | 0644, 0) < 0 && errno != EEXIST) {
		close(pfd);
		return -1;
	}
	close(pfd);
	return open_in_root(path, 0);
}

static const char *fd_path(int fd)
{
	static char buf[32];
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
	return buf;
}

// ---- mounts ------------------------------------------------------------

// remount changes a mount's flags; a remount that would clear a flag the
// kernel locked (nosuid and friends on a mount from a more privileged
// namespace) is retried with those flags kept, as the Go init does.
static int remount(const char *src, const char *target, const char *type, unsigned long flags,
		   const char *data)
{
	static const unsigned long pairs[][2] = {
		{ST_RDONLY, MS_RDONLY}, {ST_NOSUID, MS_NOSUID}, {ST_NODEV, MS_NODEV},
		{ST_NOEXEC, MS_NOEXEC}, {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME},
		{ST_RELATIME, MS_RELATIME},
	};
	struct statfs st;
	unsigned long kept = 0;

	if (mount(src, target, type, flags, data) == 0)
		return 0;
	if (errno != EPERM)
		return -1;
	if (statfs(target, &st) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (st.f_flags & pairs[i][0])
			kept |= pairs[i][1];
	if (!(kept & ~flags)) {
		errno = EPERM;
		return -1;
	}
	return mount(src, target, type, flags | kept, data);
}

static void op_mount(const struct arg *a)
{
	if (mount(opt(&a[0]), a[1].s, opt(&a[2]), num(&a[3]), opt(&a[4])) < 0)
		fail("mount %s on %s (type %s): %s", a[0].s, a[1].s, a[2].s, errstr(errno));
}

static void op_root(const struct arg *a)
{
	root_path = a[0].s;
	root_fd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		fail("open rootfs %s: %s", root_path, errstr(errno));
}

static void op_mount_in(const struct arg *a)
{
	const char *dest = a[0].s;
	int fd = create_in_root(dest, a[1].s[0] == 'd');

	if (fd < 0)
		fail("create mount target %s%s: %s", root_path, dest, errstr(errno));
	if (mount(opt(&a[2]), fd_path(fd), opt(&a[3]), num(&a[4]), opt(&a[5])) < 0)
		fail("mount %s on %s%s (type %s, data %s): %s", a[2].s, root_path, dest, a[3].s,
		     a[5].s, errstr(errno));
	close(fd);
}

static void op_change_in(const struct arg *a)
{
	const char *dest = a[0].s;
	unsigned long flags = num(&a[3]);
	int fd = open_in_root(dest, 0), err;

	if (fd < 0)
		fail("reopen mount target %s%s: %s", root_path, dest, errstr(errno));
	if (flags & MS_REMOUNT)
		err = remount(opt(&a[1]), fd_path(fd), opt(&a[2]), flags, opt(&a[4]));
	else
		err = mount(opt(&a[1]), fd_path(fd), opt(&a[2]), flags, opt(&a[4]));
	if (err < 0)
		fail("change mount %s%s (flags %#lx): %s", root_path, dest, flags, errstr(errno));
	close(fd);
}

static void op_setattr_in(const struct arg *a)
{
	struct mount_attr_ attr = {.attr_set = num(&a[1]), .attr_clr = num(&a[2]),
				   .propagation = num(&a[3])};
	int fd = open_in_root(a[0].s, 0);

	if (fd < 0)
		fail("reopen mount target %s%s: %s", root_path, a[0].s, errstr(errno));
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		fail("set recursive attributes of %s%s: %s", root_path, a[0].s, errstr(errno));
	close(fd);
}

static void op_mknod_in(const struct arg *a)
{
	char parent[PATH_MAX];
	const char *path = a[0].s, *base = strrchr(path, '/');
	mode_t mode = num(&a[1]);
	int fd;

	snprintf(parent, sizeof(parent), "%.*s", (int)(base - path), path);
	fd = mkdir_all_in_root(parent);
	if (fd < 0)
		fail("create device %s: %s", path, errstr(errno));
	base++;
	if (mknodat(fd, base, mode, makedev(num(&a[2]), num(&a[3]))) < 0) {
		if (errno == EEXIST) {
			close(fd);
			return;
		}
		fail("create device %s: %s", path, errstr(errno));
	}
	if (fchownat(fd, base, num(&a[4]), num(&a[5]), AT_SYMLINK_NOFOLLOW) < 0)
		fail("chown device %s: %s", path, errstr(errno));
	if (fchmodat(fd, base, mode & 07777, 0) < 0)
		fail("chmod device %s: %s", path, errstr(errno));
	close(fd);
}

static void op_symlink_dev(const struct arg *a)
{
	int dev = mkdir_all_in_root("/dev");

	if (dev < 0)
		fail("open /dev in rootfs: %s", errstr(errno));
	if (!strcmp(a[0].s, "ptmx") && unlinkat(dev, a[0].s, 0) < 0 && errno != ENOENT)
		fail("unlink /dev/ptmx: %s", errstr(errno));
	if (symlinkat(a[1].s, dev, a[0].s) < 0 && errno != EEXIST)
		fail("link /dev/%s to %s: %s", a[0].s, a[1].s, errstr(errno));
	close(dev);
}

static void op_pivot(const struct arg *a)
{
	int old = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int new = open(a[0].s, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (old < 0 || new < 0)
		fail("open old or new root: %s", errstr(errno));
	if (fchdir(new) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		fail("pivot_root to %s: %s", a[0].s, errstr(errno));
	if (fchdir(old) < 0 || mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		fail("make old root a slave: %s", errstr(errno));
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		fail("detach old root: %s", errstr(errno));
	close(old);
	close(new);
	close(root_fd);
	root_fd = -1;
}

static int missing(const char *path, struct stat *st)
{
	if (stat(path, st) == 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR)
		return 1;
	fail("stat %s: %s", path, errstr(errno));
}

static void op_readonly(const struct arg *a)
{
	struct mount_attr_ attr = {.attr_set = MOUNT_ATTR_RDONLY};
	struct stat st;

	if (missing(a[0].s, &st))
		return;
	if (mount(a[0].s, a[0].s, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    syscall(SYS_mount_setattr, AT_FDCWD, a[0].s, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		fail("make %s read-only: %s", a[0].s, errstr(errno));
}

static void op_mask(const struct arg *a)
{
	static int null_checked;
	struct stat st;

	if (missing(a[0].s, &st))
		return;
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", a[0].s, "tmpfs", MS_RDONLY, NULL) < 0)
			fail("mask %s: %s", a[0].s, errstr(errno));
		return;
	}
	if (!null_checked) {
		struct stat null;
		if (lstat("/dev/null", &null) < 0 || !S_ISCHR(null.st_mode) ||
		    major(null.st_rdev) != 1 || minor(null.st_rdev) != 3)
			fail("mask %s: /dev/null is not the null device", a[0].s);
		null_checked = 1;
	}
	if (mount("/dev/null", a[0].s, NULL, MS_BIND, NULL) < 0)
		fail("mask %s: %s", a[0].s, errstr(errno));
}

static void op_remount_ro(const struct arg *a)
{
	if (remount(a[0].s, a[0].s, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		fail("make %s read-only: %s", a[0].s, errstr(errno));
}

// ---- identity and limits -----------------------------------------------

static void op_loopback(void)
{
	struct ifreq ifr = {.ifr_name = "lo"};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		fail("get flags of lo: %s", errstr(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		fail("set lo up: %s", errstr(errno));
	close(s);
}

static void op_write(const struct arg *a)
{
	int fd = open(a[0].s, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, a[1].s, a[1].len) != (ssize_t)a[1].len)
		fail("write %s to %s: %s", a[1].s, a[0].s, errstr(errno));
	close(fd);
}

static void op_rlimit(const struct arg *a)
{
	struct rlimit r = {.rlim_cur = num(&a[1]), .rlim_max = num(&a[2])};

	if (setrlimit(num(&a[0]), &r) < 0)
		fail("set rlimit %s to soft %s hard %s: %s", a[0].s, a[1].s, a[2].s, errstr(errno));
}

// op_cwd creates the working directory if the image lacks it, as Docker
// does, and changes into it; errors are worded as the Go init's.
static void op_cwd(const struct arg *a)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s", a[0].s);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail("create working directory \"%s\": mkdir %s: %s", a[0].s, path, errstr(errno));
		if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
			fail("create working directory \"%s\": mkdir %s: not a directory", a[0].s, path);
		*p = c;
		if (!c)
			break;
	}
	if (chdir(a[0].s) < 0)
		fail("change to working directory \"%s\": chdir %s: %s", a[0].s, a[0].s, errstr(errno));
}

static void op_bounding(const struct arg *a)
{
	uint64_t keep = num(&a[0]);

	for (int n = 0; n < 64; n++) {
		if (keep & (1ULL << n))
			continue;
		int in = prctl(PR_CAPBSET_READ, n, 0, 0, 0);
		if (in < 0 && errno == EINVAL)
			break; // past the kernel's last capability
		if (in > 0 && prctl(PR_CAPBSET_DROP, n, 0, 0, 0) < 0)
			fail("drop capability %d from bounding set: %s", n, errstr(errno));
	}
}

static void op_seccomp(const struct arg *a)
{
	struct sock_fprog {
		unsigned short len;
		const void *filter;
	} prog = {.len = a[1].len / 8, .filter = a[1].s};

	if (syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, (unsigned)num(&a[0]), &prog) != 0)
		fail("load seccomp filter: %s", errstr(errno));
}

// parse_ids fills ids from "1,2,3" and returns how many there are.
static int parse_ids(const char *s, unsigned *ids, int max)
{
	int n = 0;

	while (*s && n < max) {
		char *end;
		ids[n++] = strtoul(s, &end, 10);
		s = *end ? end + 1 : end;
	}
	return n;
}

// op_user switches to the user, keeping the capabilities the spec gives:
// uid, gid, groups, then, when a[3] is "1", the effective, permitted and
// inheritable masks and the ambient list.
static void op_user(const struct arg *a)
{
	struct __user_cap_header_struct { uint32_t version; int pid; } hdr = {0x20080522, 0};
	struct __user_cap_data_struct { uint32_t eff, prm, inh; } data[2];
	unsigned groups[NGROUPS_MAX < 65536 ? NGROUPS_MAX : 65536], amb[64];
	int ngroups = parse_ids(a[2].s, groups, sizeof(groups) / sizeof(groups[0]));
	uint64_t uid = num(&a[0]), gid = num(&a[1]);

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || syscall(SYS_setgroups, ngroups, groups) < 0)
		fail("set supplementary groups %s: %s", a[2].s, errstr(errno));
	if (syscall(SYS_setresgid, gid, gid, gid) < 0)
		fail("set gid %s: %s", a[1].s, errstr(errno));
	if (syscall(SYS_setresuid, uid, uid, uid) < 0)
		fail("set uid %s: %s", a[0].s, errstr(errno));
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail("clear keepcaps: %s", errstr(errno));
	if (a[3].s[0] != '1')
		return;

	uint64_t eff = num(&a[4]), prm = num(&a[5]), inh = num(&a[6]);
	for (int i = 0; i < 2; i++) {
		data[i].eff = eff >> (32 * i);
		data[i].prm = prm >> (32 * i);
		data[i].inh = inh >> (32 * i);
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail("capset: %s", errstr(errno));
	int n = parse_ids(a[7].s, amb, 64);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && n)
		fail("clear ambient set: %s", errstr(errno));
	for (int i = 0; i < n; i++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, amb[i], 0, 0) < 0 && errno != EPERM)
			fail("raise ambient capability %u: %s", amb[i], errstr(errno));
}

// ---- start and exec ----------------------------------------------------

static void op_wait_start(void)
{
	char buf[4096];
	ssize_t n;

	send_packet("{\"type\":\"ready\"}", 16);
	n = recv(sync_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		fail("parent went away");
	buf[n] = '\0';
	if (!strstr(buf, "\"type\":\"start\""))
		fail("got %s, want a start message", buf);
}

static void op_wait_fifo(const struct arg *a)
{
	int fd = num(&a[0]), w;

	send_packet("{\"type\":\"ready\"}", 16);
	w = open(fd_path(fd), O_WRONLY | O_CLOEXEC);
	if (w < 0)
		fail("open exec fifo: %s", errstr(errno));
	close(fd);
	if (write(w, "", 1) != 1)
		fail("write exec fifo: %s", errstr(errno));
}

// STAT_ERR marks a check_exec error that came from stat(2), which the Go
// init words as "stat PATH: ...".
#define STAT_ERR 0x10000

// check_exec says why path cannot be executed, or returns 0.
static int check_exec(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno | STAT_ERR;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!(st.st_mode & 0111))
		return EACCES;
	return 0;
}

// fail_exec reports why path cannot be run: 127 when it does not exist,
// else 126, in the Go init's words.
static void __attribute__((noreturn)) fail_exec(const char *path, int err)
{
	int e = err & ~STAT_ERR, code = (e == ENOENT || e == ENOTDIR) ? 127 : 126;

	if (err & STAT_ERR)
		failx(code, "\"%s\": stat %s: %s", path, path, errstr(e));
	failx(code, "\"%s\": %s", path, e == EISDIR ? "is a directory" : errstr(e));
}

// op_lookup finds the executable as the Go init's lookPath does: a name
// with a slash as it is, else the first PATH entry that holds it.
static void op_lookup(const struct arg *a)
{
	const char *file = a[0].s, *p = a[1].s;
	char first_path[PATH_MAX];
	int first = 0;

	if (strchr(file, '/')) {
		int err = check_exec(file);
		if (err)
			fail_exec(file, err);
		snprintf(exec_path, sizeof(exec_path), "%s", file);
		return;
	}
	for (;;) {
		const char *colon = strchr(p, ':');
		int dlen = colon ? colon - p : (int)strlen(p), err, e;
		snprintf(exec_path, sizeof(exec_path), "%.*s/%s", dlen ? dlen : 1, dlen ? p : ".", file);
		err = check_exec(exec_path);
		if (!err)
			return;
		e = err & ~STAT_ERR;
		if (!first && e != ENOENT && e != ENOTDIR) {
			first = err;
			snprintf(first_path, sizeof(first_path), "%s", exec_path);
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	if (first)
		fail_exec(first_path, first);
	failx(127, "\"%s\": executable file not found in $PATH", file);
}

static void op_exec(const struct arg *a, uint32_t n)
{
	uint32_t argc = num(&a[0]);
	char **argv = calloc(n + 2, sizeof(char *)), **envp;

	if (!argv || argc + 1 > n)
		fail("bad exec op");
	for (uint32_t i = 0; i < argc; i++)
		argv[i] = (char *)a[1 + i].s;
	envp = argv + argc + 1;
	for (uint32_t i = argc + 1; i < n; i++)
		envp[i - argc - 1] = (char *)a[i].s;

	send_packet("{\"type\":\"exec\"}", 15);
	execve(exec_path, argv, envp);
	failx(errno == ENOENT ? 127 : 126, "\"%s\": %s", exec_path, errstr(errno));
}

// ---- the interpreter ---------------------------------------------------

static void run(struct arg *args, uint32_t nargs)
{
	for (uint32_t i = 0; i + 2 <= nargs;) {
		uint32_t code = num(&args[i]), n = num(&args[i + 1]);
		struct arg *a = &args[i + 2];

		if (n > nargs - i - 2)
			fail("op %u has %u arguments, the program ends first", code, n);
		i += 2 + n;
		switch (code) {
		case OP_STEP: step = a[0].s; break;
		case OP_UNSHARE:
			if (unshare(num(&a[0])) < 0)
				fail("unshare %s: %s", a[0].s, errstr(errno));
			break;
		case OP_KEYRING:
			if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, a[0].s) < 0 &&
			    errno != ENOSYS && errno != EPERM && errno != EACCES)
				fail("join session keyring: %s", errstr(errno));
			break;
		case OP_MOUNT: op_mount(a); break;
		case OP_ROOT: op_root(a); break;
		case OP_MOUNT_IN: op_mount_in(a); break;
		case OP_CHANGE_IN: op_change_in(a); break;
		case OP_SETATTR_IN: op_setattr_in(a); break;
		case OP_MKNOD_IN: op_mknod_in(a); break;
		case OP_SYMLINK_DEV: op_symlink_dev(a); break;
		case OP_PIVOT: op_pivot(a); break;
		case OP_READONLY: op_readonly(a); break;
		case OP_MASK: op_mask(a); break;
		case OP_REMOUNT_RO: op_remount_ro(a); break;
		case OP_HOSTNAME:
			if (sethostname(a[0].s, a[0].len) < 0)
				fail("set hostname %s: %s", a[0].s, errstr(errno));
			break;
		case OP_DOMAINNAME:
			if (setdomainname(a[0].s, a[0].len) < 0)
				fail("set domainname %s: %s", a[0].s, errstr(errno));
			break;
		case OP_LOOPBACK: op_loopback(); break;
		case OP_WRITE: op_write(a); break;
		case OP_RLIMIT: op_rlimit(a); break;
		case OP_CWD: op_cwd(a); break;
		case OP_LOOKUP: op_lookup(a); break;
		case OP_BOUNDING: op_bounding(a); break;
		case OP_SECCOMP: op_seccomp(a); break;
		case OP_UMASK: umask(num(&a[0])); break;
		case OP_USER: op_user(a); break;
		case OP_NNP:
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
				fail("set no_new_privs: %s", errstr(errno));
			break;
		case OP_PDEATHSIG:
			if (prctl(PR_SET_PDEATHSIG, num(&a[0]), 0, 0, 0) < 0)
				fail("set parent-death signal: %s", errstr(errno));
			break;
		case OP_CLOSEFDS:
			if (syscall(SYS_close_range, num(&a[0]), ~0U, CLOSE_RANGE_CLOEXEC) < 0)
				fail("mark fds close-on-exec: %s", errstr(errno));
			break;
		case OP_WAIT_START: op_wait_start(); break;
		case OP_WAIT_FIFO: op_wait_fifo(a); break;
		case OP_EXEC: op_exec(a, n); break;
		default: fail("unknown op %u", code);
		}
	}
	fail("the program ended without an exec");
}

void husk_cinit(void)
{
	const char *env = getenv("_HUSK_CINIT");
	struct arg *args;
	uint32_t nargs;

	if (!env)
		return;
	sync_fd = atoi(env);
	unsetenv("_HUSK_CINIT");
	// The socket must close when the user process is exec'd: that end of
	// file tells the parent it ran.
	fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
	// As the Go runtime does: a closed stdio fd becomes /dev/null, so no
	// file the init opens takes its place.
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			fail("open /dev/null for fd %d: %s", fd, errstr(errno));
	args = read_program(&nargs);
	run(args, nargs);
}
