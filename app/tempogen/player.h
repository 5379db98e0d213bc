/* SPDX-License-Identifier: BSD-3-Clause
 * player: a reel port's side of a worker (the config's `reel`). It
 * records the reel at set-up and keeps its frames in memory a NIC can
 * read. Frames go out in carriers: mbufs attached to the reel's memory
 * (external buffers), one per place in a ring of a few thousand, pointed
 * at each frame they carry. Sending a packet is patching its frame,
 * pointing its carrier at it and handing the carrier to the NIC with one
 * more reference, which the NIC drops once the frame is out. No mbuf is
 * allocated, reset or freed, and no byte copied, and the carriers stay in
 * cache however long the reel. A carrier still out when its place comes
 * round again (a capture tap holds it, or a long NIC ring) is set aside
 * for one from a reserve made at start; its frame, should its turn come
 * while it is still out, goes as a copy. A packet with a fresh body goes
 * in two segments: the carrier with the frame's head, chained to an mbuf
 * from a pool of body mbufs pointed at the body, which the NIC frees
 * back to its pool: the body is read-only, so nobody needs to know when
 * it is home, and a free at reference count 1 is no atomic operation.
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
	/* Device ports: the frame of slot s goes in the carrier at place
	 * s & carrier_mask, which last carried slot carried[place]. */
	struct rte_mempool *carrier_pool;
	struct rte_mempool *body_pool;	/* with bodies: mbufs for them */
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
 * burst), which sizes the carriers' ring; bodies: packets get fresh
 * bodies (tg_reel.h), sent in two segments on a device port. 0, or -1
 * with a message in err. */
int tg_player_init(struct tg_player *pl, const struct tg_synth_params *params,
		   uint32_t packets, const char *name, int socket, bool dma,
		   uint32_t offload, bool bodies, uint32_t in_flight,
		   char *err, size_t errlen);

void tg_player_free(struct tg_player *pl);

/* Times here are the port's model time: the reel's own runs `pace`
 * times faster. */

/* The mbufs of the packets due at or before until_ns, at most n, into
 * out; ts[i] gets each one's time. Copies come from `copy_pool`. Returns
 * how many; adds their frame bytes to pl->bytes. */
unsigned tg_player_fill(struct tg_player *pl, struct rte_mbuf **out,
			uint64_t *ts, unsigned n, uint64_t until_ns,
			struct rte_mempool *copy_pool);

/* Time of the next packet. */
uint64_t tg_player_next_time(const struct tg_player *pl);

#endif /* TG_PLAYER_H */
