/* SPDX-License-Identifier: BSD-3-Clause
 * The Internet checksum (RFC 1071).
 *
 * The buffer is summed in native-order 32-bit words into 64-bit
 * accumulators, and the folded result is turned into big-endian order once
 * at the end. That is exact: the one's complement sum does not depend on
 * how the 16-bit words are grouped, a carry out of the 64-bit sums cannot
 * happen before 2^32 words (16 GiB), and byte-swapping every word swaps
 * the sum (RFC 1071, 2.(A) and 2.(B)). Without carries to chain, the loop
 * has no dependency between words, which the compiler turns into vector
 * adds: about four times faster than one add-with-carry per 64-bit word.
 */
#include <string.h>

#include "tg_cksum.h"

/* Native-order 32-bit word at p, from any alignment. */
static inline uint32_t
load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t
fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* A folded native-order sum as a big-endian one (a byte swap on x86). */
static inline uint16_t
native_to_be16(uint16_t v)
{
	uint8_t b[2];

	memcpy(b, &v, sizeof(b));
	return (uint16_t)(b[0] << 8 | b[1]);
}

uint32_t
tg_cksum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t tail[4] = { 0 };
	uint64_t acc = 0;
	uint64_t total;

	uint64_t acc1 = 0, acc2 = 0, acc3 = 0;

	/* Four sums a round: independent adds, or vector adds at -O3. */
	for (; len >= 16; p += 16, len -= 16) {
		acc += load32(p);
		acc1 += load32(p + 4);
		acc2 += load32(p + 8);
		acc3 += load32(p + 12);
	}
	acc += acc1 + acc2 + acc3;
	for (; len >= 4; p += 4, len -= 4)
		acc += load32(p);
	/* The last 1..3 bytes keep their place in a zeroed word, so an odd
	 * last byte is the high byte of a word whose low byte is zero. */
	if (len > 0) {
		memcpy(tail, p, len);
		acc += load32(tail);
	}

	/* 32-bit sum + 16-bit value: at most one carry out of 32 bits. */
	total = (uint64_t)sum + native_to_be16(fold64(acc));
	return (uint32_t)total + (uint32_t)(total >> 32);
}

/* The pseudo-headers are summed as bytes, as they would be laid out on the
 * wire, so there is one summing routine and no byte-order special cases. */
uint32_t
tg_cksum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
		 uint32_t l4_len)
{
	/* zero, protocol, 16-bit TCP/UDP length (RFC 793 3.1, RFC 768) */
	const uint8_t rest[4] = { 0, proto, (uint8_t)(l4_len >> 8),
				  (uint8_t)l4_len };
	uint32_t sum = tg_cksum_add(0, src, 4);

	sum = tg_cksum_add(sum, dst, 4);
	return tg_cksum_add(sum, rest, sizeof(rest));
}

uint32_t
tg_cksum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
		 uint32_t l4_len)
{
	/* 32-bit upper-layer length, three zero bytes, next header
	 * (RFC 8200 8.1) */
	const uint8_t rest[8] = { (uint8_t)(l4_len >> 24),
				  (uint8_t)(l4_len >> 16),
				  (uint8_t)(l4_len >> 8), (uint8_t)l4_len,
				  0, 0, 0, proto };
	uint32_t sum = tg_cksum_add(0, src, 16);

	sum = tg_cksum_add(sum, dst, 16);
	return tg_cksum_add(sum, rest, sizeof(rest));
}
