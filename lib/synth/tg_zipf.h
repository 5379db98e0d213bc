/* SPDX-License-Identifier: BSD-3-Clause
 * tg_zipf: who talks how often. Hosts of a fitted model are ranked by how
 * many flows they have (a Zipf law: rank r gets a share ~ (r + 1)^-s), and
 * ranks are mapped onto a pool's hosts by a fixed random permutation, so a
 * seed always gives the same busy hosts and they are spread over the pool.
 * No DPDK here.
 */
#ifndef TG_ZIPF_H
#define TG_ZIPF_H

#include <stdint.h>

#include "tg_rng.h"
#include "tg_sample.h"

/* Ranks 0..n-1 drawn by an alias table: O(1) per draw. */
struct tg_zipf {
	struct tg_alias alias;
};

/* n >= 1 ranks with exponent s >= 0 (0: uniform). 0, or -1 without
 * memory. */
int tg_zipf_init(struct tg_zipf *z, uint32_t n, double s);
void tg_zipf_free(struct tg_zipf *z);

static inline uint32_t
tg_zipf_draw(const struct tg_zipf *z, struct tg_rng *rng)
{
	return tg_alias_draw(&z->alias, rng);
}

/* A random permutation of [0, n) that needs no table: x -> (a x + b) mod n
 * with a coprime to n. */
struct tg_perm {
	uint64_t n;
	uint64_t a;
	uint64_t b;
};

void tg_perm_init(struct tg_perm *p, uint32_t n, struct tg_rng *rng);

static inline uint32_t
tg_perm_map(const struct tg_perm *p, uint32_t x)
{
	return (uint32_t)((p->a * x + p->b) % p->n);
}

#endif /* TG_ZIPF_H */
