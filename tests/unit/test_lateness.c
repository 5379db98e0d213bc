/* SPDX-License-Identifier: BSD-3-Clause
 * The lateness histogram: buckets, percentiles against sorted values,
 * merging, and the edges (empty, zero, the largest values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tg_lateness.h"
#include "tg_rng.h"

#define N 100000

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every value lands in a bucket whose range holds it: the buckets grow
 * monotonically and never by more than an eighth of the value. */
static void
test_buckets_monotonic(void **state)
{
	unsigned prev = 0;

	(void)state;
	for (uint64_t v = 0; v < (1u << 20); v++) {
		unsigned b = tg_lateness_bucket(v);

		assert_true(b >= prev && b <= prev + 1);
		prev = b;
	}
	assert_int_equal(tg_lateness_bucket(UINT64_MAX),
			 TG_LATENESS_BUCKETS - 1);
}

/* Percentiles of log-normal lateness agree with the sorted values to
 * within the bucket width (12.5%). */
static void
test_quantiles_match_sorted(void **state)
{
	static uint64_t v[N];
	static struct tg_lateness h;
	const double qs[] = { 0.01, 0.5, 0.9, 0.99, 0.999 };
	struct tg_rng rng;

	(void)state;
	memset(&h, 0, sizeof(h));
	tg_rng_seed(&rng, 3, 0);
	for (unsigned i = 0; i < N; i++) {
		double u = tg_rng_uniform(&rng) + tg_rng_uniform(&rng) +
			   tg_rng_uniform(&rng);	/* ~ bell, 0..3 */

		v[i] = (uint64_t)(1000.0 * (double)(1u << (unsigned)(u * 6)) *
				  (1 + tg_rng_uniform(&rng)));
		tg_lateness_record(&h, v[i]);
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	assert_int_equal(h.count, N);
	assert_int_equal(h.max_ns, v[N - 1]);
	for (unsigned i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double exact = (double)v[(size_t)(qs[i] * (N - 1))];
		double got = (double)tg_lateness_quantile(&h, qs[i]);

		assert_true(got >= exact * 0.875 && got <= exact * 1.125);
	}
	assert_true(tg_lateness_quantile(&h, 1.0) <= h.max_ns);
}

static void
test_merge_and_edges(void **state)
{
	static struct tg_lateness a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(tg_lateness_quantile(&a, 0.5), 0);
	for (unsigned i = 0; i < 99; i++)
		tg_lateness_record(&a, 0);
	tg_lateness_record(&b, 5000000);
	tg_lateness_merge(&a, &b);
	assert_int_equal(a.count, 100);
	assert_int_equal(a.max_ns, 5000000);
	assert_int_equal(tg_lateness_quantile(&a, 0.5), 0);
	assert_int_equal(tg_lateness_quantile(&a, 0.98), 0);
	/* The top record: its bucket's middle, but never past the maximum. */
	assert_true(tg_lateness_quantile(&a, 1.0) > 4375000 &&
		    tg_lateness_quantile(&a, 1.0) <= 5000000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_monotonic),
		cmocka_unit_test(test_quantiles_match_sorted),
		cmocka_unit_test(test_merge_and_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
