/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of model fitting (lib/fit): the log-normal mixture EM recovers
 * the parameters of samples drawn from a known mixture, and BIC picks the
 * number of components they were drawn with.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tg_lnmix_fit.h"

#define N 20000

static double samples[N];

static void
draw(const struct tg_lnmix *truth, uint64_t seed)
{
	struct tg_rng rng;

	tg_rng_seed(&rng, seed, 0);
	for (size_t i = 0; i < N; i++)
		samples[i] = tg_sample_lnmix(&rng, truth);
}

static void
test_one_component_is_the_sample_moments(void **state)
{
	struct tg_lnmix truth = { .k = 1, .weight = { 1 }, .mu = { -3.0 },
				  .sigma = { 0.7 } };
	struct tg_lnmix fit;
	struct tg_lnmix_fit_info info;
	double mean = 0, var = 0;

	(void)state;
	draw(&truth, 1);
	assert_int_equal(tg_lnmix_fit(samples, N, 1, &fit, &info), 0);
	/* With k = 1 the maximum-likelihood answer is the sample mean and
	 * (biased) deviation of the logs: computed here independently. */
	for (size_t i = 0; i < N; i++)
		mean += log(samples[i]) / N;
	for (size_t i = 0; i < N; i++)
		var += (log(samples[i]) - mean) * (log(samples[i]) - mean) / N;
	assert_true(fabs(fit.mu[0] - mean) < 1e-9);
	assert_true(fabs(fit.sigma[0] - sqrt(var)) < 1e-9);
	assert_true(fabs(fit.mu[0] + 3.0) < 0.02);
	assert_true(fabs(fit.weight[0] - 1.0) < 1e-12);
}

static void
test_recovers_two_components(void **state)
{
	/* Short gaps inside bursts and long ones between them. */
	struct tg_lnmix truth = { .k = 2, .weight = { 0.7, 0.3 },
				  .mu = { log(0.002), log(0.5) },
				  .sigma = { 0.5, 1.0 } };
	struct tg_lnmix fit;
	struct tg_lnmix_fit_info info;

	(void)state;
	draw(&truth, 2);
	assert_int_equal(tg_lnmix_fit(samples, N, 2, &fit, &info), 0);
	for (unsigned j = 0; j < 2; j++) {
		assert_true(fabs(fit.weight[j] - truth.weight[j]) < 0.02);
		assert_true(fabs(fit.mu[j] - truth.mu[j]) < 0.05);
		assert_true(fabs(fit.sigma[j] - truth.sigma[j]) < 0.05);
	}
	assert_true(info.iterations < 500);
	assert_true(isfinite(info.loglik));
}

static void
test_bic_picks_the_number_of_components(void **state)
{
	struct tg_lnmix fit;
	struct tg_lnmix_fit_info info;

	(void)state;
	for (unsigned k = 1; k <= 3; k++) {
		struct tg_lnmix truth = { .k = k };

		for (unsigned j = 0; j < k; j++) {
			truth.weight[j] = 1.0 / k;
			truth.mu[j] = -6.0 + 4.0 * j;	/* well apart */
			truth.sigma[j] = 0.5;
		}
		draw(&truth, 10 + k);
		assert_int_equal(tg_lnmix_fit_best(samples, N, 5, &fit, &info),
				 0);
		assert_int_equal(fit.k, k);
	}
}

static void
test_rejects_bad_input(void **state)
{
	struct tg_lnmix fit;
	double bad[3] = { 1.0, 0.0, 2.0 };

	(void)state;
	assert_int_equal(tg_lnmix_fit(bad, 3, 1, &fit, NULL), -1);
	bad[1] = NAN;
	assert_int_equal(tg_lnmix_fit(bad, 3, 1, &fit, NULL), -1);
	assert_int_equal(tg_lnmix_fit(bad, 1, 2, &fit, NULL), -1);
	/* All values equal: a spike, held at the minimum deviation. */
	double same[4] = { 5, 5, 5, 5 };
	assert_int_equal(tg_lnmix_fit(same, 4, 1, &fit, NULL), 0);
	assert_true(fit.sigma[0] == TG_LNMIX_MIN_SIGMA);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_component_is_the_sample_moments),
		cmocka_unit_test(test_recovers_two_components),
		cmocka_unit_test(test_bic_picks_the_number_of_components),
		cmocka_unit_test(test_rejects_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
