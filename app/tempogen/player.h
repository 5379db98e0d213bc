/* SPDX-License-Identifier: BSD-3-Clause
 * player: a reel port's side of a worker (the config's `reel`). It
 * records the reel at set-up, keeps its frames in memory a NIC can read
 * and hands them to mbufs: attached where they lie (zero-copy: an
 * external buffer per packet, no byte copied) or copied when a capture
 * tap may hold a frame past the reel's next turn.
 */
#ifndef TG_PLAYER_H
#define TG_PLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_reel.h"

struct rte_mbuf;
struct rte_memzone;
struct rte_mbuf_ext_shared_info;

struct tg_player {
	struct tg_reel *reel;		/* NULL: the port synthesizes live */
	struct tg_reel_info info;
	struct tg_reel_cursor *cursor;
	uint8_t *arena;			/* the frames */
	const struct rte_memzone *zone;	/* device ports: the arena's memory */
	bool zero_copy;
	struct rte_mbuf_ext_shared_info *shinfo;	/* of the arena */
	double pace;			/* reel ns per model ns */
	uint64_t bytes;			/* frame bytes played */
};

/* Where a player's frames live and how they go out. */
struct tg_player_mem {
	const char *zone_name;	/* DPDK memory (a device port); NULL: heap */
	int socket;
	bool zero_copy;		/* attach frames rather than copy them ... */
	uint32_t in_flight;	/* ... if the reel has more packets than the
				 * most mbufs the port may hold unfreed */
};

/* Record a reel of `packets` packets from a synth made with `params`, in
 * memory `mem` says. 0, or -1 with a message in err. */
int tg_player_init(struct tg_player *pl, const struct tg_synth_params *params,
		   uint32_t packets, const struct tg_player_mem *mem,
		   char *err, size_t errlen);

void tg_player_free(struct tg_player *pl);

/* Fill mbufs[0..) with the packets due at or before until_ns (reel time),
 * at most n, with TX fields for `offload`; ts[i] gets each one's reel
 * time. Returns how many; adds their frame bytes to pl->bytes. */
unsigned tg_player_fill(struct tg_player *pl, struct rte_mbuf **mbufs,
			uint64_t *ts, unsigned n, uint64_t until_ns,
			uint32_t offload);

#endif /* TG_PLAYER_H */
