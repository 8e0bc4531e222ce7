/*
 * Slots (slots.h): one thread per running child, a mutex and a condition
 * variable on CLOCK_MONOTONIC to tell the engine's thread which ended.
 */
#include "campaign/slots.h"

#include "greenbench/cputree.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/sys.h"
#include "greenbench/time.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SLOTS 64
#define NENV 5

struct slot {
	struct gb_slots *owner;
	char gpu[96];
	char env[NENV][160];
	const char *envp[NENV + 1];
	pthread_t th;
	int busy, ended, ret;
	char *const *argv;
	uint64_t timeout_ns;
	volatile sig_atomic_t *stop;
	struct gb_run_outcome o;
};

struct gb_slots {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t n;
	struct slot s[];
};

int gb_slots_new(const char *gpus, struct gb_slots **out)
{
	struct gb_slots *s;
	pthread_condattr_t ca;
	size_t n = 1;
	const char *p;

	for (p = gpus; *p; p++)
		n += *p == ',';
	if (n > MAX_SLOTS)
		return gb_error_set(-EINVAL, "more than %d GPUs in '%s'", MAX_SLOTS, gpus);
	if (!(s = calloc(1, sizeof *s + n * sizeof s->s[0])))
		return gb_error_set(-ENOMEM, "out of memory");
	s->n = n;
	p = gpus;
	for (size_t i = 0; i < n; i++) {
		struct slot *sl = &s->s[i];
		size_t len = strcspn(p, ",");

		while (len && *p == ' ')
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		if (!len || len >= sizeof sl->gpu) {
			free(s);
			return gb_error_set(-EINVAL, "invalid GPU list '%s': expected GPUs separated by commas", gpus);
		}
		sl->owner = s;
		snprintf(sl->gpu, sizeof sl->gpu, "%.*s", (int)len, p);
		snprintf(sl->env[0], sizeof sl->env[0], "CUDA_VISIBLE_DEVICES=%s", sl->gpu);
		snprintf(sl->env[1], sizeof sl->env[1], "%s=%s", GB_ENV_GPUS, sl->gpu);
		snprintf(sl->env[2], sizeof sl->env[2], "CUDA_DEVICE_ORDER=PCI_BUS_ID");
		snprintf(sl->env[3], sizeof sl->env[3], "%s=process", GB_ENV_CPU_ENERGY);
		/* The sibling runs are this campaign's children, not interference:
		 * each run judges others' CPU time outside the campaign's tree. A
		 * package counter would not tell them apart, but CPU energy is
		 * estimated per process here anyway. */
		snprintf(sl->env[4], sizeof sl->env[4], "%s=%ld", GB_ENV_OWN_TREE, (long)getpid());
		for (size_t k = 0; k < NENV; k++)
			sl->envp[k] = sl->env[k];
		/* One run at a time on the host: the node's CPU energy is its own,
		 * and so is all the CPU time outside its tree. */
		if (n == 1)
			sl->envp[3] = NULL;
		p += strcspn(p, ",");
		p += *p == ',';
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = s;
	return 0;
}

/* The GPUs a meter of NVML alone measures with the GPU list gpus (NULL:
 * every GPU); -1 when it cannot be opened. *refused: the list was. */
static long gpus_measured(const struct gb_meter_config *base, const char *gpus, int *refused)
{
	struct gb_meter_config mc;
	struct gb_meter *m = NULL;
	long n = 0;

	if (base)
		mc = *base;
	else
		gb_meter_config_init(&mc);
	for (size_t i = 0; i < gb_source_table_len; i++)
		if (gb_source_table[i]->group != GB_GROUP_GPU)
			mc.disable |= 1u << i;
	mc.gpus = gpus;
	mc.gpus_from = gpus ? "--gpus" : NULL;
	if (gb_meter_open(&mc, &m))
		return -1;
	*refused = gb_meter_gpus_check(m) < 0;
	for (size_t d = 0; !*refused && d < gb_meter_domain_count(m); d++)
		n += gb_meter_domain(m, d)->kind == GB_DOMAIN_GPU;
	gb_meter_free(m);
	return n;
}

int gb_slots_check_gpus(const char *gpus, const struct gb_meter_config *base)
{
	long listed, here;
	size_t n = 1;
	const char *p = gpus;
	int refused = 0, ignored = 0;

	for (p = gpus; *p; p++)
		n += *p == ',';
	listed = gpus_measured(base, gpus, &refused);
	if (refused)
		return -EINVAL;	/* the meter's reason is set */
	if (listed < 0 || (size_t)listed == n)
		return 0;
	here = gpus_measured(base, NULL, &ignored);
	if (here <= 0)
		return 0;	/* NVML cannot say */
	/* The first entry not measured is the first out of range. */
	p = gpus;
	for (long k = 0; k < listed; k++)
		p += strcspn(p, ",") + 1;
	return gb_error_set(-EINVAL, "invalid --gpus '%s': GPU '%.*s' is not one of this host's %ld GPU%s (0 to %ld)",
			    gpus, (int)strcspn(p, ","), p, here, here == 1 ? "" : "s", here - 1);
}

void gb_slots_free(struct gb_slots *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		gb_run_outcome_release(&s->s[i].o);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

size_t gb_slots_count(const struct gb_slots *s)
{
	return s->n;
}

const char *gb_slots_gpu(const struct gb_slots *s, size_t i)
{
	return s->s[i].gpu;
}

int gb_slots_busy(const struct gb_slots *s, size_t i)
{
	return s->s[i].busy;
}

static void *slot_main(void *arg)
{
	struct slot *sl = arg;
	int ret = gb_campaign_exec_env(sl->argv, sl->envp, sl->timeout_ns, sl->stop, NULL, NULL, &sl->o);

	pthread_mutex_lock(&sl->owner->mu);
	sl->ret = ret;
	sl->ended = 1;
	pthread_cond_signal(&sl->owner->cv);
	pthread_mutex_unlock(&sl->owner->mu);
	return NULL;
}

int gb_slots_start(struct gb_slots *s, size_t i, char *const argv[], uint64_t timeout_ns,
		   volatile sig_atomic_t *stop)
{
	struct slot *sl = &s->s[i];
	int rc;

	if (sl->busy)
		return gb_error_set(-EBUSY, "GPU %s already runs a run", sl->gpu);
	gb_run_outcome_release(&sl->o);
	sl->argv = argv;
	sl->timeout_ns = timeout_ns;
	sl->stop = stop;
	sl->ended = 0;
	if ((rc = gb_thread_start(&sl->th, slot_main, sl)))
		return gb_error_set(rc, "cannot start a thread for GPU %s: %s", sl->gpu, strerror(-rc));
	sl->busy = 1;
	return 0;
}

int gb_slots_wait(struct gb_slots *s, uint64_t timeout_ns, size_t *i)
{
	uint64_t deadline = gb_now_ns() + timeout_ns;
	struct timespec ts = { (time_t)(deadline / GB_NS_PER_S), (long)(deadline % GB_NS_PER_S) };
	int ret = -ETIMEDOUT, any = 0;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		for (size_t k = 0; k < s->n; k++) {
			any |= s->s[k].busy;
			if (s->s[k].busy && s->s[k].ended) {
				*i = k;
				ret = 0;
				goto out;
			}
		}
		if (!any) {
			ret = -ENOENT;
			goto out;
		}
		if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
			break;
	}
out:
	pthread_mutex_unlock(&s->mu);
	return ret;
}

int gb_slots_finish(struct gb_slots *s, size_t i, struct gb_run_outcome **o)
{
	struct slot *sl = &s->s[i];

	pthread_join(sl->th, NULL);
	sl->busy = 0;
	*o = &sl->o;
	return sl->ret;
}
