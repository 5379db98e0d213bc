/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_memzone.h>

#include "player.h"
#include "port.h"
#include "tg_pkt.h"

#define PLAYER_BURST 512
#ifndef COPY_MAX
#define COPY_MAX 0
#endif

/* The last reference to an attached frame went (on the worker's own lcore:
 * a zero-copy port has no capture tap, and NICs free sent mbufs in
 * rte_eth_tx_burst). The arena keeps its own reference, so the count
 * goes back to 1 and the next attach and free stay off atomics. */
static void
frame_freed(void *addr, void *opaque)
{
	(void)addr;
	rte_mbuf_ext_refcnt_set(opaque, 1);
}

static int
arena_alloc(struct tg_player *pl, const struct tg_player_mem *mem,
	    char *err, size_t errlen)
{
	uint64_t size = pl->info.arena_bytes + sizeof(*pl->shinfo);

	if (mem->zone_name == NULL) {
		pl->arena = aligned_alloc(TG_REEL_ALIGN,
					  (size + TG_REEL_ALIGN - 1) &
					  ~(uint64_t)(TG_REEL_ALIGN - 1));
		if (pl->arena != NULL)
			return 0;
		snprintf(err, errlen, "reel: no memory for %.1f MiB of frames",
			 (double)size / (1 << 20));
		return -1;
	}
	/* One IOVA-contiguous zone: a frame's bus address is the zone's
	 * plus its offset. */
	pl->zone = rte_memzone_reserve_aligned(mem->zone_name, size,
					       mem->socket,
					       RTE_MEMZONE_IOVA_CONTIG,
					       TG_REEL_ALIGN);
	if (pl->zone == NULL) {
		snprintf(err, errlen, "reel: no %.1f MiB of DPDK memory for "
			 "its %" PRIu64 " frames (%s): give EAL more "
			 "(eal.memory_mb, hugepages) or record fewer packets",
			 (double)size / (1 << 20), pl->info.packets,
			 rte_strerror(rte_errno));
		return -1;
	}
	pl->arena = pl->zone->addr;
	return 0;
}

int
tg_player_init(struct tg_player *pl, const struct tg_synth_params *params,
	       uint32_t packets, const struct tg_player_mem *mem,
	       char *err, size_t errlen)
{
	memset(pl, 0, sizeof(*pl));
	pl->pace = 1;
	pl->reel = tg_reel_record(params, packets, err, errlen);
	if (pl->reel == NULL)
		return -1;
	tg_reel_get_info(pl->reel, &pl->info);
	pl->cursor = malloc(sizeof(*pl->cursor));
	if (pl->cursor == NULL) {
		snprintf(err, errlen, "reel: out of memory");
		return -1;
	}
	if (arena_alloc(pl, mem, err, errlen) != 0)
		return -1;
	tg_reel_place(pl->reel, pl->arena);
	tg_reel_start(pl->reel, pl->cursor);
	pl->shinfo = (void *)(pl->arena + pl->info.arena_bytes);
	pl->shinfo->free_cb = frame_freed;
	pl->shinfo->fcb_opaque = pl->shinfo;
	rte_mbuf_ext_refcnt_set(pl->shinfo, 1);
	pl->zero_copy = mem->zero_copy && pl->zone != NULL &&
			pl->info.packets > mem->in_flight;
	return 0;
}

void
tg_player_free(struct tg_player *pl)
{
	tg_reel_free(pl->reel);
	free(pl->cursor);
	if (pl->zone != NULL)
		rte_memzone_free(pl->zone);
	else
		free(pl->arena);
	memset(pl, 0, sizeof(*pl));
}

static void
tx_offload(struct rte_mbuf *m, const struct tg_reel_pkt *p, uint32_t offload)
{
	struct tg_pkt_layout layout = {
		.l2_len = p->l2_len, .l3_len = p->l3_len, .frame_len = p->len,
	};

	tg_port_tx_fields(m, p->len, &layout, p->proto, p->ip_version,
			  offload);
}

unsigned
tg_player_fill(struct tg_player *pl, struct rte_mbuf **mbufs, uint64_t *ts,
	       unsigned n, uint64_t until_ns, uint32_t offload)
{
	struct tg_reel_pkt pkts[PLAYER_BURST];
	unsigned k;

	k = tg_reel_play(pl->reel, pl->cursor, pkts,
			 n < PLAYER_BURST ? n : PLAYER_BURST, until_ns);
	for (unsigned i = 0; i < k; i++) {
		struct rte_mbuf *m = mbufs[i];
		const struct tg_reel_pkt *p = &pkts[i];

		if (pl->zero_copy && p->len > COPY_MAX)
			rte_pktmbuf_attach_extbuf(m, p->frame,
						  pl->zone->iova +
							  (uint64_t)(p->frame -
								     pl->arena),
						  p->len, pl->shinfo);
		else
			rte_memcpy(rte_pktmbuf_mtod(m, void *), p->frame,
				   p->len);
		m->data_len = p->len;
		m->pkt_len = p->len;
		if (offload != 0)
			tx_offload(m, p, offload);
		pl->bytes += p->len;
		ts[i] = p->ts_ns;
	}
	return k;
}
