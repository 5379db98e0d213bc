/* SPDX-License-Identifier: BSD-3-Clause
 * Shared pieces of the payload synthesizers (tg_payload*.c only).
 * A message is laid out as regions (a header built on the stack, keystream
 * bytes, framed records); each writer copies the part of its region that
 * falls inside the requested slice [offset, offset + len).
 */
#ifndef TG_PAYLOAD_INT_H
#define TG_PAYLOAD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tg_payload.h"

/* A slice being written: message bytes [offset, offset + len) into out. */
struct tg_slice {
	uint32_t offset;
	uint32_t len;
	uint8_t *out;
	const struct tg_keystream *ks;	/* where keystream bytes come from */
	/* Out: where in out the keystream bytes that run to its end begin
	 * (len: none end it). The last tg_pay_random to reach the end sets
	 * it; tg_pay_copy and tg_pay_zero move it past what they write. */
	uint32_t *opaque_from;
};

/* Text printed left to right into a buffer, for the heads of text
 * payloads: a head is printed again for every packet of its message, and
 * snprintf costs hundreds of cycles a call. Never writes past the buffer:
 * what does not fit is cut, and the text stays NUL-terminated. */
struct tg_text {
	char *start;
	char *p;	/* where the next byte goes */
	char *last;	/* the buffer's last byte, kept for the NUL */
};

/* Begin an empty text in buf[size], size >= 1. */
void tg_text_init(struct tg_text *t, char *buf, size_t size);
void tg_text_str(struct tg_text *t, const char *s);
/* v in decimal, padded on the left with `pad` to at least `width`. */
void tg_text_uint(struct tg_text *t, uint32_t v, unsigned width, char pad);
/* v in lower-case hexadecimal, zero-padded to at least `width`. */
void tg_text_hex(struct tg_text *t, uint32_t v, unsigned width);
/* Bytes printed so far, NUL not counted. */
unsigned tg_text_len(const struct tg_text *t);
/* Decimal digits of v. */
unsigned tg_text_digits(uint32_t v);

/* A record header of `size` bytes written at `hdr` (up to 8 bytes). */
typedef unsigned (*tg_frame_hdr_fn)(uint32_t size, uint8_t *hdr);

uint8_t tg_pay_mix(uint64_t seed, uint32_t pos);
void tg_pay_put16(uint8_t *p, uint16_t v);
void tg_pay_put32(uint8_t *p, uint32_t v);

struct tg_rng;

/* Random lowercase DNS labels (RFC 1035 3.1) taking exactly `len` bytes,
 * length bytes included, at out; no root label. Returns len. */
unsigned tg_pay_dns_labels(struct tg_rng *rng, unsigned len, uint8_t *out);

/* Message bytes [at, at + n) are src[0 .. n). */
void tg_pay_copy(const struct tg_slice *s, uint32_t at, const uint8_t *src,
		 uint32_t n);
/* Message bytes [at, at + n) are zero. */
void tg_pay_zero(const struct tg_slice *s, uint32_t at, uint32_t n);
/* Message bytes [at, at + n) are AES-CTR keystream: the window of s->ks
 * that seed picks, read at the message offsets (so regions of one message
 * never repeat each other's bytes). */
void tg_pay_random(const struct tg_slice *s, uint32_t at, uint32_t n,
		   uint64_t seed);
/* Records fill n bytes: full ones of rmax, the last holding the rest; a
 * rest below rmin is topped up from the one before. Record k starts at
 * *start and has *size bytes. */
void tg_pay_span(uint32_t n, uint32_t rmax, uint32_t rmin, uint32_t k,
		 uint32_t *start, uint32_t *size);
/* Message bytes [at, at + n) are records of at most rmax and at least rmin
 * bytes (n >= rmin), each a header from hdr then keystream bytes. */
void tg_pay_records(const struct tg_slice *s, uint32_t at, uint32_t n,
		    uint32_t rmax, uint32_t rmin, tg_frame_hdr_fn hdr,
		    uint64_t seed);

/* Message bytes [at, at + n) are words: lower-case letters and single
 * spaces, never a space first or last. */
void tg_pay_words(const struct tg_slice *s, uint32_t at, uint32_t n,
		  uint64_t seed);
/* Message bytes [at, at + n) are text lines of at most TG_PAY_LINE bytes,
 * each `prefix`, words and CRLF (n == 0 or n >= strlen(prefix) + 3). */
#define TG_PAY_LINE 78
void tg_pay_lines(const struct tg_slice *s, uint32_t at, uint32_t n,
		  const char *prefix, uint64_t seed);

/* A kind of payload: the length its messages can have (NULL: any) and
 * the writer of any slice of one. tg_payload.c has the table of kinds. */
struct tg_pay_kind {
	uint32_t (*len)(const struct tg_payload_msg *msg, uint32_t wanted);
	void (*fill)(const struct tg_payload_msg *msg,
		     const struct tg_slice *s);
};

/* tg_payload_enc.c */
extern const struct tg_pay_kind tg_pay_tls, tg_pay_ssh, tg_pay_quic;
/* tg_payload_text.c */
extern const struct tg_pay_kind tg_pay_smtp, tg_pay_syslog;
/* tg_payload_bin.c */
extern const struct tg_pay_kind tg_pay_nbns, tg_pay_nbss, tg_pay_smb,
	tg_pay_dhcp, tg_pay_snmp, tg_pay_ike;

#endif /* TG_PAYLOAD_INT_H */
