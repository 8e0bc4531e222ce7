/*
 * Zoo export time: each model written 3 times (random weights, fp32) to a
 * temporary directory, median wall time; next to it, the median time to
 * write the same number of bytes from memory with fwrite (the floor any
 * exporter pays on this disk), and the ratio of the two.
 *
 *   build/bench/bench_zoo_export [runs]
 *
 * No pass/fail: figures go to docs/perf.md ("zoo export").
 */
#include "greenbench/error.h"
#include "greenbench/time.h"
#include "greenbench/zoo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_u64);
	return v[n / 2];
}

/* fwrite size bytes to path and close: the raw write floor. */
static uint64_t raw_write_ns(const char *path, const char *buf, size_t size)
{
	uint64_t t0 = gb_now_ns();
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "error: cannot write '%s'\n", path);
		exit(1);
	}
	return gb_now_ns() - t0;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 3;
	char dir[] = "/tmp/gb-bench-zoo-XXXXXX", path[256], raw[256];
	struct gb_zoo_options o;
	uint64_t t[16], r[16];

	if (runs < 1 || runs > 16 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: bench_zoo_export [runs 1..16]\n");
		return 1;
	}
	gb_zoo_options_init(&o);
	printf("%-12s %10s %10s %12s %7s\n", "model", "MiB", "export s", "raw write s", "ratio");
	for (size_t m = 0; m < gb_zoo_count(); m++) {
		const char *name = gb_zoo_at(m)->name;
		struct stat sb;
		char *buf;

		snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
		snprintf(raw, sizeof raw, "%s/raw.bin", dir);
		for (int i = 0; i < runs; i++) {
			uint64_t t0 = gb_now_ns();
			if (gb_zoo_export(name, &o, path, NULL) < 0) {
				fprintf(stderr, "error: %s\n", gb_error_msg());
				return 1;
			}
			t[i] = gb_now_ns() - t0;
		}
		if (stat(path, &sb) || !(buf = malloc((size_t)sb.st_size))) {
			fprintf(stderr, "error: cannot size '%s'\n", path);
			return 1;
		}
		memset(buf, 0x5a, (size_t)sb.st_size);
		for (int i = 0; i < runs; i++)
			r[i] = raw_write_ns(raw, buf, (size_t)sb.st_size);
		free(buf);
		double te = (double)median(t, runs) / 1e9, tr = (double)median(r, runs) / 1e9;
		printf("%-12s %10.1f %10.3f %12.3f %7.2f\n", name, (double)sb.st_size / (1 << 20), te, tr, te / tr);
		unlink(path);
		unlink(raw);
	}
	rmdir(dir);
	return 0;
}
