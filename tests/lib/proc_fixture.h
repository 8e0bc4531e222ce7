/*
 * A fake /proc under a test's root (GREENBENCH_SYSFS_ROOT prefixes /proc):
 * the machine's busy time in /proc/stat and one /proc/[pid]/stat per
 * process, as the kernel writes them, so the CPU-interference code
 * (greenbench/cputree.h) reads a machine whose load the test decides.
 * Writing again replaces the whole tree: a second load sample sees the
 * new one.
 */
#ifndef GBT_PROC_FIXTURE_H
#define GBT_PROC_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gbt_proc {
	pid_t pid, ppid;
	uint64_t utime, stime;	/* ticks (USER_HZ); children's times stay 0 */
};

/* root/proc: stat with busy_ticks of user time on the aggregate line,
 * and every process of procs[0 .. n-1]. */
void gbt_proc_write(const char *root, uint64_t busy_ticks, const struct gbt_proc *procs, size_t n);

#endif
