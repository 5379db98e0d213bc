/* SPDX-License-Identifier: BSD-3-Clause
 * The engine end to end, without DPDK: packets from the built-in model are
 * parsed back here, independently of lib/pkt, and checked for valid
 * checksums, time order, whole TCP conversations and determinism.
 */
#include <arpa/inet.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tg_synth.h"

#define BURST 64
#define RUN_NS 5000000000ull	/* 5 s of model time */
#define MAX_TRACKED 65536

static struct tg_model model;

static int
setup(void **state)
{
	char err[256];

	(void)state;
	return tg_model_load_builtin(&model, err, sizeof(err));
}

static void
make_port(struct tg_port_cfg *port)
{
	memset(port, 0, sizeof(*port));
	snprintf(port->name, sizeof(port->name), "t");
	assert_int_equal(tg_cidr_parse("10.1.0.0/16", &port->clients.v4), 0);
	assert_int_equal(tg_cidr_parse("fd00:1::/64", &port->clients.v6), 0);
	assert_int_equal(tg_cidr_parse("198.18.0.0/20", &port->servers.v4), 0);
	assert_int_equal(tg_cidr_parse("fd00:2::/64", &port->servers.v6), 0);
	port->ipv6_share = 0.2;
	port->mac_src[0] = 0x02;
	port->mac_dst[0] = 0x02;
	port->mac_dst[5] = 0x01;
	port->n_workers = 1;
}

static struct tg_synth *
make_synth(const struct tg_port_cfg *port, uint64_t seed, uint32_t worker,
	   uint32_t n_workers)
{
	struct tg_synth_params p = {
		.model = &model, .port = port, .seed = seed,
		.stream = worker, .worker_index = worker,
		.n_workers = n_workers, .max_flows = 100000,
	};
	char err[256];
	struct tg_synth *s = tg_synth_create(&p, err, sizeof(err));

	assert_non_null(s);
	return s;
}

/* --- An independent reading of the frames ------------------------------ */

static uint32_t
sum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

struct parsed {
	int version;
	uint8_t proto;
	const uint8_t *src, *dst;	/* addresses */
	int addr_len;
	const uint8_t *l4;
	uint32_t l4_len;
};

/* Parse Ethernet + IP, check the IP header; returns false if invalid. */
static bool
parse_frame(const uint8_t *f, uint32_t len, struct parsed *p)
{
	uint32_t off = 14;
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);

	if (type == 0x8100) {
		type = (uint16_t)(f[16] << 8 | f[17]);
		off += 4;
	}
	if (type == 0x0800) {
		const uint8_t *ip = f + off;
		uint32_t total = (uint32_t)(ip[2] << 8 | ip[3]);

		if ((ip[0] >> 4) != 4 || off + total != len ||
		    fold(sum16(ip, 20)) != 0xffff)
			return false;
		p->version = 4;
		p->proto = ip[9];
		p->src = ip + 12;
		p->dst = ip + 16;
		p->addr_len = 4;
		p->l4 = ip + 20;
		p->l4_len = total - 20;
		return true;
	}
	if (type == 0x86dd) {
		const uint8_t *ip = f + off;

		if ((ip[0] >> 4) != 6 ||
		    off + 40 + (uint32_t)(ip[4] << 8 | ip[5]) != len)
			return false;
		p->version = 6;
		p->proto = ip[6];
		p->src = ip + 8;
		p->dst = ip + 24;
		p->addr_len = 16;
		p->l4 = ip + 40;
		p->l4_len = len - off - 40;
		return true;
	}
	return false;
}

static bool
l4_checksum_ok(const struct parsed *p)
{
	uint32_t s = sum16(p->l4, p->l4_len);

	if (p->proto == 1)	/* ICMP: no pseudo-header */
		return fold(s) == 0xffff;
	s += sum16(p->src, (size_t)p->addr_len) +
	     sum16(p->dst, (size_t)p->addr_len);
	s += p->proto + p->l4_len;
	return fold(s) == 0xffff;
}

/* --- TCP conversation tracking ----------------------------------------- */

struct conv {
	uint8_t key[40];
	uint32_t next_seq[2];	/* [0] = opener (client), [1] = server */
	int packets;
	bool fin[2];
	bool reset;
	bool used;
};

static struct conv convs[MAX_TRACKED];

static struct conv *
find_conv(const struct parsed *p, int *dir)
{
	uint8_t k1[40] = { 0 }, k2[40] = { 0 };
	uint32_t h = 0;

	memcpy(k1, p->src, (size_t)p->addr_len);
	memcpy(k1 + 16, p->dst, (size_t)p->addr_len);
	memcpy(k1 + 32, p->l4, 4);		/* sport, dport */
	memcpy(k2, p->dst, (size_t)p->addr_len);
	memcpy(k2 + 16, p->src, (size_t)p->addr_len);
	memcpy(k2 + 32, p->l4 + 2, 2);
	memcpy(k2 + 34, p->l4, 2);
	for (int i = 0; i < 40; i++)
		h = h * 31 + (uint32_t)(k1[i] ^ k2[i]);	/* symmetric */
	for (uint32_t i = 0; i < MAX_TRACKED; i++) {
		struct conv *c = &convs[(h + i) % MAX_TRACKED];

		if (!c->used) {
			memcpy(c->key, k1, 40);
			c->used = true;
			*dir = 0;
			return c;
		}
		if (memcmp(c->key, k1, 40) == 0 || memcmp(c->key, k2, 40) == 0) {
			*dir = memcmp(c->key, k1, 40) == 0 ? 0 : 1;
			return c;
		}
	}
	fail_msg("conversation table full");
	return NULL;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Each segment starts where the last one of its direction ended, every ACK
 * covers only what the peer sent, SYN and FIN count one. */
static void
check_tcp(const struct parsed *p)
{
	int dir;
	struct conv *c = find_conv(p, &dir);
	uint8_t flags = p->l4[13];
	uint32_t seq = be32(p->l4 + 4), ack = be32(p->l4 + 8);
	uint32_t data = p->l4_len - (uint32_t)(p->l4[12] >> 4) * 4;

	assert_false(c->reset);	/* nothing after a RST */
	if (c->packets == 0) {
		assert_int_equal(flags, 0x02);	/* SYN first */
		c->next_seq[0] = seq + 1;
	} else if (c->packets == 1) {
		assert_int_equal(flags, 0x12);	/* then SYN-ACK */
		assert_int_equal(dir, 1);
		assert_int_equal(ack, c->next_seq[0]);
		c->next_seq[1] = seq + 1;
	} else {
		assert_true(flags & 0x10);
		assert_int_equal(seq, c->next_seq[dir]);
		assert_int_equal(ack, c->next_seq[1 - dir]);
		c->next_seq[dir] += data + ((flags & 0x01) ? 1 : 0);
	}
	if (flags & 0x04)
		c->reset = true;
	if (flags & 0x01)
		c->fin[dir] = true;
	c->packets++;
}

/* Run a synth for RUN_NS, drain it, and check every packet. Returns the
 * packet count; *digest gets a hash of every byte for determinism tests. */
static uint64_t
run_and_check(struct tg_synth *s, uint64_t *digest)
{
	static uint8_t bufs[BURST][2048];
	struct tg_synth_pkt pkts[BURST];
	uint64_t last_ts = 0, total = 0, h = 1469598103934665603ull;
	bool drained = false;

	memset(convs, 0, sizeof(convs));
	for (;;) {
		unsigned n;

		for (int i = 0; i < BURST; i++) {
			pkts[i].buf = bufs[i];
			pkts[i].cap = sizeof(bufs[i]);
		}
		n = tg_synth_burst(s, pkts, BURST,
				   drained ? UINT64_MAX : RUN_NS);
		if (n == 0 && !drained) {
			tg_synth_drain(s, RUN_NS);
			drained = true;
			continue;
		}
		if (n == 0)
			break;
		for (unsigned i = 0; i < n; i++) {
			struct parsed p;

			assert_true(pkts[i].ts_ns >= last_ts);
			last_ts = pkts[i].ts_ns;
			assert_true(parse_frame(pkts[i].buf, pkts[i].len, &p));
			assert_true(l4_checksum_ok(&p));
			if (p.proto == 6)
				check_tcp(&p);
			for (uint16_t k = 0; k < pkts[i].len; k++)
				h = (h ^ pkts[i].buf[k]) * 1099511628211ull;
			h = (h ^ pkts[i].ts_ns) * 1099511628211ull;
		}
		total += n;
	}
	assert_true(tg_synth_idle(s));
	*digest = h;
	return total;
}

static void
test_valid_whole_conversations(void **state)
{
	struct tg_port_cfg port;
	struct tg_synth_stats st;
	struct tg_synth *s;
	uint64_t digest, packets;
	unsigned unfinished = 0, n_convs = 0;

	(void)state;
	make_port(&port);
	s = make_synth(&port, 1, 0, 1);
	packets = run_and_check(s, &digest);
	tg_synth_get_stats(s, &st);
	assert_int_equal(st.packets, packets);
	assert_int_equal(st.flows_active, 0);
	assert_true(st.flows_started > 500);	/* 5 s at ~4 ms apart */
	/* Every TCP conversation ended: its FIN was acknowledged or RST. */
	for (uint32_t i = 0; i < MAX_TRACKED; i++) {
		if (!convs[i].used)
			continue;
		n_convs++;
		unfinished += !convs[i].reset &&
			      !(convs[i].fin[0] && convs[i].fin[1]);
	}
	assert_true(n_convs > 100);
	assert_int_equal(unfinished, 0);
	tg_synth_free(s);
}

static void
test_same_seed_same_bytes(void **state)
{
	struct tg_port_cfg port;
	uint64_t d1, d2, d3;
	struct tg_synth *a, *b, *c;

	(void)state;
	make_port(&port);
	a = make_synth(&port, 42, 0, 1);
	b = make_synth(&port, 42, 0, 1);
	c = make_synth(&port, 43, 0, 1);
	assert_int_equal(run_and_check(a, &d1), run_and_check(b, &d2));
	assert_true(d1 == d2);
	run_and_check(c, &d3);
	assert_true(d1 != d3);
	tg_synth_free(a);
	tg_synth_free(b);
	tg_synth_free(c);
}

/* Two workers of one port never use the same client address. */
static void
test_workers_own_disjoint_clients(void **state)
{
	static uint8_t seen[65536];
	static uint8_t bufs[BURST][2048];
	struct tg_synth_pkt pkts[BURST];
	struct tg_port_cfg port;

	(void)state;
	make_port(&port);
	port.ipv6_share = 0;
	port.n_workers = 2;
	memset(seen, 0, sizeof(seen));
	for (uint32_t w = 0; w < 2; w++) {
		struct tg_synth *s = make_synth(&port, 9, w, 2);
		unsigned n;

		for (int i = 0; i < BURST; i++) {
			pkts[i].buf = bufs[i];
			pkts[i].cap = sizeof(bufs[i]);
		}
		while ((n = tg_synth_burst(s, pkts, BURST, 2000000000ull)) > 0) {
			for (unsigned i = 0; i < n; i++) {
				struct parsed p;
				const uint8_t *client;

				assert_true(parse_frame(pkts[i].buf,
							pkts[i].len, &p));
				client = p.src[0] == 10 ? p.src : p.dst;
				assert_int_equal(client[0], 10);
				uint16_t host = (uint16_t)(client[2] << 8 |
							   client[3]);
				assert_true(seen[host] == 0 ||
					    seen[host] == w + 1);
				seen[host] = (uint8_t)(w + 1);
			}
		}
		tg_synth_free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_whole_conversations),
		cmocka_unit_test(test_same_seed_same_bytes),
		cmocka_unit_test(test_workers_own_disjoint_clients),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
