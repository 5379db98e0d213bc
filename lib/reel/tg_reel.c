/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_bytes.h"
#include "tg_cksum.h"
#include "tg_hosts.h"
#include "tg_keystream.h"
#include "tg_mem.h"
#include "tg_reel.h"
#include "tg_rng.h"
#include "tg_sample.h"

#define RECORD_BURST 256
#define FRAME_CAP 2048
/* Flows still live this long after the reel's last start close
 * (drain): three periods, and at least TAIL_MIN_NS of model time. */
#define TAIL_PERIODS 3
#define TAIL_MIN_NS (30ull * 1000000000ull)
#define NO_HOST UINT32_MAX
/* Bodies: keystream a played packet's opaque tail is taken from, with
 * its partial sums. A body goes out where it lies: in the pool, at a
 * fresh random even offset, as a second segment; or, for a packet lent
 * to a device, in the stage (copies of the pool), where a burst's bodies
 * lie one after another at random even gaps of up to BODY_GAP bytes with
 * each head copied in front of its body (tg_reel_stage_next). A head's
 * bytes get their keystream back once the device has let go of its burst
 * (tg_reel_unstage). Tails shorter than BODY_MIN keep their recorded
 * bytes (not worth a body). */
#define BODY_POOL (1u << 18)
#define BODY_MIN 64
#define BODY_BYTES (BODY_POOL + FRAME_CAP)
#define BODY_GAP 64
#define BODY_STREAM 0xb0d1e5ull	/* other bytes than the synth's */
#define STAGE_BYTES (4 * BODY_POOL)	/* a power of two */
/* A staged head: where it starts in the running count of the stage's
 * bytes, shifted, and its length. */
#define HEAD_LEN_BITS 12
#define STAGED_MAX (STAGE_BYTES / BODY_MIN)	/* heads in the stage */

/* Slot flags */
#define SLOT_V6 0x1
#define SLOT_L4_PSEUDO 0x4	/* the L4 field holds the pseudo-header sum
				 * (NIC offload): not inverted */
#define SLOT_UDP 0x8		/* UDP: a zero field means "no checksum" */
#define SLOT_TCP 0x10

/* One packet of the reel: 48 bytes, read in order while playing. Where
 * its fields are was worked out when it was recorded, so that patching
 * it takes no branch on its direction or protocol. */
struct slot {
	uint64_t ts;		/* place on the circle, [0, T) */
	uint64_t off;		/* frame offset: staging, then arena */
	uint32_t host;		/* client-pool host of the address that
				 * moves (source or destination) */
	uint32_t host2;		/* ... of the destination when both move */
	struct tg_reel_meta meta;	/* body_at: bytes [body_at, len)
					 * are keystream a turn may swap */
	uint8_t back;		/* turns since its flow's turn began */
	uint8_t addr_at;	/* offset of the low 32 bits of the address
				 * that moves; 0: none moves */
	uint8_t addr2_at;	/* ... of the destination when both move */
	uint8_t ip_cksum_at;	/* offset of the IPv4 checksum; 0: none */
	uint8_t l4_cksum_at;	/* offset of the L4 checksum; 0: none to
				 * update */
	uint8_t flags;
	/* The checksum fields as recorded: a turn's values follow from
	 * them and the addresses alone, so patching a frame only stores. */
	uint16_t ip_cksum0;
	uint16_t l4_cksum0;
	uint16_t body_sum0;	/* their sum as recorded, as placed in L4 */
};
_Static_assert(sizeof(struct slot) == 48, "a slot is 48 bytes");

/* The clients of a pool move through it turn by turn. */
struct mover {
	uint32_t first_low;	/* low 32 bits of host 0's address */
	uint32_t hosts;		/* hosts that move: the pool's, rounded down
				 * to a multiple of the worker count */
	uint32_t step;		/* hosts moved per turn */
	uint8_t version;
	struct tg_cidr pool;
};

struct tg_reel {
	struct slot *slots;	/* staging, then tg_mem_alloc's */
	uint32_t n_slots;
	bool slots_settled;
	uint8_t *frames;	/* staging (record) or the caller's arena */
	bool placed;
	struct tg_reel_info info;
	struct mover movers[2];	/* IPv4, IPv6 clients */
	uint32_t offload;	/* TG_PKT_OFFLOAD_* the frames were made for */
	uint64_t seed, stream;	/* the synth's: the cursor's draws */
	/* Bodies: BODY_POOL + FRAME_CAP bytes (the pool and its first
	 * FRAME_CAP again, so any offset has a whole body) after the frames
	 * in the arena, and the sums of their first 2k bytes, k up to
	 * BODY_POOL / 2. NULL: no packet has a body. */
	uint8_t *bodies;
	uint16_t *body_sums;
	uint64_t bodies_at;	/* their offset in the arena */
	/* Packets with a body get a fresh one each play: the arena keeps
	 * only their heads (tg_reel_choose_bodies). */
	bool fresh;
	/* Fresh and staging (a port that lends; tg_reel_choose_bodies),
	 * the stage: STAGE_BYTES after the pool in the arena, the pool over
	 * and over; the bytes drawn from it so far; the heads staged and
	 * not yet put back, oldest first (HEAD_LEN_BITS; room for
	 * STAGED_MAX after the stage). */
	bool stages;
	uint8_t *stage;
	uint64_t stage_end;
	uint64_t *staged;
	uint64_t staged_first, staged_next;
};

/* Hosts move by `step` a turn: a multiple of the worker count (host k
 * belongs to worker k mod n) and otherwise coprime with the hosts, near
 * the golden section, so a flow's own addresses come back only after
 * hosts/n turns and neighbouring turns land far apart. */
static void
mover_init(struct mover *m, const struct tg_cidr *pool, uint32_t n_workers)
{
	uint32_t count = tg_hosts_count(pool), per, k;
	struct tg_ip_addr first;

	memset(m, 0, sizeof(*m));
	if (count == 0 || n_workers == 0)
		return;
	per = count / n_workers;
	if (per < 2)
		return;	/* too few hosts to move: they stay */
	tg_hosts_addr(pool, 0, &first);
	m->pool = *pool;
	m->version = pool->version;
	m->first_low = tg_get_be32(first.b + (pool->version == 4 ? 0 : 12));
	/* Low 32 bits without a carry beyond them (a v6 base whose host
	 * part is zero, as the config makes it, never carries). */
	if (pool->version == 6 && m->first_low + (uint64_t)count > UINT32_MAX) {
		m->version = 0;
		return;
	}
	for (k = (uint32_t)(per * 0.6180339887); tg_gcd(k, per) != 1; k++)
		;
	m->hosts = per * n_workers;
	m->step = k * n_workers;
}

/* The host number of a client-pool address, or NO_HOST. */
static uint32_t
mover_host(const struct mover *m, const uint8_t *addr)
{
	unsigned len = m->version == 4 ? 4 : 16;
	uint32_t idx;
	struct tg_ip_addr back;

	if (m->version == 0)
		return NO_HOST;
	idx = tg_get_be32(addr + len - 4) - m->first_low;
	if (idx >= m->hosts)
		return NO_HOST;
	tg_hosts_addr(&m->pool, idx, &back);
	return memcmp(back.b, addr, len) == 0 ? idx : NO_HOST;
}

static int
cmp_slots(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;	/* record order */
}

/* Staging while recording. */
struct recording {
	struct tg_reel *reel;
	uint64_t cap_slots;
	uint64_t frame_bytes, cap_bytes;
	uint64_t flow_ns;	/* sum of the flows' lifetimes */
};

static int
grow(void **p, uint64_t *cap, uint64_t need, size_t size)
{
	uint64_t n = *cap ? *cap : 4096;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* Byte-swapped: the sum of bytes that start at an odd offset of the
 * segment (RFC 1071, byte order independence). */
static inline uint16_t
swap16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

/* The sum of a body of n bytes that starts `at` bytes into the frame, as
 * the L4 checksum sees it (L4 headers start at even offsets). */
static uint16_t
body_sum(const uint8_t *body, uint32_t n, uint32_t at)
{
	uint16_t sum = tg_cksum_fold(tg_cksum_add(0, body, n));

	return at & 1 ? swap16(sum) : sum;
}

/* Where a packet's moving addresses and checksums are. */
static void
describe(const struct tg_reel *r, struct slot *s, const struct tg_synth_pkt *p)
{
	bool v6 = p->ip_version == 6;
	const struct mover *m = &r->movers[v6];
	unsigned src = p->layout.l2_len + (v6 ? 8 : 12), alen = v6 ? 16 : 4;
	unsigned l4 = p->layout.l2_len + p->layout.l3_len;
	uint32_t host_src = mover_host(m, p->buf + src);
	uint32_t host_dst = mover_host(m, p->buf + src + alen);

	s->meta.l2_len = (uint8_t)p->layout.l2_len;
	s->meta.l3_len = (uint8_t)p->layout.l3_len;
	s->meta.ip_version = p->ip_version;
	s->flags = v6 ? SLOT_V6 : 0;
	s->addr_at = s->addr2_at = 0;
	s->host = s->host2 = 0;
	if (host_src != NO_HOST) {
		s->addr_at = (uint8_t)(src + alen - 4);
		s->host = host_src;
	}
	if (host_dst != NO_HOST) {
		*(host_src != NO_HOST ? &s->addr2_at : &s->addr_at) =
			(uint8_t)(src + 2 * alen - 4);
		*(host_src != NO_HOST ? &s->host2 : &s->host) = host_dst;
	}
	s->ip_cksum_at = 0;
	s->ip_cksum0 = 0;
	if (!v6 && !(r->offload & TG_PKT_OFFLOAD_IPV4_CKSUM)) {
		s->ip_cksum_at = (uint8_t)(s->meta.l2_len + 10);
		s->ip_cksum0 = tg_get_be16(p->buf + s->ip_cksum_at);
	}
	s->l4_cksum_at = 0;
	s->meta.proto = 0;
	if (p->proto == TG_PROTO_TCP || p->proto == TG_PROTO_UDP) {
		s->l4_cksum_at = (uint8_t)(l4 + (p->proto == TG_PROTO_TCP ? 16
									  : 6));
		s->flags |= p->proto == TG_PROTO_UDP ? SLOT_UDP : SLOT_TCP;
		s->meta.proto = p->proto;
		if (r->offload & TG_PKT_OFFLOAD_L4_CKSUM)
			s->flags |= SLOT_L4_PSEUDO;
	} else if (p->proto == TG_PROTO_ICMPV6) {
		/* ICMPv6 covers the pseudo-header; ICMPv4 does not. */
		s->l4_cksum_at = (uint8_t)(l4 + 2);
	}
	s->l4_cksum0 = s->l4_cksum_at ? tg_get_be16(p->buf + s->l4_cksum_at)
				      : 0;
	/* A UDP datagram sent without a checksum stays without one. */
	if ((s->flags & (SLOT_UDP | SLOT_L4_PSEUDO)) == SLOT_UDP &&
	    s->l4_cksum0 == 0)
		s->l4_cksum_at = 0;
	s->meta.body_at = 0;
	s->body_sum0 = 0;
	if ((s->flags & (SLOT_TCP | SLOT_UDP)) && p->opaque_at != 0 &&
	    p->len - p->opaque_at >= BODY_MIN) {
		s->meta.body_at = p->opaque_at;
		s->body_sum0 = body_sum(p->buf + p->opaque_at,
					p->len - p->opaque_at, p->opaque_at);
	}
}

static int
keep(struct recording *rec, const struct tg_synth_pkt *p)
{
	struct tg_reel *r = rec->reel;
	uint64_t n = r->n_slots;
	struct slot *s;

	if (grow((void **)&r->slots, &rec->cap_slots, n + 1,
		 sizeof(*r->slots)) != 0 ||
	    grow((void **)&r->frames, &rec->cap_bytes,
		 rec->frame_bytes + p->len, 1) != 0)
		return -1;
	s = &r->slots[n];
	s->ts = p->ts_ns;
	s->off = rec->frame_bytes;
	s->meta.len = p->len;
	describe(r, s, p);
	memcpy(r->frames + rec->frame_bytes, p->buf, p->len);
	rec->frame_bytes += p->len;
	r->n_slots++;
	return 0;
}

static void
count_flows(struct recording *rec, struct tg_synth *synth)
{
	struct tg_flow_label l[64];
	unsigned n;

	do {
		n = tg_synth_take_ended(synth, l, 64);
		for (unsigned i = 0; i < n; i++) {
			rec->flow_ns += l[i].last_ns - l[i].first_ns;
			rec->reel->info.flows++;
		}
	} while (n == 64);
}

/* One burst of the synth into the recording: how many packets, or -1. */
static int
record_burst(struct recording *rec, struct tg_synth *synth, uint8_t *scratch,
	     unsigned n, uint64_t until)
{
	struct tg_synth_pkt pkts[RECORD_BURST];
	unsigned k;

	for (unsigned i = 0; i < n; i++) {
		pkts[i].buf = scratch + (size_t)i * FRAME_CAP;
		pkts[i].cap = FRAME_CAP;
	}
	k = tg_synth_burst(synth, pkts, n, until);
	for (unsigned i = 0; i < k; i++)
		if (keep(rec, &pkts[i]) != 0)
			return -1;
	count_flows(rec, synth);
	return (int)k;
}

/* The flows that began before T run on to their own end, or close at a
 * deadline TAIL_PERIODS periods (at least TAIL_MIN_NS) after T; no flow
 * begins after T. */
static int
record_tails(struct recording *rec, struct tg_synth *synth, uint8_t *scratch,
	     uint64_t period)
{
	uint64_t tail = period * TAIL_PERIODS;
	uint64_t deadline = period + (tail > TAIL_MIN_NS ? tail : TAIL_MIN_NS);
	bool drained = false;
	int k;

	tg_synth_stop_arrivals(synth);
	for (;;) {
		k = record_burst(rec, synth, scratch, RECORD_BURST,
				 drained ? UINT64_MAX : deadline);
		if (k < 0)
			return -1;
		if (k > 0)
			continue;
		if (tg_synth_next_time(synth) == UINT64_MAX ||
		    tg_synth_idle(synth))
			return 0;
		if (!drained) {
			tg_synth_drain(synth, deadline);
			drained = true;
		}
	}
}

/* Each packet's place on the circle and how many turns it comes late.
 * -1 when a flow outlasts TG_REEL_MAX_BACK turns. */
static int
wind(struct tg_reel *r)
{
	uint64_t period = r->info.period_ns;

	for (uint32_t i = 0; i < r->n_slots; i++) {
		struct slot *s = &r->slots[i];
		uint64_t back = s->ts / period;

		if (back > TG_REEL_MAX_BACK)
			return -1;
		s->back = (uint8_t)back;
		if (back > r->info.max_back)
			r->info.max_back = (unsigned)back;
		s->ts %= period;
		r->info.bytes += s->meta.len;
	}
	qsort(r->slots, r->n_slots, sizeof(*r->slots), cmp_slots);
	r->info.packets = r->n_slots;
	return 0;
}

/* The slots, in play order, into memory of their own where there is
 * some: read in order while playing, one TLB entry per 2 MiB. */
static void
settle_slots(struct tg_reel *r)
{
	struct slot *slots = tg_mem_alloc((size_t)r->n_slots *
					  sizeof(*slots));

	if (slots == NULL)
		return;		/* they stay where they are */
	memcpy(slots, r->slots, (size_t)r->n_slots * sizeof(*slots));
	free(r->slots);
	r->slots = slots;
	r->slots_settled = true;
}

static struct tg_reel *
reel_new(const struct tg_synth_params *params)
{
	struct tg_reel *r = calloc(1, sizeof(*r));
	uint32_t workers = params->n_workers ? params->n_workers : 1;

	if (r == NULL)
		return NULL;
	r->offload = params->offload;
	r->seed = params->seed;
	r->stream = params->stream;
	mover_init(&r->movers[0], &params->port->clients.v4, workers);
	mover_init(&r->movers[1], &params->port->clients.v6, workers);
	return r;
}

static uint64_t
count_bodies(const struct tg_reel *r)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < r->n_slots; i++)
		n += r->slots[i].meta.body_at != 0;
	return n;
}

/* The bodies' keystream (staged until tg_reel_place) and their sums:
 * body_sums[k] is the sum of the first k 16-bit words. */
static int
make_bodies(struct tg_reel *r, char *err, size_t errlen)
{
	struct tg_keystream *ks = tg_keystream_create(r->seed,
						      r->stream ^ BODY_STREAM,
						      err, errlen);

	if (ks == NULL)
		return -1;
	r->bodies = malloc(BODY_BYTES);
	r->body_sums = tg_mem_alloc((BODY_BYTES / 2 + 1) *
				    sizeof(*r->body_sums));
	if (r->bodies == NULL || r->body_sums == NULL) {
		tg_keystream_free(ks);
		snprintf(err, errlen, "reel: out of memory");
		return -1;
	}
	memcpy(r->bodies, tg_keystream_pool(ks), BODY_POOL);
	memcpy(r->bodies + BODY_POOL, r->bodies, FRAME_CAP);
	tg_keystream_free(ks);
	r->body_sums[0] = 0;
	for (uint32_t k = 0; k < BODY_BYTES / 2; k++)
		r->body_sums[k + 1] = tg_cksum_fold(
			tg_cksum_add(r->body_sums[k], r->bodies + 2 * k, 2));
	return 0;
}

/* The bytes of slot s the arena keeps: a packet that gets a fresh body
 * each play never sends its recorded one. */
static uint32_t
kept_bytes(const struct tg_reel *r, const struct slot *s)
{
	return r->fresh && s->meta.body_at != 0 ? s->meta.body_at
						 : s->meta.len;
}

/* Frames lie one after another at this alignment, not on cache lines:
 * the player reads the reel from memory and each page of it costs a
 * walk, so the fewer lines and pages a turn spans, the faster it plays
 * (on lines, the default model's frames took a third more memory and
 * played 8 to 10% slower). */
#define FRAME_ALIGN 8u

/* Where the frames and the bodies' pool go in the arena, and its size. */
static void
layout(struct tg_reel *r)
{
	uint64_t at = 0;

	for (uint32_t i = 0; i < r->n_slots; i++)
		at += tg_mem_round_up(kept_bytes(r, &r->slots[i]), FRAME_ALIGN);
	r->bodies_at = at = tg_mem_round_up(at, TG_REEL_ALIGN);
	r->info.arena_bytes = at + (r->fresh ? BODY_BYTES : 0) +
			      (r->stages ? STAGE_BYTES + STAGED_MAX *
							 sizeof(*r->staged)
					 : 0);
}

void
tg_reel_choose_bodies(struct tg_reel *r, bool fresh, bool staging)
{
	if (r->placed)
		return;
	r->fresh = fresh && r->bodies != NULL;
	r->stages = r->fresh && staging;
	layout(r);
}

struct tg_reel *
tg_reel_record(const struct tg_synth_params *params, uint32_t packets,
	       char *err, size_t errlen)
{
	struct tg_synth_params sp = *params;
	struct recording rec = { 0 };
	struct tg_synth *synth = NULL;
	uint8_t *scratch = malloc((size_t)RECORD_BURST * FRAME_CAP);
	int k = 0;

	sp.labels = true;	/* for the flows' count and lifetimes */
	sp.opaque_tails = true;	/* for the bodies */
	rec.reel = reel_new(params);
	if (scratch == NULL || rec.reel == NULL)
		goto nomem;
	synth = tg_synth_create(&sp, err, errlen);
	if (synth == NULL)
		goto fail;
	while (rec.reel->n_slots < packets) {
		uint32_t left = packets - rec.reel->n_slots;

		k = record_burst(&rec, synth, scratch,
				 left < RECORD_BURST ? left : RECORD_BURST,
				 UINT64_MAX);
		if (k <= 0)
			break;
	}
	if (k < 0)
		goto nomem;
	if (rec.reel->n_slots < packets) {
		snprintf(err, errlen, "reel: the model stopped after %u of "
			 "%u packets", rec.reel->n_slots, packets);
		goto fail;
	}
	rec.reel->info.period_ns = rec.reel->slots[packets - 1].ts + 1;
	if (record_tails(&rec, synth, scratch,
			 rec.reel->info.period_ns) != 0)
		goto nomem;
	rec.reel->info.flows_live = (double)rec.flow_ns /
				    (double)rec.reel->info.period_ns;
	if (wind(rec.reel) != 0) {
		snprintf(err, errlen, "reel: %u packets make a period of %.3f s "
			 "of model time, and flows outlast %u of them: record "
			 "more packets", packets,
			 (double)rec.reel->info.period_ns * 1e-9,
			 TG_REEL_MAX_BACK);
		goto fail;
	}
	rec.reel->info.bodies = count_bodies(rec.reel);
	if (rec.reel->info.bodies && make_bodies(rec.reel, err, errlen) != 0)
		goto fail;
	settle_slots(rec.reel);
	layout(rec.reel);
	tg_synth_free(synth);
	free(scratch);
	return rec.reel;
nomem:
	snprintf(err, errlen, "reel: out of memory for %u packets", packets);
fail:
	tg_synth_free(synth);
	tg_reel_free(rec.reel);
	free(scratch);
	return NULL;
}

void
tg_reel_free(struct tg_reel *r)
{
	if (r == NULL)
		return;
	if (!r->placed) {
		free(r->frames);
		free(r->bodies);
	}
	if (r->body_sums != NULL)
		tg_mem_free(r->body_sums, (BODY_BYTES / 2 + 1) *
					  sizeof(*r->body_sums));
	if (r->slots_settled)
		tg_mem_free(r->slots, (size_t)r->n_slots *
				      sizeof(*r->slots));
	else
		free(r->slots);
	free(r);
}

void
tg_reel_get_info(const struct tg_reel *r, struct tg_reel_info *info)
{
	*info = r->info;
}

void
tg_reel_place(struct tg_reel *r, uint8_t *arena)
{
	uint64_t at = 0;

	for (uint32_t i = 0; i < r->n_slots; i++) {
		struct slot *s = &r->slots[i];
		uint32_t kept = kept_bytes(r, s);

		memcpy(arena + at, r->frames + s->off, kept);
		s->off = at;
		at += tg_mem_round_up(kept, FRAME_ALIGN);
	}
	free(r->frames);
	r->frames = arena;
	if (r->fresh)
		memcpy(arena + r->bodies_at, r->bodies, BODY_BYTES);
	if (r->stages) {
		r->stage = arena + r->bodies_at + BODY_BYTES;
		for (uint64_t k = 0; k < STAGE_BYTES; k += BODY_POOL)
			memcpy(r->stage + k, r->bodies, BODY_POOL);
		r->staged = (uint64_t *)(r->stage + STAGE_BYTES);
	}
	free(r->bodies);	/* played as recorded: no pool */
	r->bodies = r->fresh ? arena + r->bodies_at : NULL;
	r->placed = true;
}

/* --- Playing ------------------------------------------------------------ */

/* The moves of turn cur->turn: for each mover and each lateness, the
 * steps of the turn the packet's flow began in. Once per turn, so that
 * playing a packet takes no division. */
static void
cursor_turn(const struct tg_reel *r, struct tg_reel_cursor *cur)
{
	for (unsigned v = 0; v < 2; v++) {
		const struct mover *m = &r->movers[v];

		if (m->version == 0)
			continue;
		for (unsigned back = 0; back <= r->info.max_back; back++) {
			uint64_t turn = cur->turn >= back ? cur->turn - back : 0;

			cur->shift[v][back] = (uint32_t)(
				(turn % m->hosts) * m->step % m->hosts);
		}
	}
}

void
tg_reel_start(const struct tg_reel *r, struct tg_reel_cursor *cur)
{
	memset(cur, 0, sizeof(*cur));
	cursor_turn(r, cur);
	cur->bodies = r->fresh;
	tg_rng_seed(&cur->rng, r->seed, r->stream ^ BODY_STREAM);
}

uint64_t
tg_reel_next_time(const struct tg_reel *r, const struct tg_reel_cursor *cur)
{
	return cur->turn_start_ns + r->slots[cur->pos].ts;
}

/* Store host `host` moved by `shift` at `at`; returns the change to the
 * sums that covered the address (tg_cksum_delta32). */
static inline uint32_t
move_host(const struct mover *m, uint8_t *frame, unsigned at, uint32_t host,
	  uint32_t shift)
{
	uint32_t moved = host + shift;

	if (moved >= m->hosts)
		moved -= m->hosts;
	tg_put_be32(frame + at, m->first_low + moved);
	return tg_cksum_delta32(m->first_low + host, m->first_low + moved);
}

/* The change to the L4 sum when the recorded body gives way to the one
 * at `at` in the pool: from the partial sums, without reading either
 * body (but its last byte when it has an odd length). No branch on the
 * body's length or place, which follow no pattern. */
static inline uint32_t
body_delta(const struct tg_reel *r, const struct slot *s, uint32_t at)
{
	uint32_t n = s->meta.len - s->meta.body_at;
	uint32_t odd_len = n & 1, odd_at = (s->meta.body_at & 1) * 8;
	uint32_t sum = (uint32_t)r->body_sums[(at + n) / 2] +
		       (uint16_t)~r->body_sums[at / 2] +
		       ((uint32_t)r->bodies[at + n - 1] << 8 & -odd_len);
	uint16_t folded = tg_cksum_fold(sum);

	/* Byte-swapped when the body starts at an odd offset (swap16). */
	folded = (uint16_t)(folded << odd_at | folded >> odd_at);
	return (uint32_t)folded + (uint16_t)~s->body_sum0;
}

/* An inverted L4 checksum field (host order) after a change of `delta`
 * to the sum it covers. */
static inline uint16_t
l4_update(const struct slot *s, uint16_t field, uint32_t delta)
{
	uint16_t l4 = tg_cksum_update(field, delta);

	if (l4 == 0 && (s->flags & SLOT_UDP))
		l4 = 0xffff;	/* zero would mean "none" */
	return l4;
}

/* The client addresses and checksums of slot s's frame moved by `shift`
 * hosts, with a body that changes the L4 sum by body_delta, stored at
 * `frame`: computed from the ones recorded. Nothing is read from the
 * frame, so a frame not in cache does not stall the player (the stores
 * wait in the store buffer). */
static inline void
patch(const struct tg_reel *r, const struct slot *s, uint32_t shift,
      uint32_t body_delta, uint8_t *frame)
{
	const struct mover *m = &r->movers[s->flags & SLOT_V6];
	uint32_t delta = 0;
	uint16_t l4;

	/* As recorded: no address moves, and no body may have changed the
	 * L4 field (add_body_sum builds on what this stores). */
	if (s->addr_at == 0 && s->meta.body_at == 0)
		return;
	if (s->addr_at != 0) {
		delta = move_host(m, frame, s->addr_at, s->host, shift);
		if (s->addr2_at != 0)
			delta += move_host(m, frame, s->addr2_at, s->host2,
					   shift);
		if (s->ip_cksum_at != 0)
			tg_put_be16(frame + s->ip_cksum_at,
				    tg_cksum_update(s->ip_cksum0, delta));
	}
	if (s->l4_cksum_at == 0)
		return;
	delta += body_delta;
	l4 = s->flags & SLOT_L4_PSEUDO ? tg_cksum_fold(s->l4_cksum0 + delta)
				       : l4_update(s, s->l4_cksum0, delta);
	tg_put_be16(frame + s->l4_cksum_at, l4);
}

void
tg_reel_patch(const struct tg_reel *r, const struct tg_reel_pkt *p,
	      uint8_t *frame)
{
	/* A select: p->body_delta is set only with a body (one store
	 * fewer a packet in tg_reel_play). */
	uint32_t body_delta = p->body != NULL ? p->body_delta : 0;

	patch(r, &r->slots[p->slot], p->shift, body_delta, frame);
}

/* A head patched before its body was drawn (cur->patch) gets the body's
 * part of its L4 checksum: the rest of what patch() stores. */
static inline void
add_body_sum(const struct slot *s, uint8_t *head, uint32_t body_delta)
{
	uint8_t *field = head + s->l4_cksum_at;

	if (s->l4_cksum_at == 0 || (s->flags & SLOT_L4_PSEUDO))
		return;
	tg_put_be16(field, l4_update(s, tg_get_be16(field), body_delta));
}

void
tg_reel_write(const struct tg_reel *r, const struct tg_reel_pkt *p,
	      uint8_t *frame)
{
	uint16_t head = tg_reel_head_len(p);

	memcpy(frame, p->frame, head);
	if (p->body != NULL)
		memcpy(frame + head, p->body, p->meta.len - head);
	tg_reel_patch(r, p, frame);
}

/* The frames are far too many for any cache and their sizes vary, so
 * the hardware does not see the stride: fetch the headers to be patched
 * PREFETCH_FRAMES packets ahead (their first two lines: frames lie
 * FRAME_ALIGN apart, so a header may run into a second line), and the
 * slots that say where they are further ahead still (without, the read
 * of the slot ahead waited for memory: a fifth of the play's time).
 * Fetched to be read: a head with a body is only copied, and PREFETCHW
 * was the slower here. */
#define PREFETCH_FRAMES 96
#define PREFETCH_SLOTS (2 * PREFETCH_FRAMES)

static inline void
prefetch_ahead(const struct tg_reel *r, uint32_t pos)
{
	uint32_t ahead = pos + PREFETCH_FRAMES;
	uint32_t slot_ahead = pos + PREFETCH_SLOTS;
	const uint8_t *frame;

	if (ahead >= r->n_slots)
		ahead -= r->n_slots;
	if (slot_ahead >= r->n_slots)
		slot_ahead -= r->n_slots;
	tg_prefetch(&r->slots[slot_ahead]);
	frame = r->frames + r->slots[ahead].off;
	tg_prefetch(frame);
	tg_prefetch(frame + TG_MEM_LINE);
}

/* The frames and slots are read in order, but on a virtual machine each
 * new 4 KiB page of them costs a page walk, and a fetch that needs one
 * holds up what follows it: alone, ~600 cycles. Walks started together
 * overlap. So at every WALK_BATCH-th position one fetch goes to each page
 * of the frames of the batch after next (and of the slots of the one
 * after that), all at once; the fetches of single frames then find their
 * pages known. */
#define WALK_BATCH 128
#define WALK_PAGE 4096u

static inline void
walk_pages(const void *from, const void *to)
{
	uintptr_t a = (uintptr_t)from & ~(uintptr_t)(WALK_PAGE - 1);

	for (; a <= (uintptr_t)to; a += WALK_PAGE)
		tg_prefetch((const void *)a);
}

static inline void
walk_ahead(const struct tg_reel *r, uint32_t pos)
{
	uint32_t from = pos + WALK_BATCH, to = pos + 2 * WALK_BATCH;

	if (pos % WALK_BATCH != 0 || to + WALK_BATCH >= r->n_slots)
		return;		/* the reel's end: its pages walk alone */
	/* The slots' pages a batch earlier than the frames', and the two
	 * slots the next batch reads its frames' places from: read
	 * unfetched, each held up the play for a walk and a miss. */
	walk_pages(&r->slots[to], &r->slots[to + WALK_BATCH]);
	tg_prefetch(&r->slots[to]);
	tg_prefetch(&r->slots[to + WALK_BATCH]);
	walk_pages(r->frames + r->slots[from].off,
		   r->frames + r->slots[to].off);
}

/* Copy a head of n bytes, 32 <= n <= FRAME_CAP: for the usual 42 to 128
 * in three moves of 32 bytes (four above 96), each starting where the one
 * before ends or earlier, the last ending at n. The branches on n go the
 * same way for nearly every packet (TLS heads are 71 or 91 bytes). */
static inline void
copy_head(uint8_t *to, const uint8_t *from, uint32_t n)
{
	uint32_t second = n - 32 < 32 ? n - 32 : 32;
	uint32_t third = n - 32 < 64 ? n - 32 : 64;

	if (__builtin_expect(n > 128, 0)) {
		memcpy(to, from, n);
		return;
	}
	memcpy(to, from, 32);
	memcpy(to + second, from + second, 32);
	if (n > 96)
		memcpy(to + third, from + third, 32);
	memcpy(to + n - 32, from + n - 32, 32);
}

/* Where the stage's lap after the one `at` is in starts (the stage's
 * bytes are counted on from lap to lap). */
static inline uint64_t
next_lap(uint64_t at)
{
	return (at | (STAGE_BYTES - 1)) + 1;
}

/* Fresh bodies for the packets of a play that end in keystream, out[i]
 * for i in `which`: a pass of their own, after the play's, so that no
 * packet without a body pays for them and no branch asks which has one
 * (a third do, in no order a predictor learns). In the pool, at a random
 * even offset (the sums are of 16-bit words); staged, one after another
 * in the stage at a random even gap, each at the start of the stage's
 * next lap when it would run past the end, with its head copied in front
 * of it and noted to be put back (tg_reel_unstage). Patched (cur->patch),
 * a head gets its body's part of the L4 checksum where it goes out. */
static void
draw_bodies(struct tg_reel *r, struct tg_reel_cursor *cur,
	    struct tg_reel_pkt *out, const uint16_t *which, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		struct tg_reel_pkt *p = &out[which[k]];
		const struct slot *s = &r->slots[p->slot];
		uint32_t len = s->meta.len - s->meta.body_at;
		uint32_t at = (uint32_t)tg_rng_next(&cur->rng) &
			      (BODY_POOL - 2);

		if (cur->staged) {
			uint64_t room = (s->meta.body_at + 1u) & ~1u;
			uint64_t gap = at % BODY_GAP;
			uint64_t lap_end = next_lap(r->stage_end);
			uint64_t end = ((r->stage_end + 1) & ~1ull) + room +
				       gap;
			uint64_t head_at;

			end = end + len > lap_end ? lap_end + room + gap : end;
			r->stage_end = end + len;
			head_at = end - s->meta.body_at;
			p->staged = r->stage + (head_at & (STAGE_BYTES - 1));
			copy_head(p->staged, p->frame, s->meta.body_at);
			r->staged[r->staged_next++ % STAGED_MAX] =
				head_at << HEAD_LEN_BITS | s->meta.body_at;
			at = (uint32_t)(end & (BODY_POOL - 1));
		}
		p->body = r->bodies + at;
		/* For body_delta, in the loop below. */
		tg_prefetch(&r->body_sums[at / 2]);
		tg_prefetch(&r->body_sums[(at + len) / 2]);
		tg_prefetch(&r->bodies[at + len - 1]);
	}
	for (unsigned k = 0; k < n; k++) {
		struct tg_reel_pkt *p = &out[which[k]];
		const struct slot *s = &r->slots[p->slot];
		uint32_t at = (uint32_t)(p->body - r->bodies);

		/* The NIC's offload sums the pseudo-header alone. */
		p->body_delta = s->flags & SLOT_L4_PSEUDO
				? 0 : body_delta(r, s, at);
		if (cur->patch)
			add_body_sum(s, tg_reel_start_of(p), p->body_delta);
	}
}

bool
tg_reel_stage_next(struct tg_reel *r, struct tg_reel_cursor *cur, unsigned n)
{
	uint64_t tail;

	cur->staged = false;
	if (!r->stages)
		return false;
	if (r->staged_first == r->staged_next) {
		/* None out: start afresh in the stage's first pool, at
		 * random (fresh bytes; the lines stay in cache). */
		r->stage_end = next_lap(r->stage_end) +
			       (tg_rng_next(&cur->rng) & (BODY_POOL - 2));
		tail = r->stage_end;
	} else {
		tail = r->staged[r->staged_first % STAGED_MAX] >>
		       HEAD_LEN_BITS;
	}
	/* Room for n bodies and their heads and gaps, and for what a lap's
	 * end may leave out. */
	cur->staged = r->stage_end - tail +
		      (uint64_t)(n + 1) * (FRAME_CAP + BODY_GAP) <=
		      STAGE_BYTES &&
		      r->staged_next - r->staged_first + n <= STAGED_MAX;
	return cur->staged;
}

uint64_t
tg_reel_staged(const struct tg_reel *r)
{
	return r->staged_next;
}

void
tg_reel_unstage(struct tg_reel *r, uint64_t mark)
{
	for (; r->staged_first != mark; r->staged_first++) {
		uint64_t h = r->staged[r->staged_first % STAGED_MAX];
		uint64_t at = (h >> HEAD_LEN_BITS) & (STAGE_BYTES - 1);

		copy_head(r->stage + at, r->bodies + at % BODY_POOL,
			  (uint32_t)(h & ((1u << HEAD_LEN_BITS) - 1)));
	}
}

unsigned
tg_reel_play(struct tg_reel *r, struct tg_reel_cursor *cur,
	     struct tg_reel_pkt *out, unsigned n, uint64_t until_ns)
{
	uint16_t which[TG_REEL_MAX_PLAY];
	unsigned count = 0, bodies = 0;

	if (n > TG_REEL_MAX_PLAY)
		n = TG_REEL_MAX_PLAY;
	while (count < n) {
		const struct slot *s = &r->slots[cur->pos];
		uint64_t ts = cur->turn_start_ns + s->ts;

		if (ts > until_ns)
			break;
		prefetch_ahead(r, cur->pos);
		walk_ahead(r, cur->pos);
		if (s->back <= cur->turn) {
			struct tg_reel_pkt *p = &out[count++];

			p->frame = r->frames + s->off;
			p->ts_ns = ts;
			p->slot = cur->pos;
			p->shift = cur->shift[s->flags & SLOT_V6][s->back];
			p->meta = s->meta;
			p->body = NULL;
			p->staged = NULL;
			which[bodies] = (uint16_t)(count - 1);
			bodies += s->meta.body_at != 0;
			/* Bodies not drawn yet: draw_bodies adds theirs. */
			if (cur->patch)
				patch(r, s, p->shift, 0, p->frame);
		}
		if (++cur->pos == r->n_slots) {
			cur->pos = 0;
			cur->turn++;
			cur->turn_start_ns += r->info.period_ns;
			cursor_turn(r, cur);
		}
	}
	if (cur->bodies)
		draw_bodies(r, cur, out, which, bodies);
	return count;
}
