/* SPDX-License-Identifier: BSD-3-Clause
 * tg_rng: the one random number generator of tempogen.
 *
 * xoshiro256** (Blackman & Vigna): 256 bits of state, fast, passes BigCrush.
 * Each worker owns its own generator, seeded from (seed, stream) through
 * splitmix64, so streams never share state and runs are reproducible.
 */
#ifndef TG_RNG_H
#define TG_RNG_H

#include <stdint.h>

struct tg_rng {
	uint64_t s[4];
};

/* Seed a generator; different `stream` values give independent sequences. */
void tg_rng_seed(struct tg_rng *rng, uint64_t seed, uint64_t stream);

static inline uint64_t
tg_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
tg_rng_next(struct tg_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = tg_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = tg_rng_rotl(s[3], 45);
	return result;
}

/* Uniform double in [0, 1), 53 bits of precision. */
static inline double
tg_rng_uniform(struct tg_rng *rng)
{
	return (double)(tg_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n) without division (Lemire's multiply-shift;
 * the bias is below 2^-32 for every n < 2^32, far under what we can see). */
static inline uint32_t
tg_rng_below(struct tg_rng *rng, uint32_t n)
{
	return (uint32_t)(((tg_rng_next(rng) >> 32) * (uint64_t)n) >> 32);
}

#endif /* TG_RNG_H */
