/* SPDX-License-Identifier: BSD-3-Clause
 * tg_effects: the network effects of a port (loss with retransmission,
 * reordering, duplicates, round-trip time and jitter). No DPDK here.
 *
 * The synth keeps one struct tg_fx_flow per flow slot, in a table of its
 * own that exists only when the port has effects, so flows cost nothing
 * more without them. Packets an effect sends again later (a lost segment,
 * a held-back one, a duplicate) wait in a small store of frames, taken
 * and given back without allocating. Every decision is drawn from the
 * flow's own generator, seeded from the synth's effects seed and the flow
 * id: the model's draws are untouched, so traffic without effects stays
 * the same, and the same seed gives the same effects.
 */
#ifndef TG_EFFECTS_H
#define TG_EFFECTS_H

#include <stdbool.h>
#include <stdint.h>

#include "tg_pkt.h"
#include "tg_rng.h"
#include "tg_synth.h"

/* Frames waiting to be sent again, per synth: when all are in use an
 * effect is not applied (and not counted). */
#define TG_FX_FRAMES 1024
/* Largest frame kept: headers and a 1500-byte MTU with a VLAN tag. */
#define TG_FX_FRAME_MAX 1600

/* What a flow's pending effect will do. */
enum tg_fx_kind {
	TG_FX_NONE,
	TG_FX_RETRANSMIT,	/* the lost segment again, after the RTO */
	TG_FX_HOLD,		/* a segment held back for the next one */
	TG_FX_RELEASE,		/* the held segment, now after the next */
	TG_FX_DUPLICATE,	/* the same frame again, right after */
	/* Fast retransmit (RFC 5681 3.2): a lost segment the sender's next
	 * segments follow, each answered at once by a duplicate ACK. */
	TG_FX_HOLE,		/* the flow goes on; the segments it sends
				 * arrive after a hole */
	TG_FX_DUP_ACK,		/* the receiver's duplicate ACK */
	TG_FX_FAST_RETRANSMIT,	/* the lost segment again, after
				 * TG_FX_DUP_THRESH duplicate ACKs */
	TG_FX_RECOVERY_ACK,	/* the receiver's ACK of all it now has */
};

/* Duplicate ACKs that make a sender retransmit (RFC 5681 DupThresh). */
#define TG_FX_DUP_THRESH 3

/* What a decision draw chose for one data packet. */
enum tg_fx_choice {
	TG_FX_KEEP,
	TG_FX_LOSE,
	TG_FX_DUPLICATE_IT,
	TG_FX_REORDER,
};

struct tg_fx_flow {
	struct tg_rng rng;
	uint64_t resume_at;	/* when the flow's own event was due */
	uint64_t retransmit_at;	/* TG_FX_HOLE, no ACK due: when the sender
				 * has heard enough duplicate ACKs */
	struct tg_flow_effect_counts counts;
	/* The ACK number and window field each sender (enum tg_dir) last
	 * put on the wire: a duplicate ACK repeats both. */
	uint32_t last_ack[2];
	uint16_t last_win[2];
	int32_t frame;		/* in the store; -1: none */
	uint8_t kind;		/* enum tg_fx_kind */
	uint8_t resume_action;	/* the flow's action the effect put off */
	uint8_t dir;		/* sender of the kept frame */
	uint8_t acks_due;	/* TG_FX_HOLE: ACKs of the receiver the
				 * sender waits for before it retransmits */
};

struct tg_fx_frame {
	struct tg_pkt_spec spec;	/* a retransmission is rebuilt */
	struct tg_pkt_layout layout;
	uint16_t len;
	uint8_t proto;
	uint8_t ip_version;
	uint8_t buf[TG_FX_FRAME_MAX];
};

struct tg_fx_store {
	struct tg_fx_frame *frames;
	uint32_t *free_list;
	uint32_t n_free;
};

int tg_fx_store_init(struct tg_fx_store *st);
void tg_fx_store_free(struct tg_fx_store *st);

/* A free frame's index, or -1 when all are taken. */
static inline int32_t
tg_fx_store_take(struct tg_fx_store *st)
{
	return st->n_free ? (int32_t)st->free_list[--st->n_free] : -1;
}

static inline void
tg_fx_store_give(struct tg_fx_store *st, int32_t i)
{
	st->free_list[st->n_free++] = (uint32_t)i;
}

/* The effects seed of a synth: apart from its model stream. */
uint64_t tg_fx_seed(uint64_t seed, uint64_t stream);

void tg_fx_flow_init(struct tg_fx_flow *x, uint64_t fx_seed,
		     uint64_t flow_id);

/* One draw per data packet, whatever it chooses, so a flow's later
 * decisions do not depend on which effects were possible earlier. */
enum tg_fx_choice tg_fx_choose(struct tg_fx_flow *x,
			       const struct tg_effects_cfg *cfg);

/* Whether a segment lost with `followers` more segments of its sender
 * right behind it is fast retransmitted, and after how many ACKs of the
 * receiver (its answers to those segments): TG_FX_DUP_THRESH duplicate
 * ACKs, plus the first one when it acknowledges more than the receiver's
 * last ACK did (RFC 5681: not a duplicate). 0: too few followers, the
 * retransmission timer fires instead. */
unsigned tg_fx_fast_acks(unsigned followers, bool first_is_duplicate);

/* How many segments of at most `mss` bytes carry `bytes`. */
unsigned tg_fx_segments(uint32_t bytes, uint32_t mss);

/* The retransmission timeout after one round-trip sample (RFC 6298:
 * SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR), with Linux's 200 ms
 * floor on the variance term. */
uint64_t tg_fx_rto(uint64_t rtt_ns);

/* A round trip stretched by a uniform draw in [0, jitter_ns]. */
uint64_t tg_fx_round_trip(struct tg_fx_flow *x, uint64_t rtt_ns,
			  uint64_t jitter_ns);

#endif /* TG_EFFECTS_H */
