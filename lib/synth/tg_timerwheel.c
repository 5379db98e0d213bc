/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>

#include "tg_timerwheel.h"

/* A tick is a nanosecond: then the due heap only holds entries of one
 * time. Coarser ticks save a cascade now and then but let the heap grow
 * to all the entries of a tick, and each of its levels misses the cache
 * in a large table. */
#define TICK_SHIFT 0
#define LEVEL_BITS 6		/* TG_TW_BUCKETS = 2^6 */
#define DUE_MIN 64		/* the due heap's first size */

_Static_assert(TG_TW_BUCKETS == 1 << LEVEL_BITS, "one bit per bucket");
_Static_assert(TG_TW_LEVELS * LEVEL_BITS + TICK_SHIFT >= 64,
	       "the levels reach every time");

/* A node's link (and a list head) is TG_TW_IDLE, one of these, or the
 * next slot of its list plus LINK_BASE. */
#define LINK_END 1		/* last of its list, or an empty list */
#define LINK_DUE 2		/* in the due heap */
#define LINK_BASE 3
#define SLOT_NONE UINT32_MAX

static uint32_t
link_of(uint32_t slot)
{
	return slot + LINK_BASE;
}

static uint32_t
slot_of(uint32_t link)
{
	return link - LINK_BASE;
}

static uint64_t
tick_of(const struct tg_tw_node *n)
{
	return n->time_ns >> TICK_SHIFT;
}

static bool
earlier(const struct tg_tw_node *a, const struct tg_tw_node *b)
{
	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns;
	return (int32_t)(a->seq - b->seq) < 0;
}

static bool
slot_earlier(const struct tg_timerwheel *w, uint32_t a, uint32_t b)
{
	return earlier(&w->node[a], &w->node[b]);
}

/* --- The due heap: slots at or before the current tick ------------------ */

static void
due_sift_up(struct tg_timerwheel *w, uint32_t i, uint32_t slot)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!slot_earlier(w, slot, w->due[parent]))
			break;
		w->due[i] = w->due[parent];
		i = parent;
	}
	w->due[i] = slot;
}

static void
due_sift_down(struct tg_timerwheel *w, uint32_t i, uint32_t slot)
{
	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= w->n_due)
			break;
		if (child + 1 < w->n_due &&
		    slot_earlier(w, w->due[child + 1], w->due[child]))
			child++;
		if (!slot_earlier(w, w->due[child], slot))
			break;
		w->due[i] = w->due[child];
		i = child;
	}
	w->due[i] = slot;
}

static bool
due_grow(struct tg_timerwheel *w)
{
	uint64_t want = w->due_cap ? 2 * (uint64_t)w->due_cap : DUE_MIN;
	uint32_t *p;

	if (want > w->due_limit)
		want = w->due_limit;
	if (want <= w->due_cap)
		return false;
	p = realloc(w->due, want * sizeof(*p));
	if (p == NULL)
		return false;
	w->due = p;
	w->due_cap = (uint32_t)want;
	return true;
}

/* Into the due heap; if it cannot grow (out of memory), into the spill
 * list, which is slow to search but keeps the order exact. */
static void
due_add(struct tg_timerwheel *w, uint32_t slot)
{
	if (w->n_due == w->due_cap && !due_grow(w)) {
		w->node[slot].link = w->spill;
		w->spill = link_of(slot);
		return;
	}
	w->node[slot].link = LINK_DUE;
	due_sift_up(w, w->n_due++, slot);
}

static void
due_pop_top(struct tg_timerwheel *w)
{
	uint32_t last = w->due[--w->n_due];

	if (w->n_due > 0)
		due_sift_down(w, 0, last);
}

static void
spill_unlink(struct tg_timerwheel *w, uint32_t slot)
{
	uint32_t *at = &w->spill;

	while (*at != link_of(slot))
		at = &w->node[slot_of(*at)].link;
	*at = w->node[slot].link;
}

/* --- The wheel ------------------------------------------------------------ */

/* Put the list starting at `link` in front of the list at *head. */
static void
splice(struct tg_timerwheel *w, uint32_t link, uint32_t *head)
{
	while (link != LINK_END) {
		uint32_t slot = slot_of(link);

		link = w->node[slot].link;
		w->node[slot].link = *head;
		*head = link_of(slot);
	}
}

/* Move the current tick back to `tick`. The wheel moves on to its first
 * entry as soon as nothing is due, so a caller may push before it (the
 * caller's own time is that of the last pop, or earlier). Let d be the
 * highest digit in which `tick` and the current tick differ: the entries
 * waiting below level d, and those due now, share the current tick's
 * digits from d up, which are above those of `tick` at d: they all
 * belong in one bucket of level d. Entries from level d up stay. */
static void
rewind_to(struct tg_timerwheel *w, uint64_t tick)
{
	unsigned d = (unsigned)(63 - __builtin_clzll(tick ^ w->now_tick)) /
		     LEVEL_BITS;
	unsigned b = (unsigned)(w->now_tick >> (d * LEVEL_BITS)) &
		     (TG_TW_BUCKETS - 1);
	uint32_t *head = &w->head[d][b];

	for (uint32_t i = 0; i < w->n_due; i++) {
		w->node[w->due[i]].link = *head;
		*head = link_of(w->due[i]);
	}
	w->n_due = 0;
	splice(w, w->spill, head);
	w->spill = LINK_END;
	for (unsigned level = 0; level < d; level++) {
		for (uint64_t o = w->occupied[level]; o != 0; o &= o - 1) {
			unsigned ob = (unsigned)__builtin_ctzll(o);

			splice(w, w->head[level][ob], head);
			w->head[level][ob] = LINK_END;
		}
		w->occupied[level] = 0;
	}
	if (*head != LINK_END)
		w->occupied[d] |= 1ULL << b;
	w->now_tick = tick;
}

/* Where `slot` waits: the due heap if its tick has come, else the bucket
 * of the highest digit in which its tick differs from the current one. */
static void
place(struct tg_timerwheel *w, uint32_t slot)
{
	uint64_t tick = tick_of(&w->node[slot]);
	unsigned level, b;
	uint32_t *head;

	if (tick < w->now_tick)
		rewind_to(w, tick);
	if (tick <= w->now_tick) {
		due_add(w, slot);
		return;
	}
	level = (unsigned)(63 - __builtin_clzll(tick ^ w->now_tick)) /
		LEVEL_BITS;
	b = (unsigned)(tick >> (level * LEVEL_BITS)) & (TG_TW_BUCKETS - 1);
	head = &w->head[level][b];
	w->node[slot].link = *head;
	*head = link_of(slot);
	w->occupied[level] |= 1ULL << b;
}

/* Spread a bucket's list over the levels below and the due heap. */
static void
cascade(struct tg_timerwheel *w, unsigned level, unsigned b)
{
	uint32_t link = w->head[level][b];

	w->head[level][b] = LINK_END;
	w->occupied[level] &= ~(1ULL << b);
	while (link != LINK_END) {
		uint32_t slot = slot_of(link);

		link = w->node[slot].link;
		place(w, slot);
	}
}

static bool
due_any(const struct tg_timerwheel *w)
{
	return w->n_due > 0 || w->spill != LINK_END;
}

/* Move the current tick on to the first tick that has entries (the due
 * heap is empty and the wheel is not). Buckets of a level hold ticks
 * whose digit there is above the current tick's, and the same digits
 * higher up: the first bucket past the current one on the lowest level
 * that has any is where the earliest entries wait. */
static void
advance(struct tg_timerwheel *w)
{
	unsigned level = 0;

	while (level < TG_TW_LEVELS) {
		unsigned shift = level * LEVEL_BITS;
		unsigned digit = (unsigned)(w->now_tick >> shift) &
				 (TG_TW_BUCKETS - 1);
		uint64_t later = digit == TG_TW_BUCKETS - 1
				 ? 0 : w->occupied[level] & (~0ULL << (digit + 1));
		unsigned b;

		if (later == 0) {
			level++;
			continue;
		}
		b = (unsigned)__builtin_ctzll(later);
		w->now_tick = ((w->now_tick >> shift >> LEVEL_BITS
				<< LEVEL_BITS) | b) << shift;
		cascade(w, level, b);
		if (due_any(w))
			return;
		level = 0;	/* all went to the levels below */
	}
}

/* After a change: the due heap takes what it can from the spill list,
 * the current tick moves on if nothing is due, and `first` is the slot
 * that pops next. */
static void
settle(struct tg_timerwheel *w)
{
	uint32_t best;

	while (w->spill != LINK_END && w->n_due < w->due_cap) {
		uint32_t slot = slot_of(w->spill);

		w->spill = w->node[slot].link;
		due_add(w, slot);
	}
	if (!due_any(w) && w->n > 0)
		advance(w);
	best = w->n_due > 0 ? w->due[0] : SLOT_NONE;
	for (uint32_t l = w->spill; l != LINK_END; l = w->node[slot_of(l)].link)
		if (best == SLOT_NONE || slot_earlier(w, slot_of(l), best))
			best = slot_of(l);
	w->first = best;
}

static void
reset(struct tg_timerwheel *w)
{
	for (unsigned l = 0; l < TG_TW_LEVELS; l++) {
		w->occupied[l] = 0;
		for (unsigned b = 0; b < TG_TW_BUCKETS; b++)
			w->head[l][b] = LINK_END;
	}
	w->n_due = 0;
	w->spill = LINK_END;
	w->first = SLOT_NONE;
}

int
tg_timerwheel_init(struct tg_timerwheel *w, uint32_t cap)
{
	*w = (struct tg_timerwheel){ .cap = cap, .due_limit = UINT32_MAX };
	reset(w);
	if (cap > UINT32_MAX - LINK_BASE)
		return -1;
	/* calloc: every node TG_TW_IDLE, and pages are only touched as
	 * slots are first used. */
	w->node = calloc(cap ? cap : 1, sizeof(*w->node));
	if (w->node == NULL || !due_grow(w)) {
		tg_timerwheel_free(w);
		return -1;
	}
	return 0;
}

void
tg_timerwheel_free(struct tg_timerwheel *w)
{
	free(w->node);
	free(w->due);
	w->node = NULL;
	w->due = NULL;
	w->cap = w->n = w->n_due = w->due_cap = 0;
}

void
tg_timerwheel_push(struct tg_timerwheel *w, uint32_t slot, uint64_t time_ns,
		   uint32_t seq)
{
	w->node[slot].time_ns = time_ns;
	w->node[slot].seq = seq;
	w->n++;
	if (slot >= w->used)
		w->used = slot + 1;
	place(w, slot);
	settle(w);
}

uint32_t
tg_timerwheel_pop(struct tg_timerwheel *w)
{
	uint32_t slot = w->first;

	if (w->node[slot].link == LINK_DUE)
		due_pop_top(w);		/* `first` is the heap's top */
	else
		spill_unlink(w, slot);
	w->node[slot].link = TG_TW_IDLE;
	w->n--;
	settle(w);
	return slot;
}

/* The slots in use are below `used`: a walk over them in slot order
 * reads the nodes one after the other, where a walk of the lists would
 * miss the cache at nearly every node of a large table. */

void
tg_timerwheel_clear(struct tg_timerwheel *w)
{
	for (uint32_t i = 0; i < w->used; i++)
		if (w->node[i].link != TG_TW_IDLE)
			w->node[i].link = TG_TW_IDLE;
	reset(w);
	w->n = 0;
}

void
tg_timerwheel_rebuild(struct tg_timerwheel *w)
{
	uint64_t min_tick = UINT64_MAX;

	for (uint32_t i = 0; i < w->used; i++)
		if (w->node[i].link != TG_TW_IDLE &&
		    tick_of(&w->node[i]) < min_tick)
			min_tick = tick_of(&w->node[i]);
	reset(w);
	if (w->n == 0)
		return;
	w->now_tick = min_tick;
	for (uint32_t i = 0; i < w->used; i++)
		if (w->node[i].link != TG_TW_IDLE)
			place(w, i);
	settle(w);
}
