/*
 * The process launcher (see greenbench/proc.h). fork + exec rather than
 * posix_spawn: the child must set PR_SET_PDEATHSIG, wait on a gate and put
 * descriptors at fixed numbers, which posix_spawn cannot all do. Between
 * fork and exec the child only makes async-signal-safe calls (the parent
 * may run a sampler thread), so the environment is built before fork.
 */
#include "greenbench/proc.h"

#include "greenbench/error.h"
#include "greenbench/time.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define OUT_MAX_DEFAULT (64u << 20)
#define MAX_REDIRECTS 16

/* The signals greenbench handles itself: the child starts with defaults. */
static const int reset_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

struct redirect {
	int src, dst;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* environ with env_add applied (an addition replaces the same key). The
 * strings are borrowed; only the array is malloc'd. */
static char **build_env(const char *const *add)
{
	size_t n = 0, nadd = 0, k = 0;
	char **envp;

	while (environ[n])
		n++;
	while (add[nadd])
		nadd++;
	envp = malloc((n + nadd + 1) * sizeof *envp);
	if (!envp)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int replaced = 0;

		for (size_t j = 0; j < nadd && !replaced; j++) {
			const char *eq = strchr(add[j], '=');
			size_t klen = eq ? (size_t)(eq - add[j]) : strlen(add[j]);

			replaced = !strncmp(environ[i], add[j], klen) && environ[i][klen] == '=';
		}
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < nadd; j++)
		envp[k++] = (char *)add[j];
	envp[k] = NULL;
	return envp;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
child_exec(const struct gb_proc_spec *spec, char **envp, pid_t parent, int gate_r, int gate_w,
	   int exec_w, const struct redirect *rd, size_t nrd)
{
	struct sigaction sa;
	int hi[MAX_REDIRECTS], lo = 3, e;
	char c;

	if (spec->die_with_parent) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The parent may have died before prctl: then no signal comes. */
		if (getppid() != parent)
			raise(SIGKILL);
	}
	if (spec->own_group)
		setpgid(0, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof reset_signals / sizeof reset_signals[0]; i++)
		sigaction(reset_signals[i], &sa, NULL);
	if (spec->gated) {
		close(gate_w);
		while (read(gate_r, &c, 1) < 0 && errno == EINTR)
			;
	}
	/* Lift every source above every target first, so placing one never
	 * clobbers another; dup2 then clears close-on-exec on the target. */
	for (size_t i = 0; i < nrd; i++)
		if (rd[i].dst >= lo)
			lo = rd[i].dst + 1;
	for (size_t i = 0; i < nrd; i++)
		if ((hi[i] = fcntl(rd[i].src, F_DUPFD_CLOEXEC, lo)) < 0)
			goto fail;
	for (size_t i = 0; i < nrd; i++)
		if (dup2(hi[i], rd[i].dst) < 0)
			goto fail;
	if (spec->search_path)
		execvpe(spec->argv[0], spec->argv, envp);
	else
		execve(spec->argv[0], spec->argv, envp);
fail:
	e = errno;
	if (write(exec_w, &e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

static void fill_end(struct gb_proc *p, int status, const struct rusage *ru, struct gb_proc_end *end)
{
	int e;
	ssize_t n;

	p->reaped = 1;
	if (p->exec_fd >= 0) {
		/* A gated child reports a failed exec only now. */
		do
			n = read(p->exec_fd, &e, sizeof e);
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)sizeof e)
			p->exec_errno = e;
		close_fd(&p->exec_fd);
	}
	if (!end)
		return;
	end->exited = WIFEXITED(status);
	end->exit_code = end->exited ? WEXITSTATUS(status) : 0;
	end->signaled = WIFSIGNALED(status);
	end->signal = end->signaled ? WTERMSIG(status) : 0;
	end->exec_errno = p->exec_errno;
	end->wall_ns = gb_now_ns() - p->t_start_ns;
	end->cpu_user_ns = (uint64_t)ru->ru_utime.tv_sec * GB_NS_PER_S + (uint64_t)ru->ru_utime.tv_usec * 1000;
	end->cpu_system_ns = (uint64_t)ru->ru_stime.tv_sec * GB_NS_PER_S + (uint64_t)ru->ru_stime.tv_usec * 1000;
}

/* Open both ends of one stream: the child's goes into rd (and own, for
 * the parent to close after fork), the parent's into *mine. */
static int setup_stream(enum gb_proc_io io, int child_fd, int *mine, struct redirect *rd, size_t *nrd,
			int *own, size_t *nown)
{
	int p[2], src;

	switch (io) {
	case GB_PROC_INHERIT:
		return 0;
	case GB_PROC_NULL:
		src = open("/dev/null", (child_fd ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
		if (src < 0)
			return -errno;
		break;
	default:
		if (pipe2(p, O_CLOEXEC))
			return -errno;
		*mine = child_fd ? p[0] : p[1];
		src = child_fd ? p[1] : p[0];
		break;
	}
	own[(*nown)++] = src;
	rd[*nrd].src = src;
	rd[(*nrd)++].dst = child_fd;
	return 0;
}

int gb_proc_spawn(const struct gb_proc_spec *spec, struct gb_proc *p)
{
	struct redirect rd[MAX_REDIRECTS];
	int gate[2] = { -1, -1 }, ex[2] = { -1, -1 }, own[3] = { -1, -1, -1 }, ret = 0, e;
	size_t nrd = 0, nown = 0;
	char **envp = NULL;
	pid_t parent = getpid(), pid;
	ssize_t n;

	memset(p, 0, sizeof *p);
	p->pid = -1;
	p->in_fd = p->out_fd = p->err_fd = p->gate_fd = p->exec_fd = -1;
	p->own_group = spec->own_group;
	if (spec->nfds + 3 > MAX_REDIRECTS)
		return gb_error_set(-EINVAL, "cannot start '%s': too many descriptors", spec->argv[0]);
	if ((ret = setup_stream(spec->in, 0, &p->in_fd, rd, &nrd, own, &nown)) ||
	    (ret = setup_stream(spec->out, 1, &p->out_fd, rd, &nrd, own, &nown)))
		goto fail_pipes;
	if (spec->err_to_out) {
		int src = 1;

		for (size_t i = 0; i < nrd; i++)
			if (rd[i].dst == 1)
				src = rd[i].src;
		rd[nrd].src = src;
		rd[nrd++].dst = 2;
	} else if ((ret = setup_stream(spec->err, 2, &p->err_fd, rd, &nrd, own, &nown))) {
		goto fail_pipes;
	}
	for (size_t i = 0; i < spec->nfds; i++) {
		rd[nrd].src = spec->fds[i].fd;
		rd[nrd++].dst = spec->fds[i].child_fd;
	}
	if (pipe2(ex, O_CLOEXEC) || (spec->gated && pipe2(gate, O_CLOEXEC))) {
		ret = -errno;
		goto fail_pipes;
	}
	if (spec->env_add && !(envp = build_env(spec->env_add))) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto fail;
	}
	p->t_start_ns = gb_now_ns();
	pid = fork();
	if (pid < 0) {
		ret = gb_error_set(-errno, "cannot start '%s': %s", spec->argv[0], strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child_exec(spec, envp ? envp : environ, parent, gate[0], gate[1], ex[1], rd, nrd);
	/* Both sides set the group, so a kill right after spawn reaches it. */
	if (spec->own_group)
		setpgid(pid, pid);
	p->pid = pid;
	free(envp);
	close_fd(&ex[1]);
	close_fd(&gate[0]);
	for (size_t i = 0; i < nown; i++)
		close_fd(&own[i]);
	p->gate_fd = gate[1];
	p->exec_fd = ex[0];
	if (spec->gated)
		return 0;
	/* Not gated: wait for exec, so a missing program fails the spawn. */
	do
		n = read(p->exec_fd, &e, sizeof e);
	while (n < 0 && errno == EINTR);
	close_fd(&p->exec_fd);
	if (n == (ssize_t)sizeof e) {
		p->exec_errno = e;
		gb_proc_wait(p, NULL);
		gb_proc_close_fds(p);
		return gb_error_set(-e, "cannot run '%s': %s", spec->argv[0], strerror(e));
	}
	return 0;
fail_pipes:
	ret = gb_error_set(ret, "cannot create pipes: %s", strerror(-ret));
fail:
	free(envp);
	for (size_t i = 0; i < nown; i++)
		close_fd(&own[i]);
	for (int i = 0; i < 2; i++) {
		close_fd(&gate[i]);
		close_fd(&ex[i]);
	}
	gb_proc_close_fds(p);
	return ret;
}

void gb_proc_release(struct gb_proc *p)
{
	close_fd(&p->gate_fd);
}

void gb_proc_kill(struct gb_proc *p, int sig)
{
	if (p->pid <= 0)
		return;
	if (p->own_group)
		kill(-p->pid, sig);
	else if (!p->reaped)
		kill(p->pid, sig);
}

int gb_proc_wait(struct gb_proc *p, struct gb_proc_end *end)
{
	struct rusage ru;
	int status = 0;

	if (p->reaped)
		return gb_error_set(-ECHILD, "process %ld was already waited for", (long)p->pid);
	while (wait4(p->pid, &status, 0, &ru) < 0) {
		if (errno != EINTR)
			return gb_error_set(-errno, "cannot wait for process %ld: %s", (long)p->pid, strerror(errno));
	}
	fill_end(p, status, &ru, end);
	return 0;
}

int gb_proc_wait_until(struct gb_proc *p, uint64_t deadline_ns, int fd,
		       int (*on_fd)(void *arg), void *arg, struct gb_proc_end *end)
{
	int pidfd = -1, ret = 0;

	if (p->reaped)
		return gb_error_set(-ECHILD, "process %ld was already waited for", (long)p->pid);
	if (!on_fd)
		fd = -1;
	pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	for (;;) {
		struct rusage ru;
		int status = 0;
		pid_t r = wait4(p->pid, &status, WNOHANG, &ru);

		if (r == p->pid) {
			fill_end(p, status, &ru, end);
			break;
		}
		if (r < 0 && errno != EINTR) {
			ret = gb_error_set(-errno, "cannot wait for process %ld: %s", (long)p->pid, strerror(errno));
			break;
		}
		uint64_t now = gb_now_ns();
		if (now >= deadline_ns) {
			ret = -ETIMEDOUT;
			break;
		}
		struct pollfd pf[2] = { { pidfd, POLLIN, 0 }, { fd, POLLIN, 0 } };
		int ms = (int)((deadline_ns - now + GB_NS_PER_MS - 1) / GB_NS_PER_MS);
		if (pidfd < 0 && ms > 10)
			ms = 10; /* no pidfd (old kernel): poll the exit */
		if (poll(pf, 2, ms) > 0 && fd >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) &&
		    on_fd(arg))
			fd = -1;
	}
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}

void gb_proc_close_fds(struct gb_proc *p)
{
	close_fd(&p->in_fd);
	close_fd(&p->out_fd);
	close_fd(&p->err_fd);
	close_fd(&p->gate_fd);
	close_fd(&p->exec_fd);
}

/* ---- gb_proc_run --------------------------------------------------------- */

/* Keep the last sizeof(tail)-1 bytes of what passes. */
static void tail_add(char *tail, size_t cap, const char *data, size_t n)
{
	size_t have = strlen(tail);

	if (n >= cap - 1) {
		memcpy(tail, data + n - (cap - 1), cap - 1);
		tail[cap - 1] = '\0';
		return;
	}
	if (have + n > cap - 1) {
		size_t drop = have + n - (cap - 1);
		memmove(tail, tail + drop, have - drop);
		have -= drop;
	}
	memcpy(tail + have, data, n);
	tail[have + n] = '\0';
}

static int out_add(struct gb_proc_capture *c, size_t *cap, const char *data, size_t n)
{
	if (c->out_len + n + 1 > *cap) {
		size_t ncap = (c->out_len + n + 1) * 2;
		char *nb = realloc(c->out, ncap);
		if (!nb)
			return -ENOMEM;
		c->out = nb;
		*cap = ncap;
	}
	memcpy(c->out + c->out_len, data, n);
	c->out_len += n;
	c->out[c->out_len] = '\0';
	return 0;
}

/* Stop or deadline reached (say which), else tick when one is due. */
static int must_end(const struct gb_proc_wait_opts *w, uint64_t now, uint64_t deadline, uint64_t *next_tick,
		    int *stopped, int *timed_out)
{
	if (w->stop && *w->stop)
		return *stopped = 1;
	if (now >= deadline)
		return *timed_out = 1;
	if (w->tick && now >= *next_tick) {
		w->tick(w->tick_arg);
		*next_tick = now + GB_NS_PER_S;
	}
	return 0;
}

int gb_proc_run(const struct gb_proc_spec *spec, const struct gb_proc_wait_opts *w,
		struct gb_proc_capture *cap, struct gb_proc_end *end)
{
	static const struct gb_proc_wait_opts none = { 0 };
	struct gb_proc_capture scratch;
	size_t out_max, out_cap = 0;
	struct gb_proc p;
	uint64_t t0, deadline, next_tick;
	struct pollfd pf[2] = { { .fd = -1 }, { .fd = -1 } };
	enum gb_proc_io mode[2] = { spec->out, spec->err_to_out ? GB_PROC_INHERIT : spec->err };
	int ret, timed_out = 0, stopped = 0;
	char buf[8192];

	if (!w)
		w = &none;
	if (!cap)
		cap = &scratch;
	memset(cap, 0, sizeof *cap);
	memset(end, 0, sizeof *end);
	out_max = w->out_max ? w->out_max : OUT_MAX_DEFAULT;
	ret = gb_proc_spawn(spec, &p);
	if (ret) {
		end->exec_errno = p.exec_errno;
		if (p.exec_errno) {
			end->exited = 1;
			end->exit_code = 127;
		}
		goto out;
	}
	t0 = p.t_start_ns;
	deadline = w->timeout_ns ? t0 + w->timeout_ns : UINT64_MAX;
	next_tick = t0 + GB_NS_PER_S;
	pf[0].fd = p.out_fd;
	pf[1].fd = p.err_fd;
	p.out_fd = p.err_fd = -1;
	pf[0].events = pf[1].events = POLLIN;
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		uint64_t now = gb_now_ns();
		int wait_ms, n;

		if (must_end(w, now, deadline, &next_tick, &stopped, &timed_out))
			break;
		/* A stop may be set by another thread (a campaign slot's, whose
		 * poll no signal interrupts): look at it every 100 ms. */
		wait_ms = deadline - now > 100 * GB_NS_PER_MS ? 100 : (int)((deadline - now) / GB_NS_PER_MS) + 1;
		n = poll(pf, 2, wait_ms);
		if (n < 0 && errno != EINTR) {
			ret = gb_error_set(-errno, "cannot wait for '%s': %s", spec->argv[0], strerror(errno));
			break;
		}
		for (int i = 0; n > 0 && i < 2; i++) {
			ssize_t got;

			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			got = read(pf[i].fd, buf, sizeof buf);
			if (got <= 0) {
				if (got < 0 && errno == EINTR)
					continue;
				close_fd(&pf[i].fd);
			} else if (mode[i] == GB_PROC_TAIL) {
				tail_add(cap->tail, sizeof cap->tail, buf, (size_t)got);
			} else if (mode[i] == GB_PROC_CAPTURE &&
				   (cap->out_len + (size_t)got > out_max || out_add(cap, &out_cap, buf, (size_t)got))) {
				ret = out_max >= (1u << 20)
					      ? gb_error_set(-ENOMEM, "'%s' printed more than %zu MiB", spec->argv[0], out_max >> 20)
					      : gb_error_set(-ENOMEM, "'%s' printed more than %zu bytes", spec->argv[0], out_max);
				break;
			}
		}
		if (ret)
			break;
	}
	/* A pipe closes before the child is gone: wait for it then, under the
	 * same deadline and stop flag. */
	while (!ret && !stopped && !timed_out) {
		uint64_t now = gb_now_ns();

		if (must_end(w, now, deadline, &next_tick, &stopped, &timed_out))
			break;
		if (gb_proc_wait_until(&p, deadline - now > 100 * GB_NS_PER_MS ? now + 100 * GB_NS_PER_MS : deadline, -1, NULL,
				       NULL, end) != -ETIMEDOUT)
			break;
	}
	if (stopped || timed_out || ret)
		gb_proc_kill(&p, SIGKILL);
	if (!p.reaped) {
		int r = gb_proc_wait(&p, end);
		if (!ret)
			ret = r;
	}
	end->timed_out = timed_out;
	end->stopped = stopped;
out:
	for (int i = 0; i < 2; i++)
		close_fd(&pf[i].fd);
	gb_proc_close_fds(&p);
	if (cap == &scratch || ret)
		gb_proc_capture_release(cap);
	return ret;
}

void gb_proc_capture_release(struct gb_proc_capture *cap)
{
	free(cap->out);
	cap->out = NULL;
	cap->out_len = 0;
}
