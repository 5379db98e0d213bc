/* SPDX-License-Identifier: BSD-3-Clause
 * player: a reel port's side of a worker (the config's `reel`). It
 * records the reel at set-up and keeps its frames in memory a NIC can
 * read, each with an mbuf of its own attached to it for good (an external
 * buffer): sending a packet is patching its frame and handing its mbuf to
 * the NIC with one more reference, which the NIC drops once the frame is
 * out. No mbuf is allocated, reset or freed, and no byte copied, unless
 * the frame is still on its way out (a capture tap holds it, or a NIC
 * ring that long) when its next turn comes: then a copy goes instead.
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

struct tg_player {
	struct tg_reel *reel;		/* NULL: the port synthesizes live */
	struct tg_reel_info info;
	struct tg_reel_cursor *cursor;
	uint8_t *arena;			/* the frames */
	const struct rte_memzone *zone;	/* device ports: the arena's memory */
	struct rte_mempool *slot_pool;	/* device ports: an mbuf per frame */
	struct rte_mbuf **slot_mbufs;	/* ... by slot */
	struct rte_mbuf_ext_shared_info *shinfo;	/* of the arena */
	double pace;			/* reel ns per model ns: 1 but for
					 * a rate target */
	uint64_t bytes;			/* frame bytes played */
	uint64_t copies;		/* frames sent as copies */
	uint64_t drops;			/* ... or not, no mbuf to copy into */
};

/* Record a reel of `packets` packets from a synth made with `params`.
 * name: NULL for a pcap port (frames on the heap, no mbufs), else a name
 * for the DPDK memory of a device port's frames on `socket`. 0, or -1
 * with a message in err. */
int tg_player_init(struct tg_player *pl, const struct tg_synth_params *params,
		   uint32_t packets, const char *name, int socket,
		   uint32_t offload, char *err, size_t errlen);

void tg_player_free(struct tg_player *pl);

/* Times here are the port's model time: the reel's own runs `pace`
 * times faster. */

/* The mbufs of the packets due at or before until_ns, at most n, into
 * out; ts[i] gets each one's time. Copies come from `spare`. Returns how
 * many; adds their frame bytes to pl->bytes. */
unsigned tg_player_fill(struct tg_player *pl, struct rte_mbuf **out,
			uint64_t *ts, unsigned n, uint64_t until_ns,
			struct rte_mempool *spare);

/* Time of the next packet. */
uint64_t tg_player_next_time(const struct tg_player *pl);

#endif /* TG_PLAYER_H */
