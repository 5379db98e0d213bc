/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>

#include "tg_portset.h"

/* An entry: member + 1 in the low bits, and above them the low bits of
 * the key's hash, so a probe reads the caller's key (a cache miss in a
 * table of millions of flows) only for one entry in 16 it passes. */
#define MEMBER_BITS 28
#define MEMBER_MASK ((1u << MEMBER_BITS) - 1)
#define TAG_MASK (~MEMBER_MASK)

_Static_assert(TG_PORTSET_MAX_MEMBERS == 1u << MEMBER_BITS,
	       "member + 1 fits its bits");

static uint32_t
hash(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32);
}

/* Where a key's probe starts: the hash's high bits scaled to the table
 * (any size, not only powers of two). */
static uint32_t
home(const struct tg_portset *ps, uint32_t h)
{
	return (uint32_t)(((uint64_t)h * ps->cap) >> 32);
}

static uint32_t
entry_of(uint32_t id, uint32_t h)
{
	return (h << MEMBER_BITS) | (id + 1);
}

static uint32_t
member(uint32_t entry)
{
	return (entry & MEMBER_MASK) - 1;
}

static uint32_t
next(const struct tg_portset *ps, uint32_t i)
{
	return i + 1 < ps->cap ? i + 1 : 0;
}

/* Probe steps from a to b, going round the end. */
static uint32_t
distance(const struct tg_portset *ps, uint32_t a, uint32_t b)
{
	return b >= a ? b - a : b + ps->cap - a;
}

/* Entries for `max` members: at most two thirds full keeps probe
 * sequences short (5 entries for a miss when full, 2 for a hit). */
static uint32_t
capacity(uint32_t max)
{
	uint64_t cap = (uint64_t)max + max / 2 + 1;

	return cap < 16 ? 16 : (uint32_t)cap;
}

uint64_t
tg_portset_bytes(uint32_t max)
{
	return (uint64_t)capacity(max) * sizeof(uint32_t);
}

int
tg_portset_init(struct tg_portset *ps, uint32_t max, tg_portset_key_fn key,
		const void *ctx)
{
	ps->cap = capacity(max);
	ps->entry = max < TG_PORTSET_MAX_MEMBERS
			    ? calloc(ps->cap, sizeof(*ps->entry)) : NULL;
	ps->n = 0;
	ps->max = max;
	ps->key = key;
	ps->ctx = ctx;
	return ps->entry ? 0 : -1;
}

void
tg_portset_free(struct tg_portset *ps)
{
	free(ps->entry);
	ps->entry = NULL;
}

bool
tg_portset_add(struct tg_portset *ps, uint32_t id)
{
	uint64_t key;
	uint32_t h, tag, i;

	if (id >= ps->max || ps->n >= ps->max)
		return false;	/* not a member: no key to read */
	key = ps->key(ps->ctx, id);
	h = hash(key);
	tag = entry_of(0, h) & TAG_MASK;
	i = home(ps, h);
	for (; ps->entry[i] != 0; i = next(ps, i)) {
		uint32_t e = ps->entry[i];

		if ((e & TAG_MASK) == tag &&
		    ps->key(ps->ctx, member(e)) == key)
			return false;
	}
	ps->entry[i] = entry_of(id, h);
	ps->n++;
	return true;
}

void
tg_portset_del(struct tg_portset *ps, uint32_t id)
{
	uint32_t h, want, i, j;

	if (id >= ps->max)
		return;
	h = hash(ps->key(ps->ctx, id));
	want = entry_of(id, h);
	i = home(ps, h);
	while (ps->entry[i] != want) {
		if (ps->entry[i] == 0)
			return;
		i = next(ps, i);
	}
	ps->n--;
	/* Backward shift: pull later entries of the probe run into the hole
	 * unless that would put them before their home slot. */
	for (j = next(ps, i); ps->entry[j] != 0; j = next(ps, j)) {
		uint32_t k = home(ps, hash(ps->key(ps->ctx,
						   member(ps->entry[j]))));

		if (distance(ps, k, j) >= distance(ps, i, j)) {
			ps->entry[i] = ps->entry[j];
			i = j;
		}
	}
	ps->entry[i] = 0;
}
