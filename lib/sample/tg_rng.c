/* SPDX-License-Identifier: BSD-3-Clause */
#include "tg_rng.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
tg_rng_seed(struct tg_rng *rng, uint64_t seed, uint64_t stream)
{
	/* Mix the stream number in through a second splitmix round so that
	 * (seed, stream) and (seed + 1, stream - 1) do not collide. */
	uint64_t x = seed;
	uint64_t key = splitmix64(&x) ^ (stream * 0xd1b54a32d192ed03ULL);

	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&key);
}
