/* SPDX-License-Identifier: BSD-3-Clause
 * tg_keystream: the bytes that stand for ciphertext (TLS records, SSH
 * packets after NEWKEYS, QUIC protected payloads, opaque data) are real
 * AES-128-CTR keystream from intel-ipsec-mb, so that entropy tests,
 * compressors and classifiers see what they see on the wire.
 *
 * Fast path: one keystream per synth (per lcore, never shared) holds a
 * pool of TG_KEYSTREAM_POOL bytes, encrypted once when the synth is made;
 * a message reads a window of it that starts at an offset drawn from the
 * message's seed and wraps around. Filling a packet is then a memcpy with
 * no per-packet cipher call or allocation, and a later zero-copy path can
 * attach the pool itself. The key and initial counter come from the run's
 * seed and stream, and AES is AES on every SIMD architecture, so the same
 * seed gives the same bytes on any CPU.
 */
#ifndef TG_KEYSTREAM_H
#define TG_KEYSTREAM_H

#include <stddef.h>
#include <stdint.h>

#define TG_KEYSTREAM_POOL (1u << 20)	/* bytes; a power of two */
#define TG_KEYSTREAM_KEY 16		/* AES-128 */

struct tg_keystream;

/* The pool of AES-128-CTR with key and initial counter block `ctr` (big
 * endian, incremented as one 128-bit integer, NIST SP 800-38A B.1): the
 * encryption of TG_KEYSTREAM_POOL zero bytes. NULL with a message in err
 * if memory or the cipher library is missing. */
struct tg_keystream *tg_keystream_create_key(const uint8_t key[TG_KEYSTREAM_KEY],
					     const uint8_t ctr[TG_KEYSTREAM_KEY],
					     char *err, size_t errlen);

/* The pool of a worker: key and counter drawn from (seed, stream). */
struct tg_keystream *tg_keystream_create(uint64_t seed, uint64_t stream,
					 char *err, size_t errlen);

void tg_keystream_free(struct tg_keystream *ks);

/* The whole pool, TG_KEYSTREAM_POOL bytes. */
const uint8_t *tg_keystream_pool(const struct tg_keystream *ks);

/* Bytes [pos, pos + n) of the keystream of a message with `seed`: the
 * pool from an offset the seed picks, wrapping around. */
void tg_keystream_copy(const struct tg_keystream *ks, uint64_t seed,
		       uint64_t pos, uint8_t *out, uint32_t n);

#endif /* TG_KEYSTREAM_H */
