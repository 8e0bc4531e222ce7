#include "meter/estimator_model.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gb_est_parse_proc_stat(const char *text, struct gb_cpu_times *out)
{
	unsigned long long v[10] = { 0 };
	const char *p = text;
	int n;

	while (p && strncmp(p, "cpu ", 4)) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return gb_error_set(-EINVAL, "/proc/stat has no aggregate 'cpu' line");
	n = sscanf(p + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	if (n < 4)
		return gb_error_set(-EINVAL, "/proc/stat 'cpu' line has %d fields, expected at least 4", n < 0 ? 0 : n);
	/* user nice system idle iowait irq softirq steal; guest time is
	 * already counted inside user and nice. */
	out->busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	out->total = out->busy + v[3] + v[4];
	return 0;
}

int gb_est_parse_cpuinfo(const char *text, struct gb_cpu_model *out)
{
	int ids[1024];
	size_t nids = 0;
	const char *line = text;

	memset(out, 0, sizeof *out);
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *colon = memchr(line, ':', len);

		if (colon) {
			const char *val = colon + 1;
			size_t vlen = len - (size_t)(val - line);
			while (vlen && *val == ' ') {
				val++;
				vlen--;
			}
			if (!strncmp(line, "processor", 9)) {
				out->threads++;
			} else if (!strncmp(line, "model name", 10) && !out->name[0]) {
				snprintf(out->name, sizeof out->name, "%.*s", (int)vlen, val);
			} else if (!strncmp(line, "physical id", 11)) {
				int id = atoi(val);
				size_t k;
				for (k = 0; k < nids && ids[k] != id; k++)
					;
				if (k == nids && nids < sizeof ids / sizeof ids[0])
					ids[nids++] = id;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	if (!out->threads)
		return gb_error_set(-EINVAL, "/proc/cpuinfo lists no processor");
	out->packages = nids ? (unsigned)nids : 1;
	if (!out->name[0])
		snprintf(out->name, sizeof out->name, "unknown CPU");
	return 0;
}

/* TDP per package, from the vendors' published specifications. Substrings
 * are matched against "model name"; more specific entries come first. */
static const struct {
	const char *match;
	double tdp_w;
} tdp_table[] = {
	{ "Xeon(R) Platinum 8480", 350 }, { "Xeon(R) Platinum 8468", 350 },
	{ "Xeon(R) Platinum 8462Y", 300 }, { "Xeon(R) Platinum 8470", 350 },
	{ "Xeon(R) Platinum 8380", 270 }, { "Xeon(R) Platinum 8358", 250 },
	{ "Xeon(R) Platinum 8375C", 300 }, { "Xeon(R) Platinum 8275CL", 240 },
	{ "Xeon(R) Platinum 8259CL", 210 }, { "Xeon(R) Platinum 8175M", 240 },
	{ "Xeon(R) Gold 6448Y", 225 }, { "Xeon(R) Gold 6348", 235 },
	{ "Xeon(R) Gold 6248", 150 }, { "Xeon(R) Gold 6230", 125 },
	{ "Xeon(R) Gold 5218", 125 }, { "Xeon(R) Silver 4210", 85 },
	{ "Xeon(R) CPU E5-2698 v4", 135 }, { "Xeon(R) CPU E5-2680 v4", 120 },
	{ "Xeon(R) CPU E5-2690 v4", 135 },
	{ "AMD EPYC 9654", 360 }, { "AMD EPYC 9554", 360 }, { "AMD EPYC 9454", 290 },
	{ "AMD EPYC 7763", 280 }, { "AMD EPYC 7742", 225 }, { "AMD EPYC 7713", 225 },
	{ "AMD EPYC 7543", 225 }, { "AMD EPYC 7R13", 225 }, { "AMD EPYC 7B13", 225 },
	{ "AMD EPYC 7V12", 240 }, { "AMD EPYC 7402", 180 },
	{ "Intel(R) Core(TM) i9-13900K", 125 }, { "Intel(R) Core(TM) i7-12700K", 125 },
	{ "AMD Ryzen 9 7950X", 170 }, { "AMD Ryzen 9 5950X", 105 },
};

int gb_est_tdp_lookup(const char *model_name, double *tdp_w, const char **matched)
{
	for (size_t i = 0; i < sizeof tdp_table / sizeof tdp_table[0]; i++) {
		if (strstr(model_name, tdp_table[i].match)) {
			*tdp_w = tdp_table[i].tdp_w;
			if (matched)
				*matched = tdp_table[i].match;
			return 0;
		}
	}
	return -ENOENT;
}

int gb_est_util(const struct gb_cpu_times *a, const struct gb_cpu_times *b, double *u)
{
	uint64_t dt, db;

	if (b->total <= a->total || b->busy < a->busy)
		return -EINVAL;
	dt = b->total - a->total;
	db = b->busy - a->busy;
	*u = db >= dt ? 1.0 : (double)db / (double)dt;
	return 0;
}

uint32_t gb_est_power_mw(double tdp_w, unsigned packages, double idle_frac, double u)
{
	double w;

	if (u < 0)
		u = 0;
	if (u > 1)
		u = 1;
	w = packages * tdp_w * (idle_frac + (1.0 - idle_frac) * u);
	return (uint32_t)lround(w * 1000.0);
}
