/* SPDX-License-Identifier: BSD-3-Clause
 * FNV-1a, for the engine's tests (test_synth, test_reel) to tell whether
 * bytes are the same as before: not the engine's, which hashes nothing
 * this way.
 */
#ifndef TG_TEST_HASH_H
#define TG_TEST_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV_BASIS 0xcbf29ce484222325ull

/* h, FNV_BASIS to start, with the n bytes at p hashed in. */
static inline uint64_t
fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#endif /* TG_TEST_HASH_H */
