/* SPDX-License-Identifier: BSD-3-Clause
 * tg_portset: the (client, protocol, source port) triples a worker's live
 * flows hold, so no two of them share a 5-tuple. An open-addressing hash
 * set of 64-bit keys (linear probing, deletion by backward shift): O(1),
 * no allocation after init. No DPDK here.
 */
#ifndef TG_PORTSET_H
#define TG_PORTSET_H

#include <stdbool.h>
#include <stdint.h>

struct tg_portset {
	uint64_t *slot;		/* 0: empty */
	uint32_t mask;
	uint32_t n;
	uint32_t max;		/* entries it accepts (half its slots) */
};

/* Bytes a set with room for `max` keys allocates. */
uint64_t tg_portset_bytes(uint32_t max);

/* Room for `max` keys. 0, or -1 without memory. */
int tg_portset_init(struct tg_portset *ps, uint32_t max);
void tg_portset_free(struct tg_portset *ps);

/* Insert a non-zero key. False if it is already there or the set is full. */
bool tg_portset_add(struct tg_portset *ps, uint64_t key);

/* Remove a key (nothing happens if it is absent). */
void tg_portset_del(struct tg_portset *ps, uint64_t key);

#endif /* TG_PORTSET_H */
