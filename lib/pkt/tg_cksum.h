/* SPDX-License-Identifier: BSD-3-Clause
 * tg_cksum: the one Internet checksum routine (RFC 1071) of tempogen.
 *
 * Sums are kept unfolded in 32 bits so partial sums of separate pieces
 * (pseudo-header, header, payload) can be added and folded once.
 */
#ifndef TG_CKSUM_H
#define TG_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add the 16-bit big-endian words of buf[0..len) to `sum`. An odd trailing
 * byte is padded with zero. `len` must be even except for the last piece. */
uint32_t tg_cksum_add(uint32_t sum, const void *buf, size_t len);

/* Fold a 32-bit sum to 16 bits (one's complement, not inverted). */
static inline uint16_t
tg_cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The value to store in a checksum field: inverted fold, host order. */
static inline uint16_t
tg_cksum_finish(uint32_t sum)
{
	return (uint16_t)~tg_cksum_fold(sum);
}

/* Incremental update (RFC 1624, eqn. 3): the sum to add when a 32-bit
 * word of the covered data changes from old_word to new_word ... */
static inline uint32_t
tg_cksum_delta32(uint32_t old_word, uint32_t new_word)
{
	return (~old_word >> 16 & 0xffff) + (~old_word & 0xffff) +
	       (new_word >> 16) + (new_word & 0xffff);
}

/* ... and the new value of an inverted checksum field (host order) given
 * such a delta: ~(~field + delta). */
static inline uint16_t
tg_cksum_update(uint16_t field, uint32_t delta)
{
	return (uint16_t)~tg_cksum_fold((uint16_t)~field + delta);
}

/* Pseudo-header sums for TCP/UDP/ICMPv6 (RFC 793, 768, 8200 section 8.1). */
uint32_t tg_cksum_pseudo4(const uint8_t src[4], const uint8_t dst[4],
			  uint8_t proto, uint32_t l4_len);
uint32_t tg_cksum_pseudo6(const uint8_t src[16], const uint8_t dst[16],
			  uint8_t proto, uint32_t l4_len);

#endif /* TG_CKSUM_H */
