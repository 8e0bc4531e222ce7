/*
 * BERT tokenization speed on IMDB-like reviews (English words, some
 * accented and capitalised, punctuation, "<br />" tags; ~1.3 kB each,
 * 4 MB in all) with a 30k-entry vocabulary built here, one thread.
 * Prints MB/s of UTF-8 input per CPU-second (median of 5 runs) for full
 * tokenization, and for encode() at seq 128 and 512 (which stops after
 * seq tokens), with ratios.
 *
 *   build/bench/bench_tokenize
 */
#include "bench_util.h"
#include "greenbench/tokenizer.h"
#include "greenbench/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUNS 5
#define REVIEWS 3000

static const char *const stems[] = {
	"movie", "film", "story", "act", "play", "direct", "love", "hate", "watch", "great",
	"bad", "good", "plot", "character", "scene", "end", "begin", "music", "script", "effect",
	"time", "laugh", "cry", "boring", "brilliant", "terrible", "actor", "actress", "camera",
	"horror", "comedy", "drama", "perform", "think", "feel", "recommend", "waste", "money",
	"cinema", "sequel", "original", "dialogue", "twist", "café", "naïve", "über", "cliché",
	"the", "a", "and", "of", "to", "is", "it", "this", "that", "was", "in", "for", "with",
};
static const char *const suffixes[] = { "", "", "", "s", "ed", "ing", "er", "ly", "ful", "ness" };
static const char *const puncts[] = { ",", ".", "!", "?", "...", " <br /><br />", "'s", " (", ")" };

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

static char *review(unsigned *s, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *t = malloc(cap);

	while (n < 1200 + rnd(s) % 300) {
		const char *st = stems[rnd(s) % (sizeof stems / sizeof stems[0])];
		const char *sf = suffixes[rnd(s) % (sizeof suffixes / sizeof suffixes[0])];
		int cap_first = rnd(s) % 10 == 0;

		n += (size_t)snprintf(t + n, cap - n, "%s%c%s%s", n ? " " : "",
				      cap_first && st[0] >= 'a' && st[0] <= 'z' ? st[0] - 32 : st[0], st + 1, sf);
		if (rnd(s) % 6 == 0)
			n += (size_t)snprintf(t + n, cap - n, "%s", puncts[rnd(s) % (sizeof puncts / sizeof puncts[0])]);
	}
	*len = n;
	return t;
}

/* 30k entries: specials, characters, whole words, "##" pieces, fillers. */
static int write_vocab(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", f);
	for (int c = 33; c < 127; c++)
		fprintf(f, "%c\n##%c\n", c, c);
	fputs("é\n##é\nï\n##ï\nü\n##ü\n", f);
	for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++)
		fprintf(f, "%s\n", stems[i]);
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
		if (suffixes[i][0])
			fprintf(f, "##%s\n", suffixes[i]);
	for (int i = 0; i < 29500; i++)
		fprintf(f, "w%05dx\n", i);
	return fclose(f);
}

int main(void)
{
	char tmpl[] = "/tmp/gb-bench-tokenize-XXXXXX", *dir = mkdtemp(tmpl), vocab[4200];
	struct gb_tokenizer *t = NULL;
	char *texts[REVIEWS];
	size_t lens[REVIEWS], total = 0, ntok = 0, n;
	int32_t *ids = malloc(4096 * sizeof *ids);
	int64_t enc[3][512];
	unsigned seed = 42;
	double r[3][RUNS];
	static const size_t seqs[3] = { 0, 128, 512 };

	if (!dir)
		return 1;
	snprintf(vocab, sizeof vocab, "%s/vocab.txt", dir);
	if (write_vocab(vocab) || gb_tokenizer_open(vocab, NULL, &t)) {
		fprintf(stderr, "error: %s\n", gb_error_msg());
		return 1;
	}
	for (int i = 0; i < REVIEWS; i++) {
		texts[i] = review(&seed, &lens[i]);
		total += lens[i];
	}
	for (int mode = 0; mode < 3; mode++) {
		for (int k = 0; k < RUNS; k++) {
			uint64_t t0 = bench_thread_cpu_ns();

			ntok = 0;
			for (int i = 0; i < REVIEWS; i++) {
				int ret = mode == 0 ? gb_tokenizer_tokenize(t, texts[i], lens[i], ids, 4096, &n)
						    : gb_tokenizer_encode(t, texts[i], lens[i], seqs[mode], enc[0],
									  enc[1], enc[2], &n);
				if (ret) {
					fprintf(stderr, "error: %s\n", gb_error_msg());
					return 1;
				}
				ntok += n;
			}
			r[mode][k] = total / 1e6 / ((bench_thread_cpu_ns() - t0) / 1e9);
		}
		qsort(r[mode], RUNS, sizeof r[mode][0], bench_cmp_d);
		if (mode == 0)
			printf("bench_tokenize: %d reviews, %.2f MB, %zu word pieces, vocab %zu, 1 thread\n",
			       REVIEWS, total / 1e6, ntok, gb_tokenizer_vocab_size(t));
	}
	printf("  MB of text per CPU-second (median of %d runs)\n", RUNS);
	printf("  tokenize (whole review)     %7.1f MB/s  1.00x\n", r[0][RUNS / 2]);
	printf("  encode, seq 128             %7.1f MB/s  %.2fx  (stops after 126 pieces)\n", r[1][RUNS / 2],
	       r[1][RUNS / 2] / r[0][RUNS / 2]);
	printf("  encode, seq 512             %7.1f MB/s  %.2fx\n", r[2][RUNS / 2], r[2][RUNS / 2] / r[0][RUNS / 2]);
	for (int i = 0; i < REVIEWS; i++)
		free(texts[i]);
	free(ids);
	gb_tokenizer_free(t);
	unlink(vocab);
	rmdir(dir);
	return 0;
}
