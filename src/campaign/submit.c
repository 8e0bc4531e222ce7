/*
 * `campaign submit` (greenbench/slurm.h): the plan into the store, the
 * missing runs into a submission of the shared directory, its script to
 * sbatch.
 */
#include "greenbench/slurm.h"

#include "greenbench/error.h"
#include "greenbench/paths.h"
#include "greenbench/plan.h"
#include "greenbench/shard.h"
#include "greenbench/store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int abs_path(const char *path, char *buf, size_t len)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/') {
		n = snprintf(buf, len, "%s", path);
	} else {
		if (!getcwd(cwd, sizeof cwd))
			return gb_error_set(-errno, "cannot get the current directory: %s", strerror(errno));
		n = snprintf(buf, len, "%s/%s", cwd, path);
	}
	return n < 0 || (size_t)n >= len ? gb_error_set(-ENAMETOOLONG, "path too long: '%s'", path) : 0;
}

/* The previous submission may not have tasks queued or running. */
static int previous_idle(const char *dir, uint64_t timeout_ns)
{
	struct gb_shard_submission sub;
	enum gb_slurm_state *st = NULL;
	int queried = 0, ret;

	if (gb_shard_submission_load(dir, 0, &sub))
		return 0;
	if (!sub.job_id[0])
		goto out;
	if (!(st = calloc(sub.ntasks, sizeof *st))) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto fail;
	}
	gb_slurm_states(sub.job_id, st, sub.ntasks, timeout_ns, &queried);
	for (unsigned i = 0; i < sub.ntasks; i++) {
		if (st[i] == GB_SLURM_PENDING || st[i] == GB_SLURM_RUNNING) {
			ret = gb_error_set(-EBUSY, "job %s still has task %u %s: wait for it or scancel it first",
					   sub.job_id, i, gb_slurm_state_name(st[i]));
			goto fail;
		}
	}
out:
	ret = 0;
fail:
	free(st);
	gb_shard_submission_release(&sub);
	return ret;
}

static int write_script(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return gb_error_set(-errno, "cannot create '%s': %s", path, strerror(errno));
	if (fputs(text, f) == EOF)
		ret = gb_error_set(-EIO, "cannot write '%s'", path);
	if (fclose(f) && !ret)
		ret = gb_error_set(-errno, "cannot write '%s': %s", path, strerror(errno));
	if (!ret && chmod(path, 0755))
		ret = gb_error_set(-errno, "cannot chmod '%s': %s", path, strerror(errno));
	return ret;
}

int gb_slurm_campaign_submit(const struct gb_slurm_submit_opts *o, struct gb_slurm_submit_result *r)
{
	struct gb_slurm_job job = o->job;
	struct gb_shard_collect_summary cs;
	struct gb_store_planned *pl = NULL;
	struct gb_store *st = NULL;
	struct gb_plan *plan = NULL;
	int64_t *seqs = NULL;
	char *text = NULL, file[PATH_MAX], exe[PATH_MAX], name[PATH_MAX];
	size_t len = 0, npl = 0;
	int ret;

	memset(r, 0, sizeof *r);
	if ((ret = abs_path(o->file, file, sizeof file)))
		goto out;
	if ((ret = gb_file_read_all(o->file, &text, &len)) || (ret = gb_plan_parse(text, len, file, &plan)))
		goto out;
	if ((ret = gb_store_open(o->db, &st)))
		goto out;
	ret = o->resume ? gb_store_campaign_find(st, plan, text, &r->campaign)
			: gb_store_campaign_create(st, plan, text, &r->campaign);
	if (ret)
		goto out;
	r->resumed = o->resume;
	if (o->dir)
		snprintf(name, sizeof name, "%s", o->dir);
	else
		snprintf(name, sizeof name, "%s-records/campaign-%lld", o->db, (long long)r->campaign);
	if ((ret = abs_path(name, r->dir, sizeof r->dir)))
		goto out;
	if (o->resume) {
		if ((ret = previous_idle(r->dir, o->timeout_ns)))
			goto out;
		if (access(r->dir, F_OK) == 0) {
			if ((ret = gb_shard_collect(st, r->dir, &cs)))
				goto out;
			r->collected = cs.stored;
		}
	}
	if ((ret = gb_store_planned_load(st, r->campaign, &pl, &npl)))
		goto out;
	r->total = npl;
	if (!(seqs = malloc((npl ? npl : 1) * sizeof *seqs))) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < npl; i++)
		if (!pl[i].done)
			seqs[r->todo++] = pl[i].seq;
	if (!r->todo)
		goto out;
	r->ntasks = o->ntasks ? o->ntasks : (unsigned)plan->nconfigs;
	if (r->ntasks > r->todo)
		r->ntasks = (unsigned)r->todo;
	if ((ret = gb_shard_prepare(r->dir, r->campaign, file, text, seqs, r->todo, r->ntasks, &r->submission)))
		goto out;
	if (!job.greenbench) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

		if (n < 0) {
			ret = gb_error_set(-errno, "cannot find this greenbench: %s", strerror(errno));
			goto out;
		}
		exe[n] = '\0';
		job.greenbench = exe;
	}
	snprintf(name, sizeof name, "gb-c%lld-s%d", (long long)r->campaign, r->submission);
	job.dir = r->dir;
	job.submission = r->submission;
	job.ntasks = r->ntasks;
	job.name = name;
	if ((ret = gb_slurm_script(&job, &r->script)))
		goto out;
	snprintf(r->script_path, sizeof r->script_path, "%s/submission-%d.sbatch", r->dir, r->submission);
	if ((ret = write_script(r->script_path, r->script)))
		goto out;
	if (o->dry_run)
		goto out;
	if ((ret = gb_slurm_submit(r->script_path, o->timeout_ns, r->job_id, sizeof r->job_id)))
		goto out;
	ret = gb_shard_set_job(r->dir, r->submission, r->job_id);
out:
	free(seqs);
	free(pl);
	free(text);
	gb_plan_free(plan);
	gb_store_close(st);
	return ret;
}

void gb_slurm_submit_result_release(struct gb_slurm_submit_result *r)
{
	free(r->script);
	r->script = NULL;
}
