/*
 * The advisor's candidates, from the rows' declared axes only
 * (greenbench/runtime.h): enumeration, labels, a configuration given as
 * text (--baseline), and a candidate as `greenbench run` arguments and as
 * an experiment-file entry.
 */
#include "advise/advise_impl.h"
#include "greenbench/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gb_advise_in_list(const char *const *list, const char *name)
{
	if (!list)
		return 1;
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], name))
			return 1;
	return 0;
}

void gb_advise_label(struct gb_advise_candidate *c)
{
	size_t off = (size_t)snprintf(c->label, sizeof c->label, "%s/%s", c->rt->name, c->ep);

	for (size_t i = 0; i < c->nset && off < sizeof c->label; i++)
		off += (size_t)snprintf(c->label + off, sizeof c->label - off, " %s=%s", c->set[i].axis->name,
					c->set[i].value);
}

const char *gb_advise_get(const struct gb_advise_candidate *c, const char *axis)
{
	for (size_t i = 0; i < c->nset; i++)
		if (!strcmp(c->set[i].axis->name, axis))
			return c->set[i].value;
	return NULL;
}

static int add_setting(struct gb_advise_candidate *c, const struct gb_runtime_axis *a, const char *v)
{
	if (gb_advise_get(c, a->name))
		return 0;
	if (c->nset == GB_ADVISE_MAX_SET)
		return gb_error_set(-E2BIG, "too many settings (at most %d)", GB_ADVISE_MAX_SET);
	c->set[c->nset].axis = a;
	snprintf(c->set[c->nset].value, sizeof c->set[c->nset].value, "%s", v);
	c->nset++;
	return 0;
}

/* Keep settings in the row's axis order, so equal candidates get equal
 * labels however they were built. */
static void sort_settings(struct gb_advise_candidate *c)
{
	for (size_t i = 1; i < c->nset; i++)
		for (size_t j = i; j > 0 && c->set[j].axis < c->set[j - 1].axis; j--) {
			struct gb_advise_setting t = c->set[j];
			c->set[j] = c->set[j - 1];
			c->set[j - 1] = t;
		}
}

/* "io=device": is the other axis set so? (NULL: nothing needed) */
static int requirement_met(const struct gb_advise_candidate *c, const char *req)
{
	const char *eq = req ? strchr(req, '=') : NULL;
	char name[64];
	const char *v;

	if (!eq)
		return 1;
	snprintf(name, sizeof name, "%.*s", (int)(eq - req), req);
	v = gb_advise_get(c, name);
	return v && !strcmp(v, eq + 1);
}

/* Add what the settings require (enable_cuda_graph=1 needs io=device);
 * 0 when a requirement names an axis the row does not have here. */
static int complete(struct gb_advise_candidate *c, const struct gb_runtime_axis *const *ax, size_t nax)
{
	for (size_t i = 0; i < c->nset; i++) {
		const char *req = c->set[i].axis->requires, *eq = req ? strchr(req, '=') : NULL;
		int found = 0;

		if (!eq || requirement_met(c, req))
			continue;
		for (size_t k = 0; k < nax; k++)
			if (strlen(ax[k]->name) == (size_t)(eq - req) && !strncmp(ax[k]->name, req, (size_t)(eq - req))) {
				found = !add_setting(c, ax[k], eq + 1);
				break;
			}
		if (!found)
			return 0;
	}
	sort_settings(c);
	return 1;
}

int gb_advise_append(struct gb_advise_candidate **arr, size_t *n, size_t *cap, const struct gb_advise_candidate *c)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct gb_advise_candidate *na = realloc(*arr, nc * sizeof *na);

		if (!na)
			return gb_error_set(-ENOMEM, "out of memory");
		*arr = na;
		*cap = nc;
	}
	(*arr)[(*n)++] = *c;
	return 0;
}

static int push(struct gb_advise_candidate **arr, size_t *n, size_t *cap, const struct gb_advise_candidate *c)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*arr)[i].label, c->label))
			return 0;	/* the same candidate reached twice */
	return gb_advise_append(arr, n, cap, c);
}

double gb_advise_product(const struct gb_runtime_ops *rt, const char *ep, const char *const *axes, unsigned ncpus)
{
	const struct gb_runtime_axis *all[32];
	const char *vals[16];
	char store[16][16];
	size_t nall = gb_runtime_axes(rt, ep, all, 32);
	double product = 1;

	for (size_t i = 0; i < nall; i++)
		if (gb_advise_in_list(axes, all[i]->name))
			product *= (double)(gb_runtime_axis_values(all[i], ncpus, vals, store, 16) + 1);
	return product;
}

int gb_advise_enumerate(const struct gb_runtime_ops *rt, const char *ep, const char *const *axes,
			unsigned max_candidates, unsigned ncpus, struct gb_advise_candidate **out,
			size_t *n)
{
	const struct gb_runtime_axis *all[32], *ax[32];
	const char *vals[32][16];
	char store[32][16][16];
	size_t nall = gb_runtime_axes(rt, ep, all, 32), nax = 0, nv[32], cap = 0;
	struct gb_advise_candidate base, c, *arr = NULL;
	double product = 1;
	int ret = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < nall; i++)
		if (gb_advise_in_list(axes, all[i]->name)) {
			ax[nax] = all[i];
			nv[nax] = gb_runtime_axis_values(all[i], ncpus, vals[nax], store[nax], 16);
			product *= (double)(nv[nax] + 1);
			nax++;
		}
	memset(&base, 0, sizeof base);
	base.rt = rt;
	snprintf(base.ep, sizeof base.ep, "%s", ep);
	base.is_reference = 1;
	gb_advise_label(&base);
	if ((ret = push(&arr, n, &cap, &base)))
		goto out;
	base.is_reference = 0;
	if (product <= (double)max_candidates) {
		/* every combination: a mixed-radix count, digit 0 = the default */
		size_t digit[32] = { 0 };

		for (;;) {
			size_t k = 0;

			while (k < nax && ++digit[k] > nv[k])
				digit[k++] = 0;
			if (k == nax)
				break;
			c = base;
			for (size_t i = 0; i < nax && !ret; i++)
				if (digit[i])
					ret = add_setting(&c, ax[i], vals[i][digit[i] - 1]);
			if (ret)
				goto out;
			/* a combination missing what it needs is another's twin or invalid */
			int ok = 1;
			for (size_t i = 0; i < c.nset; i++)
				ok &= requirement_met(&c, c.set[i].axis->requires);
			if (!ok)
				continue;
			sort_settings(&c);
			gb_advise_label(&c);
			if ((ret = push(&arr, n, &cap, &c)))
				goto out;
		}
	} else {
		/* too many: each value away from the default, one axis at a time */
		for (size_t i = 0; i < nax; i++)
			for (size_t v = 0; v < nv[i]; v++) {
				c = base;
				if ((ret = add_setting(&c, ax[i], vals[i][v])))
					goto out;
				if (!complete(&c, ax, nax))
					continue;
				gb_advise_label(&c);
				if ((ret = push(&arr, n, &cap, &c)))
					goto out;
			}
	}
	*out = arr;
	arr = NULL;
out:
	free(arr);
	if (ret)
		*n = 0;
	return ret;
}

int gb_advise_derive(const struct gb_advise_candidate *base, const struct gb_runtime_axis *axis,
		     const char *value, struct gb_advise_candidate *out)
{
	const struct gb_runtime_axis *ax[32];
	size_t nax = gb_runtime_axes(base->rt, base->ep, ax, 32);
	int ret;

	*out = *base;
	out->is_reference = out->is_baseline = 0;
	for (size_t i = 0; i < out->nset; i++)
		if (out->set[i].axis == axis) {
			out->set[i] = out->set[--out->nset];	/* replaced below */
			break;
		}
	if ((ret = add_setting(out, axis, value)))
		return ret;
	/* a setting the new value no longer needs stays: it is the base's */
	if (!complete(out, ax, nax))
		return gb_error_set(-EINVAL, "%s=%s needs %s, which %s does not declare here", axis->name, value,
				    axis->requires, base->rt->name);
	gb_advise_label(out);
	return 0;
}

double gb_advise_prior(const struct gb_advise_candidate *c, int *cls)
{
	double p = 1;

	*cls = 0;
	for (size_t i = 0; i < c->nset; i++) {
		double g = c->set[i].axis->gain;
		int k = g > 0 ? 0 : g == 0 ? 1 : 2;

		p *= 1 - g;
		if (k > *cls)
			*cls = k;
	}
	return p;
}

int gb_advise_run_time_only(const struct gb_advise_candidate *x, const struct gb_advise_candidate *y)
{
	if (x->rt != y->rt || strcmp(x->ep, y->ep) || strcmp(x->model, y->model))
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		const struct gb_advise_candidate *a = pass ? y : x, *b = pass ? x : y;

		for (size_t i = 0; i < a->nset; i++) {
			const char *v = gb_advise_get(b, a->set[i].axis->name);

			if ((!v || strcmp(v, a->set[i].value)) && a->set[i].axis->scope != GB_AXIS_RUN_TIME)
				return 0;
		}
	}
	return 1;
}

int gb_advise_parse_config(const char *text, const struct gb_runtime_ops *const *rows, size_t nrows,
			   struct gb_advise_candidate *c)
{
	char buf[512], *save = NULL, *tok, *slash;
	int ret;

	memset(c, 0, sizeof *c);
	snprintf(buf, sizeof buf, "%s", text);
	tok = strtok_r(buf, " \t", &save);
	if (!tok)
		return gb_error_set(-EINVAL, "empty configuration: expected RUNTIME/EP [KEY=VALUE ...] [batch=N]");
	if ((slash = strchr(tok, '/')))
		*slash = '\0';
	for (size_t i = 0; i < nrows && !c->rt; i++)
		if (rows[i] && !strcmp(rows[i]->name, tok))
			c->rt = rows[i];
	if (!c->rt)
		return gb_error_set(-EINVAL, "configuration '%s': unknown runtime '%s'", text, tok);
	snprintf(c->ep, sizeof c->ep, "%s", slash ? slash + 1 : "cpu");
	if (!gb_runtime_accepts_ep(c->rt, c->ep))
		return gb_error_set(-EINVAL, "configuration '%s': %s does not take ep '%s'", text, c->rt->name, c->ep);
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(tok, '=');
		const struct gb_runtime_axis *a;

		if (!eq || eq == tok || !eq[1])
			return gb_error_set(-EINVAL, "configuration '%s': '%s' is not KEY=VALUE", text, tok);
		*eq = '\0';
		if (!strcmp(tok, "batch")) {
			char *end;
			unsigned long b = strtoul(eq + 1, &end, 10);

			if (*end || !b || b > (1u << 20))
				return gb_error_set(-EINVAL, "configuration '%s': invalid batch '%s'", text, eq + 1);
			c->batch = (unsigned)b;
			continue;
		}
		if (!(a = gb_runtime_axis_find(c->rt, tok)))
			return gb_error_set(-EINVAL, "configuration '%s': %s declares no axis '%s'", text, c->rt->name, tok);
		if ((ret = add_setting(c, a, eq + 1)))
			return ret;
	}
	sort_settings(c);
	gb_advise_label(c);
	return 0;
}

/* ---- a candidate as arguments and as text ------------------------------- */

int gb_advise_run_args(const struct gb_advise_candidate *c, const struct gb_advise_ctx_model *m,
		       unsigned batch, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "greenbench run --model %s --runtime %s --ep %s", c->model,
				      c->rt->name, c->ep);

	for (size_t i = 0; i < c->nset && off < len; i++) {
		const struct gb_runtime_axis *a = c->set[i].axis;
		const char *flag = gb_runtime_axis_flag(a->via);

		if (a->via == GB_AXIS_VIA_MODEL_DTYPE)
			continue;	/* it is the model file */
		if (flag)
			off += (size_t)snprintf(buf + off, len - off, " %s %s", flag, c->set[i].value);
		else
			off += (size_t)snprintf(buf + off, len - off, " --ep-option %s=%s", a->name, c->set[i].value);
	}
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, " --batch %u", batch);
	if (m->vocab && off < len)
		off += (size_t)snprintf(buf + off, len - off, " --vocab %llu", (unsigned long long)m->vocab);
	for (size_t i = 0; i < m->ndims && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, " --dim %s=%llu", m->dims[i].name,
					(unsigned long long)m->dims[i].value);
	if (off >= len)
		return gb_error_set(-ENAMETOOLONG, "the command is too long");
	return 0;
}

int gb_advise_yaml_runtime(const struct gb_advise_candidate *c, const struct gb_advise_ctx_model *m,
			   int with_label, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "{runtime: %s, ep: '%s'", c->rt->name, c->ep);
	int opts = 0;

	if (with_label && off < len)
		off += (size_t)snprintf(buf + off, len - off, ", label: '%s'", c->label);
	for (size_t i = 0; i < c->nset && off < len; i++) {
		if (c->set[i].axis->via == GB_AXIS_VIA_MODEL_DTYPE)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s: '%s'", opts++ ? ", " : ", options: {",
					c->set[i].axis->name, c->set[i].value);
	}
	if (opts && off < len)
		off += (size_t)snprintf(buf + off, len - off, "}");
	if (m->vocab && off < len)
		off += (size_t)snprintf(buf + off, len - off, ", args: ['--vocab', '%llu']", (unsigned long long)m->vocab);
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, "}");
	if (off >= len)
		return gb_error_set(-ENAMETOOLONG, "the runtime entry is too long");
	return 0;
}
