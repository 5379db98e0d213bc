/* SPDX-License-Identifier: BSD-3-Clause
 * The one RNG and the draws built on it. Tolerances are 5 standard errors
 * of the estimate, so a correct generator fails about once in 3 million;
 * chi-square tests use the value a correct sampler exceeds with
 * probability 1e-4 (seeds are fixed, so a run either always passes or
 * always fails).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

/* Draws from a log-normal mixture follow its CDF,
 * F(x) = sum_j w_j Phi((ln x - mu_j) / sigma_j), at points around and
 * between the components (each within 5 binomial standard errors). */
static void
test_lnmix_cdf(void **state)
{
	const struct tg_lnmix mix = { .k = 3, .weight = { 0.5, 0.3, 0.2 },
				      .mu = { -6.0, -2.0, 1.0 },
				      .sigma = { 0.5, 1.0, 0.3 } };
	const double at[] = { 1e-4, 2.5e-3, 0.02, 0.3, 1.0, 2.7, 5.0 };
	enum { POINTS = sizeof(at) / sizeof(at[0]) };
	unsigned below[POINTS] = { 0 };
	struct tg_rng r;

	(void)state;
	tg_rng_seed(&r, 13, 0);
	for (int i = 0; i < N; i++) {
		double x = tg_sample_lnmix(&r, &mix);

		assert_true(x > 0 && isfinite(x));
		for (int p = 0; p < POINTS; p++)
			below[p] += x < at[p];
	}
	for (int p = 0; p < POINTS; p++) {
		double cdf = 0;

		for (unsigned j = 0; j < mix.k; j++)
			cdf += mix.weight[j] * 0.5 *
			       erfc(-(log(at[p]) - mix.mu[j]) /
				    (mix.sigma[j] * sqrt(2.0)));
		assert_true(fabs((double)below[p] / N - cdf) <
			    5 * sqrt(cdf * (1 - cdf) / N) + 1e-9);
	}
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

/* Pearson's chi-square of `counts` against probabilities `p` (categories
 * with p 0 must have no count and add no degree of freedom). */
static double
chi_square(const unsigned *counts, const double *p, unsigned k, unsigned n)
{
	double chi2 = 0;

	for (unsigned i = 0; i < k; i++) {
		if (p[i] == 0) {
			assert_int_equal(counts[i], 0);
			continue;
		}
		chi2 += pow(counts[i] - n * p[i], 2) / (n * p[i]);
	}
	return chi2;
}

/* Alias draws follow the weights. Thresholds are the chi-square values
 * with P(exceeded) = 1e-4 for a correct sampler: 23.51 for 4 degrees of
 * freedom, 160.06 for 99. */
static void
test_alias_chi_square(void **state)
{
	const double w[6] = { 1, 2, 3, 4, 0, 10 };	/* need not sum to 1 */
	double p[6], big_w[100], big_p[100], total = 0;
	unsigned counts[6] = { 0 }, big_counts[100] = { 0 };
	struct tg_alias a;
	struct tg_rng r;

	(void)state;
	for (int i = 0; i < 6; i++)
		p[i] = w[i] / 20;
	assert_int_equal(tg_alias_build(&a, w, 6), 0);
	tg_rng_seed(&r, 19, 0);
	for (int i = 0; i < N; i++) {
		uint32_t v = tg_alias_draw(&a, &r);

		assert_true(v < 6);
		counts[v]++;
	}
	tg_alias_free(&a);
	assert_true(chi_square(counts, p, 6, N) < 23.51);

	/* 100 uneven categories, from 1 to 1e4 (x10000 apart) */
	for (int i = 0; i < 100; i++)
		total += big_w[i] = pow(10, i / 25.0);
	for (int i = 0; i < 100; i++)
		big_p[i] = big_w[i] / total;
	assert_int_equal(tg_alias_build(&a, big_w, 100), 0);
	for (int i = 0; i < N; i++)
		big_counts[tg_alias_draw(&a, &r)]++;
	tg_alias_free(&a);
	assert_true(chi_square(big_counts, big_p, 100, N) < 160.06);
}

/* One category; weights that are no distribution are refused. */
static void
test_alias_degenerate(void **state)
{
	const double one[1] = { 0.3 }, zeros[3] = { 0, 0, 0 };
	const double negative[3] = { 0.5, -0.1, 0.6 };
	const double not_a_number[2] = { 0.5, NAN };
	const double infinite[2] = { 0.5, INFINITY };
	struct tg_alias a;
	struct tg_rng r;

	(void)state;
	tg_rng_seed(&r, 23, 0);
	assert_int_equal(tg_alias_build(&a, one, 1), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(tg_alias_draw(&a, &r), 0);
	tg_alias_free(&a);
	assert_null(a.threshold);
	tg_alias_free(&a);	/* twice is harmless */

	assert_int_equal(tg_alias_build(&a, one, 0), -1);
	assert_int_equal(tg_alias_build(&a, zeros, 3), -1);
	assert_int_equal(tg_alias_build(&a, negative, 3), -1);
	assert_int_equal(tg_alias_build(&a, not_a_number, 2), -1);
	assert_int_equal(tg_alias_build(&a, infinite, 2), -1);
	assert_null(a.threshold);	/* a failed build owns nothing */
}

static struct tg_hist
make_hist(uint32_t n, const uint32_t *lo, const uint32_t *hi, const double *p)
{
	struct tg_hist h;
	uint32_t *l = malloc(n * sizeof(*l)), *u = malloc(n * sizeof(*u));
	double *q = malloc(n * sizeof(*q));

	memcpy(l, lo, n * sizeof(*l));
	memcpy(u, hi, n * sizeof(*u));
	memcpy(q, p, n * sizeof(*q));
	assert_int_equal(tg_hist_init(&h, n, l, u, q), 0);
	return h;
}

/* Exact values: only those come out, in their proportions (chi-square
 * with 2 degrees of freedom, P(> 18.42) = 1e-4). */
static void
test_hist_exact(void **state)
{
	const uint32_t v[3] = { 64, 128, 255 };
	const double p[3] = { 0.2, 0.5, 0.3 };
	unsigned counts[3] = { 0 };
	struct tg_hist h = make_hist(3, v, v, p);
	struct tg_rng r;

	(void)state;
	tg_rng_seed(&r, 29, 0);
	for (int i = 0; i < N; i++) {
		uint32_t x = tg_hist_draw(&h, &r);

		assert_true(x == 64 || x == 128 || x == 255);
		counts[x == 64 ? 0 : x == 128 ? 1 : 2]++;
	}
	assert_true(chi_square(counts, p, 3, N) < 18.42);
	assert_true(fabs(tg_hist_mean(&h) - (0.2 * 64 + 0.5 * 128 +
					     0.3 * 255)) < 1e-9);
	tg_hist_free(&h);
}

/* Ranges: values stay inside the bins, bins come out in their
 * proportions (2 degrees of freedom, < 18.42) and values are uniform
 * inside a bin (the 10 values of bin 0: 9 degrees of freedom, P(> 33.72)
 * = 1e-4). A bin over all of uint32 works too. */
static void
test_hist_ranges(void **state)
{
	const uint32_t lo[3] = { 0, 10, 100 }, hi[3] = { 9, 99, 100 };
	const double p[3] = { 0.5, 0.3, 0.2 }, tenth[10] = {
		0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 };
	const uint32_t all_lo[1] = { 0 }, all_hi[1] = { UINT32_MAX };
	const double one[1] = { 1 };
	unsigned bins[3] = { 0 }, values[10] = { 0 };
	struct tg_hist h = make_hist(3, lo, hi, p);
	struct tg_rng r;
	uint64_t above = 0;

	(void)state;
	tg_rng_seed(&r, 31, 0);
	for (int i = 0; i < N; i++) {
		uint32_t x = tg_hist_draw(&h, &r);

		assert_true(x <= 100);
		bins[x < 10 ? 0 : x < 100 ? 1 : 2]++;
		if (x < 10)
			values[x]++;
	}
	assert_true(chi_square(bins, p, 3, N) < 18.42);
	assert_true(chi_square(values, tenth, 10, bins[0]) < 33.72);
	assert_true(fabs(tg_hist_mean(&h) - (0.5 * 4.5 + 0.3 * 54.5 +
					     0.2 * 100)) < 1e-9);
	tg_hist_free(&h);
	assert_int_equal(h.n, 0);

	h = make_hist(1, all_lo, all_hi, one);
	for (int i = 0; i < 1000; i++)
		above += tg_hist_draw(&h, &r) > UINT32_MAX / 2;
	assert_true(above > 400 && above < 600);
	tg_hist_free(&h);
}

/* One bin; bins and weights that are no distribution are refused, and
 * the arrays stay the caller's. */
static void
test_hist_degenerate(void **state)
{
	uint32_t lo[2] = { 5, 9 }, hi[2] = { 5, 7 };
	double p[2] = { 0.5, 0.5 }, zeros[2] = { 0, 0 };
	double negative[2] = { 1.5, -0.5 }, nan_p[2] = { NAN, 1 };
	const uint32_t seven[1] = { 7 };
	const double one[1] = { 1 };
	struct tg_hist h;
	struct tg_rng r;

	(void)state;
	tg_rng_seed(&r, 37, 0);
	h = make_hist(1, seven, seven, one);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(tg_hist_draw(&h, &r), 7);
	tg_hist_free(&h);

	assert_int_equal(tg_hist_init(&h, 2, lo, hi, p), -1);	/* 9 > 7 */
	hi[1] = 9;
	assert_int_equal(tg_hist_init(&h, 2, lo, hi, zeros), -1);
	assert_int_equal(tg_hist_init(&h, 2, lo, hi, negative), -1);
	assert_int_equal(tg_hist_init(&h, 2, lo, hi, nan_p), -1);
	assert_int_equal(tg_hist_init(&h, 0, lo, hi, p), -1);
	assert_int_equal(h.n, 0);
	assert_null(h.lo);
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
		cmocka_unit_test(test_lnmix_cdf),
		cmocka_unit_test(test_alias_chi_square),
		cmocka_unit_test(test_alias_degenerate),
		cmocka_unit_test(test_hist_exact),
		cmocka_unit_test(test_hist_ranges),
		cmocka_unit_test(test_hist_degenerate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
