/*
 * Statistics for campaign reports, on GSL: confidence intervals (Student
 * t quantiles), Spearman's rho, Mann-Whitney U and Cliff's delta. The
 * p-values follow scipy.stats' definitions so results can be checked
 * against it (tests/helpers/report_expected.py does).
 */
#include "greenbench/report.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

void gb_stats_ci95(const double *x, size_t n, struct gb_ci *out)
{
	double sum = 0, ss = 0;
	size_t k = 0;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i])) {
			sum += x[i];
			k++;
		}
	if (!k)
		return;
	out->valid = 1;
	out->n = k;
	out->mean = sum / (double)k;
	out->lo = out->hi = out->sd = NAN;
	if (k < 2)
		return;
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			ss += (x[i] - out->mean) * (x[i] - out->mean);
	out->sd = sqrt(ss / (double)(k - 1));
	double half = gsl_cdf_tdist_Pinv(0.975, (double)(k - 1)) * out->sd / sqrt((double)k);
	out->lo = out->mean - half;
	out->hi = out->mean + half;
	out->ci_valid = 1;
}

int gb_stats_spearman(const double *x, const double *y, size_t n, double *rho, double *p)
{
	double *work;
	double r, t;

	if (n < 3)
		return gb_error_set(-EDOM, "a correlation needs at least 3 pairs, found %zu", n);
	work = malloc(2 * n * sizeof *work);
	if (!work)
		return gb_error_set(-ENOMEM, "out of memory");
	r = gsl_stats_spearman(x, 1, y, 1, n, work);
	free(work);
	if (isnan(r))
		return gb_error_set(-EDOM, "a correlation with a constant variable is undefined");
	*rho = r;
	if (fabs(r) >= 1.0) {
		*p = 0.0;
		return 0;
	}
	t = r * sqrt((double)(n - 2) / ((1.0 - r) * (1.0 + r)));
	*p = 2.0 * gsl_cdf_tdist_Q(fabs(t), (double)(n - 2));
	return 0;
}

struct ranked {
	double v;
	int from_x;
};

static int cmp_ranked(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->v, y = ((const struct ranked *)b)->v;

	return (x > y) - (x < y);
}

/* Number of ways to get U <= u with sizes m, n (no ties), by the
 * recurrence f(m, n, u) = f(m - 1, n, u - n) + f(m, n - 1, u). */
static double exact_cdf(size_t m, size_t n, double u)
{
	size_t umax = m * n;
	double *f = calloc((m + 1) * (n + 1) * (umax + 1), sizeof *f), total = 0, le = 0;
#define F(i, j, k) f[((i) * (n + 1) + (j)) * (umax + 1) + (k)]

	if (!f)
		return NAN;
	for (size_t i = 0; i <= m; i++)
		for (size_t j = 0; j <= n; j++)
			for (size_t k = 0; k <= umax; k++) {
				if (!i || !j) {
					F(i, j, k) = k == 0;
					continue;
				}
				F(i, j, k) = (k >= j ? F(i - 1, j, k - j) : 0) + F(i, j - 1, k);
			}
	for (size_t k = 0; k <= umax; k++) {
		total += F(m, n, k);
		if ((double)k <= u + 1e-9)
			le += F(m, n, k);
	}
#undef F
	free(f);
	return le / total;
}

int gb_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny,
			  double *u, double *p, int *exact)
{
	size_t n = nx + ny, i, j;
	struct ranked *all;
	double r1 = 0, tie_sum = 0, u1, mu, sigma, z;
	int ties = 0;

	if (!nx || !ny)
		return gb_error_set(-EDOM, "a Mann-Whitney test needs two non-empty samples");
	all = malloc(n * sizeof *all);
	if (!all)
		return gb_error_set(-ENOMEM, "out of memory");
	for (i = 0; i < nx; i++)
		all[i] = (struct ranked){ x[i], 1 };
	for (i = 0; i < ny; i++)
		all[nx + i] = (struct ranked){ y[i], 0 };
	qsort(all, n, sizeof *all, cmp_ranked);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && all[j].v == all[i].v; j++)
			;
		double rank = (double)(i + 1 + j) / 2.0, t = (double)(j - i);
		for (size_t k = i; k < j; k++)
			if (all[k].from_x)
				r1 += rank;
		if (t > 1) {
			ties = 1;
			tie_sum += t * t * t - t;
		}
	}
	free(all);
	u1 = r1 - (double)nx * (double)(nx + 1) / 2.0;
	*u = u1;
	*exact = !ties && nx <= 8 && ny <= 8;
	if (*exact) {
		double lo = exact_cdf(nx, ny, u1);
		double hi = 1.0 - exact_cdf(nx, ny, u1 - 1.0);
		*p = fmin(1.0, 2.0 * fmin(lo, hi));
		return 0;
	}
	mu = (double)nx * (double)ny / 2.0;
	sigma = sqrt((double)nx * (double)ny / 12.0 *
		     ((double)(n + 1) - tie_sum / ((double)n * (double)(n - 1))));
	if (sigma == 0) {
		*p = 1.0;
		return 0;
	}
	z = (fmax(u1, (double)nx * (double)ny - u1) - mu - 0.5) / sigma;
	*p = fmin(1.0, 2.0 * gsl_cdf_ugaussian_Q(z));
	return 0;
}

double gb_stats_cliffs_delta(const double *x, size_t nx, const double *y, size_t ny)
{
	long gt = 0, lt = 0;

	for (size_t i = 0; i < nx; i++)
		for (size_t j = 0; j < ny; j++) {
			gt += x[i] > y[j];
			lt += x[i] < y[j];
		}
	return nx && ny ? (double)(gt - lt) / ((double)nx * (double)ny) : NAN;
}
