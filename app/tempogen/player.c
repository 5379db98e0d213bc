/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
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
/* Mbufs whose lines are fetched ahead of their turn in a burst. */
#define PREFETCH_MBUFS 8

/* A frame's mbuf lost its last reference: only when the player frees
 * them (it keeps one to each as long as it lives). */
static void
frame_freed(void *addr, void *opaque)
{
	(void)addr;
	rte_mbuf_ext_refcnt_set(opaque, 1);
}

static int
arena_alloc(struct tg_player *pl, const char *name, int socket,
	    char *err, size_t errlen)
{
	/* A device port's arena ends with its mbufs' shared info. */
	uint64_t size = pl->info.arena_bytes + sizeof(*pl->shinfo);
	char zone[RTE_MEMZONE_NAMESIZE];

	if (name == NULL) {
		size = pl->info.arena_bytes;	/* a multiple of the alignment */
		pl->arena = aligned_alloc(TG_REEL_ALIGN, size);
		if (pl->arena != NULL)
			return 0;
		snprintf(err, errlen, "reel: no memory for %.1f MiB of frames",
			 (double)size / (1 << 20));
		return -1;
	}
	/* One IOVA-contiguous zone: a frame's bus address is the zone's
	 * plus its offset. */
	snprintf(zone, sizeof(zone), "reel_%s", name);
	pl->zone = rte_memzone_reserve_aligned(zone, size, socket,
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

/* Each frame's own mbuf, attached to it with its lengths and offload
 * fields set once. */
static int
attach_slots(struct tg_player *pl, const char *name, int socket,
	     uint32_t offload, char *err, size_t errlen)
{
	uint32_t n = (uint32_t)pl->info.packets;
	char pool[RTE_MEMPOOL_NAMESIZE];

	pl->shinfo = (void *)(pl->arena + pl->info.arena_bytes);
	pl->shinfo->free_cb = frame_freed;
	pl->shinfo->fcb_opaque = pl->shinfo;
	rte_mbuf_ext_refcnt_set(pl->shinfo, 1);
	snprintf(pool, sizeof(pool), "reelm_%s", name);
	pl->slot_mbufs = calloc(n, sizeof(*pl->slot_mbufs));
	pl->slot_pool = rte_pktmbuf_pool_create(pool, n, 0, 0, 0, socket);
	if (pl->slot_mbufs == NULL || pl->slot_pool == NULL ||
	    rte_pktmbuf_alloc_bulk(pl->slot_pool, pl->slot_mbufs, n) != 0) {
		free(pl->slot_mbufs);	/* none taken: none to give back */
		pl->slot_mbufs = NULL;
		snprintf(err, errlen, "reel: no DPDK memory for the %u mbufs "
			 "of its frames: give EAL more (eal.memory_mb, "
			 "hugepages) or record fewer packets", n);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pl->slot_mbufs[i];
		struct tg_reel_frame f;
		struct tg_pkt_layout layout = { 0 };

		tg_reel_frame(pl->reel, i, &f);
		rte_pktmbuf_attach_extbuf(m, f.frame, pl->zone->iova +
					  (uint64_t)(f.frame - pl->arena),
					  f.len, pl->shinfo);
		layout.l2_len = f.l2_len;
		layout.l3_len = f.l3_len;
		tg_port_tx_fields(m, f.len, &layout, f.proto, f.ip_version,
				  offload);
	}
	return 0;
}

int
tg_player_init(struct tg_player *pl, const struct tg_synth_params *params,
	       uint32_t packets, const char *name, int socket,
	       uint32_t offload, char *err, size_t errlen)
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
	if (arena_alloc(pl, name, socket, err, errlen) != 0)
		return -1;
	tg_reel_place(pl->reel, pl->arena);
	tg_reel_start(pl->reel, pl->cursor);
	return name == NULL ? 0
			    : attach_slots(pl, name, socket, offload, err,
					   errlen);
}

void
tg_player_free(struct tg_player *pl)
{
	if (pl->slot_mbufs != NULL && pl->slot_pool != NULL)
		rte_pktmbuf_free_bulk(pl->slot_mbufs,
				      (unsigned)pl->info.packets);
	rte_mempool_free(pl->slot_pool);
	free(pl->slot_mbufs);
	tg_reel_free(pl->reel);
	free(pl->cursor);
	if (pl->zone != NULL)
		rte_memzone_free(pl->zone);
	else
		free(pl->arena);
	memset(pl, 0, sizeof(*pl));
}

/* The frame is still out: a copy from `spare` goes in its place, with
 * this turn's addresses. NULL when there is no mbuf to copy into. */
static struct rte_mbuf *
copy_out(struct tg_player *pl, const struct tg_reel_pkt *p,
	 const struct rte_mbuf *own, struct rte_mempool *spare)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(spare);
	uint8_t *frame;

	if (m == NULL) {
		pl->drops++;
		return NULL;
	}
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	rte_memcpy(frame, p->frame, p->len);
	tg_reel_patch(pl->reel, p, frame);
	m->data_len = p->len;
	m->pkt_len = p->len;
	m->ol_flags = own->ol_flags & ~RTE_MBUF_F_EXTERNAL;
	m->tx_offload = own->tx_offload;
	pl->copies++;
	return m;
}

/* Both lines of an mbuf: the player writes the first (its reference
 * count), a NIC's free reads the second (`next`). */
static inline void
prefetch_mbuf(const struct rte_mbuf *m)
{
	rte_prefetch0(m);
	rte_prefetch0((const uint8_t *)m + RTE_CACHE_LINE_SIZE);
}

uint64_t
tg_player_next_time(const struct tg_player *pl)
{
	uint64_t t = tg_reel_next_time(pl->reel, pl->cursor);

	return pl->pace == 1 ? t : (uint64_t)((double)t / pl->pace);
}

unsigned
tg_player_fill(struct tg_player *pl, struct rte_mbuf **out, uint64_t *ts,
	       unsigned n, uint64_t until_ns, struct rte_mempool *spare)
{
	struct tg_reel_pkt pkts[PLAYER_BURST];
	uint64_t reel_until = pl->pace == 1 || until_ns == UINT64_MAX
			      ? until_ns
			      : (uint64_t)((double)until_ns * pl->pace);
	double model_per_reel = 1 / pl->pace;
	unsigned k, sent = 0;

	k = tg_reel_play(pl->reel, pl->cursor, pkts,
			 n < PLAYER_BURST ? n : PLAYER_BURST, reel_until);
	for (unsigned i = 0; i < k && i < PREFETCH_MBUFS; i++)
		prefetch_mbuf(pl->slot_mbufs[pkts[i].slot]);
	for (unsigned i = 0; i < k; i++) {
		const struct tg_reel_pkt *p = &pkts[i];
		struct rte_mbuf *m = pl->slot_mbufs[p->slot];

		if (i + PREFETCH_MBUFS < k)
			prefetch_mbuf(pl->slot_mbufs[pkts[i +
							 PREFETCH_MBUFS].slot]);
		/* One reference is the player's: with no other, the frame
		 * is home and may change (no atomic needed: nobody else
		 * holds it). */
		if (likely(rte_mbuf_refcnt_read(m) == 1)) {
			tg_reel_patch(pl->reel, p, p->frame);
			rte_mbuf_refcnt_set(m, 2);
		} else if ((m = copy_out(pl, p, m, spare)) == NULL) {
			continue;
		}
		out[sent] = m;
		ts[sent++] = pl->pace == 1 ? p->ts_ns
					   : (uint64_t)((double)p->ts_ns *
							model_per_reel);
		pl->bytes += p->len;
	}
	return sent;
}
