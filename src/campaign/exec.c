/*
 * One run as a child process (through the launcher, greenbench/proc.h):
 * collect stdout (the record) and the tail of stderr, enforce the timeout,
 * turn how it ended into a reason.
 * Process isolation is the point: a crash or OOM kill in a runtime cannot
 * take the campaign (or its database) down with it.
 */
#include "greenbench/campaign.h"
#include "greenbench/error.h"
#include "greenbench/proc.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void describe_end(struct gb_run_outcome *o, uint64_t timeout_ns, cJSON *rec)
{
	const char *rs = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "status"));
	const char *re = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "error"));
	const struct gb_proc_end *e = &o->end;
	char line[256], dur[32];

	last_line(o->stderr_tail, line, sizeof line);
	if (e->timed_out) {
		if (timeout_ns >= GB_NS_PER_S)
			snprintf(dur, sizeof dur, "%.1f s", (double)timeout_ns / 1e9);
		else
			gb_duration_format(timeout_ns, dur, sizeof dur);
		snprintf(o->reason, sizeof o->reason, "timed out after %s and was killed", dur);
	} else if (e->signaled) {
		snprintf(o->reason, sizeof o->reason, "killed by signal %d (%s)%s%s%s", e->signal, strsignal(e->signal),
			 e->signal == SIGKILL ? ", perhaps out of memory" : "", line[0] ? ": " : "", line);
	} else if (rs && strcmp(rs, "ok")) {
		snprintf(o->reason, sizeof o->reason, "%s", re ? re : line[0] ? line : "run failed");
	} else if (e->exit_code) {
		snprintf(o->reason, sizeof o->reason, "exit status %d%s%s", e->exit_code,
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
	return gb_campaign_exec_env(argv, NULL, timeout_ns, stop, tick, arg, o);
}

int gb_campaign_exec_env(char *const argv[], const char *const *env_add, uint64_t timeout_ns,
			 volatile sig_atomic_t *stop, void (*tick)(void *arg), void *arg,
			 struct gb_run_outcome *o)
{
	/* Own process group: a terminal's Ctrl-C reaches only the campaign,
	 * which then stops the run itself; PR_SET_PDEATHSIG: a campaign
	 * killed outright takes its run along. */
	const struct gb_proc_spec spec = {
		.argv = argv,
		.env_add = env_add,
		.out = GB_PROC_CAPTURE,
		.err = GB_PROC_TAIL,
		.own_group = 1,
		.die_with_parent = 1,
	};
	const struct gb_proc_wait_opts wo = {
		.timeout_ns = timeout_ns, .stop = stop, .tick = tick, .tick_arg = arg,
	};
	struct gb_proc_capture cap;
	cJSON *rec = NULL;
	int ret;

	memset(o, 0, sizeof *o);
	ret = gb_proc_run(&spec, &wo, &cap, &o->end);
	if (ret && o->end.exec_errno) {
		/* A program that cannot be executed is a failed run, as a shell
		 * would report it, not the end of the campaign. */
		snprintf(o->stderr_tail, sizeof o->stderr_tail, "cannot execute '%s': %s\n", argv[0],
			 strerror(o->end.exec_errno));
		ret = 0;
	} else if (ret) {
		return ret;
	} else {
		snprintf(o->stderr_tail, sizeof o->stderr_tail, "%s", cap.tail);
	}
	o->wall_s = (double)o->end.wall_ns / 1e9;
	o->interrupted = o->end.stopped;
	if (o->interrupted)
		goto out;
	if (cap.out && (rec = find_record(cap.out)))
		o->record_json = cJSON_PrintUnformatted(rec);
	describe_end(o, timeout_ns, rec);
out:
	cJSON_Delete(rec);
	gb_proc_capture_release(&cap);
	return 0;
}

void gb_run_outcome_release(struct gb_run_outcome *o)
{
	free(o->record_json);
	o->record_json = NULL;
}
