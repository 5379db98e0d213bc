/* SPDX-License-Identifier: BSD-3-Clause
 * tg_portset: the (client, protocol, source port) triples a worker's live
 * flows hold, so no two of them share a 5-tuple. An open-addressing hash
 * set (linear probing, deletion by backward shift) of members 0..max-1,
 * the caller's flow slots: the keys stay in the flows, and the set keeps
 * 4 bytes per entry, 6 per member at most two thirds full. O(1), no
 * allocation after init. No DPDK here.
 */
#ifndef TG_PORTSET_H
#define TG_PORTSET_H

#include <stdbool.h>
#include <stdint.h>

/* The key of member `id`: stable while it is in the set. */
typedef uint64_t (*tg_portset_key_fn)(const void *ctx, uint32_t id);

/* Members are below this. */
#define TG_PORTSET_MAX_MEMBERS (1u << 28)

struct tg_portset {
	uint32_t *entry;	/* 0: empty; else a member and bits of its
				 * key's hash */
	uint32_t cap;
	uint32_t n;
	uint32_t max;		/* members it accepts */
	tg_portset_key_fn key;
	const void *ctx;
};

/* Bytes a set with room for `max` members allocates. */
uint64_t tg_portset_bytes(uint32_t max);

/* Room for members 0..max-1 (max < TG_PORTSET_MAX_MEMBERS), whose keys
 * key(ctx, id) gives. 0, or -1 without memory. */
int tg_portset_init(struct tg_portset *ps, uint32_t max,
		    tg_portset_key_fn key, const void *ctx);
void tg_portset_free(struct tg_portset *ps);

/* Insert member `id`. False if a member with its key is there already. */
bool tg_portset_add(struct tg_portset *ps, uint32_t id);

/* Remove member `id` (nothing happens if it is absent). Its key must be
 * the one it was added with. */
void tg_portset_del(struct tg_portset *ps, uint32_t id);

#endif /* TG_PORTSET_H */
