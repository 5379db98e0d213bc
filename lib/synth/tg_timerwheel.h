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
 * Two calendar rings, no cascades. Time is cut into periods of 2^30 ns
 * (1.07 s). The near ring, 2^17 buckets of 2^14 ns (16 us), holds the
 * entries of the current period and the next; the far ring, one bucket
 * per period, holds those up to 2^16 periods (19.5 hours) ahead; later
 * ones wait in an overflow list, scanned once a period. An occupancy
 * bitmap with a summary word per 64 words finds a ring's next bucket.
 * The next period's far bucket moves to the near ring a few entries per
 * push or pop while the current period runs, so a busy period never
 * moves a whole bucket at once, as a hierarchical wheel's cascade does
 * (a stall of milliseconds to seconds with millions of entries); only a
 * period that runs out of entries first moves the rest at once.
 *
 * With millions of entries their slots' records are far out of cache
 * and out of the TLB too, and a record fetched where the next one is
 * only found inside it costs a page walk per entry, one after the other.
 * So the near ring never reads a record: its buckets are arrays of keys
 * (slot and time within the bucket, 8 bytes) in chunks, and a bucket
 * that becomes the current one is copied out whole and sorted by time
 * (a counting sort). That sorted run pops in order, and tells which
 * slots come next: their records are fetched TG_TW_FETCH at a time,
 * TG_TW_FETCH pops ahead, so that the page walks overlap. Keys of equal
 * times (half of them with millions of flows) are put in start order as
 * they come to the run's head, from records fetched by then. Entries
 * pushed into the current bucket after it was sorted, and far and
 * overflow entries (lists linked through the records' nodes, fetched
 * once a period at most), wait in a 4-ary heap ordered by time and start
 * order; a pop takes the earlier of the run's head and the heap's top.
 */
#ifndef TG_TIMERWHEEL_H
#define TG_TIMERWHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TG_TW_BUCKET_SHIFT 14	/* near bucket: 2^14 ns */
#define TG_TW_PERIOD_SHIFT 30	/* period: 2^30 ns */
#define TG_TW_NEAR (1u << 17)	/* near buckets: two periods */
#define TG_TW_FAR (1u << 16)	/* far buckets: periods ahead */
#define TG_TW_CHUNK_KEYS 31	/* keys per chunk of a near bucket */
#define TG_TW_FETCH 16		/* records fetched at once, that far ahead */
#define TG_TW_STAGE 32		/* near keys staged, then added at once */

/* 16 bytes per slot, and a key of 8 while it waits in a near bucket:
 * all the wheel keeps per flow (the run and the due heap aside). The
 * caller may keep it inside its own record of the slot
 * (tg_timerwheel_init_within): a flow's node and its state are then one
 * place in memory, not two. */
struct tg_tw_node {
	uint64_t time_ns;
	uint32_t seq;	/* as pushed: the caller may read it */
	uint32_t link;	/* TG_TW_IDLE, or where the entry waits (internal) */
};

_Static_assert(sizeof(struct tg_tw_node) == 16,
	       "a wheel node is part of every flow's state");

#define TG_TW_IDLE 0	/* link of a slot that is not queued (zeroed) */

/* A near bucket's entry: its slot and its time past the bucket's start. */
struct tg_tw_key {
	uint32_t slot;
	uint32_t offset;
};

/* A near bucket's keys are in chunks of 256 bytes: a key costs little
 * more than its 8 bytes, and a bucket's walk is a read straight on. */
struct tg_tw_chunk {
	uint32_t next;			/* the bucket's next chunk */
	uint32_t unused;
	struct tg_tw_key key[TG_TW_CHUNK_KEYS];
};

struct tg_tw_bucket {
	uint32_t first;			/* chunks: all full but the last */
	uint32_t last;
	uint32_t n;			/* keys */
};

/* A key on its way to the near ring. */
struct tg_tw_staged {
	uint64_t time_ns;
	uint32_t slot;
};

/* An entry of the due heap: its own copy of the slot's keys, so that
 * ordering the heap reads only the heap and never the nodes. */
struct tg_tw_due {
	uint64_t time_ns;
	uint32_t seq;
	uint32_t slot;
};

/* A ring's occupancy: bit i of bits[i / 64], and bit j of sum[j / 64]
 * when bits[j] has any. */
struct tg_tw_ring {
	uint64_t *bits;
	uint64_t *sum;
	uint32_t n;			/* buckets, a power of two */
};

struct tg_timerwheel {
	char *nodes;			/* slot i's node at nodes + i * stride */
	size_t stride;
	bool owns_nodes;		/* allocated by tg_timerwheel_init */
	uint32_t cap;
	uint32_t used;			/* no slot from here on was queued */
	uint32_t n;			/* slots queued */
	uint64_t cur;			/* start of the current near bucket */
	uint64_t period;		/* the current period */
	struct tg_tw_due *due;		/* heap of slots before cur's bucket
					 * end */
	uint32_t n_due;
	uint32_t due_cap;
	uint32_t due_limit;		/* the heap grows no further (tests) */
	uint32_t spill;			/* due slots the heap could not take */
	uint32_t first;			/* the slot that pops next */
	uint64_t first_time;		/* ... and its time: the node of
					 * `first` is seldom in cache */
	uint32_t moving;		/* next period's far list, on its way
					 * to the near ring */
	uint32_t overflow;		/* beyond the far ring */
	/* The current near bucket's keys, sorted (run_tmp: room to sort). */
	struct tg_tw_key *run;
	struct tg_tw_key *run_tmp;
	uint32_t run_n;
	uint32_t run_pos;		/* the next to pop */
	uint32_t run_ordered;		/* keys before it: in start order
					 * among equal times too */
	uint32_t run_cap;
	uint32_t run_limit;		/* the run grows no further (tests) */
	uint64_t run_start;		/* the bucket's start */
	/* Near buckets' chunks: those given back (a list through `next`),
	 * then those never used from `fresh_chunk` on. */
	struct tg_tw_chunk *chunks;
	uint32_t free_chunk;
	uint32_t fresh_chunk;
	struct tg_tw_bucket *bucket;	/* [TG_TW_NEAR] */
	/* Keys for the near ring wait here until TG_TW_STAGE of them, or
	 * a look for the next bucket, send them on: the places they go
	 * to, far apart in memory, are fetched all at once. */
	struct tg_tw_staged staged[TG_TW_STAGE];
	uint32_t n_staged;
	uint32_t *far_head;		/* [TG_TW_FAR] lists */
	struct tg_tw_ring near;		/* occupancy of `bucket` */
	struct tg_tw_ring far;		/* occupancy of `far_head` */
};

/* Returns -1 if the memory cannot be had. */
int tg_timerwheel_init(struct tg_timerwheel *w, uint32_t cap);
/* The nodes are the caller's: slot i's at (char *)base + i * stride,
 * zeroed, and live as long as the wheel. */
int tg_timerwheel_init_within(struct tg_timerwheel *w, uint32_t cap,
			      void *base, size_t stride);
void tg_timerwheel_free(struct tg_timerwheel *w);

/* The memory of the keys of `cap` slots, all in full chunks: what the
 * wheel needs per slot beyond its node. Besides, it reserves a last
 * chunk per near bucket (up to 32 MiB, touched as buckets fill), and has
 * 2 MiB of bucket heads and bitmaps. */
size_t tg_timerwheel_key_bytes(uint32_t cap);

/* Queue `slot` (not queued yet) for time_ns. */
void tg_timerwheel_push(struct tg_timerwheel *w, uint32_t slot,
			uint64_t time_ns, uint32_t seq);
/* Take the first slot out (the wheel is not empty). */
uint32_t tg_timerwheel_pop(struct tg_timerwheel *w);
/* Take every slot out. */
void tg_timerwheel_clear(struct tg_timerwheel *w);

static inline struct tg_tw_node *
tg_tw_node(const struct tg_timerwheel *w, uint32_t slot)
{
	return (struct tg_tw_node *)(w->nodes + (size_t)slot * w->stride);
}

/* Fetch slot's record (the lines of stride bytes from its node) into
 * cache, to be written: its pop writes the node, the caller the rest. */
void tg_timerwheel_fetch(const struct tg_timerwheel *w, uint32_t slot);

/* Change a queued slot's time in place; call tg_timerwheel_rebuild
 * before the next push or pop. */
static inline void
tg_timerwheel_set_time(struct tg_timerwheel *w, uint32_t slot,
		       uint64_t time_ns)
{
	tg_tw_node(w, slot)->time_ns = time_ns;
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
	return tg_tw_node(w, slot)->link != TG_TW_IDLE;
}

static inline uint64_t
tg_timerwheel_time(const struct tg_timerwheel *w, uint32_t slot)
{
	return tg_tw_node(w, slot)->time_ns;
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
	return w->first_time;
}

#endif /* TG_TIMERWHEEL_H */
