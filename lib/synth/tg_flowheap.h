/* SPDX-License-Identifier: BSD-3-Clause
 * tg_flowheap: the flows of one worker ordered by the time of their next
 * packet (a binary min-heap). Ties go to the older flow, so the order of
 * packets never depends on anything but the model and the seed. Start
 * order is kept in 32 bits and compared as serial numbers (RFC 1982): it
 * is exact while the flows waiting at once started less than 2^31 flows
 * apart.
 */
#ifndef TG_FLOWHEAP_H
#define TG_FLOWHEAP_H

#include <stdbool.h>
#include <stdint.h>

/* 16 bytes: one per flow slot, so it counts in the state of every flow. */
struct tg_flowheap_entry {
	uint64_t time_ns;
	uint32_t seq;		/* tie-breaker: start order (the low 32 bits
				 * of the flow number), compared modulo 2^32 */
	uint32_t slot;		/* the flow's slot in the flow table */
};

_Static_assert(sizeof(struct tg_flowheap_entry) == 16,
	       "a heap entry is part of every flow's state");

struct tg_flowheap {
	struct tg_flowheap_entry *e;	/* e[3] starts a 64-byte line */
	void *mem;			/* what was allocated */
	uint32_t n;
	uint32_t cap;
};

/* Returns -1 if the memory cannot be had. */
int tg_flowheap_init(struct tg_flowheap *h, uint32_t cap);
void tg_flowheap_free(struct tg_flowheap *h);

/* The caller keeps n < cap (one entry per live flow). */
void tg_flowheap_push(struct tg_flowheap *h, struct tg_flowheap_entry e);
struct tg_flowheap_entry tg_flowheap_pop(struct tg_flowheap *h);

/* Restore the heap order after entries' times were changed in place. */
void tg_flowheap_rebuild(struct tg_flowheap *h);

static inline bool
tg_flowheap_empty(const struct tg_flowheap *h)
{
	return h->n == 0;
}

static inline const struct tg_flowheap_entry *
tg_flowheap_top(const struct tg_flowheap *h)
{
	return &h->e[0];
}

#endif /* TG_FLOWHEAP_H */
