/* SPDX-License-Identifier: BSD-3-Clause
 * The one RNG and the draws built on it. Tolerances are 5 standard errors
 * of the estimate, so a correct generator fails about once in 3 million.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tg_sample.h"

#define N 1000000

static void
test_same_seed_same_stream(void **state)
{
	struct tg_rng a, b, c;

	(void)state;
	tg_rng_seed(&a, 42, 0);
	tg_rng_seed(&b, 42, 0);
	tg_rng_seed(&c, 42, 1);
	int same_as_c = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = tg_rng_next(&a);

		assert_int_equal(x, tg_rng_next(&b));
		same_as_c += x == tg_rng_next(&c);
	}
	assert_int_equal(same_as_c, 0);
}

static void
test_uniform_moments(void **state)
{
	struct tg_rng r;
	double sum = 0, sumsq = 0;

	(void)state;
	tg_rng_seed(&r, 7, 0);
	for (int i = 0; i < N; i++) {
		double u = tg_rng_uniform(&r);

		assert_true(u >= 0.0 && u < 1.0);
		sum += u;
		sumsq += u * u;
	}
	/* mean 1/2 (sd 0.2887/sqrt N), variance 1/12 (sd 0.0745/sqrt N) */
	assert_true(fabs(sum / N - 0.5) < 5 * 0.2887 / sqrt(N));
	assert_true(fabs(sumsq / N - pow(sum / N, 2) - 1.0 / 12) <
		    5 * 0.0745 / sqrt(N));
}

static void
test_below_is_uniform(void **state)
{
	enum { K = 10 };
	struct tg_rng r;
	unsigned counts[K] = { 0 };
	double chi2 = 0;

	(void)state;
	tg_rng_seed(&r, 9, 3);
	for (int i = 0; i < N; i++) {
		uint32_t v = tg_rng_below(&r, K);

		assert_true(v < K);
		counts[v]++;
	}
	for (int k = 0; k < K; k++)
		chi2 += pow((double)counts[k] - N / K, 2) / (N / K);
	/* chi-square with 9 degrees of freedom: P(> 33.7) = 1e-4 */
	assert_true(chi2 < 33.7);
}

static void
test_normal_and_lognormal(void **state)
{
	struct tg_rng r;
	double sum = 0, sumsq = 0;
	unsigned below_median = 0;

	(void)state;
	tg_rng_seed(&r, 11, 0);
	for (int i = 0; i < N; i++) {
		double z = tg_sample_normal(&r);

		sum += z;
		sumsq += z * z;
	}
	assert_true(fabs(sum / N) < 5 / sqrt(N));
	assert_true(fabs(sumsq / N - 1.0) < 5 * sqrt(2.0 / N));

	/* The median of exp(N(mu, s)) is exp(mu): half the draws fall below. */
	for (int i = 0; i < N; i++)
		below_median += tg_sample_lognormal(&r, log(250.0), 1.3) < 250.0;
	assert_true(fabs((double)below_median / N - 0.5) < 5 * 0.5 / sqrt(N));
}

static void
test_exp_and_geometric_means(void **state)
{
	struct tg_rng r;
	double sum_exp = 0, sum_geo = 0;

	(void)state;
	tg_rng_seed(&r, 13, 0);
	for (int i = 0; i < N; i++) {
		uint32_t g = tg_sample_geometric(&r, 4.0);

		assert_true(g >= 1);
		sum_exp += tg_sample_exp(&r, 3.0);
		sum_geo += g;
	}
	/* sd of an exponential is its mean; of this geometric sqrt(12) */
	assert_true(fabs(sum_exp / N - 3.0) < 5 * 3.0 / sqrt(N));
	assert_true(fabs(sum_geo / N - 4.0) < 5 * sqrt(12.0) / sqrt(N));
	assert_int_equal(tg_sample_geometric(&r, 1.0), 1);
}

static void
test_weighted_frequencies(void **state)
{
	const double w[4] = { 0.1, 0.0, 0.6, 0.3 };
	struct tg_rng r;
	unsigned counts[4] = { 0 };

	(void)state;
	tg_rng_seed(&r, 17, 0);
	for (int i = 0; i < N; i++)
		counts[tg_sample_weighted(&r, w, 4, 1.0)]++;
	assert_int_equal(counts[1], 0);
	for (int k = 0; k < 4; k++) {
		double sd = sqrt(w[k] * (1 - w[k]) / N);

		assert_true(fabs((double)counts[k] / N - w[k]) <= 5 * sd);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_stream),
		cmocka_unit_test(test_uniform_moments),
		cmocka_unit_test(test_below_is_uniform),
		cmocka_unit_test(test_normal_and_lognormal),
		cmocka_unit_test(test_exp_and_geometric_means),
		cmocka_unit_test(test_weighted_frequencies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
