/*
 * Worker protocol overhead: the round trip of one run(n = 1) request,
 * harness side, with a worker that does nothing.
 *
 *   build/bench/bench_worker_overhead [round_trips] [repeats]
 *
 * Three figures, each the median over repeats of (total / round_trips):
 *   floor   the same request and reply bytes over the same socket, sent and
 *           read directly: the IPC and scheduler cost, no harness;
 *   harness gb_worker_run(w, 1, ...) against a C no-op worker (this program
 *           with --noop-worker): floor + encode, poll, decode, bookkeeping;
 *   python  gb_worker_run against tests/fakes/fake_worker.py (no-op run):
 *           what a Python worker adds (json, time.monotonic_ns, getrusage).
 * The target is harness - floor + floor < 50 us. No pass/fail; figures go to
 * docs/perf.md.
 */
#include "bench_util.h"
#include "greenbench/error.h"
#include "greenbench/time.h"
#include "greenbench/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * GB_NS_PER_S +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* The no-op worker: minimal valid replies on fd 4 to lines from fd 3. */
static int noop_worker(void)
{
	static char buf[1 << 16];
	size_t len = 0;

	for (;;) {
		char *nl = memchr(buf, '\n', len);
		if (!nl) {
			ssize_t k = read(3, buf + len, sizeof buf - len);
			if (k <= 0)
				return 0;
			len += (size_t)k;
			continue;
		}
		char out[512];
		uint64_t t0 = gb_now_ns(), c = cpu_ns();
		int n;
		if (strstr(buf, "\"hello\""))
			n = snprintf(out, sizeof out, "{\"ok\":true,\"protocol\":1,\"worker\":\"noop\"}\n");
		else if (strstr(buf, "\"load\""))
			n = snprintf(out, sizeof out,
				     "{\"ok\":true,\"t_start_ns\":%llu,\"t_end_ns\":%llu,\"inputs\":[],\"outputs\":[]}\n",
				     (unsigned long long)t0, (unsigned long long)gb_now_ns());
		else if (strstr(buf, "\"shutdown\""))
			n = snprintf(out, sizeof out, "{\"ok\":true}\n");
		else
			n = snprintf(out, sizeof out,
				     "{\"ok\":true,\"t_start_ns\":%llu,\"t_end_ns\":%llu,\"cpu_ns\":[%llu,0,%llu,0],"
				     "\"n\":1,\"lat_ns\":[1]}\n",
				     (unsigned long long)t0, (unsigned long long)gb_now_ns(),
				     (unsigned long long)c, (unsigned long long)c);
		if (write(4, out, (size_t)n) != n)
			return 1;
		if (strstr(buf, "\"shutdown\""))
			return 0;
		len -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, len);
	}
}

/* IPC floor: the no-op worker on a plain socketpair, fixed request bytes. */
static double floor_us(const char *self, int trips)
{
	static const char req[] = "{\"op\":\"run\",\"n\":1,\"latencies\":true}\n";
	int sv[2];
	pid_t pid;
	char buf[4096];
	uint64_t t0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(sv[1], 3);
		dup2(sv[1], 4);
		execl(self, self, "--noop-worker", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	t0 = gb_now_ns();
	for (int i = 0; i < trips; i++) {
		size_t got = 0;
		if (write(sv[0], req, sizeof req - 1) < 0)
			break;
		while (!got || buf[got - 1] != '\n') {
			ssize_t k = read(sv[0], buf + got, sizeof buf - got);
			if (k <= 0)
				break;
			got += (size_t)k;
		}
	}
	double us = (double)(gb_now_ns() - t0) / trips / 1e3;
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return us;
}

static double harness_us(const char *const *argv, int trips)
{
	struct gb_worker_config cfg = { "bench", argv, 0, 0, NULL };
	struct gb_runtime_options opt;
	struct gb_worker *w = NULL;
	uint64_t lat, t0;

	gb_runtime_options_init(&opt);
	opt.model = "noop";
	if (gb_worker_start(&cfg, &w) || gb_worker_load(w, &opt)) {
		fprintf(stderr, "bench: %s\n", gb_error_msg());
		gb_worker_free(w);
		return -1;
	}
	t0 = gb_now_ns();
	for (int i = 0; i < trips; i++)
		if (gb_worker_run(w, 1, 0, &lat, NULL)) {
			fprintf(stderr, "bench: %s\n", gb_error_msg());
			break;
		}
	double us = (double)(gb_now_ns() - t0) / trips / 1e3;
	gb_worker_stop(w);
	return us;
}

int main(int argc, char **argv)
{
	char self[4096], fake[4096], wdir[4096];
	const char *src = getenv("GB_SRCDIR") ? getenv("GB_SRCDIR") : ".";
	const char *py = getenv("GB_PYTHON") ? getenv("GB_PYTHON") : "python3";
	int trips = argc > 1 ? atoi(argv[1]) : 20000, reps = argc > 2 ? atoi(argv[2]) : 5;
	double f[64], h[64], p[64];
	ssize_t n;

	if (argc > 1 && !strcmp(argv[1], "--noop-worker"))
		return noop_worker();
	if (trips < 1 || reps < 1 || reps > 64) {
		fprintf(stderr, "usage: bench_worker_overhead [round_trips] [repeats <= 64]\n");
		return 2;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	snprintf(fake, sizeof fake, "%s/tests/fakes/fake_worker.py", src);
	snprintf(wdir, sizeof wdir, "%s/workers", src);
	const char *cargv[] = { self, "--noop-worker", NULL };
	const char *pargv[] = { py, fake, "ok", wdir, NULL };

	for (int r = 0; r < reps; r++) {
		f[r] = floor_us(self, trips);
		h[r] = harness_us(cargv, trips);
		p[r] = harness_us(pargv, trips / 4 ? trips / 4 : 1);
	}
	double mf = bench_median(f, reps), mh = bench_median(h, reps), mp = bench_median(p, reps);
	printf("worker round trip, run(n=1), median of %d x %d trips:\n", reps, trips);
	printf("  floor (socket ping-pong, no harness)  %8.2f us\n", mf);
	printf("  harness + C no-op worker              %8.2f us  (harness adds %.2f us, %.2fx floor)\n", mh,
	       mh - mf, mh / mf);
	printf("  harness + Python no-op worker         %8.2f us  (%.2fx floor)\n", mp, mp / mf);
	return 0;
}
