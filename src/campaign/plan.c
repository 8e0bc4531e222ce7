/*
 * Experiment files (YAML, libyaml's document API) into campaign plans.
 *
 * Every node keeps its position, so each error names file:line:column
 * (1-based) and what was expected there. The schema is in
 * docs/campaigns.md; keep the two in step.
 */
#include "greenbench/plan.h"
#include "greenbench/convert.h"
#include "greenbench/error.h"
#include "greenbench/runtime.h"
#include "greenbench/time.h"
#include "greenbench/zoo.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct pctx {
	yaml_document_t *doc;
	const char *path;
	struct gb_plan *p;
};

/* Valid names come from the tables (the zoo's, the runtimes' and each
 * runtime row's EP list), never from lists of our own. */

__attribute__((format(printf, 3, 4)))
static int perr(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return gb_error_set(-EINVAL, "%s:%zu:%zu: %s", c->path,
			    n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1, msg);
}

/* The zoo table's names; more models than fit are left out of the message. */
static void zoo_names(char *buf, size_t len)
{
	const char *names[32 + 1];
	size_t n = 0;

	for (size_t i = 0; i < gb_zoo_count() && n < 32; i++)
		names[n++] = gb_zoo_at(i)->name;
	names[n] = NULL;
	gb_runtime_join(names, buf, len);
}

static int in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

static yaml_node_t *node_at(struct pctx *c, yaml_node_item_t i)
{
	return yaml_document_get_node(c->doc, i);
}

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

static int want(struct pctx *c, const yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	if (n->type != t)
		return perr(c, n, "expected %s, found %s", what, kind_name(n));
	return 0;
}

static int get_str(struct pctx *c, const yaml_node_t *n, const char *what, char **out)
{
	int ret = want(c, n, YAML_SCALAR_NODE, what);

	if (ret)
		return ret;
	if (!n->data.scalar.length)
		return perr(c, n, "expected %s, found an empty value", what);
	free(*out);
	*out = strndup((const char *)n->data.scalar.value, n->data.scalar.length);
	return *out ? 0 : gb_error_set(-ENOMEM, "out of memory");
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int get_u64(struct pctx *c, const yaml_node_t *n, const char *what,
		   unsigned long long min, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;
	int ret = want(c, n, YAML_SCALAR_NODE, what);

	if (ret)
		return ret;
	errno = 0;
	v = strtoull(sval(n), &end, 10);
	if (!*sval(n) || *end || errno || sval(n)[0] == '-' || v < min || v > max)
		return perr(c, n, "invalid value '%s': expected %s (%llu to %llu)", sval(n), what, min, max);
	*out = v;
	return 0;
}

static int get_uint(struct pctx *c, const yaml_node_t *n, const char *what,
		    unsigned min, unsigned max, unsigned *out)
{
	unsigned long long v;
	int ret = get_u64(c, n, what, min, max, &v);

	if (!ret)
		*out = (unsigned)v;
	return ret;
}

static int get_duration(struct pctx *c, const yaml_node_t *n, uint64_t *out)
{
	int ret = want(c, n, YAML_SCALAR_NODE, "a duration such as 5s or 500ms");

	if (ret)
		return ret;
	if (gb_duration_parse(sval(n), out))
		return perr(c, n, "invalid duration '%s': expected a number with a unit such as 5s or 500ms", sval(n));
	return 0;
}

/* Checks a mapping's keys against `keys`; returns the first bad one as an error. */
static int check_keys(struct pctx *c, const yaml_node_t *map, const char *where,
		      const char *const *keys)
{
	char list[512];
	yaml_node_pair_t *pr;

	for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(c, pr->key);
		if (k->type != YAML_SCALAR_NODE)
			return perr(c, k, "expected a key name in %s, found %s", where, kind_name(k));
		if (!in_list(keys, sval(k))) {
			gb_runtime_join(keys, list, sizeof list);
			return perr(c, k, "unknown key '%s' in %s (expected one of: %s)", sval(k), where, list);
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pr; q++)
			if (!strcmp(sval(node_at(c, q->key)), sval(k)))
				return perr(c, k, "duplicate key '%s' in %s", sval(k), where);
	}
	return 0;
}

static yaml_node_t *lookup(struct pctx *c, const yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++)
		if (!strcmp(sval(node_at(c, pr->key)), key))
			return node_at(c, pr->value);
	return NULL;
}

static int get_kvs(struct pctx *c, const yaml_node_t *n, const char *what, int numeric,
		   struct gb_plan_kv **out, size_t *count)
{
	size_t cnt;
	yaml_node_pair_t *pr;
	int ret = want(c, n, YAML_MAPPING_NODE, what);

	if (ret)
		return ret;
	cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	*out = calloc(cnt ? cnt : 1, sizeof **out);
	if (!*out)
		return gb_error_set(-ENOMEM, "out of memory");
	*count = 0;
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);
		struct gb_plan_kv *kv = &(*out)[(*count)++];
		unsigned long long num;

		if ((ret = get_str(c, k, "a name", &kv->key)))
			return ret;
		if (numeric && (ret = get_u64(c, v, "a positive integer", 1, INT_MAX, &num)))
			return ret;
		if ((ret = get_str(c, v, "a value", &kv->value)))
			return ret;
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A path in the file is relative to the file, like `file:`. */
static int get_path(struct pctx *c, const yaml_node_t *n, const char *what, char **out)
{
	char *path = NULL;
	int ret;

	if ((ret = get_str(c, n, what, &path)))
		return ret;
	if (path[0] != '/' && strchr(c->path, '/')) {
		size_t dl = (size_t)(strrchr(c->path, '/') - c->path);
		size_t len = dl + strlen(path) + 2;

		*out = malloc(len);
		if (*out)
			snprintf(*out, len, "%.*s/%s", (int)dl, c->path, path);
		free(path);
	} else {
		*out = path;
	}
	return *out ? 0 : gb_error_set(-ENOMEM, "out of memory");
}

static int get_str_list(struct pctx *c, const yaml_node_t *v, const char *what, char ***out, size_t *n)
{
	size_t cnt;
	int ret;

	if ((ret = want(c, v, YAML_SEQUENCE_NODE, what)))
		return ret;
	cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	*out = calloc(cnt ? cnt : 1, sizeof **out);
	if (!*out)
		return gb_error_set(-ENOMEM, "out of memory");
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
		if ((ret = get_str(c, node_at(c, *it), "an argument", &(*out)[(*n)++])))
			return ret;
	return 0;
}

/* Accuracy data of a model: data (path), limit, data_args (run's flags). */
static int parse_model_data(struct pctx *c, const yaml_node_t *n, struct gb_plan_model *m)
{
	yaml_node_t *v;
	int ret;

	if ((v = lookup(c, n, "data")) && (ret = get_path(c, v, "a data path", &m->data)))
		return ret;
	if ((v = lookup(c, n, "limit"))) {
		if (!m->data)
			return perr(c, v, "limit needs data");
		if ((ret = get_uint(c, v, "a number of items", 1, UINT_MAX, &m->limit)))
			return ret;
	}
	if ((v = lookup(c, n, "data_args"))) {
		if (!m->data)
			return perr(c, v, "data_args needs data");
		if ((ret = get_str_list(c, v, "a list of arguments", &m->data_args, &m->ndata_args)))
			return ret;
	}
	return 0;
}

/* convert: NAME (a converter of the table) and its weights: FILE. */
static int parse_model_convert(struct pctx *c, const yaml_node_t *n, struct gb_plan_model *m)
{
	yaml_node_t *v;
	char list[128];
	int ret;

	if ((v = lookup(c, n, "convert"))) {
		if ((ret = get_str(c, v, "a converter name", &m->convert)))
			return ret;
		gb_converter_names(list, sizeof list);
		if (!gb_converter_find(m->convert))
			return perr(c, v, "unknown converter '%s' (expected one of: %s)", m->convert, list);
	}
	if ((v = lookup(c, n, "weights"))) {
		if (!m->convert)
			return perr(c, v, "weights are the converter's: they need convert");
		if ((ret = get_path(c, v, "a weights file path", &m->weights)))
			return ret;
	}
	return 0;
}

static int parse_model(struct pctx *c, const yaml_node_t *n, struct gb_plan_model *m)
{
	static const char *const keys[] = { "zoo", "file", "name", "dims", "data", "limit", "data_args",
					    "convert", "weights", NULL };
	char list[256];
	yaml_node_t *v;
	int ret;

	zoo_names(list, sizeof list);
	if (n->type == YAML_SCALAR_NODE) {
		if ((ret = get_str(c, n, "a zoo model name", &m->zoo)))
			return ret;
		v = (yaml_node_t *)n;
		goto check_zoo;
	}
	if ((ret = want(c, n, YAML_MAPPING_NODE, "a zoo model name or a mapping with zoo or file")))
		return ret;
	if ((ret = check_keys(c, n, "a model", keys)))
		return ret;
	if ((v = lookup(c, n, "dims")) && (ret = get_kvs(c, v, "a mapping of dimension names to sizes", 1, &m->dims, &m->ndims)))
		return ret;
	if ((v = lookup(c, n, "name")) && (ret = get_str(c, v, "a model name", &m->name)))
		return ret;
	if ((ret = parse_model_data(c, n, m)))
		return ret;
	if ((ret = parse_model_convert(c, n, m)))
		return ret;
	if ((v = lookup(c, n, "file"))) {
		if (lookup(c, n, "zoo"))
			return perr(c, v, "a model takes either zoo or file, not both");
		if (m->convert)
			return perr(c, lookup(c, n, "convert"), "convert takes a zoo model, not a file");
		if ((ret = get_path(c, v, "a model file path", &m->file)))
			return ret;
		if (!m->name && !(m->name = strdup(base_name(m->file))))
			return gb_error_set(-ENOMEM, "out of memory");
		return 0;
	}
	if (!(v = lookup(c, n, "zoo")))
		return perr(c, n, "a model needs zoo (one of: %s) or file", list);
	if ((ret = get_str(c, v, "a zoo model name", &m->zoo)))
		return ret;
check_zoo:
	if (!gb_zoo_find(m->zoo))
		return perr(c, v, "unknown zoo model '%s' (expected one of: %s)", m->zoo, list);
	if (!m->name && m->convert) {
		/* "resnet50-tf2onnx": its own row in every report. */
		size_t len = strlen(m->zoo) + strlen(m->convert) + 2;
		if ((m->name = malloc(len)))
			snprintf(m->name, len, "%s-%s", m->zoo, m->convert);
	} else if (!m->name) {
		m->name = strdup(m->zoo);
	}
	if (!m->name)
		return gb_error_set(-ENOMEM, "out of memory");
	return 0;
}

static int check_runtime(struct pctx *c, const yaml_node_t *rn, const yaml_node_t *en,
			 struct gb_plan_runtime *r)
{
	const struct gb_runtime_ops *rt = gb_runtime_find(r->runtime);
	char list[256];

	if (!rt) {
		gb_runtime_names(list, sizeof list);
		return perr(c, rn, "unknown runtime '%s' (expected one of: %s)", r->runtime, list);
	}
	if (!rt->eps)
		return 0;
	gb_runtime_join(rt->eps, list, sizeof list);
	if (!r->ep && rt->ep_required)
		return perr(c, rn, "runtime '%s' needs an ep (one of: %s)", rt->name, list);
	if (r->ep && !gb_runtime_accepts_ep(rt, r->ep))
		return perr(c, en ? en : rn, "unknown execution provider '%s' for %s (expected one of: %s)",
			    r->ep, rt->name, list);
	return 0;
}

static int make_label(struct gb_plan_runtime *r)
{
	size_t len;

	if (r->label)
		return 0;
	len = strlen(r->runtime) + (r->ep ? strlen(r->ep) : 0) + 2;
	r->label = malloc(len);
	if (!r->label)
		return gb_error_set(-ENOMEM, "out of memory");
	snprintf(r->label, len, "%s%s%s", r->runtime, r->ep ? "/" : "", r->ep ? r->ep : "");
	return 0;
}

/* Sweep axes: an option given a list of values makes one runtime entry per
 * combination, the first listed option varying slowest. *n is how many. */
static int sweep_count(struct pctx *c, const yaml_node_t *entry, size_t *n)
{
	yaml_node_t *opts = entry->type == YAML_MAPPING_NODE ? lookup(c, entry, "options") : NULL;

	*n = 1;
	if (!opts || opts->type != YAML_MAPPING_NODE)
		return 0;
	for (yaml_node_pair_t *pr = opts->data.mapping.pairs.start; pr < opts->data.mapping.pairs.top; pr++) {
		yaml_node_t *v = node_at(c, pr->value);
		size_t len;

		if (v->type != YAML_SEQUENCE_NODE)
			continue;
		len = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
		if (!len)
			return perr(c, v, "expected a list of option values, found an empty list");
		*n *= len;
		if (*n > 1000)
			return perr(c, v, "the sweep of this runtime has more than 1000 combinations");
	}
	return 0;
}

/* The options of combination `combo` (sweep_count), the last option
 * varying fastest; swept gets " key=value" for each option given a list. */
static int get_options(struct pctx *c, const yaml_node_t *n, size_t combo, struct gb_plan_runtime *r,
		       char *swept, size_t len)
{
	const struct gb_runtime_ops *rt = gb_runtime_find(r->runtime);
	const yaml_node_pair_t *pairs = n->data.mapping.pairs.start;
	size_t cnt, stride = 1, strides[64], off = 0;
	int ret = want(c, n, YAML_MAPPING_NODE, "a mapping of option names to values");

	if (ret)
		return ret;
	swept[0] = '\0';
	cnt = (size_t)(n->data.mapping.pairs.top - pairs);
	if (cnt > 64)
		return perr(c, n, "too many options (at most 64)");
	for (size_t i = cnt; i-- > 0;) {
		const yaml_node_t *v = node_at(c, pairs[i].value);

		strides[i] = stride;
		if (v->type == YAML_SEQUENCE_NODE)
			stride *= (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	}
	r->options = calloc(cnt ? cnt : 1, sizeof *r->options);
	if (!r->options)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *k = node_at(c, pairs[i].key), *v = node_at(c, pairs[i].value);
		struct gb_plan_kv *kv = &r->options[r->noptions++];
		const struct gb_runtime_axis *ax;

		if ((ret = get_str(c, k, "an option name", &kv->key)))
			return ret;
		ax = rt ? gb_runtime_axis_find(rt, kv->key) : NULL;
		if (ax && ax->via == GB_AXIS_VIA_MODEL_DTYPE)
			return perr(c, k, "option '%s' of %s needs a model converted to it: write one with "
				    "'greenbench zoo export NAME --dtype VALUE -o FILE' and list it under models",
				    kv->key, r->runtime);
		if (v->type != YAML_SEQUENCE_NODE) {
			if ((ret = get_str(c, v, "an option value or a list of them", &kv->value)))
				return ret;
			continue;
		}
		size_t items = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);

		v = node_at(c, v->data.sequence.items.start[(combo / strides[i]) % items]);
		if ((ret = get_str(c, v, "an option value", &kv->value)))
			return ret;
		off += (size_t)snprintf(swept + off, off < len ? len - off : 0, " %s=%s", kv->key, kv->value);
	}
	return 0;
}

static int add_suffix(char **label, const char *suffix)
{
	size_t len = strlen(*label) + strlen(suffix) + 1;
	char *l = malloc(len);

	if (!l)
		return gb_error_set(-ENOMEM, "out of memory");
	snprintf(l, len, "%s%s", *label, suffix);
	free(*label);
	*label = l;
	return 0;
}

static int parse_runtime(struct pctx *c, const yaml_node_t *n, size_t combo, struct gb_plan_runtime *r)
{
	static const char *const keys[] = { "runtime", "ep", "options", "args", "label", NULL };
	yaml_node_t *v, *rn, *en = NULL;
	char swept[256] = "";
	int ret;

	if (n->type == YAML_SCALAR_NODE) {
		/* Shorthand "ort/cuda" or "torch". */
		const char *s = sval(n), *slash = strchr(s, '/');
		r->runtime = slash ? strndup(s, (size_t)(slash - s)) : strdup(s);
		r->ep = slash ? strdup(slash + 1) : NULL;
		if (!r->runtime || (slash && !r->ep))
			return gb_error_set(-ENOMEM, "out of memory");
		if ((ret = check_runtime(c, n, n, r)))
			return ret;
		return make_label(r);
	}
	if ((ret = want(c, n, YAML_MAPPING_NODE, "a runtime such as ort/cuda or a mapping with runtime and ep")))
		return ret;
	if ((ret = check_keys(c, n, "a runtime", keys)))
		return ret;
	if (!(rn = lookup(c, n, "runtime"))) {
		char list[256];
		gb_runtime_names(list, sizeof list);
		return perr(c, n, "a runtime entry needs 'runtime' (one of: %s)", list);
	}
	if ((ret = get_str(c, rn, "a runtime name", &r->runtime)))
		return ret;
	if ((en = lookup(c, n, "ep")) && (ret = get_str(c, en, "an execution provider name", &r->ep)))
		return ret;
	if ((ret = check_runtime(c, rn, en, r)))
		return ret;
	if ((v = lookup(c, n, "options")) && (ret = get_options(c, v, combo, r, swept, sizeof swept)))
		return ret;
	if ((v = lookup(c, n, "label")) && (ret = get_str(c, v, "a label", &r->label)))
		return ret;
	if ((v = lookup(c, n, "args")) && (ret = get_str_list(c, v, "a list of arguments", &r->args, &r->nargs)))
		return ret;
	if ((ret = make_label(r)) || !swept[0])
		return ret;
	return add_suffix(&r->label, swept);
}

/* Parse a list node with one callback per item into a freshly allocated array. */
static int parse_list(struct pctx *c, const yaml_node_t *n, const char *what, size_t elem,
		      void **arr, size_t *count,
		      int (*item)(struct pctx *, const yaml_node_t *, void *))
{
	size_t cnt;
	int ret;

	if ((ret = want(c, n, YAML_SEQUENCE_NODE, what)))
		return ret;
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (!cnt)
		return perr(c, n, "expected %s, found an empty list", what);
	*arr = calloc(cnt, elem);
	if (!*arr)
		return gb_error_set(-ENOMEM, "out of memory");
	*count = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		ret = item(c, node_at(c, *it), (char *)*arr + elem * (*count)++);
		if (ret)
			return ret;
	}
	return 0;
}

static int model_item(struct pctx *c, const yaml_node_t *n, void *out)
{
	return parse_model(c, n, out);
}

/* The runtimes list, each entry expanded into its sweep's combinations. */
static int parse_runtimes(struct pctx *c, const yaml_node_t *n)
{
	struct gb_plan *p = c->p;
	size_t total = 0, k;
	int ret;

	if ((ret = want(c, n, YAML_SEQUENCE_NODE, "a list of runtimes")))
		return ret;
	if (n->data.sequence.items.top == n->data.sequence.items.start)
		return perr(c, n, "expected a list of runtimes, found an empty list");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		if ((ret = sweep_count(c, node_at(c, *it), &k)))
			return ret;
		total += k;
	}
	p->runtimes = calloc(total, sizeof *p->runtimes);
	if (!p->runtimes)
		return gb_error_set(-ENOMEM, "out of memory");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		sweep_count(c, node_at(c, *it), &k);
		for (size_t j = 0; j < k; j++) {
			struct gb_plan_runtime *r = &p->runtimes[p->nruntimes++];

			if ((ret = parse_runtime(c, node_at(c, *it), j, r)))
				return ret;
			for (struct gb_plan_runtime *q = p->runtimes; q < r; q++)
				if (!strcmp(q->label, r->label))
					return perr(c, node_at(c, *it), "runtime label '%s' is used twice (give one a label)",
						    r->label);
		}
	}
	return 0;
}

static int batch_item(struct pctx *c, const yaml_node_t *n, void *out)
{
	return get_uint(c, n, "a batch size", 1, 1u << 20, out);
}

static int parse_cooldown(struct pctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "until", "margin_pct", "timeout", NULL };
	struct gb_plan *p = c->p;
	yaml_node_t *v;
	unsigned margin = 10;
	int ret;

	if (n->type == YAML_SCALAR_NODE) {
		if ((ret = get_duration(c, n, &p->cooldown_ns)))
			return ret;
		p->cooldown = p->cooldown_ns ? GB_COOLDOWN_FIXED : GB_COOLDOWN_NONE;
		return 0;
	}
	if ((ret = want(c, n, YAML_MAPPING_NODE, "a duration or a mapping {until: idle, margin_pct, timeout}")))
		return ret;
	if ((ret = check_keys(c, n, "cooldown", keys)))
		return ret;
	if (!(v = lookup(c, n, "until")))
		return perr(c, n, "cooldown mapping needs 'until: idle'");
	if ((ret = want(c, v, YAML_SCALAR_NODE, "idle")))
		return ret;
	if (strcmp(sval(v), "idle"))
		return perr(c, v, "invalid value '%s' for until: expected idle", sval(v));
	if ((v = lookup(c, n, "margin_pct")) && (ret = get_uint(c, v, "a percentage", 0, 1000, &margin)))
		return ret;
	p->cooldown_ns = 120 * GB_NS_PER_S;
	if ((v = lookup(c, n, "timeout")) && (ret = get_duration(c, v, &p->cooldown_ns)))
		return ret;
	p->cooldown = GB_COOLDOWN_UNTIL_IDLE;
	p->cooldown_margin_pct = margin;
	return 0;
}

/* reps: N, or auto, or {auto: true, ci_pct, min, max} (see plan.h). */
static int parse_reps(struct pctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "auto", "ci_pct", "min", "max", NULL };
	struct gb_plan *p = c->p;
	unsigned pct = 3;
	yaml_node_t *v;
	int ret;

	p->reps_ci_pct = 3;
	p->reps_max = 10;
	if (n->type == YAML_SCALAR_NODE && !strcmp(sval(n), "auto")) {
		p->reps_auto = 1;
		p->reps = 3;
		return 0;
	}
	if (n->type == YAML_SCALAR_NODE)
		return get_uint(c, n, "a number of repetitions or auto", 1, 100000, &p->reps);
	if ((ret = want(c, n, YAML_MAPPING_NODE, "a number of repetitions, auto, or {auto: true, ci_pct, min, max}")) ||
	    (ret = check_keys(c, n, "reps", keys)))
		return ret;
	if (!(v = lookup(c, n, "auto")) || v->type != YAML_SCALAR_NODE || strcmp(sval(v), "true"))
		return perr(c, v ? v : n, "a reps mapping needs 'auto: true'");
	p->reps_auto = 1;
	p->reps = 3;
	if ((v = lookup(c, n, "ci_pct")) && (ret = get_uint(c, v, "a percentage of the mean", 1, 100, &pct)))
		return ret;
	p->reps_ci_pct = pct;
	if ((v = lookup(c, n, "min")) && (ret = get_uint(c, v, "a number of repetitions", 2, 100000, &p->reps)))
		return ret;
	if ((v = lookup(c, n, "max")) && (ret = get_uint(c, v, "a number of repetitions", 2, 100000, &p->reps_max)))
		return ret;
	if (p->reps_max < p->reps)
		return perr(c, v, "reps max %u is below its min %u", p->reps_max, p->reps);
	return 0;
}

static int parse_idle(struct pctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "duration", "every", NULL };
	yaml_node_t *v;
	int ret;

	if (n->type == YAML_SCALAR_NODE)
		return get_duration(c, n, &c->p->idle_duration_ns);
	if ((ret = want(c, n, YAML_MAPPING_NODE, "a duration or a mapping {duration, every}")))
		return ret;
	if ((ret = check_keys(c, n, "idle_baseline", keys)))
		return ret;
	if ((v = lookup(c, n, "duration")) && (ret = get_duration(c, v, &c->p->idle_duration_ns)))
		return ret;
	if ((v = lookup(c, n, "every")) && (ret = get_uint(c, v, "a number of runs", 0, UINT_MAX, &c->p->idle_every)))
		return ret;
	return 0;
}

/* An exclusion: every key it gives must match; each value must name
 * something in the plan, so a typo is an error rather than a no-op. */
struct excl {
	long model;	/* -1: any */
	const char *runtime, *ep;	/* NULL: any */
	unsigned batch;
};

static int parse_exclusion(struct pctx *c, const yaml_node_t *n, struct excl *e)
{
	static const char *const keys[] = { "model", "runtime", "ep", "batch", NULL };
	struct gb_plan *p = c->p;
	yaml_node_t *v;
	int ret, found;

	e->model = -1;
	e->runtime = e->ep = NULL;
	e->batch = 0;
	if ((ret = want(c, n, YAML_MAPPING_NODE, "a mapping with model, runtime, ep or batch")))
		return ret;
	if ((ret = check_keys(c, n, "an exclusion", keys)))
		return ret;
	if (!n->data.mapping.pairs.top || n->data.mapping.pairs.top == n->data.mapping.pairs.start)
		return perr(c, n, "an exclusion needs at least one of model, runtime, ep, batch");
	if ((v = lookup(c, n, "model"))) {
		if ((ret = want(c, v, YAML_SCALAR_NODE, "a model name")))
			return ret;
		for (size_t i = 0; i < p->nmodels; i++)
			if (!strcmp(p->models[i].name, sval(v)))
				e->model = (long)i;
		if (e->model < 0)
			return perr(c, v, "exclusion names model '%s', which is not in models", sval(v));
	}
	if ((v = lookup(c, n, "runtime"))) {
		if ((ret = want(c, v, YAML_SCALAR_NODE, "a runtime name or label")))
			return ret;
		for (size_t i = 0; i < p->nruntimes; i++)
			if (!strcmp(p->runtimes[i].label, sval(v)) || !strcmp(p->runtimes[i].runtime, sval(v)))
				e->runtime = sval(v);
		if (!e->runtime)
			return perr(c, v, "exclusion names runtime '%s', which is not in runtimes", sval(v));
	}
	if ((v = lookup(c, n, "ep"))) {
		if ((ret = want(c, v, YAML_SCALAR_NODE, "an execution provider name")))
			return ret;
		found = 0;
		for (size_t i = 0; i < p->nruntimes; i++)
			found |= p->runtimes[i].ep && !strcmp(p->runtimes[i].ep, sval(v));
		if (!found)
			return perr(c, v, "exclusion names ep '%s', which no runtime uses", sval(v));
		e->ep = sval(v);
	}
	if ((v = lookup(c, n, "batch"))) {
		if ((ret = get_uint(c, v, "a batch size", 1, 1u << 20, &e->batch)))
			return ret;
		found = 0;
		for (size_t i = 0; i < p->nbatches; i++)
			found |= p->batches[i] == e->batch;
		if (!found)
			return perr(c, v, "exclusion names batch %u, which is not in batches", e->batch);
	}
	return 0;
}

static int excl_matches(struct pctx *c, const struct excl *e, const struct gb_plan_config *cf)
{
	const struct gb_plan_runtime *r = &c->p->runtimes[cf->runtime];

	if (e->model >= 0 && (size_t)e->model != cf->model)
		return 0;
	if (e->runtime && strcmp(r->label, e->runtime) && strcmp(r->runtime, e->runtime))
		return 0;
	if (e->ep && (!r->ep || strcmp(r->ep, e->ep)))
		return 0;
	if (e->batch && e->batch != cf->batch)
		return 0;
	return 1;
}

static int build_matrix(struct pctx *c, const yaml_node_t *excl_node)
{
	struct gb_plan *p = c->p;
	struct excl *ex = NULL;
	size_t nex = 0, total = p->nmodels * p->nruntimes * p->nbatches;
	struct gb_rng rng;
	int ret = 0;

	if (total > 100000 || total * p->reps > 1000000)
		return perr(c, NULL, "the matrix is too large (%zu configurations x %u reps; at most 100000 and 1000000 runs)",
			    total, p->reps);
	if (excl_node) {
		if ((ret = want(c, excl_node, YAML_SEQUENCE_NODE, "a list of exclusions")))
			return ret;
		size_t cnt = (size_t)(excl_node->data.sequence.items.top - excl_node->data.sequence.items.start);
		ex = calloc(cnt ? cnt : 1, sizeof *ex);
		if (!ex)
			return gb_error_set(-ENOMEM, "out of memory");
		for (yaml_node_item_t *it = excl_node->data.sequence.items.start; it < excl_node->data.sequence.items.top; it++)
			if ((ret = parse_exclusion(c, node_at(c, *it), &ex[nex++])))
				goto out;
	}
	p->configs = calloc(total, sizeof *p->configs);
	if (!p->configs) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t m = 0; m < p->nmodels; m++)
		for (size_t r = 0; r < p->nruntimes; r++)
			for (size_t b = 0; b < p->nbatches; b++) {
				struct gb_plan_config cf = { m, r, p->batches[b] };
				const struct gb_runtime_ops *rt = gb_runtime_find(p->runtimes[r].runtime);
				/* A converted model is an ONNX file: a runtime
				 * that builds zoo models itself has no use for it. */
				int drop = p->models[m].convert && rt && rt->zoo_by_name;
				for (size_t i = 0; i < nex && !drop; i++)
					drop = excl_matches(c, &ex[i], &cf);
				if (drop)
					p->nexcluded++;
				else
					p->configs[p->nconfigs++] = cf;
			}
	if (!p->nconfigs) {
		ret = perr(c, excl_node, "the exclusions remove every configuration");
		goto out;
	}
	p->nruns = p->nconfigs * p->reps;
	p->runs = calloc(p->nruns, sizeof *p->runs);
	if (!p->runs) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->nruns; i++) {
		p->runs[i].config = i % p->nconfigs;
		p->runs[i].rep = (unsigned)(i / p->nconfigs);
	}
	/* Fisher-Yates, last to first; then renumber reps so that a
	 * configuration's repetition k is its k-th run in execution order. */
	gb_rng_seed(&rng, p->seed);
	for (size_t i = p->nruns - 1; i > 0; i--) {
		size_t j = (size_t)gb_rng_below(&rng, i + 1);
		struct gb_plan_run t = p->runs[i];
		p->runs[i] = p->runs[j];
		p->runs[j] = t;
	}
	{
		unsigned *seen = calloc(p->nconfigs, sizeof *seen);
		if (!seen) {
			ret = gb_error_set(-ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < p->nruns; i++)
			p->runs[i].rep = seen[p->runs[i].config]++;
		free(seen);
	}
out:
	free(ex);
	return ret;
}

static int parse_root(struct pctx *c, yaml_node_t *root)
{
	static const char *const keys[] = {
		"name", "seed", "reps", "warmup", "iterations", "min_duration", "run_timeout",
		"cooldown", "idle_baseline", "models", "runtimes", "batches", "exclude", NULL
	};
	struct gb_plan *p = c->p;
	yaml_node_t *v;
	unsigned long long u;
	uint64_t ns;
	int ret;

	if ((ret = want(c, root, YAML_MAPPING_NODE, "a mapping of campaign settings")))
		return ret;
	if ((ret = check_keys(c, root, "the campaign", keys)))
		return ret;
	if ((v = lookup(c, root, "name")) && (ret = get_str(c, v, "a campaign name", &p->name)))
		return ret;
	if ((v = lookup(c, root, "seed"))) {
		if ((ret = get_u64(c, v, "a seed", 0, ULLONG_MAX, &u)))
			return ret;
		p->seed = u;
	}
	if ((v = lookup(c, root, "reps")) && (ret = parse_reps(c, v)))
		return ret;
	if ((v = lookup(c, root, "warmup"))) {
		if ((ret = want(c, v, YAML_SCALAR_NODE, "a number of iterations or a duration")))
			return ret;
		if (gb_duration_has_unit(sval(v)) ? gb_duration_parse(sval(v), &ns)
						  : get_u64(c, v, "iterations", 0, INT_MAX, &u))
			return perr(c, v, "invalid warmup '%s': expected a number of iterations or a duration such as 2s", sval(v));
		if ((ret = get_str(c, v, "a warm-up", &p->warmup)))
			return ret;
	}
	if ((v = lookup(c, root, "iterations")) && (ret = get_uint(c, v, "a number of iterations", 1, INT_MAX, &p->iterations)))
		return ret;
	if ((v = lookup(c, root, "min_duration"))) {
		if ((ret = get_duration(c, v, &ns)) || (ret = get_str(c, v, "a duration", &p->min_duration)))
			return ret;
	}
	if ((v = lookup(c, root, "run_timeout")) && (ret = get_duration(c, v, &p->run_timeout_ns)))
		return ret;
	if ((v = lookup(c, root, "cooldown")) && (ret = parse_cooldown(c, v)))
		return ret;
	if ((v = lookup(c, root, "idle_baseline")) && (ret = parse_idle(c, v)))
		return ret;
	if (!(v = lookup(c, root, "models")))
		return perr(c, root, "missing 'models': expected a list of zoo names or files");
	if ((ret = parse_list(c, v, "a list of models", sizeof *p->models, (void **)&p->models, &p->nmodels, model_item)))
		return ret;
	for (size_t i = 0; i < p->nmodels; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->models[i].name, p->models[j].name))
				return perr(c, node_at(c, v->data.sequence.items.start[i]),
					    "model name '%s' is used twice (give one a name)", p->models[i].name);
	if (!(v = lookup(c, root, "runtimes")))
		return perr(c, root, "missing 'runtimes': expected a list such as [ort/cpu]");
	if ((ret = parse_runtimes(c, v)))
		return ret;
	if (!(v = lookup(c, root, "batches")))
		return perr(c, root, "missing 'batches': expected a list of batch sizes");
	if ((ret = parse_list(c, v, "a list of batch sizes", sizeof *p->batches, (void **)&p->batches, &p->nbatches, batch_item)))
		return ret;
	return build_matrix(c, lookup(c, root, "exclude"));
}

int gb_plan_parse(const char *text, size_t len, const char *path, struct gb_plan **out)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct gb_plan *p = NULL;
	struct pctx c = { &doc, path, NULL };
	int ret = 0, have_parser = 0, have_doc = 0;
	yaml_node_t *root;

	*out = NULL;
	p = calloc(1, sizeof *p);
	if (!p || !yaml_parser_initialize(&parser)) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	have_parser = 1;
	c.p = p;
	p->reps = 1;
	p->run_timeout_ns = 3600 * GB_NS_PER_S;
	if (!(p->path = strdup(path))) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = gb_error_set(-EINVAL, "%s:%zu:%zu: %s%s%s", path,
				   parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				   parser.problem ? parser.problem : "invalid YAML",
				   parser.context ? " " : "", parser.context ? parser.context : "");
		goto out;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		ret = gb_error_set(-EINVAL, "%s:1:1: empty experiment file: expected a mapping with models, runtimes and batches", path);
		goto out;
	}
	if ((ret = parse_root(&c, root)))
		goto out;
	if (!p->name) {
		const char *b = base_name(path);
		const char *dot = strrchr(b, '.');
		p->name = dot ? strndup(b, (size_t)(dot - b)) : strdup(b);
		if (!p->name)
			ret = gb_error_set(-ENOMEM, "out of memory");
	}
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	if (ret)
		gb_plan_free(p);
	else
		*out = p;
	return ret;
}

int gb_file_read_all(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	int ret = 0;

	if (!f)
		return gb_error_set(-errno, "cannot open '%s': %s", path, strerror(errno));
	do {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				ret = gb_error_set(-ENOMEM, "out of memory");
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, 4096, f);
		n += got;
	} while (got == 4096);
	if (ferror(f)) {
		ret = gb_error_set(-EIO, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return ret;
}

int gb_plan_load(const char *path, struct gb_plan **out)
{
	char *text = NULL;
	size_t len = 0;
	int ret = gb_file_read_all(path, &text, &len);

	if (ret)
		return ret;
	ret = gb_plan_parse(text, len, path, out);
	free(text);
	return ret;
}

static void free_kvs(struct gb_plan_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void gb_plan_free(struct gb_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; p->models && i < p->nmodels; i++) {
		free(p->models[i].name);
		free(p->models[i].zoo);
		free(p->models[i].convert);
		free(p->models[i].weights);
		free(p->models[i].file);
		free_kvs(p->models[i].dims, p->models[i].ndims);
		free(p->models[i].data);
		for (size_t j = 0; j < p->models[i].ndata_args; j++)
			free(p->models[i].data_args[j]);
		free(p->models[i].data_args);
	}
	for (size_t i = 0; p->runtimes && i < p->nruntimes; i++) {
		struct gb_plan_runtime *r = &p->runtimes[i];
		free(r->runtime);
		free(r->ep);
		free(r->label);
		free_kvs(r->options, r->noptions);
		for (size_t j = 0; j < r->nargs; j++)
			free(r->args[j]);
		free(r->args);
	}
	free(p->models);
	free(p->runtimes);
	free(p->batches);
	free(p->configs);
	free(p->runs);
	free(p->name);
	free(p->path);
	free(p->warmup);
	free(p->min_duration);
	free(p);
}

void gb_plan_config_key(const struct gb_plan *p, size_t config, char *buf, size_t len)
{
	const struct gb_plan_config *c = &p->configs[config];

	snprintf(buf, len, "%s|%s|b%u", p->models[c->model].name, p->runtimes[c->runtime].label, c->batch);
}
