/*
 * Accuracy and agreement helpers on small hand-made score tables.
 */
#include "lib/gbtest.h"
#include "greenbench/accuracy.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static void test_top1_top5(void **state)
{
	/* 3 rows x 6 classes. Row 0: label 2 is best. Row 1: label 0 ranks
	 * 5th (4 higher). Row 2: label 5 ranks 6th. */
	static const float s[] = {
		0.1f, 0.2f, 0.9f, 0.0f, 0.3f, 0.1f,
		0.5f, 0.9f, 0.8f, 0.7f, 0.6f, 0.1f,
		0.5f, 0.9f, 0.8f, 0.7f, 0.6f, 0.1f,
	};
	static const int64_t labels[] = { 2, 0, 5 };
	struct gb_accuracy a;
	double f;

	(void)state;
	gb_accuracy_init(&a);
	assert_int_equal(gb_accuracy_top1(&a, &f), -ENODATA);
	assert_int_equal(gb_accuracy_add(&a, s, 3, 6, labels), 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.top1, 1);
	assert_int_equal(a.top5, 2);
	assert_int_equal(gb_accuracy_top1(&a, &f), 0);
	assert_true(fabs(f - 1.0 / 3) < 1e-12);
	assert_int_equal(gb_accuracy_top5(&a, &f), 0);
	assert_true(fabs(f - 2.0 / 3) < 1e-12);

	/* A label outside the classes adds nothing and names the row. */
	static const int64_t bad[] = { 1, 6 };
	assert_int_equal(gb_accuracy_add(&a, s, 2, 6, bad), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "row 1"));
	assert_int_equal(a.n, 3);
}

static void test_ties_nan_binary(void **state)
{
	const float tie[] = { 1.0f, 3.0f, 3.0f, 0.0f };
	const float nan_row[] = { NAN, 0.5f, NAN, 0.2f };
	const float logit_pos[] = { 2.5f }, logit_neg[] = { -0.1f };
	struct gb_accuracy a;
	int64_t l;

	(void)state;
	/* Equal scores: the lower index ranks first, like argmax. */
	assert_int_equal(gb_scores_argmax(tie, 4), 1);
	assert_true(gb_scores_in_top_k(tie, 4, 1, 1));
	assert_false(gb_scores_in_top_k(tie, 4, 2, 1));
	assert_true(gb_scores_in_top_k(tie, 4, 2, 2));
	/* NaN never wins and is never a hit. */
	assert_int_equal(gb_scores_argmax(nan_row, 4), 1);
	assert_false(gb_scores_in_top_k(nan_row, 4, 0, 4));
	assert_true(gb_scores_in_top_k(nan_row, 4, 3, 2));
	/* One logit: > 0 is class 1. */
	assert_int_equal(gb_scores_argmax(logit_pos, 1), 1);
	assert_int_equal(gb_scores_argmax(logit_neg, 1), 0);
	gb_accuracy_init(&a);
	l = 1;
	assert_int_equal(gb_accuracy_add(&a, logit_pos, 1, 1, &l), 0);
	assert_int_equal(gb_accuracy_add(&a, logit_neg, 1, 1, &l), 0);
	assert_int_equal(a.top1, 1);
	l = 2;
	assert_int_equal(gb_accuracy_add(&a, logit_neg, 1, 1, &l), -EINVAL);
}

static void test_agreement(void **state)
{
	static const float a[] = { 0.1f, 0.9f, 0.0f, 0.3f, 0.2f, 0.1f };
	const float b[] = { 0.1f, 0.5f, 0.6f, 0.3f, 0.2f, NAN };
	struct gb_agreement g;

	(void)state;
	gb_agreement_init(&g);
	gb_agreement_add(&g, a, b, 2, 3);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.top1_agree, 1);	/* row 0: 1 vs 2; row 1: 0 vs 0 */
	assert_int_equal(g.values, 5);
	assert_int_equal(g.nan_mismatch, 1);
	assert_true(fabs(g.max_abs_diff - 0.6) < 1e-6);
	assert_true(fabs(g.sum_abs_diff - 1.0) < 1e-6);
	assert_int_equal(g.flat_rows, 0);
	assert_true(fabs(g.max_abs_first - 0.9) < 1e-6);
}

/* Tiny scores that a narrower type flushed to zero: the rows come out
 * flat, which is what the advisor's rejection then says. */
static void test_agreement_flat_rows(void **state)
{
	static const float ref[] = { 1e-10f, 3e-10f, 2e-10f, 5e-10f, 4e-10f, 1e-10f, 7e-10f, 7e-10f, 7e-10f };
	static const float cand[] = { 0, 0, 0, 0, 0, 0, 7e-10f, 7e-10f, 7e-10f };
	struct gb_agreement g;

	(void)state;
	gb_agreement_init(&g);
	gb_agreement_add(&g, ref, cand, 3, 3);
	assert_int_equal(g.flat_rows, 2);	/* the third row was flat in both */
	assert_true(fabs(g.max_abs_first - 7e-10) < 1e-15);
	assert_true(g.max_abs_diff < 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top1_top5),
		cmocka_unit_test(test_ties_nan_binary),
		cmocka_unit_test(test_agreement),
		cmocka_unit_test(test_agreement_flat_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
