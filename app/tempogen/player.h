/* SPDX-License-Identifier: BSD-3-Clause
 * player: a reel port's side of a worker (the config's `reel`). It
 * records the reel at set-up and keeps its frames in memory a NIC can
 * read. Sending a packet is patching its frame where it lies and handing
 * the NIC an mbuf pointed at it (no byte copied); a packet with a fresh
 * body goes in one segment, its head copied in front of the body in the
 * reel's stage (tg_reel_stage_next) when its mbufs are lent, else in two,
 * the frame's head chained to an mbuf pointed at the body. A lent burst's
 * mbufs are taken before it is played, so that the play patches each
 * frame while it reads its slot (cur->patch).
 *
 * The player must not patch a frame the NIC is still reading. A frame
 * comes round again a whole turn after it went out, and a NIC frees what
 * it sent in the order it was sent: so with no capture tap on the port
 * and a turn longer than the player's pool, its mbufs are simply lent,
 * heads and bodies, at reference count 1 (the NIC's free is then no
 * atomic operation), and never looked at again. A tap holds some mbufs
 * for as long as its writer takes while the NIC frees the rest, so a
 * tapped port (or a short reel) keeps its heads in carriers: mbufs
 * attached to the arena, one per place in a ring of a few thousand,
 * handed to the NIC with one more reference, which tells the player when
 * one is home. A carrier still out when its place comes round again is
 * set aside for one from a reserve made at start; its frame, should its
 * turn come while it is still out, goes as a copy. Bodies are read-only:
 * they are always lent. A staged burst's last mbuf goes out with one more
 * reference too, a sentinel: when it is home, the burst is, and the stage
 * gets its room back. (Packets the NIC refuses, freed by the worker,
 * break the order too: a port that lends goes on in copies for a turn,
 * and a refused sentinel is dropped for the next one.)
 */
#ifndef TG_PLAYER_H
#define TG_PLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_reel.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_memzone;
struct rte_mbuf_ext_shared_info;

/* A carrier: an mbuf for the frame's head (all of it without a body).
 * Its `next` is stale once the NIC has let go of a chain: it is set at
 * each send. */
struct tg_carrier {
	struct rte_mbuf *head;
};

/* The last mbuf of a staged burst, kept with one more reference, and
 * the stage's mark after it (tg_reel_staged). */
struct tg_sentinel {
	struct rte_mbuf *m;
	uint64_t mark;
};

struct tg_player {
	struct tg_reel *reel;		/* NULL: the port synthesizes live */
	struct tg_reel_info info;
	struct tg_reel_cursor *cursor;
	uint8_t *arena;			/* the frames */
	uint64_t arena_size;
	uint64_t arena_iova;		/* device ports: its bus address
					 * (its address but for DMA) */
	const struct rte_memzone *zone;	/* device ports: the arena's memory */
	uint32_t offload;		/* TG_PKT_OFFLOAD_* of the port */
	bool chains;			/* the port sends chains of mbufs */
	/* Device ports with carriers (NULL: heads are lent): the frame of
	 * slot s goes in the carrier at place s & carrier_mask, which last
	 * carried slot carried[place]. */
	struct rte_mempool *carrier_pool;
	/* Mbufs lent to the NIC at reference count 1: bodies, and heads
	 * too when there are no carriers. */
	struct rte_mempool *lent_pool;
	struct tg_carrier *carriers;
	uint32_t *carried;
	uint32_t carrier_mask;
	/* Carriers set aside while still out, with the slots they carry
	 * (whose bits are set in `out`): a queue as long as the ring,
	 * entries held_head .. held_tail - 1 (& carrier_mask). */
	struct tg_carrier *held;
	uint32_t *held_slot;
	uint32_t held_head, held_tail;
	uint64_t *out;			/* a bit per slot */
	struct tg_carrier *spare;	/* the reserve: as many as the ring */
	uint32_t n_spare;
	uint32_t bursts;		/* fills, to look at `held` now and
					 * then */
	/* Without carriers: packets played, and from which one on they
	 * may be lent again. */
	uint64_t played;
	uint64_t lend_from;
	/* ... and staged bursts still out, oldest first: entries
	 * sentinels_first .. sentinels_next - 1 (% SENTINELS). */
	struct tg_sentinel *sentinels;
	uint32_t sentinels_first, sentinels_next;
	struct rte_mbuf_ext_shared_info *shinfo;	/* of the arena */
	double pace;			/* reel ns per model ns: 1 but for
					 * a rate target */
	uint64_t bytes;			/* frame bytes played */
	uint64_t copies;		/* frames sent as copies */
	uint64_t drops;			/* ... or not, no mbuf to copy into */
};

/* Record a reel of `packets` packets from a synth made with `params`.
 * name: NULL for a pcap port (frames on the heap, no mbufs), else a name
 * for the DPDK memory of a device port's frames on `socket`; dma: its NIC
 * reads them by DMA (else they need not be DPDK memory); in_flight:
 * how many of its mbufs may be out at once (NIC ring, capture tap, a
 * burst), which sizes the carriers' ring or the pool of lent mbufs;
 * bodies: packets get fresh bodies (tg_reel.h) where they can go out:
 * chains, the port sends a frame in a chain of mbufs (or is a pcap port);
 * or it lends (no tap, a long enough reel), one segment each, staged (as
 * copies when the stage has no room); tapped: a capture tap holds the
 * port's mbufs for as long as its writer takes. 0, or -1 with a message
 * in err. */
int tg_player_init(struct tg_player *pl, const struct tg_synth_params *params,
		   uint32_t packets, const char *name, int socket, bool dma,
		   uint32_t offload, bool bodies, bool chains,
		   uint32_t in_flight, bool tapped, char *err, size_t errlen);

void tg_player_free(struct tg_player *pl);

/* Times here are the port's model time: the reel's own runs `pace`
 * times faster. */

/* The mbufs of the packets due at or before until_ns, at most n, into
 * out; ts[i] gets each one's time. Copies come from `copy_pool`. Returns
 * how many; adds their frame bytes to pl->bytes. */
unsigned tg_player_fill(struct tg_player *pl, struct rte_mbuf **out,
			uint64_t *ts, unsigned n, uint64_t until_ns,
			struct rte_mempool *copy_pool);

/* The NIC refused (and the worker freed) some of the last packets
 * filled. */
void tg_player_refused(struct tg_player *pl);

/* Time of the next packet. */
uint64_t tg_player_next_time(const struct tg_player *pl);

#endif /* TG_PLAYER_H */
