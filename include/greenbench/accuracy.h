/*
 * Accuracy from model outputs, and agreement between two runtimes' outputs.
 * Pure functions on caller buffers; thread-safe; no allocation.
 *
 * scores: n rows of ncls float32 (logits or probabilities, row-major, the
 * layout of a [N, C] output). A row with ncls == 1 is one logit of a binary
 * classifier: > 0 predicts class 1. Ranking: a class ranks above the label
 * when its score is greater, or equal with a lower index (so ties resolve
 * like argmax's first maximum); NaN scores rank below everything and a
 * NaN label score is never a hit.
 */
#ifndef GREENBENCH_ACCURACY_H
#define GREENBENCH_ACCURACY_H

#include <stddef.h>
#include <stdint.h>

struct gb_accuracy {
	uint64_t n;		/* rows counted */
	uint64_t top1, top5;	/* rows whose label is in the top 1 / top 5 */
};

void gb_accuracy_init(struct gb_accuracy *a);

/* Add n rows. -EINVAL (message names the row) if a label is outside
 * [0, ncls) (or [0, 2) when ncls == 1); nothing is added then. */
int gb_accuracy_add(struct gb_accuracy *a, const float *scores, size_t n, size_t ncls,
		    const int64_t *labels);

/* Fraction in [0, 1]; -ENODATA when no rows were counted. */
int gb_accuracy_top1(const struct gb_accuracy *a, double *frac);
int gb_accuracy_top5(const struct gb_accuracy *a, double *frac);

/* Index of the largest score (first on ties, NaN ignored; 0 if all NaN).
 * ncls == 1: 1 if the logit is > 0, else 0. */
size_t gb_scores_argmax(const float *row, size_t ncls);

/* Whether label is among the k best of row. */
int gb_scores_in_top_k(const float *row, size_t ncls, size_t label, size_t k);

/* Two runtimes on the same inputs. */
struct gb_agreement {
	uint64_t n;		/* rows compared */
	uint64_t top1_agree;	/* rows with the same argmax */
	uint64_t values;	/* elements compared */
	double max_abs_diff;	/* over all elements */
	double sum_abs_diff;	/* mean = sum_abs_diff / values */
	uint64_t nan_mismatch;	/* elements NaN in exactly one output */
	/* rows whose second output is flat (every score equal) where the
	 * first's is not: a narrower type lost them (fp16 keeps nothing below
	 * 6e-8, and random weights can give scores of 1e-10) */
	uint64_t flat_rows;
	double max_abs_first;	/* the first output's largest |score| */
};

void gb_agreement_init(struct gb_agreement *g);
void gb_agreement_add(struct gb_agreement *g, const float *a, const float *b, size_t n, size_t ncls);

#endif
