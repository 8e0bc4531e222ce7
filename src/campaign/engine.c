/*
 * The campaign engine (see greenbench/engine.h): the loop over a
 * campaign's planned runs with its idle-baseline schedule, cooldowns,
 * model-path cache and store writes. Every fact a person might want to
 * see goes out as a typed event; the CLI (cmd_campaign.c) turns them into
 * its lines.
 */
#include "greenbench/engine.h"

#include "campaign/slots.h"

#include "greenbench/cputree.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/paths.h"
#include "greenbench/proc.h"
#include "greenbench/record.h"
#include "greenbench/report.h"
#include "greenbench/runtime.h"
#include "greenbench/store.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_DOMAINS 64
/* A stop set by a callback, not a signal, must still end a pause soon. */
#define PAUSE_SLICE_NS (100 * GB_NS_PER_MS)
/* A busy idle baseline is measured again, this many times in all: waiting
 * for quiet with a timeout of that many baselines. */
#define IDLE_ATTEMPTS 3
/* `devices --json` answers in well under this. */
#define PREFLIGHT_TIMEOUT_NS (120 * GB_NS_PER_S)

struct idle_ref {
	int have;
	double temp_c[MAX_DOMAINS];	/* per domain; NAN if none */
	double power_w[MAX_DOMAINS];
};

struct engine {
	const struct gb_engine_opts *o;
	const struct gb_engine_callbacks *cb;
	void *ctx;
	struct gb_plan *plan;
	struct gb_store *st;
	int64_t id;
	struct gb_meter *meter;
	struct idle_ref idle;
	char cmd[PATH_MAX], zoo_dir[PATH_MAX];
	char **model_paths;	/* resolved lazily, one per plan model */
	char **model_errs;
	char **rt_errs;		/* per plan runtime: why it cannot run (preflight), or NULL */
	double idle_busy;	/* others' CPU cores during the current baseline; NAN: unknown */
	double idle_drift;	/* its change since the previous one, %; NAN: none */
	int first;		/* no run started yet */
	size_t since_idle;	/* runs since the last idle baseline */
	uint64_t t_start_ns;
	struct gb_engine_progress pr;
};

static int stopping(const struct engine *e)
{
	return e->o->stop && *e->o->stop;
}

static struct gb_engine_progress progress(const struct engine *e)
{
	struct gb_engine_progress p = e->pr;

	p.elapsed_ns = e->t_start_ns ? gb_now_ns() - e->t_start_ns : 0;
	return p;
}

static void warn(struct engine *e, enum gb_engine_warning_kind kind, const char *detail)
{
	struct gb_engine_warning w = { kind, detail };

	if (e->cb->warning)
		e->cb->warning(e->ctx, &w);
}

/* Sleep, but wake up for a stop (a signal interrupts nanosleep at once). */
static void pause_ns(const struct engine *e, uint64_t ns)
{
	uint64_t deadline = gb_now_ns() + ns;

	while (!stopping(e)) {
		uint64_t now = gb_now_ns(), left = deadline > now ? deadline - now : 0;
		struct timespec ts;

		if (!left)
			break;
		if (left > PAUSE_SLICE_NS)
			left = PAUSE_SLICE_NS;
		ts.tv_sec = (time_t)(left / GB_NS_PER_S);
		ts.tv_nsec = (long)(left % GB_NS_PER_S);
		nanosleep(&ts, NULL);
	}
}

/* The store, or the caller's sink. */
static int store_idle(struct engine *e, int64_t before_seq, double secs, const char *domain, double power_w,
		      double temp_c)
{
	const struct gb_engine_sink *k = e->o->sink;

	if (k)
		return k->idle ? k->idle(k->ctx, before_seq, secs, domain, power_w, temp_c) : 0;
	return gb_store_idle_insert(e->st, e->id, before_seq, secs, domain, power_w, temp_c);
}

static int store_run(struct engine *e, const struct gb_store_run_in *in)
{
	const struct gb_engine_sink *k = e->o->sink;

	return k ? k->run(k->ctx, in) : gb_store_run_insert(e->st, e->id, in);
}

/* One idle measurement with the others' CPU time over it (NAN: unknown). */
static int idle_measure(struct engine *e, double *busy)
{
	struct gb_cpu_load a, b;
	int ret;

	*busy = NAN;
	if (gb_cpu_load_read(&a))
		a.valid = 0;
	if ((ret = gb_meter_measure_idle(e->meter, e->plan->idle_duration_ns)))
		return ret;
	if (!gb_cpu_load_read(&b) && gb_cpu_load_foreign(&a, &b, busy))
		*busy = NAN;
	return 0;
}

/* The idle baseline, measured again (up to IDLE_ATTEMPTS) while others
 * keep the CPU busy. The sampler runs only here and in cooldowns, never
 * beside a child run, and its series is dropped after: the campaign's
 * memory stays flat. */
static void idle_baseline(struct engine *e, int64_t before_seq)
{
	const struct gb_plan *p = e->plan;
	struct gb_engine_idle_start is = { before_seq, p->idle_duration_ns, 1 };
	struct gb_mark mk = { 0 };
	double secs = (double)p->idle_duration_ns / 1e9, busy = NAN, drift = NAN;
	int ret = 0;

	if (!e->meter || !p->idle_duration_ns)
		return;
	if (gb_meter_start(e->meter))
		warn(e, GB_ENGINE_WARN_SAMPLER, gb_error_msg());
	for (; is.attempt <= IDLE_ATTEMPTS && !stopping(e); is.attempt++) {
		if (e->cb->idle_start)
			e->cb->idle_start(e->ctx, &is);
		if ((ret = idle_measure(e, &busy)) ||
		    gb_verdict_level_of(GB_VR_IDLE_BUSY, busy) == GB_VERDICT_VALID)
			break;
	}
	gb_meter_stop(e->meter);
	gb_meter_series_clear(e->meter);
	if (ret) {
		warn(e, GB_ENGINE_WARN_IDLE, gb_error_msg());
		return;
	}
	if (gb_verdict_level_of(GB_VR_IDLE_BUSY, busy) != GB_VERDICT_VALID) {
		char what[128];

		snprintf(what, sizeof what, "other processes used %.2f cores during it (limit %.2f)", busy,
			 gb_verdict_reasons[GB_VR_IDLE_BUSY].suspect);
		warn(e, GB_ENGINE_WARN_IDLE_BUSY, what);
	}
	if (gb_mark_init(&mk, e->meter) || gb_meter_mark(e->meter, &mk))
		memset(&mk, 0, sizeof mk);
	gb_meter_series_clear(e->meter);
	for (size_t d = 0; d < gb_meter_domain_count(e->meter) && d < MAX_DOMAINS; d++) {
		struct gb_engine_idle_domain ev = { before_seq, d, gb_meter_domain(e->meter, d), NAN, NAN, busy, NAN };

		ev.temp_c = mk.s && (mk.s[d].valid & GB_SAMPLE_TEMP) ? mk.s[d].temp_c : NAN;
		if (gb_meter_idle_power(e->meter, d, &ev.power_w))
			ev.power_w = NAN;
		if (e->idle.have && e->idle.power_w[d] > 0 && !isnan(ev.power_w)) {
			ev.drift_pct = 100.0 * fabs(ev.power_w - e->idle.power_w[d]) / e->idle.power_w[d];
			drift = isnan(drift) || ev.drift_pct > drift ? ev.drift_pct : drift;
		}
		e->idle.power_w[d] = ev.power_w;
		e->idle.temp_c[d] = ev.temp_c;
		if (store_idle(e, before_seq, secs, ev.info->name, ev.power_w, ev.temp_c))
			warn(e, GB_ENGINE_WARN_STORE, gb_error_msg());
		if (e->cb->idle_domain)
			e->cb->idle_domain(e->ctx, &ev);
	}
	e->idle.have = 1;
	e->idle_busy = busy;
	e->idle_drift = drift;
	gb_mark_release(&mk);
}

/* Domain d of a mark is within factor f of its idle power and temperature. */
static int gpu_settled(const struct engine *e, const struct gb_mark *mk, size_t d, double f)
{
	if ((mk->s[d].valid & GB_SAMPLE_POWER) && !isnan(e->idle.power_w[d]) &&
	    mk->s[d].power_mw / 1000.0 > e->idle.power_w[d] * f)
		return 0;
	if ((mk->s[d].valid & GB_SAMPLE_TEMP) && !isnan(e->idle.temp_c[d]) && mk->s[d].temp_c > e->idle.temp_c[d] * f)
		return 0;
	return 1;
}

/* Wait until every GPU is within margin of its idle power and temperature. */
static void cooldown_until_idle(struct engine *e)
{
	const struct gb_plan *p = e->plan;
	uint64_t t0 = gb_now_ns(), deadline = t0 + p->cooldown_ns;
	double f = 1.0 + p->cooldown_margin_pct / 100.0;
	struct gb_engine_cooldown ev = { GB_COOLDOWN_UNTIL_IDLE, 0, 0, 0, p->cooldown_margin_pct, NULL };
	struct gb_mark mk = { 0 };

	if (!e->meter || !e->idle.have || gb_mark_init(&mk, e->meter))
		return;
	while (!stopping(e) && gb_now_ns() < deadline) {
		int settled = 1;

		ev.ngpus = 0;
		if (gb_meter_mark(e->meter, &mk))
			break;
		for (size_t d = 0; d < mk.n && d < MAX_DOMAINS; d++) {
			if (gb_meter_domain(e->meter, d)->kind != GB_DOMAIN_GPU)
				continue;
			ev.ngpus++;
			settled &= gpu_settled(e, &mk, d, f);
		}
		if (settled || !ev.ngpus)
			break;
		pause_ns(e, GB_NS_PER_S / 2);
	}
	ev.waited_ns = gb_now_ns() - t0;
	ev.timed_out = gb_now_ns() >= deadline && ev.ngpus;
	gb_mark_release(&mk);
	gb_meter_series_clear(e->meter);	/* marks append to it */
	if (e->cb->cooldown_end)
		e->cb->cooldown_end(e->ctx, &ev);
}

static void cooldown(struct engine *e)
{
	const struct gb_plan *p = e->plan;

	if (p->cooldown == GB_COOLDOWN_FIXED) {
		struct gb_engine_cooldown ev = { GB_COOLDOWN_FIXED, 0, 0, 0, 0, NULL };
		uint64_t t0 = gb_now_ns();

		pause_ns(e, p->cooldown_ns);
		ev.waited_ns = gb_now_ns() - t0;
		if (e->cb->cooldown_end)
			e->cb->cooldown_end(e->ctx, &ev);
	} else if (p->cooldown == GB_COOLDOWN_UNTIL_IDLE) {
		cooldown_until_idle(e);
	}
}

struct tick_arg {
	struct engine *e;
	const struct gb_store_planned *pl;
};

static struct gb_engine_run run_event(struct engine *e, const struct gb_store_planned *pl)
{
	struct gb_engine_run ev = { e->plan, pl, &e->plan->configs[pl->config], progress(e), NULL };

	return ev;
}

static void tick(void *arg)
{
	struct tick_arg *t = arg;
	struct gb_engine_run ev = run_event(t->e, t->pl);

	t->e->cb->run_tick(t->e->ctx, &ev);
}

/* Keep model m's path, or why it cannot be had. */
static int model_keep(struct engine *e, size_t m, const char *path, const char *err)
{
	if (err)
		e->model_errs[m] = strdup(err);
	else
		e->model_paths[m] = strdup(path);
	if (!e->model_paths[m] && !e->model_errs[m])
		return gb_error_set(-ENOMEM, "out of memory");
	return 0;
}

/* The model of a configuration: its name for runtimes that build it, else
 * its file, made once per campaign (prepare_models() before the first
 * run; here only should a run need one it did not); a failure is kept and
 * fails every run of that model with the same reason. */
static int model_for(struct engine *e, size_t config, const char **model, const char **err)
{
	const struct gb_plan_config *cf = &e->plan->configs[config];
	char path[PATH_MAX];

	*model = *err = NULL;
	if (gb_campaign_model_by_name(e->plan, config)) {
		*model = e->plan->models[cf->model].zoo;
		return 0;
	}
	if (!e->model_paths[cf->model] && !e->model_errs[cf->model]) {
		int rc = gb_campaign_model_path(e->plan, cf->model, e->cmd, e->zoo_dir, path, sizeof path);

		if ((rc = model_keep(e, cf->model, path, rc ? gb_error_msg() : NULL)))
			return rc;
	}
	*err = e->model_errs[cf->model];
	*model = e->model_paths[cf->model];
	return 0;
}

static int selected(const struct engine *e, const struct gb_store_planned *pl);

/* Add the engine's checks (the idle baseline's interference and drift)
 * to an ok run's record; *json becomes the record to store (malloc'd,
 * the caller frees it) or NULL when the record did not parse. */
static void judge(struct engine *e, const char *record, struct gb_verdict *v, char **json)
{
	cJSON *rec = cJSON_Parse(record);

	*json = NULL;
	gb_record_verdict_read(rec, v);
	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		return;
	}
	gb_verdict_check(v, GB_VR_IDLE_BUSY, e->idle_busy);
	gb_verdict_check(v, GB_VR_IDLE_DRIFT, e->idle_drift);
	if (!gb_record_verdict_write(rec, v))
		*json = cJSON_PrintUnformatted(rec);
	cJSON_Delete(rec);
}

/* Store a run as it ended and tell the caller: o is how its child ended,
 * or NULL when none ran because its runtime or model could not be had (why);
 * gpu the GPU it ran on (slots), or NULL. */
static int run_record(struct engine *e, const struct gb_store_planned *pl, const struct gb_run_outcome *o,
		      const char *why, const char *gpu)
{
	struct gb_engine_result res = { 0, NULL, NULL, NAN, "", NULL };
	struct gb_store_run_in in = { 0 };
	struct gb_run_metrics m;
	struct gb_engine_run ev;
	struct gb_verdict v;
	char *judged = NULL;
	int ret;

	gb_verdict_init(&v);
	in.seq = pl->seq;
	in.config = pl->config;
	in.rep = pl->rep;
	in.reason = why;
	if (o) {
		res.outcome = o;
		in.ok = o->ok;
		in.reason = o->ok ? NULL : o->reason;
		in.stderr_tail = o->stderr_tail;
		in.record_json = o->record_json;
		in.wall_s = o->wall_s;
	}
	if (in.ok && in.record_json) {
		judge(e, in.record_json, &v, &judged);
		if (judged)
			in.record_json = judged;
	}
	if ((ret = store_run(e, &in))) {
		/* Say which run and how it ended: it is not in the store. */
		const struct gb_plan_config *cf = &e->plan->configs[pl->config];

		gb_error_wrap(ret, "run %lld (%s %s b%u rep %u) %s but was not stored", (long long)pl->seq + 1,
			      e->plan->models[cf->model].name, e->plan->runtimes[cf->runtime].label, cf->batch,
			      pl->rep + 1, in.ok ? "ended ok" : "failed");
		goto out;
	}
	e->pr.done_now++;
	res.ok = in.ok;
	res.reason = in.reason;
	if (in.ok) {
		cJSON *rec = cJSON_Parse(in.record_json);

		e->pr.ok++;
		gb_run_metrics_extract(rec, &m);
		cJSON_Delete(rec);
		res.energy_per_item_mj = m.energy_per_item_mj;
		res.energy_methods = m.total_energy_methods;
		res.verdict = &v;
		e->pr.suspect += v.level == GB_VERDICT_SUSPECT;
		e->pr.invalid += v.level == GB_VERDICT_INVALID;
	} else {
		e->pr.failed++;
	}
	ev = run_event(e, pl);
	ev.gpu = gpu;
	if (e->cb->run_end)
		e->cb->run_end(e->ctx, &ev, &res);
out:
	free(judged);
	return ret;
}

static int run_one(struct engine *e, const struct gb_store_planned *pl)
{
	struct gb_run_outcome o = { 0 };
	struct tick_arg ta = { e, pl };
	char **argv = NULL;
	const char *model, *model_err, *rt_err = e->rt_errs[e->plan->configs[pl->config].runtime];
	int ret;

	if (rt_err) {
		ret = run_record(e, pl, NULL, rt_err, NULL);
		goto out;
	}
	if ((ret = model_for(e, pl->config, &model, &model_err)))
		goto out;
	if (model_err) {
		ret = run_record(e, pl, NULL, model_err, NULL);
		goto out;
	}
	if ((ret = gb_campaign_run_argv(e->plan, pl->config, e->cmd, model, &argv)))
		goto out;
	if ((ret = gb_campaign_exec(argv, e->plan->run_timeout_ns, e->o->stop, e->cb->run_tick ? tick : NULL,
				    &ta, &o)))
		goto out;
	/* A run that ended as the stop came (scancel's SIGTERM reaches the
	 * whole job, the run too) is not recorded: a resume runs it again. */
	if (o.interrupted || stopping(e))
		goto out;
	ret = run_record(e, pl, &o, NULL, NULL);
out:
	gb_campaign_argv_free(argv);
	gb_run_outcome_release(&o);
	return ret;
}

/* Why devices' entry r (keys as cmd_devices.c writes them: runtimes[]
 * {name, available, reason, eps[] {name, available, reason}}) says plan
 * runtime pr cannot run here, or NULL; *ep_bad when it is pr's EP. An EP
 * is judged only where devices listed it and the plan takes the provider
 * from where devices looked. */
static const char *why_not(const struct gb_plan_runtime *pr, const cJSON *r, int *ep_bad)
{
	const struct gb_runtime_ops *row = gb_runtime_find(pr->runtime);
	const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "reason"));
	size_t len;
	const cJSON *ep;

	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "available")))
		return reason ? reason : "unavailable";
	if (!pr->ep)
		return NULL;
	for (size_t k = 0; row && k < pr->noptions; k++)
		if (gb_runtime_is_origin_option(row, pr->options[k].key))
			return NULL;
	/* "cuda:1" is "cuda" on its device 1: devices checks device 0. */
	len = strcspn(pr->ep, ":");
	cJSON_ArrayForEach(ep, cJSON_GetObjectItemCaseSensitive(r, "eps")) {
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ep, "name"));

		if (!n || strlen(n) != len || strncmp(n, pr->ep, len) ||
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ep, "available")))
			continue;
		reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ep, "reason"));
		*ep_bad = 1;
		return reason ? reason : "unavailable";
	}
	return NULL;
}

/* What `RUN_CMD devices --json` says of each runtime and EP of the plan.
 * A run command that cannot answer is a warning, not a refusal: the runs
 * will tell. */
static int preflight_runtimes(struct engine *e, size_t *bad)
{
	char *argv[] = { e->cmd, "devices", "--json", NULL };
	struct gb_proc_spec spec = { .argv = argv, .out = GB_PROC_CAPTURE, .err = GB_PROC_NULL,
				     .own_group = 1, .die_with_parent = 1 };
	struct gb_proc_wait_opts w = { .timeout_ns = PREFLIGHT_TIMEOUT_NS, .stop = e->o->stop };
	struct gb_proc_capture cap = { 0 };
	struct gb_proc_end end;
	cJSON *root = NULL, *rts;
	int ret = 0;

	if (gb_proc_run(&spec, &w, &cap, &end) || !end.exited || end.exit_code || !cap.out ||
	    !cJSON_IsArray(rts = cJSON_GetObjectItemCaseSensitive(root = cJSON_Parse(cap.out), "runtimes"))) {
		char what[PATH_MAX + 64];

		snprintf(what, sizeof what, "cannot ask '%s devices --json' which runtimes work; not checked", e->cmd);
		warn(e, GB_ENGINE_WARN_PREFLIGHT, what);
		goto out;
	}
	for (size_t i = 0; i < e->plan->nruntimes; i++) {
		const struct gb_plan_runtime *pr = &e->plan->runtimes[i];
		const char *why = NULL;
		const cJSON *r;
		char msg[1024];
		int ep_bad = 0;

		cJSON_ArrayForEach(r, rts) {
			const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "name"));

			if (n && !strcmp(n, pr->runtime))
				why = why_not(pr, r, &ep_bad);
		}
		if (!why)
			continue;
		if (ep_bad)
			snprintf(msg, sizeof msg, "'%s/%s' cannot run here: %s", pr->runtime, pr->ep, why);
		else
			snprintf(msg, sizeof msg, "runtime '%s' cannot run here: %s", pr->runtime, why);
		if (!(e->rt_errs[i] = strdup(msg))) {
			ret = gb_error_set(-ENOMEM, "out of memory");
			goto out;
		}
		(*bad)++;
	}
out:
	cJSON_Delete(root);
	gb_proc_capture_release(&cap);
	return ret;
}

/* Make one model that is not cached, between its two events. A stop kills
 * the export or conversion and keeps nothing: a resume makes it again. */
static int model_make(struct engine *e, size_t m, const char *path, size_t index, size_t count)
{
	struct gb_engine_model ev = { e->plan, m, e->plan->models[m].convert, index, count, path, NULL, 0 };
	uint64_t t0 = gb_now_ns();
	int rc;

	if (e->cb->model_start)
		e->cb->model_start(e->ctx, &ev);
	rc = gb_campaign_model_make(e->plan, m, e->cmd, path, e->o->stop);
	if (stopping(e))
		return 0;
	ev.elapsed_ns = gb_now_ns() - t0;
	ev.error = rc ? gb_error_msg() : NULL;
	if (e->cb->model_end)
		e->cb->model_end(e->ctx, &ev);
	return model_keep(e, m, path, ev.error);
}

/* Every model the selected runs need as a file, before the first run and
 * in the plan's order: found in the cache, or exported or converted now.
 * A conversion can take minutes (tf2onnx of BERT); made lazily, it came
 * between two measured runs, heating the machine and spoiling the next
 * idle baseline's schedule. Runs whose runtime cannot run need nothing. */
static int prepare_models(struct engine *e, const struct gb_store_planned *pl, size_t npl)
{
	char **to_make = calloc(e->plan->nmodels + 1, sizeof *to_make), path[PATH_MAX];
	size_t count = 0, index = 0;
	int ret = 0;

	if (!to_make)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < npl; i++) {
		const struct gb_plan_config *cf = &e->plan->configs[pl[i].config];

		if (pl[i].done || !selected(e, &pl[i]) || e->rt_errs[cf->runtime] ||
		    gb_campaign_model_by_name(e->plan, pl[i].config) || e->model_paths[cf->model] ||
		    e->model_errs[cf->model] || to_make[cf->model])
			continue;
		if (gb_campaign_model_file(e->plan, cf->model, e->zoo_dir, path, sizeof path))
			ret = model_keep(e, cf->model, NULL, gb_error_msg());
		else if (e->plan->models[cf->model].file)	/* the user's: checked, never made */
			ret = model_keep(e, cf->model, path,
					 gb_campaign_model_make(e->plan, cf->model, e->cmd, path, NULL) ? gb_error_msg() : NULL);
		else if (!access(path, R_OK))
			ret = model_keep(e, cf->model, path, NULL);
		else if (!(to_make[cf->model] = strdup(path)))
			ret = gb_error_set(-ENOMEM, "out of memory");
		else
			count++;
		if (ret)
			goto out;
	}
	for (size_t m = 0; m < e->plan->nmodels && !stopping(e); m++)
		if (to_make[m] && (ret = model_make(e, m, to_make[m], ++index, count)))
			goto out;
out:
	for (size_t m = 0; m < e->plan->nmodels; m++)
		free(to_make[m]);
	free(to_make);
	return ret;
}

/* Before the first run: every runtime and every model the selected runs
 * need. Refused with every reason, unless keep_going. */
static int preflight(struct engine *e, const struct gb_store_planned *pl, size_t npl)
{
	char msg[2048] = "";
	size_t bad = 0, off = 0;
	int ret;

	if ((ret = preflight_runtimes(e, &bad)) || (ret = prepare_models(e, pl, npl)))
		return ret;
	for (size_t i = 0; i < e->plan->nmodels; i++)
		bad += e->model_errs[i] != NULL;
	if (!bad)
		return 0;
	for (size_t i = 0; i < e->plan->nruntimes; i++)
		if (e->rt_errs[i] && off < sizeof msg)
			off += (size_t)snprintf(msg + off, sizeof msg - off, "%s%s", off ? "; " : "", e->rt_errs[i]);
	for (size_t i = 0; i < e->plan->nmodels; i++)
		if (e->model_errs[i] && off < sizeof msg)
			off += (size_t)snprintf(msg + off, sizeof msg - off, "%smodel '%s': %s", off ? "; " : "",
						e->plan->models[i].name, e->model_errs[i]);
	if (e->o->keep_going) {
		warn(e, GB_ENGINE_WARN_PREFLIGHT, msg);
		return 0;
	}
	return gb_error_set(-ENOEXEC, "the plan cannot run here (use --keep-going to record its runs as failed): %s",
			    msg);
}

static int selected(const struct engine *e, const struct gb_store_planned *pl)
{
	const struct gb_engine_opts *o = e->o;

	if (pl->seq < o->first || (o->last && pl->seq >= o->last))
		return 0;
	return !o->select || o->select(e->ctx, pl);
}

static void open_meter(struct engine *e)
{
	struct gb_meter_config mc;

	if (!e->plan->idle_duration_ns && e->plan->cooldown != GB_COOLDOWN_UNTIL_IDLE)
		return;
	if (e->o->meter)
		mc = *e->o->meter;
	else
		gb_meter_config_init(&mc);
	/* The sampler starts only for idle baselines (idle_baseline()). */
	/* Slots watch their GPUs in the list's order: the k-th GPU domain is slot k's. */
	if (e->o->gpus)
		mc.gpus = e->o->gpus;
	if (gb_meter_open(&mc, &e->meter)) {
		warn(e, GB_ENGINE_WARN_NO_METER, gb_error_msg());
		e->meter = NULL;
	}
}

/* Run the selected planned runs without a row, in order, with idle
 * baselines on their schedule and cooldowns between runs. */
static int run_list(struct engine *e, const struct gb_store_planned *pl, size_t npl)
{
	int ret;

	for (size_t i = 0; i < npl && !stopping(e); i++) {
		if (pl[i].done || !selected(e, &pl[i]))
			continue;
		if (e->first || (e->plan->idle_every && e->since_idle >= e->plan->idle_every)) {
			idle_baseline(e, pl[i].seq);
			e->since_idle = 0;
		}
		if (!e->first)
			cooldown(e);
		if (stopping(e))
			break;
		e->first = 0;
		if (e->cb->run_start) {
			struct gb_engine_run ev = run_event(e, &pl[i]);

			e->cb->run_start(e->ctx, &ev);
		}
		if ((ret = run_one(e, &pl[i])))
			return ret;
		e->since_idle++;
	}
	return 0;
}

/* Is configuration c's energy per item known to within the plan's
 * ci_pct? Its ok runs that are not invalid count. *none: it has no such
 * run (more runs of a configuration that only fails tell nothing). */
static int precise_enough(const struct engine *e, const struct gb_store_run *runs, size_t n, size_t c, int *none)
{
	double *x = malloc((n + 1) * sizeof *x);
	struct gb_ci ci;
	size_t k = 0;

	*none = 0;
	if (!x)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (runs[i].config == c && runs[i].ok && runs[i].m.verdict != GB_VERDICT_INVALID &&
		    !isnan(runs[i].m.energy_per_item_mj))
			x[k++] = runs[i].m.energy_per_item_mj;
	gb_stats_ci95(x, k, &ci);
	free(x);
	*none = k == 0;
	return ci.ci_valid && ci.mean > 0 && (ci.hi - ci.mean) / ci.mean * 100.0 <= e->plan->reps_ci_pct;
}

/* reps: auto: one more planned run for every configuration whose
 * interval is still too wide and that has fewer than reps_max; *added
 * says how many. */
static int auto_round(struct engine *e, size_t *added)
{
	struct gb_store_planned *pl = NULL;
	struct gb_store_run *runs = NULL;
	size_t npl = 0, nruns = 0;
	int ret;

	*added = 0;
	if ((ret = gb_store_planned_load(e->st, e->id, &pl, &npl)) ||
	    (ret = gb_store_runs_load(e->st, e->id, &runs, &nruns)))
		goto out;
	for (size_t c = 0; c < e->plan->nconfigs; c++) {
		unsigned planned = 0, pending = 0;
		int64_t seq;
		int none;

		for (size_t i = 0; i < npl; i++)
			if (pl[i].config == c) {
				planned++;
				pending += !pl[i].done;
			}
		if (pending || planned >= e->plan->reps_max || precise_enough(e, runs, nruns, c, &none) || none)
			continue;
		if ((ret = gb_store_planned_add(e->st, e->id, c, planned, &seq)))
			goto out;
		(*added)++;
	}
	e->pr.total += *added;
	e->pr.todo += *added;
out:
	free(pl);
	free(runs);
	return ret;
}

/* Open what opts names: the plan, the store and the campaign; a new
 * campaign is only left to create (*create), after its preflight. */
static int open_campaign(struct engine *e, char **text, int *create)
{
	const struct gb_engine_opts *o = e->o;
	size_t len = 0;
	int ret;

	if (o->plan) {
		if (!o->store && (!o->sink || !o->sink->run))
			return gb_error_set(-EINVAL, "a campaign engine given a plan needs its store or a sink");
		e->plan = o->plan;
		e->st = o->store;
		e->id = o->campaign;
		return 0;
	}
	if (!o->file || !o->db)
		return gb_error_set(-EINVAL, "a campaign engine needs a plan or a file and a database");
	if ((ret = gb_file_read_all(o->file, text, &len)) || (ret = gb_plan_parse(*text, len, o->file, &e->plan)))
		return ret;
	if ((ret = gb_store_open(o->db, &e->st)))
		return ret;
	*create = !o->resume;
	return o->resume ? gb_store_campaign_find(e->st, e->plan, *text, &e->id) : 0;
}

/* The preflight of a campaign not yet in the store: all of its runs. */
static int preflight_new(struct engine *e)
{
	struct gb_store_planned *pl = calloc(e->plan->nruns + 1, sizeof *pl);
	int ret;

	if (!pl)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < e->plan->nruns; i++) {
		pl[i].seq = (int64_t)i;
		pl[i].config = e->plan->runs[i].config;
		pl[i].rep = e->plan->runs[i].rep;
	}
	ret = preflight(e, pl, e->plan->nruns);
	free(pl);
	return ret;
}

/* Mark the campaign finished once every planned run has a row, looking
 * again at the store: other shards may have written theirs meanwhile. */
static int finish_if_complete(struct engine *e)
{
	struct gb_store_planned *pl = NULL;
	size_t n = 0, done = 0;

	if (gb_store_planned_load(e->st, e->id, &pl, &n)) {
		warn(e, GB_ENGINE_WARN_STORE, gb_error_msg());
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		done += pl[i].done != 0;
	free(pl);
	if (done < n)
		return 0;
	if (gb_store_campaign_finish(e->st, e->id))
		warn(e, GB_ENGINE_WARN_STORE, gb_error_msg());
	return 1;
}

/* ---- several GPUs of one host: one run per GPU at a time --------------
 * The policy over slots.c's mechanics: which run goes to which GPU, when a
 * GPU has cooled down, when every GPU is idle for a baseline. Children run
 * on the slots' threads; everything else stays on this thread. */

struct gpu_slot {
	const struct gb_store_planned *pl;	/* the run in flight */
	char **argv;
	int used;		/* has run once: cool down before the next */
	int cooling;
	uint64_t cool_t0_ns, ready_ns;	/* FIXED: ready at ready_ns; UNTIL_IDLE: give up then */
	long domain;		/* its GPU's domain in the engine's meter, or -1 */
};

/* The k-th GPU domain of the meter is the k-th GPU of opts.gpus. */
static long gpu_domain(const struct engine *e, size_t k)
{
	for (size_t d = 0; e->meter && d < gb_meter_domain_count(e->meter) && d < MAX_DOMAINS; d++)
		if (gb_meter_domain(e->meter, d)->kind == GB_DOMAIN_GPU && !k--)
			return (long)d;
	return -1;
}

/* Whether slot k may take a run now; ends its cooldown when it is over. */
static int slot_ready(struct engine *e, struct gb_slots *sl, struct gpu_slot *g, size_t k, struct gb_mark *mk,
		      int have_mark)
{
	const struct gb_plan *p = e->plan;
	struct gb_engine_cooldown ev = { p->cooldown, 0, 0, 0, p->cooldown_margin_pct, gb_slots_gpu(sl, k) };
	uint64_t now = gb_now_ns();

	if (gb_slots_busy(sl, k))
		return 0;
	if (!g->cooling)
		return 1;
	if (p->cooldown == GB_COOLDOWN_UNTIL_IDLE) {
		ev.ngpus = g->domain >= 0 && e->idle.have && have_mark;
		if (ev.ngpus && now < g->ready_ns &&
		    !gpu_settled(e, mk, (size_t)g->domain, 1.0 + p->cooldown_margin_pct / 100.0))
			return 0;
		ev.timed_out = ev.ngpus && now >= g->ready_ns;
	} else if (now < g->ready_ns) {
		return 0;
	}
	g->cooling = 0;
	ev.waited_ns = now - g->cool_t0_ns;
	if (e->cb->cooldown_end)
		e->cb->cooldown_end(e->ctx, &ev);
	return 1;
}

static void slot_cool(struct engine *e, struct gpu_slot *g)
{
	const struct gb_plan *p = e->plan;

	g->cool_t0_ns = gb_now_ns();
	g->ready_ns = g->cool_t0_ns + p->cooldown_ns;
	g->cooling = p->cooldown != GB_COOLDOWN_NONE;
}

/* Start pl on slot k, or record it failed at once when its runtime or
 * model cannot be had (no child, the slot stays free). */
static int slot_start(struct engine *e, struct gb_slots *sl, struct gpu_slot *g, size_t k,
		      const struct gb_store_planned *pl)
{
	struct gb_engine_run ev = run_event(e, pl);
	const char *model, *model_err, *rt_err = e->rt_errs[e->plan->configs[pl->config].runtime];
	int ret;

	ev.gpu = gb_slots_gpu(sl, k);
	if (e->cb->run_start)
		e->cb->run_start(e->ctx, &ev);
	if (rt_err)
		return run_record(e, pl, NULL, rt_err, gb_slots_gpu(sl, k));
	if ((ret = model_for(e, pl->config, &model, &model_err)))
		return ret;
	if (model_err)
		return run_record(e, pl, NULL, model_err, gb_slots_gpu(sl, k));
	if ((ret = gb_campaign_run_argv(e->plan, pl->config, e->cmd, model, &g->argv)))
		return ret;
	if ((ret = gb_slots_start(sl, k, g->argv, e->plan->run_timeout_ns, e->o->stop))) {
		gb_campaign_argv_free(g->argv);
		g->argv = NULL;
		return ret;
	}
	g->pl = pl;
	g->used = 1;
	return 0;
}

/* Slot k's child ended: record it (unless stopped) and start its cooldown. */
static int slot_end(struct engine *e, struct gb_slots *sl, struct gpu_slot *g, size_t k)
{
	struct gb_run_outcome *o;
	int ret = gb_slots_finish(sl, k, &o);

	if (!ret && !o->interrupted && !stopping(e))
		ret = run_record(e, g->pl, o, NULL, gb_slots_gpu(sl, k));
	gb_campaign_argv_free(g->argv);
	g->argv = NULL;
	g->pl = NULL;
	slot_cool(e, g);
	return ret;
}

static void slot_ticks(struct engine *e, struct gb_slots *sl, struct gpu_slot *g, size_t n)
{
	for (size_t k = 0; k < n && e->cb->run_tick; k++) {
		if (gb_slots_busy(sl, k)) {
			struct gb_engine_run ev = run_event(e, g[k].pl);

			ev.gpu = gb_slots_gpu(sl, k);
			e->cb->run_tick(e->ctx, &ev);
		}
	}
}

static int run_slots(struct engine *e, const struct gb_store_planned *pl, size_t npl)
{
	struct gb_slots *sl = NULL;
	struct gpu_slot *g = NULL;
	struct gb_mark mk = { 0 };
	size_t n = 0, next = 0, busy = 0;
	uint64_t last_tick = gb_now_ns();
	int ret, have_mk = 0;

	if ((ret = gb_slots_new(e->o->gpus, &sl)))
		return ret;
	n = gb_slots_count(sl);
	if (!(g = calloc(n, sizeof *g))) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		g[k].domain = gpu_domain(e, k);
	if (e->meter && !gb_mark_init(&mk, e->meter))
		have_mk = 1;
	for (;;) {
		size_t k, done;
		int want_idle;

		while (next < npl && (pl[next].done || !selected(e, &pl[next])))
			next++;
		if (stopping(e) || (next == npl && !busy))
			break;
		want_idle = next < npl && (e->first || (e->plan->idle_every && e->since_idle >= e->plan->idle_every));
		if (want_idle && !busy) {
			/* Every GPU idle: a baseline of each, then none cools down. */
			idle_baseline(e, pl[next].seq);
			e->since_idle = 0;
			e->first = 0;
			want_idle = 0;
			for (k = 0; k < n; k++)
				g[k].cooling = 0;
		}
		if (have_mk && gb_meter_mark(e->meter, &mk))
			have_mk = 0;
		if (e->meter)
			gb_meter_series_clear(e->meter);	/* marks append to it: memory stays flat */
		for (k = 0; k < n && next < npl && !want_idle && !stopping(e); k++) {
			if (!slot_ready(e, sl, &g[k], k, &mk, have_mk))
				continue;
			if ((ret = slot_start(e, sl, &g[k], k, &pl[next++])))
				goto drain;
			busy += gb_slots_busy(sl, k) != 0;
			e->since_idle++;
			want_idle = e->plan->idle_every && e->since_idle >= e->plan->idle_every;
			while (next < npl && (pl[next].done || !selected(e, &pl[next])))
				next++;
		}
		/* Half a second at most: ticks once a second, cooldowns polled. */
		ret = gb_slots_wait(sl, GB_NS_PER_S / 2, &done);
		if (ret == 0) {
			busy--;
			if ((ret = slot_end(e, sl, &g[done], done)))
				goto drain;
		} else if (ret != -ETIMEDOUT && ret != -ENOENT) {
			goto drain;
		} else if (ret == -ENOENT && next < npl) {
			/* All free but cooling: wait without spinning. */
			pause_ns(e, GB_NS_PER_S / 10);
		}
		ret = 0;
		if (gb_now_ns() - last_tick >= GB_NS_PER_S) {
			last_tick = gb_now_ns();
			slot_ticks(e, sl, g, n);
		}
	}
drain:
	/* On a stop the children are being killed; on an error too. */
	while (busy) {
		size_t k;
		int r = gb_slots_wait(sl, GB_NS_PER_S, &k);

		if (r == 0) {
			struct gb_run_outcome *o;

			gb_slots_finish(sl, k, &o);
			/* An error ended the loop: keep what finished anyway. */
			if (!ret && !o->interrupted && !stopping(e))
				ret = run_record(e, g[k].pl, o, NULL, gb_slots_gpu(sl, k));
			gb_campaign_argv_free(g[k].argv);
			g[k].argv = NULL;
			busy--;
		} else if (r == -ENOENT) {
			break;
		}
	}
out:
	gb_mark_release(&mk);
	free(g);
	gb_slots_free(sl);
	return ret;
}

/* The planned runs: the store's, or a copy of the caller's. */
/* The planned runs: the store's, or a copy of the caller's. */
static int planned_load(struct engine *e, struct gb_store_planned **pl, size_t *n)
{
	const struct gb_engine_opts *o = e->o;

	if (e->st)
		return gb_store_planned_load(e->st, e->id, pl, n);
	*pl = malloc((o->nplanned ? o->nplanned : 1) * sizeof **pl);
	if (!*pl)
		return gb_error_set(-ENOMEM, "out of memory");
	if (o->nplanned)
		memcpy(*pl, o->planned, o->nplanned * sizeof **pl);
	*n = o->nplanned;
	return 0;
}

/* The runs of pl not done yet: on the GPUs' slots, or one at a time. */
static int run_planned(struct engine *e, const struct gb_store_planned *pl, size_t npl)
{
	return e->o->gpus ? run_slots(e, pl, npl) : run_list(e, pl, npl);
}

int gb_campaign_engine_run(const struct gb_engine_opts *opts, const struct gb_engine_callbacks *cb,
			   void *ctx, struct gb_engine_summary *sum)
{
	static const struct gb_engine_callbacks no_callbacks;
	struct gb_store_planned *pl = NULL;
	struct engine e;
	char *text = NULL;
	size_t npl = 0;
	int ret, create = 0;

	memset(&e, 0, sizeof e);
	memset(sum, 0, sizeof *sum);
	e.o = opts;
	e.cb = cb ? cb : &no_callbacks;
	e.ctx = ctx;
	if ((ret = open_campaign(&e, &text, &create)))
		goto out;
	if (opts->run_cmd)
		snprintf(e.cmd, sizeof e.cmd, "%s", opts->run_cmd);
	else if ((ret = gb_paths_run_cmd(e.cmd, sizeof e.cmd)))
		goto out;
	if (opts->zoo_dir)
		snprintf(e.zoo_dir, sizeof e.zoo_dir, "%s", opts->zoo_dir);
	else if ((ret = gb_paths_cache_dir(NULL, "zoo", e.zoo_dir, sizeof e.zoo_dir)))
		goto out;
	if (access(e.cmd, X_OK)) {
		ret = gb_error_set(-errno, "cannot run '%s': %s", e.cmd, strerror(errno));
		goto out;
	}
	e.idle_busy = e.idle_drift = NAN;
	e.first = 1;
	e.model_paths = calloc(e.plan->nmodels + 1, sizeof *e.model_paths);
	e.model_errs = calloc(e.plan->nmodels + 1, sizeof *e.model_errs);
	e.rt_errs = calloc(e.plan->nruntimes + 1, sizeof *e.rt_errs);
	if (!e.model_paths || !e.model_errs || !e.rt_errs) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	/* A plan refused by its preflight leaves the database as it was. */
	if (opts->gpus && (ret = gb_slots_check_gpus(opts->gpus, opts->meter)))
		goto out;
	if (create && ((ret = preflight_new(&e)) || (ret = gb_store_campaign_create(e.st, e.plan, text, &e.id))))
		goto out;
	e.pr.campaign = e.id;
	if (opts->retry_failed && e.st && (ret = gb_store_runs_retry_failed(e.st, e.id, &sum->retried)))
		goto out;
	if ((ret = planned_load(&e, &pl, &npl)))
		goto out;
	e.pr.total = npl;
	for (size_t i = 0; i < npl; i++) {
		e.pr.done_before += pl[i].done != 0;
		e.pr.todo += !pl[i].done && selected(&e, &pl[i]);
	}
	if (e.cb->campaign_start) {
		struct gb_engine_start ev = { e.plan, opts->resume && !opts->plan, progress(&e) };

		e.cb->campaign_start(ctx, &ev);
	}
	if (!create && e.pr.todo && (ret = preflight(&e, pl, npl)))
		goto out;
	open_meter(&e);
	e.t_start_ns = gb_now_ns();
	if ((ret = run_planned(&e, pl, npl)))
		goto out;
	/* reps: auto, over the whole campaign only (a share cannot judge). */
	while (e.plan->reps_auto && e.st && !opts->first && !opts->last && !opts->select && !stopping(&e)) {
		size_t added = 0;

		if ((ret = auto_round(&e, &added)) || !added)
			break;
		free(pl);
		pl = NULL;
		if ((ret = planned_load(&e, &pl, &npl)) || (ret = run_planned(&e, pl, npl)))
			break;
	}
	if (ret)
		goto out;
	sum->stopped = stopping(&e);
	/* With a sink, the collector marks the campaign finished. */
	if (!sum->stopped && e.st)
		sum->finished = finish_if_complete(&e);
out:
	sum->progress = progress(&e);
	gb_meter_free(e.meter);
	for (size_t i = 0; e.plan && i < e.plan->nmodels; i++) {
		if (e.model_paths)
			free(e.model_paths[i]);
		if (e.model_errs)
			free(e.model_errs[i]);
	}
	for (size_t i = 0; e.plan && e.rt_errs && i < e.plan->nruntimes; i++)
		free(e.rt_errs[i]);
	free(e.rt_errs);
	free(e.model_paths);
	free(e.model_errs);
	free(pl);
	free(text);
	if (!opts->plan) {
		gb_store_close(e.st);
		gb_plan_free(e.plan);
	}
	return ret;
}
