/*
 * The thin OS-access layer: every path to a hardware interface is built
 * from one configurable root, and the few system calls tests must be able
 * to make fail go through one overridable table (SQLite's aSyscall idea).
 *
 * Root: GREENBENCH_SYSFS_ROOT (default "/") prefixes /sys, /proc and /dev
 * paths, so tests build fake trees under mkdtemp().
 *
 * Thread-safety: gb_sys is read concurrently; tests replace entries only
 * while no meter is running.
 */
#ifndef GREENBENCH_SYS_H
#define GREENBENCH_SYS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct perf_event_attr;

struct gb_sys_ops {
	int (*open)(const char *path, int flags, ...);
	ssize_t (*read)(int fd, void *buf, size_t len);
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
	int (*close)(int fd);
	/* perf_event_open(2); a table entry so tests can fake the PMU. */
	long (*perf_event_open)(struct perf_event_attr *attr, pid_t pid, int cpu,
				int group_fd, unsigned long flags);
};

extern struct gb_sys_ops gb_sys;

/* Restore the real system calls (tests call this in teardown). */
void gb_sys_reset(void);

/* The configured root: GREENBENCH_SYSFS_ROOT, or "/" when unset/empty. */
const char *gb_sys_root(void);

/* root + abs_path ("/sys/class/powercap") into buf; -ENAMETOOLONG if cut. */
int gb_sys_path(const char *root, const char *abs_path, char *buf, size_t len);

/* Read a whole small text file (sysfs attribute) into buf, NUL-terminated,
 * trailing newline removed. Returns bytes read or negative errno, with a
 * message that names the file and, for EACCES, says so plainly. */
int gb_sys_read_text(const char *path, char *buf, size_t len);

/* Read an unsigned decimal attribute. -EINVAL if not a number. */
int gb_sys_read_u64(const char *path, uint64_t *out);

/* pthread_create with every signal blocked in the new thread, so that a
 * process-directed signal (the user's Ctrl-C) reaches the application's
 * threads, whose blocking calls it interrupts, and never a library thread
 * (the meter's sampler, a campaign slot) that would swallow the wake-up.
 * Returns 0 or a negative errno. */
int gb_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
