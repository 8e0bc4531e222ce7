/*
 * The worker harness against the scripted fake worker
 * (tests/fakes/fake_worker.py): a normal session, then every way a worker
 * can fail, each with the reason the harness must give.
 */
#include "lib/gbtest.h"

#include "greenbench/error.h"
#include "greenbench/time.h"
#include "greenbench/worker.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char fake[4096], wdir[4096];
static const char *python = "python3";

static int setup(void **state)
{
	const char *src = getenv("GB_SRCDIR");

	snprintf(fake, sizeof fake, "%s/tests/fakes/fake_worker.py", src && *src ? src : ".");
	snprintf(wdir, sizeof wdir, "%s/workers", src && *src ? src : ".");
	if (getenv("GB_PYTHON") && *getenv("GB_PYTHON"))
		python = getenv("GB_PYTHON");
	return 0;
}

static int start_fake(const char *mode, uint64_t start_timeout_ns, uint64_t timeout_ns,
		      struct gb_worker **w)
{
	const char *argv[] = { python, fake, mode, wdir, NULL };
	struct gb_worker_config cfg = { "fake", argv, start_timeout_ns, timeout_ns, NULL };

	return gb_worker_start(&cfg, w);
}

static void load_default(struct gb_worker *w)
{
	struct gb_runtime_options opt;
	struct gb_kv kv[] = { { "answer", "42" } };

	gb_runtime_options_init(&opt);
	opt.model = "tiny";
	opt.seed = 7;
	opt.ep_options = kv;
	opt.n_ep_options = 1;
	assert_int_equal(gb_worker_load(w, &opt), 0);
}

static void set_x(struct gb_worker *w, const float *x, int64_t batch)
{
	struct gb_tensor t = { 0 };

	snprintf(t.info.name, sizeof t.info.name, "x");
	t.info.dtype = GB_DTYPE_F32;
	t.info.rank = 2;
	t.info.dims[0] = batch;
	t.info.dims[1] = 4;
	t.data = (void *)x;
	t.bytes = (size_t)batch * 4 * sizeof *x;
	assert_int_equal(gb_worker_set_inputs(w, &t, 1), 0);
}

static const char *meta(struct gb_worker *w, const char *key)
{
	const struct gb_kv *kv;
	size_t n;

	assert_int_equal(gb_worker_metadata(w, &kv, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

static void test_session(void **state)
{
	const float x[8] = { 1, 2, 3, 4, -1, 0.5f, 0, 8 };
	const struct gb_tensor_info *in, *out;
	const struct gb_tensor *o;
	struct gb_runtime_phase ph;
	struct gb_worker *w = NULL;
	uint64_t lat[3] = { 0 }, t0, t1;
	size_t nin, nout, no;

	assert_int_equal(start_fake("ok", 0, 0, &w), 0);
	assert_string_equal(meta(w, "worker"), "fake");
	assert_string_equal(meta(w, "worker_version"), "1.0");
	load_default(w);
	/* Options reach the worker; the harness's own do not exist here. */
	assert_string_equal(meta(w, "options"), "answer=42");
	assert_string_equal(meta(w, "model"), "tiny");
	assert_string_equal(meta(w, "seed"), "7");
	assert_non_null(meta(w, "worker_load_cpu_user_ns"));
	assert_int_equal(gb_worker_describe(w, &in, &nin, &out, &nout), 0);
	assert_int_equal(nin, 1);
	assert_string_equal(in[0].name, "x");
	assert_int_equal(in[0].dtype, GB_DTYPE_F32);
	assert_int_equal(in[0].dims[0], -1);
	assert_string_equal(in[0].dim_params[0], "batch");
	assert_int_equal(in[0].dims[1], 4);
	set_x(w, x, 2);

	t0 = gb_now_ns();
	assert_int_equal(gb_worker_run(w, 3, 0, lat, NULL), 0);
	t1 = gb_now_ns();
	/* The worker's stamps are on our clock, inside our own window. */
	assert_int_equal(gb_worker_last_phase(w, &ph), 0);
	assert_true(ph.t_start_ns >= t0 && ph.t_end_ns <= t1 && ph.t_start_ns <= ph.t_end_ns);
	assert_true(ph.cpu_valid);
	for (int i = 0; i < 3; i++)
		assert_true(lat[i] <= ph.t_end_ns - ph.t_start_ns);

	/* n = 1 and a duration run. */
	assert_int_equal(gb_worker_run(w, 1, 0, lat, NULL), 0);
	uint64_t n_done = 0;
	const uint64_t *l;
	size_t nl;
	assert_int_equal(gb_worker_run(w, 0, 20 * GB_NS_PER_MS, NULL, &n_done), 0);
	assert_true(n_done >= 1);
	assert_int_equal(gb_worker_latencies(w, &l, &nl), 0);
	assert_int_equal(nl, n_done);
	assert_int_equal(gb_worker_last_phase(w, &ph), 0);
	assert_true(ph.t_end_ns - ph.t_start_ns >= 20 * GB_NS_PER_MS);

	assert_int_equal(gb_worker_outputs(w, &o, &no), 0);
	assert_int_equal(no, 1);
	assert_string_equal(o[0].info.name, "y");
	assert_int_equal(o[0].bytes, sizeof x);
	for (int i = 0; i < 8; i++)
		assert_true(((const float *)o[0].data)[i] == 2 * x[i]);
	assert_string_equal(meta(w, "worker_runs"), "3");
	assert_int_equal(gb_worker_stop(w), 0);
}

/* A failure the worker reports itself leaves it usable. */
static void test_worker_error(void **state)
{
	struct gb_runtime_options opt;
	struct gb_worker *w = NULL;

	assert_int_equal(start_fake("fail-load", 0, 0, &w), 0);
	gb_runtime_options_init(&opt);
	opt.model = "nope";
	assert_int_equal(gb_worker_load(w, &opt), -EIO);
	assert_string_equal(gb_error_msg(), "fake worker: cannot open model 'nope': no such model");
	assert_int_equal(gb_error_kind(), GB_ERROR_KIND_NONE);
	assert_int_equal(gb_worker_stop(w), 0);
}

/* Failures that say what they are arrive typed: values no worker takes
 * as -EINVAL, a framework's out-of-memory as -ENOMEM marked OOM (what
 * `run` turns into "batch N does not fit in memory"); the worker stays. */
static void test_worker_error_kinds(void **state)
{
	const float x[4] = { 1, 2, 3, 4 };
	struct gb_runtime_options opt;
	struct gb_worker *w = NULL;
	struct gb_kv kv[] = { { "answer", "many" } };
	uint64_t lat[1];

	(void)state;
	assert_int_equal(start_fake("invalid-load", 0, 0, &w), 0);
	gb_runtime_options_init(&opt);
	opt.model = "tiny";
	opt.ep_options = kv;
	opt.n_ep_options = 1;
	assert_int_equal(gb_worker_load(w, &opt), -EINVAL);
	assert_string_equal(gb_error_msg(), "fake worker: answer=many: not a number");
	assert_int_equal(gb_worker_stop(w), 0);

	assert_int_equal(start_fake("oom-run", 0, 0, &w), 0);
	load_default(w);
	set_x(w, x, 1);
	assert_int_equal(gb_worker_run(w, 1, 0, lat, NULL), -ENOMEM);
	assert_int_equal(gb_error_kind(), GB_ERROR_KIND_OOM);
	assert_non_null(strstr(gb_error_msg(), "OutOfMemoryError: CUDA out of memory"));
	assert_int_equal(gb_worker_run(w, 1, 0, lat, NULL), -ENOMEM);	/* still there, still answering */
	assert_int_equal(gb_worker_stop(w), 0);
}

static void expect_run_failure(const char *mode, int err, const char *const *want,
			       const char *const *absent)
{
	const float x[4] = { 1, 2, 3, 4 };
	struct gb_worker *w = NULL;
	uint64_t lat[2];
	char first[1024];
	pid_t pid;

	assert_int_equal(start_fake(mode, 0, 1 * GB_NS_PER_S, &w), 0);
	load_default(w);
	set_x(w, x, 1);
	pid = gb_worker_pid(w);
	assert_int_equal(gb_worker_run(w, 2, 0, lat, NULL), err);
	snprintf(first, sizeof first, "%s", gb_error_msg());
	for (; *want; want++)
		if (!strstr(first, *want))
			fail_msg("'%s' not in '%s'", *want, first);
	for (; absent && *absent; absent++)
		if (strstr(first, *absent))
			fail_msg("'%s' should not be in '%s'", *absent, first);
	/* It is gone (reaped: no zombie, no process) and stays failed. */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(gb_worker_run(w, 1, 0, lat, NULL), -EPIPE);
	assert_string_equal(gb_error_msg(), first);
	gb_worker_free(w);
}

/* A parent killed by SIGKILL (no handler runs) takes its worker along
 * even while the worker spins in a long operation: PR_SET_PDEATHSIG.
 * This test is a child subreaper, so the orphaned worker would become
 * its child and can be reaped here. */
static void test_worker_dies_with_parent(void **state)
{
	int fds[2], status;
	pid_t parent, worker = 0;
	uint64_t t0;

	(void)state;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe(fds), 0);
	parent = fork();
	assert_true(parent >= 0);
	if (!parent) {
		const float x[4] = { 1, 2, 3, 4 };
		struct gb_worker *w = NULL;
		uint64_t lat[1];
		pid_t pid;

		close(fds[0]);
		if (start_fake("spin-run", 0, 0, &w))
			_exit(1);
		load_default(w);
		set_x(w, x, 1);
		pid = gb_worker_pid(w);
		if (write(fds[1], &pid, sizeof pid) != sizeof pid)
			_exit(1);
		gb_worker_run(w, 1, 0, lat, NULL);	/* spins until we are killed */
		_exit(1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &worker, sizeof worker), (ssize_t)sizeof worker);
	close(fds[0]);
	assert_true(worker > 0);
	kill(parent, SIGKILL);
	assert_int_equal(waitpid(parent, &status, 0), parent);
	t0 = gb_now_ns();
	/* Reparented to us and killed: reap it, within a second. */
	while (waitpid(worker, &status, WNOHANG) != worker && gb_now_ns() - t0 < GB_NS_PER_S)
		poll(NULL, 0, 5);
	if (kill(worker, 0) == 0) {
		kill(worker, SIGKILL);
		fail_msg("worker %d still alive 1 s after its parent was killed", (int)worker);
	}
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

static void test_hang(void **state)
{
	const char *want[] = { "fake worker timed out after 1s waiting for the reply to 'run'", NULL };
	uint64_t t0 = gb_now_ns();

	expect_run_failure("hang-run", -ETIMEDOUT, want, NULL);
	assert_true(gb_now_ns() - t0 < 10 * GB_NS_PER_S);
}

/* A stop set by a signal handler (Ctrl-C in the advisor) ends a request
 * the worker would take a minute over, within its 100 ms polls, and the
 * worker is killed and reaped: the timeout is not waited for. */
static volatile sig_atomic_t stop_flag;

static void on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void test_stop(void **state)
{
	const char *argv[] = { python, fake, "hang-run", wdir, NULL };
	struct gb_worker_config cfg = { "fake", argv, 0, 60 * GB_NS_PER_S, &stop_flag };
	struct itimerval t = { { 0, 0 }, { 0, 200000 } };
	const float x[4] = { 1, 2, 3, 4 };
	struct gb_worker *w = NULL;
	uint64_t lat[1], t0;
	pid_t pid;

	(void)state;
	stop_flag = 0;
	assert_int_equal(gb_worker_start(&cfg, &w), 0);
	load_default(w);
	set_x(w, x, 1);
	pid = gb_worker_pid(w);
	signal(SIGALRM, on_alarm);
	t0 = gb_now_ns();
	assert_int_equal(setitimer(ITIMER_REAL, &t, NULL), 0);
	assert_int_equal(gb_worker_run(w, 1, 0, lat, NULL), -EINTR);
	assert_true(gb_now_ns() - t0 < 30 * GB_NS_PER_S);
	assert_int_equal(stop_flag, 1);
	assert_non_null(strstr(gb_error_msg(), "fake worker was stopped while it worked on 'run'; killed"));
	assert_int_equal(kill(pid, 0), -1);	/* killed and reaped */
	assert_int_equal(errno, ESRCH);
	assert_int_equal(gb_worker_run(w, 1, 0, lat, NULL), -EPIPE);	/* and stays gone */
	signal(SIGALRM, SIG_DFL);
	gb_worker_stop(w);
}

static void test_crash(void **state)
{
	/* Lines 10..29 are the last 20; line 9 is not. */
	const char *want[] = { "fake worker died before replying to 'run': killed by signal 11",
			       "fake stderr line 10\n", "fake stderr line 29", NULL };
	const char *absent[] = { "fake stderr line 9\n", NULL };

	expect_run_failure("crash-run", -EPIPE, want, absent);
}

static void test_exit(void **state)
{
	const char *want[] = { "exited with status 7", "fake: fatal error in run", NULL };

	expect_run_failure("exit-run", -EPIPE, want, NULL);
}

static void test_garbage(void **state)
{
	const char *want[] = { "fake worker sent a malformed reply to 'run' (not a JSON object): 'this is not json'",
			       NULL };

	expect_run_failure("garbage-run", -EPROTO, want, NULL);
}

static void test_bad_times(void **state)
{
	const char *want[] = { "malformed reply to 'run' (bad phase times)", NULL };

	expect_run_failure("badtimes-run", -EPROTO, want, NULL);
}

/* Output on stdout and stderr (more than a pipe holds) is harmless. */
static void test_noise(void **state)
{
	const float x[4] = { 1, 2, 3, 4 };
	struct gb_worker *w = NULL;
	uint64_t lat[2];
	char tail[256];

	assert_int_equal(start_fake("noise", 0, 10 * GB_NS_PER_S, &w), 0);
	load_default(w);
	set_x(w, x, 1);
	assert_int_equal(gb_worker_run(w, 2, 0, lat, NULL), 0);
	gb_worker_output_tail(w, 2, tail, sizeof tail);
	assert_non_null(strstr(tail, "noise noise"));
	assert_int_equal(gb_worker_stop(w), 0);
}

static void test_start_failures(void **state)
{
	struct gb_worker *w = (struct gb_worker *)1;
	const char *argv[] = { "/nonexistent/worker", NULL };
	struct gb_worker_config cfg = { "ghost", argv, 0, 0, NULL };

	assert_int_equal(start_fake("slow-start", 200 * GB_NS_PER_MS, 0, &w), -ETIMEDOUT);
	assert_null(w);
	assert_non_null(strstr(gb_error_msg(), "fake worker timed out after 0.2s waiting for the reply to 'hello'"));

	assert_int_equal(start_fake("no-hello", 0, 0, &w), -EPIPE);
	assert_non_null(strstr(gb_error_msg(), "died before replying to 'hello': exited with status 3"));
	assert_non_null(strstr(gb_error_msg(), "fake: giving up before hello"));

	assert_int_equal(start_fake("protocol-99", 0, 0, &w), -EPROTO);
	assert_non_null(strstr(gb_error_msg(), "for protocol 99 (greenbench speaks 1)"));

	assert_int_equal(gb_worker_start(&cfg, &w), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "cannot start the ghost worker '/nonexistent/worker'"));
}

/* A slow start within the start timeout is fine. */
static void test_slow_start(void **state)
{
	struct gb_worker *w = NULL;

	assert_int_equal(start_fake("slow-start", 10 * GB_NS_PER_S, 0, &w), 0);
	assert_int_equal(gb_worker_stop(w), 0);
}

/* Adding a worker is one script and one row: this row, defined here and
 * nowhere else, drives the fake worker through the very ops that serve
 * torch and ort-python. */
static const char *const fake_eps[] = { "cpu", NULL };
static const struct gb_runtime_ops fake_rt =
	GB_WORKER_RUNTIME("fake", "fake_worker.py", "the scripted fake worker", fake_eps, 0, NULL);

static void test_runtime_row(void **state)
{
	const char *src = getenv("GB_SRCDIR");
	struct gb_kv kv[] = { { "answer", "42" }, { "timeout", "30s" } };
	const float x[8] = { 1, 2, 3, 4, -1, -2, -3, 0.5f };
	const struct gb_tensor_info *in, *out;
	const struct gb_tensor *o;
	const struct gb_kv *meta;
	struct gb_runtime_options opt;
	struct gb_runtime_phase ph;
	struct gb_tensor t = { 0 };
	size_t nin, nout, no, nmeta;
	const char *opts = NULL;
	char dir[4096];
	uint64_t lat[2];
	void *s = NULL;

	snprintf(dir, sizeof dir, "%s/tests/fakes", src && *src ? src : ".");
	setenv("GREENBENCH_WORKERS_DIR", dir, 1);
	setenv("GREENBENCH_PYTHON", python, 1);
	assert_int_equal(gb_runtime_probe(&fake_rt), 0);
	assert_true(gb_runtime_accepts_ep(&fake_rt, "cpu"));
	assert_false(gb_runtime_accepts_ep(&fake_rt, "cuda"));
	gb_runtime_options_init(&opt);
	opt.model = "tiny";
	opt.ep_options = kv;
	opt.n_ep_options = 2;
	if (gb_runtime_open(&fake_rt, &opt, &s))
		fail_msg("open: %s", gb_error_msg());
	assert_int_equal(fake_rt.last_phase(s, &ph), 0);
	assert_true(ph.t_end_ns >= ph.t_start_ns);
	assert_int_equal(fake_rt.describe(s, &in, &nin, &out, &nout), 0);
	assert_int_equal(nin, 1);
	assert_string_equal(in[0].name, "x");
	t.info = in[0];
	t.info.dims[0] = 2;
	t.data = (void *)x;
	t.bytes = sizeof x;
	assert_int_equal(fake_rt.set_inputs(s, &t, 1), 0);
	assert_int_equal(fake_rt.run_batches(s, 2, lat), 0);
	assert_int_equal(fake_rt.outputs(s, &o, &no), 0);
	assert_int_equal(no, 1);
	for (int i = 0; i < 8; i++)
		assert_true(((const float *)o[0].data)[i] == 2 * x[i]);
	assert_int_equal(fake_rt.metadata(s, &meta, &nmeta), 0);
	for (size_t i = 0; i < nmeta; i++)
		if (!strcmp(meta[i].key, "options"))
			opts = meta[i].value;
	/* The harness keeps its own option (timeout) and sends the rest. */
	assert_non_null(opts);
	assert_string_equal(opts, "answer=42");
	/* A worker that cannot take new options says so and stays usable. */
	assert_non_null(fake_rt.reconfigure);
	assert_int_equal(fake_rt.reconfigure(s, &opt), -EIO);
	assert_non_null(strstr(gb_error_msg(), "cannot change the options of a loaded model"));
	assert_int_equal(fake_rt.run_batches(s, 1, lat), 0);
	fake_rt.close(s);
	unsetenv("GREENBENCH_PYTHON");
	unsetenv("GREENBENCH_WORKERS_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session),	    cmocka_unit_test(test_worker_error),
		cmocka_unit_test(test_worker_error_kinds),
		cmocka_unit_test(test_hang),	    cmocka_unit_test(test_stop),	cmocka_unit_test(test_crash),
		cmocka_unit_test(test_exit),	    cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_bad_times),   cmocka_unit_test(test_noise),
		cmocka_unit_test(test_start_failures), cmocka_unit_test(test_slow_start),
		cmocka_unit_test(test_runtime_row),
		cmocka_unit_test(test_worker_dies_with_parent),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
