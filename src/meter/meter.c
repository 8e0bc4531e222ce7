/*
 * The meter: opens the sources of the table, reads them at marks and from a
 * sampler thread, keeps the time series and turns windows into energy and
 * telemetry figures. See include/greenbench/meter.h for the contract.
 */
#include "greenbench/meter.h"
#include "greenbench/error.h"
#include "greenbench/sys.h"
#include "greenbench/time.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_INTERVAL_NS (20 * GB_NS_PER_MS)

struct gb_meter {
	struct gb_meter_config cfg;
	char root[4096];
	size_t nsrc;
	struct gb_source_status *status;
	void **state;
	size_t ndom;
	struct gb_domain_info *dom;
	size_t *dom_src;
	uint64_t interval_ns;

	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int running;
	int stop;

	/* Time series, row-major: t[r], rows[r * ndom + d]. */
	uint64_t *t;
	struct gb_sample *rows;
	size_t nrows, cap;

	/* Last read, to derive power from energy where a source has none. */
	struct gb_sample *prev;
	uint64_t prev_t;
	int have_prev;

	double *idle_w;
	int *idle_valid;

	/* The sampler's own cost, so greenbench can report its overhead. */
	uint64_t sampler_cpu_ns;
	uint64_t sampler_reads;
};

void gb_meter_config_init(struct gb_meter_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->interval_ns = DEFAULT_INTERVAL_NS;
}

void gb_meter_config_env(struct gb_meter_config *cfg)
{
	/* CUDA_VISIBLE_DEVICES before Slurm's lists: where Slurm confines
	 * devices by cgroup it renumbers CUDA's (and NVML's) view from 0
	 * while SLURM_*_GPUS keep the node's numbers. */
	static const char *const vars[] = {
		GB_ENV_GPUS, "CUDA_VISIBLE_DEVICES", "SLURM_STEP_GPUS", "SLURM_JOB_GPUS",
	};
	const char *v = getenv(GB_ENV_CPU_ENERGY);

	if (!cfg->gpus) {
		for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
			const char *g = getenv(vars[i]);

			if (g) {
				cfg->gpus = g;
				cfg->gpus_from = vars[i];
				break;
			}
		}
	}
	if (v && !strcmp(v, "process"))
		cfg->cpu_per_process = 1;
}

const char *gb_method_name(enum gb_energy_method m)
{
	switch (m) {
	case GB_METHOD_COUNTER: return "counter";
	case GB_METHOD_INTEGRATED: return "integrated";
	case GB_METHOD_ESTIMATED: return "estimated";
	default: return "none";
	}
}

const char *gb_domain_kind_name(enum gb_domain_kind k)
{
	switch (k) {
	case GB_DOMAIN_CPU_PACKAGE: return "package";
	case GB_DOMAIN_CPU_CORE: return "core";
	case GB_DOMAIN_CPU_UNCORE: return "uncore";
	case GB_DOMAIN_DRAM: return "dram";
	case GB_DOMAIN_PSYS: return "psys";
	case GB_DOMAIN_GPU: return "gpu";
	case GB_DOMAIN_CPU_ESTIMATED: return "cpu";
	default: return "other";
	}
}

const char *gb_domain_relation(const struct gb_domain_info *d)
{
	if (d->parent < 0)
		return NULL;
	return d->kind == GB_DOMAIN_PSYS ? "overlaps" : "inside";
}

/* Read every active source into out[0 .. ndom-1]. A source whose read
 * fails leaves its domains invalid for this row; the others still count. */
static void read_all_locked(struct gb_meter *m, uint64_t t_ns, struct gb_sample *out, int mark)
{
	for (size_t i = 0; i < m->nsrc; i++) {
		struct gb_source_status *st = &m->status[i];
		int (*rd)(void *, uint64_t, struct gb_sample *);

		if (st->state != GB_SOURCE_ACTIVE)
			continue;
		rd = mark && st->ops->read_mark ? st->ops->read_mark : st->ops->read;
		if (rd(m->state[i], t_ns, out + st->first_domain) < 0)
			memset(out + st->first_domain, 0, st->ndomains * sizeof *out);
	}
	for (size_t d = 0; d < m->ndom; d++) {
		struct gb_sample *s = &out[d];
		const struct gb_sample *p = &m->prev[d];

		/* Only where the source has no power reading at all: deltas of a
		 * coarse counter (NVML steps every 100 ms) would show false peaks. */
		if ((s->valid & (GB_SAMPLE_POWER | GB_SAMPLE_POWER_AVG | GB_SAMPLE_ENERGY)) != GB_SAMPLE_ENERGY)
			continue;
		if (!m->have_prev || !(p->valid & GB_SAMPLE_ENERGY) || t_ns <= m->prev_t ||
		    s->energy_uj < p->energy_uj)
			continue;
		/* uJ per ns = kW; x 1e6 gives mW. */
		s->power_mw = (uint32_t)llround((double)(s->energy_uj - p->energy_uj) * 1e6 /
						(double)(t_ns - m->prev_t));
		s->valid |= GB_SAMPLE_POWER | GB_SAMPLE_POWER_DERIVED;
	}
	memcpy(m->prev, out, m->ndom * sizeof *out);
	m->prev_t = t_ns;
	m->have_prev = 1;
}

static int append_row_locked(struct gb_meter *m, uint64_t t_ns, const struct gb_sample *row)
{
	if (m->nrows == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 1024;
		uint64_t *nt = realloc(m->t, ncap * sizeof *nt);
		struct gb_sample *nr;

		if (!nt)
			return -ENOMEM;
		m->t = nt;
		nr = realloc(m->rows, ncap * (m->ndom ? m->ndom : 1) * sizeof *nr);
		if (!nr)
			return -ENOMEM;
		m->rows = nr;
		m->cap = ncap;
	}
	m->t[m->nrows] = t_ns;
	if (m->ndom)
		memcpy(m->rows + m->nrows * m->ndom, row, m->ndom * sizeof *row);
	m->nrows++;
	return 0;
}

static int open_sources(struct gb_meter *m)
{
	const char *rapl_used = NULL;
	size_t nd = 0;

	for (size_t i = 0; i < m->nsrc; i++) {
		const struct gb_source_ops *ops = gb_source_table[i];
		struct gb_source_status *st = &m->status[i];

		st->ops = ops;
		if (m->cfg.disable & (1u << i)) {
			st->state = GB_SOURCE_DISABLED;
			snprintf(st->reason, sizeof st->reason, "disabled by configuration");
			continue;
		}
		if (ops->group == GB_GROUP_CPU_RAPL && m->cfg.cpu_per_process) {
			/* A package counter sees every process of the node. */
			st->state = GB_SOURCE_DISABLED;
			snprintf(st->reason, sizeof st->reason,
				 "CPU energy is estimated per process (shared node or several runs at once)");
			continue;
		}
		if (ops->group == GB_GROUP_CPU_ESTIMATE && rapl_used) {
			st->state = GB_SOURCE_REDUNDANT;
			snprintf(st->reason, sizeof st->reason, "CPU energy is measured by %s", rapl_used);
			continue;
		}
		gb_error_clear();
		if (ops->open(&m->cfg, &m->state[i]) < 0) {
			st->state = GB_SOURCE_UNAVAILABLE;
			st->error_kind = gb_error_kind();
			snprintf(st->reason, sizeof st->reason, "%s", gb_error_msg());
			m->state[i] = NULL;
			continue;
		}
		if (ops->describe)
			ops->describe(m->state[i], st->detail, sizeof st->detail);
		if (ops->group == GB_GROUP_CPU_RAPL && rapl_used) {
			/* Probed so `devices` can say it works, but the same
			 * hardware must not be counted twice. */
			st->state = GB_SOURCE_REDUNDANT;
			snprintf(st->reason, sizeof st->reason, "works; %s already reads these counters", rapl_used);
			ops->close(m->state[i]);
			m->state[i] = NULL;
			continue;
		}
		if (ops->group == GB_GROUP_CPU_RAPL)
			rapl_used = ops->name;
		st->state = GB_SOURCE_ACTIVE;
		st->first_domain = nd;
		st->ndomains = ops->domain_count(m->state[i]);
		nd += st->ndomains;
	}
	m->ndom = nd;
	m->dom = calloc(nd ? nd : 1, sizeof *m->dom);
	m->dom_src = calloc(nd ? nd : 1, sizeof *m->dom_src);
	m->prev = calloc(nd ? nd : 1, sizeof *m->prev);
	m->idle_w = calloc(nd ? nd : 1, sizeof *m->idle_w);
	m->idle_valid = calloc(nd ? nd : 1, sizeof *m->idle_valid);
	if (!m->dom || !m->dom_src || !m->prev || !m->idle_w || !m->idle_valid)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < m->nsrc; i++) {
		struct gb_source_status *st = &m->status[i];

		if (st->state != GB_SOURCE_ACTIVE)
			continue;
		for (size_t k = 0; k < st->ndomains; k++) {
			struct gb_domain_info *di = &m->dom[st->first_domain + k];

			st->ops->domain_info(m->state[i], k, di);
			/* Parents are source-local; make them meter-wide. */
			if (di->parent >= 0)
				di->parent += (int)st->first_domain;
			m->dom_src[st->first_domain + k] = i;
		}
		if (st->ops->max_interval_ns) {
			uint64_t lim = st->ops->max_interval_ns(m->state[i]);
			if (lim && lim < m->interval_ns)
				m->interval_ns = lim;
		}
	}
	return 0;
}

int gb_meter_open(const struct gb_meter_config *cfg, struct gb_meter **out)
{
	struct gb_meter *m = calloc(1, sizeof *m);
	pthread_condattr_t ca;
	int ret;

	if (!m)
		return gb_error_set(-ENOMEM, "out of memory");
	if (cfg)
		m->cfg = *cfg;
	else
		gb_meter_config_init(&m->cfg);
	snprintf(m->root, sizeof m->root, "%s", m->cfg.sysfs_root ? m->cfg.sysfs_root : gb_sys_root());
	m->cfg.sysfs_root = m->root;
	m->interval_ns = m->cfg.interval_ns ? m->cfg.interval_ns : DEFAULT_INTERVAL_NS;
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->wake, &ca);
	pthread_condattr_destroy(&ca);
	m->nsrc = gb_source_table_len;
	m->status = calloc(m->nsrc ? m->nsrc : 1, sizeof *m->status);
	m->state = calloc(m->nsrc ? m->nsrc : 1, sizeof *m->state);
	if (!m->status || !m->state) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto fail;
	}
	ret = open_sources(m);
	if (ret < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	gb_meter_free(m);
	return ret;
}

void gb_meter_free(struct gb_meter *m)
{
	if (!m)
		return;
	gb_meter_stop(m);
	for (size_t i = 0; i < m->nsrc; i++)
		if (m->state && m->state[i])
			m->status[i].ops->close(m->state[i]);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->wake);
	free(m->status);
	free(m->state);
	free(m->dom);
	free(m->dom_src);
	free(m->prev);
	free(m->idle_w);
	free(m->idle_valid);
	free(m->t);
	free(m->rows);
	free(m);
}

size_t gb_meter_source_count(const struct gb_meter *m)
{
	return m->nsrc;
}

int gb_meter_gpus_check(const struct gb_meter *m)
{
	for (size_t i = 0; i < m->nsrc; i++)
		if (m->status[i].state == GB_SOURCE_UNAVAILABLE && m->status[i].error_kind == GB_ERROR_KIND_GPU_LIST)
			return gb_error_mark(gb_error_set(-EINVAL, "%s", m->status[i].reason), GB_ERROR_KIND_GPU_LIST);
	return 0;
}

const struct gb_source_status *gb_meter_source(const struct gb_meter *m, size_t i)
{
	return i < m->nsrc ? &m->status[i] : NULL;
}

const struct gb_meter_config *gb_meter_config_get(const struct gb_meter *m)
{
	return &m->cfg;
}

size_t gb_meter_domain_count(const struct gb_meter *m)
{
	return m->ndom;
}

const struct gb_domain_info *gb_meter_domain(const struct gb_meter *m, size_t i)
{
	return i < m->ndom ? &m->dom[i] : NULL;
}

uint64_t gb_meter_interval_ns(const struct gb_meter *m)
{
	return m->interval_ns;
}

int gb_mark_init(struct gb_mark *mk, const struct gb_meter *m)
{
	mk->t_ns = 0;
	mk->n = m->ndom;
	mk->s = calloc(m->ndom ? m->ndom : 1, sizeof *mk->s);
	return mk->s ? 0 : gb_error_set(-ENOMEM, "out of memory");
}

void gb_mark_release(struct gb_mark *mk)
{
	free(mk->s);
	mk->s = NULL;
	mk->n = 0;
}

int gb_meter_mark(struct gb_meter *m, struct gb_mark *out)
{
	int ret;

	if (out->n != m->ndom)
		return gb_error_set(-EINVAL, "mark was initialised for another meter");
	pthread_mutex_lock(&m->lock);
	out->t_ns = gb_now_ns();
	read_all_locked(m, out->t_ns, out->s, 1);
	ret = append_row_locked(m, out->t_ns, out->s);
	pthread_mutex_unlock(&m->lock);
	return ret < 0 ? gb_error_set(ret, "out of memory for the time series") : 0;
}

static void *sampler_main(void *arg)
{
	struct gb_meter *m = arg;
	struct gb_sample *row = calloc(m->ndom ? m->ndom : 1, sizeof *row);
	uint64_t next = gb_now_ns();

	if (!row)
		return NULL;
	pthread_mutex_lock(&m->lock);
	while (!m->stop) {
		uint64_t now = gb_now_ns();

		if (now >= next) {
			read_all_locked(m, now, row, 0);
			append_row_locked(m, now, row);
			m->sampler_reads++;
			/* Fixed-rate schedule; if we fell behind (machine
			 * overloaded), skip missed slots rather than burst. */
			next += m->interval_ns;
			if (next <= now)
				next = now + m->interval_ns;
			continue;
		}
		struct timespec ts = { .tv_sec = (time_t)(next / GB_NS_PER_S),
				       .tv_nsec = (long)(next % GB_NS_PER_S) };
		pthread_cond_timedwait(&m->wake, &m->lock, &ts);
	}
	{
		struct timespec cpu;

		if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
			m->sampler_cpu_ns += (uint64_t)cpu.tv_sec * GB_NS_PER_S + (uint64_t)cpu.tv_nsec;
	}
	pthread_mutex_unlock(&m->lock);
	free(row);
	return NULL;
}

int gb_meter_start(struct gb_meter *m)
{
	int ret;

	if (m->running)
		return 0;
	m->stop = 0;
	ret = gb_thread_start(&m->thread, sampler_main, m);
	if (ret)
		return gb_error_set(ret, "cannot start the sampler thread: %s", strerror(-ret));
	m->running = 1;
	return 0;
}

int gb_meter_stop(struct gb_meter *m)
{
	if (!m->running)
		return 0;
	pthread_mutex_lock(&m->lock);
	m->stop = 1;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	m->running = 0;
	return 0;
}

int gb_meter_series(struct gb_meter *m, const uint64_t **t_ns,
		    const struct gb_sample **samples, size_t *nrows)
{
	pthread_mutex_lock(&m->lock);
	*t_ns = m->t;
	*samples = m->rows;
	*nrows = m->nrows;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

void gb_meter_series_clear(struct gb_meter *m)
{
	pthread_mutex_lock(&m->lock);
	m->nrows = 0;
	pthread_mutex_unlock(&m->lock);
}

struct running_stat {
	size_t n;
	double mean, m2, max;
};

static void rs_add(struct running_stat *r, double x)
{
	double d = x - r->mean;

	if (r->n == 0 || x > r->max)
		r->max = x;
	r->n++;
	r->mean += d / (double)r->n;
	r->m2 += d * (x - r->mean);
}

static double rs_sd(const struct running_stat *r)
{
	return r->n > 1 ? sqrt(r->m2 / (double)(r->n - 1)) : 0.0;
}

static void window_domain(struct gb_meter *m, size_t d, const struct gb_mark *a,
			  const struct gb_mark *b, struct gb_domain_energy *e)
{
	const struct gb_sample *sa = &a->s[d], *sb = &b->s[d];
	struct running_stat pw = { 0 }, ug = { 0 }, um = { 0 }, mem = { 0 };
	double dur_s = (double)(b->t_ns - a->t_ns) / 1e9;
	uint64_t mem_max = 0, t_first = 0, t_last = 0, t_prev = 0;
	double temp_max = -1e9, integ_j = 0, w_prev = 0;
	size_t ninst = 0;

	memset(e, 0, sizeof *e);
	e->method = m->dom[d].method;
	if (!(sa->valid & sb->valid & GB_SAMPLE_ENERGY)) {
		snprintf(e->invalid_reason, sizeof e->invalid_reason, "no valid reading at the window's ends");
	} else if (sb->energy_uj < sa->energy_uj) {
		snprintf(e->invalid_reason, sizeof e->invalid_reason, "counter went backwards (reset?)");
	} else if (m->dom[d].energy_update_ns && b->t_ns - a->t_ns < m->dom[d].energy_update_ns) {
		/* 0 J from a counter that did not tick is not a measurement. */
		snprintf(e->invalid_reason, sizeof e->invalid_reason,
			 "window of %.1f ms is shorter than the counter's %.0f ms update period",
			 (b->t_ns - a->t_ns) / 1e6, m->dom[d].energy_update_ns / 1e6);
	} else {
		e->energy_valid = 1;
		e->energy_j = (double)(sb->energy_uj - sa->energy_uj) / 1e6;
		if (m->idle_valid[d]) {
			e->net_valid = 1;
			e->net_energy_j = e->energy_j - m->idle_w[d] * dur_s;
		}
	}
	for (size_t r = 0; r < m->nrows; r++) {
		const struct gb_sample *s = &m->rows[r * m->ndom + d];

		if (m->t[r] < a->t_ns || m->t[r] > b->t_ns)
			continue;
		e->nsamples++;
		/* Instant power the source read (not derived from the energy
		 * itself), for the cross-check against the counter. */
		if ((s->valid & GB_SAMPLE_POWER) && !(s->valid & GB_SAMPLE_POWER_DERIVED)) {
			double w = s->power_mw / 1000.0;

			if (ninst++)
				integ_j += (w + w_prev) / 2.0 * (double)(m->t[r] - t_prev) / 1e9;
			else
				t_first = m->t[r];
			t_last = t_prev = m->t[r];
			w_prev = w;
		}
		if (s->valid & GB_SAMPLE_POWER)
			rs_add(&pw, s->power_mw / 1000.0);
		else if (s->valid & GB_SAMPLE_POWER_AVG)
			rs_add(&pw, s->power_avg_mw / 1000.0);
		if (s->valid & GB_SAMPLE_UTIL_GPU)
			rs_add(&ug, s->util_gpu_pct);
		if (s->valid & GB_SAMPLE_UTIL_MEM)
			rs_add(&um, s->util_mem_pct);
		if ((s->valid & GB_SAMPLE_MEM) && s->mem_total_bytes) {
			rs_add(&mem, 100.0 * (double)s->mem_used_bytes / (double)s->mem_total_bytes);
			if (s->mem_used_bytes > mem_max)
				mem_max = s->mem_used_bytes;
		}
		if (s->valid & GB_SAMPLE_TEMP) {
			e->temp_valid = 1;
			if (s->temp_c > temp_max)
				temp_max = s->temp_c;
		}
		if (s->valid & GB_SAMPLE_THROTTLE) {
			e->throttle_valid = 1;
			e->throttle_reasons_or |= s->throttle_reasons;
		}
	}
	/* Mean power from the energy figure where there is one: exact to the
	 * counter, unlike a mean of samples taken at uneven times. */
	if (e->energy_valid && dur_s > 0) {
		e->power_valid = 1;
		e->power_mean_w = e->energy_j / dur_s;
		e->power_peak_w = pw.n ? pw.max : e->power_mean_w;
	} else if (pw.n) {
		e->power_valid = 1;
		e->power_mean_w = pw.mean;
		e->power_peak_w = pw.max;
	}
	if (e->energy_valid && e->method == GB_METHOD_COUNTER && dur_s > 0 && ninst >= 10 && t_last > t_first) {
		e->cross_valid = 1;
		e->cross_counter_w = e->energy_j / dur_s;
		e->cross_power_w = integ_j / ((double)(t_last - t_first) / 1e9);
	}
	if (ug.n) {
		e->util_gpu_valid = 1;
		e->util_gpu_mean = ug.mean;
		e->util_gpu_sd = rs_sd(&ug);
	}
	if (um.n) {
		e->util_mem_valid = 1;
		e->util_mem_mean = um.mean;
		e->util_mem_sd = rs_sd(&um);
	}
	if (mem.n) {
		e->mem_valid = 1;
		e->mem_used_pct_mean = mem.mean;
		e->mem_used_pct_max = mem.max;
		e->mem_used_bytes_max = mem_max;
	}
	if (e->temp_valid)
		e->temp_max_c = temp_max;
}

int gb_meter_window(struct gb_meter *m, const struct gb_mark *a,
		    const struct gb_mark *b, struct gb_domain_energy *out)
{
	if (a->n != m->ndom || b->n != m->ndom)
		return gb_error_set(-EINVAL, "marks were initialised for another meter");
	if (b->t_ns < a->t_ns)
		return gb_error_set(-EINVAL, "window ends before it starts");
	pthread_mutex_lock(&m->lock);
	for (size_t d = 0; d < m->ndom; d++)
		window_domain(m, d, a, b, &out[d]);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int gb_meter_domain_processes(struct gb_meter *m, size_t i, uint32_t *pids, size_t cap, size_t *n)
{
	const struct gb_source_status *st;

	*n = 0;
	if (i >= m->ndom)
		return gb_error_set(-EINVAL, "no domain %zu", i);
	st = &m->status[m->dom_src[i]];
	if (!st->ops->processes)
		return -ENOTSUP;
	return st->ops->processes(m->state[m->dom_src[i]], i - st->first_domain, pids, cap, n);
}

int gb_meter_measure_idle(struct gb_meter *m, uint64_t dur_ns)
{
	struct gb_mark a, b;
	int ret;

	ret = gb_mark_init(&a, m);
	if (ret < 0)
		return ret;
	ret = gb_mark_init(&b, m);
	if (ret < 0)
		goto out;
	ret = gb_meter_mark(m, &a);
	if (ret < 0)
		goto out;
	/* This sleep is the measurement itself: the machine must be idle. */
	gb_sleep_until_ns(a.t_ns + dur_ns);
	ret = gb_meter_mark(m, &b);
	if (ret < 0)
		goto out;
	for (size_t d = 0; d < m->ndom; d++) {
		m->idle_valid[d] = 0;
		if ((a.s[d].valid & b.s[d].valid & GB_SAMPLE_ENERGY) && b.t_ns > a.t_ns &&
		    b.s[d].energy_uj >= a.s[d].energy_uj) {
			m->idle_w[d] = (double)(b.s[d].energy_uj - a.s[d].energy_uj) /
				       ((double)(b.t_ns - a.t_ns) / 1e3);
			m->idle_valid[d] = 1;
		}
	}
out:
	gb_mark_release(&a);
	gb_mark_release(&b);
	return ret;
}

int gb_meter_idle_power(const struct gb_meter *m, size_t i, double *watts)
{
	if (i >= m->ndom || !m->idle_valid[i])
		return -ENODATA;
	*watts = m->idle_w[i];
	return 0;
}

int gb_meter_set_idle_power(struct gb_meter *m, size_t i, double watts)
{
	if (i >= m->ndom)
		return gb_error_set(-EINVAL, "no domain %zu", i);
	if (!(watts >= 0))
		return gb_error_set(-EINVAL, "idle power must be a non-negative number of watts");
	m->idle_w[i] = watts;
	m->idle_valid[i] = 1;
	return 0;
}

static int is_cpu_kind(enum gb_domain_kind k)
{
	return k == GB_DOMAIN_CPU_PACKAGE || k == GB_DOMAIN_DRAM || k == GB_DOMAIN_PSYS ||
	       k == GB_DOMAIN_CPU_ESTIMATED || k == GB_DOMAIN_CPU_CORE || k == GB_DOMAIN_CPU_UNCORE;
}

int gb_meter_totals(const struct gb_meter *m, const struct gb_domain_energy *e,
		    struct gb_energy_totals *out)
{
	int have_pkg = 0;

	memset(out, 0, sizeof *out);
	for (size_t d = 0; d < m->ndom; d++)
		if (m->dom[d].kind == GB_DOMAIN_CPU_PACKAGE && e[d].energy_valid)
			have_pkg = 1;
	for (size_t d = 0; d < m->ndom; d++) {
		const struct gb_domain_info *di = &m->dom[d];

		if (!e[d].energy_valid || di->parent >= 0)
			continue;
		if (di->kind == GB_DOMAIN_PSYS && have_pkg)
			continue;
		out->methods |= 1u << e[d].method;
		if (e[d].method == GB_METHOD_ESTIMATED) {
			out->estimated_valid = 1;
			out->estimated_j += e[d].energy_j;
		} else {
			out->measured_valid = 1;
			out->measured_j += e[d].energy_j;
		}
		if (di->kind == GB_DOMAIN_GPU) {
			out->gpu_valid = 1;
			out->gpu_j += e[d].energy_j;
		} else if (is_cpu_kind(di->kind)) {
			out->cpu_valid = 1;
			out->cpu_j += e[d].energy_j;
			out->cpu_method = e[d].method;
		}
	}
	return 0;
}

void gb_meter_sampler_cost(const struct gb_meter *m, uint64_t *cpu_ns, uint64_t *reads)
{
	*cpu_ns = m->sampler_cpu_ns;
	*reads = m->sampler_reads;
}
