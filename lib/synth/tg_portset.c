/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>

#include "tg_portset.h"

static uint32_t
home(const struct tg_portset *ps, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & ps->mask;
}

/* Slots for `max` keys: at most half full keeps probe sequences short. */
static uint32_t
capacity(uint32_t max)
{
	uint32_t cap = 16;

	while (cap < 2 * (uint64_t)max && cap < (1u << 31))
		cap <<= 1;
	return cap;
}

uint64_t
tg_portset_bytes(uint32_t max)
{
	return (uint64_t)capacity(max) * sizeof(uint64_t);
}

int
tg_portset_init(struct tg_portset *ps, uint32_t max)
{
	uint32_t cap = capacity(max);

	ps->slot = calloc(cap, sizeof(*ps->slot));
	ps->mask = cap - 1;
	ps->n = 0;
	ps->max = cap / 2;
	return ps->slot ? 0 : -1;
}

void
tg_portset_free(struct tg_portset *ps)
{
	free(ps->slot);
	ps->slot = NULL;
}

bool
tg_portset_add(struct tg_portset *ps, uint64_t key)
{
	uint32_t i = home(ps, key);

	if (key == 0 || ps->n >= ps->max)
		return false;
	while (ps->slot[i] != 0) {
		if (ps->slot[i] == key)
			return false;
		i = (i + 1) & ps->mask;
	}
	ps->slot[i] = key;
	ps->n++;
	return true;
}

void
tg_portset_del(struct tg_portset *ps, uint64_t key)
{
	uint32_t i = home(ps, key), j;

	while (ps->slot[i] != key) {
		if (ps->slot[i] == 0)
			return;
		i = (i + 1) & ps->mask;
	}
	ps->n--;
	/* Backward shift: pull later entries of the probe run into the hole
	 * unless that would put them before their home slot. */
	for (j = (i + 1) & ps->mask; ps->slot[j] != 0; j = (j + 1) & ps->mask) {
		uint32_t h = home(ps, ps->slot[j]);

		if (((j - h) & ps->mask) >= ((j - i) & ps->mask)) {
			ps->slot[i] = ps->slot[j];
			i = j;
		}
	}
	ps->slot[i] = 0;
}
