#include "greenbench/sys.h"
#include "greenbench/error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long real_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu,
				 int group_fd, unsigned long flags)
{
	return syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

static const struct gb_sys_ops real_ops = {
	.open = open,
	.read = read,
	.pread = pread,
	.close = close,
	.perf_event_open = real_perf_event_open,
};

struct gb_sys_ops gb_sys = {
	.open = open,
	.read = read,
	.pread = pread,
	.close = close,
	.perf_event_open = real_perf_event_open,
};

void gb_sys_reset(void)
{
	gb_sys = real_ops;
}

const char *gb_sys_root(void)
{
	const char *r = getenv("GREENBENCH_SYSFS_ROOT");

	return r && *r ? r : "/";
}

int gb_sys_path(const char *root, const char *abs_path, char *buf, size_t len)
{
	size_t rl = strlen(root);
	int n;

	/* "/" + "/sys" must give "/sys", not "//sys". */
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	n = snprintf(buf, len, "%.*s%s%s", (int)rl, root, abs_path[0] == '/' ? "" : "/", abs_path);
	if (n < 0 || (size_t)n >= len)
		return gb_error_set(-ENAMETOOLONG, "path too long: '%s%s'", root, abs_path);
	return 0;
}

int gb_sys_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	if (len == 0)
		return gb_error_set(-EINVAL, "no buffer for '%s'", path);
	fd = gb_sys.open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == EACCES || err == EPERM)
			return gb_error_set(-err, "cannot read '%s': permission denied", path);
		return gb_error_set(-err, "cannot open '%s': %s", path, strerror(err));
	}
	n = gb_sys.read(fd, buf, len - 1);
	err = errno;
	gb_sys.close(fd);
	if (n < 0) {
		if (err == EACCES || err == EPERM)
			return gb_error_set(-err, "cannot read '%s': permission denied", path);
		return gb_error_set(-err, "cannot read '%s': %s", path, strerror(err));
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (int)n;
}

int gb_sys_read_u64(const char *path, uint64_t *out)
{
	char buf[64], *end;
	unsigned long long v;
	int ret;

	ret = gb_sys_read_text(path, buf, sizeof buf);
	if (ret < 0)
		return ret;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (end == buf || *end || errno || buf[0] == '-')
		return gb_error_set(-EINVAL, "'%s' holds '%s', expected an unsigned number", path, buf);
	*out = v;
	return 0;
}

int gb_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}
