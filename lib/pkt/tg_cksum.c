/* SPDX-License-Identifier: BSD-3-Clause
 * The Internet checksum (RFC 1071).
 */
#include "tg_cksum.h"

/* Big-endian 16-bit word at p, from any alignment. */
static inline uint32_t
load_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

uint32_t
tg_cksum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	/* Sum 32-bit big-endian words into 64 bits: no carry is lost, and
	 * the one's complement sum is the same as summing 16-bit words
	 * (RFC 1071, 2.(B): the sum is independent of word grouping). */
	uint64_t acc = sum;

	while (len >= 4) {
		acc += (uint64_t)load_be16(p) << 16 | load_be16(p + 2);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += load_be16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;	/* pad the odd byte with zero */

	/* Fold 64 -> 32 bits keeping the end-around carries. */
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

/* Add a small host-order value without losing a carry out of 32 bits. */
static uint32_t
add_value(uint32_t sum, uint32_t v)
{
	uint64_t acc = (uint64_t)sum + (v >> 16) + (v & 0xffff);

	return (uint32_t)((acc & 0xffffffffu) + (acc >> 32));
}

uint32_t
tg_cksum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
		 uint32_t l4_len)
{
	uint32_t sum = tg_cksum_add(0, src, 4);

	sum = tg_cksum_add(sum, dst, 4);
	return add_value(add_value(sum, proto), l4_len & 0xffff);
}

uint32_t
tg_cksum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
		 uint32_t l4_len)
{
	uint32_t sum = tg_cksum_add(0, src, 16);

	sum = tg_cksum_add(sum, dst, 16);
	return add_value(add_value(sum, proto), l4_len);
}
