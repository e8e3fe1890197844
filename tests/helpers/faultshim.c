/*
 * faultshim.c: an LD_PRELOAD library that makes one system call fail.
 *
 * The tests use it to reach the error paths that a real disk, kernel or
 * thread library reaches only rarely: a write, fsync or rename that fails
 * with EIO or ENOSPC, a file system without O_TMPFILE, a thread that cannot
 * be started. tresor itself has no switch for any of this; the shim stands
 * between it and libc.
 *
 *   TRESOR_FAULT=CALL:N[:ERRNO[:PATHPART]]
 *
 * fails the Nth call of CALL (counted from 1) whose path contains PATHPART
 * (every call when PATHPART is absent) with ERRNO (a name such as EIO,
 * ENOSPC, EACCES, EOPNOTSUPP, EAGAIN, or a number; EIO when absent). N = 0
 * fails every matching call. For calls on a descriptor the path is the
 * one /proc/self/fd names. CALL is one of:
 *
 *   open openat (only opens that create a file: O_CREAT or O_TMPFILE)
 *   tmpfile (only O_TMPFILE opens)  write pwrite  fsync fdatasync
 *   ftruncate  close  mkostemp mkdtemp (the template)
 *   rename renameat (and renameat2; the old path)  linkat (the new path)
 *   unlinkat unlink  mkdir mkdirat  fchmod fchmodat  fchown fchownat
 *   futimens utimensat  symlinkat  pthread_create (no path)
 *   connect (a Unix socket's path; other sockets have none)
 *
 * With TRESOR_FAULT_LOG=FILE, every failure it causes appends a line
 * "CALL N PATH" to FILE, so a test that raises N until a run succeeds
 * knows when the fault no longer happened (no line) and stops there.
 *
 * The library removes LD_PRELOAD from the environment when it loads, so
 * the programs tresor starts (gpg, pg_dump, pg_restore) run unchanged.
 * Calls that libc makes internally (stdio, for one) do not pass through
 * here; tresor's own calls do.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static struct {
	int		 active;
	char		 call[32];
	unsigned long	 nth;
	int		 err;
	char		 part[PATH_MAX];
	char		 log[PATH_MAX];
	atomic_ulong	 seen;
} fault;

static const struct {
	const char	*name;
	int		 value;
} fault_errnos[] = {
	{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EACCES", EACCES },
	{ "EPERM", EPERM }, { "EOPNOTSUPP", EOPNOTSUPP }, { "EAGAIN", EAGAIN },
	{ "EROFS", EROFS }, { "EDQUOT", EDQUOT }, { "ENOMEM", ENOMEM },
	{ "EINTR", EINTR }, { "EXDEV", EXDEV }, { "EMFILE", EMFILE },
	{ "EISDIR", EISDIR }, { "ENOENT", ENOENT }, { "EEXIST", EEXIST },
};

static int
fault_errno_parse(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof fault_errnos / sizeof fault_errnos[0]; i++)
		if (strcmp(s, fault_errnos[i].name) == 0)
			return fault_errnos[i].value;
	return atoi(s) > 0 ? atoi(s) : EIO;
}

__attribute__((constructor)) static void
fault_init(void)
{
	const char	*spec = getenv("TRESOR_FAULT");
	const char	*log = getenv("TRESOR_FAULT_LOG");
	char		 buf[PATH_MAX + 64];
	char		*field, *rest;

	unsetenv("LD_PRELOAD");
	if (spec == NULL || *spec == '\0')
		return;
	snprintf(buf, sizeof buf, "%s", spec);
	rest = buf;
	field = strsep(&rest, ":");
	snprintf(fault.call, sizeof fault.call, "%s", field);
	field = rest != NULL ? strsep(&rest, ":") : NULL;
	fault.nth = field != NULL ? strtoul(field, NULL, 10) : 1;
	field = rest != NULL ? strsep(&rest, ":") : NULL;
	fault.err = field != NULL ? fault_errno_parse(field) : EIO;
	/* The path part is the rest, colons and all. */
	if (rest != NULL)
		snprintf(fault.part, sizeof fault.part, "%s", rest);
	if (log != NULL)
		snprintf(fault.log, sizeof fault.log, "%s", log);
	fault.active = 1;
}

/* The real function, looked up once; abort() if libc lacks it. */
#define REAL(type, name, args)						\
	static type (*real_##name) args;				\
	if (real_##name == NULL &&					\
	    (real_##name = (type (*) args)dlsym(RTLD_NEXT, #name)) == NULL) \
		abort()

/* Writes "CALL N PATH" to the log with raw system calls: no recursion. */
static void
fault_log(const char *call, unsigned long n, const char *path)
{
	char	line[PATH_MAX + 64];
	int	fd, len;

	if (fault.log[0] == '\0')
		return;
	len = snprintf(line, sizeof line, "%s %lu %s\n", call, n,
	    path != NULL ? path : "-");
	if (len < 0 || (size_t)len >= sizeof line)
		len = (int)strlen(line);
	fd = (int)syscall(SYS_openat, AT_FDCWD, fault.log,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	(void)!syscall(SYS_write, fd, line, (size_t)len);
	syscall(SYS_close, fd);
}

/* Whether TRESOR_FAULT names CALL: checked before a path is resolved. */
static int
fault_wants(const char *call)
{
	return fault.active && strcmp(call, fault.call) == 0;
}

/* Whether this call of CALL on PATH is the one to fail. */
static int
fault_hits(const char *call, const char *path)
{
	unsigned long	n;

	if (!fault_wants(call))
		return 0;
	if (fault.part[0] != '\0' &&
	    (path == NULL || strstr(path, fault.part) == NULL))
		return 0;
	n = atomic_fetch_add(&fault.seen, 1) + 1;
	if (fault.nth != 0 && n != fault.nth)
		return 0;
	fault_log(call, n, path);
	return 1;
}

/* The path behind a descriptor, or "" when /proc cannot say. */
static const char *
fault_fd_path(int fd, char *buf, size_t size)
{
	char	link[64];
	ssize_t	n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = syscall(SYS_readlinkat, AT_FDCWD, link, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* dirfd's path joined with a relative path (an absolute one as it is). */
static const char *
fault_at_path(int dirfd, const char *path, char *buf, size_t size)
{
	char	dir[PATH_MAX];

	if (path == NULL)
		return "";
	if (path[0] == '/' || (dirfd == AT_FDCWD && getcwd(dir, sizeof dir)
	    == NULL))
		return path;
	if (dirfd != AT_FDCWD)
		fault_fd_path(dirfd, dir, sizeof dir);
	snprintf(buf, size, "%s/%s", dir, path);
	return buf;
}

/* Whether a call of CALL on the descriptor fd is to fail. */
static int
fault_fd_hits(const char *call, int fd)
{
	char	path[PATH_MAX];

	if (!fault_wants(call))
		return 0;
	return fault_hits(call, fault_fd_path(fd, path, sizeof path));
}

/* Whether a call of CALL on dirfd + path is to fail. */
static int
fault_at_hits(const char *call, int dirfd, const char *path)
{
	char	full[PATH_MAX * 2];

	if (!fault_wants(call))
		return 0;
	return fault_hits(call, fault_at_path(dirfd, path, full,
	    sizeof full));
}

static int
fault_fail(void)
{
	errno = fault.err;
	return -1;
}

/* Opens count only when they create: O_CREAT, or O_TMPFILE ("tmpfile"). */
static int
fault_open_hits(const char *call, int dirfd, const char *path, int flags)
{
	if ((flags & O_TMPFILE) == O_TMPFILE &&
	    fault_at_hits("tmpfile", dirfd, path))
		return 1;
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return fault_at_hits(call, dirfd, path);
	return 0;
}

static mode_t
fault_open_mode(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(ap, int);
	return 0;
}

int
open(const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode;
	REAL(int, open, (const char *, int, ...));

	va_start(ap, flags);
	mode = fault_open_mode(flags, ap);
	va_end(ap);
	if (fault_open_hits("open", AT_FDCWD, path, flags))
		return fault_fail();
	return real_open(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode;
	REAL(int, open64, (const char *, int, ...));

	va_start(ap, flags);
	mode = fault_open_mode(flags, ap);
	va_end(ap);
	if (fault_open_hits("open", AT_FDCWD, path, flags))
		return fault_fail();
	return real_open64(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode;
	REAL(int, openat, (int, const char *, int, ...));

	va_start(ap, flags);
	mode = fault_open_mode(flags, ap);
	va_end(ap);
	if (fault_open_hits("openat", dirfd, path, flags))
		return fault_fail();
	return real_openat(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode;
	REAL(int, openat64, (int, const char *, int, ...));

	va_start(ap, flags);
	mode = fault_open_mode(flags, ap);
	va_end(ap);
	if (fault_open_hits("openat", dirfd, path, flags))
		return fault_fail();
	return real_openat64(dirfd, path, flags, mode);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	REAL(ssize_t, write, (int, const void *, size_t));

	if (fault_fd_hits("write", fd))
		return fault_fail();
	return real_write(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(ssize_t, pwrite, (int, const void *, size_t, off_t));

	if (fault_fd_hits("pwrite", fd))
		return fault_fail();
	return real_pwrite(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	REAL(ssize_t, pwrite64, (int, const void *, size_t, off_t));

	if (fault_fd_hits("pwrite", fd))
		return fault_fail();
	return real_pwrite64(fd, buf, n, off);
}

int
fsync(int fd)
{
	REAL(int, fsync, (int));

	if (fault_fd_hits("fsync", fd))
		return fault_fail();
	return real_fsync(fd);
}

/* close: the descriptor is closed all the same, as the kernel does. */
int
close(int fd)
{
	REAL(int, close, (int));

	if (fault_fd_hits("close", fd)) {
		real_close(fd);
		return fault_fail();
	}
	return real_close(fd);
}

/* mkostemp: libc's own open inside it does not pass through here. */
int
mkostemp(char *template, int flags)
{
	REAL(int, mkostemp, (char *, int));

	if (fault_at_hits("mkostemp", AT_FDCWD, template))
		return fault_fail();
	return real_mkostemp(template, flags);
}

/* mkdtemp: likewise, libc's own mkdir inside it does not. */
char *
mkdtemp(char *template)
{
	REAL(char *, mkdtemp, (char *));

	if (fault_at_hits("mkdtemp", AT_FDCWD, template)) {
		(void)fault_fail();
		return NULL;
	}
	return real_mkdtemp(template);
}

int
fdatasync(int fd)
{
	REAL(int, fdatasync, (int));

	if (fault_fd_hits("fdatasync", fd))
		return fault_fail();
	return real_fdatasync(fd);
}

int
ftruncate(int fd, off_t len)
{
	REAL(int, ftruncate, (int, off_t));

	if (fault_fd_hits("ftruncate", fd))
		return fault_fail();
	return real_ftruncate(fd, len);
}

int
ftruncate64(int fd, off_t len)
{
	REAL(int, ftruncate64, (int, off_t));

	if (fault_fd_hits("ftruncate", fd))
		return fault_fail();
	return real_ftruncate64(fd, len);
}

int
rename(const char *from, const char *to)
{
	REAL(int, rename, (const char *, const char *));

	if (fault_at_hits("rename", AT_FDCWD, from))
		return fault_fail();
	return real_rename(from, to);
}

int
renameat(int fromfd, const char *from, int tofd, const char *to)
{
	REAL(int, renameat, (int, const char *, int, const char *));

	if (fault_at_hits("renameat", fromfd, from))
		return fault_fail();
	return real_renameat(fromfd, from, tofd, to);
}

int
renameat2(int fromfd, const char *from, int tofd, const char *to,
    unsigned int flags)
{
	REAL(int, renameat2, (int, const char *, int, const char *,
	    unsigned int));

	if (fault_at_hits("renameat", fromfd, from))
		return fault_fail();
	return real_renameat2(fromfd, from, tofd, to, flags);
}

int
linkat(int fromfd, const char *from, int tofd, const char *to, int flags)
{
	REAL(int, linkat, (int, const char *, int, const char *, int));

	if (fault_at_hits("linkat", tofd, to))
		return fault_fail();
	return real_linkat(fromfd, from, tofd, to, flags);
}

int
unlink(const char *path)
{
	REAL(int, unlink, (const char *));

	if (fault_at_hits("unlink", AT_FDCWD, path))
		return fault_fail();
	return real_unlink(path);
}

int
unlinkat(int dirfd, const char *path, int flags)
{
	REAL(int, unlinkat, (int, const char *, int));

	if (fault_at_hits("unlinkat", dirfd, path))
		return fault_fail();
	return real_unlinkat(dirfd, path, flags);
}

int
mkdir(const char *path, mode_t mode)
{
	REAL(int, mkdir, (const char *, mode_t));

	if (fault_at_hits("mkdir", AT_FDCWD, path))
		return fault_fail();
	return real_mkdir(path, mode);
}

int
mkdirat(int dirfd, const char *path, mode_t mode)
{
	REAL(int, mkdirat, (int, const char *, mode_t));

	if (fault_at_hits("mkdirat", dirfd, path))
		return fault_fail();
	return real_mkdirat(dirfd, path, mode);
}

int
fchmod(int fd, mode_t mode)
{
	REAL(int, fchmod, (int, mode_t));

	if (fault_fd_hits("fchmod", fd))
		return fault_fail();
	return real_fchmod(fd, mode);
}

int
fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	REAL(int, fchmodat, (int, const char *, mode_t, int));

	if (fault_at_hits("fchmodat", dirfd, path))
		return fault_fail();
	return real_fchmodat(dirfd, path, mode, flags);
}

int
fchown(int fd, uid_t uid, gid_t gid)
{
	REAL(int, fchown, (int, uid_t, gid_t));

	if (fault_fd_hits("fchown", fd))
		return fault_fail();
	return real_fchown(fd, uid, gid);
}

int
fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	REAL(int, fchownat, (int, const char *, uid_t, gid_t, int));

	if (fault_at_hits("fchownat", dirfd, path))
		return fault_fail();
	return real_fchownat(dirfd, path, uid, gid, flags);
}

int
futimens(int fd, const struct timespec times[2])
{
	REAL(int, futimens, (int, const struct timespec *));

	if (fault_fd_hits("futimens", fd))
		return fault_fail();
	return real_futimens(fd, times);
}

int
utimensat(int dirfd, const char *path, const struct timespec times[2],
    int flags)
{
	REAL(int, utimensat, (int, const char *, const struct timespec *, int));

	if (fault_at_hits("utimensat", dirfd, path))
		return fault_fail();
	return real_utimensat(dirfd, path, times, flags);
}

int
symlinkat(const char *target, int dirfd, const char *path)
{
	REAL(int, symlinkat, (const char *, int, const char *));

	if (fault_at_hits("symlinkat", dirfd, path))
		return fault_fail();
	return real_symlinkat(target, dirfd, path);
}

int
pthread_create(pthread_t *thread, const pthread_attr_t *attr,
    void *(*start)(void *), void *arg)
{
	REAL(int, pthread_create, (pthread_t *, const pthread_attr_t *,
	    void *(*)(void *), void *));

	if (fault_hits("pthread_create", NULL))
		return fault.err;
	return real_pthread_create(thread, attr, start, arg);
}

int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	REAL(int, connect, (int, const struct sockaddr *, socklen_t));

	if (fault_hits("connect", sa != NULL && sa->sa_family == AF_UNIX ?
	    ((const struct sockaddr_un *)(const void *)sa)->sun_path : NULL))
		return fault_fail();
	return real_connect(fd, sa, len);
}
