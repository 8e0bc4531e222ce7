/*
 * The worker harness: spawn, talk, time out, reap (see greenbench/worker.h).
 * Message text is built and parsed in worker_proto.c; this file only moves
 * bytes, keeps deadlines and turns every way a worker can fail into one
 * error message.
 */
#include "greenbench/worker.h"

#include "greenbench/error.h"
#include "greenbench/time.h"
#include "runtime/worker_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REPLY_MAX (256u << 20)
#define REAP_GRACE_NS (2ULL * GB_NS_PER_S)

pid_t gb_worker_pid(const struct gb_worker *w)
{
	return w->pid;
}

/* ---- output capture ---------------------------------------------------- */

static void log_append(struct gb_worker *w, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w->log[(w->log_total + i) % LOG_RING] = p[i];
	w->log_total += n;
}

static void log_read(struct gb_worker *w)
{
	char buf[8192];
	ssize_t n;

	if (w->log_fd < 0)
		return;
	n = read(w->log_fd, buf, sizeof buf);
	if (n > 0) {
		log_append(w, buf, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(w->log_fd);
		w->log_fd = -1;
	}
}

void gb_worker_output_tail(const struct gb_worker *w, size_t max_lines, char *buf, size_t len)
{
	size_t have = w->log_total < LOG_RING ? w->log_total : LOG_RING;
	size_t start = w->log_total - have, end = w->log_total, lines = 0, o = 0;

	if (!len)
		return;
	/* Ignore one trailing newline, then walk back max_lines lines. */
	if (end > start && w->log[(end - 1) % LOG_RING] == '\n')
		end--;
	size_t from = end;
	while (from > start) {
		if (w->log[(from - 1) % LOG_RING] == '\n' && ++lines >= max_lines)
			break;
		from--;
	}
	/* Keep the newest part when it does not fit. */
	if (end - from + 1 > len)
		from = end - (len - 1);
	for (size_t i = from; i < end && o + 1 < len; i++) {
		char c = w->log[i % LOG_RING];
		buf[o++] = (c == '\n' || c == '\t' || (unsigned char)c >= 0x20) ? c : '?';
	}
	buf[o] = '\0';
}

/* ---- death ------------------------------------------------------------- */

static void kill_group(struct gb_worker *w)
{
	if (w->pid > 0)
		gb_proc_kill(&w->proc, SIGKILL);
}

static int on_log(void *arg)
{
	struct gb_worker *w = arg;

	log_read(w);
	return w->log_fd < 0;
}

/* Wait for the worker to exit within grace_ns, else kill it; collect how
 * it ended and the rest of its output. */
static int reap(struct gb_worker *w, uint64_t grace_ns, struct gb_proc_end *end)
{
	int killed = 0;

	memset(end, 0, sizeof *end);
	if (gb_proc_wait_until(&w->proc, gb_now_ns() + grace_ns, w->log_fd, on_log, w, end) == -ETIMEDOUT) {
		kill_group(w);
		killed = 1;
		/* SIGKILL always ends it; block after the grace. */
		if (gb_proc_wait_until(&w->proc, gb_now_ns() + grace_ns, w->log_fd, on_log, w, end) == -ETIMEDOUT)
			gb_proc_wait(&w->proc, end);
	}
	/* Output still buffered in the pipe; grandchildren may hold it open,
	 * so the group is killed and the drain is bounded. */
	gb_proc_kill(&w->proc, SIGKILL);
	uint64_t deadline = gb_now_ns() + 200 * GB_NS_PER_MS;
	while (w->log_fd >= 0) {
		uint64_t now = gb_now_ns();
		struct pollfd p = { w->log_fd, POLLIN, 0 };
		if (now >= deadline || poll(&p, 1, (int)((deadline - now) / GB_NS_PER_MS) + 1) <= 0)
			break;
		log_read(w);
	}
	w->pid = -1;
	return killed;
}

static void describe_end(const struct gb_proc_end *e, char *buf, size_t len)
{
	if (e->signaled)
		snprintf(buf, len, "killed by signal %d (%s)", e->signal, strsignal(e->signal));
	else if (e->exited)
		snprintf(buf, len, "exited with status %d", e->exit_code);
	else
		snprintf(buf, len, "ended (how is unknown)");
}

/* The worker is gone or must go: kill, reap, set the reason with the tail
 * of its output. why is the first part of the message. */
static int fail_worker(struct gb_worker *w, int err, int kill_now, const char *why)
{
	char tail[640], st[128] = "";
	struct gb_proc_end end;

	if (w->dead)
		return gb_error_set(-EPIPE, "%s", w->reason);
	if (w->pid > 0) {
		if (kill_now)
			kill_group(w);
		reap(w, kill_now ? 0 : REAP_GRACE_NS, &end);
		if (!kill_now)
			describe_end(&end, st, sizeof st);
	}
	gb_worker_output_tail(w, 20, tail, sizeof tail);
	snprintf(w->reason, sizeof w->reason, "%s worker %s%s%s%s%s", w->name, why,
		 st[0] ? ": " : "", st, tail[0] ? "; last lines of its output:\n" : "", tail);
	w->dead = 1;
	return gb_error_set(err, "%s", w->reason);
}

/* ---- the wire ------------------------------------------------------------ */

/* Waits are cut into 100 ms polls so that a stop set by a signal handler
 * (whose signal may land on another thread, or restart nothing) is seen. */
#define WAIT_SLICE_MS 100

static int poll_ms(uint64_t now, uint64_t deadline)
{
	uint64_t ms = (deadline - now + GB_NS_PER_MS - 1) / GB_NS_PER_MS;

	return ms > WAIT_SLICE_MS ? WAIT_SLICE_MS : (int)ms;
}

static int stopped(struct gb_worker *w, enum gb_wp_op op)
{
	char why[128];

	if (!w->stop || !*w->stop)
		return 0;
	snprintf(why, sizeof why, "was stopped while it worked on '%s'; killed", gb_wp_op_name(op));
	return fail_worker(w, -EINTR, 1, why);
}

static int send_all(struct gb_worker *w, const char *p, size_t n, uint64_t deadline, enum gb_wp_op op)
{
	char why[256];

	while (n) {
		ssize_t k = send(w->sock, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN) {
			snprintf(why, sizeof why, "could not be sent the '%s' request: %s", gb_wp_op_name(op), strerror(errno));
			return fail_worker(w, -EPIPE, 0, why);
		}
		uint64_t now = gb_now_ns();
		if (now >= deadline) {
			snprintf(why, sizeof why, "timed out after %.3gs: it does not read the '%s' request",
				 (double)w->timeout_ns / 1e9, gb_wp_op_name(op));
			return fail_worker(w, -ETIMEDOUT, 1, why);
		}
		if (stopped(w, op))
			return -EINTR;
		struct pollfd pf[2] = { { w->sock, POLLOUT, 0 }, { w->log_fd, POLLIN, 0 } };
		if (poll(pf, 2, poll_ms(now, deadline)) > 0 &&
		    (pf[1].revents & (POLLIN | POLLHUP)))
			log_read(w);
	}
	return 0;
}

/* Receive one reply line (without '\n') into w->rbuf[0..*len). */
static int recv_line(struct gb_worker *w, uint64_t timeout_ns, enum gb_wp_op op, size_t *len)
{
	uint64_t deadline = gb_now_ns() + timeout_ns;
	size_t scanned = 0;
	char why[256];

	for (;;) {
		char *nl = w->rlen > scanned ? memchr(w->rbuf + scanned, '\n', w->rlen - scanned) : NULL;
		if (nl) {
			*len = (size_t)(nl - w->rbuf);
			return 0;
		}
		scanned = w->rlen;
		if (w->rlen >= REPLY_MAX) {
			snprintf(why, sizeof why, "sent a reply to '%s' longer than %u MiB", gb_wp_op_name(op), REPLY_MAX >> 20);
			return fail_worker(w, -EPROTO, 1, why);
		}
		if (w->rcap - w->rlen < 65536) {
			size_t cap = w->rcap ? w->rcap * 2 : 131072;
			char *p = realloc(w->rbuf, cap);
			if (!p)
				return fail_worker(w, -ENOMEM, 1, "could not be read: out of memory");
			w->rbuf = p;
			w->rcap = cap;
		}
		ssize_t k = recv(w->sock, w->rbuf + w->rlen, w->rcap - w->rlen, MSG_DONTWAIT);
		if (k > 0) {
			w->rlen += (size_t)k;
			continue;
		}
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
			snprintf(why, sizeof why, "died before replying to '%s'", gb_wp_op_name(op));
			return fail_worker(w, -EPIPE, 0, why);
		}
		if (k < 0 && errno == EINTR)
			continue;
		uint64_t now = gb_now_ns();
		if (now >= deadline) {
			snprintf(why, sizeof why, "timed out after %.3gs waiting for the reply to '%s'; killed",
				 (double)timeout_ns / 1e9, gb_wp_op_name(op));
			return fail_worker(w, -ETIMEDOUT, 1, why);
		}
		if (stopped(w, op))
			return -EINTR;
		struct pollfd pf[2] = { { w->sock, POLLIN, 0 }, { w->log_fd, POLLIN, 0 } };
		if (poll(pf, 2, poll_ms(now, deadline)) > 0 && (pf[1].revents & (POLLIN | POLLHUP)))
			log_read(w);
	}
}

static void consume_line(struct gb_worker *w, size_t len)
{
	size_t used = len + 1;

	memmove(w->rbuf, w->rbuf + used, w->rlen - used);
	w->rlen -= used;
}

/* Send w->req, wait for the reply, decode it into w->rep. Returns 0 for
 * ok replies; for the worker's own failures -EINVAL (values it cannot
 * take), -ENOMEM marked GB_ERROR_KIND_OOM (out of memory), else -EIO;
 * other errors when the worker is gone. */
int gb_worker_transact(struct gb_worker *w, enum gb_wp_op op, uint64_t timeout_ns)
{
	uint64_t t0;
	size_t len = 0;
	int rc;

	if (w->dead)
		return gb_error_set(-EPIPE, "%s", w->reason);
	gb_wp_reply_release(&w->rep);
	t0 = gb_now_ns();
	rc = send_all(w, w->req.p, w->req.len, t0 + timeout_ns, op);
	if (rc)
		return rc;
	rc = recv_line(w, timeout_ns, op, &len);
	if (rc)
		return rc;
	rc = gb_wp_decode_reply(op, w->rbuf, len, &w->rep);
	consume_line(w, len);
	if (rc) {
		char why[1024];
		snprintf(why, sizeof why, "sent a %s", gb_error_msg());
		return fail_worker(w, rc, 1, why);
	}
	if (!w->rep.ok) {
		switch (w->rep.fail_kind) {
		case GB_WP_FAIL_INVALID:
			return gb_error_set(-EINVAL, "%s worker: %s", w->name, w->rep.error);
		case GB_WP_FAIL_OOM:
			return gb_error_mark(gb_error_set(-ENOMEM, "%s worker: %s", w->name, w->rep.error),
					     GB_ERROR_KIND_OOM);
		default:
			return gb_error_set(-EIO, "%s worker: %s", w->name, w->rep.error);
		}
	}
	if (w->rep.has_times) {
		w->phase.t_start_ns = w->rep.t_start_ns;
		w->phase.t_end_ns = w->rep.t_end_ns;
		w->phase.cpu_valid = w->rep.has_cpu;
		w->phase.cpu_user_ns = w->rep.cpu_user_end_ns - w->rep.cpu_user_start_ns;
		w->phase.cpu_system_ns = w->rep.cpu_sys_end_ns - w->rep.cpu_sys_start_ns;
	}
	return 0;
}

/* ---- metadata ------------------------------------------------------------- */

int gb_worker_meta_set(struct gb_worker *w, const char *key, const char *value)
{
	char *k = NULL, *v = NULL;

	for (size_t i = 0; i < w->nkv; i++) {
		if (!strcmp(w->kv[i].key, key)) {
			v = strdup(value);
			if (!v)
				return gb_error_set(-ENOMEM, "out of memory");
			free(w->meta_store[2 * i + 1]);
			w->meta_store[2 * i + 1] = v;
			w->kv[i].value = v;
			return 0;
		}
	}
	struct gb_kv *kv = realloc(w->kv, (w->nkv + 1) * sizeof *kv);
	if (kv)
		w->kv = kv;
	char **st = realloc(w->meta_store, (w->nkv + 1) * 2 * sizeof *st);
	if (st)
		w->meta_store = st;
	k = strdup(key);
	v = strdup(value);
	if (!kv || !st || !k || !v) {
		free(k);
		free(v);
		return gb_error_set(-ENOMEM, "out of memory");
	}
	w->meta_store[2 * w->nkv] = k;
	w->meta_store[2 * w->nkv + 1] = v;
	w->kv[w->nkv].key = k;
	w->kv[w->nkv].value = v;
	w->nkv++;
	return 0;
}

int gb_worker_meta_take_reply(struct gb_worker *w)
{
	for (size_t i = 0; i < w->rep.nmeta; i++) {
		int rc = gb_worker_meta_set(w, w->rep.meta[i].key, w->rep.meta[i].value);
		if (rc)
			return rc;
	}
	return 0;
}

int gb_worker_meta_set_u64(struct gb_worker *w, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
	return gb_worker_meta_set(w, key, buf);
}

int gb_worker_metadata(struct gb_worker *w, const struct gb_kv **kv, size_t *n)
{
	int rc = gb_worker_run_totals(w);

	if (rc)
		return rc;
	*kv = w->kv;
	*n = w->nkv;
	return 0;
}

int gb_worker_last_phase(struct gb_worker *w, struct gb_runtime_phase *out)
{
	if (!w->phase.t_end_ns)
		return gb_error_set(-ENODATA, "%s worker: no phase has run yet", w->name);
	*out = w->phase;
	return 0;
}

/* ---- start / stop ------------------------------------------------------------ */

static int spawn(struct gb_worker *w, const struct gb_worker_config *cfg)
{
	int sv[2] = { -1, -1 }, rc;
	struct gb_proc_fd fds[2];
	/* Own process group: a timeout kills the worker and its children;
	 * PR_SET_PDEATHSIG: a killed greenbench leaves no worker behind. */
	struct gb_proc_spec spec = {
		.argv = (char *const *)cfg->argv,
		.search_path = 1,
		.in = GB_PROC_NULL,
		.out = GB_PROC_PIPE,
		.err_to_out = 1,
		.fds = fds,
		.nfds = 2,
		.own_group = 1,
		.die_with_parent = 1,
	};

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return gb_error_set(-errno, "cannot create pipes for the %s worker: %s", w->name, strerror(errno));
	fds[0] = (struct gb_proc_fd){ sv[1], 3 };
	fds[1] = (struct gb_proc_fd){ sv[1], 4 };
	rc = gb_proc_spawn(&spec, &w->proc);
	close(sv[1]);
	if (rc) {
		close(sv[0]);
		return gb_error_set(rc, "cannot start the %s worker '%s': %s", w->name, cfg->argv[0], strerror(-rc));
	}
	w->pid = w->proc.pid;
	w->sock = sv[0];
	w->log_fd = w->proc.out_fd;
	w->proc.out_fd = -1;
	fcntl(w->log_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

int gb_worker_start(const struct gb_worker_config *cfg, struct gb_worker **out)
{
	struct gb_worker *w = calloc(1, sizeof *w);
	int rc;

	*out = NULL;
	if (!w)
		return gb_error_set(-ENOMEM, "out of memory");
	w->pid = -1;
	w->sock = w->log_fd = -1;
	snprintf(w->name, sizeof w->name, "%s", cfg->name ? cfg->name : cfg->argv[0]);
	w->start_timeout_ns = cfg->start_timeout_ns ? cfg->start_timeout_ns : GB_WORKER_START_TIMEOUT_NS;
	w->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : GB_WORKER_TIMEOUT_NS;
	w->stop = cfg->stop;
	snprintf(w->dir, sizeof w->dir, "%s/greenbench-worker-XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(w->dir)) {
		rc = gb_error_set(-errno, "cannot create a directory for the %s worker: %s", w->name,
				  strerror(errno));
		w->dir[0] = '\0';
		goto fail;
	}
	rc = spawn(w, cfg);
	if (rc)
		goto fail;
	rc = gb_wp_encode_hello(&w->req, w->dir);
	if (!rc)
		rc = gb_worker_transact(w, GB_WP_HELLO, w->start_timeout_ns);
	if (rc)
		goto fail;
	rc = gb_worker_meta_set(w, "worker", w->rep.worker);
	if (!rc && w->rep.version[0])
		rc = gb_worker_meta_set(w, "worker_version", w->rep.version);
	if (!rc)
		rc = gb_worker_meta_set_u64(w, "worker_protocol", (uint64_t)w->rep.protocol);
	if (rc)
		goto fail;
	*out = w;
	return 0;
fail:
	gb_worker_free(w);
	return rc;
}

void gb_worker_clear_outputs(struct gb_worker *w)
{
	for (size_t i = 0; i < w->nouts; i++)
		free(w->outs[i].data);
	free(w->outs);
	w->outs = NULL;
	w->nouts = 0;
}

static void remove_dir(const char *dir)
{
	struct dirent *e;
	DIR *d;

	if (!dir[0])
		return;
	/* Flat: only the tensor files this protocol names live there. */
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

int gb_worker_stop(struct gb_worker *w)
{
	struct gb_proc_end end;
	int rc = 0;

	if (!w)
		return 0;
	if (!w->dead) {
		rc = gb_wp_encode_shutdown(&w->req);
		if (!rc)
			rc = gb_worker_transact(w, GB_WP_SHUTDOWN, w->timeout_ns);
		if (!rc && w->pid > 0) {
			char why[160], st[128];
			int killed = reap(w, REAP_GRACE_NS, &end);
			if (killed || !end.exited || end.exit_code) {
				describe_end(&end, st, sizeof st);
				snprintf(why, sizeof why, "after shutdown, %s%s", killed ? "had to be killed: " : "", st);
				rc = gb_error_set(-EIO, "%s worker: %s", w->name, why);
			}
		}
	}
	gb_worker_free(w);
	return rc;
}

void gb_worker_free(struct gb_worker *w)
{
	struct gb_proc_end end;

	if (!w)
		return;
	if (w->pid > 0) {
		kill_group(w);
		reap(w, 0, &end);
	}
	if (w->sock >= 0)
		close(w->sock);
	if (w->log_fd >= 0)
		close(w->log_fd);
	remove_dir(w->dir);
	gb_wp_buf_release(&w->req);
	gb_wp_reply_release(&w->rep);
	free(w->rbuf);
	free(w->in_info);
	free(w->out_info);
	gb_worker_clear_outputs(w);
	for (size_t i = 0; i < 2 * w->nkv; i++)
		free(w->meta_store[i]);
	free(w->meta_store);
	free(w->kv);
	free(w);
}
