/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of capture reading (lib/trace): the decoder on hand-built
 * frames of every link type, every cut of them, IPv6 extension headers,
 * fragments, tunnels, ESP and malformed headers; the reader on files
 * written here; flow assembly; the service table and port bins; and the
 * whole of ../shared/data/train, cross-checked with capinfos and tshark.
 */
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tg_flows.h"
#include "tg_services.h"
#include "tg_trace.h"

#define LINKTYPE_RAW 101
#define PAYLOAD 5		/* payload bytes of the frames built here */

static const uint8_t v4_src[4] = { 10, 0, 0, 1 };
static const uint8_t v4_dst[4] = { 192, 0, 2, 7 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };

/* --- Building frames ----------------------------------------------------- */

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* A TCP segment 40000 -> 443 with a Linux SYN's options (MSTNW), then
 * `payload` bytes. */
static uint32_t
tcp_seg(uint8_t *p, uint8_t flags, uint32_t payload)
{
	uint8_t *o = p + 20;

	memset(p, 0, 40);
	put16(p, 40000);
	put16(p + 2, 443);
	put32(p + 4, 1000);
	put32(p + 8, 2000);
	p[12] = 10 << 4;	/* 40-byte header */
	p[13] = flags;
	put16(p + 14, 64240);
	o[0] = 2, o[1] = 4, put16(o + 2, 1460);
	o[4] = 4, o[5] = 2;
	o[6] = 8, o[7] = 10, put32(o + 8, 0x01020304), put32(o + 12, 0x0506);
	o[16] = 1;
	o[17] = 3, o[18] = 3, o[19] = 7;
	memset(p + 40, 0xab, payload);
	return 40 + payload;
}

static uint32_t
udp_dgram(uint8_t *p, uint16_t sport, uint16_t dport, const uint8_t *data,
	  uint32_t len)
{
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, 8 + len);
	put16(p + 6, 0);
	if (data)
		memcpy(p + 8, data, len);
	else
		memset(p + 8, 0xcd, len);
	return 8 + len;
}

static uint32_t
icmp_msg(uint8_t *p, uint8_t type, uint16_t id, uint16_t seq, uint32_t len)
{
	p[0] = type;
	p[1] = 0;
	put16(p + 2, 0);
	put16(p + 4, id);
	put16(p + 6, seq);
	memset(p + 8, 0xee, len);
	return 8 + len;
}

/* An IPv4 header in front of the l4_len bytes already at p + 20. */
static uint32_t
ipv4_around(uint8_t *p, uint8_t proto, uint32_t l4_len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[1] = 0xb8;
	put16(p + 2, 20 + l4_len);
	put16(p + 4, 0x1234);
	put16(p + 6, 0x4000);	/* DF */
	p[8] = 57;
	p[9] = proto;
	memcpy(p + 12, v4_src, 4);
	memcpy(p + 16, v4_dst, 4);
	return 20 + l4_len;
}

/* An IPv6 header in front of the payload_len bytes already at p + 40. */
static uint32_t
ipv6_around(uint8_t *p, uint8_t next, uint32_t payload_len)
{
	memset(p, 0, 40);
	put32(p, 6u << 28 | 0xb8u << 20 | 0x12345);
	put16(p + 4, payload_len);
	p[6] = next;
	p[7] = 57;
	memcpy(p + 8, v6_src, 16);
	memcpy(p + 24, v6_dst, 16);
	return 40 + payload_len;
}

static uint32_t
ip_around(uint8_t *p, int version, uint8_t proto, uint32_t len)
{
	return version == 4 ? ipv4_around(p, proto, len)
			    : ipv6_around(p, proto, len);
}

static uint32_t
ip_hlen(int version)
{
	return version == 4 ? 20 : 40;
}

/* IPv4 or IPv6 with a TCP SYN carrying options and PAYLOAD bytes. */
static uint32_t
ip_syn(uint8_t *p, int version)
{
	uint32_t l4 = tcp_seg(p + ip_hlen(version), TG_TCP_SYN, PAYLOAD);

	return ip_around(p, version, TG_PROTO_TCP, l4);
}

static uint32_t
ip_udp(uint8_t *p, int version, uint16_t sport, uint16_t dport,
       const uint8_t *data, uint32_t len)
{
	uint32_t l4 = udp_dgram(p + ip_hlen(version), sport, dport, data, len);

	return ip_around(p, version, TG_PROTO_UDP, l4);
}

static uint32_t
framed(uint8_t *out, const uint8_t *link, uint32_t link_len,
       const uint8_t *ip, uint32_t ip_len)
{
	memcpy(out, link, link_len);
	memcpy(out + link_len, ip, ip_len);
	return link_len + ip_len;
}

static enum tg_trace_reason
decode(int linktype, const uint8_t *f, uint32_t len, struct tg_trace_pkt *p)
{
	return tg_trace_decode(linktype, f, len, len, p);
}

/* Decode from an exact-size copy, so ASan sees any read past cap_len. */
static enum tg_trace_reason
decode_cut(int linktype, const uint8_t *f, uint32_t cap, uint32_t wire,
	   struct tg_trace_pkt *p)
{
	uint8_t *copy = malloc(cap ? cap : 1);
	enum tg_trace_reason r;

	assert_non_null(copy);
	memcpy(copy, f, cap);
	r = tg_trace_decode(linktype, copy, cap, wire, p);
	if (r == TG_TRACE_OK && p->payload_cap)
		assert_true(p->payload >= copy &&
			    p->payload + p->payload_cap <= copy + cap);
	free(copy);
	return r;
}

static void
expect_syn(const struct tg_trace_pkt *p, int version)
{
	const struct tg_trace_tcp_opts *o = &p->tcp_opts;

	assert_int_equal(p->ip_version, version);
	if (version == 4) {
		assert_memory_equal(p->src.b, v4_src, 4);
		assert_memory_equal(p->dst.b, v4_dst, 4);
		assert_true(p->df);
		assert_int_equal(p->ip_id, 0x1234);
		assert_int_equal(p->ip_len, 20 + 40 + PAYLOAD);
	} else {
		assert_memory_equal(p->src.b, v6_src, 16);
		assert_memory_equal(p->dst.b, v6_dst, 16);
		assert_int_equal(p->flow_label, 0x12345);
		assert_int_equal(p->ip_len, 40 + 40 + PAYLOAD);
	}
	assert_int_equal(p->ttl, 57);
	assert_int_equal(p->tos, 0xb8);
	assert_int_equal(p->proto, TG_PROTO_TCP);
	assert_int_equal(p->sport, 40000);
	assert_int_equal(p->dport, 443);
	assert_int_equal(p->seq, 1000);
	assert_int_equal(p->ack, 2000);
	assert_int_equal(p->tcp_flags, TG_TCP_SYN);
	assert_int_equal(p->window, 64240);
	assert_true(o->has_mss && o->mss == 1460);
	assert_int_equal(o->wscale, 7);
	assert_true(o->sack_perm && o->has_ts && !o->malformed);
	assert_int_equal(o->tsval, 0x01020304);
	assert_int_equal(o->tsecr, 0x0506);
	assert_string_equal(o->layout, "MSTNW");
	assert_int_equal(p->payload_len, PAYLOAD);
	assert_int_equal(p->payload_cap, PAYLOAD);
	assert_int_equal(p->payload[0], 0xab);
}

/* --- Link types and cuts ------------------------------------------------- */

struct link_case {
	const char *name;
	int linktype;
	uint8_t hdr[32];
	uint32_t hlen;
	int version;
};

static const struct link_case link_cases[] = {
	{ "ethernet", DLT_EN10MB, { [12] = 0x08, 0x00 }, 14, 4 },
	{ "ethernet v6", DLT_EN10MB, { [12] = 0x86, 0xdd }, 14, 6 },
	{ "802.1Q", DLT_EN10MB, { [12] = 0x81, 0, 0, 7, 0x08, 0 }, 18, 4 },
	{ "802.1ad+802.1Q", DLT_EN10MB,
	  { [12] = 0x88, 0xa8, 0, 5, 0x81, 0, 0, 7, 0x86, 0xdd }, 22, 6 },
	{ "three tags", DLT_EN10MB,
	  { [12] = 0x91, 0, 0, 1, 0x81, 0, 0, 2, 0x81, 0, 0, 3, 0x08, 0 },
	  26, 4 },
	{ "LLC/SNAP", DLT_EN10MB,
	  { [12] = 0x00, 0x40, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 }, 22, 4 },
	{ "PPPoE", DLT_EN10MB,
	  { [12] = 0x88, 0x64, 0x11, 0, 0, 1, 0, 0, 0x00, 0x21 }, 22, 4 },
	{ "MPLS", DLT_EN10MB,
	  { [12] = 0x88, 0x47, 0, 0, 0x10, 64, 0, 0, 0x21, 64 }, 22, 4 },
	{ "FabricPath", DLT_EN10MB,
	  { [12] = 0x89, 0x03, 0x40, 0x20, [28] = 0x08, 0x00 }, 30, 4 },
	{ "SLL", DLT_LINUX_SLL, { [14] = 0x08, 0x00 }, 16, 4 },
	{ "SLL v6", DLT_LINUX_SLL, { [14] = 0x86, 0xdd }, 16, 6 },
	{ "SLL2", DLT_LINUX_SLL2, { 0x86, 0xdd }, 20, 6 },
	{ "SLL2 v4", DLT_LINUX_SLL2, { 0x08, 0x00 }, 20, 4 },
	{ "raw v4", DLT_RAW, { 0 }, 0, 4 },
	{ "raw v6", DLT_RAW, { 0 }, 0, 6 },
	{ "LINKTYPE_RAW", LINKTYPE_RAW, { 0 }, 0, 6 },
	{ "IPV4", DLT_IPV4, { 0 }, 0, 4 },
	{ "IPV6", DLT_IPV6, { 0 }, 0, 6 },
	{ "null little-endian 2", DLT_NULL, { 2, 0, 0, 0 }, 4, 4 },
	{ "null big-endian 2", DLT_NULL, { 0, 0, 0, 2 }, 4, 4 },
	{ "null little-endian 24", DLT_NULL, { 24, 0, 0, 0 }, 4, 6 },
	{ "null big-endian 28", DLT_NULL, { 0, 0, 0, 28 }, 4, 6 },
	{ "null little-endian 30", DLT_NULL, { 30, 0, 0, 0 }, 4, 6 },
	{ "loop 2", DLT_LOOP, { 0, 0, 0, 2 }, 4, 4 },
	{ "loop 30", DLT_LOOP, { 0, 0, 0, 30 }, 4, 6 },
	{ "PPP in HDLC framing", DLT_PPP, { 0xff, 0x03, 0x00, 0x21 }, 4, 4 },
	{ "PPP unframed v6", DLT_PPP, { 0x00, 0x57 }, 2, 6 },
	{ "PPP compressed protocol", DLT_PPP, { 0x21 }, 1, 4 },
	{ "PPP serial", DLT_PPP_SERIAL, { 0xff, 0x03, 0x00, 0x57 }, 4, 6 },
	{ "PPP serial holding C-HDLC", DLT_PPP_SERIAL,
	  { 0x0f, 0x00, 0x08, 0x00 }, 4, 4 },
	{ "PPP holding C-HDLC", DLT_PPP, { 0x8f, 0x00, 0x86, 0xdd }, 4, 6 },
	{ "PPPoE link", DLT_PPP_ETHER, { 0x11, 0, 0, 1, 0, 0, 0, 0x21 }, 8, 4 },
	{ "C-HDLC", DLT_C_HDLC, { 0x0f, 0x00, 0x08, 0x00 }, 4, 4 },
	{ "C-HDLC broadcast v6", DLT_C_HDLC, { 0x8f, 0x00, 0x86, 0xdd }, 4, 6 },
	{ "PPI with Ethernet", DLT_PPI,
	  { 0, 0, 8, 0, DLT_EN10MB, 0, 0, 0, [20] = 0x08, 0x00 }, 22, 4 },
};

static uint32_t
build_case(const struct link_case *lc, uint8_t *frame)
{
	uint8_t ip[256];
	uint32_t n = ip_syn(ip, lc->version);

	return framed(frame, lc->hdr, lc->hlen, ip, n);
}

static void
test_link_types(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(link_cases) / sizeof(*link_cases); i++) {
		const struct link_case *lc = &link_cases[i];
		uint8_t f[512];
		uint32_t n = build_case(lc, f);
		struct tg_trace_pkt p;

		print_message("  %s\n", lc->name);
		assert_int_equal(decode(lc->linktype, f, n, &p), TG_TRACE_OK);
		expect_syn(&p, lc->version);
		assert_int_equal(p.cap_len, n);
		assert_int_equal(p.wire_len, n);
	}
}

/* Every cut of every frame above: inside the headers it is "truncated",
 * after them the packet keeps its true payload length. */
static void
test_every_cut_is_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(link_cases) / sizeof(*link_cases); i++) {
		const struct link_case *lc = &link_cases[i];
		uint8_t f[512];
		uint32_t n = build_case(lc, f);
		uint32_t headers = n - PAYLOAD;
		struct tg_trace_pkt p;

		for (uint32_t len = 0; len <= n; len++) {
			enum tg_trace_reason r =
				decode_cut(lc->linktype, f, len, n, &p);

			if (len < headers) {
				if (r != TG_TRACE_TRUNCATED)
					fail_msg("%s cut at %u: %s", lc->name,
						 len, tg_trace_reason_name(r));
				continue;
			}
			assert_int_equal(r, TG_TRACE_OK);
			assert_int_equal(p.payload_len, PAYLOAD);
			assert_int_equal(p.payload_cap, len - headers);
		}
	}
}

/* Headers missing from the frame itself, not cut by a snaplen. */
static void
test_short_frames_are_malformed(void **state)
{
	uint8_t ip[256];
	uint32_t n = ip_syn(ip, 4);
	struct tg_trace_pkt p;

	(void)state;
	assert_int_equal(decode(DLT_RAW, ip, 10, &p), TG_TRACE_BAD_IP);
	/* the IP header says more than the frame holds */
	assert_int_equal(decode(DLT_RAW, ip, n - 1, &p), TG_TRACE_BAD_IP);
	/* segmentation offload: total length 0, sizes from the frame */
	put16(ip + 2, 0);
	assert_int_equal(decode(DLT_RAW, ip, n, &p), TG_TRACE_OK);
	assert_int_equal(p.ip_len, n);
	assert_int_equal(p.payload_len, PAYLOAD);
	static const uint8_t runt[10] = { 0 };
	assert_int_equal(decode(DLT_EN10MB, runt, 10, &p), TG_TRACE_OTHER);
}

static void
test_not_ip_and_unknown_links(void **state)
{
	uint8_t f[512], ip[256];
	uint32_t n = ip_syn(ip, 4), len;
	struct tg_trace_pkt p;

	(void)state;
	static const uint8_t arp[14] = { [12] = 0x08, 0x06 };
	len = framed(f, arp, 14, ip, n);
	assert_int_equal(decode(DLT_EN10MB, f, len, &p), TG_TRACE_NOT_IP);
	static const uint8_t lldp[14] = { [12] = 0x88, 0xcc };
	len = framed(f, lldp, 14, ip, n);
	assert_int_equal(decode(DLT_EN10MB, f, len, &p), TG_TRACE_NOT_IP);
	static const uint8_t stp[17] = { [12] = 0x00, 0x26, 0x42, 0x42, 3 };
	len = framed(f, stp, 17, ip, n);
	assert_int_equal(decode(DLT_EN10MB, f, len, &p), TG_TRACE_NOT_IP);
	static const uint8_t lcp[4] = { 0xff, 0x03, 0xc0, 0x21 };
	len = framed(f, lcp, 4, ip, n);
	assert_int_equal(decode(DLT_PPP, f, len, &p), TG_TRACE_NOT_IP);
	static const uint8_t slarp[4] = { 0x8f, 0x00, 0x80, 0x35 };
	len = framed(f, slarp, 4, ip, n);
	assert_int_equal(decode(DLT_C_HDLC, f, len, &p), TG_TRACE_NOT_IP);
	static const uint8_t af_unknown[4] = { 17, 0, 0, 0 };
	len = framed(f, af_unknown, 4, ip, n);
	assert_int_equal(decode(DLT_NULL, f, len, &p), TG_TRACE_NOT_IP);
	assert_int_equal(decode(DLT_IEEE802_11, f, len, &p), TG_TRACE_LINK);
	assert_int_equal(decode(DLT_IEEE802_11_RADIO, f, len, &p),
			 TG_TRACE_LINK);
	assert_int_equal(decode(12345, f, len, &p), TG_TRACE_LINK);
	/* PPI holding 802.11 */
	static const uint8_t ppi_wifi[8] = { 0, 0, 8, 0, DLT_IEEE802_11 };
	len = framed(f, ppi_wifi, 8, ip, n);
	assert_int_equal(decode(DLT_PPI, f, len, &p), TG_TRACE_LINK);
}

/* --- IP ------------------------------------------------------------------ */

/* IPv6, then hop-by-hop (8 bytes), destination options (16), routing (8)
 * and a fragment header, then UDP with 20 bytes. Offsets into f. */
#define EXT_HBH 40
#define EXT_DST 48
#define EXT_RT 64
#define EXT_FRAG 72
#define EXT_UDP 80

static uint32_t
ipv6_with_extensions(uint8_t *f)
{
	uint32_t udp = udp_dgram(f + EXT_UDP, 5353, 53, NULL, 20);

	memset(f + EXT_HBH, 0, EXT_UDP - EXT_HBH);
	f[EXT_HBH] = 60;		/* next: destination options */
	f[EXT_DST] = 43, f[EXT_DST + 1] = 1;	/* next: routing; 16 bytes */
	f[EXT_RT] = 44;			/* next: fragment */
	f[EXT_FRAG] = TG_PROTO_UDP;	/* offset 0, M clear: atomic */
	return ipv6_around(f, 0, EXT_UDP - 40 + udp);
}

static void
test_ipv6_extension_headers(void **state)
{
	uint8_t f[256];
	uint32_t n = ipv6_with_extensions(f);
	struct tg_trace_pkt p;

	(void)state;
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
	assert_int_equal(p.proto, TG_PROTO_UDP);
	assert_int_equal(p.sport, 5353);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.payload_len, 20);
	assert_false(p.first_fragment);
	assert_int_equal(p.ip_len, n);

	f[EXT_FRAG + 3] = 1;		/* M: a first fragment */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
	assert_true(p.first_fragment);
	assert_int_equal(p.payload_len, 20);
	f[EXT_FRAG + 2] = 0x01;		/* offset 32: not the first */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_FRAGMENT);
	f[EXT_FRAG + 2] = 0;
	f[EXT_FRAG + 3] = 0;

	for (uint32_t len = 0; len < EXT_UDP + 8; len++)
		assert_int_equal(decode_cut(DLT_RAW, f, len, n, &p),
				 TG_TRACE_TRUNCATED);

	f[EXT_DST + 1] = 200;		/* longer than the packet */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_BAD_IP);
	f[EXT_DST + 1] = 1;
	f[EXT_DST] = 59;		/* no next header */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
	assert_int_equal(p.proto, 59);
	assert_int_equal(p.sport, 0);

	/* 20 destination options headers: longer than any real chain */
	uint8_t *x = f + 40;
	for (int i = 0; i < 20; i++, x += 8) {
		memset(x, 0, 8);
		x[0] = i < 19 ? 60 : TG_PROTO_UDP;
	}
	n = ipv6_around(f, 60, 160 + udp_dgram(x, 1, 2, NULL, 4));
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OTHER);
}

/* Authentication headers are walked past, in IPv4 and IPv6. */
static void
test_ah_is_skipped(void **state)
{
	uint8_t f[256];
	struct tg_trace_pkt p;

	(void)state;
	for (int version = 4; version <= 6; version += 2) {
		uint8_t *ah = f + ip_hlen(version);
		uint32_t l4 = tcp_seg(ah + 24, TG_TCP_SYN, PAYLOAD);
		uint32_t n;

		memset(ah, 0x5a, 24);
		ah[0] = TG_PROTO_TCP;
		ah[1] = 4;		/* (4 + 2) * 4 = 24 bytes */
		n = ip_around(f, version, 51, 24 + l4);
		assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
		assert_int_equal(p.proto, TG_PROTO_TCP);
		assert_string_equal(p.tcp_opts.layout, "MSTNW");
		assert_int_equal(p.payload_len, PAYLOAD);
		ah[1] = 40;		/* past the packet */
		assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_BAD_IP);
	}
}

static void
test_ipv4_fragments(void **state)
{
	uint8_t f[256];
	uint32_t n = ip_udp(f, 4, 3000, 53, NULL, 100);
	struct tg_trace_pkt p;

	(void)state;
	put16(f + 20 + 4, 8 + 3000);	/* the whole datagram's UDP length */
	put16(f + 6, 0x2000);		/* MF, offset 0 */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
	assert_true(p.first_fragment);
	assert_int_equal(p.payload_len, 100);	/* this fragment's */
	assert_false(p.df);
	put16(f + 6, 0x2010);		/* MF, offset 128 */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_FRAGMENT);
	put16(f + 6, 0x0010);		/* the last fragment */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_FRAGMENT);
}

static void
test_tunnels_and_esp(void **state)
{
	static const uint8_t tunnels[] = { 4, 41, 47, 97, 115, 137 };
	uint8_t f[256], inner[128];
	uint32_t in4 = ip_syn(inner, 4);
	struct tg_trace_pkt p;

	(void)state;
	for (int version = 4; version <= 6; version += 2) {
		uint32_t hl = ip_hlen(version), n;

		for (size_t i = 0; i < sizeof(tunnels); i++) {
			memcpy(f + hl, inner, in4);
			n = ip_around(f, version, tunnels[i], in4);
			assert_int_equal(decode(DLT_RAW, f, n, &p),
					 TG_TRACE_TUNNEL);
		}
		memset(f + hl, 0x77, 40);	/* SPI, sequence, ciphertext */
		n = ip_around(f, version, 50, 40);
		assert_int_equal(decode(DLT_RAW, f, n, &p),
				 TG_TRACE_ENCRYPTED);
	}
}

struct udp_case {
	const char *name;
	uint16_t sport, dport;
	uint8_t data[64];
	uint32_t len;
	enum tg_trace_reason want;
};

static const struct udp_case udp_cases[] = {
	{ "VXLAN", 51000, 4789, { 0x08, 0, 0, 0, 0, 0, 42, 0, 1, 2 }, 12,
	  TG_TRACE_TUNNEL },
	{ "not VXLAN", 51000, 4789, { 0x01, 2, 3, 4, 5, 6, 7, 8 }, 12,
	  TG_TRACE_OK },
	{ "Geneve", 51000, 6081, { 0x00, 0, 0x65, 0x58 }, 12, TG_TRACE_TUNNEL },
	{ "Geneve, not", 51000, 6081, { 0x00, 0, 0x12, 0x34 }, 12,
	  TG_TRACE_OK },
	{ "GTP-U G-PDU", 2152, 2152, { 0x30, 0xff, 0, 4, 0, 0, 0, 1, 0x45 },
	  12, TG_TRACE_TUNNEL },
	{ "GTP-U, wrong length", 2152, 2152, { 0x30, 0xff, 0, 9 }, 12,
	  TG_TRACE_OK },
	{ "GTP-U echo", 2152, 2152, { 0x32, 0x01, 0, 4 }, 12, TG_TRACE_OK },
	{ "Teredo", 3544, 51000, { 0x60, [6] = 59 }, 40, TG_TRACE_TUNNEL },
	{ "Teredo origin", 51000, 3544, { 0x00, 0x00, 0x12, 0x34, [8] = 0x60,
	  [14] = 59 }, 48, TG_TRACE_TUNNEL },
	{ "Teredo authentication", 3544, 51000, { 0x00, 0x01, 0, 0,
	  [13] = 0x60, [19] = 59 }, 53, TG_TRACE_TUNNEL },
	{ "DNS from port 3544", 3544, 53, { 0x61, 0x02, 1, 0, 0, 1 }, 40,
	  TG_TRACE_OK },
	{ "L2TP data", 1701, 1701, { 0x00, 0x02, 0, 1 }, 12, TG_TRACE_TUNNEL },
	{ "L2TP control", 1701, 1701, { 0xc8, 0x02, 0, 12 }, 12, TG_TRACE_OK },
	{ "ESP in UDP", 4500, 4500, { 0x12, 0x34, 0x56, 0x78 }, 12,
	  TG_TRACE_ENCRYPTED },
	{ "IKE on 4500", 4500, 4500, { 0, 0, 0, 0, 0x11 }, 12, TG_TRACE_OK },
	{ "NAT keepalive", 51000, 4500, { 0xff }, 1, TG_TRACE_OK },
	{ "DNS", 51000, 53, { 0x12, 0x34, 1, 0 }, 12, TG_TRACE_OK },
};

static void
test_udp_tunnels(void **state)
{
	uint8_t f[256];
	struct tg_trace_pkt p;

	(void)state;
	for (size_t i = 0; i < sizeof(udp_cases) / sizeof(*udp_cases); i++) {
		const struct udp_case *uc = &udp_cases[i];
		uint32_t n = ip_udp(f, 4, uc->sport, uc->dport, uc->data,
				    uc->len);
		enum tg_trace_reason r = decode(DLT_RAW, f, n, &p);

		if (r != uc->want)
			fail_msg("%s: %s", uc->name, tg_trace_reason_name(r));
	}
}

static void
test_bad_headers(void **state)
{
	uint8_t f[256];
	uint32_t n;
	struct tg_trace_pkt p;

	(void)state;
	n = ip_syn(f, 4);
	f[0] = 0x44;			/* IHL 4 */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_BAD_IP);
	f[0] = 0x45;
	put16(f + 2, 19);		/* total below the header */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_BAD_IP);
	n = ip_syn(f, 4);
	assert_int_equal(decode(DLT_IPV6, f, n, &p), TG_TRACE_BAD_IP);
	f[0] = 0x55;			/* version 5 */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_BAD_IP);

	n = ip_syn(f, 4);
	f[20 + 12] = 4 << 4;		/* TCP header of 16 bytes */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_BAD_L4);
	f[20 + 12] = 15 << 4;		/* 60 bytes: past the segment */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_BAD_L4);

	n = ip_udp(f, 6, 1, 2, NULL, 10);
	put16(f + 40 + 4, 7);		/* UDP length below 8 */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_BAD_L4);
	put16(f + 40 + 4, 19);		/* past the IP payload */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_BAD_L4);
	put16(f + 40 + 4, 14);		/* shorter: the UDP length counts */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
	assert_int_equal(p.payload_len, 6);

	n = ipv4_around(f, TG_PROTO_ICMP, 4);	/* a 4-byte ICMP message */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_BAD_L4);
}

static void
test_tcp_options(void **state)
{
	uint8_t f[256];
	uint32_t n = ip_syn(f, 4);
	uint8_t *o = f + 20 + 20;
	struct tg_trace_pkt p;

	(void)state;
	/* SACK blocks, an unknown kind, an oversized shift, end of list */
	memset(o, 0, 20);
	o[0] = 1, o[1] = 1;
	o[2] = 5, o[3] = 10;			/* one SACK block */
	o[12] = 3, o[13] = 3, o[14] = 20;	/* shift 20: means 14 */
	o[15] = 99, o[16] = 2;			/* unknown */
	o[17] = 0;				/* end of list */
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
	assert_string_equal(p.tcp_opts.layout, "NNKW?E");
	assert_int_equal(p.tcp_opts.wscale, 14);
	assert_false(p.tcp_opts.has_mss || p.tcp_opts.has_ts ||
		     p.tcp_opts.malformed);

	/* An MSS, then an option whose length runs past the header */
	memset(o, 1, 20);
	o[0] = 2, o[1] = 4, o[2] = 0x05, o[3] = 0xb4;
	o[16] = 8, o[17] = 10;
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
	assert_true(p.tcp_opts.has_mss && p.tcp_opts.mss == 1460);
	assert_true(p.tcp_opts.malformed);
	assert_false(p.tcp_opts.has_ts);
	assert_string_equal(p.tcp_opts.layout, "MNNNNNNNNNNNNT");
	assert_int_equal(p.tcp_opts.wscale, -1);
}

static void
test_icmp_and_other_protocols(void **state)
{
	uint8_t f[256];
	uint32_t n;
	struct tg_trace_pkt p;

	(void)state;
	n = ipv4_around(f, TG_PROTO_ICMP, icmp_msg(f + 20, 8, 77, 3, 56));
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
	assert_true(p.icmp_echo);
	assert_int_equal(p.icmp_type, 8);
	assert_int_equal(p.icmp_id, 77);
	assert_int_equal(p.icmp_seq, 3);
	assert_int_equal(p.payload_len, 56);
	assert_int_equal(p.sport, 0);

	n = ipv6_around(f, TG_PROTO_ICMPV6, icmp_msg(f + 40, 129, 9, 1, 8));
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
	assert_true(p.icmp_echo);
	assert_int_equal(p.icmp_id, 9);

	n = ipv4_around(f, TG_PROTO_ICMP, icmp_msg(f + 20, 3, 0, 0, 28));
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
	assert_false(p.icmp_echo);
	assert_int_equal(p.icmp_type, 3);

	memset(f + 20, 0x11, 32);	/* SCTP, OSPF, ...: kept whole */
	n = ipv4_around(f, 132, 32);
	assert_int_equal(decode(DLT_RAW, f, n, &p), TG_TRACE_OK);
	assert_int_equal(p.proto, 132);
	assert_int_equal(p.payload_len, 32);
	assert_int_equal(p.payload_cap, 32);
	assert_int_equal(p.sport, 0);
}

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A frame of random bytes (every 7th round), or a good frame of some
 * link type with a few random bytes changed. */
static uint32_t
garbage_frame(int round, uint64_t *x, uint8_t *f, size_t size)
{
	const struct link_case *lc =
		&link_cases[round % (sizeof(link_cases) / sizeof(*link_cases))];
	uint32_t n;

	if (round % 7 == 0) {
		n = 1 + (uint32_t)(xorshift(x) % (size - 1));
		for (uint32_t i = 0; i < n; i++)
			f[i] = (uint8_t)xorshift(x);
		return n;
	}
	n = build_case(lc, f);
	for (int k = 0; k < 1 + round % 6; k++)
		f[xorshift(x) % n] = (uint8_t)(*x >> 32);
	return n;
}

/* Garbage of every link type, cut anywhere: nothing may read past the
 * frame (ASan watches) and every result must be sane. */
static void
test_garbage_never_crashes(void **state)
{
	static const int links[] = {
		DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4,
		DLT_IPV6, DLT_NULL, DLT_LOOP, DLT_PPP, DLT_PPP_SERIAL,
		DLT_PPP_ETHER, DLT_C_HDLC, DLT_PPI, DLT_PPP_WITH_DIR,
		DLT_C_HDLC_WITH_DIR, LINKTYPE_RAW, DLT_IEEE802_11, -1,
	};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint8_t f[600];
	struct tg_trace_pkt p;
	uint64_t kept = 0;

	(void)state;
	for (int round = 0; round < 30000; round++) {
		uint32_t n = garbage_frame(round, &x, f, sizeof(f));
		/* the frame's own link type half of the time */
		int linktype = round & 1
			? link_cases[round % (sizeof(link_cases) /
					      sizeof(*link_cases))].linktype
			: links[(round / 2) % (sizeof(links) / sizeof(*links))];
		uint32_t cap = (uint32_t)(xorshift(&x) % (n + 1));
		enum tg_trace_reason r = decode_cut(linktype, f, cap, n, &p);

		assert_true((unsigned)r < TG_TRACE_REASONS);
		if (r != TG_TRACE_OK)
			continue;
		kept++;
		assert_true(p.payload_cap <= p.payload_len);
		assert_true(p.ip_version == 4 || p.ip_version == 6);
		assert_true(strlen(p.tcp_opts.layout) <
			    TG_TRACE_OPT_LAYOUT_LEN);
	}
	assert_true(kept > 0);
	assert_int_equal(tg_trace_decode(DLT_EN10MB, NULL, 0, 0, &p),
			 TG_TRACE_OTHER);
}

/* --- The reader, on files written here ----------------------------------- */

static void
write_bytes(const char *dir, const char *name, const void *data, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* An Ethernet pcap with nanosecond stamps: a SYN, an ARP, a UDP packet. */
static void
write_pcap(const char *dir, const char *name, bool torn)
{
	char path[128];
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(
		DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	static const uint8_t eth[14] = { [12] = 0x08, 0x00 };
	static const uint8_t arp[42] = { [12] = 0x08, 0x06 };
	uint8_t ip[256], f[300];
	struct pcap_pkthdr h = { .ts = { 1700000000, 123456789 } };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	assert_non_null(d);
	h.caplen = h.len = framed(f, eth, 14, ip, ip_syn(ip, 4));
	pcap_dump((u_char *)d, &h, f);
	h.caplen = h.len = sizeof(arp);
	pcap_dump((u_char *)d, &h, arp);
	h.caplen = h.len = framed(f, eth, 14, ip,
				  ip_udp(ip, 4, 1000, 53, NULL, 30));
	h.caplen = 14 + 20 + 8 + 4;	/* cut by a snaplen */
	pcap_dump((u_char *)d, &h, f);
	pcap_dump_close(d);
	pcap_close(dead);
	if (torn) {		/* half of a record header */
		FILE *fp = fopen(path, "ab");

		assert_non_null(fp);
		fwrite("\x01\x02\x03\x04\x05", 1, 5, fp);
		fclose(fp);
	}
}

static void
le16(uint8_t **p, uint32_t v)
{
	(*p)[0] = (uint8_t)v;
	(*p)[1] = (uint8_t)(v >> 8);
	*p += 2;
}

static void
le32(uint8_t **p, uint32_t v)
{
	le16(p, v & 0xffff);
	le16(p, v >> 16);
}

/* A pcapng file by hand (libpcap only reads it): a section, a raw IP
 * interface with nanosecond resolution, one IPv6 SYN. */
static void
write_pcapng(const char *dir, const char *name, uint64_t ts_ns)
{
	uint8_t buf[512], ip[256], *p = buf;
	uint32_t n = ip_syn(ip, 6), padded = (n + 3) & ~3u;

	le32(&p, 0x0a0d0d0a), le32(&p, 28), le32(&p, 0x1a2b3c4d);
	le16(&p, 1), le16(&p, 0), le32(&p, 0xffffffff), le32(&p, 0xffffffff);
	le32(&p, 28);
	le32(&p, 1), le32(&p, 32), le16(&p, LINKTYPE_RAW), le16(&p, 0);
	le32(&p, 0);
	le16(&p, 9), le16(&p, 1), le32(&p, 9);	/* if_tsresol: 10^-9 */
	le32(&p, 0);				/* end of options */
	le32(&p, 32);
	le32(&p, 6), le32(&p, 32 + padded), le32(&p, 0);
	le32(&p, (uint32_t)(ts_ns >> 32)), le32(&p, (uint32_t)ts_ns);
	le32(&p, n), le32(&p, n);
	memset(p, 0, padded);
	memcpy(p, ip, n);
	p += padded;
	le32(&p, 32 + padded);
	write_bytes(dir, name, buf, (size_t)(p - buf));
}

/* The reader tests' folder, made once for the group; its path is the
 * tests' state. */
static int
make_capture_folder(void **state)
{
	static const char name[] = "/tmp/tg_trace_test.XXXXXX";
	char *dir = malloc(sizeof(name)), sub[96];

	if (dir == NULL)
		return -1;
	memcpy(dir, name, sizeof(name));
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return -1;
	}
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	mkdir(sub, 0700);
	write_pcap(dir, "a.pcap", false);
	write_bytes(dir, "junk.txt", "not a capture at all\n", 21);
	write_bytes(dir, ".hidden.pcap", "ignored", 7);
	write_pcapng(dir, "sub/b.pcapng", 1700000001987654321ull);
	write_pcap(dir, "torn.pcap", true);
	*state = dir;
	return 0;
}

static int
remove_capture_folder(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	free(*state);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void
test_reader_folder(void **state)
{
	const char *tmpdir = *state;
	const char *paths[] = { tmpdir };
	struct tg_trace *t;
	struct tg_trace_pkt p;
	char err[256];
	FILE *log = tmpfile();
	struct tg_trace_conf conf = { .log = log };

	assert_int_equal(tg_trace_open(paths, 1, &conf, &t, err, sizeof(err)),
			 0);
	assert_int_equal(tg_trace_file_count(t), 4);
	assert_string_equal(base_name(tg_trace_file(t, 0)->path), "a.pcap");
	assert_string_equal(base_name(tg_trace_file(t, 1)->path), "junk.txt");
	assert_string_equal(base_name(tg_trace_file(t, 2)->path), "b.pcapng");
	assert_string_equal(base_name(tg_trace_file(t, 3)->path), "torn.pcap");
	assert_null(tg_trace_file(t, 4));
	assert_non_null(tg_trace_file(t, 1)->error);

	/* a.pcap: the SYN, the cut UDP packet; the ARP is counted */
	assert_int_equal(tg_trace_next(t, &p), 1);
	assert_int_equal(p.file, 0);
	assert_int_equal(p.ts_ns, 1700000000123456789ull);
	expect_syn(&p, 4);
	assert_int_equal(tg_trace_next(t, &p), 1);
	assert_int_equal(p.proto, TG_PROTO_UDP);
	assert_int_equal(p.payload_len, 30);
	assert_int_equal(p.payload_cap, 4);
	assert_int_equal(p.cap_len, 46);
	assert_int_equal(p.wire_len, 14 + 20 + 8 + 30);
	/* b.pcapng, in raw IP with nanosecond stamps */
	assert_int_equal(tg_trace_next(t, &p), 1);
	assert_int_equal(p.file, 2);
	assert_int_equal(p.ts_ns, 1700000001987654321ull);
	expect_syn(&p, 6);
	/* torn.pcap: its whole records, then the cut is noted */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tg_trace_next(t, &p), 1);
		assert_int_equal(p.file, 3);
	}
	assert_int_equal(tg_trace_next(t, &p), 0);
	assert_int_equal(tg_trace_next(t, &p), 0);

	const struct tg_trace_stats *s = tg_trace_stats(t);
	assert_int_equal(s->files, 4);
	assert_int_equal(s->files_opened, 3);
	assert_int_equal(s->files_failed, 1);
	assert_int_equal(s->files_torn, 1);
	assert_int_equal(s->packets_read, 7);
	assert_int_equal(s->packets_kept, 5);
	assert_int_equal(s->reasons[TG_TRACE_OK], 5);
	assert_int_equal(s->reasons[TG_TRACE_NOT_IP], 2);
	assert_int_equal(tg_trace_file(t, 3)->packets_read, 3);
	assert_int_equal(tg_trace_file(t, 3)->packets_kept, 2);
	assert_non_null(tg_trace_file(t, 3)->error);
	tg_trace_close(t);

	/* The log names both bad files with libpcap's words. */
	char text[1024] = { 0 };
	rewind(log);
	assert_true(fread(text, 1, sizeof(text) - 1, log) > 0);
	fclose(log);
	assert_non_null(strstr(text, "junk.txt: "));
	assert_non_null(strstr(text, "torn.pcap: "));
	assert_non_null(strstr(text, "truncated"));
}

static void
test_reader_strict_and_errors(void **state)
{
	struct tg_trace_conf strict = { .flags = TG_TRACE_STRICT };
	struct tg_trace *t;
	struct tg_trace_pkt p;
	const char *tmpdir = *state;
	char err[256], a[128], torn[128];
	const char *dir[] = { tmpdir };

	assert_int_equal(tg_trace_open(dir, 1, &strict, &t, err, sizeof(err)),
			 -1);
	assert_null(t);
	assert_non_null(strstr(err, "junk.txt"));

	snprintf(a, sizeof(a), "%s/a.pcap", tmpdir);
	snprintf(torn, sizeof(torn), "%s/torn.pcap", tmpdir);
	const char *files[] = { torn, a };	/* the order given is kept */
	assert_int_equal(tg_trace_open(files, 2, &strict, &t, err,
				       sizeof(err)), 0);
	assert_int_equal(tg_trace_next(t, &p), 1);
	assert_int_equal(tg_trace_next(t, &p), 1);
	assert_int_equal(tg_trace_next(t, &p), -1);
	assert_non_null(strstr(tg_trace_error(t), "torn.pcap"));
	tg_trace_close(t);

	const char *missing[] = { "/nonexistent/capture.pcap" };
	assert_int_equal(tg_trace_open(missing, 1, NULL, &t, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "/nonexistent/capture.pcap"));
	char junk[128];
	snprintf(junk, sizeof(junk), "%s/junk.txt", tmpdir);
	const char *only_junk[] = { junk };
	assert_int_equal(tg_trace_open(only_junk, 1, NULL, &t, err,
				       sizeof(err)), -1);
}

/* --- Flow assembly ------------------------------------------------------- */

#define MAX_SEEN 32
#define MAX_SEEN_PKTS 16

struct seen {
	unsigned n;
	struct tg_flow_rec rec[MAX_SEEN];
	struct tg_flow_pkt pkts[MAX_SEEN][MAX_SEEN_PKTS];
};

static void
collect(const struct tg_flow_rec *f, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	s->rec[s->n] = *f;
	for (uint32_t i = 0; i < f->n_pkts && i < MAX_SEEN_PKTS; i++)
		s->pkts[s->n][i] = f->pkts[i];
	s->rec[s->n].pkts = NULL;
	s->n++;
}

#define MS 1000000ull
#define SEC 1000000000ull

/* A packet between host A (10.0.0.1) and host B (192.0.2.7). */
static struct tg_trace_pkt
pkt_ab(uint8_t proto, uint32_t file, uint64_t ns, bool from_a,
       uint16_t a_port, uint16_t b_port, uint8_t flags, uint32_t len)
{
	struct tg_trace_pkt p = { .ts_ns = ns, .file = file, .ip_version = 4,
				  .proto = proto, .payload_len = len,
				  .wire_len = 54 + len, .tcp_flags = flags,
				  .ttl = from_a ? 64 : 51 };

	memcpy(p.src.b, from_a ? v4_src : v4_dst, 4);
	memcpy(p.dst.b, from_a ? v4_dst : v4_src, 4);
	p.sport = from_a ? a_port : b_port;
	p.dport = from_a ? b_port : a_port;
	p.tcp_opts.wscale = -1;
	return p;
}

static struct tg_trace_pkt
tcp_ab(uint64_t ns, bool from_a, uint16_t a_port, uint16_t b_port,
       uint8_t flags, uint32_t len)
{
	return pkt_ab(TG_PROTO_TCP, 0, ns, from_a, a_port, b_port, flags, len);
}

static void
add(struct tg_flows *t, struct tg_trace_pkt p)
{
	assert_int_equal(tg_flows_add(t, &p), 0);
}

static struct tg_flows *
new_table(struct seen *s, uint32_t max_pkts, uint32_t max_open)
{
	struct tg_flows_conf conf = { .on_flow = collect, .arg = s,
				      .max_pkts = max_pkts,
				      .max_open = max_open };
	struct tg_flows *t;

	memset(s, 0, sizeof(*s));
	t = tg_flows_create(&conf);
	assert_non_null(t);
	return t;
}

static void
test_flow_syn_roles_and_fin(void **state)
{
	struct seen *s = malloc(sizeof(*s));
	struct tg_flows *t = new_table(s, 0, 0);
	struct tg_trace_pkt syn = tcp_ab(0, true, 50000, 80, TG_TCP_SYN, 0);
	struct tg_trace_pkt synack =
		tcp_ab(10 * MS, false, 50000, 80, TG_TCP_SYN | TG_TCP_ACK, 0);

	(void)state;
	syn.tcp_opts.has_mss = true, syn.tcp_opts.mss = 1460;
	syn.window = 64240;
	synack.tcp_opts.has_mss = true, synack.tcp_opts.mss = 1380;
	add(t, syn);
	add(t, synack);
	add(t, tcp_ab(11 * MS, true, 50000, 80, TG_TCP_ACK | TG_TCP_PSH, 300));
	add(t, tcp_ab(40 * MS, false, 50000, 80, TG_TCP_ACK, 1000));
	add(t, tcp_ab(50 * MS, false, 50000, 80, TG_TCP_FIN | TG_TCP_ACK, 0));
	add(t, tcp_ab(51 * MS, true, 50000, 80, TG_TCP_FIN | TG_TCP_ACK, 0));
	add(t, tcp_ab(60 * MS, false, 50000, 80, TG_TCP_ACK, 0));
	assert_int_equal(s->n, 0);	/* closed, waiting out the grace */
	add(t, pkt_ab(TG_PROTO_UDP, 0, 5 * SEC, true, 1, 2, 0, 0));
	assert_int_equal(s->n, 1);

	const struct tg_flow_rec *r = &s->rec[0];
	assert_int_equal(r->end, TG_END_FIN);
	assert_int_equal(r->role_rule, TG_ROLE_SYN);
	assert_int_equal(r->start, TG_START_SYN);
	assert_memory_equal(r->client.b, v4_src, 4);
	assert_int_equal(r->client_port, 50000);
	assert_int_equal(r->server_port, 80);
	assert_string_equal(r->service, "http");
	assert_int_equal(r->side[TG_DIR_C2S].packets, 3);
	assert_int_equal(r->side[TG_DIR_S2C].packets, 4);	/* + last ACK */
	assert_int_equal(r->side[TG_DIR_C2S].payload_bytes, 300);
	assert_int_equal(r->side[TG_DIR_S2C].payload_bytes, 1000);
	assert_int_equal(r->side[TG_DIR_C2S].ttl, 64);
	assert_int_equal(r->side[TG_DIR_S2C].ttl, 51);
	assert_true(r->has_syn && r->has_synack);
	assert_int_equal(r->syn_opts.mss, 1460);
	assert_int_equal(r->synack_opts.mss, 1380);
	assert_int_equal(r->syn_window, 64240);
	assert_int_equal(r->first_ns, 0);
	assert_int_equal(r->last_ns, 60 * MS);
	assert_int_equal(r->n_pkts, 7);
	assert_false(r->pkts_truncated);
	static const uint8_t dirs[7] = { 0, 1, 0, 1, 1, 0, 1 };
	static const uint64_t iat_ms[7] = { 0, 10, 1, 29, 10, 1, 9 };
	for (int i = 0; i < 7; i++) {
		assert_int_equal(s->pkts[0][i].dir, dirs[i]);
		assert_int_equal(s->pkts[0][i].iat_ns, iat_ms[i] * MS);
	}
	assert_int_equal(s->pkts[0][2].payload_len, 300);
	assert_int_equal(s->pkts[0][4].tcp_flags, TG_TCP_FIN | TG_TCP_ACK);
	tg_flows_free(t);
	free(s);
}

static void
test_flow_syn_reuse(void **state)
{
	struct seen *s = malloc(sizeof(*s));
	struct tg_flows *t = new_table(s, 0, 0);

	(void)state;
	add(t, tcp_ab(0, true, 50000, 443, TG_TCP_SYN, 0));
	add(t, tcp_ab(1 * MS, false, 50000, 443, TG_TCP_RST | TG_TCP_ACK, 0));
	add(t, tcp_ab(2 * MS, true, 50000, 443, TG_TCP_ACK, 0));   /* late */
	assert_int_equal(s->n, 0);
	add(t, tcp_ab(3 * MS, true, 50000, 443, TG_TCP_SYN, 0));   /* again */
	assert_int_equal(s->n, 1);
	assert_int_equal(s->rec[0].end, TG_END_RST);
	assert_int_equal(s->rec[0].side[TG_DIR_C2S].packets, 2);
	add(t, tcp_ab(4 * MS, false, 50000, 443, TG_TCP_SYN | TG_TCP_ACK, 0));
	/* a retransmitted SYN on an open flow stays in it */
	add(t, tcp_ab(5 * MS, true, 50000, 443, TG_TCP_SYN, 0));
	tg_flows_flush(t);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->rec[1].end, TG_END_EOF);
	assert_int_equal(s->rec[1].start, TG_START_SYN);
	assert_int_equal(s->rec[1].side[TG_DIR_C2S].packets, 2);
	assert_int_equal(s->rec[1].side[TG_DIR_S2C].packets, 1);
	assert_true(s->rec[1].id > s->rec[0].id);
	tg_flows_free(t);
	free(s);
}

static void
test_flow_mid_flow_roles(void **state)
{
	struct seen *s = malloc(sizeof(*s));
	struct tg_flows *t = new_table(s, 0, 0);

	(void)state;
	/* from the well-known port first: its receiver is the client */
	add(t, tcp_ab(0, false, 51000, 443, TG_TCP_ACK, 1400));
	add(t, tcp_ab(1 * MS, true, 51000, 443, TG_TCP_ACK, 0));
	/* toward the well-known port first: the sender is the client */
	add(t, tcp_ab(2 * MS, true, 51001, 22, TG_TCP_ACK, 48));
	/* both ports high, and both low: the first sender */
	add(t, pkt_ab(TG_PROTO_UDP, 0, 3 * MS, false, 5000, 6000, 0, 10));
	add(t, pkt_ab(TG_PROTO_UDP, 0, 4 * MS, false, 123, 123, 0, 48));
	/* a SYN-ACK first: its receiver is the client */
	add(t, tcp_ab(5 * MS, false, 51002, 8080, TG_TCP_SYN | TG_TCP_ACK, 0));
	tg_flows_flush(t);
	assert_int_equal(s->n, 5);

	const struct tg_flow_rec *r = &s->rec[0];
	assert_int_equal(r->role_rule, TG_ROLE_PORT_SWAP);
	assert_int_equal(r->start, TG_START_MIDFLOW);
	assert_memory_equal(r->client.b, v4_src, 4);
	assert_int_equal(r->client_port, 51000);
	assert_int_equal(r->server_port, 443);
	assert_string_equal(r->service, "tls");
	assert_int_equal(r->side[TG_DIR_S2C].payload_bytes, 1400);
	assert_int_equal(s->pkts[0][0].dir, TG_DIR_S2C);

	assert_int_equal(s->rec[1].role_rule, TG_ROLE_FIRST);
	assert_string_equal(s->rec[1].service, "ssh");
	assert_int_equal(s->rec[2].role_rule, TG_ROLE_FIRST);
	assert_memory_equal(s->rec[2].client.b, v4_dst, 4);
	assert_int_equal(s->rec[2].client_port, 6000);
	assert_string_equal(s->rec[2].service, "other-udp");
	assert_int_equal(s->rec[2].start, TG_START_NOT_TCP);
	assert_int_equal(s->rec[3].role_rule, TG_ROLE_FIRST);
	assert_string_equal(s->rec[3].service, "ntp");
	assert_int_equal(s->rec[4].role_rule, TG_ROLE_SYNACK);
	assert_memory_equal(s->rec[4].client.b, v4_src, 4);
	assert_int_equal(s->rec[4].server_port, 8080);
	assert_int_equal(s->rec[4].start, TG_START_MIDFLOW);
	tg_flows_free(t);
	free(s);
}

static void
test_flow_idle_timeouts(void **state)
{
	struct seen *s = malloc(sizeof(*s));
	struct tg_flows *t = new_table(s, 0, 0);

	(void)state;
	add(t, pkt_ab(TG_PROTO_UDP, 0, 0, true, 40000, 53, 0, 30));
	add(t, tcp_ab(0, true, 40001, 80, TG_TCP_ACK, 10));
	add(t, pkt_ab(TG_PROTO_UDP, 0, 59 * SEC, false, 40000, 53, 0, 90));
	add(t, tcp_ab(119 * SEC, true, 40001, 80, TG_TCP_ACK, 10));
	assert_int_equal(s->n, 0);
	add(t, pkt_ab(TG_PROTO_UDP, 0, 120 * SEC, true, 40000, 53, 0, 30));
	assert_int_equal(s->n, 1);	/* idle 61 s: a new DNS flow */
	assert_int_equal(s->rec[0].end, TG_END_TIMEOUT);
	assert_int_equal(s->rec[0].side[TG_DIR_S2C].packets, 1);
	add(t, tcp_ab(239 * SEC, true, 40002, 80, TG_TCP_ACK, 10));
	assert_int_equal(s->n, 2);	/* the second DNS flow, idle 119 s */
	assert_int_equal(s->rec[1].proto, TG_PROTO_UDP);
	add(t, tcp_ab(240 * SEC, true, 40001, 80, TG_TCP_ACK, 10));
	assert_int_equal(s->n, 3);	/* idle 121 s */
	assert_int_equal(s->rec[2].proto, TG_PROTO_TCP);
	assert_int_equal(s->rec[2].end, TG_END_TIMEOUT);
	assert_int_equal(s->rec[2].side[TG_DIR_C2S].packets, 2);
	assert_int_equal(tg_flows_open_count(t), 2);
	tg_flows_flush(t);
	assert_int_equal(s->n, 5);
	tg_flows_free(t);

	/* Shorter timeouts when asked, and time going back is no idleness */
	struct tg_flows_conf conf = { .on_flow = collect, .arg = s,
				      .udp_idle_ns = 1 * SEC };
	memset(s, 0, sizeof(*s));
	t = tg_flows_create(&conf);
	add(t, pkt_ab(TG_PROTO_UDP, 0, 10 * SEC, true, 40000, 53, 0, 30));
	add(t, pkt_ab(TG_PROTO_UDP, 0, 9 * SEC, false, 40000, 53, 0, 30));
	add(t, pkt_ab(TG_PROTO_UDP, 0, 10500 * MS, true, 40000, 53, 0, 30));
	add(t, pkt_ab(TG_PROTO_UDP, 0, 12 * SEC, true, 40000, 53, 0, 30));
	assert_int_equal(s->n, 1);
	assert_int_equal(s->rec[0].side[0].packets +
			 s->rec[0].side[1].packets, 3);
	assert_int_equal(s->pkts[0][1].iat_ns, 0);	/* clock went back */
	assert_int_equal(s->pkts[0][2].iat_ns, 1500 * MS);
	tg_flows_free(t);
	free(s);
}

/* Flows finish in deadline order, whatever their kind. */
static void
test_flow_finish_order(void **state)
{
	struct seen *s = malloc(sizeof(*s));
	struct tg_flows *t = new_table(s, 0, 0);

	(void)state;
	add(t, pkt_ab(TG_PROTO_UDP, 0, 0, true, 1001, 53, 0, 1));  /* 60 s */
	add(t, tcp_ab(0, true, 1002, 80, TG_TCP_ACK, 1));	   /* 120 s */
	add(t, pkt_ab(TG_PROTO_UDP, 0, 10 * SEC, true, 1003, 53, 0, 1));
	add(t, tcp_ab(20 * SEC, true, 1004, 80, TG_TCP_RST, 0));   /* 22 s */
	add(t, pkt_ab(TG_PROTO_UDP, 0, 200 * SEC, true, 1005, 53, 0, 1));
	assert_int_equal(s->n, 4);
	assert_int_equal(s->rec[0].client_port, 1004);
	assert_int_equal(s->rec[0].end, TG_END_RST);
	assert_int_equal(s->rec[1].client_port, 1001);
	assert_int_equal(s->rec[2].client_port, 1003);
	assert_int_equal(s->rec[3].client_port, 1002);
	tg_flows_free(t);
	free(s);
}

static void
test_flow_files_are_separate(void **state)
{
	struct seen *s = malloc(sizeof(*s));
	struct tg_flows *t = new_table(s, 0, 0);

	(void)state;
	add(t, pkt_ab(TG_PROTO_TCP, 0, 100 * SEC, true, 40000, 80,
		      TG_TCP_SYN, 0));
	/* the same 5-tuple in the next file, earlier in time */
	add(t, pkt_ab(TG_PROTO_TCP, 1, 5 * SEC, false, 40000, 80,
		      TG_TCP_SYN | TG_TCP_ACK, 0));
	assert_int_equal(s->n, 1);
	assert_int_equal(s->rec[0].file, 0);
	assert_int_equal(s->rec[0].end, TG_END_EOF);
	assert_int_equal(s->rec[0].side[TG_DIR_S2C].packets, 0);
	add(t, pkt_ab(TG_PROTO_TCP, 1, 6 * SEC, true, 40000, 80, TG_TCP_ACK,
		      0));
	tg_flows_flush(t);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->rec[1].file, 1);
	assert_int_equal(s->rec[1].role_rule, TG_ROLE_SYNACK);
	assert_int_equal(s->rec[1].side[TG_DIR_C2S].packets, 1);
	assert_int_equal(s->rec[1].first_ns, 5 * SEC);
	tg_flows_free(t);
	free(s);
}

static void
test_flow_sequence_cap_and_eviction(void **state)
{
	struct seen *s = malloc(sizeof(*s));
	struct tg_flows *t = new_table(s, 4, 2);

	(void)state;
	for (int i = 0; i < 10; i++)
		add(t, tcp_ab((uint64_t)i * MS, i % 2 == 0, 40000, 443,
			      TG_TCP_ACK, 100));
	add(t, tcp_ab(20 * MS, true, 40001, 443, TG_TCP_SYN, 0));
	assert_int_equal(s->n, 0);
	add(t, tcp_ab(30 * MS, true, 40002, 443, TG_TCP_SYN, 0));
	assert_int_equal(s->n, 1);	/* a third open flow: one leaves */
	assert_int_equal(s->rec[0].end, TG_END_EVICTED);
	assert_int_equal(s->rec[0].client_port, 40000);
	assert_int_equal(s->rec[0].n_pkts, 4);
	assert_true(s->rec[0].pkts_truncated);
	assert_int_equal(s->rec[0].side[0].packets, 5);
	assert_int_equal(s->rec[0].side[1].packets, 5);
	assert_int_equal(s->rec[0].side[0].payload_bytes, 500);
	tg_flows_flush(t);

	const struct tg_flows_stats *st = tg_flows_stats(t);
	assert_int_equal(st->flows, 3);
	assert_int_equal(st->packets, 12);
	assert_int_equal(st->open_peak, 2);
	assert_int_equal(st->by_end[TG_END_EVICTED], 1);
	assert_int_equal(st->by_end[TG_END_EOF], 2);
	assert_int_equal(st->by_rule[TG_ROLE_SYN], 2);
	tg_flows_free(t);
	free(s);
}

static void
test_flow_icmp_and_other(void **state)
{
	struct seen *s = malloc(sizeof(*s));
	struct tg_flows *t = new_table(s, 0, 0);
	struct tg_trace_pkt p;

	(void)state;
	p = pkt_ab(TG_PROTO_ICMP, 0, 0, true, 0, 0, 0, 56);
	p.icmp_echo = true, p.icmp_type = 8, p.icmp_id = 7;
	add(t, p);
	p = pkt_ab(TG_PROTO_ICMP, 0, 1 * MS, false, 0, 0, 0, 56);
	p.icmp_echo = true, p.icmp_type = 0, p.icmp_id = 7;
	add(t, p);
	p = pkt_ab(TG_PROTO_ICMP, 0, 2 * MS, false, 0, 0, 0, 56);
	p.icmp_echo = true, p.icmp_type = 0, p.icmp_id = 8; /* reply first */
	add(t, p);
	p = pkt_ab(TG_PROTO_ICMP, 0, 3 * MS, false, 0, 0, 0, 28);
	p.icmp_type = 3;	/* destination unreachable */
	add(t, p);
	add(t, pkt_ab(89, 0, 4 * MS, true, 0, 0, 0, 40));	/* OSPF */
	add(t, pkt_ab(89, 0, 5 * MS, false, 0, 0, 0, 40));
	tg_flows_flush(t);
	assert_int_equal(s->n, 4);

	assert_true(s->rec[0].icmp_echo);
	assert_int_equal(s->rec[0].icmp_id, 7);
	assert_int_equal(s->rec[0].role_rule, TG_ROLE_ECHO);
	assert_memory_equal(s->rec[0].client.b, v4_src, 4);
	assert_int_equal(s->rec[0].side[TG_DIR_S2C].packets, 1);
	assert_string_equal(s->rec[0].service, "icmp");
	assert_int_equal(s->rec[1].icmp_id, 8);
	assert_memory_equal(s->rec[1].client.b, v4_src, 4);
	assert_false(s->rec[2].icmp_echo);
	assert_int_equal(s->rec[2].role_rule, TG_ROLE_FIRST);
	assert_int_equal(s->rec[3].proto, 89);
	assert_string_equal(s->rec[3].service, "other");
	assert_int_equal(s->rec[3].side[TG_DIR_S2C].packets, 1);
	tg_flows_free(t);
	free(s);
}

/* --- Services and ports -------------------------------------------------- */

static void
test_service_table(void **state)
{
	static const struct {
		uint8_t proto;
		uint16_t port;
		const char *name;
	} cases[] = {
		{ TG_PROTO_TCP, 80, "http" }, { TG_PROTO_TCP, 8080, "http" },
		{ TG_PROTO_TCP, 8000, "http" }, { TG_PROTO_TCP, 443, "tls" },
		{ TG_PROTO_TCP, 8443, "tls" }, { TG_PROTO_UDP, 443, "quic" },
		{ TG_PROTO_TCP, 993, "imaps" }, { TG_PROTO_TCP, 995, "pop3s" },
		{ TG_PROTO_TCP, 465, "smtps" }, { TG_PROTO_UDP, 53, "dns" },
		{ TG_PROTO_TCP, 53, "dns" }, { TG_PROTO_UDP, 5353, "mdns" },
		{ TG_PROTO_UDP, 5355, "llmnr" }, { TG_PROTO_UDP, 123, "ntp" },
		{ TG_PROTO_TCP, 22, "ssh" }, { TG_PROTO_TCP, 25, "smtp" },
		{ TG_PROTO_TCP, 587, "smtp" }, { TG_PROTO_TCP, 143, "imap" },
		{ TG_PROTO_TCP, 110, "pop3" }, { TG_PROTO_TCP, 21, "ftp" },
		{ TG_PROTO_TCP, 23, "telnet" }, { TG_PROTO_UDP, 5060, "sip" },
		{ TG_PROTO_TCP, 5061, "sip" }, { TG_PROTO_TCP, 554, "rtsp" },
		{ TG_PROTO_UDP, 137, "netbios" },
		{ TG_PROTO_TCP, 139, "netbios" }, { TG_PROTO_TCP, 445, "smb" },
		{ TG_PROTO_UDP, 161, "snmp" }, { TG_PROTO_UDP, 162, "snmp" },
		{ TG_PROTO_UDP, 67, "dhcp" }, { TG_PROTO_UDP, 68, "dhcp" },
		{ TG_PROTO_TCP, 389, "ldap" }, { TG_PROTO_UDP, 88, "kerberos" },
		{ TG_PROTO_TCP, 3389, "rdp" }, { TG_PROTO_TCP, 3306, "mysql" },
		{ TG_PROTO_TCP, 5432, "postgres" },
		{ TG_PROTO_TCP, 6881, "bittorrent" },
		{ TG_PROTO_UDP, 6889, "bittorrent" },
		{ TG_PROTO_UDP, 1194, "openvpn" },
		{ TG_PROTO_UDP, 3478, "stun" },
		{ TG_PROTO_UDP, 514, "syslog" }, { TG_PROTO_ICMP, 0, "icmp" },
		{ TG_PROTO_ICMPV6, 0, "icmpv6" },
		{ TG_PROTO_TCP, 6890, "other-tcp" },
		{ TG_PROTO_TCP, 123, "other-tcp" },
		{ TG_PROTO_UDP, 80, "other-udp" }, { 132, 80, "other" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_string_equal(tg_service_class(cases[i].proto,
						     cases[i].port),
				    cases[i].name);
}

static void
test_port_bins(void **state)
{
	uint16_t first, last;

	(void)state;
	for (uint32_t port = 0; port <= 65535; port++) {
		unsigned bin = tg_port_bin((uint16_t)port);

		assert_true(bin < TG_PORT_BINS);
		assert_int_equal(tg_port_bin_range(bin, &first, &last), 0);
		assert_true(port >= first && port <= last);
		if (port < 1024)
			assert_int_equal(bin, port);
		else
			assert_true(bin >= TG_PORT_BIN_FIRST_RANGE);
	}
	/* the ranges tile 1024-65535 in order */
	uint32_t next = 1024;
	for (unsigned b = TG_PORT_BIN_FIRST_RANGE; b < TG_PORT_BINS; b++) {
		assert_int_equal(tg_port_bin_range(b, &first, &last), 0);
		assert_int_equal(first, next);
		assert_int_equal(tg_port_bin(first), b);
		assert_int_equal(tg_port_bin(last), b);
		next = last + 1u;
	}
	assert_int_equal(next, 65536);
	assert_int_equal(tg_port_bin_range(TG_PORT_BINS, &first, &last), -1);
	assert_string_equal(tg_port_bin_name(tg_port_bin(80)), "well-known");
	assert_string_equal(tg_port_bin_name(tg_port_bin(40000)),
			    "ephemeral-linux");
	assert_int_equal(tg_port_bin(32767) + 1, tg_port_bin(32768));
	assert_int_equal(tg_port_bin(60999) + 1, tg_port_bin(61000));

	assert_int_equal(tg_client_ports(40000), TG_CPORTS_LINUX);
	assert_int_equal(tg_client_ports(32768), TG_CPORTS_LINUX);
	assert_int_equal(tg_client_ports(50000), TG_CPORTS_LINUX_OR_IANA);
	assert_int_equal(tg_client_ports(60999), TG_CPORTS_LINUX_OR_IANA);
	assert_int_equal(tg_client_ports(61000), TG_CPORTS_IANA);
	assert_int_equal(tg_client_ports(65535), TG_CPORTS_IANA);
	assert_int_equal(tg_client_ports(1024), TG_CPORTS_LEGACY);
	assert_int_equal(tg_client_ports(5000), TG_CPORTS_LEGACY);
	assert_int_equal(tg_client_ports(5001), TG_CPORTS_UNKNOWN);
	assert_int_equal(tg_client_ports(80), TG_CPORTS_UNKNOWN);
	assert_string_equal(tg_client_ports_name(TG_CPORTS_LINUX_OR_IANA),
			    "linux-or-iana");
}

/* --- The real captures --------------------------------------------------- */

#define TRAIN_FILES 435

struct train_tally {
	uint64_t flows;
	uint64_t flow_packets;
	uint64_t services_known;
	uint64_t by_start[TG_START_KINDS];
	uint32_t max_pkts;
	uint64_t *tcp;		/* per file */
	uint64_t *udp;
};

static void
tally_flow(const struct tg_flow_rec *f, void *arg)
{
	struct train_tally *t = arg;
	uint64_t n = f->side[0].packets + f->side[1].packets;

	assert_true(n > 0);
	assert_true(f->last_ns >= f->first_ns);
	assert_true(f->n_pkts <= t->max_pkts && f->n_pkts <= n);
	assert_true(f->pkts_truncated == (n > f->n_pkts));
	assert_non_null(f->service);
	t->flows++;
	t->flow_packets += n;
	t->by_start[f->start]++;
	t->services_known += strncmp(f->service, "other", 5) != 0;
}

static bool
have_tool(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* Every file's packet count as capinfos gives it, against ours. */
static void
check_capinfos(const char *dir, struct tg_trace *t)
{
	char cmd[1200], name[512];
	unsigned long count;
	unsigned matched = 0;

	snprintf(cmd, sizeof(cmd), "cd '%s' && capinfos -c -T -r -M * "
		 "2>/dev/null", dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	while (fscanf(p, "%511[^\t]\t%lu\n", name, &count) == 2) {
		for (uint32_t i = 0; i < tg_trace_file_count(t); i++) {
			const struct tg_trace_file *f = tg_trace_file(t, i);

			if (strcmp(base_name(f->path), name) != 0)
				continue;
			if (f->packets_read != count)
				fail_msg("%s: %llu packets, capinfos %lu",
					 name,
					 (unsigned long long)f->packets_read,
					 count);
			matched++;
		}
	}
	pclose(p);
	assert_int_equal(matched, tg_trace_file_count(t));
	print_message("capinfos agrees on the packet count of %u files\n",
		      matched);
}

/* tshark's counts of frames, and of TCP and UDP frames (not inside ICMP
 * errors), in one file. */
static void
tshark_counts(const char *file, long out[3])
{
	char cmd[1300], line[1024];

	snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' -T fields "
		 "-e frame.protocols 2>/dev/null", file);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	out[0] = out[1] = out[2] = 0;
	while (fgets(line, sizeof(line), p)) {
		bool icmp = strstr(line, ":icmp") != NULL;

		out[0]++;
		out[1] += !icmp && strstr(line, ":tcp") != NULL;
		out[2] += !icmp && strstr(line, ":udp") != NULL;
	}
	pclose(p);
}

static void
check_tshark(const char *dir, struct tg_trace *t,
	     const struct train_tally *tally)
{
	/* Ethernet, IPv4 and IPv6, no tunnels or fragments */
	static const char *const files[] = {
		"1kxun.pcap", "http_ipv6.pcap", "443-firefox.pcap",
	};

	for (size_t k = 0; k < sizeof(files) / sizeof(*files); k++) {
		char path[1200];
		long want[3];
		uint32_t i = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, files[k]);
		while (i < tg_trace_file_count(t) &&
		       strcmp(tg_trace_file(t, i)->path, path) != 0)
			i++;
		assert_true(i < tg_trace_file_count(t));
		assert_int_equal(tg_trace_file(t, i)->linktype, DLT_EN10MB);
		tshark_counts(path, want);
		print_message("%s: tshark %ld frames, %ld tcp, %ld udp\n",
			      files[k], want[0], want[1], want[2]);
		assert_int_equal(tg_trace_file(t, i)->packets_read, want[0]);
		assert_int_equal(tally->tcp[i], want[1]);
		assert_int_equal(tally->udp[i], want[2]);
	}
}

static void
test_training_captures(void **state)
{
	const char *root = getenv("TG_SOURCE_ROOT");
	char dir[1024], err[512];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/../shared/data/train",
		 root ? root : ".");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		print_message("SKIP: %s is absent: the real captures are not "
			      "here (set TG_SOURCE_ROOT to the source root)\n",
			      dir);
		skip();
	}
	const char *paths[] = { dir };
	struct tg_trace_conf conf = { .log = stdout };
	struct tg_trace *t;
	struct train_tally tally = { .max_pkts = 256 };
	struct tg_flows_conf fconf = { .on_flow = tally_flow, .arg = &tally,
				       .max_pkts = tally.max_pkts };
	struct tg_flows *flows = tg_flows_create(&fconf);
	struct tg_trace_pkt p;
	int rc;

	assert_int_equal(tg_trace_open(paths, 1, &conf, &t, err, sizeof(err)),
			 0);
	uint32_t n_files = tg_trace_file_count(t);
	tally.tcp = calloc(n_files, sizeof(*tally.tcp));
	tally.udp = calloc(n_files, sizeof(*tally.udp));
	while ((rc = tg_trace_next(t, &p)) == 1) {
		assert_int_equal(tg_flows_add(flows, &p), 0);
		tally.tcp[p.file] += p.proto == TG_PROTO_TCP;
		tally.udp[p.file] += p.proto == TG_PROTO_UDP;
	}
	assert_int_equal(rc, 0);
	tg_flows_flush(flows);

	const struct tg_trace_stats *s = tg_trace_stats(t);
	const struct tg_flows_stats *fs = tg_flows_stats(flows);
	print_message("%s:\n", dir);
	tg_trace_stats_print(s, stdout);
	printf("flows: %llu (open at most %llu)\n",
	       (unsigned long long)tally.flows,
	       (unsigned long long)fs->open_peak);
	for (int e = 0; e < TG_END_KINDS; e++)
		printf("  ended %s: %llu\n",
		       tg_flow_end_name((enum tg_flow_end)e),
		       (unsigned long long)fs->by_end[e]);
	for (int r = 0; r < TG_ROLE_RULES; r++)
		printf("  roles by %s: %llu\n",
		       tg_flow_role_rule_name((enum tg_flow_role_rule)r),
		       (unsigned long long)fs->by_rule[r]);
	printf("  with a known service: %llu\n",
	       (unsigned long long)tally.services_known);

	assert_int_equal(s->files, TRAIN_FILES);
	assert_int_equal(s->files_opened, TRAIN_FILES);
	assert_int_equal(s->files_failed, 0);
	assert_true(s->packets_read > 80000);
	assert_true(s->packets_kept > 0.9 * (double)s->packets_read);
	assert_int_equal(s->reasons[TG_TRACE_OK], s->packets_kept);
	uint64_t sum = 0;
	for (int r = 0; r < TG_TRACE_REASONS; r++)
		sum += s->reasons[r];
	assert_int_equal(sum, s->packets_read);
	/* every kept packet is in exactly one flow */
	assert_int_equal(tally.flow_packets, s->packets_kept);
	assert_true(tally.flows >= 3000 && tally.flows <= 20000);
	assert_int_equal(fs->flows, tally.flows);

	if (have_tool("capinfos"))
		check_capinfos(dir, t);
	else
		print_message("capinfos absent: packet counts not checked\n");
	if (have_tool("tshark"))
		check_tshark(dir, t, &tally);
	else
		print_message("tshark absent: TCP/UDP counts not checked\n");
	free(tally.tcp);
	free(tally.udp);
	tg_flows_free(flows);
	tg_trace_close(t);
}

/* A pcap file header (microseconds, Ethernet) with snaplen `snap`, then
 * records of `frame`: record i claims caplen[i] and wire length wire[i],
 * and holds min(caplen[i], n) bytes (a record claiming more ends the file,
 * as a corrupt length field would). */
static void
write_bogus(const char *dir, const char *name, uint32_t snap,
	    const uint8_t *frame, uint32_t n, const uint32_t *caplen,
	    const uint32_t *wire, unsigned records)
{
	uint8_t buf[1024], *p = buf;

	le32(&p, 0xa1b2c3d4), le16(&p, 2), le16(&p, 4), le32(&p, 0);
	le32(&p, 0), le32(&p, snap), le32(&p, DLT_EN10MB);
	for (unsigned i = 0; i < records; i++) {
		uint32_t len = caplen[i] < n ? caplen[i] : n;

		le32(&p, 1700000000), le32(&p, i), le32(&p, caplen[i]);
		le32(&p, wire[i]);
		memcpy(p, frame, len);
		p += len;
	}
	write_bytes(dir, name, buf, (size_t)(p - buf));
}

/* Read all of `path`: the kept packets, and the reader's statistics. */
static unsigned
read_all(const char *path, struct tg_trace_stats *stats, bool *torn)
{
	const char *paths[] = { path };
	struct tg_trace *t;
	struct tg_trace_pkt p;
	unsigned kept = 0;
	char err[256];
	int rc;

	assert_int_equal(tg_trace_open(paths, 1, NULL, &t, err, sizeof(err)),
			 0);
	while ((rc = tg_trace_next(t, &p)) == 1)
		kept++;
	assert_int_equal(rc, 0);
	*stats = *tg_trace_stats(t);
	*torn = tg_trace_file(t, 0)->error != NULL;
	tg_trace_close(t);
	return kept;
}

/* Records with bogus lengths or a bogus snaplen never make the reader read
 * past a record or allocate what they claim: each is kept, skipped by a
 * reason, or ends its file as torn. */
static void
test_reader_bogus_lengths(void **state)
{
	static const uint8_t eth[14] = { [12] = 0x08, 0x00 };
	char dir[] = "/tmp/tg_trace_bogus.XXXXXX", path[96];
	uint8_t ip[256], f[300];
	uint32_t n = framed(f, eth, 14, ip, ip_udp(ip, 4, 1000, 53, NULL, 20));
	struct tg_trace_stats st;
	bool torn;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* 256 MB claimed: libpcap refuses the record, the file is torn
	 * after its first packet. */
	write_bogus(dir, "huge.pcap", 65535, f, n,
		    (uint32_t[]){ n, 1u << 28 }, (uint32_t[]){ n, 1u << 28 },
		    2);
	snprintf(path, sizeof(path), "%s/huge.pcap", dir);
	assert_int_equal(read_all(path, &st, &torn), 1);
	assert_true(torn);
	assert_int_equal(st.files_torn, 1);
	/* Records longer than the file's snaplen are cut to it (inside the
	 * UDP header: truncated); an empty record is truncated too. */
	write_bogus(dir, "snap.pcap", 40, f, n, (uint32_t[]){ n, 0 },
		    (uint32_t[]){ n, n }, 2);
	snprintf(path, sizeof(path), "%s/snap.pcap", dir);
	assert_int_equal(read_all(path, &st, &torn), 0);
	assert_int_equal(st.reasons[TG_TRACE_TRUNCATED], 2);
	assert_false(torn);
	/* Snaplen 0 or 2^32-1 in the header: the records are read as they
	 * are. More captured than on the wire: the wire length is taken as
	 * the captured one. */
	write_bogus(dir, "snap0.pcap", 0, f, n, (uint32_t[]){ n, n },
		    (uint32_t[]){ n, 30 }, 2);
	snprintf(path, sizeof(path), "%s/snap0.pcap", dir);
	assert_int_equal(read_all(path, &st, &torn), 2);
	write_bogus(dir, "snapmax.pcap", UINT32_MAX, f, n,
		    (uint32_t[]){ n }, (uint32_t[]){ n }, 1);
	snprintf(path, sizeof(path), "%s/snapmax.pcap", dir);
	assert_int_equal(read_all(path, &st, &torn), 1);
	assert_int_equal(st.packets_read, st.packets_kept);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest decoder[] = {
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_every_cut_is_truncated),
		cmocka_unit_test(test_short_frames_are_malformed),
		cmocka_unit_test(test_not_ip_and_unknown_links),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_ah_is_skipped),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_tunnels_and_esp),
		cmocka_unit_test(test_udp_tunnels),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_tcp_options),
		cmocka_unit_test(test_icmp_and_other_protocols),
		cmocka_unit_test(test_garbage_never_crashes),
	};
	const struct CMUnitTest reader[] = {
		cmocka_unit_test(test_reader_folder),
		cmocka_unit_test(test_reader_strict_and_errors),
		cmocka_unit_test(test_reader_bogus_lengths),
	};
	const struct CMUnitTest flows[] = {
		cmocka_unit_test(test_flow_syn_roles_and_fin),
		cmocka_unit_test(test_flow_syn_reuse),
		cmocka_unit_test(test_flow_mid_flow_roles),
		cmocka_unit_test(test_flow_idle_timeouts),
		cmocka_unit_test(test_flow_finish_order),
		cmocka_unit_test(test_flow_files_are_separate),
		cmocka_unit_test(test_flow_sequence_cap_and_eviction),
		cmocka_unit_test(test_flow_icmp_and_other),
		cmocka_unit_test(test_service_table),
		cmocka_unit_test(test_port_bins),
		cmocka_unit_test(test_training_captures),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("trace decoder", decoder, NULL,
					      NULL);
	failed += cmocka_run_group_tests_name("trace reader", reader,
					      make_capture_folder,
					      remove_capture_folder);
	failed += cmocka_run_group_tests_name("trace flows", flows, NULL, NULL);
	return failed;
}
