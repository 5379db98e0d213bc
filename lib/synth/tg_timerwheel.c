/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "tg_mem.h"
#include "tg_timerwheel.h"

#define DUE_MIN 64		/* the due heap's first size */
/* The due heap is 4-ary: a node's children fill one cache line (4 entries
 * of 16 bytes, lines aligned by DUE_PAD entries before the root), so
 * that a sift through a large heap (thousands pushed back into a crowded
 * bucket; a whole bucket when its run cannot be had) misses the cache
 * half as often as a binary heap's. */
#define DUE_ARITY 4
#define DUE_SHRINK_FROM (1u << 16)	/* entries; a smaller heap stays */
#define DUE_PAD (64 / sizeof(struct tg_tw_due) - 1)
_Static_assert(DUE_ARITY * sizeof(struct tg_tw_due) == 64,
	       "a node's children fill one cache line");
/* Entries of the next period's far bucket moved to the near ring per push
 * or pop: in a busy period the bucket is in long before its time. */
#define MOVE_STEP 8
/* Runs of up to this many keys are sorted by insertion alone. */
#define SHORT_RUN 32

_Static_assert(TG_TW_NEAR << TG_TW_BUCKET_SHIFT == 2ULL << TG_TW_PERIOD_SHIFT,
	       "the near ring holds two periods");

/* A node's link (and a list head) is TG_TW_IDLE, one of these, or the
 * next slot of its list plus LINK_BASE. */
#define LINK_END 1		/* last of its list, or an empty list */
#define LINK_DUE 2		/* in the due heap */
#define LINK_NEAR 3		/* in a near bucket or the run */
#define LINK_BASE 4
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

/* Start order: seq compared as serial numbers. */
static bool
seq_before(uint32_t seq_a, uint32_t seq_b)
{
	return (int32_t)(seq_a - seq_b) < 0;
}

/* The one order: by time, ties to the lower seq. */
static bool
earlier(uint64_t time_a, uint32_t seq_a, uint64_t time_b, uint32_t seq_b)
{
	if (time_a != time_b)
		return time_a < time_b;
	return seq_before(seq_a, seq_b);
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

void
tg_timerwheel_fetch(const struct tg_timerwheel *w, uint32_t slot)
{
	uintptr_t p = (uintptr_t)tg_tw_node(w, slot);
	uintptr_t end = p + w->stride;

	for (p &= ~(uintptr_t)63; p < end; p += 64)
		tg_prefetch_w((const void *)p);
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

/* --- The rings' occupancy ------------------------------------------------ */

static int
ring_init(struct tg_tw_ring *r, uint32_t n)
{
	r->n = n;
	r->bits = calloc(n / 64, sizeof(*r->bits));
	r->sum = calloc(n / 64 / 64, sizeof(*r->sum));
	return r->bits == NULL || r->sum == NULL ? -1 : 0;
}

static void
ring_free(struct tg_tw_ring *r)
{
	free(r->bits);
	free(r->sum);
	r->bits = r->sum = NULL;
}

static void
ring_mark(struct tg_tw_ring *r, uint32_t i)
{
	r->bits[i / 64] |= 1ULL << (i % 64);
	r->sum[i / 4096] |= 1ULL << (i / 64 % 64);
}

static void
ring_unmark(struct tg_tw_ring *r, uint32_t i)
{
	r->bits[i / 64] &= ~(1ULL << (i % 64));
	if (r->bits[i / 64] == 0)
		r->sum[i / 4096] &= ~(1ULL << (i / 64 % 64));
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

/* --- The far ring: lists through the nodes ------------------------------- */

static void
far_add(struct tg_timerwheel *w, uint32_t i, uint32_t slot)
{
	tg_tw_node(w, slot)->link = w->far_head[i];
	w->far_head[i] = link_of(slot);
	ring_mark(&w->far, i);
}

static uint32_t
far_take(struct tg_timerwheel *w, uint32_t i)
{
	uint32_t list = w->far_head[i];

	w->far_head[i] = LINK_END;
	ring_unmark(&w->far, i);
	return list;
}

/* --- The near ring: buckets of keys in chunks ----------------------------- */

#define CHUNK_NONE UINT32_MAX

/* Never fails: there are chunks_for(cap) of them. */
static uint32_t
chunk_get(struct tg_timerwheel *w)
{
	uint32_t c = w->free_chunk;

	if (c != CHUNK_NONE) {
		w->free_chunk = w->chunks[c].next;
		/* The next one's `next`: given back a bucket ago, it is
		 * out of cache. */
		if (w->free_chunk != CHUNK_NONE)
			tg_prefetch(&w->chunks[w->free_chunk]);
		return c;
	}
	return w->fresh_chunk++;
}

static void
chunk_put(struct tg_timerwheel *w, uint32_t c)
{
	w->chunks[c].next = w->free_chunk;
	w->free_chunk = c;
}

static void
near_add(struct tg_timerwheel *w, uint32_t i, uint32_t slot, uint64_t t)
{
	struct tg_tw_bucket *b = &w->bucket[i];
	uint32_t at = b->n % TG_TW_CHUNK_KEYS;

	if (at == 0) {
		uint32_t c = chunk_get(w);

		if (b->n == 0)
			b->first = c;
		else
			w->chunks[b->last].next = c;
		b->last = c;
	}
	w->chunks[b->last].key[at] = (struct tg_tw_key){
		.slot = slot,
		.offset = (uint32_t)(t & ((1u << TG_TW_BUCKET_SHIFT) - 1)) };
	b->n++;
	ring_mark(&w->near, i);
}

/* Fetch, to be written, where near_add puts bucket i's next key (a new
 * chunk comes from the free list, which the last bucket taken filled). */
static void
near_fetch(const struct tg_timerwheel *w, uint32_t i)
{
	const struct tg_tw_bucket *b = &w->bucket[i];
	uint32_t at = b->n % TG_TW_CHUNK_KEYS;

	if (at != 0)
		tg_prefetch_w(&w->chunks[b->last].key[at]);
}

static uint32_t
near_index(uint64_t t)
{
	return (uint32_t)(t >> TG_TW_BUCKET_SHIFT) & (TG_TW_NEAR - 1);
}

/* The staged keys into their buckets: the buckets first fetched all at
 * once, then the places in their chunks, then the keys written. */
static void
stage_flush(struct tg_timerwheel *w)
{
	const struct tg_tw_staged *k = w->staged;

	for (uint32_t j = 0; j < w->n_staged; j++)
		tg_prefetch_w(&w->bucket[near_index(k[j].time_ns)]);
	for (uint32_t j = 0; j < w->n_staged; j++)
		near_fetch(w, near_index(k[j].time_ns));
	for (uint32_t j = 0; j < w->n_staged; j++)
		near_add(w, near_index(k[j].time_ns), k[j].slot, k[j].time_ns);
	w->n_staged = 0;
}

/* The node's link says where it waits from now on; its key follows with
 * TG_TW_STAGE - 1 others at most. */
static void
near_stage(struct tg_timerwheel *w, uint32_t slot, uint64_t t)
{
	tg_tw_node(w, slot)->link = LINK_NEAR;
	w->staged[w->n_staged++] = (struct tg_tw_staged){ .time_ns = t,
							   .slot = slot };
	if (w->n_staged == TG_TW_STAGE)
		stage_flush(w);
}

/* Bucket i's keys copied to `to` (room for them all; NULL: their slots
 * into the due heap), its chunks given back, the bucket empty. */
static uint32_t
near_take(struct tg_timerwheel *w, uint32_t i, struct tg_tw_key *to)
{
	struct tg_tw_bucket *b = &w->bucket[i];
	uint32_t n = b->n, c = b->first;

	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < TG_TW_CHUNK_KEYS ? n - done
							 : TG_TW_CHUNK_KEYS;
		uint32_t next = w->chunks[c].next;

		if (to != NULL)
			memcpy(to + done, w->chunks[c].key, k * sizeof(*to));
		else
			for (uint32_t j = 0; j < k; j++)
				due_add(w, w->chunks[c].key[j].slot);
		chunk_put(w, c);
		done += k;
		c = next;
	}
	b->n = 0;
	ring_unmark(&w->near, i);
	return n;
}

/* --- The run: the current near bucket, sorted ----------------------------- */

/* Room for a run of n keys: the run and run_tmp grow to the next power
 * of two, and shrink to it when n is an eighth of them (a crowd's
 * bucket, millions of keys, gives its memory back). */
static bool
run_reserve(struct tg_timerwheel *w, uint32_t n)
{
	uint64_t want = DUE_MIN;
	struct tg_tw_key *run, *tmp;

	if (n > w->run_limit)
		return false;
	while (want < n)
		want *= 2;
	if (want > UINT32_MAX)
		want = n;
	if (want <= w->run_cap &&
	    (w->run_cap <= DUE_SHRINK_FROM || want > w->run_cap / 8))
		return true;
	run = malloc(want * sizeof(*run));
	tmp = malloc(want * sizeof(*tmp));
	if (run == NULL || tmp == NULL) {
		free(run);
		free(tmp);
		return n <= w->run_cap;
	}
	free(w->run);
	free(w->run_tmp);
	w->run = run;
	w->run_tmp = tmp;
	w->run_cap = (uint32_t)want;
	return true;
}

/* The run's keys, stable sorted by offset: two counting passes of
 * RADIX_BITS, through run_tmp and back. */
#define RADIX_BITS ((TG_TW_BUCKET_SHIFT + 1) / 2)
static void
run_sort_offsets(struct tg_timerwheel *w)
{
	struct tg_tw_key *from = w->run, *to = w->run_tmp, *swap;
	const uint32_t mask = (1u << RADIX_BITS) - 1;

	for (unsigned shift = 0; shift < 2 * RADIX_BITS; shift += RADIX_BITS) {
		uint32_t count[1u << RADIX_BITS] = { 0 }, at = 0;

		for (uint32_t i = 0; i < w->run_n; i++)
			count[from[i].offset >> shift & mask]++;
		for (uint32_t d = 0; d <= mask; d++) {
			uint32_t c = count[d];

			count[d] = at;
			at += c;
		}
		for (uint32_t i = 0; i < w->run_n; i++)
			to[count[from[i].offset >> shift & mask]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
}

/* A short run's keys by offset, stable: an insertion sort. */
static void
run_sort_short(struct tg_timerwheel *w)
{
	for (uint32_t i = 1; i < w->run_n; i++) {
		struct tg_tw_key k = w->run[i];
		uint32_t j = i;

		for (; j > 0 && k.offset < w->run[j - 1].offset; j--)
			w->run[j] = w->run[j - 1];
		w->run[j] = k;
	}
}

/* The keys of the run's head's time into start order, the one place the
 * run reads the nodes: only as they come to the head, when run_fetch has
 * fetched them (with millions of flows half the keys share their time
 * with another, and a sort that read their nodes at once would walk the
 * page tables for each of them one more time). */
static void
run_order_group(struct tg_timerwheel *w)
{
	uint32_t from = w->run_pos, end = from + 1;

	while (end < w->run_n && w->run[end].offset == w->run[from].offset)
		end++;
	for (uint32_t i = from + 1; i < end; i++) {
		struct tg_tw_key k = w->run[i];
		uint32_t j = i;

		for (; j > from && seq_before(tg_tw_node(w, k.slot)->seq,
					      tg_tw_node(w, w->run[j - 1].slot)->seq);
		     j--)
			w->run[j] = w->run[j - 1];
		w->run[j] = k;
	}
	w->run_ordered = end;
}

/* The time of run[i]; past the run's end, the end of time. */
static uint64_t
run_key_time(const struct tg_timerwheel *w, uint32_t i)
{
	return i < w->run_n ? w->run_start + w->run[i].offset : UINT64_MAX;
}

/* Fetch the records of the heap's entries of times in [lo, hi): those
 * that pop among a batch of the run's keys. They form the top of the
 * heap (a parent is never later than its children), so a walk from the
 * root that stops at times from hi on finds them; it visits at most
 * DUE_VISITS entries (a crowd in the heap is fetched a batch later). */
#define DUE_VISITS 32
static void
due_fetch_between(const struct tg_timerwheel *w, uint64_t lo, uint64_t hi)
{
	uint32_t stack[DUE_VISITS * (DUE_ARITY - 1) + 1], n = 0;

	if (w->n_due > 0 && w->due[0].time_ns < hi)
		stack[n++] = 0;
	for (unsigned visits = 0; n > 0 && visits < DUE_VISITS; visits++) {
		uint32_t i = stack[--n], c = DUE_ARITY * i + 1;

		if (w->due[i].time_ns >= lo)
			tg_timerwheel_fetch(w, w->due[i].slot);
		for (uint32_t end = c + DUE_ARITY; c < end && c < w->n_due; c++)
			if (w->due[c].time_ns < hi)
				stack[n++] = c;
	}
}

/* Fetch the records of run[from, from + TG_TW_FETCH) and of the heap's
 * entries that pop among them: each a page walk, all at once. */
static void
run_fetch(const struct tg_timerwheel *w, uint32_t from)
{
	uint32_t end = from + TG_TW_FETCH < w->run_n ? from + TG_TW_FETCH
						      : w->run_n;

	for (uint32_t i = from; i < end; i++)
		tg_timerwheel_fetch(w, w->run[i].slot);
	due_fetch_between(w, from == 0 ? 0 : run_key_time(w, from),
			  run_key_time(w, end));
}

/* Near bucket i, starting at `start` (the current bucket), becomes the
 * run. Without the memory to sort it, its slots go to the due heap. */
static void
run_take(struct tg_timerwheel *w, uint32_t i, uint64_t start)
{
	w->run_n = w->run_pos = 0;
	w->run_start = start;
	if (!run_reserve(w, w->bucket[i].n)) {
		near_take(w, i, NULL);
		return;
	}
	w->run_n = near_take(w, i, w->run);
	w->run_ordered = 0;
	if (w->run_n > SHORT_RUN)
		run_sort_offsets(w);
	else
		run_sort_short(w);
	run_fetch(w, 0);
	run_fetch(w, TG_TW_FETCH);
}

/* --- Placing entries ------------------------------------------------------ */

static uint64_t
period_of(uint64_t t)
{
	return t >> TG_TW_PERIOD_SHIFT;
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
	uint64_t end = w->cur + (1ULL << TG_TW_BUCKET_SHIFT);

	if (t < end || end < w->cur) {
		due_add(w, slot);
	} else if (p <= w->period + 1) {
		near_stage(w, slot, t);
	} else if (p - w->period < TG_TW_FAR) {
		far_add(w, (uint32_t)p & (TG_TW_FAR - 1), slot);
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
		tg_prefetch(tg_tw_node(w, slot_of(w->moving)));
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
	w->moving = far_take(w, (uint32_t)(p + 1) & (TG_TW_FAR - 1));
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
	return w->run_pos < w->run_n || w->n_due > 0 || w->spill != LINK_END;
}

/* Move on to the next bucket that has entries (nothing is due and the
 * wheel is not empty): it becomes the run. The near ring holds the
 * entries of this period and the next, in time order round the ring from
 * the current bucket; the next period's far entries still on their way
 * must be in before a bucket of the next period is taken. */
static void
advance(struct tg_timerwheel *w)
{
	while (!due_any(w)) {
		uint32_t ci = near_index(w->cur), i;

		stage_flush(w);
		i = ring_next(&w->near, ci);
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
			run_take(w, i, start);
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

/* The slot that pops next and its time: the earliest of the run's head,
 * the heap's top and the spill list. */
static void
find_first(struct tg_timerwheel *w)
{
	uint32_t best = SLOT_NONE;

	w->first_time = UINT64_MAX;
	if (w->run_pos < w->run_n) {
		if (w->run_pos >= w->run_ordered)
			run_order_group(w);
		best = w->run[w->run_pos].slot;
		w->first_time = run_key_time(w, w->run_pos);
	}
	if (w->n_due > 0 &&
	    (best == SLOT_NONE ||
	     earlier(w->due[0].time_ns, w->due[0].seq, w->first_time,
		     w->due[0].time_ns == w->first_time
			     ? tg_tw_node(w, best)->seq : 0))) {
		best = w->due[0].slot;
		w->first_time = w->due[0].time_ns;
	}
	for (uint32_t l = w->spill; l != LINK_END;
	     l = tg_tw_node(w, slot_of(l))->link) {
		if (best == SLOT_NONE || slot_earlier(w, slot_of(l), best)) {
			best = slot_of(l);
			w->first_time = tg_tw_node(w, best)->time_ns;
		}
	}
	w->first = best;
}

/* After a change: the due heap takes what it can from the spill list, the
 * next period's far entries move on a few at a time, the current bucket
 * moves on if nothing is due, and `first` is the slot that pops next. */
static void
settle(struct tg_timerwheel *w)
{
	while (w->spill != LINK_END && w->n_due < w->due_cap) {
		uint32_t slot = slot_of(w->spill);

		w->spill = tg_tw_node(w, slot)->link;
		due_add(w, slot);
	}
	move_next_period(w, MOVE_STEP);
	if (!due_any(w) && w->n > 0)
		advance(w);
	find_first(w);
}

/* Everything empty, the current bucket the one of time `t`: a walk of
 * the occupied buckets, not of all. */
static void
reset(struct tg_timerwheel *w, uint64_t t)
{
	for (uint32_t i = ring_first_from(&w->near, 0); i != UINT32_MAX;
	     i = ring_first_from(&w->near, i)) {
		w->bucket[i].n = 0;
		ring_unmark(&w->near, i);
	}
	for (uint32_t i = ring_first_from(&w->far, 0); i != UINT32_MAX;
	     i = ring_first_from(&w->far, i))
		far_take(w, i);
	w->free_chunk = CHUNK_NONE;
	w->fresh_chunk = 0;
	w->n_staged = 0;
	w->run_n = w->run_pos = 0;
	w->n_due = 0;
	w->spill = LINK_END;
	w->moving = LINK_END;
	w->overflow = LINK_END;
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

/* Chunks for every key of `cap` slots in full chunks, and a last one per
 * near bucket that has keys: chunk_get never runs out. */
static uint32_t
chunks_for(uint32_t cap)
{
	return cap / TG_TW_CHUNK_KEYS + 1 + (cap < TG_TW_NEAR ? cap : TG_TW_NEAR);
}

size_t
tg_timerwheel_key_bytes(uint32_t cap)
{
	return (size_t)(cap / TG_TW_CHUNK_KEYS + 1) * sizeof(struct tg_tw_chunk);
}

static size_t
chunk_bytes(uint32_t cap)
{
	return (size_t)chunks_for(cap) * sizeof(struct tg_tw_chunk);
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
				     .run_limit = UINT32_MAX, .nodes = base,
				     .stride = stride };
	if (!cap_fits(cap))
		return -1;
	/* Chunks, like nodes, are only touched as they are first used. */
	w->chunks = tg_mem_alloc(chunk_bytes(cap));
	w->bucket = calloc(TG_TW_NEAR, sizeof(*w->bucket));
	w->far_head = malloc(TG_TW_FAR * sizeof(*w->far_head));
	if (w->chunks == NULL || w->bucket == NULL || w->far_head == NULL ||
	    ring_init(&w->near, TG_TW_NEAR) != 0 ||
	    ring_init(&w->far, TG_TW_FAR) != 0 || !due_grow(w)) {
		tg_timerwheel_free(w);
		return -1;
	}
	for (uint32_t i = 0; i < TG_TW_FAR; i++)
		w->far_head[i] = LINK_END;
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
	tg_mem_free(w->chunks, chunk_bytes(w->cap));
	free(w->bucket);
	free(w->far_head);
	free(w->run);
	free(w->run_tmp);
	ring_free(&w->near);
	ring_free(&w->far);
	*w = (struct tg_timerwheel){ 0 };
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

	/* Told by the run or the heap, not the node: it is seldom in
	 * cache. */
	if (w->run_pos < w->run_n && w->run[w->run_pos].slot == slot) {
		/* The records TG_TW_FETCH pops ahead on their way, a
		 * batch at a time, so that their page walks overlap. */
		if (++w->run_pos % TG_TW_FETCH == 0)
			run_fetch(w, w->run_pos + TG_TW_FETCH);
	} else if (w->n_due > 0 && w->due[0].slot == slot) {
		due_pop_top(w);
	} else {
		spill_unlink(w, slot);
	}
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
