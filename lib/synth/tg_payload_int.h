/* SPDX-License-Identifier: BSD-3-Clause
 * Shared pieces of the payload synthesizers (tg_payload*.c only).
 * A message is laid out as regions (a header built on the stack, keystream
 * bytes, framed records); each writer copies the part of its region that
 * falls inside the requested slice [offset, offset + len).
 */
#ifndef TG_PAYLOAD_INT_H
#define TG_PAYLOAD_INT_H

#include <stdint.h>

#include "tg_payload.h"

/* A slice being written: message bytes [offset, offset + len) into out. */
struct tg_slice {
	uint32_t offset;
	uint32_t len;
	uint8_t *out;
};

/* A record header of `size` bytes written at `hdr` (up to 8 bytes). */
typedef unsigned (*tg_frame_hdr_fn)(uint32_t size, uint8_t *hdr);

uint8_t tg_pay_mix(uint64_t seed, uint32_t pos);
void tg_pay_put16(uint8_t *p, uint16_t v);
void tg_pay_put32(uint8_t *p, uint32_t v);

/* Message bytes [at, at + n) are src[0 .. n). */
void tg_pay_copy(const struct tg_slice *s, uint32_t at, const uint8_t *src,
		 uint32_t n);
/* Message bytes [at, at + n) are zero. */
void tg_pay_zero(const struct tg_slice *s, uint32_t at, uint32_t n);
/* Message bytes [at, at + n) are keystream bytes of seed. */
void tg_pay_random(const struct tg_slice *s, uint32_t at, uint32_t n,
		   uint64_t seed);
/* Message bytes [at, at + n) are records of at most rmax and at least rmin
 * bytes (n >= rmin), each a header from hdr then keystream bytes. */
void tg_pay_records(const struct tg_slice *s, uint32_t at, uint32_t n,
		    uint32_t rmax, uint32_t rmin, tg_frame_hdr_fn hdr,
		    uint64_t seed);

uint32_t tg_pay_tls_len(const struct tg_payload_msg *msg, uint32_t wanted);
void tg_pay_tls_fill(const struct tg_payload_msg *msg,
		     const struct tg_slice *s);
uint32_t tg_pay_ssh_len(const struct tg_payload_msg *msg, uint32_t wanted);
void tg_pay_ssh_fill(const struct tg_payload_msg *msg,
		     const struct tg_slice *s);
uint32_t tg_pay_quic_len(const struct tg_payload_msg *msg, uint32_t wanted);
void tg_pay_quic_fill(const struct tg_payload_msg *msg,
		      const struct tg_slice *s);

#endif /* TG_PAYLOAD_INT_H */
