/* SPDX-License-Identifier: BSD-3-Clause
 * tg_payload: application bytes that a protocol parser accepts, synthesized
 * from a seed (never copied from captures). A message is described by its
 * kind, direction, total length and seed; any slice of it can be written on
 * its own, so a message spread over many segments needs no buffer.
 */
#ifndef TG_PAYLOAD_H
#define TG_PAYLOAD_H

#include <stdint.h>

#include "tg_flow.h"

struct tg_keystream;

struct tg_payload_msg {
	uint8_t kind;		/* enum tg_payload_kind */
	uint8_t dir;		/* enum tg_dir */
	uint32_t total;		/* bytes of the whole message */
	uint32_t request_len;	/* for a response: its request's length */
	uint16_t index;		/* messages dir sent before in the flow
				 * (saturating): 0 is a hello or banner */
	uint64_t seed;		/* a request and its response share it */
	uint64_t flow_seed;	/* the same for every message of a flow
				 * (QUIC connection IDs) */
	/* Ciphertext and opaque bytes (tg_keystream.h): the synth's own;
	 * tg_payload_fill needs it, tg_payload_message_len does not. */
	const struct tg_keystream *ks;
};

/* The message length closest to `wanted` that msg's kind can carry (a DNS
 * name has at most 255 bytes, an answer is a whole record, an HTTP message
 * needs its start line). msg->total is not read. */
uint32_t tg_payload_message_len(const struct tg_payload_msg *msg,
				uint32_t wanted);

/* Write bytes [offset, offset + len) of the message into out. Returns
 * where in out the keystream bytes that run to its end begin (len if
 * none do): a player may put other keystream bytes there, as a sender
 * encrypting other plaintext would. */
uint32_t tg_payload_fill(const struct tg_payload_msg *msg, uint32_t offset,
			 uint8_t *out, uint32_t len);

#endif /* TG_PAYLOAD_H */
