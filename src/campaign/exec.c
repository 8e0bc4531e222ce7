/*
 * One run as a child process: spawn, collect stdout (the record) and the
 * tail of stderr, enforce the timeout, turn how it ended into a reason.
 * Process isolation is the point: a crash or OOM kill in a runtime cannot
 * take the campaign (or its database) down with it.
 */
#include "greenbench/campaign.h"
#include "greenbench/error.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_STDOUT (64u << 20)

struct sink {
	char *buf;
	size_t len, cap;
};

static int sink_add(struct sink *s, const char *data, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t cap = (s->len + n + 1) * 2;
		char *nb = realloc(s->buf, cap);
		if (!nb)
			return -ENOMEM;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return 0;
}

/* Keep the last sizeof(tail)-1 bytes of stderr. */
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

static void last_line(const char *text, char *buf, size_t len)
{
	const char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(end - start), start);
}

/* The record: all of stdout, or else its last line that parses. */
static cJSON *find_record(char *out)
{
	cJSON *rec = cJSON_Parse(out);
	char *line;

	if (cJSON_IsObject(rec))
		return rec;
	cJSON_Delete(rec);
	for (line = out + strlen(out); line > out;) {
		line--;
		while (line > out && line[-1] != '\n')
			line--;
		if (*line == '{') {
			rec = cJSON_Parse(line);
			if (cJSON_IsObject(rec))
				return rec;
			cJSON_Delete(rec);
		}
		if (line > out)
			line[-1] = '\0';
	}
	return NULL;
}

static void describe_end(struct gb_run_outcome *o, int status, int timed_out,
			 uint64_t timeout_ns, cJSON *rec)
{
	const char *rs = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "status"));
	const char *re = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "error"));
	char line[256], dur[32];

	last_line(o->stderr_tail, line, sizeof line);
	if (timed_out) {
		if (timeout_ns >= GB_NS_PER_S)
			snprintf(dur, sizeof dur, "%.1f s", (double)timeout_ns / 1e9);
		else
			gb_duration_format(timeout_ns, dur, sizeof dur);
		snprintf(o->reason, sizeof o->reason, "timed out after %s and was killed", dur);
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		snprintf(o->reason, sizeof o->reason, "killed by signal %d (%s)%s%s%s", sig, strsignal(sig),
			 sig == SIGKILL ? ", perhaps out of memory" : "", line[0] ? ": " : "", line);
	} else if (rs && strcmp(rs, "ok")) {
		snprintf(o->reason, sizeof o->reason, "%s", re ? re : line[0] ? line : "run failed");
	} else if (WEXITSTATUS(status)) {
		snprintf(o->reason, sizeof o->reason, "exit status %d%s%s", WEXITSTATUS(status),
			 line[0] ? ": " : "", line);
	} else if (!rec) {
		snprintf(o->reason, sizeof o->reason, "printed no run record%s%s", line[0] ? ": " : "", line);
	} else if (!rs) {
		snprintf(o->reason, sizeof o->reason, "its run record has no status");
	} else {
		o->ok = 1;
	}
}

int gb_campaign_exec(char *const argv[], uint64_t timeout_ns,
		     volatile sig_atomic_t *stop, void (*tick)(void *arg), void *arg,
		     struct gb_run_outcome *o)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, status = 0, timed_out = 0, ret = 0;
	struct sink out = { 0 };
	uint64_t t0 = gb_now_ns(), deadline = t0 + timeout_ns, next_tick = t0 + GB_NS_PER_S;
	struct pollfd pf[2] = { { .fd = -1 }, { .fd = -1 } };
	cJSON *rec = NULL;
	pid_t pid = -1;
	char buf[8192];

	memset(o, 0, sizeof *o);
	if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		ret = gb_error_set(-errno, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = gb_error_set(-errno, "cannot start '%s': %s", argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* Own process group: a terminal's Ctrl-C reaches only the
		 * campaign, which then stops the run itself. */
		setpgid(0, 0);
		dup2(outp[1], 1);
		dup2(errp[1], 2);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execv(argv[0], argv);
		dprintf(2, "cannot execute '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	pf[0].fd = outp[0];
	pf[1].fd = errp[0];
	outp[0] = errp[0] = -1;
	pf[0].events = pf[1].events = POLLIN;
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		uint64_t now = gb_now_ns();
		int wait_ms, n;

		if (stop && *stop) {
			o->interrupted = 1;
			break;
		}
		if (now >= deadline) {
			timed_out = 1;
			break;
		}
		if (tick && now >= next_tick) {
			tick(arg);
			next_tick = now + GB_NS_PER_S;
		}
		wait_ms = (int)((deadline - now) / GB_NS_PER_MS) + 1;
		if (wait_ms > 1000)
			wait_ms = 1000;
		n = poll(pf, 2, wait_ms);
		if (n < 0 && errno != EINTR) {
			ret = gb_error_set(-errno, "cannot wait for '%s': %s", argv[0], strerror(errno));
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
				close(pf[i].fd);
				pf[i].fd = -1;
			} else if (i == 1) {
				tail_add(o->stderr_tail, sizeof o->stderr_tail, buf, (size_t)got);
			} else if (out.len + (size_t)got > MAX_STDOUT || sink_add(&out, buf, (size_t)got)) {
				ret = gb_error_set(-ENOMEM, "'%s' printed more than %u MiB", argv[0], MAX_STDOUT >> 20);
				break;
			}
		}
		if (ret)
			break;
	}
	if (o->interrupted || timed_out || ret)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	o->wall_s = (double)(gb_now_ns() - t0) / 1e9;
	if (ret)
		goto out;
	if (out.buf && (rec = find_record(out.buf)))
		o->record_json = cJSON_PrintUnformatted(rec);
	describe_end(o, status, timed_out, timeout_ns, rec);
out:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	}
	cJSON_Delete(rec);
	free(out.buf);
	return ret;
}

void gb_run_outcome_release(struct gb_run_outcome *o)
{
	free(o->record_json);
	o->record_json = NULL;
}
