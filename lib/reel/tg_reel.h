/* SPDX-License-Identifier: BSD-3-Clause
 * tg_reel: a recording of a synth's output that a worker plays in a loop,
 * for line rates live synthesis cannot reach. No DPDK here.
 *
 * A reel holds every packet of the flows its synth started in a period of
 * T seconds of model time, each flow to its own end. Its packets sit on a
 * circle of length T: a flow that runs past T goes on at the start of the
 * next turn, so each turn of the loop holds the same load as any other,
 * with no seam. Turn k plays every flow once more with the client-pool
 * addresses moved by k steps through the pool (servers stay): each turn's
 * conversations are new ones (new 5-tuples; a flow's own come back only
 * after as many turns as the pool has hosts per worker) with the model's
 * behaviour, sizes and timing, between the same servers. A packet of a flow that began one turn
 * earlier takes that turn's addresses, so conversations stay whole across
 * the seam. The first turn leaves out the packets of flows that began
 * before it.
 *
 * Playing a packet is a few stores into its frame (the moved addresses
 * and the checksums, updated incrementally) where it lies: the worker
 * then sends the frame as it is.
 *
 * Ciphertext is not replayed: a packet whose payload ends in keystream
 * (TLS records, SSH packets, QUIC, opaque data; at least 64 bytes of it)
 * comes out each time with a body of other keystream, from a pool of the
 * reel's at a fresh random offset, attached as it lies there. The L4
 * checksum follows from partial sums of the pool computed once, so no
 * body byte is read or copied. A packet lent to a device can go out as
 * one run of bytes instead: its body drawn in the stage, copies of the
 * pool, and its head copied in front of it there (tg_reel_stage_next).
 * Ports with network effects record no bodies: a retransmission must
 * repeat its original's bytes.
 */
#ifndef TG_REEL_H
#define TG_REEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_rng.h"
#include "tg_synth.h"

/* The arena's alignment (cache lines, DMA); its frames lie closer. */
#define TG_REEL_ALIGN 64u

struct tg_reel;

/* What the reel holds, for statistics and pacing. */
struct tg_reel_info {
	uint64_t period_ns;	/* T: model time one turn of the loop covers */
	uint64_t packets;	/* per turn */
	uint64_t bytes;		/* frame bytes per turn */
	uint64_t flows;		/* flows per turn */
	uint64_t bodies;	/* packets per turn that may get fresh bodies */
	double flows_live;	/* mean concurrent flows (flow time / T) */
	uint64_t arena_bytes;	/* frames (heads only for fresh bodies),
				 * aligned, and with fresh bodies their
				 * pool: what tg_reel_place needs */
	unsigned max_back;	/* the most turns a flow runs past its own:
				 * turns from this one on play every packet */
};

/* Record a reel of about `packets` packets from a synth made with
 * `params` (labels are not kept). Returns NULL with a message in err. */
struct tg_reel *tg_reel_record(const struct tg_synth_params *params,
			       uint32_t packets, char *err, size_t errlen);

void tg_reel_free(struct tg_reel *reel);

void tg_reel_get_info(const struct tg_reel *reel, struct tg_reel_info *info);

/* Whether the packets that may get fresh bodies (info.bodies) get them
 * in every play (their L4 checksum updated from the pool's sums), or are
 * played as recorded, the default; and, fresh, whether plays may be
 * staged (tg_reel_stage_next: a port that lends its bursts to a device).
 * Fresh, the arena keeps only those packets' heads, and the pool (and
 * the stage), which info.arena_bytes then tells. Call before
 * tg_reel_get_info and tg_reel_place. */
void tg_reel_choose_bodies(struct tg_reel *reel, bool fresh, bool staging);

/* Move the frames into `arena` (info.arena_bytes, TG_REEL_ALIGN aligned),
 * memory the caller owns and keeps for the reel's life (DMA-able memory
 * for a NIC); the reel frees its own copy. Call once, before playing. */
void tg_reel_place(struct tg_reel *reel, uint8_t *arena);

/* A flow may run on for this many turns after the one it began in. */
#define TG_REEL_MAX_BACK 255

/* Where a player is: turn and packet, and the turn's address moves. */
struct tg_reel_cursor {
	uint64_t turn;
	uint64_t turn_start_ns;	/* model time turn `turn` starts at */
	uint32_t pos;
	bool bodies;		/* packets get fresh bodies */
	bool staged;		/* ... drawn in the stage: tg_reel_stage_next */
	/* tg_reel_play patches each packet where it goes out
	 * (tg_reel_start_of), as tg_reel_patch would, while its slot is at
	 * hand: the caller sets it for a play whose frames it knows are
	 * free to change (none still on its way out). */
	bool patch;
	struct tg_rng rng;	/* their offsets */
	uint32_t shift[2][TG_REEL_MAX_BACK + 1];	/* IPv4, IPv6 */
};

/* Put the cursor before the first packet of the first turn; it plays
 * bodies as chosen (tg_reel_choose_bodies). */
void tg_reel_start(const struct tg_reel *reel, struct tg_reel_cursor *cur);

/* What a packet is, as its slot keeps it: a played packet gets it in
 * one move. */
struct tg_reel_meta {
	uint16_t len;
	uint16_t body_at;	/* where a fresh body may start; 0: none */
	uint8_t proto;		/* TG_PROTO_TCP, _UDP, or 0 (other) */
	uint8_t ip_version;
	uint8_t l2_len;
	uint8_t l3_len;
};

/* One played packet: its frame in the arena as the last turn left it,
 * what tg_reel_patch needs to give it this turn's addresses, and what a
 * NIC's offloads need to know of it. */
struct tg_reel_pkt {
	uint8_t *frame;
	/* NULL, or the fresh body in the arena that takes the place of
	 * frame[meta.body_at, meta.len): the packet is frame[0, body_at),
	 * then len - body_at bytes of body. */
	const uint8_t *body;
	/* Staged (tg_reel_stage_next), with a body: its head's copy in
	 * front of the body in the stage; else NULL. */
	uint8_t *staged;
	uint32_t body_delta;	/* with a body, its change to the L4 sum */
	uint64_t ts_ns;		/* model time (turn * T + place on the circle) */
	uint32_t slot;		/* its place in the reel, 0 .. info.packets - 1 */
	uint32_t shift;		/* hosts its clients move by this turn */
	struct tg_reel_meta meta;
};

/* Model time of the cursor's next packet. */
uint64_t tg_reel_next_time(const struct tg_reel *reel,
			   const struct tg_reel_cursor *cur);

/* Play up to n packets (at most TG_REEL_MAX_PLAY) due at or before
 * until_ns, in time order. Returns how many. */
#define TG_REEL_MAX_PLAY 512
unsigned tg_reel_play(struct tg_reel *reel, struct tg_reel_cursor *cur,
		      struct tg_reel_pkt *out, unsigned n, uint64_t until_ns);

/* Give a played packet's frame its turn's client addresses and checksums
 * (those of its fresh body too): p->frame where it lies, or a copy of it
 * (`frame`) while the one in the arena is still on its way out. A few
 * stores; no division. */
void tg_reel_patch(const struct tg_reel *reel, const struct tg_reel_pkt *p,
		   uint8_t *frame);

/* The bytes of p at p->frame: the head before a fresh body, else the
 * whole frame. */
static inline uint16_t
tg_reel_head_len(const struct tg_reel_pkt *p)
{
	/* A select, not a branch: whether a packet has a body follows no
	 * pattern a predictor could learn. */
	uint16_t has_body = (uint16_t)-(p->body != NULL);

	return (uint16_t)((p->meta.body_at & has_body) |
			  (p->meta.len & ~has_body));
}

/* Staging: a burst lent to a device, each packet one run of bytes.
 *
 * Whether the next tg_reel_play of up to n packets draws its bodies in
 * the stage (cur->staged): when fresh bodies are played, staging was
 * chosen, and the stage has room for them beside the heads still out. */
bool tg_reel_stage_next(struct tg_reel *reel, struct tg_reel_cursor *cur,
			unsigned n);

/* Where a played packet starts: staged with a body, its head's copy in
 * front of the body in the stage (made by tg_reel_play), the packet one
 * run of p->meta.len bytes; else p->frame. */
static inline uint8_t *
tg_reel_start_of(const struct tg_reel_pkt *p)
{
	/* By masks, no branch: a third of the packets have a body. */
	uintptr_t none = -(uintptr_t)(p->staged == NULL);

	return (uint8_t *)((uintptr_t)p->staged |
			   ((uintptr_t)p->frame & none));
}

/* Heads staged so far: a mark for tg_reel_unstage. */
uint64_t tg_reel_staged(const struct tg_reel *reel);

/* The device has let go of every packet staged before `mark` (a value of
 * tg_reel_staged): their heads' bytes in the stage get their keystream
 * back, and the stage their room. */
void tg_reel_unstage(struct tg_reel *reel, uint64_t mark);

/* The whole packet, head and body, patched, into `frame`: a buffer of
 * p->meta.len bytes of the caller's, not the arena, which with fresh
 * bodies holds only the head. */
void tg_reel_write(const struct tg_reel *reel, const struct tg_reel_pkt *p,
		   uint8_t *frame);

#endif /* TG_REEL_H */
