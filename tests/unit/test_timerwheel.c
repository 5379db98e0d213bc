/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the timer wheel (lib/synth/tg_timerwheel): on random
 * workloads it pops in the same order as a plain reference (the earliest
 * by time, ties by serial start order, found by a scan), with equal times,
 * times at and before the last pop, far-future times, start orders that
 * wrap, times lowered in place and rebuilt, a due heap that cannot
 * grow, and one that grows deep; and with its nodes kept inside the
 * caller's records, which it must not write outside its nodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tg_rng.h"
#include "tg_timerwheel.h"

#define CAP 600

/* The reference: the queued slots and their keys. */
struct ref {
	bool queued[CAP];
	uint64_t time[CAP];
	uint32_t seq[CAP];
	uint32_t n;
};

static bool
ref_earlier(const struct ref *r, uint32_t a, uint32_t b)
{
	if (r->time[a] != r->time[b])
		return r->time[a] < r->time[b];
	return (int32_t)(r->seq[a] - r->seq[b]) < 0;
}

static uint32_t
ref_first(const struct ref *r)
{
	uint32_t best = UINT32_MAX;

	for (uint32_t i = 0; i < CAP; i++)
		if (r->queued[i] && (best == UINT32_MAX || ref_earlier(r, i, best)))
			best = i;
	return best;
}

/* A workload: how far ahead of the last pop the times go. */
enum spread {
	SPREAD_TIGHT,	/* a few ns: many equal times, ties by seq */
	SPREAD_MIXED,	/* ns to hours, some in the past, some at now */
	SPREAD_FAR,	/* any 64-bit time, up to UINT64_MAX */
};

static uint64_t
draw_time(struct tg_rng *rng, uint64_t now, enum spread spread)
{
	uint64_t u = tg_rng_next(rng);
	uint64_t back;

	switch (spread) {
	case SPREAD_TIGHT:
		return now + tg_rng_below(rng, 4);
	case SPREAD_MIXED:
		switch (tg_rng_below(rng, 8)) {
		case 0:
			return now;
		case 1:
			back = tg_rng_below(rng, 5000);
			return back < now ? now - back : 0;
		default:
			return now + (u >> tg_rng_below(rng, 64 - 8) >> 8);
		}
	case SPREAD_FAR:
	default:
		if (now == UINT64_MAX || tg_rng_below(rng, 16) == 0)
			return UINT64_MAX;
		return now + (u >> tg_rng_below(rng, 64)) % (UINT64_MAX - now);
	}
}

static void
check_first(const struct tg_timerwheel *w, const struct ref *r)
{
	assert_int_equal(tg_timerwheel_count(w), r->n);
	assert_int_equal(tg_timerwheel_empty(w), r->n == 0);
	if (r->n > 0) {
		uint32_t want = ref_first(r);

		assert_int_equal(tg_timerwheel_first(w), want);
		assert_true(tg_timerwheel_first_time(w) == r->time[want]);
	}
}

/* A caller's record with the wheel's node inside (init_within), its other
 * fields a pattern the wheel must leave alone. */
struct record {
	uint64_t before[2];
	struct tg_tw_node node;
	uint64_t after;
};

#define GUARD 0x5a5a5a5a5a5a5a5aULL

static struct record *
records_new(void)
{
	struct record *recs = calloc(CAP, sizeof(*recs));

	assert_non_null(recs);
	for (uint32_t i = 0; i < CAP; i++)
		recs[i].before[0] = recs[i].before[1] = recs[i].after = GUARD;
	return recs;
}

static void
records_check(struct record *recs)
{
	for (uint32_t i = 0; i < CAP; i++) {
		assert_true(recs[i].before[0] == GUARD);
		assert_true(recs[i].before[1] == GUARD);
		assert_true(recs[i].after == GUARD);
	}
	free(recs);
}

/* `ops` random pushes and pops; every `lower_every` ops (0: never) some
 * queued times are lowered in place and the wheel rebuilt. With `within`,
 * the nodes are in records of the test's. */
static void
run_workload_in(uint64_t seed, enum spread spread, uint32_t due_limit,
		uint32_t run_limit, unsigned ops, unsigned lower_every,
		bool within)
{
	struct tg_timerwheel w;
	struct ref *r = calloc(1, sizeof(*r));
	struct record *recs = within ? records_new() : NULL;
	struct tg_rng rng;
	uint32_t next_seq = UINT32_MAX - 3000;	/* wraps during the run */
	uint64_t now = 0;
	unsigned pops = 0;

	assert_non_null(r);
	tg_rng_seed(&rng, seed, spread);
	if (within)
		assert_int_equal(tg_timerwheel_init_within(&w, CAP,
							   &recs->node,
							   sizeof(*recs)), 0);
	else
		assert_int_equal(tg_timerwheel_init(&w, CAP), 0);
	if (due_limit)
		w.due_limit = due_limit;
	if (run_limit)
		w.run_limit = run_limit;
	for (unsigned op = 0; op < ops; op++) {
		uint32_t slot = tg_rng_below(&rng, CAP);

		if (lower_every && op % lower_every == lower_every - 1) {
			for (uint32_t i = 0; i < CAP; i++) {
				if (!r->queued[i] || tg_rng_below(&rng, 3))
					continue;
				assert_true(tg_timerwheel_queued(&w, i));
				r->time[i] = now + tg_rng_below(&rng, 3000);
				if (r->time[i] > tg_timerwheel_time(&w, i))
					r->time[i] = tg_timerwheel_time(&w, i);
				tg_timerwheel_set_time(&w, i, r->time[i]);
			}
			tg_timerwheel_rebuild(&w);
		} else if (!r->queued[slot] && tg_rng_below(&rng, 100) < 55) {
			r->queued[slot] = true;
			r->time[slot] = draw_time(&rng, now, spread);
			r->seq[slot] = next_seq++;
			r->n++;
			tg_timerwheel_push(&w, slot, r->time[slot],
					   r->seq[slot]);
		} else if (r->n > 0) {
			uint32_t want = ref_first(r);

			assert_int_equal(tg_timerwheel_pop(&w), want);
			assert_false(tg_timerwheel_queued(&w, want));
			r->queued[want] = false;
			r->n--;
			now = r->time[want];
			pops++;
		}
		check_first(&w, r);
	}
	/* Empty it: the rest comes out in order too. */
	while (r->n > 0) {
		uint32_t want = ref_first(r);

		assert_int_equal(tg_timerwheel_pop(&w), want);
		r->queued[want] = false;
		r->n--;
		check_first(&w, r);
	}
	assert_true(pops > ops / 4);
	tg_timerwheel_free(&w);
	free(r);
	if (within)
		records_check(recs);
}

static void
run_workload(uint64_t seed, enum spread spread, uint32_t due_limit,
	     unsigned ops, unsigned lower_every)
{
	run_workload_in(seed, spread, due_limit, 0, ops, lower_every, false);
}

static void
test_nodes_within(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 2; seed++) {
		run_workload_in(seed, SPREAD_MIXED, 0, 0, 30000, 997, true);
		run_workload_in(seed, SPREAD_FAR, 4, 0, 30000, 0, true);
	}
}

static void
test_tight_times(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++)
		run_workload(seed, SPREAD_TIGHT, 0, 40000, 0);
}

static void
test_mixed_times(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++)
		run_workload(seed, SPREAD_MIXED, 0, 40000, 0);
}

static void
test_far_times(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++)
		run_workload(seed, SPREAD_FAR, 0, 40000, 0);
}

static void
test_lowered_and_rebuilt(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		run_workload(seed, SPREAD_MIXED, 0, 30000, 997);
		run_workload(seed, SPREAD_FAR, 0, 30000, 997);
	}
}

/* A due heap that may not grow past 4 slots keeps the excess in its
 * spill list: slower, the same order. */
static void
test_due_heap_full(void **state)
{
	(void)state;
	run_workload(7, SPREAD_TIGHT, 4, 20000, 0);
	run_workload(7, SPREAD_MIXED, 4, 20000, 991);
}

/* A bucket too long for the run's memory goes to the due heap instead,
 * and with the heap held small too, on to its spill list: slower, the
 * same order. */
static void
test_run_cannot_grow(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 2; seed++) {
		run_workload_in(seed, SPREAD_TIGHT, 0, 2, 20000, 0, false);
		run_workload_in(seed, SPREAD_MIXED, 0, 2, 20000, 991, false);
		run_workload_in(seed, SPREAD_MIXED, 4, 2, 20000, 0, true);
	}
}

/* Every slot at one time: start order alone decides, across the wrap. */
static void
test_equal_times_wrap(void **state)
{
	struct tg_timerwheel w;
	uint32_t seq0 = UINT32_MAX - CAP / 2;

	(void)state;
	assert_int_equal(tg_timerwheel_init(&w, CAP), 0);
	for (uint32_t i = 0; i < CAP; i++) {
		uint32_t slot = (i * 7) % CAP;	/* 7 and CAP are coprime */

		tg_timerwheel_push(&w, slot, 123456789, seq0 + slot);
	}
	for (uint32_t slot = 0; slot < CAP; slot++)
		assert_int_equal(tg_timerwheel_pop(&w), slot);
	assert_true(tg_timerwheel_empty(&w));
	tg_timerwheel_free(&w);
}

/* The wheel moves on to its first entry; pushes before that point, into
 * an empty wheel or not, still come out first. */
static void
test_push_before_current(void **state)
{
	struct tg_timerwheel w;

	(void)state;
	assert_int_equal(tg_timerwheel_init(&w, CAP), 0);
	tg_timerwheel_push(&w, 1, 5000000, 1);
	assert_int_equal(tg_timerwheel_pop(&w), 1);
	tg_timerwheel_push(&w, 2, 100, 2);	/* empty wheel, before it */
	tg_timerwheel_push(&w, 3, 3000000, 3);
	tg_timerwheel_push(&w, 4, 4000000000, 4);
	tg_timerwheel_push(&w, 5, 200, 5);
	tg_timerwheel_push(&w, 6, 150, 6);
	assert_int_equal(tg_timerwheel_pop(&w), 2);
	assert_int_equal(tg_timerwheel_pop(&w), 6);
	assert_int_equal(tg_timerwheel_pop(&w), 5);
	assert_int_equal(tg_timerwheel_pop(&w), 3);
	assert_int_equal(tg_timerwheel_pop(&w), 4);
	assert_true(tg_timerwheel_empty(&w));
	tg_timerwheel_free(&w);
}

/* A period's far entries move to the near ring a few at a time while the
 * period before runs; a near entry of that period pushed meanwhile, later
 * than all of them, still comes out after them. */
static void
test_next_period_on_its_way(void **state)
{
	const uint64_t period = 1ULL << TG_TW_PERIOD_SHIFT;
	struct tg_timerwheel w;

	(void)state;
	assert_int_equal(tg_timerwheel_init(&w, CAP), 0);
	tg_timerwheel_push(&w, 0, 0, 0);
	for (uint32_t k = 1; k <= 40; k++)	/* far: period 2 */
		tg_timerwheel_push(&w, k, 2 * period + 1000 * k, k);
	tg_timerwheel_push(&w, 41, period + 5, 41);	/* near: period 1 */
	assert_int_equal(tg_timerwheel_pop(&w), 0);
	assert_int_equal(tg_timerwheel_pop(&w), 41);	/* in period 1 */
	tg_timerwheel_push(&w, 42, 2 * period + 500000, 42);
	for (uint32_t k = 1; k <= 40; k++)
		assert_int_equal(tg_timerwheel_pop(&w), k);
	assert_int_equal(tg_timerwheel_pop(&w), 42);
	assert_true(tg_timerwheel_empty(&w));
	tg_timerwheel_free(&w);
}

/* Many flows make a bucket of many entries, so the due heap grows deep
 * (and is copied as it grows): pushed in a random order, interleaved with
 * pops, they still come out by time, then start order. */
#define CROWD 200000

struct crowd_key {
	uint64_t time;
	uint32_t seq;
	uint32_t slot;
};

static int
crowd_cmp(const void *a, const void *b)
{
	const struct crowd_key *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
test_crowded_bucket(void **state)
{
	struct crowd_key *keys = malloc(CROWD * sizeof(*keys));
	struct tg_timerwheel w;
	struct tg_rng rng;
	uint32_t popped = 0;

	(void)state;
	assert_non_null(keys);
	tg_rng_seed(&rng, 11, 0);
	assert_int_equal(tg_timerwheel_init(&w, CROWD), 0);
	for (uint32_t i = 0; i < CROWD; i++) {
		/* Within one 16 us bucket, many times equal. */
		keys[i] = (struct crowd_key){
			.time = 1000000 + tg_rng_below(&rng, 4000),
			.seq = i, .slot = (uint32_t)((i * 7919ull) % CROWD) };
		tg_timerwheel_push(&w, keys[i].slot, keys[i].time, keys[i].seq);
	}
	qsort(keys, CROWD, sizeof(*keys), crowd_cmp);
	for (; popped < CROWD / 2; popped++)
		assert_int_equal(tg_timerwheel_pop(&w), keys[popped].slot);
	/* Pushed back at their own keys, they come out again in place. */
	for (uint32_t i = popped - 1000; i < popped; i++)
		tg_timerwheel_push(&w, keys[i].slot, keys[i].time, keys[i].seq);
	for (popped -= 1000; popped < CROWD; popped++) {
		assert_true(tg_timerwheel_first_time(&w) == keys[popped].time);
		assert_int_equal(tg_timerwheel_pop(&w), keys[popped].slot);
	}
	assert_true(tg_timerwheel_empty(&w));
	tg_timerwheel_free(&w);
	free(keys);
}

static void
test_clear(void **state)
{
	struct tg_timerwheel w;

	(void)state;
	assert_int_equal(tg_timerwheel_init(&w, CAP), 0);
	for (uint32_t i = 0; i < CAP; i += 2)
		tg_timerwheel_push(&w, i, (uint64_t)i << 30, i);
	tg_timerwheel_clear(&w);
	assert_true(tg_timerwheel_empty(&w));
	for (uint32_t i = 0; i < CAP; i++)
		assert_false(tg_timerwheel_queued(&w, i));
	/* Usable again, from any time on. */
	tg_timerwheel_push(&w, 5, 10, 2);
	tg_timerwheel_push(&w, 3, 10, 1);
	tg_timerwheel_push(&w, 9, UINT64_MAX, 0);
	assert_int_equal(tg_timerwheel_pop(&w), 3);
	assert_int_equal(tg_timerwheel_pop(&w), 5);
	assert_int_equal(tg_timerwheel_pop(&w), 9);
	assert_true(tg_timerwheel_empty(&w));
	tg_timerwheel_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tight_times),
		cmocka_unit_test(test_mixed_times),
		cmocka_unit_test(test_far_times),
		cmocka_unit_test(test_lowered_and_rebuilt),
		cmocka_unit_test(test_due_heap_full),
		cmocka_unit_test(test_run_cannot_grow),
		cmocka_unit_test(test_equal_times_wrap),
		cmocka_unit_test(test_push_before_current),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_nodes_within),
		cmocka_unit_test(test_crowded_bucket),
		cmocka_unit_test(test_next_period_on_its_way),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
