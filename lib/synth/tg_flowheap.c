/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>

#include "tg_flowheap.h"

static bool
earlier(const struct tg_flowheap_entry *a, const struct tg_flowheap_entry *b)
{
	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns;
	return (int32_t)(a->seq - b->seq) < 0;
}

/* The four grandchildren of entry i, 4i + 3 to 4i + 6, are 64 bytes in
 * a row: with e[3] at the start of a cache line they are one line, which
 * sift_down fetches ahead while it compares the children. With millions
 * of flows nearly every level of the heap is a cache miss, and this
 * overlaps two levels' misses. */
#define LINE 64
#define LEAD 1		/* entries before the first whole line at e[3] */

int
tg_flowheap_init(struct tg_flowheap *h, uint32_t cap)
{
	size_t bytes = ((size_t)(cap ? cap : 1) + LEAD) * sizeof(*h->e);

	bytes = (bytes + LINE - 1) / LINE * LINE;
	h->mem = aligned_alloc(LINE, bytes);
	h->e = h->mem != NULL ? (struct tg_flowheap_entry *)h->mem + LEAD
			      : NULL;
	h->n = 0;
	h->cap = cap;
	return h->e == NULL ? -1 : 0;
}

void
tg_flowheap_free(struct tg_flowheap *h)
{
	free(h->mem);
	h->mem = NULL;
	h->e = NULL;
	h->n = h->cap = 0;
}

void
tg_flowheap_push(struct tg_flowheap *h, struct tg_flowheap_entry e)
{
	uint32_t i = h->n++;

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!earlier(&e, &h->e[parent]))
			break;
		h->e[i] = h->e[parent];
		i = parent;
	}
	h->e[i] = e;
}

/* Put `e` at position i or below it, moving earlier children up. */
static void
sift_down(struct tg_flowheap *h, uint32_t i, struct tg_flowheap_entry e)
{
	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (2 * child + 1 < h->n)
			__builtin_prefetch(&h->e[2 * child + 1]);
		if (child + 1 < h->n && earlier(&h->e[child + 1], &h->e[child]))
			child++;
		if (!earlier(&h->e[child], &e))
			break;
		h->e[i] = h->e[child];
		i = child;
	}
	h->e[i] = e;
}

struct tg_flowheap_entry
tg_flowheap_pop(struct tg_flowheap *h)
{
	struct tg_flowheap_entry top = h->e[0];
	struct tg_flowheap_entry last = h->e[--h->n];

	if (h->n > 0)
		sift_down(h, 0, last);
	return top;
}

void
tg_flowheap_rebuild(struct tg_flowheap *h)
{
	for (uint32_t i = h->n / 2; i-- > 0;)
		sift_down(h, i, h->e[i]);
}
