/*
 * The process launcher (greenbench/proc.h) with real programs (sh, sleep,
 * cat): capture and tail, how a child ended (exit, signal, timeout, stop,
 * exec failure), PATH lookup, environment additions, /dev/null stdin,
 * descriptors at fixed numbers, the release gate, killing the whole group,
 * and PR_SET_PDEATHSIG: a child dies with the process that started it.
 *
 * The test process is a child subreaper, so orphaned grandchildren become
 * its children and can be waited for with a deadline instead of slept on.
 */
#include "lib/gbtest.h"

#include "greenbench/error.h"
#include "greenbench/proc.h"
#include "greenbench/sys.h"
#include "greenbench/time.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define SH(script) ((char *const[]){ "/bin/sh", "-c", (char *)(script), NULL })

static int setup(void **st)
{
	(void)st;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	return 0;
}

/* Wait (as subreaper) for pid to end, at most timeout_ns; its status. */
static int reaped_within(pid_t pid, uint64_t timeout_ns, int *status)
{
	uint64_t deadline = gb_now_ns() + timeout_ns;

	while (gb_now_ns() < deadline) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 1;
		assert_true(r == 0 || (r < 0 && errno == EINTR));
		poll(NULL, 0, 5);
	}
	return 0;
}

static void run_sh(const char *script, enum gb_proc_io out, enum gb_proc_io err,
		   const struct gb_proc_wait_opts *w, struct gb_proc_capture *cap, struct gb_proc_end *end)
{
	const struct gb_proc_spec spec = { .argv = SH(script), .out = out, .err = err, .own_group = 1 };

	assert_int_equal(gb_proc_run(&spec, w, cap, end), 0);
}

static void test_capture_and_exit_code(void **st)
{
	struct gb_proc_capture cap;
	struct gb_proc_end end;

	(void)st;
	run_sh("printf 'hello\\nworld'; printf 'oops' >&2; exit 3", GB_PROC_CAPTURE, GB_PROC_TAIL, NULL, &cap, &end);
	assert_true(end.exited);
	assert_int_equal(end.exit_code, 3);
	assert_false(end.signaled || end.timed_out || end.stopped || end.exec_errno);
	assert_string_equal(cap.out, "hello\nworld");
	assert_int_equal(cap.out_len, 11);
	assert_string_equal(cap.tail, "oops");
	gb_proc_capture_release(&cap);
	assert_null(cap.out);

	/* The tail keeps the last bytes only. */
	run_sh("i=0; while [ $i -lt 300 ]; do printf '0123456789' >&2; i=$((i+1)); done; printf END >&2",
	       GB_PROC_NULL, GB_PROC_TAIL, NULL, &cap, &end);
	assert_int_equal(strlen(cap.tail), GB_PROC_TAIL_MAX - 1);
	assert_string_equal(cap.tail + strlen(cap.tail) - 5, "89END");
	assert_null(cap.out);

	/* Stdout and stderr into one tail (2>&1). */
	const struct gb_proc_spec merged = { .argv = SH("echo a; echo b >&2"), .out = GB_PROC_TAIL, .err_to_out = 1 };
	assert_int_equal(gb_proc_run(&merged, NULL, &cap, &end), 0);
	assert_string_equal(cap.tail, "a\nb\n");
}

static void test_capture_cap(void **st)
{
	const struct gb_proc_wait_opts w = { .out_max = 100 };
	const struct gb_proc_spec spec = { .argv = SH("head -c 5000 /dev/zero"), .out = GB_PROC_CAPTURE, .own_group = 1 };
	struct gb_proc_capture cap;
	struct gb_proc_end end;

	(void)st;
	assert_int_equal(gb_proc_run(&spec, &w, &cap, &end), -ENOMEM);
	assert_non_null(strstr(gb_error_msg(), "printed more than 100 bytes"));
	assert_null(cap.out);
}

static void test_signal_timeout_stop(void **st)
{
	struct gb_proc_wait_opts w = { .timeout_ns = 200 * GB_NS_PER_MS };
	struct gb_proc_end end;
	uint64_t t0;

	(void)st;
	run_sh("kill -SEGV $$", GB_PROC_NULL, GB_PROC_NULL, NULL, NULL, &end);
	assert_true(end.signaled);
	assert_int_equal(end.signal, SIGSEGV);
	assert_false(end.exited || end.timed_out);

	t0 = gb_now_ns();
	run_sh("exec sleep 30", GB_PROC_NULL, GB_PROC_NULL, &w, NULL, &end);
	assert_true(end.timed_out);
	assert_true(end.signaled);
	assert_int_equal(end.signal, SIGKILL);
	assert_true(end.wall_ns >= 200 * GB_NS_PER_MS);
	assert_true(gb_now_ns() - t0 < 10 * GB_NS_PER_S);

	/* A child that closes its output and goes on is still timed out. */
	run_sh("exec >&- 2>&-; sleep 30", GB_PROC_CAPTURE, GB_PROC_TAIL, &w, NULL, &end);
	assert_true(end.timed_out);
}

static volatile sig_atomic_t stop_now;
static int ticks;

static void tick_stop(void *arg)
{
	(void)arg;
	ticks++;
	stop_now = 1;
}

static void test_stop_from_tick(void **st)
{
	const struct gb_proc_wait_opts w = { .timeout_ns = 60 * GB_NS_PER_S, .stop = &stop_now, .tick = tick_stop };
	struct gb_proc_end end;

	(void)st;
	stop_now = 0;
	ticks = 0;
	run_sh("exec sleep 30", GB_PROC_CAPTURE, GB_PROC_TAIL, &w, NULL, &end);
	assert_int_equal(ticks, 1);
	assert_true(end.stopped);
	assert_false(end.timed_out);
	assert_int_equal(end.signal, SIGKILL);
	assert_true(end.wall_ns < 30 * GB_NS_PER_S);
}

/* Killing at the deadline reaches the whole group, not just the child. */
static void test_group_is_killed(void **st)
{
	const struct gb_proc_wait_opts w = { .timeout_ns = 300 * GB_NS_PER_MS };
	struct gb_proc_capture cap;
	struct gb_proc_end end;
	int status;
	pid_t gpid;

	(void)st;
	run_sh("sleep 30 & echo $!; wait", GB_PROC_CAPTURE, GB_PROC_NULL, &w, &cap, &end);
	assert_true(end.timed_out);
	assert_non_null(cap.out);
	gpid = (pid_t)atol(cap.out);
	assert_true(gpid > 0);
	/* Orphaned, it is ours to reap: it must be dead of SIGKILL already. */
	assert_true(reaped_within(gpid, 2 * GB_NS_PER_S, &status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	gb_proc_capture_release(&cap);
}

static void test_exec_failure_and_path(void **st)
{
	const struct gb_proc_spec missing = { .argv = (char *const[]){ "/nonexistent/prog", NULL } };
	const struct gb_proc_spec bare = { .argv = (char *const[]){ "sh", "-c", "exit 7", NULL } };
	struct gb_proc_spec path = bare;
	struct gb_proc_end end;

	(void)st;
	assert_int_equal(gb_proc_run(&missing, NULL, NULL, &end), -ENOENT);
	assert_int_equal(end.exec_errno, ENOENT);
	assert_true(end.exited);
	assert_int_equal(end.exit_code, 127);
	assert_non_null(strstr(gb_error_msg(), "cannot run '/nonexistent/prog': No such file or directory"));
	/* A bare name is not looked up in PATH unless asked (cwd has no sh). */
	assert_int_equal(gb_proc_run(&bare, NULL, NULL, &end), -ENOENT);
	path.search_path = 1;
	assert_int_equal(gb_proc_run(&path, NULL, NULL, &end), 0);
	assert_int_equal(end.exit_code, 7);
}

static void test_env_and_stdin(void **st)
{
	const char *const add[] = { "GBT_NEW=42", "GBT_OLD=new", NULL };
	const struct gb_proc_spec spec = { .argv = SH("echo \"$GBT_NEW $GBT_OLD $GBT_KEPT\"; cat"),
					   .env_add = add, .in = GB_PROC_NULL, .out = GB_PROC_CAPTURE };
	struct gb_proc_capture cap;
	struct gb_proc_end end;

	(void)st;
	setenv("GBT_OLD", "old", 1);
	setenv("GBT_KEPT", "kept", 1);
	/* cat ends at once: its stdin is /dev/null. */
	assert_int_equal(gb_proc_run(&spec, NULL, &cap, &end), 0);
	assert_int_equal(end.exit_code, 0);
	assert_string_equal(cap.out, "42 new kept\n");
	/* The parent's own environment is untouched. */
	assert_string_equal(getenv("GBT_OLD"), "old");
	assert_null(getenv("GBT_NEW"));
	gb_proc_capture_release(&cap);
	unsetenv("GBT_OLD");
	unsetenv("GBT_KEPT");
}

/* A long-lived child on pipes, waited for later (the worker's use). */
static void test_pipes_fds_and_wait(void **st)
{
	int sv[2];
	struct gb_proc_fd fd2[2];
	struct gb_proc p = GB_PROC_INIT;
	struct gb_proc_end end;
	char buf[64] = "";
	ssize_t n;

	(void)st;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fd2[0] = (struct gb_proc_fd){ sv[1], 3 };
	fd2[1] = (struct gb_proc_fd){ sv[1], 4 };
	const struct gb_proc_spec spec = {
		.argv = SH("read line <&3; echo \"got $line\" >&4; echo log; echo err >&2; exit 5"),
		.in = GB_PROC_NULL, .out = GB_PROC_PIPE, .err_to_out = 1, .fds = fd2, .nfds = 2,
		.own_group = 1, .die_with_parent = 1,
	};
	assert_int_equal(gb_proc_spawn(&spec, &p), 0);
	close(sv[1]);
	assert_true(p.pid > 0);
	assert_true(p.out_fd >= 0);
	assert_int_equal(p.in_fd, -1);
	assert_int_equal(write(sv[0], "ping\n", 5), 5);
	n = read(sv[0], buf, sizeof buf - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "got ping\n");
	assert_int_equal(gb_proc_wait_until(&p, gb_now_ns() + 10 * GB_NS_PER_S, -1, NULL, NULL, &end), 0);
	assert_true(end.exited);
	assert_int_equal(end.exit_code, 5);
	n = read(p.out_fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "log\nerr\n");
	gb_proc_close_fds(&p);
	assert_int_equal(p.out_fd, -1);
	close(sv[0]);

	/* wait_until gives up at its deadline; kill then ends it. */
	const struct gb_proc_spec sleeper = { .argv = SH("exec sleep 30"), .own_group = 1 };
	assert_int_equal(gb_proc_spawn(&sleeper, &p), 0);
	assert_int_equal(gb_proc_wait_until(&p, gb_now_ns() + 50 * GB_NS_PER_MS, -1, NULL, NULL, &end), -ETIMEDOUT);
	gb_proc_kill(&p, SIGKILL);
	assert_int_equal(gb_proc_wait(&p, &end), 0);
	assert_true(end.signaled);
	assert_int_equal(end.signal, SIGKILL);
	assert_int_equal(gb_proc_wait(&p, &end), -ECHILD);
}

/* A gated child does not run until released (measure's counters first). */
static void test_gate(void **st)
{
	const struct gb_proc_spec spec = { .argv = SH("echo go"), .out = GB_PROC_PIPE, .gated = 1 };
	const struct gb_proc_spec bad = { .argv = (char *const[]){ "/nonexistent/prog", NULL }, .gated = 1 };
	struct gb_proc p = GB_PROC_INIT;
	struct gb_proc_end end;
	struct pollfd pf;
	char buf[16] = "";
	ssize_t n;

	(void)st;
	assert_int_equal(gb_proc_spawn(&spec, &p), 0);
	pf = (struct pollfd){ p.out_fd, POLLIN, 0 };
	assert_int_equal(poll(&pf, 1, 200), 0);	/* held at the gate */
	gb_proc_release(&p);
	n = read(p.out_fd, buf, sizeof buf - 1);
	assert_int_equal(n, 3);
	assert_string_equal(buf, "go\n");
	assert_int_equal(gb_proc_wait(&p, &end), 0);
	assert_int_equal(end.exit_code, 0);
	gb_proc_close_fds(&p);

	/* Behind a gate, a failed exec is known only at the wait. */
	assert_int_equal(gb_proc_spawn(&bad, &p), 0);
	gb_proc_release(&p);
	assert_int_equal(gb_proc_wait(&p, &end), 0);
	assert_int_equal(end.exec_errno, ENOENT);
	assert_int_equal(end.exit_code, 127);
	gb_proc_close_fds(&p);
}

/* An intermediate process spawns `sleep`, reports its pid and is killed
 * with SIGKILL; the sleeper is then reaped by us (subreaper). */
static pid_t orphan_sleeper(int die_with_parent, pid_t *mid)
{
	int pp[2];
	pid_t sleeper = -1;

	assert_int_equal(pipe(pp), 0);
	*mid = fork();
	assert_true(*mid >= 0);
	if (*mid == 0) {
		const struct gb_proc_spec spec = { .argv = (char *const[]){ "/bin/sleep", "30", NULL },
						   .own_group = 1, .die_with_parent = die_with_parent };
		struct gb_proc p;

		close(pp[0]);
		if (gb_proc_spawn(&spec, &p))
			_exit(1);
		if (write(pp[1], &p.pid, sizeof p.pid) != sizeof p.pid)
			_exit(1);
		for (;;)
			pause();
	}
	close(pp[1]);
	assert_int_equal(read(pp[0], &sleeper, sizeof sleeper), (ssize_t)sizeof sleeper);
	close(pp[0]);
	kill(*mid, SIGKILL);
	return sleeper;
}

static void test_dies_with_parent(void **st)
{
	int status;
	pid_t mid, sleeper;

	(void)st;
	sleeper = orphan_sleeper(1, &mid);
	assert_int_equal(waitpid(mid, &status, 0), mid);
	assert_true(reaped_within(sleeper, GB_NS_PER_S, &status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	/* Without it the sleeper outlives its parent (what the flag is for). */
	sleeper = orphan_sleeper(0, &mid);
	assert_int_equal(waitpid(mid, &status, 0), mid);
	assert_false(reaped_within(sleeper, 200 * GB_NS_PER_MS, &status));
	kill(sleeper, SIGKILL);
	assert_int_equal(waitpid(sleeper, &status, 0), sleeper);
}

static void *mask_of_thread(void *arg)
{
	pthread_sigmask(SIG_BLOCK, NULL, arg);
	return NULL;
}

/* A library thread blocks every signal, so a SIGINT sent to the process
 * goes to the application's threads; the caller's mask stays as it was. */
static void test_library_threads_take_no_signals(void **st)
{
	sigset_t seen;
	pthread_t t;

	(void)st;
	sigemptyset(&seen);
	assert_int_equal(gb_thread_start(&t, mask_of_thread, &seen), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(sigismember(&seen, SIGINT));
	assert_true(sigismember(&seen, SIGTERM));
	/* The caller's own mask is as it was. */
	pthread_sigmask(SIG_BLOCK, NULL, &seen);
	assert_false(sigismember(&seen, SIGINT));
}

/* A grandchild whose parent died is adopted and waited for: reap_orphans
 * says it still runs while it does, and reaps it once it has ended. */
static void test_orphans(void **state)
{
	int gate[2], status;
	size_t n = 99;
	pid_t child;

	(void)state;
	/* what earlier tests left (their zombies) is reaped at once */
	assert_int_equal(gb_proc_reap_orphans(0, &n), 0);
	assert_int_equal(gb_proc_adopt_orphans(), 0);
	assert_int_equal(pipe(gate), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		char c;

		if (fork() == 0) {	/* the grandchild: runs until the gate closes */
			close(gate[1]);
			_exit(read(gate[0], &c, 1) == 0 ? 0 : 1);
		}
		_exit(0);	/* its parent dies first */
	}
	close(gate[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(gb_proc_reap_orphans(50 * GB_NS_PER_MS, &n), -ETIMEDOUT);
	assert_int_equal(n, 0);
	close(gate[1]);
	assert_int_equal(gb_proc_reap_orphans(5 * GB_NS_PER_S, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(waitpid(-1, &status, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_and_exit_code),
		cmocka_unit_test(test_library_threads_take_no_signals),
		cmocka_unit_test(test_capture_cap),
		cmocka_unit_test(test_signal_timeout_stop),
		cmocka_unit_test(test_stop_from_tick),
		cmocka_unit_test(test_group_is_killed),
		cmocka_unit_test(test_exec_failure_and_path),
		cmocka_unit_test(test_env_and_stdin),
		cmocka_unit_test(test_pipes_fds_and_wait),
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_dies_with_parent),
		cmocka_unit_test(test_orphans),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
