/*
 * Slurm job arrays for campaigns (greenbench/slurm.h): the script, sbatch,
 * and the tasks' states from sacct and squeue. The parsing is pure and
 * unit-tested; the commands run through the launcher with deadlines, so a
 * hung controller cannot hang greenbench.
 */
#include "greenbench/slurm.h"

#include "greenbench/error.h"
#include "greenbench/proc.h"
#include "greenbench/shard.h"
#include "greenbench/time.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SUBMIT_TIMEOUT_NS (60 * GB_NS_PER_S)
#define DEFAULT_QUERY_TIMEOUT_NS (30 * GB_NS_PER_S)

/* What an #SBATCH line can hold: no blanks, no quotes. */
static int sbatch_safe(const char *what, const char *s)
{
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || *p == '"' || *p == '\'' || *p == '\\')
			return gb_error_set(-EINVAL, "%s '%s' cannot go into an #SBATCH line (blanks or quotes)",
					    what, s);
	return 0;
}

struct buf {
	char *p;
	size_t n, cap;
	int oom;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		w = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (w < 0) {
			b->oom = 1;
			return;
		}
		if (b->p && b->n + (size_t)w < b->cap) {
			b->n += (size_t)w;
			return;
		}
		size_t cap = (b->cap + (size_t)w + 1) * 2;
		char *np = realloc(b->p, cap);

		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

/* s in single quotes for sh. */
static void add_quoted(struct buf *b, const char *s)
{
	add(b, "'");
	for (; *s; s++) {
		if (*s == '\'')
			add(b, "'\\''");
		else
			add(b, "%c", *s);
	}
	add(b, "'");
}

int gb_slurm_script(const struct gb_slurm_job *j, char **text)
{
	struct buf b = { 0 };
	int ret;

	*text = NULL;
	if (!j->ntasks)
		return gb_error_set(-EINVAL, "a job array needs at least one task");
	if ((ret = sbatch_safe("directory", j->dir)) || (ret = sbatch_safe("job name", j->name)) ||
	    (j->partition && (ret = sbatch_safe("partition", j->partition))) ||
	    (j->time_limit && (ret = sbatch_safe("time limit", j->time_limit))))
		return ret;
	add(&b, "#!/bin/sh\n");
	add(&b, "# greenbench campaign, submission %d: %u task(s); written by `greenbench campaign submit`.\n",
	    j->submission, j->ntasks);
	add(&b, "# Each task runs its share of the planned order and writes its records to\n");
	add(&b, "# %s/records/ (never SQLite); collect them with `greenbench campaign collect`.\n", j->dir);
	add(&b, "#SBATCH --job-name=%s\n", j->name);
	if (j->max_parallel)
		add(&b, "#SBATCH --array=0-%u%%%u\n", j->ntasks - 1, j->max_parallel);
	else
		add(&b, "#SBATCH --array=0-%u\n", j->ntasks - 1);
	add(&b, "#SBATCH --ntasks=1\n");
	add(&b, "#SBATCH --output=%s/logs/s%d-t%%a.out\n", j->dir, j->submission);
	if (j->partition)
		add(&b, "#SBATCH --partition=%s\n", j->partition);
	if (j->gpus_per_task)
		add(&b, "#SBATCH --gres=gpu:%u\n", j->gpus_per_task);
	if (j->time_limit)
		add(&b, "#SBATCH --time=%s\n", j->time_limit);
	/* A node's package counter means something only when nothing else runs there. */
	if (!j->shared) {
		add(&b, "#SBATCH --exclusive\n");
	} else {
		add(&b, "# Shared nodes: CPU energy is estimated for each run's own process.\n");
		add(&b, "export GREENBENCH_CPU_ENERGY=process\n");
	}
	add(&b, "exec ");
	add_quoted(&b, j->greenbench);
	add(&b, " campaign task --records ");
	add_quoted(&b, j->dir);
	add(&b, " --submission %d --task-index \"$SLURM_ARRAY_TASK_ID\"%s\n", j->submission,
	    j->gpus_per_task > 1 ? " --gpus-each" : "");
	if (b.oom) {
		free(b.p);
		return gb_error_set(-ENOMEM, "out of memory");
	}
	*text = b.p;
	return 0;
}

/* Run a Slurm command: its stdout, or an error with its stderr's last line. */
static int slurm_cmd(char *const argv[], uint64_t timeout_ns, char **out)
{
	const struct gb_proc_spec spec = {
		.argv = argv, .search_path = 1, .in = GB_PROC_NULL, .out = GB_PROC_CAPTURE, .err = GB_PROC_TAIL,
		.own_group = 1, .die_with_parent = 1,
	};
	const struct gb_proc_wait_opts wo = { .timeout_ns = timeout_ns, .out_max = 16 << 20 };
	struct gb_proc_capture cap = { 0 };
	struct gb_proc_end end = { 0 };
	char *nl;
	int ret;

	*out = NULL;
	ret = gb_proc_run(&spec, &wo, &cap, &end);
	if (ret)
		goto out;
	for (nl = cap.tail + strlen(cap.tail); nl > cap.tail && (nl[-1] == '\n' || nl[-1] == ' ');)
		*--nl = '\0';
	if ((nl = strrchr(cap.tail, '\n')))
		memmove(cap.tail, nl + 1, strlen(nl + 1) + 1);
	if (end.timed_out) {
		ret = gb_error_set(-ETIMEDOUT, "%s: no answer within %.0f s", argv[0], (double)timeout_ns / 1e9);
	} else if (!end.exited || end.exit_code) {
		ret = gb_error_set(-EIO, "%s: %s", argv[0], cap.tail[0] ? cap.tail : "failed");
	} else {
		*out = cap.out ? cap.out : strdup("");
		cap.out = NULL;
		if (!*out)
			ret = gb_error_set(-ENOMEM, "out of memory");
	}
out:
	gb_proc_capture_release(&cap);
	return ret;
}

int gb_slurm_submit(const char *script, uint64_t timeout_ns, char *job_id, size_t len)
{
	char *argv[] = { "sbatch", "--parsable", (char *)script, NULL };
	char *out = NULL;
	int ret;

	if ((ret = slurm_cmd(argv, timeout_ns ? timeout_ns : DEFAULT_SUBMIT_TIMEOUT_NS, &out)))
		return ret;
	/* "123" or "123;cluster". */
	out[strcspn(out, ";\n ")] = '\0';
	if (!out[0] || strspn(out, "0123456789") != strlen(out))
		ret = gb_error_set(-EIO, "sbatch answered no job id");
	else
		snprintf(job_id, len, "%s", out);
	free(out);
	return ret;
}

static const struct {
	const char *word;
	enum gb_slurm_state state;
} slurm_words[] = {
	{ "PENDING", GB_SLURM_PENDING },	{ "REQUEUED", GB_SLURM_PENDING },
	{ "RESIZING", GB_SLURM_PENDING },	{ "SUSPENDED", GB_SLURM_PENDING },
	{ "RUNNING", GB_SLURM_RUNNING },	{ "COMPLETING", GB_SLURM_RUNNING },
	{ "CONFIGURING", GB_SLURM_RUNNING },	{ "STAGE_OUT", GB_SLURM_RUNNING },
	{ "SIGNALING", GB_SLURM_RUNNING },	{ "COMPLETED", GB_SLURM_COMPLETED },
	{ "FAILED", GB_SLURM_FAILED },		{ "CANCELLED", GB_SLURM_FAILED },
	{ "TIMEOUT", GB_SLURM_FAILED },		{ "NODE_FAIL", GB_SLURM_FAILED },
	{ "OUT_OF_MEMORY", GB_SLURM_FAILED },	{ "PREEMPTED", GB_SLURM_FAILED },
	{ "BOOT_FAIL", GB_SLURM_FAILED },	{ "DEADLINE", GB_SLURM_FAILED },
	{ "REVOKED", GB_SLURM_FAILED },
};

enum gb_slurm_state gb_slurm_state_parse(const char *word)
{
	size_t n = strcspn(word, " |\n+");

	for (size_t i = 0; i < sizeof slurm_words / sizeof slurm_words[0]; i++)
		if (strlen(slurm_words[i].word) == n && !strncmp(word, slurm_words[i].word, n))
			return slurm_words[i].state;
	return GB_SLURM_UNKNOWN;
}

const char *gb_slurm_state_name(enum gb_slurm_state s)
{
	switch (s) {
	case GB_SLURM_PENDING: return "pending";
	case GB_SLURM_RUNNING: return "running";
	case GB_SLURM_COMPLETED: return "completed";
	case GB_SLURM_FAILED: return "failed";
	default: return "unknown";
	}
}

/* "4" or "[0-3,7%2]" after "JOB_": set every index named. */
static void set_indices(const char *p, size_t len, enum gb_slurm_state st, enum gb_slurm_state *states,
			size_t ntasks)
{
	const char *end = p + len;

	if (p < end && *p == '[')
		p++;
	while (p < end && isdigit((unsigned char)*p)) {
		char *q;
		unsigned long a = strtoul(p, &q, 10), b = a;

		if (q < end && *q == '-')
			b = strtoul(q + 1, &q, 10);
		for (unsigned long i = a; i <= b && i < ntasks; i++)
			states[i] = st;
		p = q;
		if (p < end && *p == '%')
			break;
		if (p < end && *p == ',')
			p++;
	}
}

void gb_slurm_parse_states(const char *text, const char *job_id, enum gb_slurm_state *states, size_t ntasks)
{
	size_t jl = strlen(job_id);

	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n"), id = strcspn(line, " |\n");
		const char *state = line + id;

		while (state < line + n && (*state == ' ' || *state == '|'))
			state++;
		/* Array tasks only ("123_4"); the job's steps ("123_4.batch") are not tasks. */
		if (id > jl + 1 && !strncmp(line, job_id, jl) && line[jl] == '_' &&
		    !memchr(line + jl + 1, '.', id - jl - 1) && state < line + n)
			set_indices(line + jl + 1, id - jl - 1, gb_slurm_state_parse(state), states, ntasks);
		line += n + (line[n] == '\n');
	}
}

int gb_slurm_states(const char *job_id, enum gb_slurm_state *states, size_t ntasks, uint64_t timeout_ns,
		    int *queried)
{
	char *sacct[] = { "sacct", "-n", "-P", "-X", "-j", (char *)job_id, "-o", "JobID,State", NULL };
	char *squeue[] = { "squeue", "-h", "-r", "-j", (char *)job_id, "-o", "%i %T", NULL };
	char *out = NULL;

	*queried = 0;
	if (!timeout_ns)
		timeout_ns = DEFAULT_QUERY_TIMEOUT_NS;
	if (slurm_cmd(sacct, timeout_ns, &out) == 0) {
		gb_slurm_parse_states(out, job_id, states, ntasks);
		++*queried;
	}
	free(out);
	if (slurm_cmd(squeue, timeout_ns, &out) == 0) {
		/* A task squeue no longer lists has ended; sacct says how. */
		for (size_t i = 0; i < ntasks; i++)
			if (states[i] == GB_SLURM_PENDING || states[i] == GB_SLURM_RUNNING)
				states[i] = GB_SLURM_UNKNOWN;
		gb_slurm_parse_states(out, job_id, states, ntasks);
		++*queried;
	}
	free(out);
	gb_error_clear();
	return 0;
}

enum gb_task_phase gb_slurm_task_phase(const struct gb_shard_task_status *t, enum gb_slurm_state st, int queried)
{
	if (t->ok + t->failed >= t->assigned)
		return GB_TASK_DONE;
	switch (st) {
	case GB_SLURM_PENDING: return GB_TASK_PENDING;
	case GB_SLURM_RUNNING: return GB_TASK_RUNNING;
	case GB_SLURM_COMPLETED:
	case GB_SLURM_FAILED: return GB_TASK_DIED;
	default: break;
	}
	if (!queried)
		return GB_TASK_UNKNOWN;
	return t->starts ? GB_TASK_DIED : GB_TASK_NOT_STARTED;
}

const char *gb_task_phase_name(enum gb_task_phase p)
{
	switch (p) {
	case GB_TASK_DONE: return "done";
	case GB_TASK_PENDING: return "pending";
	case GB_TASK_RUNNING: return "running";
	case GB_TASK_DIED: return "died";
	case GB_TASK_NOT_STARTED: return "not started";
	default: return "unknown";
	}
}
