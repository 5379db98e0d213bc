/* SPDX-License-Identifier: BSD-3-Clause
 * The reel: a recording of the built-in model played in a loop. Each
 * played frame is parsed back and its checksums recomputed here (not with
 * lib/pkt); client addresses must stay in their pool and the same within
 * a flow across the seam of two turns (every TCP conversation opens with
 * its SYN), and move from turn to turn (every client address a frame
 * carries changes each time it is played again, both ends where servers
 * are in the clients' pool too); a patched copy of a frame equals the
 * frame patched in place, and a frame the play patched (cur->patch) equals
 * both. Packets that end in keystream get a fresh body
 * each time they are played (their checksums must hold with it), unless
 * the cursor plays frames as recorded. Staged, a packet is one run of
 * bytes equal to the packet written whole, and stays so while it is out,
 * however many bursts are staged after it.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_hash.h"
#include "test_port.h"
#include "tg_reel.h"

#define PACKETS 20000u
#define SESSIONS 2000u
#define BURST 64

static struct tg_model model;

static int
setup(void **state)
{
	char err[256];

	(void)state;
	if (tg_model_load_builtin(&model, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static struct tg_reel *
record(const struct tg_port_cfg *port, uint32_t offload, bool bodies,
       bool staging, uint8_t **arena)
{
	struct tg_synth_params p = {
		.model = &model, .port = port, .seed = 7, .stream = 0,
		.n_workers = 1, .max_flows = 200000, .sessions = SESSIONS,
		.offload = offload,
	};
	struct tg_reel_info info;
	char err[256];
	struct tg_reel *r = tg_reel_record(&p, PACKETS, err, sizeof(err));

	if (r == NULL)
		fail_msg("%s", err);
	tg_reel_choose_bodies(r, bodies, staging);
	tg_reel_get_info(r, &info);
	*arena = aligned_alloc(TG_REEL_ALIGN, info.arena_bytes);
	assert_non_null(*arena);
	tg_reel_place(r, *arena);
	return r;
}

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A parsed frame: where its IP header is, its protocol and addresses. */
struct parsed {
	unsigned l3, l4, l4_len, version, alen;
	uint8_t proto;
	const uint8_t *src, *dst;
};

static void
parse(const uint8_t *f, unsigned len, struct parsed *p)
{
	unsigned type_at = 12;

	if (f[12] == 0x81 && f[13] == 0x00)
		type_at = 16;
	p->l3 = type_at + 2;
	p->version = f[p->l3] >> 4;
	assert_true(p->version == 4 || p->version == 6);
	if (p->version == 4) {
		unsigned ihl = (f[p->l3] & 0xf) * 4u;
		unsigned total = (unsigned)(f[p->l3 + 2] << 8 | f[p->l3 + 3]);

		p->proto = f[p->l3 + 9];
		p->l4 = p->l3 + ihl;
		p->l4_len = total - ihl;
		p->src = f + p->l3 + 12;
		p->alen = 4;
	} else {
		p->proto = f[p->l3 + 6];
		p->l4 = p->l3 + 40;
		p->l4_len = (unsigned)(f[p->l3 + 4] << 8 | f[p->l3 + 5]);
		p->src = f + p->l3 + 8;
		p->alen = 16;
	}
	p->dst = p->src + p->alen;
	assert_true(p->l4 + p->l4_len <= len);
}

/* Checksums as a receiver checks them; pseudo: the L4 field holds only
 * the pseudo-header sum a NIC completes. */
static void
check_cksums(const uint8_t *f, const struct parsed *p, bool pseudo)
{
	uint32_t ph = 0;
	bool covers = p->proto == 6 || p->proto == 17 || p->proto == 58;

	if (p->version == 4 && !pseudo)
		assert_int_equal(fold(sum16(0, f + p->l3,
					    (f[p->l3] & 0xf) * 4u)), 0xffff);
	if (p->proto == 1) {
		assert_int_equal(fold(sum16(0, f + p->l4, p->l4_len)), 0xffff);
		return;
	}
	if (!covers)
		return;
	ph = sum16(ph, p->src, p->alen);
	ph = sum16(ph, p->dst, p->alen);
	ph += p->proto + p->l4_len;
	if (pseudo && p->proto != 58) {
		unsigned at = p->l4 + (p->proto == 6 ? 16 : 6);

		assert_int_equal(f[at] << 8 | f[at + 1], fold(ph));
		return;
	}
	if (p->proto == 17 && f[p->l4 + 6] == 0 && f[p->l4 + 7] == 0)
		return;	/* no UDP checksum */
	assert_int_equal(fold(sum16(ph, f + p->l4, p->l4_len)), 0xffff);
}

static bool
in_pool(const uint8_t *a, unsigned alen)
{
	static const uint8_t v6[8] = { 0xfd, 0x00, 0x00, 0x01 };

	return alen == 4 ? a[0] == 10 && a[1] == 1 : memcmp(a, v6, 8) == 0;
}

/* TCP conversations by their 5-tuple, either direction: the first
 * packet of each must be its SYN, and no second SYN may open it again. */
#define TRACKED (1u << 17)

struct conv {
	uint8_t key[37];	/* version, lower (addr, port), higher one */
	bool used;
	uint32_t isn;
};

static void
conv_key(const uint8_t *f, const struct parsed *p, uint8_t key[37])
{
	uint8_t a[18], b[18];
	unsigned n = p->alen + 2;

	memset(key, 0, 37);
	memcpy(a, p->src, p->alen);
	memcpy(a + p->alen, f + p->l4, 2);
	memcpy(b, p->dst, p->alen);
	memcpy(b + p->alen, f + p->l4 + 2, 2);
	key[0] = (uint8_t)p->version;
	if (memcmp(a, b, n) > 0) {
		memcpy(key + 1, b, n);
		memcpy(key + 1 + 18, a, n);
	} else {
		memcpy(key + 1, a, n);
		memcpy(key + 1 + 18, b, n);
	}
}

static void
track_tcp(struct conv *convs, const uint8_t *f, const struct parsed *p)
{
	uint8_t key[37], flags = f[p->l4 + 13];
	uint32_t seq = (uint32_t)f[p->l4 + 4] << 24 | f[p->l4 + 5] << 16 |
		       f[p->l4 + 6] << 8 | f[p->l4 + 7];
	uint64_t h;
	bool syn = (flags & 0x12) == 0x02;

	conv_key(f, p, key);
	h = fnv(FNV_BASIS, key, sizeof(key));
	for (uint32_t i = (uint32_t)h % TRACKED;; i = (i + 1) % TRACKED) {
		struct conv *c = &convs[i];

		if (c->used && memcmp(c->key, key, sizeof(key)) != 0)
			continue;
		if (!c->used) {
			/* A conversation's first packet is its SYN: one that
			 * begins later took the wrong turn's addresses. */
			assert_true(syn);
			memcpy(c->key, key, sizeof(key));
			c->used = true;
			c->isn = seq;
		} else if (syn) {
			assert_int_equal(seq, c->isn);	/* retransmission */
		}
		return;
	}
}

/* Every client-pool address of a frame played before has moved. */
static void
check_moved(const struct parsed *p, const uint8_t *src_before,
	    const uint8_t *dst_before, unsigned *both)
{
	bool src = in_pool(p->src, p->alen), dst = in_pool(p->dst, p->alen);

	if (src)
		assert_memory_not_equal(p->src, src_before, p->alen);
	if (dst)
		assert_memory_not_equal(p->dst, dst_before, p->alen);
	*both += src && dst;
}

/* Bodies of packets played again: how many, and how many came out with
 * the same first 8 bytes as the time before. */
struct body_count {
	uint64_t packets, replays, same;
	uint64_t *first8;	/* per slot: last body's first bytes, or 0 */
};

static void
count_body(struct body_count *b, const struct tg_reel_pkt *p)
{
	uint64_t v;

	if (p->body == NULL)
		return;
	memcpy(&v, p->body, sizeof(v));
	b->packets++;
	if (b->first8[p->slot] != 0) {
		b->replays++;
		b->same += b->first8[p->slot] == v;
	}
	b->first8[p->slot] = v;
}

/* The whole packet (head and fresh body) written to a buffer is the
 * frame patched where it lies (by the play when it did so), then the
 * body. */
static void
check_whole(const struct tg_reel *r, const struct tg_reel_pkt *p,
	    bool patched, uint8_t *whole)
{
	uint16_t head = tg_reel_head_len(p);

	tg_reel_write(r, p, whole);
	if (!patched)
		tg_reel_patch(r, p, p->frame);
	assert_memory_equal(whole, p->frame, head);
	if (p->body != NULL)
		assert_memory_equal(whole + head, p->body, p->meta.len - head);
}

/* Whose addresses a turn moves: the clients' (servers are in a pool of
 * their own), both ends' (servers in the clients' pool), or nobody's (a
 * client pool of one host). */
enum movers { CLIENTS_MOVE, BOTH_MOVE, NONE_MOVE };

static void
play_and_check(uint32_t offload, enum movers movers, bool bodies)
{
	struct tg_port_cfg port;
	struct tg_reel_pkt pkts[BURST];
	struct tg_reel_cursor *cur = malloc(sizeof(*cur));
	struct tg_reel_info info;
	uint8_t *arena;
	struct tg_reel *r;
	uint64_t played[TG_REEL_MAX_BACK + 2] = { 0 }, last_ts = 0;
	struct conv *convs = calloc(TRACKED, sizeof(*convs));
	uint8_t *seen;
	uint8_t (*addrs)[32];	/* per slot: source, destination before */
	unsigned both = 0, bursts = 0;
	struct body_count bc = { 0 };

	make_port(&port);
	if (movers == NONE_MOVE) {
		assert_int_equal(tg_cidr_parse("10.1.0.1/32",
					       &port.clients.v4), 0);
		assert_int_equal(tg_cidr_parse("fd00:1::1/128",
					       &port.clients.v6), 0);
	}
	if (movers == BOTH_MOVE) {
		/* Conversations between two clients: both ends move. */
		assert_int_equal(tg_cidr_parse("10.1.0.0/20",
					       &port.servers.v4), 0);
		assert_int_equal(tg_cidr_parse("fd00:1::/116",
					       &port.servers.v6), 0);
	}
	r = record(&port, offload, bodies, false, &arena);
	tg_reel_get_info(r, &info);
	/* With fresh bodies the arena keeps only the heads of the packets
	 * that get them: less than the frames' bytes even with the pool. */
	if (bodies)
		assert_true(info.arena_bytes < info.bytes);
	else
		assert_true(info.arena_bytes >= info.bytes);
	assert_true(info.packets >= PACKETS);
	assert_true(info.period_ns > 0);
	assert_true(info.flows > 0 && info.flows_live > 0);
	assert_non_null(cur);
	assert_non_null(convs);
	seen = calloc(info.packets, 1);
	addrs = calloc(info.packets, sizeof(*addrs));
	assert_non_null(addrs);
	bc.first8 = calloc(info.packets, sizeof(*bc.first8));
	assert_non_null(seen);
	assert_non_null(bc.first8);
	tg_reel_start(r, cur);
	/* Not chosen: no stage (nor its memory in the arena). */
	assert_false(tg_reel_stage_next(r, cur, BURST));
	/* Turn 0 leaves out the flows of earlier turns; from turn max_back
	 * on every turn plays the whole reel. */
	while (cur->turn < info.max_back + 2) {
		uint64_t turn = cur->turn;
		unsigned n;

		/* Every other burst the play patches its frames. */
		cur->patch = bursts++ % 2 == 1;
		n = tg_reel_play(r, cur, pkts, BURST, UINT64_MAX);
		assert_true(n > 0 || cur->turn > turn);
		for (unsigned i = 0; i < n; i++) {
			struct parsed p;
			uint64_t t = pkts[i].ts_ns / info.period_ns;
			uint8_t copy[2048], whole[2048];
			uint8_t *last = addrs[pkts[i].slot];

			parse(pkts[i].frame, pkts[i].meta.len, &p);
			/* A copy patched (a frame still on its way out) is
			 * the frame patched where it lies. */
			assert_true(pkts[i].meta.len <= sizeof(copy));
			memcpy(copy, pkts[i].frame, pkts[i].meta.len);
			tg_reel_patch(r, &pkts[i], copy);
			check_whole(r, &pkts[i], cur->patch, whole);
			assert_memory_equal(copy, pkts[i].frame,
					    pkts[i].meta.len);
			count_body(&bc, &pkts[i]);

			assert_true(pkts[i].ts_ns >= last_ts);
			last_ts = pkts[i].ts_ns;
			if (seen[pkts[i].slot] && movers != NONE_MOVE)
				check_moved(&p, last, last + 16, &both);
			seen[pkts[i].slot] = 1;
			memcpy(last, p.src, p.alen);
			memcpy(last + 16, p.dst, p.alen);
			check_cksums(whole, &p, offload != 0);
			assert_true(in_pool(p.src, p.alen) ||
				    in_pool(p.dst, p.alen));
			if (p.proto == 6)
				track_tcp(convs, whole, &p);
			played[t]++;
		}
	}
	for (unsigned t = 0; t < info.max_back; t++)
		assert_true(played[t] < played[t + 1]);
	assert_int_equal(played[info.max_back], info.packets);
	assert_int_equal(played[info.max_back + 1], info.packets);
	assert_true(info.max_back > 0);	/* flows do cross the seam */
	if (movers == BOTH_MOVE)
		assert_true(both > info.packets / 2);
	/* The built-in model's TLS, SSH and QUIC give many packets a body;
	 * a body played again is other bytes (the same offset of 2^17 may
	 * come up by chance). */
	print_message("%" PRIu64 " bodies, %" PRIu64 " played again, %"
		      PRIu64 " the same\n", bc.packets, bc.replays, bc.same);
	if (bodies)
		assert_true(bc.replays > info.packets / 10 &&
			    bc.same <= bc.replays / 1000 + 2);
	else
		assert_int_equal(bc.packets, 0);
	free(bc.first8);
	free(addrs);
	free(seen);
	free(convs);
	free(cur);
	tg_reel_free(r);
	free(arena);
}

/* A staged packet still out: where its bytes are and their hash. */
struct out_pkt {
	const uint8_t *at;
	uint16_t len;
	uint64_t hash;
};

#define HELD_BURSTS 64u	/* bursts kept out, at the most */

/* Bursts staged and kept out for `hold` bursts (a device's ring) before
 * they come home, oldest first; each packet must equal the packet written
 * whole, with valid checksums, and still be intact when it comes home. */
static void
stage_and_check(unsigned hold)
{
	struct tg_port_cfg port;
	struct tg_reel_pkt pkts[BURST];
	struct tg_reel_cursor *cur = malloc(sizeof(*cur));
	struct out_pkt *out = calloc((size_t)HELD_BURSTS * BURST, sizeof(*out));
	uint64_t marks[HELD_BURSTS];
	unsigned n_out[HELD_BURSTS];
	unsigned first = 0, next = 0, staged = 0, not_staged = 0;
	uint64_t bodies = 0;
	struct tg_reel_info info;
	uint8_t *arena;
	struct tg_reel *r;

	assert_true(hold <= HELD_BURSTS);
	assert_non_null(cur);
	assert_non_null(out);
	make_port(&port);
	r = record(&port, 0, true, true, &arena);
	tg_reel_get_info(r, &info);
	tg_reel_start(r, cur);
	while (cur->turn < 3) {
		bool stage = tg_reel_stage_next(r, cur, BURST);
		struct out_pkt *o = &out[(size_t)(next % HELD_BURSTS) * BURST];
		unsigned n;

		cur->patch = stage;	/* as the player does when it lends */
		n = tg_reel_play(r, cur, pkts, BURST, UINT64_MAX);

		assert_int_equal(cur->staged, stage);
		staged += stage;
		not_staged += !stage;
		for (unsigned i = 0; stage && i < n; i++) {
			uint8_t whole[2048];
			struct parsed pp;
			uint8_t *at;

			tg_reel_write(r, &pkts[i], whole);
			at = tg_reel_start_of(&pkts[i]);
			assert_memory_equal(at, whole, pkts[i].meta.len);
			parse(at, pkts[i].meta.len, &pp);
			check_cksums(at, &pp, false);
			bodies += pkts[i].body != NULL;
			o[i] = (struct out_pkt){
				at, pkts[i].meta.len,
				fnv(FNV_BASIS, at, pkts[i].meta.len) };
		}
		if (stage) {
			marks[next % HELD_BURSTS] = tg_reel_staged(r);
			n_out[next % HELD_BURSTS] = n;
			next++;
		}
		/* The oldest burst comes home: intact all the while. */
		while (next - first > hold || (!stage && first != next)) {
			const struct out_pkt *h =
				&out[(size_t)(first % HELD_BURSTS) * BURST];

			for (unsigned i = 0; i < n_out[first % HELD_BURSTS]; i++)
				assert_true(fnv(FNV_BASIS, h[i].at,
						h[i].len) == h[i].hash);
			tg_reel_unstage(r, marks[first % HELD_BURSTS]);
			first++;
		}
	}
	print_message("held %u: %u bursts staged, %u not (no room), %" PRIu64
		      " bodies staged\n", hold, staged, not_staged, bodies);
	assert_true(staged > info.packets / BURST && bodies > info.packets / 4);
	/* Held this long, bursts fill the stage: some must wait for room. */
	if (hold == HELD_BURSTS)
		assert_true(not_staged > 0);
	else
		assert_int_equal(not_staged, 0);
	free(out);
	free(cur);
	tg_reel_free(r);
	free(arena);
}

/* A device that lets go of each burst before the next (net_null), and
 * one that holds many: the stage then runs out of room now and then. */
static void
test_stage_home_at_once(void **state)
{
	(void)state;
	stage_and_check(0);
}

static void
test_stage_held(void **state)
{
	(void)state;
	stage_and_check(HELD_BURSTS);
}

static void
test_play_checksums(void **state)
{
	(void)state;
	play_and_check(0, CLIENTS_MOVE, true);
}

static void
test_play_as_recorded(void **state)
{
	(void)state;
	play_and_check(0, CLIENTS_MOVE, false);
}

static void
test_play_offload(void **state)
{
	(void)state;
	play_and_check(TG_PKT_OFFLOAD_IPV4_CKSUM | TG_PKT_OFFLOAD_L4_CKSUM,
		       CLIENTS_MOVE, true);
}

static void
test_play_both_ends_move(void **state)
{
	(void)state;
	play_and_check(0, BOTH_MOVE, true);
}

/* Addresses that never move: a frame patched in one play is patched
 * afresh in the next (its fresh body's checksum must not build on the
 * last one's). */
static void
test_play_nobody_moves(void **state)
{
	(void)state;
	play_and_check(0, NONE_MOVE, true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_play_checksums),
		cmocka_unit_test(test_play_as_recorded),
		cmocka_unit_test(test_play_offload),
		cmocka_unit_test(test_play_both_ends_move),
		cmocka_unit_test(test_play_nobody_moves),
		cmocka_unit_test(test_stage_home_at_once),
		cmocka_unit_test(test_stage_held),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
