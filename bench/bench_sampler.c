/*
 * Sampler overhead: a CPU-bound workload run bare and under
 * `greenbench measure -i 20ms`, in alternating pairs. The workload times
 * itself (CLOCK_MONOTONIC around its loop) so greenbench's start-up is not
 * counted as slowdown; the meter's own CPU is the children's CPU time minus
 * the workload's own.
 *
 *   build/bench/bench_sampler [greenbench] [pairs] [seconds]
 *
 * Prints the median slowdown over pairs and the meter's CPU share of one
 * core. No pass/fail: figures go to docs/perf.md.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The workload: a fixed amount of integer work, timed by itself. */
static int workload(long iters, const char *out_path)
{
	volatile unsigned long x = 1;
	double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	FILE *f;

	for (long i = 0; i < iters; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	f = fopen(out_path, "w");
	if (!f)
		return 1;
	fprintf(f, "%.9f %.9f\n", now_s(CLOCK_MONOTONIC) - t0, now_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
	fclose(f);
	return 0;
}

static double cpu_children(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* stdout_path: where the child's stdout goes (the JSON of measure). */
static int run(char *const argv[], const char *stdout_path, double *wall, double *cpu_work, double *cpu_all)
{
	double c0 = cpu_children();
	pid_t p = fork();
	int st;
	FILE *f;

	if (p == 0) {
		int fd = open("/dev/null", O_WRONLY);
		int out = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			dup2(fd, 2);
		if (out >= 0)
			dup2(out, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	*cpu_all = cpu_children() - c0;
	f = fopen("/tmp/gb-bench-sampler.out", "r");
	if (!f || fscanf(f, "%lf %lf", wall, cpu_work) != 2)
		return -1;
	fclose(f);
	return 0;
}

/* The sampler thread's own CPU time, as `measure --json` reports it. */
static double sampler_cpu_s(void)
{
	char buf[65536], *p;
	size_t n;
	FILE *f = fopen("/tmp/gb-bench-sampler.json", "r");

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strstr(buf, "\"sampler_cpu_s\":");
	return p ? atof(p + strlen("\"sampler_cpu_s\":")) : -1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *gb = argc > 1 ? argv[1] : "build/greenbench";
	int pairs = argc > 2 ? atoi(argv[2]) : 7;
	double secs = argc > 3 ? atof(argv[3]) : 1.0;
	char self[4096], iters_s[32];
	double *slow = calloc((size_t)pairs, sizeof *slow), *share = calloc((size_t)pairs, sizeof *share);
	double *samp = calloc((size_t)pairs, sizeof *samp);
	long iters;
	ssize_t n;

	if (argc > 2 && !strcmp(argv[1], "--work"))
		return workload(atol(argv[2]), "/tmp/gb-bench-sampler.out");
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		return 1;
	self[n] = '\0';
	/* Calibrate the loop to about `secs` seconds. */
	{
		double t0 = now_s(CLOCK_MONOTONIC);
		volatile unsigned long x = 1;
		for (long i = 0; i < 50000000; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
		iters = (long)(50000000 * secs / (now_s(CLOCK_MONOTONIC) - t0));
	}
	snprintf(iters_s, sizeof iters_s, "%ld", iters);
	char *bare[] = { self, "--work", iters_s, NULL };
	char *meas[] = { (char *)gb, "measure", "--json", "-i", "20ms", "--", self, "--work", iters_s, NULL };
	const char *js = "/tmp/gb-bench-sampler.json";

	printf("sampler overhead: %d pairs of a %.1f s CPU-bound loop, bare vs 'greenbench measure -i 20ms'\n",
	       pairs, secs);
	for (int i = 0; i < pairs; i++) {
		double wb, wm, cw, ca, cwm, cam;
		/* Alternate which goes first so drift does not favour one. */
		int ok = (i & 1) ? (run(meas, js, &wm, &cwm, &cam) || run(bare, "/dev/null", &wb, &cw, &ca))
				 : (run(bare, "/dev/null", &wb, &cw, &ca) || run(meas, js, &wm, &cwm, &cam));
		if (ok) {
			fprintf(stderr, "bench_sampler: a run failed (is '%s' built?)\n", gb);
			return 1;
		}
		slow[i] = (wm / wb - 1.0) * 100.0;
		share[i] = (cam - cwm) / wm * 100.0;
		samp[i] = sampler_cpu_s() / wm * 100.0;
		printf("  pair %d: bare %.4f s, measured %.4f s, slowdown %+.3f%%, sampler thread %.3f%% of a core, "
		       "greenbench process incl. start-up %.3f%%\n",
		       i + 1, wb, wm, slow[i], samp[i], share[i]);
	}
	qsort(slow, (size_t)pairs, sizeof *slow, cmp);
	qsort(share, (size_t)pairs, sizeof *share, cmp);
	qsort(samp, (size_t)pairs, sizeof *samp, cmp);
	printf("median slowdown %+.3f%% (goal < 0.5%%); median sampler CPU %.3f%% of a core (goal < 1%%); "
	       "whole greenbench process incl. start-up %.3f%%\n",
	       slow[pairs / 2], samp[pairs / 2], share[pairs / 2]);
	free(samp);
	free(slow);
	free(share);
	return 0;
}
