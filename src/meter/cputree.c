/*
 * The CPU time of processes outside a process tree (greenbench/cputree.h):
 * /proc/stat for the machine, /proc/[pid]/stat for the tree.
 */
#include "greenbench/cputree.h"
#include "greenbench/error.h"
#include "greenbench/sys.h"
#include "greenbench/time.h"
#include "meter/estimator_model.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int gb_pid_stat_parse(const char *text, struct gb_pid_stat *out)
{
	unsigned long long ut, st, cut, cst;
	const char *close;
	long pid, ppid;
	char state;

	/* "pid (comm) state ppid ..."; comm may contain ") ", so the last
	 * parenthesis ends it. */
	close = strrchr(text, ')');
	if (!close || sscanf(text, "%ld", &pid) != 1)
		return -EINVAL;
	/* fields 3..17: state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime */
	if (sscanf(close + 1, " %c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
		   &state, &ppid, &ut, &st, &cut, &cst) != 6)
		return -EINVAL;
	out->pid = (pid_t)pid;
	out->ppid = (pid_t)ppid;
	out->ticks = ut + st + cut + cst;
	return 0;
}

static int read_pid_stat(const char *proc, const char *name, struct gb_pid_stat *out)
{
	char path[512], buf[1024];

	if ((size_t)snprintf(path, sizeof path, "%s/%s/stat", proc, name) >= sizeof path)
		return -ENAMETOOLONG;
	if (gb_sys_read_text(path, buf, sizeof buf) < 0)
		return -ENOENT;	/* it ended meanwhile */
	return gb_pid_stat_parse(buf, out);
}

void gb_proc_tree_release(struct gb_proc_tree *t)
{
	free(t->pids);
	memset(t, 0, sizeof *t);
}

int gb_proc_tree_has(const struct gb_proc_tree *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->pids[i] == pid)
			return 1;
	return 0;
}

/* Every process's stat line now, into *all (malloc'd, *n of them). */
static int snapshot(struct gb_pid_stat **all, size_t *n)
{
	struct gb_pid_stat ps, *na;
	struct dirent *de;
	char proc[512];
	size_t cap = 0;
	DIR *d = NULL;
	int ret;

	*all = NULL;
	*n = 0;
	if ((ret = gb_sys_path(gb_sys_root(), "/proc", proc, sizeof proc)))
		return ret;
	if (!(d = opendir(proc)))
		return gb_error_set(-errno, "cannot list '%s': %s", proc, strerror(errno));
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]) || read_pid_stat(proc, de->d_name, &ps))
			continue;
		if (*n == cap) {
			if (!(na = realloc(*all, (cap = cap ? 2 * cap : 256) * sizeof *na))) {
				ret = gb_error_set(-ENOMEM, "out of memory");
				goto out;
			}
			*all = na;
		}
		(*all)[(*n)++] = ps;
	}
out:
	closedir(d);
	if (ret) {
		free(*all);
		*all = NULL;
		*n = 0;
	}
	return ret;
}

/* The tree of root in a snapshot. */
static int tree_of(const struct gb_pid_stat *all, size_t n, pid_t root, struct gb_proc_tree *out)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks = 0;
	int grew;

	memset(out, 0, sizeof *out);
	if (!(out->pids = malloc((n + 1) * sizeof *out->pids)))
		return gb_error_set(-ENOMEM, "out of memory");
	out->pids[out->n++] = root;
	/* Descendants: add children of members until nothing changes (a
	 * tree is a few levels deep, so few passes). */
	do {
		grew = 0;
		for (size_t i = 0; i < n; i++)
			if (all[i].pid != root && !gb_proc_tree_has(out, all[i].pid) &&
			    gb_proc_tree_has(out, all[i].ppid)) {
				out->pids[out->n++] = all[i].pid;
				grew = 1;
			}
	} while (grew);
	for (size_t i = 0; i < n; i++)
		if (gb_proc_tree_has(out, all[i].pid))
			ticks += all[i].ticks;
	out->cpu_s = (double)ticks / (double)(hz > 0 ? hz : 100);
	return 0;
}

int gb_proc_tree_read(pid_t root, struct gb_proc_tree *out)
{
	struct gb_pid_stat *all = NULL;
	size_t n = 0;
	int ret;

	memset(out, 0, sizeof *out);
	if (!root)
		root = getpid();
	if (!(ret = snapshot(&all, &n)))
		ret = tree_of(all, n, root, out);
	free(all);
	return ret;
}

/* The pid GB_ENV_OWN_TREE names when it is an ancestor of self in the
 * snapshot, else self. Init (pid 1) is refused: orphans are re-parented
 * to it, so its tree is every process. */
static pid_t own_root(const struct gb_pid_stat *all, size_t n, pid_t self)
{
	const char *v = getenv(GB_ENV_OWN_TREE);
	pid_t cur = self;
	char *end;
	long want;

	if (!v || !*v)
		return self;
	errno = 0;
	want = strtol(v, &end, 10);
	if (errno || *end || want <= 1 || want == self)
		return self;
	/* Up the parents, at most one step per process. */
	for (size_t step = 0; step < n && cur > 1; step++) {
		size_t i;

		for (i = 0; i < n && all[i].pid != cur; i++)
			;
		if (i == n)
			break;
		cur = all[i].ppid;
		if (cur == (pid_t)want)
			return cur;
	}
	return self;
}

int gb_cpu_load_read(struct gb_cpu_load *out)
{
	struct gb_proc_tree t = { 0 };
	struct gb_pid_stat *all = NULL;
	struct gb_cpu_times ct;
	char path[512], buf[8192];
	long hz = sysconf(_SC_CLK_TCK), ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pid_t self = getpid();
	size_t n = 0;
	int ret;

	memset(out, 0, sizeof *out);
	if ((ret = gb_sys_path(gb_sys_root(), "/proc/stat", path, sizeof path)) ||
	    (ret = gb_sys_read_text(path, buf, sizeof buf)) < 0 ||
	    (ret = gb_est_parse_proc_stat(buf, &ct)))
		return ret;
	if ((ret = snapshot(&all, &n)))
		return ret;
	out->root = own_root(all, n, self);
	if ((ret = tree_of(all, n, out->root, &t)))
		goto out;
	out->t_ns = gb_now_ns();
	out->busy_s = (double)ct.busy / (double)(hz > 0 ? hz : 100);
	out->tree_s = t.cpu_s;
	out->slack_s = 2.0 * (double)(ncpu > 0 ? ncpu : 1) / (double)(hz > 0 ? hz : 100);
	out->campaign_tree = out->root != self;
	out->valid = 1;
out:
	gb_proc_tree_release(&t);
	free(all);
	return ret;
}

int gb_cpu_load_foreign(const struct gb_cpu_load *a, const struct gb_cpu_load *b, double *cores)
{
	double others;

	/* Two trees' times do not subtract. */
	if (!a->valid || !b->valid || b->t_ns <= a->t_ns || a->root != b->root)
		return -ENODATA;
	others = (b->busy_s - a->busy_s) - (b->tree_s - a->tree_s) - b->slack_s;
	*cores = (others > 0 ? others : 0) / ((double)(b->t_ns - a->t_ns) / 1e9);
	return 0;
}
