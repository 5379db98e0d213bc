/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "tg_mem.h"
#include "tg_timerwheel.h"

#define DUE_MIN 64		/* the due heap's first size */
/* The due heap is 4-ary: a node's children fill one cache line (4 entries
 * of 16 bytes, lines aligned by DUE_PAD entries before the root), so
 * that a sift through a heap of millions (a bucket holds that many when
 * the flows are that many) misses the cache half as often as a binary
 * heap's. */
#define DUE_ARITY 4
#define DUE_SHRINK_FROM (1u << 16)	/* entries; a smaller heap stays */
#define DUE_PAD (64 / sizeof(struct tg_tw_due) - 1)
_Static_assert(DUE_ARITY * sizeof(struct tg_tw_due) == 64,
	       "a node's children fill one cache line");
/* Entries of the next period's far bucket moved to the near ring per push
 * or pop: in a busy period the bucket is in long before its time. */
#define MOVE_STEP 8

_Static_assert(TG_TW_NEAR << TG_TW_BUCKET_SHIFT == 2ULL << TG_TW_PERIOD_SHIFT,
	       "the near ring holds two periods");

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

/* The one order: by time, ties to the lower seq (serial numbers). */
static bool
earlier(uint64_t time_a, uint32_t seq_a, uint64_t time_b, uint32_t seq_b)
{
	if (time_a != time_b)
		return time_a < time_b;
	return (int32_t)(seq_a - seq_b) < 0;
}

static bool
slot_earlier(const struct tg_timerwheel *w, uint32_t a, uint32_t b)
{
	const struct tg_tw_node *na = tg_tw_node(w, a), *nb = tg_tw_node(w, b);

	return earlier(na->time_ns, na->seq, nb->time_ns, nb->seq);
}

static bool
due_earlier(const struct tg_tw_due *a, const struct tg_tw_due *b)
{
	return earlier(a->time_ns, a->seq, b->time_ns, b->seq);
}

/* --- The due heap: slots before the current bucket's end ---------------- */

static void
due_sift_up(struct tg_timerwheel *w, uint32_t i, struct tg_tw_due e)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / DUE_ARITY;

		if (!due_earlier(&e, &w->due[parent]))
			break;
		w->due[i] = w->due[parent];
		i = parent;
	}
	w->due[i] = e;
}

static void
due_sift_down(struct tg_timerwheel *w, uint32_t i, struct tg_tw_due e)
{
	for (;;) {
		uint32_t first = DUE_ARITY * i + 1, child = first, end;

		if (first >= w->n_due)
			break;
		end = w->n_due - first < DUE_ARITY ? w->n_due
						     : first + DUE_ARITY;
		for (uint32_t c = first + 1; c < end; c++)
			if (due_earlier(&w->due[c], &w->due[child]))
				child = c;
		if (!due_earlier(&w->due[child], &e))
			break;
		w->due[i] = w->due[child];
		i = child;
	}
	w->due[i] = e;
}

/* Room for `want` entries (at least n_due), aligned for DUE_ARITY. */
static bool
due_resize(struct tg_timerwheel *w, uint64_t want)
{
	struct tg_tw_due *p;

	p = aligned_alloc(64, ((want + DUE_PAD) * sizeof(*p) + 63) & ~63ull);
	if (p == NULL)
		return false;
	if (w->due != NULL) {
		memcpy(p + DUE_PAD, w->due, w->n_due * sizeof(*p));
		free(w->due - DUE_PAD);
	}
	w->due = p + DUE_PAD;
	w->due_cap = (uint32_t)want;
	return true;
}

static bool
due_grow(struct tg_timerwheel *w)
{
	uint64_t want = w->due_cap ? 2 * (uint64_t)w->due_cap : DUE_MIN;

	if (want > w->due_limit)
		want = w->due_limit;
	return want > w->due_cap && due_resize(w, want);
}

/* A heap that held millions at once (every flow of a crowd starting at
 * the same time) gives the memory back as it empties. */
static void
due_shrink(struct tg_timerwheel *w)
{
	if (w->due_cap > DUE_SHRINK_FROM && w->n_due < w->due_cap / 8)
		due_resize(w, w->due_cap / 2);
}

/* Into the due heap; if it cannot grow (out of memory), into the spill
 * list, which is slow to search but keeps the order exact. */
static void
due_add(struct tg_timerwheel *w, uint32_t slot)
{
	struct tg_tw_node *node = tg_tw_node(w, slot);

	if (w->n_due == w->due_cap && !due_grow(w)) {
		node->link = w->spill;
		w->spill = link_of(slot);
		return;
	}
	node->link = LINK_DUE;
	due_sift_up(w, w->n_due++,
		    (struct tg_tw_due){ .time_ns = node->time_ns,
					.seq = node->seq, .slot = slot });
}

static void
due_pop_top(struct tg_timerwheel *w)
{
	struct tg_tw_due last = w->due[--w->n_due];

	if (w->n_due > 0)
		due_sift_down(w, 0, last);
	due_shrink(w);
}

static void
spill_unlink(struct tg_timerwheel *w, uint32_t slot)
{
	uint32_t *at = &w->spill;

	while (*at != link_of(slot))
		at = &tg_tw_node(w, slot_of(*at))->link;
	*at = tg_tw_node(w, slot)->link;
}

/* --- The rings ------------------------------------------------------------ */

static int
ring_init(struct tg_tw_ring *r, uint32_t n)
{
	r->n = n;
	r->head = malloc(n * sizeof(*r->head));
	r->bits = calloc(n / 64, sizeof(*r->bits));
	r->sum = calloc(n / 64 / 64, sizeof(*r->sum));
	if (r->head == NULL || r->bits == NULL || r->sum == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		r->head[i] = LINK_END;
	return 0;
}

static void
ring_free(struct tg_tw_ring *r)
{
	free(r->head);
	free(r->bits);
	free(r->sum);
	r->head = NULL;
	r->bits = r->sum = NULL;
}

/* Empty every bucket (a walk of the occupancy words, not of the heads). */
static void
ring_reset(struct tg_tw_ring *r)
{
	for (uint32_t x = 0; x < r->n / 64; x++) {
		for (uint64_t o = r->bits[x]; o != 0; o &= o - 1)
			r->head[x * 64 + (uint32_t)__builtin_ctzll(o)] = LINK_END;
		r->bits[x] = 0;
	}
	for (uint32_t j = 0; j < r->n / 4096; j++)
		r->sum[j] = 0;
}

static void
ring_add(struct tg_timerwheel *w, struct tg_tw_ring *r, uint32_t i,
	 uint32_t slot)
{
	tg_tw_node(w, slot)->link = r->head[i];
	r->head[i] = link_of(slot);
	r->bits[i / 64] |= 1ULL << (i % 64);
	r->sum[i / 4096] |= 1ULL << (i / 64 % 64);
}

/* Take bucket i's list out of the ring. */
static uint32_t
ring_take(struct tg_tw_ring *r, uint32_t i)
{
	uint32_t list = r->head[i];

	r->head[i] = LINK_END;
	r->bits[i / 64] &= ~(1ULL << (i % 64));
	if (r->bits[i / 64] == 0)
		r->sum[i / 4096] &= ~(1ULL << (i / 64 % 64));
	return list;
}

/* The first occupied bucket from i to the ring's end; UINT32_MAX if none.
 * The summary skips 64 empty words at a time. */
static uint32_t
ring_first_from(const struct tg_tw_ring *r, uint32_t i)
{
	uint32_t x = i / 64, j;
	uint64_t o = r->bits[x] & (~0ULL << (i % 64)), s;

	if (o != 0)
		return x * 64 + (uint32_t)__builtin_ctzll(o);
	if (++x == r->n / 64)
		return UINT32_MAX;
	j = x / 64;
	s = r->sum[j] & (~0ULL << (x % 64));
	while (s == 0) {
		if (++j == r->n / 4096)
			return UINT32_MAX;
		s = r->sum[j];
	}
	x = j * 64 + (uint32_t)__builtin_ctzll(s);
	return x * 64 + (uint32_t)__builtin_ctzll(r->bits[x]);
}

/* The first occupied bucket from i on, round the ring once. */
static uint32_t
ring_next(const struct tg_tw_ring *r, uint32_t i)
{
	uint32_t b = ring_first_from(r, i);

	return b != UINT32_MAX ? b : ring_first_from(r, 0);
}

/* --- Placing entries ------------------------------------------------------ */

static uint64_t
period_of(uint64_t t)
{
	return t >> TG_TW_PERIOD_SHIFT;
}

static uint32_t
near_index(uint64_t t)
{
	return (uint32_t)(t >> TG_TW_BUCKET_SHIFT) & (TG_TW_NEAR - 1);
}

/* Where `slot` waits: the due heap if its time is before the current
 * bucket's end (the last bucket of time: always), the near ring for this
 * period and the next, the far ring for the periods after, else the
 * overflow list. */
static void
place(struct tg_timerwheel *w, uint32_t slot)
{
	uint64_t t = tg_tw_node(w, slot)->time_ns;
	uint64_t p = period_of(t);
	/* A bucket on its way to the heap takes its late comers there. */
	uint64_t from = w->ahead != LINK_END ? w->ahead_start : w->cur;
	uint64_t end = from + (1ULL << TG_TW_BUCKET_SHIFT);

	if (t < end || end < from) {
		due_add(w, slot);
	} else if (p <= w->period + 1) {
		ring_add(w, &w->near, near_index(t), slot);
	} else if (p - w->period < TG_TW_FAR) {
		ring_add(w, &w->far, (uint32_t)p & (TG_TW_FAR - 1), slot);
	} else {
		tg_tw_node(w, slot)->link = w->overflow;
		w->overflow = link_of(slot);
	}
}

static void
place_list(struct tg_timerwheel *w, uint32_t list)
{
	while (list != LINK_END) {
		uint32_t slot = slot_of(list);

		list = tg_tw_node(w, slot)->link;
		place(w, slot);
	}
}

/* Move up to `n` entries of the next period's far bucket to the near
 * ring (UINT32_MAX: all). */
static void
move_next_period(struct tg_timerwheel *w, uint32_t n)
{
	for (; n > 0 && w->moving != LINK_END; n--) {
		uint32_t slot = slot_of(w->moving);

		w->moving = tg_tw_node(w, slot)->link;
		place(w, slot);
	}
	/* The walk goes on at the next push or pop: its node on its way. */
	if (w->moving != LINK_END)
		__builtin_prefetch(tg_tw_node(w, slot_of(w->moving)));
}

/* The current bucket becomes the one starting at `cur`. In a new period
 * the next period's far bucket starts on its way to the near ring, and
 * overflow entries now within the far ring's reach go there. */
static void
enter(struct tg_timerwheel *w, uint64_t cur)
{
	uint64_t p = period_of(cur);
	uint32_t list;

	w->cur = cur;
	if (p == w->period)
		return;
	move_next_period(w, UINT32_MAX);
	w->period = p;
	w->moving = ring_take(&w->far, (uint32_t)(p + 1) & (TG_TW_FAR - 1));
	list = w->overflow;
	w->overflow = LINK_END;
	place_list(w, list);
}

/* The earliest time of the overflow list (not empty). */
static uint64_t
overflow_min(const struct tg_timerwheel *w)
{
	uint64_t t = UINT64_MAX;

	for (uint32_t l = w->overflow; l != LINK_END;
	     l = tg_tw_node(w, slot_of(l))->link)
		if (tg_tw_node(w, slot_of(l))->time_ns < t)
			t = tg_tw_node(w, slot_of(l))->time_ns;
	return t;
}

static bool
due_any(const struct tg_timerwheel *w)
{
	return w->n_due > 0 || w->spill != LINK_END;
}

/* Move on to the next bucket that has entries (the due heap is empty and
 * the wheel is not) and put them in the due heap. The near ring holds
 * the entries of this period and the next, in time order round the ring
 * from the current bucket; the next period's far entries still on their
 * way must be in before a bucket of the next period is taken. */
static void
advance(struct tg_timerwheel *w)
{
	while (!due_any(w)) {
		uint32_t ci = near_index(w->cur);
		uint32_t i = ring_next(&w->near, ci);
		uint32_t from;
		uint64_t p;

		if (i != UINT32_MAX) {
			uint64_t start = w->cur +
				((uint64_t)((i - ci) & (TG_TW_NEAR - 1))
				 << TG_TW_BUCKET_SHIFT);

			if (period_of(start) > w->period &&
			    w->moving != LINK_END) {
				move_next_period(w, UINT32_MAX);
				continue;
			}
			enter(w, start);
			place_list(w, ring_take(&w->near, i));
			continue;
		}
		if (w->moving != LINK_END) {
			move_next_period(w, UINT32_MAX);
			continue;
		}
		from = (uint32_t)(w->period + 2) & (TG_TW_FAR - 1);
		i = ring_next(&w->far, from);
		if (i != UINT32_MAX) {
			/* Nothing before period p: the one before it becomes
			 * the current one, which sends p's bucket on its way. */
			p = w->period + 2 + ((i - from) & (TG_TW_FAR - 1));
			enter(w, (p - 1) << TG_TW_PERIOD_SHIFT);
			continue;
		}
		enter(w, overflow_min(w) >> TG_TW_BUCKET_SHIFT
				 << TG_TW_BUCKET_SHIFT);
	}
}

/* Move up to `n` entries of the bucket on its way into the due heap; the
 * last one in makes it the current bucket. Each fetches the node after
 * it, which the next step, a push or pop later, finds in cache. */
static void
send_ahead(struct tg_timerwheel *w, uint32_t n)
{
	for (; n > 0 && w->ahead != LINK_END; n--) {
		uint32_t slot = slot_of(w->ahead);

		w->ahead = tg_tw_node(w, slot)->link;
		if (w->ahead != LINK_END)
			__builtin_prefetch(tg_tw_node(w, slot_of(w->ahead)));
		due_add(w, slot);
		if (w->ahead == LINK_END)
			enter(w, w->ahead_start);
	}
}

/* Once the heap pops from the current bucket, the next occupied bucket of
 * the same period (a later period's waits for the far entries that move
 * first) starts on its way. Looked for once per current bucket. */
static void
look_ahead(struct tg_timerwheel *w)
{
	uint32_t ci = near_index(w->cur), i;
	uint64_t start;

	if (w->ahead != LINK_END || w->looked_from == w->cur ||
	    w->first_time < w->cur || w->first_time == UINT64_MAX)
		return;
	w->looked_from = w->cur;
	i = ring_next(&w->near, (ci + 1) & (TG_TW_NEAR - 1));
	if (i == UINT32_MAX || i == ci)
		return;
	start = w->cur + ((uint64_t)((i - ci) & (TG_TW_NEAR - 1))
			  << TG_TW_BUCKET_SHIFT);
	if (period_of(start) != w->period)
		return;
	w->ahead_start = start;
	w->ahead = ring_take(&w->near, i);
	__builtin_prefetch(tg_tw_node(w, slot_of(w->ahead)));
}

/* The slot that pops next and its time. */
static void
find_first(struct tg_timerwheel *w)
{
	uint32_t best = w->n_due > 0 ? w->due[0].slot : SLOT_NONE;

	w->first_time = w->n_due > 0 ? w->due[0].time_ns : UINT64_MAX;
	for (uint32_t l = w->spill; l != LINK_END;
	     l = tg_tw_node(w, slot_of(l))->link) {
		if (best == SLOT_NONE || slot_earlier(w, slot_of(l), best)) {
			best = slot_of(l);
			w->first_time = tg_tw_node(w, best)->time_ns;
		}
	}
	w->first = best;
	/* Its pop marks the node idle, and its next push writes it. */
	if (best != SLOT_NONE)
		__builtin_prefetch(tg_tw_node(w, best), 1);
}

/* After a change: the due heap takes what it can from the spill list, the
 * next period's far entries move on a few at a time, and so does the next
 * bucket (all at once when the heap needs it), the current bucket moves
 * on if nothing is due, and `first` is the slot that pops next. */
static void
settle(struct tg_timerwheel *w)
{
	while (w->spill != LINK_END && w->n_due < w->due_cap) {
		uint32_t slot = slot_of(w->spill);

		w->spill = tg_tw_node(w, slot)->link;
		due_add(w, slot);
	}
	move_next_period(w, MOVE_STEP);
	send_ahead(w, 1);
	if (!due_any(w) && w->n > 0 && w->ahead == LINK_END)
		advance(w);
	find_first(w);
	/* What is still on its way comes before what the heap has left. */
	if (w->ahead != LINK_END && w->first_time >= w->ahead_start) {
		send_ahead(w, UINT32_MAX);
		find_first(w);
	}
	look_ahead(w);
}

/* Everything empty, the current bucket the one of time `t`. */
static void
reset(struct tg_timerwheel *w, uint64_t t)
{
	ring_reset(&w->near);
	ring_reset(&w->far);
	w->n_due = 0;
	w->spill = LINK_END;
	w->moving = LINK_END;
	w->overflow = LINK_END;
	w->ahead = LINK_END;
	w->looked_from = UINT64_MAX;
	w->first = SLOT_NONE;
	w->first_time = UINT64_MAX;
	w->cur = t >> TG_TW_BUCKET_SHIFT << TG_TW_BUCKET_SHIFT;
	w->period = period_of(t);
}

static size_t
own_bytes(uint32_t cap)
{
	return (size_t)(cap ? cap : 1) * sizeof(struct tg_tw_node);
}

/* Slots take all links but the LINK_BASE values below them. */
static bool
cap_fits(uint32_t cap)
{
	return cap <= UINT32_MAX - LINK_BASE;
}

int
tg_timerwheel_init(struct tg_timerwheel *w, uint32_t cap)
{
	/* zeroed: every node TG_TW_IDLE, and pages are only touched as
	 * slots are first used. */
	void *nodes = cap_fits(cap) ? tg_mem_alloc(own_bytes(cap)) : NULL;

	if (nodes == NULL ||
	    tg_timerwheel_init_within(w, cap, nodes,
				      sizeof(struct tg_tw_node)) != 0) {
		tg_mem_free(nodes, own_bytes(cap));
		return -1;
	}
	w->owns_nodes = true;
	return 0;
}

int
tg_timerwheel_init_within(struct tg_timerwheel *w, uint32_t cap, void *base,
			  size_t stride)
{
	*w = (struct tg_timerwheel){ .cap = cap, .due_limit = UINT32_MAX,
				     .nodes = base, .stride = stride };
	if (!cap_fits(cap))
		return -1;
	if (ring_init(&w->near, TG_TW_NEAR) != 0 ||
	    ring_init(&w->far, TG_TW_FAR) != 0 || !due_grow(w)) {
		tg_timerwheel_free(w);
		return -1;
	}
	reset(w, 0);
	return 0;
}

void
tg_timerwheel_free(struct tg_timerwheel *w)
{
	if (w->owns_nodes)
		tg_mem_free(w->nodes, own_bytes(w->cap));
	if (w->due != NULL)
		free(w->due - DUE_PAD);
	ring_free(&w->near);
	ring_free(&w->far);
	w->nodes = NULL;
	w->due = NULL;
	w->cap = w->n = w->n_due = w->due_cap = 0;
}

void
tg_timerwheel_push(struct tg_timerwheel *w, uint32_t slot, uint64_t time_ns,
		   uint32_t seq)
{
	struct tg_tw_node *node = tg_tw_node(w, slot);

	node->time_ns = time_ns;
	node->seq = seq;
	if (w->n++ == 0) {
		/* An empty wheel starts anywhere: its rings are empty
		 * already (every entry left them to be popped). */
		w->cur = time_ns >> TG_TW_BUCKET_SHIFT << TG_TW_BUCKET_SHIFT;
		w->period = period_of(time_ns);
	}
	if (slot >= w->used)
		w->used = slot + 1;
	place(w, slot);
	settle(w);
}

uint32_t
tg_timerwheel_pop(struct tg_timerwheel *w)
{
	uint32_t slot = w->first;

	/* Told by the heap, not the node: it is far out of cache. */
	if (w->n_due > 0 && w->due[0].slot == slot)
		due_pop_top(w);
	else
		spill_unlink(w, slot);
	tg_tw_node(w, slot)->link = TG_TW_IDLE;
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
		tg_tw_node(w, i)->link = TG_TW_IDLE;
	reset(w, w->cur);
	w->n = 0;
}

void
tg_timerwheel_rebuild(struct tg_timerwheel *w)
{
	uint64_t min = UINT64_MAX;

	for (uint32_t i = 0; i < w->used; i++) {
		const struct tg_tw_node *node = tg_tw_node(w, i);

		if (node->link != TG_TW_IDLE && node->time_ns < min)
			min = node->time_ns;
	}
	reset(w, min);
	if (w->n == 0)
		return;
	for (uint32_t i = 0; i < w->used; i++)
		if (tg_tw_node(w, i)->link != TG_TW_IDLE)
			place(w, i);
	settle(w);
}
