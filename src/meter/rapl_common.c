#include "meter/rapl_common.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t gb_rapl_delta(uint64_t prev, uint64_t now, uint64_t modulus)
{
	if (now >= prev || modulus == 0)
		return now - prev; /* modulus 0: unsigned 64-bit arithmetic wraps */
	/* A raw value outside [0, modulus) means the range was misreported;
	 * count nothing rather than invent a huge delta. */
	if (prev >= modulus)
		return 0;
	return modulus - prev + now;
}

void gb_rapl_counter_init(struct gb_rapl_counter *c, uint64_t modulus, uint64_t raw)
{
	c->modulus = modulus;
	c->last = raw;
	c->acc = 0;
}

uint64_t gb_rapl_counter_update(struct gb_rapl_counter *c, uint64_t raw)
{
	c->acc += gb_rapl_delta(c->last, raw, c->modulus);
	c->last = raw;
	return c->acc;
}

uint64_t gb_rapl_max_interval_ns(double range_uj, double max_power_w)
{
	double ns;

	if (range_uj <= 0 || max_power_w <= 0)
		return 0;
	/* uJ / W = us; halved for margin. In this order the arithmetic is
	 * exact for whole ranges and powers. */
	ns = range_uj * 1000.0 / max_power_w / 2.0;
	if (ns > 3600e9)
		ns = 3600e9;
	return (uint64_t)ns;
}

unsigned gb_rapl_esu(uint64_t unit_reg)
{
	return (unsigned)((unit_reg >> 8) & 0x1f);
}

double gb_rapl_esu_to_uj(unsigned esu)
{
	return ldexp(1e6, -(int)esu);
}

int gb_rapl_intel_dram_fixed_unit(unsigned family, unsigned model)
{
	/* Haswell-X, Broadwell-X/D, Skylake/Cascade/Cooper-X, Xeon Phi
	 * KNL/KNM, Ice Lake-X/D, Sapphire/Emerald/Granite Rapids, Sierra
	 * Forest, Grand Ridge. */
	static const unsigned models[] = {
		0x3F, 0x4F, 0x56, 0x55, 0x57, 0x85, 0x6A, 0x6C,
		0x8F, 0xCF, 0xAD, 0xAE, 0xAF, 0xB6,
	};

	if (family != 6)
		return 0;
	for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
		if (models[i] == model)
			return 1;
	return 0;
}

/* Value of "key<spaces>: value" on one line, or NULL. */
static const char *line_value(const char *line, size_t len, const char *key, size_t *vlen)
{
	size_t kl = strlen(key);
	const char *colon, *v;

	if (len < kl || strncmp(line, key, kl))
		return NULL;
	colon = memchr(line, ':', len);
	if (!colon)
		return NULL;
	for (const char *p = line + kl; p < colon; p++)
		if (*p != ' ' && *p != '\t')
			return NULL;
	v = colon + 1;
	while (v < line + len && *v == ' ')
		v++;
	*vlen = len - (size_t)(v - line);
	return v;
}

int gb_rapl_parse_cpuinfo(const char *text, struct gb_cpu_id *out)
{
	const char *line = text;
	int seen_processor = 0;

	memset(out, 0, sizeof *out);
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *v;
		size_t vl;

		if (!strncmp(line, "processor", 9)) {
			if (seen_processor)
				break; /* first processor block only */
			seen_processor = 1;
		} else if ((v = line_value(line, len, "vendor_id", &vl))) {
			snprintf(out->vendor_id, sizeof out->vendor_id, "%.*s", (int)vl, v);
		} else if ((v = line_value(line, len, "cpu family", &vl))) {
			out->family = (unsigned)strtoul(v, NULL, 10);
		} else if ((v = line_value(line, len, "model", &vl))) {
			out->model = (unsigned)strtoul(v, NULL, 10);
		}
		line = eol ? eol + 1 : NULL;
	}
	if (!out->vendor_id[0])
		return gb_error_set(-EINVAL, "/proc/cpuinfo has no vendor_id");
	if (!strcmp(out->vendor_id, "GenuineIntel"))
		out->vendor = GB_VENDOR_INTEL;
	else if (!strcmp(out->vendor_id, "AuthenticAMD") || !strcmp(out->vendor_id, "HygonGenuine"))
		out->vendor = GB_VENDOR_AMD;
	else
		out->vendor = GB_VENDOR_OTHER;
	return 0;
}

static const struct {
	const char *word;
	enum gb_domain_kind kind;
} kind_words[] = {
	{ "package", GB_DOMAIN_CPU_PACKAGE },
	{ "core", GB_DOMAIN_CPU_CORE },
	{ "uncore", GB_DOMAIN_CPU_UNCORE },
	{ "dram", GB_DOMAIN_DRAM },
	{ "psys", GB_DOMAIN_PSYS },
};

const char *gb_rapl_kind_word(enum gb_domain_kind kind)
{
	for (size_t i = 0; i < sizeof kind_words / sizeof kind_words[0]; i++)
		if (kind_words[i].kind == kind)
			return kind_words[i].word;
	return "other";
}

/* Parse a decimal number at *p (advancing it); -1 if none. */
static int take_num(const char **p)
{
	char *end;
	long v;

	if (**p < '0' || **p > '9')
		return -1;
	v = strtol(*p, &end, 10);
	if (v > 1 << 20)
		return -1;
	*p = end;
	return (int)v;
}

int gb_rapl_zone_name_parse(const char *name, enum gb_domain_kind *kind, int *pkg, int *die)
{
	const char *p = NULL;
	size_t i;

	*pkg = -1;
	*die = -1;
	for (i = 0; i < sizeof kind_words / sizeof kind_words[0]; i++) {
		size_t wl = strlen(kind_words[i].word);
		if (!strncmp(name, kind_words[i].word, wl) && (name[wl] == '\0' || name[wl] == '-')) {
			p = name + wl;
			break;
		}
	}
	if (!p)
		return gb_error_set(-EINVAL, "unknown RAPL zone name '%s'", name);
	*kind = kind_words[i].kind;
	if (*p == '-') {
		p++;
		*pkg = take_num(&p);
		if (*pkg < 0)
			goto bad;
		if (!strncmp(p, "-die-", 5)) {
			p += 5;
			*die = take_num(&p);
			if (*die < 0)
				goto bad;
		}
	}
	if (*p)
		goto bad;
	return 0;
bad:
	*pkg = -1;
	*die = -1;
	return gb_error_set(-EINVAL, "unknown RAPL zone name '%s'", name);
}

int gb_rapl_domain_name(enum gb_domain_kind kind, int pkg, int die, char *buf, size_t len)
{
	const char *w = gb_rapl_kind_word(kind);
	int n;

	if (pkg < 0)
		n = snprintf(buf, len, "%s", w);
	else if (die < 0)
		n = snprintf(buf, len, "%s-%d", w, pkg);
	else
		n = snprintf(buf, len, "%s-%d-die-%d", w, pkg, die);
	if (n < 0 || (size_t)n >= len)
		return gb_error_set(-ENAMETOOLONG, "domain name too long: '%s-%d'", w, pkg);
	return 0;
}

int gb_rapl_zone_dir_parse(const char *dir, char *type, size_t type_len, int *a, int *b)
{
	const char *colon = strchr(dir, ':');
	const char *p;
	size_t tl;

	if (!colon)
		return -EINVAL;
	tl = (size_t)(colon - dir);
	if (tl == 0 || tl >= type_len)
		return -EINVAL;
	memcpy(type, dir, tl);
	type[tl] = '\0';
	if (!strstr(type, "rapl"))
		return -EINVAL;
	p = colon + 1;
	*a = take_num(&p);
	*b = -1;
	if (*a < 0)
		return -EINVAL;
	if (*p == '\0')
		return 1;
	if (*p++ != ':')
		return -EINVAL;
	*b = take_num(&p);
	if (*b < 0 || *p)
		return -EINVAL;
	return 2;
}

int gb_rapl_perf_event_kind(const char *event, enum gb_domain_kind *kind)
{
	static const struct {
		const char *name;
		enum gb_domain_kind kind;
	} ev[] = {
		{ "energy-pkg", GB_DOMAIN_CPU_PACKAGE },
		{ "energy-cores", GB_DOMAIN_CPU_CORE },
		{ "energy-gpu", GB_DOMAIN_CPU_UNCORE },
		{ "energy-ram", GB_DOMAIN_DRAM },
		{ "energy-psys", GB_DOMAIN_PSYS },
	};

	for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
		if (!strcmp(event, ev[i].name)) {
			*kind = ev[i].kind;
			return 0;
		}
	}
	return -EINVAL;
}

int gb_rapl_perf_config_parse(const char *text, uint64_t *config)
{
	unsigned long long v;
	char *end;

	/* Only the simple "event=0xNN" form the power PMU uses; other terms
	 * (umask=...) would need the format/ directory. */
	if (strncmp(text, "event=", 6))
		return gb_error_set(-EINVAL, "unsupported perf event spec '%s'", text);
	errno = 0;
	v = strtoull(text + 6, &end, 0);
	if (end == text + 6 || *end || errno)
		return gb_error_set(-EINVAL, "unsupported perf event spec '%s'", text);
	*config = v;
	return 0;
}

int gb_rapl_perf_scale_parse(const char *scale, const char *unit, double *uj_per_count)
{
	char *end;
	double v;

	if (strcmp(unit, "Joules"))
		return gb_error_set(-EINVAL, "perf power event unit is '%s', expected 'Joules'", unit);
	errno = 0;
	v = strtod(scale, &end);
	if (end == scale || *end || errno || !(v > 0) || !isfinite(v))
		return gb_error_set(-EINVAL, "perf power event scale '%s' is not a positive number", scale);
	*uj_per_count = v * 1e6;
	return 0;
}

int gb_cpulist_parse(const char *text, int *cpus, size_t max)
{
	const char *p = text;
	size_t n = 0;

	while (*p) {
		int lo = take_num(&p), hi;

		if (lo < 0)
			return gb_error_set(-EINVAL, "bad CPU list '%s'", text);
		hi = lo;
		if (*p == '-') {
			p++;
			hi = take_num(&p);
			if (hi < lo)
				return gb_error_set(-EINVAL, "bad CPU list '%s'", text);
		}
		for (int c = lo; c <= hi; c++) {
			if (n >= max)
				return gb_error_set(-E2BIG, "CPU list '%s' has more than %zu CPUs", text, max);
			cpus[n++] = c;
		}
		if (*p == ',')
			p++;
		else if (*p)
			return gb_error_set(-EINVAL, "bad CPU list '%s'", text);
	}
	return (int)n;
}

static int same_counter(const struct gb_rapl_zone *x, const struct gb_rapl_zone *y)
{
	if (x->kind != y->kind || x->range_uj != y->range_uj)
		return 0;
	/* Two distinct live counters agreeing to the microjoule is not a
	 * coincidence we need to allow for; zero means "not counting". */
	for (int r = 0; r < GB_RAPL_ROUNDS; r++)
		if (x->energy_uj[r] && x->energy_uj[r] == y->energy_uj[r])
			return 1;
	return 0;
}

/* intel-rapl first, then anything else in table order. */
static int prefer(const struct gb_rapl_zone *x, size_t xi, const struct gb_rapl_zone *y, size_t yi)
{
	int xr = !strcmp(x->type, "intel-rapl"), yr = !strcmp(y->type, "intel-rapl");

	if (xr != yr)
		return xr;
	return xi < yi;
}

size_t gb_rapl_zones_dedupe(struct gb_rapl_zone *zones, size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		zones[i].dup_of = -1;
	/* Same name under another control type (intel-rapl-mmio). */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			if (i == j || strcmp(zones[i].type, zones[j].type) == 0)
				continue;
			if (strcmp(zones[i].name, zones[j].name) == 0 && zones[j].dup_of < 0 &&
			    prefer(&zones[j], j, &zones[i], i)) {
				zones[i].dup_of = (int)j;
				break;
			}
		}
	}
	/* Mirrored top-level zones (AMD dies reading one package counter). */
	for (size_t i = 0; i < n; i++) {
		if (zones[i].depth != 1 || zones[i].dup_of >= 0)
			continue;
		for (size_t j = 0; j < i; j++) {
			if (zones[j].depth == 1 && zones[j].dup_of < 0 && same_counter(&zones[j], &zones[i])) {
				zones[i].dup_of = (int)j;
				break;
			}
		}
	}
	/* Subzones follow their top zone. */
	for (size_t i = 0; i < n; i++) {
		int t = zones[i].top;
		if (zones[i].depth == 2 && zones[i].dup_of < 0 && t >= 0 && (size_t)t < n &&
		    zones[t].dup_of >= 0)
			zones[i].dup_of = t;
		if (zones[i].dup_of < 0)
			kept++;
	}
	return kept;
}
