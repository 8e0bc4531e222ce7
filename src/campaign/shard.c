/*
 * A campaign's shared directory on a cluster (greenbench/shard.h): the
 * manifests a submission leaves for its tasks, each task's append-only
 * records file, and the collector that merges them into the store.
 *
 * The files are the only thing tasks share. A records line is written with
 * one write() and fsync'd before the next run starts, so a task killed at
 * any moment leaves at most its last line cut short, which readers skip.
 */
#include "greenbench/shard.h"

#include "greenbench/error.h"
#include "greenbench/plan.h"
#include "greenbench/record.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Keys of the manifests (the shard's own files; records lines are the
 * record module's). */
#define K_FILE "file"
#define K_PLAN_TEXT "plan_text"
#define K_TASKS "tasks"
#define K_SEQS "seqs"

static int path_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return gb_error_set(-ENAMETOOLONG, "path too long under '%s'", dir);
	return 0;
}

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0777) && errno != EEXIST)
		return gb_error_set(-errno, "cannot create '%s': %s", path, strerror(errno));
	return 0;
}

static int mkdirs(const char *dir)
{
	char sub[PATH_MAX];
	int ret;

	/* The parents first (mkdir -p). */
	snprintf(sub, sizeof sub, "%s", dir);
	for (char *p = sub + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ret = mkdir_one(sub);
		*p = '/';
		if (ret)
			return ret;
	}
	if ((ret = mkdir_one(dir)))
		return ret;
	if ((ret = path_join(sub, sizeof sub, dir, "records")) || (ret = mkdir_one(sub)))
		return ret;
	if ((ret = path_join(sub, sizeof sub, dir, "logs")) || (ret = mkdir_one(sub)))
		return ret;
	return 0;
}

/* All of buf, then fsync: a line or a manifest is on disk before we go on. */
static int write_all_sync(int fd, const char *buf, size_t len, const char *path)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return gb_error_set(-errno, "cannot write '%s': %s", path, strerror(errno));
		buf += w;
		len -= (size_t)w;
	}
	if (fsync(fd))
		return gb_error_set(-errno, "cannot sync '%s': %s", path, strerror(errno));
	return 0;
}

/* Replace path by the JSON of o, through a temporary file and rename(). */
static int json_write(const char *path, const cJSON *o)
{
	char tmp[PATH_MAX], *text = cJSON_Print(o);
	int fd = -1, ret;

	if (!text)
		return gb_error_set(-ENOMEM, "out of memory");
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = gb_error_set(-errno, "cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if ((ret = write_all_sync(fd, text, strlen(text), tmp)))
		goto out;
	if (rename(tmp, path))
		ret = gb_error_set(-errno, "cannot rename '%s': %s", tmp, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return ret;
}

static int json_read(const char *path, cJSON **out)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	if ((ret = gb_file_read_all(path, &text, &len)))
		return ret;
	*out = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return gb_error_set(-EINVAL, "'%s' is not a greenbench cluster manifest", path);
	}
	return 0;
}

static double num_of(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(it) ? it->valuedouble : -1;
}

/* campaign.json: id, file and text. */
static int campaign_load(const char *dir, int64_t *id, char **file, char **text)
{
	char path[PATH_MAX];
	cJSON *o = NULL;
	const char *f, *t;
	int ret;

	if ((ret = path_join(path, sizeof path, dir, "campaign.json")) || (ret = json_read(path, &o)))
		return ret;
	f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, K_FILE));
	t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, K_PLAN_TEXT));
	*id = (int64_t)num_of(o, GB_RK_CAMPAIGN);
	if (!f || !t || *id <= 0) {
		ret = gb_error_set(-EINVAL, "'%s' lacks the campaign, its file or its text", path);
		goto out;
	}
	if (file && !(*file = strdup(f))) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	if (text && !(*text = strdup(t))) {
		if (file) {
			free(*file);
			*file = NULL;
		}
		ret = gb_error_set(-ENOMEM, "out of memory");
	}
out:
	cJSON_Delete(o);
	return ret;
}

int gb_shard_campaign(const char *dir, int64_t *campaign)
{
	return campaign_load(dir, campaign, NULL, NULL);
}

static int submission_path(const char *dir, int k, char *buf, size_t len)
{
	char name[64];

	snprintf(name, sizeof name, "submission-%d.json", k);
	return path_join(buf, len, dir, name);
}

static int newest_submission(const char *dir, int *k)
{
	char path[PATH_MAX];
	int ret;

	*k = 0;
	for (;;) {
		if ((ret = submission_path(dir, *k + 1, path, sizeof path)))
			return ret;
		if (access(path, F_OK))
			return 0;
		++*k;
	}
}

int gb_shard_prepare(const char *dir, int64_t campaign, const char *file, const char *plan_text,
		     const int64_t *seqs, size_t nseqs, unsigned ntasks, int *submission)
{
	char path[PATH_MAX];
	cJSON *o = NULL, *arr;
	int64_t have;
	int ret;

	if (!ntasks)
		return gb_error_set(-EINVAL, "a submission needs at least one task");
	if ((ret = mkdirs(dir)))
		return ret;
	ret = gb_shard_campaign(dir, &have);
	if (ret == 0 && have != campaign)
		return gb_error_set(-EEXIST, "'%s' holds campaign %lld's records, not campaign %lld's", dir,
				    (long long)have, (long long)campaign);
	if (ret && ret != -ENOENT)
		return ret;
	if (ret == -ENOENT) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, GB_RK_CAMPAIGN, (double)campaign);
		cJSON_AddStringToObject(o, K_FILE, file);
		cJSON_AddStringToObject(o, K_PLAN_TEXT, plan_text);
		if ((ret = path_join(path, sizeof path, dir, "campaign.json")) || (ret = json_write(path, o)))
			goto out;
		cJSON_Delete(o);
		o = NULL;
	}
	if ((ret = newest_submission(dir, submission)))
		goto out;
	++*submission;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, GB_RK_SUBMISSION, *submission);
	cJSON_AddNumberToObject(o, K_TASKS, ntasks);
	arr = cJSON_AddArrayToObject(o, K_SEQS);
	for (size_t i = 0; i < nseqs; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)seqs[i]));
	cJSON_AddStringToObject(o, GB_RK_JOB_ID, "");
	if ((ret = submission_path(dir, *submission, path, sizeof path)))
		goto out;
	ret = json_write(path, o);
out:
	cJSON_Delete(o);
	return ret;
}

int gb_shard_set_job(const char *dir, int submission, const char *job_id)
{
	char path[PATH_MAX];
	cJSON *o = NULL;
	int ret;

	if ((ret = submission_path(dir, submission, path, sizeof path)) || (ret = json_read(path, &o)))
		return ret;
	cJSON_DeleteItemFromObjectCaseSensitive(o, GB_RK_JOB_ID);
	cJSON_AddStringToObject(o, GB_RK_JOB_ID, job_id);
	ret = json_write(path, o);
	cJSON_Delete(o);
	return ret;
}

int gb_shard_submission_load(const char *dir, int k, struct gb_shard_submission *out)
{
	char path[PATH_MAX];
	const cJSON *arr, *it;
	const char *job;
	cJSON *o = NULL;
	size_t i = 0;
	int ret;

	memset(out, 0, sizeof *out);
	if (!k && (ret = newest_submission(dir, &k)))
		return ret;
	if (!k)
		return gb_error_set(-ENOENT, "'%s' has no submission", dir);
	if ((ret = submission_path(dir, k, path, sizeof path)) || (ret = json_read(path, &o)))
		return ret;
	arr = cJSON_GetObjectItemCaseSensitive(o, K_SEQS);
	out->submission = k;
	if (num_of(o, K_TASKS) < 1 || !cJSON_IsArray(arr)) {
		ret = gb_error_set(-EINVAL, "'%s' lacks its tasks or seqs", path);
		goto out;
	}
	out->ntasks = (unsigned)num_of(o, K_TASKS);
	out->nseqs = (size_t)cJSON_GetArraySize(arr);
	if (!(out->seqs = malloc((out->nseqs ? out->nseqs : 1) * sizeof *out->seqs))) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(it, arr)
		out->seqs[i++] = cJSON_IsNumber(it) ? (int64_t)it->valuedouble : -1;
	job = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, GB_RK_JOB_ID));
	snprintf(out->job_id, sizeof out->job_id, "%s", job ? job : "");
out:
	cJSON_Delete(o);
	if (ret)
		gb_shard_submission_release(out);
	return ret;
}

void gb_shard_submission_release(struct gb_shard_submission *s)
{
	free(s->seqs);
	s->seqs = NULL;
	s->nseqs = 0;
}

int gb_shard_records_path(const char *dir, int submission, unsigned task, char *buf, size_t len)
{
	char name[64];

	snprintf(name, sizeof name, "records/s%d-t%u.jsonl", submission, task);
	return path_join(buf, len, dir, name);
}

/* ---- reading records files -------------------------------------------- */

struct scan {
	int (*fn)(void *ctx, const char *name, const struct gb_task_line *l);
	void *ctx;
	size_t files, lines, torn;
};

/* Every line of one file; a line that does not parse is skipped (the
 * last one of a killed task; anything else is not ours). */
static int scan_file(struct scan *sc, const char *path, const char *name)
{
	char *text = NULL, *line, *nl;
	size_t len = 0;
	int ret;

	if ((ret = gb_file_read_all(path, &text, &len)))
		return ret;
	sc->files++;
	for (line = text; *line; line = nl ? nl + 1 : line + strlen(line)) {
		struct gb_task_line l;
		cJSON *owner = NULL;

		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!*line)
			continue;
		if (gb_task_line_parse(line, &l, &owner)) {
			sc->torn++;
			continue;
		}
		sc->lines++;
		ret = sc->fn(sc->ctx, name, &l);
		free((void *)l.record_json);
		cJSON_Delete(owner);
		if (ret)
			break;
	}
	free(text);
	return ret;
}

static int scan_dir(const char *dir, struct scan *sc)
{
	char rdir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if ((ret = path_join(rdir, sizeof rdir, dir, "records")))
		return ret;
	if (!(d = opendir(rdir)))
		return errno == ENOENT ? 0 : gb_error_set(-errno, "cannot open '%s': %s", rdir, strerror(errno));
	while (!ret && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 7 || strcmp(de->d_name + n - 6, ".jsonl"))
			continue;
		snprintf(path, sizeof path, "%s/%s", rdir, de->d_name);
		ret = scan_file(sc, path, de->d_name);
	}
	closedir(d);
	return ret;
}

struct recorded_ctx {
	unsigned char *bits;
	size_t n;
	int64_t campaign;
};

static int mark_recorded(void *ctx, const char *name, const struct gb_task_line *l)
{
	struct recorded_ctx *r = ctx;

	(void)name;
	if (l->kind == GB_TASK_LINE_RUN && l->campaign == r->campaign && l->seq >= 0 && (size_t)l->seq < r->n)
		r->bits[l->seq] = 1;
	return 0;
}

int gb_shard_recorded(const char *dir, size_t nruns, unsigned char **recorded)
{
	struct recorded_ctx r = { NULL, nruns, 0 };
	struct scan sc = { mark_recorded, &r, 0, 0, 0 };
	int ret;

	if ((ret = gb_shard_campaign(dir, &r.campaign)))
		return ret;
	if (!(r.bits = calloc(nruns ? nruns : 1, 1)))
		return gb_error_set(-ENOMEM, "out of memory");
	if ((ret = scan_dir(dir, &sc))) {
		free(r.bits);
		return ret;
	}
	*recorded = r.bits;
	return 0;
}

/* ---- a task ----------------------------------------------------------- */

struct task_sink {
	int fd;
	char path[PATH_MAX];
	int64_t campaign;
};

static int sink_line(struct task_sink *k, const struct gb_task_line *l)
{
	char *text = gb_task_line_format(l);
	size_t n;
	int ret;

	if (!text)
		return gb_error_set(-ENOMEM, "cannot format a records line for '%s'", k->path);
	n = strlen(text);
	text[n] = '\n';	/* the NUL's place: one write() for the line */
	ret = write_all_sync(k->fd, text, n + 1, k->path);
	free(text);
	return ret;
}

static int sink_run(void *ctx, const struct gb_store_run_in *in)
{
	struct task_sink *k = ctx;
	struct gb_task_line l = { .kind = GB_TASK_LINE_RUN, .campaign = k->campaign };

#define COPY_FIELD(f) l.f = in->f;
	GB_TASK_RUN_FIELDS(COPY_FIELD)
#undef COPY_FIELD
	return sink_line(k, &l);
}

static int sink_idle(void *ctx, int64_t before_seq, double duration_s, const char *domain, double power_w,
		     double temp_c)
{
	struct task_sink *k = ctx;
	struct gb_task_line l = { .kind = GB_TASK_LINE_IDLE, .campaign = k->campaign };

	l.before_seq = before_seq;
	l.duration_s = duration_s;
	l.domain = domain;
	l.power_w = power_w;
	l.temp_c = temp_c;
	return sink_line(k, &l);
}

/* Open for appending; a line cut short by an earlier attempt gets its
 * newline, so that the next line stands on its own. */
static int sink_open(struct task_sink *k)
{
	struct stat sb;
	char last = '\n';

	k->fd = open(k->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (k->fd < 0)
		return gb_error_set(-errno, "cannot open '%s': %s", k->path, strerror(errno));
	if (fstat(k->fd, &sb) == 0 && sb.st_size > 0) {
		int rfd = open(k->path, O_RDONLY | O_CLOEXEC);

		if (rfd >= 0) {
			if (pread(rfd, &last, 1, sb.st_size - 1) != 1)
				last = '\n';
			close(rfd);
		}
	}
	return last == '\n' ? 0 : write_all_sync(k->fd, "\n", 1, k->path);
}

int gb_shard_task_run(const struct gb_shard_task *t, const struct gb_engine_opts *engine,
		      const struct gb_engine_callbacks *cb, void *ctx, struct gb_engine_summary *sum)
{
	struct gb_shard_submission sub = { 0 };
	struct task_sink k = { .fd = -1 };
	struct gb_engine_sink sink = { sink_run, sink_idle, &k };
	struct gb_task_line start = { .kind = GB_TASK_LINE_START };
	struct gb_store_planned *pl = NULL;
	struct gb_engine_opts o = *engine;
	struct gb_plan *plan = NULL;
	unsigned char *recorded = NULL;
	char *file = NULL, *text = NULL;
	size_t npl = 0;
	int ret;

	memset(sum, 0, sizeof *sum);
	if ((ret = campaign_load(t->dir, &k.campaign, &file, &text)))
		goto out;
	if ((ret = gb_shard_submission_load(t->dir, t->submission, &sub)))
		goto out;
	if (t->task >= sub.ntasks) {
		ret = gb_error_set(-EINVAL, "task %u of submission %d, which has %u tasks", t->task, sub.submission,
				   sub.ntasks);
		goto out;
	}
	if ((ret = gb_plan_parse(text, strlen(text), file, &plan)))
		goto out;
	if ((ret = gb_shard_recorded(t->dir, plan->nruns, &recorded)))
		goto out;
	if (!(pl = calloc(sub.nseqs / sub.ntasks + 1, sizeof *pl))) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	/* Positions task, task + n, ...: the order is already shuffled. */
	for (size_t i = t->task; i < sub.nseqs; i += sub.ntasks) {
		int64_t seq = sub.seqs[i];

		if (seq < 0 || (size_t)seq >= plan->nruns) {
			ret = gb_error_set(-EINVAL, "submission %d names run %lld, which campaign %lld does not plan",
					   sub.submission, (long long)seq, (long long)k.campaign);
			goto out;
		}
		pl[npl].seq = seq;
		pl[npl].config = plan->runs[seq].config;
		pl[npl].rep = plan->runs[seq].rep;
		pl[npl].done = recorded[seq];
		npl++;
	}
	if ((ret = gb_shard_records_path(t->dir, sub.submission, t->task, k.path, sizeof k.path)) ||
	    (ret = sink_open(&k)))
		goto out;
	start.campaign = k.campaign;
	start.submission = sub.submission;
	start.task = (int)t->task;
	start.pid = (long)getpid();
	start.time_unix = (int64_t)time(NULL);
	start.job_id = t->job_id ? t->job_id : "";
	start.node = t->node ? t->node : "";
	if ((ret = sink_line(&k, &start)))
		goto out;
	o.plan = plan;
	o.store = NULL;
	o.campaign = k.campaign;
	o.file = o.db = NULL;
	o.resume = 0;
	o.sink = &sink;
	o.planned = pl;
	o.nplanned = npl;
	o.first = o.last = 0;
	o.select = NULL;
	ret = gb_campaign_engine_run(&o, cb, ctx, sum);
out:
	if (k.fd >= 0)
		close(k.fd);
	gb_shard_submission_release(&sub);
	gb_plan_free(plan);
	free(recorded);
	free(pl);
	free(file);
	free(text);
	return ret;
}

/* ---- collecting ------------------------------------------------------- */

struct collect_ctx {
	struct gb_store *st;
	struct gb_store_planned *pl;
	size_t npl;
	struct gb_shard_collect_summary *sum;
};

static int collect_line(void *ctx, const char *name, const struct gb_task_line *l)
{
	struct collect_ctx *c = ctx;
	struct gb_store_run_in in = { 0 };
	struct gb_store_planned *p;
	int ret;

	if (l->campaign != c->sum->campaign)
		return gb_error_set(-EINVAL, "records/%s holds a line of campaign %lld, not %lld", name,
				    (long long)l->campaign, (long long)c->sum->campaign);
	if (l->kind == GB_TASK_LINE_IDLE) {
		ret = gb_store_idle_insert_once(c->st, l->campaign, l->before_seq, l->duration_s, l->domain,
						l->power_w, l->temp_c);
		c->sum->idle_stored += ret == 0;
		return ret == -EEXIST ? 0 : ret;
	}
	if (l->kind != GB_TASK_LINE_RUN)
		return 0;
	if (l->seq < 0 || (size_t)l->seq >= c->npl || c->pl[l->seq].seq != l->seq ||
	    c->pl[l->seq].config != l->config || c->pl[l->seq].rep != l->rep)
		return gb_error_set(-EINVAL, "records/%s: run %lld is not campaign %lld's planned run", name,
				    (long long)l->seq, (long long)l->campaign);
	p = &c->pl[l->seq];
	if (p->done) {
		c->sum->already++;
		return 0;
	}
#define COPY_FIELD(f) in.f = l->f;
	GB_TASK_RUN_FIELDS(COPY_FIELD)
#undef COPY_FIELD
	ret = gb_store_run_insert(c->st, l->campaign, &in);
	if (ret == -EEXIST) {
		c->sum->already++;
		ret = 0;
	} else if (ret == 0) {
		c->sum->stored++;
	}
	p->done = 1;
	return ret;
}

int gb_shard_collect(struct gb_store *st, const char *dir, struct gb_shard_collect_summary *sum)
{
	struct collect_ctx c = { st, NULL, 0, sum };
	struct scan sc = { collect_line, &c, 0, 0, 0 };
	struct gb_store_campaign_info ci;
	int ret;

	memset(sum, 0, sizeof *sum);
	if ((ret = gb_shard_campaign(dir, &sum->campaign)))
		return ret;
	if ((ret = gb_store_campaign_info(st, sum->campaign, &ci)))
		return ret;
	if ((ret = gb_store_planned_load(st, sum->campaign, &c.pl, &c.npl)))
		return ret;
	ret = scan_dir(dir, &sc);
	sum->files = sc.files;
	sum->lines = sc.lines;
	sum->torn = sc.torn;
	sum->total = c.npl;
	for (size_t i = 0; i < c.npl; i++)
		sum->done += c.pl[i].done != 0;
	if (!ret && sum->done == sum->total && (ret = gb_store_campaign_finish(st, sum->campaign)) == 0)
		sum->finished = 1;
	free(c.pl);
	return ret;
}

/* ---- status ----------------------------------------------------------- */

struct status_ctx {
	struct gb_shard_status *s;
	long *owner;		/* per seq: the task of this submission that has it, or -1 */
	size_t nowner;
	unsigned char *seen;	/* per seq: a run line counted */
};

static int status_line(void *ctx, const char *name, const struct gb_task_line *l)
{
	struct status_ctx *c = ctx;
	struct gb_shard_task_status *ts;
	int sub = -1;
	unsigned task = 0;

	if (l->kind == GB_TASK_LINE_START) {
		if (sscanf(name, "s%d-t%u.jsonl", &sub, &task) != 2 || sub != c->s->sub.submission ||
		    task >= c->s->sub.ntasks)
			return 0;
		ts = &c->s->tasks[task];
		ts->starts++;
		snprintf(ts->job_id, sizeof ts->job_id, "%s", l->job_id ? l->job_id : "");
		snprintf(ts->node, sizeof ts->node, "%s", l->node ? l->node : "");
		return 0;
	}
	if (l->kind != GB_TASK_LINE_RUN || l->seq < 0 || (size_t)l->seq >= c->nowner || c->owner[l->seq] < 0 ||
	    c->seen[l->seq])
		return 0;
	c->seen[l->seq] = 1;
	ts = &c->s->tasks[c->owner[l->seq]];
	if (l->ok)
		ts->ok++;
	else
		ts->failed++;
	return 0;
}

int gb_shard_status_load(const char *dir, int submission, struct gb_shard_status *s)
{
	struct status_ctx c = { s, NULL, 0, NULL };
	struct scan sc = { status_line, &c, 0, 0, 0 };
	int64_t campaign;
	int ret;

	memset(s, 0, sizeof *s);
	if ((ret = gb_shard_campaign(dir, &campaign)) || (ret = gb_shard_submission_load(dir, submission, &s->sub)))
		return ret;
	for (size_t i = 0; i < s->sub.nseqs; i++)
		if (s->sub.seqs[i] >= 0 && (size_t)s->sub.seqs[i] + 1 > c.nowner)
			c.nowner = (size_t)s->sub.seqs[i] + 1;
	s->tasks = calloc(s->sub.ntasks, sizeof *s->tasks);
	c.owner = malloc((c.nowner ? c.nowner : 1) * sizeof *c.owner);
	c.seen = calloc(c.nowner ? c.nowner : 1, 1);
	if (!s->tasks || !c.owner || !c.seen) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.nowner; i++)
		c.owner[i] = -1;
	for (unsigned t = 0; t < s->sub.ntasks; t++)
		s->tasks[t].task = t;
	for (size_t i = 0; i < s->sub.nseqs; i++) {
		if (s->sub.seqs[i] < 0)
			continue;
		c.owner[s->sub.seqs[i]] = (long)(i % s->sub.ntasks);
		s->tasks[i % s->sub.ntasks].assigned++;
	}
	ret = scan_dir(dir, &sc);
out:
	free(c.owner);
	free(c.seen);
	if (ret)
		gb_shard_status_release(s);
	return ret;
}

void gb_shard_status_release(struct gb_shard_status *s)
{
	gb_shard_submission_release(&s->sub);
	free(s->tasks);
	s->tasks = NULL;
}
