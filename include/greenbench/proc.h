/*
 * The process launcher: every child greenbench starts (campaign runs, zoo
 * exports, worker processes, worker probes, `measure -- COMMAND`) goes
 * through here, so forking, process groups, deadlines, output capture and
 * how a child ended are done one way.
 *
 * A child gets argv (argv[0] as a path, or looked up in PATH), the
 * environment plus optional "KEY=VALUE" additions, stdin from the parent,
 * /dev/null or a pipe, stdout/stderr passed through, discarded, captured
 * (all of stdout up to a cap, or the tail of a stream) or piped to the
 * caller, extra descriptors at fixed numbers (the worker's socket on 3 and
 * 4), optionally its own process group and PR_SET_PDEATHSIG(SIGKILL) so it
 * dies with greenbench (no orphans after `kill -9`), and optionally a gate:
 * it waits on a pipe until gb_proc_release(), so `measure` arms its
 * counters before the command runs.
 *
 * How a child ended is typed (struct gb_proc_end), never a reason text to
 * be searched.
 *
 * Ownership: struct gb_proc is the caller's (embedded, no allocation);
 * gb_proc_spawn() fills it. A spawned child must be waited for
 * (gb_proc_wait*), and the descriptors handed back (in_fd, out_fd, err_fd,
 * close-on-exec) are the caller's: close them itself or with
 * gb_proc_close_fds(). Descriptors in spec->fds stay the caller's.
 * gb_proc_capture's `out` is malloc'd, freed with gb_proc_capture_release().
 * The spec and its strings are only read during the call.
 *
 * Units: CLOCK_MONOTONIC nanoseconds (gb_now_ns()); CPU times in ns.
 *
 * Thread-safety: functions on one struct gb_proc are used by one thread.
 * PR_SET_PDEATHSIG fires when the *thread* that spawned the child exits,
 * so spawn long-lived children (workers) from a thread that outlives
 * them. The launcher never changes the parent's signal dispositions; in
 * the child, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 (the
 * ones greenbench may handle) are reset to their defaults before exec.
 */
#ifndef GREENBENCH_PROC_H
#define GREENBENCH_PROC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where one of the child's standard streams goes. */
enum gb_proc_io {
	GB_PROC_INHERIT,	/* the parent's own */
	GB_PROC_NULL,		/* /dev/null */
	GB_PROC_PIPE,		/* a pipe whose other end the caller gets */
	GB_PROC_CAPTURE,	/* stdout only, gb_proc_run(): all of it, up to out_max */
	GB_PROC_TAIL,		/* stdout or stderr, gb_proc_run(): the last bytes */
};

/* An extra descriptor the child gets: parent's fd at number child_fd. */
struct gb_proc_fd {
	int fd, child_fd;
};

struct gb_proc_spec {
	char *const *argv;		/* NULL-terminated; argv[0] the program */
	int search_path;		/* look argv[0] up in PATH (execvp) */
	const char *const *env_add;	/* "KEY=VALUE", NULL-terminated; may be NULL */
	enum gb_proc_io in;		/* INHERIT, NULL or PIPE */
	enum gb_proc_io out, err;
	int err_to_out;			/* stderr is stdout (2>&1); err is then ignored */
	const struct gb_proc_fd *fds;	/* extra descriptors (child_fd > 2) */
	size_t nfds;
	int own_group;			/* setpgid(0, 0): kills reach its children too */
	int die_with_parent;		/* PR_SET_PDEATHSIG(SIGKILL) */
	int gated;			/* wait for gb_proc_release() before exec */
};

/* How a child ended. */
struct gb_proc_end {
	int exited, exit_code;		/* exit(exit_code) */
	int signaled, signal;		/* killed by signal */
	int timed_out;			/* we killed it at its deadline */
	int stopped;			/* we killed it because *stop was set */
	int exec_errno;			/* argv[0] could not be executed (the child exits 127) */
	uint64_t wall_ns;		/* spawn to reap */
	uint64_t cpu_user_ns, cpu_system_ns; /* the child's and its waited-for children's */
};

struct gb_proc {
	pid_t pid;		/* -1 before spawn; kept after reaping (the group id) */
	int in_fd;		/* in == PIPE: write end of the child's stdin, else -1 */
	int out_fd;		/* out == PIPE: read end of its stdout (and stderr with err_to_out) */
	int err_fd;		/* err == PIPE: read end of its stderr */
	/* private */
	int gate_fd, exec_fd, own_group, reaped;
	uint64_t t_start_ns;
	int exec_errno;
};

/* A struct gb_proc that holds nothing yet (safe to gb_proc_close_fds()). */
#define GB_PROC_INIT { .pid = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1, .gate_fd = -1, .exec_fd = -1 }

/* Start a child. Returns 0, or negative errno: pipes or fork failed, or
 * (not gated) argv[0] could not be executed, in which case the child is
 * already reaped and p->exec_errno says why. Messages: "cannot create
 * pipes: ...", "cannot start 'PROG': ...", "cannot run 'PROG': ...". */
int gb_proc_spawn(const struct gb_proc_spec *spec, struct gb_proc *p);

/* Let a gated child go on to exec. */
void gb_proc_release(struct gb_proc *p);

/* Send sig to the child, or to its whole group if it has its own. Also
 * after reaping (grandchildren may still hold its pipes). */
void gb_proc_kill(struct gb_proc *p, int sig);

/* Wait until the child ends or deadline_ns passes, meanwhile calling
 * on_fd(arg) whenever fd (-1: none) is readable or hung up; on_fd returns
 * non-zero once fd is finished with (EOF, closed), and it is watched no
 * more. 0 when the child ended (end, may be NULL, filled), -ETIMEDOUT
 * when it is still running. */
int gb_proc_wait_until(struct gb_proc *p, uint64_t deadline_ns, int fd,
		       int (*on_fd)(void *arg), void *arg, struct gb_proc_end *end);

/* Orphans (src/common/orphans.c). adopt: descendants whose parent dies
 * become this process's children (PR_SET_CHILD_SUBREAPER), for a process
 * that outlives everything it starts (a campaign). reap: wait for every
 * child of this process to end and reap it, at most timeout_ns; the count
 * in *reaped. -ETIMEDOUT when some still run. Only where no other thread
 * waits for a child: it takes any child. */
int gb_proc_adopt_orphans(void);
int gb_proc_reap_orphans(uint64_t timeout_ns, size_t *reaped);

/* Block until the child ends (EINTR is retried); end may be NULL. */
int gb_proc_wait(struct gb_proc *p, struct gb_proc_end *end);

/* Close the descriptors p still holds (in/out/err and the launcher's own;
 * -1 after). Call it after the wait, or to give up a child never waited for. */
void gb_proc_close_fds(struct gb_proc *p);

/* ---- One child from start to end (gb_proc_run) ------------------------- */

#define GB_PROC_TAIL_MAX 2048

struct gb_proc_wait_opts {
	uint64_t timeout_ns;		/* 0: none; past it the child (group) is SIGKILLed */
	volatile sig_atomic_t *stop;	/* may be NULL; non-zero: SIGKILL, end.stopped */
	void (*tick)(void *arg);	/* may be NULL; called about once a second */
	void *tick_arg;
	size_t out_max;			/* CAPTURE cap in bytes; 0: 64 MiB */
};

struct gb_proc_capture {
	char *out;			/* CAPTURE: all of stdout, NUL-terminated, or NULL */
	size_t out_len;
	char tail[GB_PROC_TAIL_MAX];	/* TAIL: the last bytes (of both when both are TAIL) */
};

/* Spawn, feed nothing, collect output, enforce timeout and stop, reap.
 * Returns 0 when the child ran and ended (end says how: exit, signal,
 * timed_out, stopped); negative errno when it could not be started
 * (end->exec_errno set when exec itself failed), when stdout passed
 * out_max ("'PROG' printed more than N MiB"), or a wait failed; the child
 * is killed and reaped in every case. cap may be NULL when nothing is
 * captured. */
int gb_proc_run(const struct gb_proc_spec *spec, const struct gb_proc_wait_opts *w,
		struct gb_proc_capture *cap, struct gb_proc_end *end);
void gb_proc_capture_release(struct gb_proc_capture *cap);

#endif
