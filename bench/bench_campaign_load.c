/*
 * A long campaign: N runs (default 2000) of the scripted fake run
 * (build/tests/fake-run) through `greenbench campaign run`, the campaign
 * process's resident memory sampled as runs are stored (it must stay
 * flat: the meter samples only around idle baselines and its series is
 * dropped after), every run counted in the database, then the report of
 * the campaign timed (median of 3, text and JSON). First, the cost of one
 * interference sample (greenbench/cputree.h: /proc/stat and a walk of
 * /proc), which every run takes twice outside its measured phase.
 *
 *   build/bench/bench_campaign_load [RUNS] [DIR]
 *
 * The plan has 20 configurations; reps = RUNS / 20, an idle baseline of
 * 50 ms every 100 runs, no cooldown. No pass/fail: figures go to
 * docs/perf.md.
 */
#include "bench_util.h"
#include "greenbench/cputree.h"
#include "greenbench/time.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RSS_POINTS 5

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6))
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

/* Rows in the run table; -1 while the database is not there yet. */
static long runs_stored(const char *db)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	long n = -1;

	if (access(db, R_OK) || sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(h, 2000);
	if (sqlite3_prepare_v2(h, "SELECT count(*) FROM run", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
out:
	sqlite3_finalize(s);
	sqlite3_close(h);
	return n;
}

static double time_cmd_s(const char *cmd)
{
	uint64_t t0 = gb_now_ns();

	if (system(cmd) != 0)
		return -1;
	return (double)(gb_now_ns() - t0) / 1e9;
}

/* Median wall and CPU time of one gb_cpu_load_read(), and the processes
 * it walked. */
static void load_sample_cost(void)
{
	double wall[101], cpu[101];
	struct gb_cpu_load l;
	long procs = 0;
	FILE *f = popen("ls -d /proc/[0-9]* | wc -l", "r");

	if (f && fscanf(f, "%ld", &procs) != 1)
		procs = 0;
	if (f)
		pclose(f);
	for (int i = 0; i < 101; i++) {
		uint64_t t0 = gb_now_ns(), c0 = bench_thread_cpu_ns();

		if (gb_cpu_load_read(&l))
			return;
		wall[i] = (double)(gb_now_ns() - t0) / 1e3;
		cpu[i] = (double)(bench_thread_cpu_ns() - c0) / 1e3;
	}
	printf("interference sample: %.0f us wall, %.0f us CPU (median of 101) with %ld processes\n",
	       bench_median(wall, 101), bench_median(cpu, 101), procs);
}

int main(int argc, char **argv)
{
	long runs = argc > 1 ? atol(argv[1]) : 2000, reps, stored = 0, at[RSS_POINTS], rss[RSS_POINTS];
	const char *build = getenv("GB_BUILD") ? getenv("GB_BUILD") : "build";
	char dir[4096], plan[4200], db[4200], gb[4200], fake[4200], cmd[16384];
	double t_text[3], t_json[3];
	uint64_t t0;
	int np = 0, status;
	pid_t p;
	FILE *f;

	if (argc > 2) {
		snprintf(dir, sizeof dir, "%s", argv[2]);
	} else {
		snprintf(dir, sizeof dir, "/tmp/gb-load-XXXXXX");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
	}
	if (!realpath(build, gb)) {
		perror(build);
		return 1;
	}
	snprintf(fake, sizeof fake, "%s/tests/fake-run", gb);
	snprintf(gb + strlen(gb), sizeof gb - strlen(gb), "/greenbench");
	load_sample_cost();
	reps = runs / 20 > 0 ? runs / 20 : 1;
	snprintf(plan, sizeof plan, "%s/load.yaml", dir);
	snprintf(db, sizeof db, "%s/load.db", dir);
	unlink(db);
	if (!(f = fopen(plan, "w")))
		return 1;
	fprintf(f, "name: load\nseed: 3\nreps: %ld\nidle_baseline: {duration: 50ms, every: 100}\n"
		"models: [mobilenetv2, resnet50]\nruntimes: [ort/cpu, ort/cuda]\nbatches: [1, 2, 4, 8, 16]\n",
		reps);
	fclose(f);
	printf("campaign of %ld runs of the fake run (%ld reps x 20 configurations) in %s\n", reps * 20, reps, dir);
	snprintf(cmd, sizeof cmd, "cd '%s' && exec env GREENBENCH_RUN_CMD='%s' GREENBENCH_CACHE_DIR='%s/cache' "
		 "'%s' campaign run load.yaml --db load.db -q", dir, fake, dir, gb);
	t0 = gb_now_ns();
	p = fork();
	if (p < 0)
		return 1;
	if (!p) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* RSS at evenly spaced points of the campaign. */
	while (waitpid(p, &status, WNOHANG) == 0) {
		long k = runs_stored(db), r = rss_kib(p);

		if (k >= 0)
			stored = k;
		if (np < RSS_POINTS && r > 0 && stored >= (np + 1) * reps * 20 / (RSS_POINTS + 1)) {
			at[np] = stored;
			rss[np++] = r;
		}
		poll(NULL, 0, 50);
	}
	stored = runs_stored(db);
	printf("  campaign: exit %d, %.1f s, %ld of %ld runs stored (%.1f ms per run)\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1, (double)(gb_now_ns() - t0) / 1e9, stored, reps * 20,
	       (double)(gb_now_ns() - t0) / 1e6 / (double)(stored > 0 ? stored : 1));
	for (int i = 0; i < np; i++)
		printf("  campaign RSS after %5ld runs: %6ld KiB\n", at[i], rss[i]);
	if (np >= 2)
		printf("  RSS growth from the first to the last point: %+ld KiB\n", rss[np - 1] - rss[0]);
	for (int i = 0; i < 3; i++) {
		snprintf(cmd, sizeof cmd, "'%s' report --db '%s' >/dev/null", gb, db);
		t_text[i] = time_cmd_s(cmd);
		snprintf(cmd, sizeof cmd, "'%s' report --db '%s' --format json >/dev/null", gb, db);
		t_json[i] = time_cmd_s(cmd);
	}
	printf("  report of %ld runs: %.3f s (text), %.3f s (json), median of 3\n", stored, bench_median(t_text, 3),
	       bench_median(t_json, 3));
	return 0;
}
