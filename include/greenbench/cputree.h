/*
 * Interference from other processes: the CPU time used by processes
 * outside one process tree, from /proc (under gb_sys_root()). A load
 * sample is the whole machine's busy time (/proc/stat) and the tree's own
 * time (this process with its reaped children, plus every live
 * descendant, from /proc/[pid]/stat); the difference between two samples,
 * over the time between them, is what others used, in cores.
 *
 * Cost: a sample walks /proc (about 6 us per process), so it is taken at
 * phase boundaries, outside the measured window, never by the sampler.
 *
 * Whose tree: a campaign that runs several runs at once (one per GPU,
 * src/campaign/slots.c) names itself in each run's environment
 * (GB_ENV_OWN_TREE=its pid): a load sample then takes the campaign's tree,
 * so the sibling runs, the campaign's own children, are not counted as
 * each other's interference, while every process outside the campaign
 * still is. The variable is honoured only when it names an ancestor of
 * this process other than init (pid 1, every orphan's parent); otherwise
 * the tree is this process's.
 *
 * Ownership: gb_proc_tree_read() fills a caller-owned struct whose pid
 * array it allocates; gb_proc_tree_release() frees it. Units: seconds of
 * CPU time, CLOCK_MONOTONIC ns. Thread-safety: no shared state.
 */
#ifndef GREENBENCH_CPUTREE_H
#define GREENBENCH_CPUTREE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One /proc/[pid]/stat line, decoded. */
struct gb_pid_stat {
	pid_t pid, ppid;
	uint64_t ticks;		/* utime + stime + cutime + cstime, USER_HZ */
};

/* Parse a /proc/[pid]/stat text (the command name may hold spaces and
 * parentheses). -EINVAL when it is not one. */
int gb_pid_stat_parse(const char *text, struct gb_pid_stat *out);

/* A process and its live descendants at one instant. */
struct gb_proc_tree {
	pid_t *pids;		/* root first */
	size_t n;
	double cpu_s;		/* their CPU time, reaped children included */
};

/* The tree of root (0: this process). */
int gb_proc_tree_read(pid_t root, struct gb_proc_tree *out);
int gb_proc_tree_has(const struct gb_proc_tree *t, pid_t pid);
void gb_proc_tree_release(struct gb_proc_tree *t);

/* The pid of the process whose tree counts as a run's own (see above). */
#define GB_ENV_OWN_TREE "GREENBENCH_OWN_TREE"

struct gb_cpu_load {
	int valid;
	uint64_t t_ns;
	double busy_s;		/* all CPUs, since boot */
	double tree_s;		/* the tree's CPU time */
	pid_t root;		/* the tree's root: this process, or the GB_ENV_OWN_TREE ancestor */
	int campaign_tree;	/* root is that ancestor, not this process */
	/* What a difference of two samples can be off by: each CPU's count
	 * lags by up to one tick at each end (2 x CPUs / USER_HZ s). */
	double slack_s;
};

/* Sample the load now for the tree of this process, or of the ancestor
 * GB_ENV_OWN_TREE names. */
int gb_cpu_load_read(struct gb_cpu_load *out);

/* CPU time of processes outside the tree between a and b, less the
 * samples' slack (so tick rounding never reads as interference), per
 * second of wall time (cores, at least 0). -ENODATA when either sample is
 * invalid, b is not after a, or they are of different trees. */
int gb_cpu_load_foreign(const struct gb_cpu_load *a, const struct gb_cpu_load *b, double *cores);

#endif
