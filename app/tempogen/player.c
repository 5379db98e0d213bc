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
#include "tg_mem.h"
#include "tg_pkt.h"

#define PLAYER_BURST TG_REEL_MAX_PLAY
/* Carriers in the ring: as many as may be out at once (NIC ring, capture
 * tap, a burst), so that most are home when their place comes round, and
 * at least this many. */
#define MIN_CARRIERS 1024u
/* Carriers set aside are looked at once in this many bursts (their
 * lines are in the capture core's cache until it lets go), or when the
 * reserve runs low. */
#define COLLECT_EVERY 16
/* Staged bursts out at once, each with its sentinel (see lend_burst). */
#define SENTINELS 1024u

/* The arena's shared info lost its last reference: only when the player
 * frees its carriers. */
static void
frame_freed(void *addr, void *opaque)
{
	(void)addr;
	rte_mbuf_ext_refcnt_set(opaque, 1);
}

/* The frames' memory: DPDK's, IOVA-contiguous, where a NIC reads them by
 * DMA (the frame's bus address is the zone's plus its offset); else
 * memory with huge pages where the kernel has them (a pcap port, or a
 * virtual device when EAL runs without huge pages). */
static int
arena_alloc(struct tg_player *pl, const char *name, bool dma, int socket,
	    char *err, size_t errlen)
{
	/* A device port's arena ends with its carriers' shared info. */
	uint64_t size = pl->info.arena_bytes +
			(name != NULL ? sizeof(*pl->shinfo) : 0);
	char zone[RTE_MEMZONE_NAMESIZE];

	pl->arena_size = size;
	if (!dma || name == NULL) {
		pl->arena = tg_mem_alloc(size);
		/* IOVA as VA: nothing reads it by bus address. */
		pl->arena_iova = (uint64_t)(uintptr_t)pl->arena;
		if (pl->arena != NULL)
			return 0;
		snprintf(err, errlen, "reel: no memory for %.1f MiB of frames",
			 (double)size / (1 << 20));
		return -1;
	}
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
	pl->arena_iova = pl->zone->iova;
	return 0;
}

static struct rte_mbuf *
attached(struct tg_player *pl)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pl->carrier_pool);

	if (m != NULL)
		rte_pktmbuf_attach_extbuf(m, pl->arena, pl->arena_iova, 0,
					  pl->shinfo);
	return m;
}

/* A carrier: an mbuf attached to the arena, to be pointed at a frame. */
static int
new_carrier(struct tg_player *pl, struct tg_carrier *c)
{
	c->head = attached(pl);
	return c->head != NULL ? 0 : -1;
}

/* The pool's per-core cache makes taking and giving back plain loads
 * and stores. */
#define LENT_CACHE 256

/* The mbufs of a pool for `out` of them out at once, its cache too. */
static uint32_t
lent_mbufs(uint32_t out)
{
	return out + 2 * LENT_CACHE;
}

/* Mbufs lent to the NIC at reference count 1 (its free is no atomic
 * operation), pointed at the arena each time one is taken. */
static int
make_lent_pool(struct tg_player *pl, const char *name, int socket,
	       uint32_t out)
{
	char pool[RTE_MEMPOOL_NAMESIZE];

	snprintf(pool, sizeof(pool), "reelb_%s", name);
	pl->lent_pool = rte_pktmbuf_pool_create(pool, lent_mbufs(out),
						LENT_CACHE, 0, 0, socket);
	return pl->lent_pool != NULL ? 0 : -1;
}

static int
no_mbufs(char *err, size_t errlen, uint32_t mbufs)
{
	snprintf(err, errlen, "reel: no DPDK memory for the %u mbufs that "
		 "carry its frames: give EAL more (eal.memory_mb, hugepages)",
		 mbufs);
	return -1;
}

/* The ring of carriers, as many again in reserve to take the place of
 * those set aside, and a bit per frame for those still out in one. All
 * are made here: playing allocates none. */
static int
make_carriers(struct tg_player *pl, const char *name, int socket,
	      uint32_t in_flight, char *err, size_t errlen)
{
	uint32_t n = rte_align32pow2(RTE_MAX(in_flight, MIN_CARRIERS));
	/* Places beyond the reel's slots would never be used (a reel holds
	 * far fewer than 2^31 packets). */
	uint32_t enough = rte_align32pow2((uint32_t)pl->info.packets);
	uint64_t words = (pl->info.packets + 63) / 64;
	uint32_t mbufs;		/* a ring and a reserve of carriers */
	char pool[RTE_MEMPOOL_NAMESIZE];

	pl->shinfo = (void *)(pl->arena + pl->info.arena_bytes);
	pl->shinfo->free_cb = frame_freed;
	pl->shinfo->fcb_opaque = pl->shinfo;
	rte_mbuf_ext_refcnt_set(pl->shinfo, 1);
	if (n > enough)
		n = enough;
	pl->carrier_mask = n - 1;
	mbufs = 2 * n;
	snprintf(pool, sizeof(pool), "reelm_%s", name);
	pl->carriers = calloc(n, sizeof(*pl->carriers));
	pl->carried = calloc(n, sizeof(*pl->carried));
	pl->held = calloc(n, sizeof(*pl->held));
	pl->held_slot = calloc(n, sizeof(*pl->held_slot));
	pl->spare = calloc(n, sizeof(*pl->spare));
	pl->out = calloc(words, sizeof(*pl->out));
	pl->carrier_pool = rte_pktmbuf_pool_create(pool, mbufs, 0, 0, 0,
						   socket);
	if (pl->carriers == NULL || pl->carried == NULL || pl->held == NULL ||
	    pl->held_slot == NULL || pl->spare == NULL || pl->out == NULL ||
	    pl->carrier_pool == NULL ||
	    (pl->cursor->bodies && make_lent_pool(pl, name, socket, mbufs)))
		goto nomem;
	for (uint32_t i = 0; i < n; i++)
		if (new_carrier(pl, &pl->carriers[i]) != 0)
			goto nomem;
	for (; pl->n_spare < n; pl->n_spare++)
		if (new_carrier(pl, &pl->spare[pl->n_spare]) != 0)
			goto nomem;
	return 0;
nomem:
	return no_mbufs(err, errlen, mbufs);
}

/* Heads and bodies lent as they go out, for packets in flight and a
 * burst. */
static uint32_t
lent_out(uint32_t in_flight)
{
	return 2 * (in_flight + PLAYER_BURST);
}

/* Whether heads can be lent, no carriers kept: a frame is patched again
 * a whole turn after it went out, and a device frees what it sent in the
 * order it was sent (a TX ring). If its head is still out then, so is
 * every mbuf lent after it: more than the pool has. A capture tap breaks
 * the order: it holds some mbufs for as long as its writer takes while
 * the NIC frees the rest. */
static bool
can_lend(const struct tg_player *pl, uint32_t in_flight, bool tapped)
{
	return !tapped && pl->info.packets > lent_mbufs(lent_out(in_flight));
}

int
tg_player_init(struct tg_player *pl, const struct tg_synth_params *params,
	       uint32_t packets, const char *name, int socket,
	       bool dma, uint32_t offload, bool bodies, bool chains,
	       uint32_t in_flight, bool tapped, char *err, size_t errlen)
{
	bool lend;

	memset(pl, 0, sizeof(*pl));
	pl->pace = 1;
	pl->offload = offload;
	pl->chains = chains;
	pl->reel = tg_reel_record(params, packets, err, errlen);
	if (pl->reel == NULL)
		return -1;
	tg_reel_get_info(pl->reel, &pl->info);
	lend = name != NULL && can_lend(pl, in_flight, tapped);
	/* Before the arena's size is known: fresh, it keeps only the heads
	 * of the packets that get bodies. Bodies go in chains, or staged
	 * when lent (as copies when the stage has no room). */
	tg_reel_choose_bodies(pl->reel, bodies && (chains || lend), lend);
	tg_reel_get_info(pl->reel, &pl->info);
	pl->cursor = malloc(sizeof(*pl->cursor));
	if (pl->cursor == NULL) {
		snprintf(err, errlen, "reel: out of memory");
		return -1;
	}
	if (arena_alloc(pl, name, dma, socket, err, errlen) != 0)
		return -1;
	tg_reel_place(pl->reel, pl->arena);
	tg_reel_start(pl->reel, pl->cursor);
	if (name == NULL)
		return 0;
	if (!lend)
		return make_carriers(pl, name, socket, in_flight, err, errlen);
	pl->sentinels = calloc(SENTINELS, sizeof(*pl->sentinels));
	if (pl->sentinels == NULL ||
	    make_lent_pool(pl, name, socket, lent_out(in_flight)) != 0)
		return no_mbufs(err, errlen, lent_mbufs(lent_out(in_flight)));
	return 0;
}

/* Free m (NULL: nothing) alone: its `next` may be a body the device
 * already gave back to its pool (a carrier's, a sentinel's). */
static void
free_unchained(struct rte_mbuf *m)
{
	if (m == NULL)
		return;
	m->next = NULL;
	m->nb_segs = 1;
	rte_pktmbuf_free(m);
}

void
tg_player_free(struct tg_player *pl)
{
	if (pl->carriers != NULL)
		for (uint32_t i = 0; i <= pl->carrier_mask; i++)
			free_unchained(pl->carriers[i].head);
	for (uint32_t i = pl->held_head; i != pl->held_tail; i++)
		free_unchained(pl->held[i & pl->carrier_mask].head);
	for (uint32_t i = 0; i < pl->n_spare; i++)
		free_unchained(pl->spare[i].head);
	for (uint32_t i = pl->sentinels_first; i != pl->sentinels_next; i++)
		free_unchained(pl->sentinels[i % SENTINELS].m);
	free(pl->sentinels);
	rte_mempool_free(pl->carrier_pool);
	rte_mempool_free(pl->lent_pool);
	free(pl->carriers);
	free(pl->carried);
	free(pl->held);
	free(pl->held_slot);
	free(pl->spare);
	free(pl->out);
	tg_reel_free(pl->reel);
	free(pl->cursor);
	if (pl->zone != NULL)
		rte_memzone_free(pl->zone);
	else
		tg_mem_free(pl->arena, pl->arena_size);
	memset(pl, 0, sizeof(*pl));
}

/* The bit per frame of `out`: set while a carrier set aside holds it. */
static inline bool
frame_out(const struct tg_player *pl, uint32_t slot)
{
	return pl->out[slot / 64] >> (slot % 64) & 1;
}

static inline void
mark_out(struct tg_player *pl, uint32_t slot, bool out)
{
	uint64_t bit = 1ull << (slot % 64);

	pl->out[slot / 64] = out ? pl->out[slot / 64] | bit
				 : pl->out[slot / 64] & ~bit;
}

/* Carriers set aside that are home again, oldest first (NICs and taps
 * let go in the order they took them): back to the reserve, their frames
 * free to change. Stops at the first still out, so a burst pays for no
 * more than it collects. */
static void
collect_held(struct tg_player *pl)
{
	while (pl->held_head != pl->held_tail) {
		uint32_t i = pl->held_head & pl->carrier_mask;
		uint32_t slot = pl->held_slot[i];

		if (rte_mbuf_refcnt_read(pl->held[i].head) != 1)
			return;
		mark_out(pl, slot, false);
		pl->spare[pl->n_spare++] = pl->held[i];
		pl->held_head++;
	}
}

/* The carrier at `place` is still out: set it aside, its frame marked
 * out, and put one from the reserve in its place. NULL when the reserve
 * is empty. */
static struct tg_carrier *
replace_carrier(struct tg_player *pl, uint32_t place)
{
	uint32_t slot = pl->carried[place];
	uint32_t i = pl->held_tail & pl->carrier_mask;

	if (pl->n_spare == 0)
		return NULL;	/* the queue is as long as the reserve */
	pl->held[i] = pl->carriers[place];
	pl->held_slot[i] = slot;
	pl->held_tail++;
	mark_out(pl, slot, true);
	pl->carriers[place] = pl->spare[--pl->n_spare];
	return &pl->carriers[place];
}

static void
tx_fields(struct rte_mbuf *m, const struct tg_reel_pkt *p, uint32_t offload)
{
	struct tg_pkt_layout layout = { .l2_len = p->meta.l2_len,
					.l3_len = p->meta.l3_len };

	tg_port_tx_fields(m, p->meta.len, &layout, p->meta.proto,
			  p->meta.ip_version, offload);
}

/* The frame is, or may be, still out: a copy from `copy_pool` goes in
 * its place, with this turn's addresses. NULL when there is no mbuf to
 * copy into: the packet is dropped, as one the NIC refused (the NIC may
 * be holding every copy, and what it holds of the arena with them). */
static struct rte_mbuf *
copy_out(struct tg_player *pl, const struct tg_reel_pkt *p,
	 struct rte_mempool *copy_pool)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(copy_pool);
	uint8_t *frame;

	if (m == NULL) {
		pl->drops++;
		tg_player_refused(pl);
		return NULL;
	}
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	tg_reel_write(pl->reel, p, frame);
	tx_fields(m, p, pl->offload);
	pl->copies++;
	return m;
}

/* Point m at `len` bytes of the arena from `at`, all of them data. */
static inline void
point(struct tg_player *pl, struct rte_mbuf *m, const uint8_t *at,
      uint16_t len)
{
	m->buf_addr = (void *)(uintptr_t)at;
	m->buf_iova = pl->arena_iova + (uint64_t)(at - pl->arena);
	m->buf_len = len;
	m->data_off = 0;
	m->data_len = len;
}

/* Point m at p's `len` bytes from `at` (and chain `body`, NULL for
 * none, to it). Returns m. */
static inline struct rte_mbuf *
carry(struct tg_player *pl, struct rte_mbuf *m, const struct tg_reel_pkt *p,
      const uint8_t *at, uint16_t len, struct rte_mbuf *body)
{
	if (pl->offload != 0)	/* not its last packet's */
		m->ol_flags &= RTE_MBUF_F_EXTERNAL;
	tx_fields(m, p, pl->offload);
	point(pl, m, at, len);
	/* Its last send may have been chained: `next` is set each time. */
	m->nb_segs = (uint16_t)(1 + (body != NULL));
	m->next = body;
	return m;
}

/* For writing: the player sets their reference counts and fields (and
 * the head's next, on its second line). */
static inline void
prefetch_carrier(const struct tg_player *pl, uint32_t slot)
{
	const struct tg_carrier *c = &pl->carriers[slot & pl->carrier_mask];

	tg_prefetch_w(c->head);
	if (pl->lent_pool != NULL)
		tg_prefetch_w(&c->head->next);
}

/* Point b, an mbuf of the pool, at p's body. Returns b. */
static inline struct rte_mbuf *
point_body(struct tg_player *pl, struct rte_mbuf *b,
	   const struct tg_reel_pkt *p)
{
	point(pl, b, p->body, (uint16_t)(p->meta.len - tg_reel_head_len(p)));
	return b;
}

/* A body's mbuf from the pool, pointed at p's body: at reference count 1,
 * so the NIC gives it back to the pool. NULL when the pool is empty. */
static inline struct rte_mbuf *
body_mbuf(struct tg_player *pl, const struct tg_reel_pkt *p)
{
	struct rte_mbuf *b = rte_mbuf_raw_alloc(pl->lent_pool);

	return b != NULL ? point_body(pl, b, p) : NULL;
}

/* p in the carrier at its place, with one more reference for the NIC
 * (no atomic needed: nobody else holds it); a copy if its frame is
 * still out. */
static inline struct rte_mbuf *
carried(struct tg_player *pl, const struct tg_reel_pkt *p,
	struct rte_mempool *copy_pool)
{
	uint32_t place = p->slot & pl->carrier_mask;
	struct tg_carrier *c = &pl->carriers[place];
	struct rte_mbuf *body = NULL;

	/* A frame only ever goes out in the carrier at its place: if it is
	 * still out, that carrier is, or was set aside with the frame's
	 * bit. */
	if (unlikely(rte_mbuf_refcnt_read(c->head) != 1))
		c = replace_carrier(pl, place);
	if (unlikely(c == NULL) ||
	    unlikely(pl->held_head != pl->held_tail &&
		     frame_out(pl, p->slot)) ||
	    unlikely(p->body != NULL && (body = body_mbuf(pl, p)) == NULL))
		return copy_out(pl, p, copy_pool);
	tg_reel_patch(pl->reel, p, p->frame);
	pl->carried[place] = p->slot;
	rte_mbuf_refcnt_set(c->head, 2);
	return carry(pl, c->head, p, p->frame, tg_reel_head_len(p), body);
}

void
tg_player_refused(struct tg_player *pl)
{
	struct tg_sentinel *sn;

	pl->lend_from = pl->played + pl->info.packets;
	if (pl->sentinels == NULL || pl->sentinels_first == pl->sentinels_next)
		return;
	/* A sentinel refused (the worker freed it, out of order) tells
	 * nothing of the packets before it; the next one will. */
	sn = &pl->sentinels[(pl->sentinels_next - 1) % SENTINELS];
	if (rte_mbuf_refcnt_read(sn->m) == 1) {
		free_unchained(sn->m);
		pl->sentinels_next--;
	}
}

/* c ? a : b, by masks: GCC makes a branch of the select, and whether a
 * packet has a body follows no pattern a predictor could learn. */
static inline struct rte_mbuf *
pick(bool c, struct rte_mbuf *a, struct rte_mbuf *b)
{
	uintptr_t mask = -(uintptr_t)c;

	return (struct rte_mbuf *)(((uintptr_t)a & mask) |
				   ((uintptr_t)b & ~mask));
}

/* Heads and bodies of the burst (k packets in m, their bodies after
 * them, patched by the play), each packet in two segments when it has a
 * body. No branch on that: a packet without one points a stand-in at its
 * empty body, and chains none. Each packet's time and bytes are noted in
 * the same pass (see tg_player_fill); returns the bytes. Out of line, as
 * carry_burst: inlined, the paths a staging port does not take made
 * tg_player_fill's staged loop about 3% slower. */
static __rte_noinline uint64_t
lend_in_segments(struct tg_player *pl, const struct tg_reel_pkt *pkts,
		 unsigned k, struct rte_mbuf **m, struct rte_mbuf **out,
		 uint64_t *ts)
{
	struct rte_mbuf **body = m + k;
	struct rte_mbuf stand_in;
	uint64_t bytes = 0;

	for (unsigned i = 0; i < k; i++) {
		const struct tg_reel_pkt *p = &pkts[i];
		bool has_body = p->body != NULL;
		struct rte_mbuf *b = pick(has_body, *body, &stand_in);

		point_body(pl, b, p);
		body += has_body;
		out[i] = carry(pl, m[i], p, p->frame, tg_reel_head_len(p),
			       pick(has_body, b, NULL));
		ts[i] = p->ts_ns;
		bytes += p->meta.len;
	}
	return bytes;
}

/* The last mbuf of a lent burst is kept with one more reference, a
 * sentinel, and the stage's mark after the burst: a device frees what it
 * sent in order, so when the sentinel is home every packet staged before
 * the mark is, and the stage gets their room back (release_staged). */
static void
keep_sentinel(struct tg_player *pl, struct rte_mbuf *m)
{
	struct tg_sentinel *sn = &pl->sentinels[pl->sentinels_next % SENTINELS];

	sn->m = m;
	sn->mark = tg_reel_staged(pl->reel);
	rte_mbuf_refcnt_set(m, 2);	/* not yet lent: no atomic */
	pl->sentinels_next++;
}

/* Sentinels home, oldest first: their staged packets are too. */
static void
release_staged(struct tg_player *pl)
{
	while (pl->sentinels_first != pl->sentinels_next) {
		struct tg_sentinel *sn =
			&pl->sentinels[pl->sentinels_first % SENTINELS];

		if (rte_mbuf_refcnt_read(sn->m) != 1)
			return;
		free_unchained(sn->m);
		tg_reel_unstage(pl->reel, sn->mark);
		pl->sentinels_first++;
	}
}

/* Mbufs for a burst of up to n packets, lent from the pool, taken in
 * one go before it is played (the play then patches its frames where
 * they lie, none still out): one each, and one more for each body when
 * bodies go in segments. Returns how many; 0: the burst goes as copies.
 *
 * Once the NIC has refused packets (which the worker then frees, out of
 * the order they were lent) or the pool ran short, a frame lent before
 * may still be out a turn later: packets go as copies until a whole turn
 * has gone with no refusal and no shortage. The NIC took that turn's
 * packets in order, far more than it holds at once, so it has let go of
 * every frame lent before them. */
static unsigned
take_lent(struct tg_player *pl, unsigned n, uint64_t reel_until,
	  struct rte_mbuf **m)
{
	const struct tg_reel_cursor *cur = pl->cursor;
	unsigned want = cur->staged || !cur->bodies ? n : 2 * n;

	/* Bodies unstaged need chains: else the burst goes as copies. */
	if (!cur->staged && cur->bodies && !pl->chains)
		return 0;
	/* Nothing due (a paced port polls): nothing taken. */
	if (pl->played < pl->lend_from || n == 0 ||
	    tg_reel_next_time(pl->reel, cur) > reel_until)
		return 0;
	if (rte_mempool_get_bulk(pl->lent_pool, (void **)m, want) != 0) {
		tg_player_refused(pl);
		return 0;
	}
	return want;
}

/* The burst of k packets in the mbufs taken for it (`taken` of them in
 * m, the rest given back): staged, each in one; else heads and bodies. */
static void
lend_burst(struct tg_player *pl, const struct tg_reel_pkt *pkts, unsigned k,
	   struct rte_mbuf **m, unsigned taken, struct rte_mbuf **out,
	   uint64_t *ts)
{
	unsigned used = k;
	uint64_t bytes = 0;

	if (pl->cursor->staged) {
		for (unsigned i = 0; i < k; i++) {
			out[i] = carry(pl, m[i], &pkts[i],
				       tg_reel_start_of(&pkts[i]),
				       pkts[i].meta.len, NULL);
			ts[i] = pkts[i].ts_ns;
			bytes += pkts[i].meta.len;
		}
	} else {
		for (unsigned i = 0; i < k; i++)
			used += pkts[i].body != NULL;
		bytes = lend_in_segments(pl, pkts, k, m, out, ts);
	}
	pl->bytes += bytes;
	if (used < taken)
		rte_mempool_put_bulk(pl->lent_pool, (void **)(m + used),
				     taken - used);
	if (pl->sentinels != NULL && k > 0)
		keep_sentinel(pl, out[k - 1]);
}

/* The burst of k packets in carriers, or copies: those with no mbuf to
 * go in are dropped. Returns how many go out. Out of line: see
 * lend_in_segments. */
static __rte_noinline unsigned
carry_burst(struct tg_player *pl, const struct tg_reel_pkt *pkts,
	    unsigned k, struct rte_mempool *copy_pool, struct rte_mbuf **out,
	    uint64_t *ts)
{
	unsigned sent = 0;
	uint64_t bytes = 0;

	/* All at once: a carrier a capture tap let go of was last written
	 * by the capture's core, and the fetches overlap. */
	for (unsigned i = 0; pl->carriers != NULL && i < k; i++)
		prefetch_carrier(pl, pkts[i].slot);
	for (unsigned i = 0; i < k; i++) {
		struct rte_mbuf *m = pl->carriers != NULL
			? carried(pl, &pkts[i], copy_pool)
			: copy_out(pl, &pkts[i], copy_pool);

		if (m == NULL)
			continue;
		out[sent] = m;
		ts[sent++] = pkts[i].ts_ns;
		bytes += pkts[i].meta.len;
	}
	pl->bytes += bytes;
	return sent;
}

uint64_t
tg_player_next_time(const struct tg_player *pl)
{
	uint64_t t = tg_reel_next_time(pl->reel, pl->cursor);

	return pl->pace == 1 ? t : (uint64_t)((double)t / pl->pace);
}

unsigned
tg_player_fill(struct tg_player *pl, struct rte_mbuf **out, uint64_t *ts,
	       unsigned n, uint64_t until_ns, struct rte_mempool *copy_pool)
{
	struct tg_reel_pkt pkts[PLAYER_BURST];
	uint64_t reel_until = pl->pace == 1 || until_ns == UINT64_MAX
			      ? until_ns
			      : (uint64_t)((double)until_ns * pl->pace);
	/* One more: the last packet reads the next body's place. */
	struct rte_mbuf *lent[2 * PLAYER_BURST + 1];
	unsigned k, sent, taken = 0;

	if (n > PLAYER_BURST)
		n = PLAYER_BURST;
	if (unlikely(pl->held_head != pl->held_tail) &&
	    (++pl->bursts % COLLECT_EVERY == 0 ||
	     pl->n_spare < (pl->carrier_mask + 1) / 4))
		collect_held(pl);
	if (pl->sentinels != NULL) {
		release_staged(pl);
		if (pl->sentinels_next - pl->sentinels_first < SENTINELS)
			tg_reel_stage_next(pl->reel, pl->cursor, n);
		else
			pl->cursor->staged = false;
	}
	if (pl->carriers == NULL)
		taken = take_lent(pl, n, reel_until, lent);
	pl->cursor->patch = taken > 0;
	k = tg_reel_play(pl->reel, pl->cursor, pkts, n, reel_until);
	pl->played += k;
	if (taken > 0) {
		lend_burst(pl, pkts, k, lent, taken, out, ts);
		sent = k;
	} else {
		sent = carry_burst(pl, pkts, k, copy_pool, out, ts);
	}
	/* The passes above noted the reel's times; a paced reel runs
	 * slower than the model (a product: no division a packet). */
	if (pl->pace != 1) {
		double model_per_reel = 1 / pl->pace;

		for (unsigned i = 0; i < sent; i++)
			ts[i] = (uint64_t)((double)ts[i] * model_per_reel);
	}
	return sent;
}
