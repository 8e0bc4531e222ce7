/*
 * Others' CPU time (greenbench/cputree.h) on a fake /proc whose load the
 * test decides (tests/lib/proc_fixture.h): /proc/[pid]/stat decoding, the
 * run's tree (this process and its worker), a quiet machine that stays
 * valid, a foreign process that does not, and a campaign's own tree
 * (GB_ENV_OWN_TREE): its sibling runs are not foreign, processes outside
 * it still are, and a variable naming anything but an ancestor is not
 * honoured.
 */
#include "lib/gbtest.h"
#include "lib/proc_fixture.h"
#include "greenbench/cputree.h"
#include "greenbench/time.h"
#include "greenbench/verdict.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *root;
static double hz, slack_s;

/* The machine: init, the campaign (this test's parent), this process as
 * the run, its worker, a sibling run of the campaign and a foreign
 * process. Pids other than ours are the fake's own. */
enum { INIT, CAMPAIGN, RUN, WORKER, SIBLING, FOREIGN, NPROC };
static struct gbt_proc procs[NPROC];

static int setup(void **st)
{
	(void)st;
	root = gbt_mkdtemp();
	setenv("GREENBENCH_SYSFS_ROOT", root, 1);
	unsetenv(GB_ENV_OWN_TREE);
	hz = (double)sysconf(_SC_CLK_TCK);
	slack_s = 2.0 * (double)sysconf(_SC_NPROCESSORS_ONLN) / hz;
	procs[INIT] = (struct gbt_proc){ 1, 0, 500, 100 };
	procs[CAMPAIGN] = (struct gbt_proc){ getppid(), 1, 40, 10 };
	procs[RUN] = (struct gbt_proc){ getpid(), getppid(), 300, 20 };
	procs[WORKER] = (struct gbt_proc){ 4000001, getpid(), 700, 50 };
	procs[SIBLING] = (struct gbt_proc){ 4000002, getppid(), 900, 30 };
	procs[FOREIGN] = (struct gbt_proc){ 4000003, 1, 80, 0 };
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	unsetenv("GREENBENCH_SYSFS_ROOT");
	unsetenv(GB_ENV_OWN_TREE);
	gbt_rm_rf(root);
	free(root);
	return 0;
}

static uint64_t busy_of(const struct gbt_proc *p, size_t n)
{
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += p[i].utime + p[i].stime;
	return t;
}

/* Two samples: the machine as procs is now, then after each process
 * used add[i] more ticks; the second one 1 s later on the clock, so the
 * figure is in cores over exactly that second. */
static void two_samples(const uint64_t add[NPROC], struct gb_cpu_load *a, struct gb_cpu_load *b)
{
	gbt_proc_write(root, busy_of(procs, NPROC), procs, NPROC);
	assert_int_equal(gb_cpu_load_read(a), 0);
	for (size_t i = 0; i < NPROC; i++)
		procs[i].utime += add[i];
	gbt_proc_write(root, busy_of(procs, NPROC), procs, NPROC);
	assert_int_equal(gb_cpu_load_read(b), 0);
	b->t_ns = a->t_ns + GB_NS_PER_S;
}

static void test_pid_stat_parse(void **st)
{
	struct gb_pid_stat ps;

	(void)st;
	assert_int_equal(gb_pid_stat_parse("42 (a) b) (c) R 7 42 42 0 -1 0 1 2 3 4 11 12 13 14 20 0", &ps), 0);
	assert_int_equal(ps.pid, 42);
	assert_int_equal(ps.ppid, 7);
	assert_int_equal(ps.ticks, 11 + 12 + 13 + 14);
	assert_int_equal(gb_pid_stat_parse("42 (no end", &ps), -EINVAL);
	assert_int_equal(gb_pid_stat_parse("42 (x) R 7", &ps), -EINVAL);
}

/* The run's tree is this process and its worker, from the fake /proc. */
static void test_run_tree(void **st)
{
	struct gb_proc_tree t;

	(void)st;
	gbt_proc_write(root, busy_of(procs, NPROC), procs, NPROC);
	assert_int_equal(gb_proc_tree_read(0, &t), 0);
	assert_int_equal(t.n, 2);
	assert_true(gb_proc_tree_has(&t, getpid()) && gb_proc_tree_has(&t, procs[WORKER].pid));
	assert_false(gb_proc_tree_has(&t, procs[SIBLING].pid));
	assert_true(fabs(t.cpu_s - (320 + 750) / hz) < 1e-9);
	gb_proc_tree_release(&t);
	/* The campaign's: itself, both runs and the worker. */
	assert_int_equal(gb_proc_tree_read(getppid(), &t), 0);
	assert_int_equal(t.n, 4);
	assert_false(gb_proc_tree_has(&t, procs[FOREIGN].pid));
	gb_proc_tree_release(&t);
}

/* A quiet machine: all the busy time that grew is the run's and its
 * worker's. Nothing is foreign, and the verdict stays valid. */
static void test_quiet_machine_is_valid(void **st)
{
	const uint64_t add[NPROC] = { [RUN] = 30, [WORKER] = 70 };
	struct gb_cpu_load a, b;
	double cores = -1;

	(void)st;
	two_samples(add, &a, &b);
	assert_int_equal(a.root, getpid());
	assert_false(a.campaign_tree);
	assert_true(fabs((b.busy_s - a.busy_s) - 100 / hz) < 1e-9);
	assert_true(fabs((b.tree_s - a.tree_s) - 100 / hz) < 1e-9);
	assert_int_equal(gb_cpu_load_foreign(&a, &b, &cores), 0);
	assert_true(cores == 0);
	assert_int_equal(gb_verdict_level_of(GB_VR_FOREIGN_CPU, cores), GB_VERDICT_VALID);
}

/* A foreign process using 0.6 cores beside the run (over the slack, 2
 * ticks per CPU, that a difference of samples can be off by): invalid. */
static void test_foreign_process_counts(void **st)
{
	uint64_t add[NPROC] = { [RUN] = 30 };
	struct gb_cpu_load a, b;
	double cores = -1;

	(void)st;
	add[FOREIGN] = (uint64_t)llround((0.6 + slack_s) * hz);
	two_samples(add, &a, &b);
	assert_int_equal(gb_cpu_load_foreign(&a, &b, &cores), 0);
	assert_true(fabs(cores - 0.6) < 1e-9);
	assert_int_equal(gb_verdict_level_of(GB_VR_FOREIGN_CPU, cores), GB_VERDICT_INVALID);
	/* A sample is not subtracted from one of another tree. */
	b.root = a.root + 1;
	assert_int_equal(gb_cpu_load_foreign(&a, &b, &cores), -ENODATA);
}

/* Runs side by side on a campaign's GPUs: the sibling's CPU time is
 * foreign to a run on its own, the campaign's own once the campaign names
 * itself; the foreign process stays foreign. */
static void test_campaign_tree(void **st)
{
	const uint64_t add[NPROC] = { [RUN] = 40, [SIBLING] = 95, [CAMPAIGN] = 2, [FOREIGN] = 30 };
	struct gb_cpu_load a, b;
	double alone, campaign;
	char pid[32];

	(void)st;
	two_samples(add, &a, &b);
	assert_int_equal(gb_cpu_load_foreign(&a, &b, &alone), 0);
	assert_true(fabs(alone - ((95 + 2 + 30) / hz - slack_s)) < 1e-9);

	for (size_t i = 0; i < NPROC; i++)
		procs[i].utime -= add[i];
	snprintf(pid, sizeof pid, "%ld", (long)getppid());
	setenv(GB_ENV_OWN_TREE, pid, 1);
	two_samples(add, &a, &b);
	assert_int_equal(a.root, getppid());
	assert_true(a.campaign_tree && b.campaign_tree);
	assert_int_equal(gb_cpu_load_foreign(&a, &b, &campaign), 0);
	assert_true(fabs(campaign - (30 / hz - slack_s)) < 1e-9);
	assert_true(campaign < alone);

	/* Only an ancestor other than init is honoured. */
	static const char *const refused[] = { "1", "4000003", "4000001", "12x", "", "-5" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		setenv(GB_ENV_OWN_TREE, refused[i], 1);
		assert_int_equal(gb_cpu_load_read(&a), 0);
		if (a.root != getpid() || a.campaign_tree)
			fail_msg("%s=%s was honoured", GB_ENV_OWN_TREE, refused[i]);
	}
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	setenv(GB_ENV_OWN_TREE, pid, 1);
	assert_int_equal(gb_cpu_load_read(&a), 0);
	assert_false(a.campaign_tree);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_stat_parse),
		cmocka_unit_test_setup_teardown(test_run_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_machine_is_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_process_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_campaign_tree, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
