/* SPDX-License-Identifier: BSD-3-Clause
 * tg_timerwheel: the flows (or sessions) of one worker ordered by the
 * time of their next event, in O(1) amortized per push and pop however
 * many wait.
 *
 * Entries are numbered by the caller's slot (0 .. cap-1) and pop in
 * exactly one order: by time, ties to the lower `seq` (start order,
 * compared as serial numbers, RFC 1982: exact while the entries waiting
 * at once are less than 2^31 apart), so the packets never depend on
 * anything but the model and the seed.
 *
 * A hierarchical timer wheel: time in ns ticks; level L has 64 buckets
 * of 64^L ns each, eleven levels reach every 64-bit time. An entry waits
 * in the bucket of the highest 6-bit digit in which its time differs
 * from the wheel's current tick, in a list linked through the slots' own
 * nodes (no allocation per event). When the current tick's entries run
 * out, the wheel moves on to the next bucket that holds any and spreads
 * that bucket over the levels below (at most once per level and entry);
 * a push before the current tick moves it back, lifting the few entries
 * near it into one bucket. The entries of the current tick wait in a
 * small binary heap that orders them by start order; it grows only when
 * more entries share one nanosecond than ever before (the drain, when
 * the flows close at once).
 */
#ifndef TG_TIMERWHEEL_H
#define TG_TIMERWHEEL_H

#include <stdbool.h>
#include <stdint.h>

#define TG_TW_LEVELS 11
#define TG_TW_BUCKETS 64

/* 16 bytes per slot: all the wheel keeps per flow (the due heap aside). */
struct tg_tw_node {
	uint64_t time_ns;
	uint32_t seq;
	uint32_t link;	/* TG_TW_IDLE, or where the entry waits (internal) */
};

_Static_assert(sizeof(struct tg_tw_node) == 16,
	       "a wheel node is part of every flow's state");

#define TG_TW_IDLE 0	/* link of a slot that is not queued (calloc'd) */

struct tg_timerwheel {
	struct tg_tw_node *node;	/* [cap], by slot */
	uint32_t cap;
	uint32_t used;			/* no slot from here on was queued */
	uint32_t n;			/* slots queued */
	uint64_t now_tick;		/* the tick of the due heap */
	uint32_t *due;			/* heap of slots at or before now_tick */
	uint32_t n_due;
	uint32_t due_cap;
	uint32_t due_limit;		/* the heap grows no further (tests) */
	uint32_t spill;			/* due slots the heap could not take */
	uint32_t first;			/* the slot that pops next */
	uint64_t occupied[TG_TW_LEVELS];	/* bit b: bucket b has any */
	uint32_t head[TG_TW_LEVELS][TG_TW_BUCKETS];
};

/* Returns -1 if the memory cannot be had. */
int tg_timerwheel_init(struct tg_timerwheel *w, uint32_t cap);
void tg_timerwheel_free(struct tg_timerwheel *w);

/* Queue `slot` (not queued yet) for time_ns. */
void tg_timerwheel_push(struct tg_timerwheel *w, uint32_t slot,
			uint64_t time_ns, uint32_t seq);
/* Take the first slot out (the wheel is not empty). */
uint32_t tg_timerwheel_pop(struct tg_timerwheel *w);
/* Take every slot out. */
void tg_timerwheel_clear(struct tg_timerwheel *w);

/* Change a queued slot's time in place; call tg_timerwheel_rebuild
 * before the next push or pop. */
static inline void
tg_timerwheel_set_time(struct tg_timerwheel *w, uint32_t slot,
		       uint64_t time_ns)
{
	w->node[slot].time_ns = time_ns;
}

void tg_timerwheel_rebuild(struct tg_timerwheel *w);

static inline bool
tg_timerwheel_empty(const struct tg_timerwheel *w)
{
	return w->n == 0;
}

static inline uint32_t
tg_timerwheel_count(const struct tg_timerwheel *w)
{
	return w->n;
}

static inline bool
tg_timerwheel_queued(const struct tg_timerwheel *w, uint32_t slot)
{
	return w->node[slot].link != TG_TW_IDLE;
}

static inline uint64_t
tg_timerwheel_time(const struct tg_timerwheel *w, uint32_t slot)
{
	return w->node[slot].time_ns;
}

/* The slot that pops next and its time (the wheel is not empty). */
static inline uint32_t
tg_timerwheel_first(const struct tg_timerwheel *w)
{
	return w->first;
}

static inline uint64_t
tg_timerwheel_first_time(const struct tg_timerwheel *w)
{
	return w->node[w->first].time_ns;
}

#endif /* TG_TIMERWHEEL_H */
