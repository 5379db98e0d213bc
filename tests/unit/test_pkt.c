/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the checksum routine and the frame writers (lib/pkt).
 *
 * Checksums are checked against a deliberately naive RFC 1071 reference
 * written here, and whole frames against real packets written by the Linux
 * kernel: tg_pkt_write must reproduce them byte for byte from their header
 * fields. Frames are also checked by a small parser here that does not use
 * lib/pkt, and, when tshark is installed, by tshark's checksum validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tg_cksum.h"
#include "tg_pkt.h"

/* --- Helpers, independent of lib/pkt ------------------------------------ */

/* RFC 1071 the slow way: one 16-bit big-endian word at a time, the carry
 * wrapped around after every addition, an odd last byte padded with 0. */
static uint16_t
ref_sum_from(uint16_t start, const uint8_t *p, size_t len)
{
	uint32_t sum = start;

	for (size_t i = 0; i < len; i += 2) {
		uint32_t word = (uint32_t)p[i] << 8;

		if (i + 1 < len)
			word |= p[i + 1];
		sum += word;
		if (sum > 0xffff)
			sum = (sum & 0xffff) + 1;
	}
	return (uint16_t)sum;
}

static uint16_t
ref_sum(const uint8_t *p, size_t len)
{
	return ref_sum_from(0, p, len);
}

/* Deterministic across C libraries, unlike rand(). */
static uint32_t rng_state = 2463534242u;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void
fill_random(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rnd();
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	fail_msg("bad hex digit '%c'", c);
	return 0;
}

static size_t
hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_int_equal(strlen(hex) % 2, 0);
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(nibble(hex[2 * i]) << 4 |
				   nibble(hex[2 * i + 1]));
	return n;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

/* The pseudo-header bytes of RFC 793/768 (IPv4) or RFC 8200 8.1 (IPv6),
 * taken from the IP header at ip. Returns its length. */
static size_t
make_pseudo(const uint8_t *ip, int version, uint8_t proto, uint32_t l4_len,
	    uint8_t out[40])
{
	memset(out, 0, 40);
	if (version == 4) {
		memcpy(out, ip + 12, 8);
		out[9] = proto;
		out[10] = (uint8_t)(l4_len >> 8);
		out[11] = (uint8_t)l4_len;
		return 12;
	}
	memcpy(out, ip + 8, 32);
	out[32] = (uint8_t)(l4_len >> 24);
	out[33] = (uint8_t)(l4_len >> 16);
	out[34] = (uint8_t)(l4_len >> 8);
	out[35] = (uint8_t)l4_len;
	out[39] = proto;
	return 40;
}

/* Where a frame's layers are, found by parsing it, not from lib/pkt. */
struct parsed {
	int version;
	uint8_t proto;
	const uint8_t *ip;
	const uint8_t *l4;
	size_t l4_len;
};

static struct parsed
parse_frame(const uint8_t *f, size_t len)
{
	struct parsed p = { 0 };
	size_t l2 = be16(f + 12) == TG_ETHERTYPE_VLAN ? 18 : 14;
	uint16_t type = be16(f + l2 - 2);

	p.ip = f + l2;
	if (type == TG_ETHERTYPE_IPV4) {
		p.version = 4;
		assert_int_equal(p.ip[0], 0x45);
		assert_int_equal(be16(p.ip + 2), len - l2);
		p.proto = p.ip[9];
		p.l4 = p.ip + 20;
	} else {
		assert_int_equal(type, TG_ETHERTYPE_IPV6);
		p.version = 6;
		assert_int_equal(p.ip[0] >> 4, 6);
		assert_int_equal(be16(p.ip + 4), len - l2 - 40);
		p.proto = p.ip[6];
		p.l4 = p.ip + 40;
	}
	p.l4_len = len - (size_t)(p.l4 - f);
	return p;
}

/* Sum of the L4 segment with its pseudo-header (none for ICMPv4). */
static uint16_t
ref_l4_sum(const struct parsed *p)
{
	uint8_t pseudo[40];
	size_t plen = 0;

	if (p->proto != TG_PROTO_ICMP)
		plen = make_pseudo(p->ip, p->version, p->proto,
				   (uint32_t)p->l4_len, pseudo);
	return ref_sum_from(ref_sum(pseudo, plen), p->l4, p->l4_len);
}

/* Every checksum of the frame is right: including the stored checksum,
 * each covered range sums to all ones. */
static void
check_frame(const uint8_t *f, size_t len)
{
	struct parsed p = parse_frame(f, len);

	if (p.version == 4)
		assert_int_equal(ref_sum(p.ip, 20), 0xffff);
	assert_int_equal(ref_l4_sum(&p), 0xffff);
	if (p.proto == TG_PROTO_UDP)	/* 0 would mean "no checksum" */
		assert_int_not_equal(be16(p.l4 + 6), 0);
}

/* --- The checksum routine ---------------------------------------------- */

static void
test_cksum_matches_reference(void **state)
{
	uint8_t buf[320];

	(void)state;
	for (int round = 0; round < 24; round++) {
		fill_random(buf, sizeof(buf));
		if (round == 0)
			memset(buf, 0xff, sizeof(buf));  /* many carries */
		if (round == 1)
			memset(buf, 0, sizeof(buf));
		/* Every start offset in a 64-bit word, odd ones included. */
		for (size_t off = 0; off < 8; off++) {
			for (size_t len = 0; len <= 300; len++) {
				uint32_t s = tg_cksum_add(0, buf + off, len);

				assert_int_equal(tg_cksum_fold(s),
						 ref_sum(buf + off, len));
			}
		}
	}
}

/* A starting sum, even one near 2^32, is added with its carries. */
static void
test_cksum_starting_sum(void **state)
{
	static const uint32_t starts[] = { 0, 1, 0xffff, 0x10000, 0xfffe0001,
					   0xffffffffu, 0x7fffffff };
	const size_t n_starts = sizeof(starts) / sizeof(starts[0]);
	uint8_t buf[64];

	(void)state;
	for (int round = 0; round < 50; round++) {
		fill_random(buf, sizeof(buf));
		for (size_t i = 0; i < n_starts; i++) {
			uint32_t s = starts[i];
			uint16_t s16 = (uint16_t)((s & 0xffff) + (s >> 16));

			if (s16 < (s & 0xffff))	/* the fold carried */
				s16++;
			for (size_t len = 0; len <= sizeof(buf); len++) {
				uint32_t got = tg_cksum_add(s, buf, len);

				assert_int_equal(tg_cksum_fold(got),
						 ref_sum_from(s16, buf, len));
			}
		}
	}
}

/* Summing even-length pieces one after the other, or separately and
 * adding the folded sums, gives the sum of the whole. */
static void
test_cksum_pieces_add_up(void **state)
{
	uint8_t buf[1500];

	(void)state;
	for (int round = 0; round < 200; round++) {
		size_t len = rnd() % sizeof(buf);
		uint16_t whole;
		uint32_t chained = 0, separate = 0;
		size_t at = 0;

		fill_random(buf, len);
		whole = ref_sum(buf, len);
		while (at < len) {
			size_t piece = 2 * (rnd() % 40);

			if (piece > len - at)	/* the last one may be odd */
				piece = len - at;
			chained = tg_cksum_add(chained, buf + at, piece);
			separate += tg_cksum_fold(tg_cksum_add(0, buf + at,
							       piece));
			at += piece;
		}
		assert_int_equal(tg_cksum_fold(chained), whole);
		assert_int_equal(tg_cksum_fold(separate), whole);
	}
}

static void
test_cksum_pseudo_headers(void **state)
{
	static const uint32_t lens[] = { 0, 8, 1480, 0xffff, 0x10000,
					 0x12345678 };
	uint8_t ip[40], pseudo[40];

	(void)state;
	for (int round = 0; round < 100; round++) {
		fill_random(ip, sizeof(ip));
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			uint8_t proto = (uint8_t)rnd();
			uint32_t len = lens[i];
			size_t n;

			/* IPv4 has a 16-bit length field. */
			n = make_pseudo(ip, 4, proto, len & 0xffff, pseudo);
			assert_int_equal(tg_cksum_fold(tg_cksum_pseudo4(
						 ip + 12, ip + 16, proto,
						 len & 0xffff)),
					 ref_sum(pseudo, n));
			n = make_pseudo(ip, 6, proto, len, pseudo);
			assert_int_equal(tg_cksum_fold(tg_cksum_pseudo6(
						 ip + 8, ip + 24, proto, len)),
					 ref_sum(pseudo, n));
		}
	}
}

/* The textbook IPv4 header (Wikipedia, "Internet checksum"). */
static void
test_ipv4_textbook_header(void **state)
{
	uint8_t hdr[20], out[20];
	struct tg_pkt_spec spec = {
		.ip_version = 4, .ttl = 64, .proto = TG_PROTO_UDP, .df = true,
		.src.b = { 192, 168, 0, 1 }, .dst.b = { 192, 168, 0, 199 },
	};

	(void)state;
	hex_to_bytes("450000730000400040110000c0a80001c0a800c7", hdr,
		     sizeof(hdr));
	assert_int_equal(tg_cksum_finish(tg_cksum_add(0, hdr, 20)), 0xb861);

	assert_int_equal(tg_pkt_write_ipv4(&spec, out, 0x73 - 20), 20);
	hdr[10] = 0xb8;
	hdr[11] = 0x61;
	assert_memory_equal(out, hdr, 20);
	/* A correct header, checksum included, sums to all ones. */
	assert_int_equal(tg_cksum_fold(tg_cksum_add(0, out, 20)), 0xffff);
	assert_int_equal(ref_sum(out, 20), 0xffff);
}

/* --- Packets written by the Linux kernel --------------------------------
 *
 * Captured with dumpcap on one end of a veth pair between two private
 * network namespaces (unshare -n), host A = 02:00:00:00:00:01,
 * 198.51.100.1, 2001:db8::1 and host B = ...:02, .2, ::2. Transmit checksum
 * offload was turned off on both ends (ethtool -K vX tx off) so the kernel
 * wrote every checksum itself, and tshark -o tcp.check_checksum:TRUE
 * -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE reported all of them
 * good. Traffic: a Python TCP connect to a listener on B:8080 sending
 * "hello tempogen\n", a UDP DNS query for example.com to B:53, and an echo
 * request through a ping socket (B's kernel answered it), over IPv4 and
 * over IPv6. Only the payloads are taken from the captured bytes; every
 * header and checksum must come out of tg_pkt_write. */

struct host {
	uint8_t mac[6];
	uint8_t ip4[4];
	uint8_t ip6[16];
};

static const struct host host_a = {
	{ 0x02, 0, 0, 0, 0, 0x01 }, { 198, 51, 100, 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
};
static const struct host host_b = {
	{ 0x02, 0, 0, 0, 0, 0x02 }, { 198, 51, 100, 2 },
	{ 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
};

static struct tg_pkt_spec
kernel_spec(uint8_t version, uint8_t proto, const struct host *from,
	    const struct host *to)
{
	struct tg_pkt_spec spec = { .ip_version = version, .proto = proto,
				    .ttl = 64 };

	memcpy(spec.eth_src, from->mac, 6);
	memcpy(spec.eth_dst, to->mac, 6);
	if (version == 4) {
		memcpy(spec.src.b, from->ip4, 4);
		memcpy(spec.dst.b, to->ip4, 4);
	} else {
		memcpy(spec.src.b, from->ip6, 16);
		memcpy(spec.dst.b, to->ip6, 16);
	}
	return spec;
}

/* Write `spec` with the captured payload, both ways (copied from
 * spec->payload, and already in place), and compare with the capture. */
static void
expect_kernel_frame(struct tg_pkt_spec spec, const char *hex)
{
	uint8_t want[256], got[256];
	size_t n = hex_to_bytes(hex, want, sizeof(want));
	uint16_t hdr = tg_pkt_header_len(&spec);
	struct tg_pkt_layout lay;

	assert_true(n >= hdr);
	spec.payload = want + hdr;
	spec.payload_len = (uint16_t)(n - hdr);
	memset(got, 0xaa, sizeof(got));
	assert_int_equal(tg_pkt_write(&spec, got, n, &lay), n);
	assert_memory_equal(got, want, n);
	assert_int_equal(got[n], 0xaa);
	assert_int_equal(lay.l2_len, 14);
	assert_int_equal(lay.l3_len, spec.ip_version == 4 ? 20 : 40);
	assert_int_equal(lay.l2_len + lay.l3_len + lay.l4_len, hdr);
	assert_int_equal(lay.frame_len, n);
	check_frame(got, n);

	memset(got, 0x55, sizeof(got));
	memcpy(got + hdr, want + hdr, n - hdr);
	spec.payload = NULL;
	assert_int_equal(tg_pkt_write(&spec, got, sizeof(got), NULL), n);
	assert_memory_equal(got, want, n);

	assert_int_equal(tg_pkt_write(&spec, got, n - 1, NULL), 0);
}

/* What Linux puts in a SYN here: MSS, SACK_PERM, timestamps, WS 10. */
static struct tg_tcp_opts
syn_opts(uint16_t mss, uint32_t tsval, uint32_t tsecr)
{
	return (struct tg_tcp_opts){ .mss = mss, .sack_perm = true,
				     .has_ts = true, .tsval = tsval,
				     .tsecr = tsecr, .has_wscale = true,
				     .wscale = 10 };
}

static void
test_kernel_tcp_ipv4(void **state)
{
	struct tg_pkt_spec syn = kernel_spec(4, TG_PROTO_TCP, &host_a, &host_b);
	struct tg_pkt_spec synack = kernel_spec(4, TG_PROTO_TCP, &host_b,
						&host_a);
	struct tg_pkt_spec data;

	(void)state;
	syn.df = true;
	syn.ip_id = 0x79cc;
	syn.sport = 42178;
	syn.dport = 8080;
	syn.tcp = (struct tg_tcp_fields){
		.seq = 0xaa76422c, .flags = TG_TCP_SYN, .window = 64240,
		.opts = syn_opts(1460, 0x14fd5e71, 0) };
	expect_kernel_frame(syn,
		"0200000000020200000000010800"		/* Ethernet */
		"4500003c79cc400040066c85c6336401c6336402" /* IPv4 */
		"a4c21f90aa76422c00000000a002faf0d43d0000" /* TCP */
		"020405b40402080a14fd5e71000000000103030a"); /* options */

	synack.df = true;
	synack.ip_id = 0;
	synack.sport = 8080;
	synack.dport = 42178;
	synack.tcp = (struct tg_tcp_fields){
		.seq = 0xb6794569, .ack = 0xaa76422d,
		.flags = TG_TCP_SYN | TG_TCP_ACK, .window = 65160,
		.opts = syn_opts(1460, 0x2aa4abac, 0x14fd5e71) };
	expect_kernel_frame(synack,
		"0200000000010200000000020800"
		"4500003c000040004006e651c6336402c6336401"
		"1f90a4c2b6794569aa76422da012fe88fe600000"
		"020405b40402080a2aa4abac14fd5e710103030a");

	/* A data segment: timestamps only, NOP NOP TS. */
	data = syn;
	data.ip_id = 0x79ce;
	data.tcp = (struct tg_tcp_fields){
		.seq = 0xaa76422d, .ack = 0xb679456a,
		.flags = TG_TCP_PSH | TG_TCP_ACK, .window = 63,
		.opts = { .has_ts = true, .tsval = 0x14fd5e71,
			  .tsecr = 0x2aa4abac } };
	expect_kernel_frame(data,
		"0200000000020200000000010800"
		"4500004379ce400040066c7cc6336401c6336402"
		"a4c21f90aa76422db679456a8018003f26c50000"
		"0101080a14fd5e712aa4abac"
		"68656c6c6f2074656d706f67656e0a"); /* "hello tempogen\n" */
}

static void
test_kernel_udp_dns_ipv4(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_UDP, &host_a,
					      &host_b);

	(void)state;
	spec.df = true;
	spec.ip_id = 0x56fb;
	spec.sport = 41215;
	spec.dport = 53;
	expect_kernel_frame(spec,
		"0200000000020200000000010800"
		"4500003956fb400040118f4ec6336401c6336402"
		"a0ff003500258ec9"			/* UDP */
		"abcd01000001000000000000"		/* DNS id, RD, 1 qd */
		"076578616d706c6503636f6d00" "00010001"); /* example.com A IN */
}

static void
test_kernel_icmp_echo_ipv4(void **state)
{
	struct tg_pkt_spec req = kernel_spec(4, TG_PROTO_ICMP, &host_a,
					     &host_b);
	struct tg_pkt_spec reply = kernel_spec(4, TG_PROTO_ICMP, &host_b,
					       &host_a);

	(void)state;
	req.df = true;
	req.ip_id = 0x19d9;
	req.icmp = (struct tg_icmp_fields){ .type = 8, .id = 0x8f55,
					    .seq = 1 };
	expect_kernel_frame(req,
		"0200000000020200000000010800"
		"4500002c19d940004001cc8dc6336401c6336402"
		"080080cc8f550001"			/* ICMP echo */
		"74656d706f67656e2d6563686f2d3136"); /* "tempogen-echo-16" */

	reply.df = false;	/* the kernel's reply goes without DF */
	reply.ip_id = 0x2a31;
	reply.icmp = (struct tg_icmp_fields){ .type = 0, .id = 0x8f55,
					      .seq = 1 };
	expect_kernel_frame(reply,
		"0200000000010200000000020800"
		"4500002c2a3100004001fc35c6336402c6336401"
		"000088cc8f550001"
		"74656d706f67656e2d6563686f2d3136");
}

static void
test_kernel_tcp_ipv6(void **state)
{
	struct tg_pkt_spec syn = kernel_spec(6, TG_PROTO_TCP, &host_a, &host_b);
	struct tg_pkt_spec synack = kernel_spec(6, TG_PROTO_TCP, &host_b,
						&host_a);
	struct tg_pkt_spec data;

	(void)state;
	syn.flow_label = 0x7c5b2;
	syn.sport = 33282;
	syn.dport = 8080;
	syn.tcp = (struct tg_tcp_fields){
		.seq = 0x29f017eb, .flags = TG_TCP_SYN, .window = 64800,
		.opts = syn_opts(1440, 0x6dfc2745, 0) };
	expect_kernel_frame(syn,
		"02000000000202000000000186dd"		/* Ethernet */
		"6007c5b200280640"			/* IPv6 */
		"20010db8000000000000000000000001"
		"20010db8000000000000000000000002"
		"82021f9029f017eb00000000a002fd2076cc0000" /* TCP */
		"020405a00402080a6dfc2745000000000103030a"); /* options */

	synack.flow_label = 0xd5c0f;
	synack.sport = 8080;
	synack.dport = 33282;
	synack.tcp = (struct tg_tcp_fields){
		.seq = 0x4d91fcba, .ack = 0x29f017ec,
		.flags = TG_TCP_SYN | TG_TCP_ACK, .window = 64260,
		.opts = syn_opts(1440, 0x587bfbca, 0x6dfc2745) };
	expect_kernel_frame(synack,
		"02000000000102000000000286dd"
		"600d5c0f00280640"
		"20010db8000000000000000000000002"
		"20010db8000000000000000000000001"
		"1f9082024d91fcba29f017eca012fb04da440000"
		"020405a00402080a587bfbca6dfc27450103030a");

	data = syn;
	data.tcp = (struct tg_tcp_fields){
		.seq = 0x29f017ec, .ack = 0x4d91fcbb,
		.flags = TG_TCP_PSH | TG_TCP_ACK, .window = 64,
		.opts = { .has_ts = true, .tsval = 0x6dfc2745,
			  .tsecr = 0x587bfbca } };
	expect_kernel_frame(data,
		"02000000000202000000000186dd"
		"6007c5b2002f0640"
		"20010db8000000000000000000000001"
		"20010db8000000000000000000000002"
		"82021f9029f017ec4d91fcbb80180040ff0f0000"
		"0101080a6dfc2745587bfbca"
		"68656c6c6f2074656d706f67656e0a");
}

static void
test_kernel_udp_dns_ipv6(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(6, TG_PROTO_UDP, &host_a,
					      &host_b);

	(void)state;
	spec.flow_label = 0x6aa9e;
	spec.sport = 36394;
	spec.dport = 53;
	expect_kernel_frame(spec,
		"02000000000202000000000186dd"
		"6006aa9e00251140"
		"20010db8000000000000000000000001"
		"20010db8000000000000000000000002"
		"8e2a003500259a94"
		"abcd01000001000000000000"
		"076578616d706c6503636f6d00" "00010001");
}

static void
test_kernel_icmpv6_echo(void **state)
{
	struct tg_pkt_spec req = kernel_spec(6, TG_PROTO_ICMPV6, &host_a,
					     &host_b);
	struct tg_pkt_spec reply = kernel_spec(6, TG_PROTO_ICMPV6, &host_b,
					       &host_a);

	(void)state;
	req.flow_label = 0x9ad19;
	req.icmp = (struct tg_icmp_fields){ .type = 128, .id = 0x8f56,
					    .seq = 1 };
	expect_kernel_frame(req,
		"02000000000202000000000186dd"
		"6009ad1900183a40"
		"20010db8000000000000000000000001"
		"20010db8000000000000000000000002"
		"8000ad038f560001"			/* ICMPv6 echo */
		"74656d706f67656e2d6563686f2d3136");

	reply.flow_label = 0xfde02;
	reply.icmp = (struct tg_icmp_fields){ .type = 129, .id = 0x8f56,
					      .seq = 1 };
	expect_kernel_frame(reply,
		"02000000000102000000000286dd"
		"600fde0200183a40"
		"20010db8000000000000000000000002"
		"20010db8000000000000000000000001"
		"8100ac038f560001"
		"74656d706f67656e2d6563686f2d3136");
}

/* --- Each writer --------------------------------------------------------- */

static void
test_eth_writer(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_UDP, &host_a,
					      &host_b);
	struct tg_pkt_layout lay;
	uint8_t buf[128];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tg_pkt_write_eth(&spec, buf), 14);
	assert_memory_equal(buf, host_b.mac, 6);	/* destination first */
	assert_memory_equal(buf + 6, host_a.mac, 6);
	assert_int_equal(be16(buf + 12), 0x0800);
	assert_int_equal(buf[14], 0xee);

	spec.ip_version = 6;
	tg_pkt_write_eth(&spec, buf);
	assert_int_equal(be16(buf + 12), 0x86dd);

	/* 802.1Q: TPID 0x8100, the TCI as given, then the real type. */
	spec.vlan_tci = 5u << 13 | 1u << 12 | 0xabc; /* PCP, DEI, VID */
	assert_int_equal(tg_pkt_write_eth(&spec, buf), 18);
	assert_int_equal(be16(buf + 12), 0x8100);
	assert_int_equal(be16(buf + 14), 0xbabc);
	assert_int_equal(be16(buf + 16), 0x86dd);
	assert_int_equal(buf[18], 0xee);

	/* The whole frame moves by 4 bytes, layout included. */
	spec.ip_version = 4;
	spec.vlan_tci = 100;
	assert_int_equal(tg_pkt_header_len(&spec), 18 + 20 + 8);
	assert_int_equal(tg_pkt_write(&spec, buf, sizeof(buf), &lay),
			 18 + 20 + 8);
	assert_int_equal(lay.l2_len, 18);
	assert_int_equal(be16(buf + 14), 100);
	assert_int_equal(be16(buf + 16), 0x0800);
	assert_int_equal(buf[18], 0x45);
	check_frame(buf, lay.frame_len);
}

static void
test_ipv4_writer(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_TCP, &host_a,
					      &host_b);
	uint8_t buf[64];

	(void)state;
	spec.tos = 0xb8;
	spec.ip_id = 0x1234;
	spec.ttl = 3;
	spec.df = true;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tg_pkt_write_ipv4(&spec, buf, 1000), 20);
	assert_int_equal(buf[0], 0x45);
	assert_int_equal(buf[1], 0xb8);
	assert_int_equal(be16(buf + 2), 1020);		/* total length */
	assert_int_equal(be16(buf + 4), 0x1234);
	assert_int_equal(be16(buf + 6), 0x4000);	/* DF, offset 0 */
	assert_int_equal(buf[8], 3);
	assert_int_equal(buf[9], TG_PROTO_TCP);
	assert_memory_equal(buf + 12, host_a.ip4, 4);
	assert_memory_equal(buf + 16, host_b.ip4, 4);
	assert_int_equal(ref_sum(buf, 20), 0xffff);
	assert_int_equal(buf[20], 0xee);

	spec.df = false;
	spec.ttl = 0;		/* written as given */
	tg_pkt_write_ipv4(&spec, buf, 8);
	assert_int_equal(be16(buf + 2), 28);
	assert_int_equal(be16(buf + 6), 0);
	assert_int_equal(buf[8], 0);
	assert_int_equal(ref_sum(buf, 20), 0xffff);
}

static void
test_ipv6_writer(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(6, TG_PROTO_UDP, &host_a,
					      &host_b);
	uint8_t buf[64];

	(void)state;
	spec.tos = 0xa5;
	spec.flow_label = 0xfffabcde;	/* only the low 20 bits are used */
	spec.ttl = 255;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tg_pkt_write_ipv6(&spec, buf, 1234), 40);
	assert_int_equal(be32(buf), 0x6a5abcde);	/* 6, TC, flow label */
	assert_int_equal(be16(buf + 4), 1234);	/* payload length */
	assert_int_equal(buf[6], TG_PROTO_UDP);
	assert_int_equal(buf[7], 255);
	assert_memory_equal(buf + 8, host_a.ip6, 16);
	assert_memory_equal(buf + 24, host_b.ip6, 16);
	assert_int_equal(buf[40], 0xee);
}

static void
test_tcp_writer(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_TCP, &host_a,
					      &host_b);
	uint8_t buf[128];

	(void)state;
	spec.sport = 0x1234;
	spec.dport = 0xabcd;
	spec.tcp = (struct tg_tcp_fields){ .seq = 0x01020304,
					   .ack = 0xa0b0c0d0,
					   .flags = TG_TCP_FIN | TG_TCP_ACK,
					   .window = 0xfedc };
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tg_pkt_write_tcp(&spec, buf), 20);
	assert_int_equal(be16(buf), 0x1234);
	assert_int_equal(be16(buf + 2), 0xabcd);
	assert_int_equal(be32(buf + 4), 0x01020304);
	assert_int_equal(be32(buf + 8), 0xa0b0c0d0);
	assert_int_equal(buf[12], 5 << 4);		/* data offset */
	assert_int_equal(buf[13], 0x11);
	assert_int_equal(be16(buf + 14), 0xfedc);
	assert_int_equal(be16(buf + 18), 0);		/* urgent pointer */
	assert_int_equal(buf[20], 0xee);
}

/* The option bytes for one set of options, and the data offset. */
static void
expect_opts(struct tg_tcp_opts opts, const char *hex)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_TCP, &host_a,
					      &host_b);
	uint8_t want[TG_TCP_OPT_MAX], buf[128];
	size_t n = hex_to_bytes(hex, want, sizeof(want));

	spec.tcp.opts = opts;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tg_pkt_tcp_opts_len(&opts), n);
	assert_int_equal(tg_pkt_write_tcp(&spec, buf), 20 + n);
	assert_int_equal(buf[12] >> 4, (20 + n) / 4);
	assert_memory_equal(buf + 20, want, n);
	assert_int_equal(buf[20 + n], 0xee);
}

static void
test_tcp_option_layouts(void **state)
{
	(void)state;
	/* SYN with everything: MSS SACK_PERM TS NOP WS. */
	expect_opts((struct tg_tcp_opts){ .mss = 1460, .sack_perm = true,
					  .has_ts = true, .tsval = 0x01020304,
					  .tsecr = 0x05060708,
					  .has_wscale = true, .wscale = 7 },
		    "020405b4" "0402" "080a0102030405060708" "01030307");
	/* No timestamps: MSS, NOP NOP SACK_PERM, NOP WS. */
	expect_opts((struct tg_tcp_opts){ .mss = 1400, .sack_perm = true,
					  .has_wscale = true, .wscale = 14 },
		    "02040578" "01010402" "0103030e");
	/* No SACK: MSS, NOP NOP TS, NOP WS. */
	expect_opts((struct tg_tcp_opts){ .mss = 536, .has_ts = true,
					  .tsval = 9, .tsecr = 0xffffffff,
					  .has_wscale = true, .wscale = 0 },
		    "02040218" "0101080a00000009ffffffff" "01030300");
	/* A segment after the handshake: NOP NOP TS. */
	expect_opts((struct tg_tcp_opts){ .has_ts = true, .tsval = 1,
					  .tsecr = 2 },
		    "0101080a0000000100000002");
	/* Lone options still start where Linux puts them. */
	expect_opts((struct tg_tcp_opts){ .mss = 1460 }, "020405b4");
	expect_opts((struct tg_tcp_opts){ .sack_perm = true }, "01010402");
	expect_opts((struct tg_tcp_opts){ .has_wscale = true, .wscale = 2 },
		    "01030302");
	expect_opts((struct tg_tcp_opts){ .mss = 1220, .sack_perm = true,
					  .has_ts = true, .tsval = 3 },
		    "020404c4" "0402080a0000000300000000");
	expect_opts((struct tg_tcp_opts){ 0 }, "");
	/* A duplicate ACK: NOP NOP TS, then NOP NOP and one SACK block. */
	expect_opts((struct tg_tcp_opts){ .has_ts = true, .tsval = 1,
					  .tsecr = 2, .has_sack = true,
					  .sack_left = 0x10000000,
					  .sack_right = 0x10000b50 },
		    "0101080a0000000100000002" "0101050a100000001000"
		    "0b50");
	/* ... and without timestamps. */
	expect_opts((struct tg_tcp_opts){ .has_sack = true,
					  .sack_left = 0xfffffa00,
					  .sack_right = 5 },
		    "0101050afffffa0000000005");
}

/* Every combination of options parses back to what was asked, each at its
 * Linux alignment, with a data offset that covers them exactly. */
static void
test_tcp_option_combinations(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_TCP, &host_a,
					      &host_b);
	uint8_t buf[128];

	(void)state;
	for (unsigned bits = 0; bits < 16; bits++) {
		struct tg_tcp_opts o = {
			.mss = (bits & 1) ? 1380 : 0,
			.sack_perm = bits & 2, .has_ts = bits & 4,
			.tsval = 0x11223344, .tsecr = 0x55667788,
			.has_wscale = bits & 8, .wscale = 9 };
		unsigned seen = 0;
		size_t len, i;

		spec.tcp.opts = o;
		len = tg_pkt_write_tcp(&spec, buf);
		assert_int_equal(len % 4, 0);
		assert_int_equal(buf[12] >> 4, len / 4);
		for (i = 20; i < len;) {
			switch (buf[i]) {
			case 1:		/* NOP */
				i++;
				continue;
			case 2:
				assert_int_equal(i % 4, 0);
				assert_int_equal(buf[i + 1], 4);
				assert_int_equal(be16(buf + i + 2), 1380);
				seen |= 1;
				break;
			case 4:
				assert_int_equal(buf[i + 1], 2);
				seen |= 2;
				break;
			case 8:
				assert_int_equal(i % 4, 2);
				assert_int_equal(buf[i + 1], 10);
				assert_int_equal(be32(buf + i + 2), 0x11223344);
				assert_int_equal(be32(buf + i + 6), 0x55667788);
				seen |= 4;
				break;
			case 3:
				assert_int_equal(i % 4, 1);
				assert_int_equal(buf[i + 1], 3);
				assert_int_equal(buf[i + 2], 9);
				seen |= 8;
				break;
			default:
				fail_msg("option kind %u at %zu", buf[i], i);
			}
			i += buf[i + 1];
		}
		assert_int_equal(i, len);
		assert_int_equal(seen, bits);
	}
}

static void
test_udp_writer(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(6, TG_PROTO_UDP, &host_a,
					      &host_b);
	uint8_t buf[256];
	uint16_t n;

	(void)state;
	spec.sport = 5353;
	spec.dport = 0xfffe;
	spec.payload_len = 100;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(tg_pkt_write_udp(&spec, buf), 8);
	assert_int_equal(be16(buf), 5353);
	assert_int_equal(be16(buf + 2), 0xfffe);
	assert_int_equal(be16(buf + 4), 108);
	assert_int_equal(buf[8], 0xee);

	n = tg_pkt_write(&spec, buf, sizeof(buf), NULL);
	assert_int_equal(n, 14 + 40 + 108);
	check_frame(buf, n);
}

/* ICMPv4 sums the message alone, ICMPv6 with the IPv6 pseudo-header. */
static void
test_icmp_writers(void **state)
{
	static const uint8_t data[] = "abcdefghijklmnopqrstuvwabcdefghi";
	uint8_t buf[256];
	struct tg_pkt_layout lay;

	(void)state;
	for (int version = 4; version <= 6; version += 2) {
		uint8_t proto = version == 4 ? TG_PROTO_ICMP : TG_PROTO_ICMPV6;
		struct tg_pkt_spec spec = kernel_spec((uint8_t)version, proto,
						      &host_a, &host_b);
		const uint8_t *l4;
		uint16_t n;

		spec.icmp = (struct tg_icmp_fields){ .type = 0x80 | 8,
						     .code = 1, .id = 0xbeef,
						     .seq = 0x1234 };
		spec.payload = data;
		spec.payload_len = 32;
		assert_int_equal(tg_pkt_write_icmp_echo(&spec, buf), 8);
		assert_int_equal(buf[0], 0x88);
		assert_int_equal(buf[1], 1);
		assert_int_equal(be16(buf + 4), 0xbeef);
		assert_int_equal(be16(buf + 6), 0x1234);

		n = tg_pkt_write(&spec, buf, sizeof(buf), &lay);
		assert_int_equal(lay.l4_len, 8);
		check_frame(buf, n);
		l4 = buf + lay.l2_len + lay.l3_len;
		if (version == 4)
			assert_int_equal(ref_sum(l4, 40), 0xffff);
		else	/* without the pseudo-header it would not add up */
			assert_int_not_equal(ref_sum(l4, 40), 0xffff);
	}
}

/* A UDP checksum that computes to 0 is sent as 0xffff (RFC 768); TCP has
 * no such rule. The payload word is picked to make the sum all ones. */
static void
test_udp_zero_checksum_sent_as_ffff(void **state)
{
	static const uint8_t protos[] = { TG_PROTO_UDP, TG_PROTO_TCP };

	(void)state;
	for (int version = 4; version <= 6; version += 2) {
		for (int i = 0; i < 2; i++) {
			struct tg_pkt_spec spec = kernel_spec(
				(uint8_t)version, protos[i], &host_a, &host_b);
			uint8_t frame[128], word[2] = { 0, 0 };
			struct tg_pkt_layout lay;
			uint8_t *field;
			uint16_t n;

			spec.sport = 1000;
			spec.dport = 2000;
			spec.payload = word;
			spec.payload_len = 2;
			/* With a zero word the checksum is ~S; a word of
			 * ~S makes the sum 0xffff and the checksum 0. */
			n = tg_pkt_write(&spec, frame, sizeof(frame), &lay);
			field = frame + lay.l2_len + lay.l3_len +
				(protos[i] == TG_PROTO_UDP ? 6 : 16);
			memcpy(word, field, 2);
			assert_int_equal(tg_pkt_write(&spec, frame,
						      sizeof(frame), &lay), n);
			assert_int_equal(be16(field), protos[i] ==
					 TG_PROTO_UDP ? 0xffff : 0);
			/* Both forms of zero are a valid checksum. */
			check_frame(frame, n);
		}
	}
}

/* What the NIC does with an offloaded frame: sum the L4 segment as it is
 * (its checksum field seeded with the pseudo-header sum), store the
 * inverse; compute the IPv4 header checksum. */
static void
nic_complete(uint8_t *f, const struct tg_pkt_layout *lay, uint8_t proto,
	     int version)
{
	uint8_t *ip = f + lay->l2_len;
	uint8_t *l4 = ip + lay->l3_len;
	uint8_t *field = l4 + (proto == TG_PROTO_TCP ? 16 : 6);
	uint16_t v;

	if (version == 4) {
		assert_int_equal(be16(ip + 10), 0);
		v = (uint16_t)~ref_sum(ip, 20);
		ip[10] = (uint8_t)(v >> 8);
		ip[11] = (uint8_t)v;
	}
	v = (uint16_t)~ref_sum(l4, lay->frame_len - lay->l2_len -
				       lay->l3_len);
	if (v == 0 && proto == TG_PROTO_UDP)
		v = 0xffff;
	field[0] = (uint8_t)(v >> 8);
	field[1] = (uint8_t)v;
}

static void
test_offload_form(void **state)
{
	static const uint8_t protos[] = { TG_PROTO_TCP, TG_PROTO_UDP };
	uint8_t payload[333], frame[512], soft[512], pseudo[40];

	(void)state;
	fill_random(payload, sizeof(payload));
	for (int version = 4; version <= 6; version += 2) {
		for (int i = 0; i < 2; i++) {
			struct tg_pkt_spec spec = kernel_spec(
				(uint8_t)version, protos[i], &host_a, &host_b);
			struct tg_pkt_layout lay;
			uint16_t n, l4_len;
			size_t plen;

			spec.sport = 4321;
			spec.dport = 80;
			spec.ip_id = 7;
			spec.tcp.flags = TG_TCP_ACK;
			spec.tcp.opts.has_ts = true;
			spec.payload = payload;
			spec.payload_len = sizeof(payload);
			spec.offload = TG_PKT_OFFLOAD_IPV4_CKSUM |
				       TG_PKT_OFFLOAD_L4_CKSUM;
			n = tg_pkt_write(&spec, frame, sizeof(frame), &lay);
			assert_true(n > 0);
			l4_len = (uint16_t)(n - lay.l2_len - lay.l3_len);

			/* rte_ipv4_phdr_cksum / rte_ipv6_phdr_cksum: src,
			 * dst, protocol and the L4 length, folded, not
			 * inverted. */
			plen = make_pseudo(frame + lay.l2_len, version,
					   protos[i], l4_len, pseudo);
			assert_int_equal(be16(frame + lay.l2_len + lay.l3_len +
					      (protos[i] == TG_PROTO_TCP ? 16
									 : 6)),
					 ref_sum(pseudo, plen));
			if (version == 4)
				assert_int_equal(be16(frame + 14 + 10), 0);

			/* Completed, it is the frame software writes. */
			nic_complete(frame, &lay, protos[i], version);
			check_frame(frame, n);
			spec.offload = 0;
			assert_int_equal(tg_pkt_write(&spec, soft, sizeof(soft),
						      NULL), n);
			assert_memory_equal(frame, soft, n);

			/* Each flag alone leaves the other checksum alone. */
			if (version == 4) {
				spec.offload = TG_PKT_OFFLOAD_IPV4_CKSUM;
				tg_pkt_write(&spec, frame, sizeof(frame), NULL);
				assert_int_equal(be16(frame + 24), 0);
				assert_memory_equal(frame + 26, soft + 26,
						    n - 26u);
				spec.offload = TG_PKT_OFFLOAD_L4_CKSUM;
				tg_pkt_write(&spec, frame, sizeof(frame), NULL);
				assert_memory_equal(frame, soft, 34);
			}
		}
	}

	/* NICs do not offload ICMP: it is always done in software. */
	for (int version = 4; version <= 6; version += 2) {
		struct tg_pkt_spec spec = kernel_spec(
			(uint8_t)version,
			version == 4 ? TG_PROTO_ICMP : TG_PROTO_ICMPV6,
			&host_a, &host_b);
		uint16_t n;

		spec.icmp.type = version == 4 ? 8 : 128;
		spec.payload = payload;
		spec.payload_len = 56;
		spec.offload = TG_PKT_OFFLOAD_L4_CKSUM;
		n = tg_pkt_write(&spec, frame, sizeof(frame), NULL);
		check_frame(frame, n);
	}
}

/* tg_pkt_l4_cksum on its own: redoing it after a payload change (as a
 * header template user would) gives a valid frame again. */
static void
test_l4_cksum_alone(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(6, TG_PROTO_TCP, &host_a,
					      &host_b);
	uint8_t frame[256];
	struct tg_pkt_layout lay;
	uint16_t n;

	(void)state;
	spec.payload_len = 100;
	memset(frame, 0, sizeof(frame));
	n = tg_pkt_write(&spec, frame, sizeof(frame), &lay);
	check_frame(frame, n);
	fill_random(frame + n - 100, 100);
	tg_pkt_l4_cksum(&spec, frame + lay.l2_len + lay.l3_len,
			(uint16_t)(n - lay.l2_len - lay.l3_len));
	check_frame(frame, n);
}

static struct tg_pkt_spec
random_spec(uint8_t *payload, size_t cap)
{
	static const uint8_t protos[] = { TG_PROTO_TCP, TG_PROTO_UDP,
					  TG_PROTO_ICMP };
	uint8_t version = (rnd() & 1) ? 6 : 4;
	struct tg_pkt_spec spec = { .ip_version = version,
				    .proto = protos[rnd() % 3],
				    .ttl = (uint8_t)rnd(),
				    .tos = (uint8_t)rnd(),
				    .ip_id = (uint16_t)rnd(),
				    .df = rnd() & 1,
				    .flow_label = rnd(),
				    .sport = (uint16_t)rnd(),
				    .dport = (uint16_t)rnd() };

	if (spec.proto == TG_PROTO_ICMP && version == 6)
		spec.proto = TG_PROTO_ICMPV6;
	fill_random(spec.eth_src, 6);
	fill_random(spec.eth_dst, 6);
	fill_random(spec.src.b, 16);
	fill_random(spec.dst.b, 16);
	if (rnd() % 4 == 0)
		spec.vlan_tci = (uint16_t)(rnd() | 1);
	if (spec.proto == TG_PROTO_TCP) {
		spec.tcp = (struct tg_tcp_fields){
			.seq = rnd(), .ack = rnd(), .flags = (uint8_t)rnd(),
			.window = (uint16_t)rnd(),
			.opts = { .mss = (uint16_t)(rnd() & 1 ? rnd() | 1 : 0),
				  .sack_perm = rnd() & 1,
				  .has_ts = rnd() & 1, .tsval = rnd(),
				  .tsecr = rnd(), .has_wscale = rnd() & 1,
				  .wscale = (uint8_t)(rnd() % 15) } };
	} else if (spec.proto != TG_PROTO_UDP) {
		spec.icmp = (struct tg_icmp_fields){
			.type = version == 4 ? 8 : 128, .id = (uint16_t)rnd(),
			.seq = (uint16_t)rnd() };
	}
	spec.payload_len = (uint16_t)(rnd() % cap);
	fill_random(payload, spec.payload_len);
	spec.payload = payload;
	return spec;
}

static void
test_random_frames_are_valid(void **state)
{
	uint8_t payload[1500], frame[1600];

	(void)state;
	for (int i = 0; i < 3000; i++) {
		struct tg_pkt_spec spec = random_spec(payload, sizeof(payload));
		struct tg_pkt_layout lay;
		uint16_t hdr = tg_pkt_header_len(&spec);
		uint16_t n = tg_pkt_write(&spec, frame, sizeof(frame), &lay);

		assert_int_equal(n, hdr + spec.payload_len);
		assert_int_equal(lay.l2_len + lay.l3_len + lay.l4_len, hdr);
		assert_int_equal(lay.frame_len, n);
		assert_memory_equal(frame + hdr, payload, spec.payload_len);
		check_frame(frame, n);
	}
}

/* The payload may already sit anywhere in buf, even where the headers go. */
static void
test_payload_may_overlap(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_UDP, &host_a,
					      &host_b);
	uint8_t want[100], frame[256];
	uint16_t n;

	(void)state;
	fill_random(want, sizeof(want));
	memcpy(frame, want, sizeof(want));
	spec.payload = frame;
	spec.payload_len = sizeof(want);
	n = tg_pkt_write(&spec, frame, sizeof(frame), NULL);
	assert_int_equal(n, 42 + 100);
	assert_memory_equal(frame + 42, want, sizeof(want));
	check_frame(frame, n);
}

static void
test_rejects_what_does_not_fit(void **state)
{
	static uint8_t big[70000];
	uint8_t frame[256], untouched[256];
	struct tg_pkt_spec spec;

	(void)state;
	for (int i = 0; i < 200; i++) {
		uint8_t payload[64];
		uint16_t len;

		spec = random_spec(payload, sizeof(payload));
		len = tg_pkt_header_len(&spec) + spec.payload_len;

		memset(frame, 0xee, sizeof(frame));
		memcpy(untouched, frame, sizeof(frame));
		assert_int_equal(tg_pkt_write(&spec, frame, len - 1u, NULL), 0);
		assert_memory_equal(frame, untouched, sizeof(frame));
		assert_int_equal(tg_pkt_write(&spec, frame, len, NULL), len);
	}

	/* A frame over 65535 bytes has no valid length fields. */
	spec = kernel_spec(4, TG_PROTO_UDP, &host_a, &host_b);
	spec.payload_len = 65535 - 42;
	assert_int_equal(tg_pkt_write(&spec, big, sizeof(big), NULL), 65535);
	check_frame(big, 65535);
	spec.payload_len++;
	assert_int_equal(tg_pkt_write(&spec, big, sizeof(big), NULL), 0);
	spec.payload_len = UINT16_MAX;
	assert_int_equal(tg_pkt_write(&spec, big, sizeof(big), NULL), 0);
}

static void
test_rejects_unknown_version_and_proto(void **state)
{
	static const uint8_t bad_protos[] = { 0, 2, 41, 132, 255 };
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_UDP, &host_a,
					      &host_b);
	uint8_t frame[128];

	(void)state;
	assert_int_equal(tg_pkt_write(&spec, frame, sizeof(frame), NULL), 42);
	for (size_t i = 0; i < sizeof(bad_protos); i++) {
		spec.proto = bad_protos[i];
		assert_int_equal(tg_pkt_write(&spec, frame, sizeof(frame),
					      NULL), 0);
	}
	spec.proto = TG_PROTO_ICMPV6;	/* ICMPv6 over IPv4 */
	assert_int_equal(tg_pkt_write(&spec, frame, sizeof(frame), NULL), 0);
	spec = kernel_spec(6, TG_PROTO_ICMP, &host_a, &host_b);
	assert_int_equal(tg_pkt_write(&spec, frame, sizeof(frame), NULL), 0);
	spec.proto = TG_PROTO_UDP;
	for (uint8_t v = 0; v < 16; v++) {
		spec.ip_version = v;
		assert_int_equal(tg_pkt_write(&spec, frame, sizeof(frame),
					      NULL) != 0, v == 4 || v == 6);
	}
}

/* --- A second opinion from tshark, when it is installed ----------------- */

static void
put_le32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	assert_int_equal(fwrite(b, 1, 4, f), 4);
}

static void
test_frames_pass_tshark(void **state)
{
	enum { FRAMES = 60 };
	char path[] = "/tmp/tg_pkt_test.XXXXXX";
	static char result[FRAMES + 1][128];
	char cmd[512];
	uint8_t payload[600], frame[700];
	int want_good[FRAMES];
	int fd, rc, lines = 0;
	FILE *f, *out;

	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	/* pcap file header: magic, 2.4, zone, sigfigs, snaplen, Ethernet */
	put_le32(f, 0xa1b2c3d4);
	put_le32(f, 2 | 4u << 16);
	put_le32(f, 0);
	put_le32(f, 0);
	put_le32(f, 65535);
	put_le32(f, 1);
	for (int i = 0; i < FRAMES; i++) {
		struct tg_pkt_spec spec = random_spec(payload, sizeof(payload));
		uint16_t n;

		/* Ports tshark would hand to other dissectors: keep clear. */
		spec.sport = (uint16_t)(40000 + i);
		spec.dport = (uint16_t)(50000 + i);
		n = tg_pkt_write(&spec, frame, sizeof(frame), NULL);
		want_good[i] = spec.ip_version == 4 ? 2 : 1;
		put_le32(f, (uint32_t)i);
		put_le32(f, 0);
		put_le32(f, n);
		put_le32(f, n);
		assert_int_equal(fwrite(frame, 1, n, f), n);
	}
	assert_int_equal(fclose(f), 0);

	/* Status 1 is "Good"; 0 "Bad", 2 "Unverified". */
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -o ip.check_checksum:TRUE "
		 "-o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE "
		 "-T fields -e ip.checksum.status -e tcp.checksum.status "
		 "-e udp.checksum.status -e icmp.checksum.status "
		 "-e icmpv6.checksum.status 2>/dev/null", path);
	out = popen(cmd, "r");
	assert_non_null(out);
	while (lines <= FRAMES &&
	       fgets(result[lines], sizeof(result[0]), out))
		lines++;
	rc = pclose(out);
	unlink(path);
	assert_int_equal(rc, 0);
	assert_int_equal(lines, FRAMES);

	for (int i = 0; i < FRAMES; i++) {
		int good = 0;

		for (char *t = strtok(result[i], "\t\n"); t;
		     t = strtok(NULL, "\t\n")) {
			if (strcmp(t, "1") != 0)
				fail_msg("frame %d: checksum status %s", i + 1,
					 t);
			good++;
		}
		assert_int_equal(good, want_good[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cksum_matches_reference),
		cmocka_unit_test(test_cksum_starting_sum),
		cmocka_unit_test(test_cksum_pieces_add_up),
		cmocka_unit_test(test_cksum_pseudo_headers),
		cmocka_unit_test(test_ipv4_textbook_header),
		cmocka_unit_test(test_kernel_tcp_ipv4),
		cmocka_unit_test(test_kernel_udp_dns_ipv4),
		cmocka_unit_test(test_kernel_icmp_echo_ipv4),
		cmocka_unit_test(test_kernel_tcp_ipv6),
		cmocka_unit_test(test_kernel_udp_dns_ipv6),
		cmocka_unit_test(test_kernel_icmpv6_echo),
		cmocka_unit_test(test_eth_writer),
		cmocka_unit_test(test_ipv4_writer),
		cmocka_unit_test(test_ipv6_writer),
		cmocka_unit_test(test_tcp_writer),
		cmocka_unit_test(test_tcp_option_layouts),
		cmocka_unit_test(test_tcp_option_combinations),
		cmocka_unit_test(test_udp_writer),
		cmocka_unit_test(test_icmp_writers),
		cmocka_unit_test(test_udp_zero_checksum_sent_as_ffff),
		cmocka_unit_test(test_offload_form),
		cmocka_unit_test(test_l4_cksum_alone),
		cmocka_unit_test(test_random_frames_are_valid),
		cmocka_unit_test(test_payload_may_overlap),
		cmocka_unit_test(test_rejects_what_does_not_fit),
		cmocka_unit_test(test_rejects_unknown_version_and_proto),
		cmocka_unit_test(test_frames_pass_tshark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
