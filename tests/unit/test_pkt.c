/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the frame writers and the checksum routine (lib/pkt).
 *
 * Checksums are checked two ways: against a deliberately naive reference
 * written here from RFC 1071, and against real packets the Linux kernel
 * wrote (captured on a veth pair with checksum offload off, and verified
 * with tshark's checksum validation): our writer must reproduce them byte
 * for byte from their header fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tg_cksum.h"
#include "tg_pkt.h"

/* RFC 1071 the slow way: 16-bit words, end-around carry after each add. */
static uint16_t
reference_sum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

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

/* Checksum over a buffer made of the given pseudo-header and data. */
static uint16_t
reference_l4_cksum(const uint8_t *pseudo, size_t plen, const uint8_t *l4,
		   size_t len)
{
	uint8_t all[2048];

	memcpy(all, pseudo, plen);
	memcpy(all + plen, l4, len);
	return (uint16_t)~reference_sum(all, plen + len);
}

static void
hex_to_bytes(const char *hex, uint8_t *out, size_t *len)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
	*len = n;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
test_cksum_matches_reference(void **state)
{
	uint8_t buf[400];

	(void)state;
	srand(1);
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rand();
		if (round == 0)
			memset(buf, 0xff, sizeof(buf));	/* carries galore */
		for (size_t off = 0; off < 4; off++) {
			for (size_t len = 0; len <= 300; len++) {
				uint32_t s = tg_cksum_add(0, buf + off, len);

				assert_int_equal(tg_cksum_fold(s),
						 reference_sum(buf + off, len));
			}
		}
	}
}

static void
test_cksum_pieces_add_up(void **state)
{
	uint8_t buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (size_t cut = 0; cut <= sizeof(buf); cut += 2) {
		uint32_t s = tg_cksum_add(0, buf, cut);

		s = tg_cksum_add(s, buf + cut, sizeof(buf) - cut);
		assert_int_equal(tg_cksum_fold(s),
				 reference_sum(buf, sizeof(buf)));
	}
	/* A large starting sum must not lose its carry. */
	assert_int_equal(tg_cksum_fold(tg_cksum_add(0xffffffffu, buf, 64)),
			 tg_cksum_fold(tg_cksum_add(0xffff, buf, 64)));
}

/* The textbook IPv4 header (Wikipedia "IPv4 header checksum"). */
static void
test_ipv4_textbook_header(void **state)
{
	uint8_t hdr[20];
	size_t n;

	(void)state;
	hex_to_bytes("450000730000400040110000c0a80001c0a800c7", hdr, &n);
	assert_int_equal(tg_cksum_finish(tg_cksum_add(0, hdr, n)), 0xb861);

	struct tg_pkt_spec spec = {
		.ip_version = 4, .ttl = 64, .proto = TG_PROTO_UDP, .df = true,
		.src.b = { 192, 168, 0, 1 }, .dst.b = { 192, 168, 0, 199 },
	};
	uint8_t out[20];

	assert_int_equal(tg_pkt_write_ipv4(&spec, out, 0x73 - 20), 20);
	hdr[10] = 0xb8;
	hdr[11] = 0x61;
	assert_memory_equal(out, hdr, 20);
	/* A correct header sums to all ones. */
	assert_int_equal(reference_sum(out, 20), 0xffff);
}

/* --- Packets written by the Linux kernel ------------------------------- */

static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t mac_src[6] = { 0x02, 0x96, 0x59, 0x52, 0x15, 0xe5 };

static struct tg_pkt_spec
kernel_spec(uint8_t version, uint8_t proto)
{
	struct tg_pkt_spec spec = { .ip_version = version, .proto = proto,
				    .ttl = 64, .df = true };

	memcpy(spec.eth_dst, mac_dst, 6);
	memcpy(spec.eth_src, mac_src, 6);
	if (version == 4) {
		memcpy(spec.src.b, (uint8_t[]){ 198, 51, 100, 1 }, 4);
		memcpy(spec.dst.b, (uint8_t[]){ 198, 51, 100, 2 }, 4);
	} else {
		uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };

		a[15] = 1;
		memcpy(spec.src.b, a, 16);
		a[15] = 2;
		memcpy(spec.dst.b, a, 16);
	}
	return spec;
}

static void
expect_frame(const struct tg_pkt_spec *spec, const char *hex)
{
	uint8_t want[256], got[256];
	size_t n;
	struct tg_pkt_layout layout;

	hex_to_bytes(hex, want, &n);
	memset(got, 0xaa, sizeof(got));
	assert_int_equal(tg_pkt_write(spec, got, sizeof(got), &layout), n);
	assert_int_equal(layout.frame_len, n);
	assert_memory_equal(got, want, n);
}

static const struct tg_tcp_opts linux_syn_opts = {
	.mss = 1460, .sack_perm = true, .has_ts = true, .has_wscale = true,
	.wscale = 10,
};

static void
test_kernel_tcp_syn_ipv4(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_TCP);

	(void)state;
	spec.ip_id = 0xb37f;
	spec.sport = 42096;
	spec.dport = 8080;
	spec.tcp = (struct tg_tcp_fields){ .seq = 0x6a44e52b, .ack = 0,
					   .flags = TG_TCP_SYN,
					   .window = 64240,
					   .opts = linux_syn_opts };
	spec.tcp.opts.tsval = 0xd09ad9bc;
	expect_frame(&spec,
		     "0200000000020296595215e508004500003cb37f4000400632d2c633"
		     "6401c6336402a4701f906a44e52b00000000a002faf03ad900000204"
		     "05b40402080ad09ad9bc000000000103030a");
}

static const uint8_t dns_query[] = {
	0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00,
	0x00, 0x01, 0x00, 0x01,
};

static void
test_kernel_udp_dns_ipv4(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_UDP);

	(void)state;
	spec.ip_id = 0x1d72;
	spec.sport = 43055;
	spec.dport = 53;
	spec.payload = dns_query;
	spec.payload_len = sizeof(dns_query);
	expect_frame(&spec,
		     "0200000000020296595215e50800450000391d7240004011c8d7c633"
		     "6401c6336402a82f003500258799abcd010000010000000000000765"
		     "78616d706c6503636f6d0000010001");
}

static const uint8_t echo_data[] = "tempogen-echo-16";

static void
test_kernel_icmp_echo_ipv4(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_ICMP);

	(void)state;
	spec.ip_id = 0xc378;
	spec.icmp = (struct tg_icmp_fields){ .type = 8, .id = 0x4d3e,
					     .seq = 1 };
	spec.payload = echo_data;
	spec.payload_len = 16;
	expect_frame(&spec,
		     "0200000000020296595215e508004500002cc3784000400122eec633"
		     "6401c63364020800c2e34d3e000174656d706f67656e2d6563686f2d"
		     "3136");
}

static void
test_kernel_tcp_syn_ipv6(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(6, TG_PROTO_TCP);

	(void)state;
	spec.flow_label = 0x6b796;
	spec.sport = 54802;
	spec.dport = 8080;
	spec.tcp = (struct tg_tcp_fields){ .seq = 0xeab1ee30,
					   .flags = TG_TCP_SYN,
					   .window = 64800,
					   .opts = linux_syn_opts };
	spec.tcp.opts.mss = 1440;
	spec.tcp.opts.tsval = 0x4258d71c;
	expect_frame(&spec,
		     "0200000000020296595215e586dd6006b7960028064020010db80000"
		     "0000000000000000000120010db8000000000000000000000002d612"
		     "1f90eab1ee3000000000a002fd2007810000020405a00402080a4258"
		     "d71c000000000103030a");
}

static void
test_kernel_udp_dns_ipv6(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(6, TG_PROTO_UDP);

	(void)state;
	spec.flow_label = 0x4bd4d;
	spec.sport = 51486;
	spec.dport = 53;
	spec.payload = dns_query;
	spec.payload_len = sizeof(dns_query);
	expect_frame(&spec,
		     "0200000000020296595215e586dd6004bd4d0025114020010db80000"
		     "0000000000000000000120010db8000000000000000000000002c91e"
		     "003500255fa0abcd01000001000000000000076578616d706c650363"
		     "6f6d0000010001");
}

static void
test_kernel_icmpv6_echo(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(6, TG_PROTO_ICMPV6);

	(void)state;
	spec.flow_label = 0x9ad19;
	spec.icmp = (struct tg_icmp_fields){ .type = 128, .id = 0x4d3c,
					     .seq = 1 };
	spec.payload = echo_data;
	spec.payload_len = 16;
	expect_frame(&spec,
		     "0200000000020296595215e586dd6009ad1900183a4020010db80000"
		     "0000000000000000000120010db80000000000000000000000028000"
		     "ef1d4d3c000174656d706f67656e2d6563686f2d3136");
}

/* --- Layouts and the checksums of generated packets -------------------- */

static void
test_tcp_option_layouts(void **state)
{
	struct tg_tcp_opts o = { 0 };
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_TCP);
	uint8_t buf[128];

	(void)state;
	/* data segment: NOP NOP TS */
	o.has_ts = true;
	o.tsval = 0x01020304;
	o.tsecr = 0x05060708;
	spec.tcp.opts = o;
	assert_int_equal(tg_pkt_write_tcp(&spec, buf), 32);
	assert_int_equal(buf[12] >> 4, 8);
	assert_memory_equal(buf + 20, ((uint8_t[]){ 1, 1, 8, 10, 1, 2, 3, 4,
						    5, 6, 7, 8 }), 12);
	/* SYN without timestamps: MSS, NOP NOP SACK_PERM, NOP WS */
	o = (struct tg_tcp_opts){ .mss = 1400, .sack_perm = true,
				  .has_wscale = true, .wscale = 7 };
	spec.tcp.opts = o;
	assert_int_equal(tg_pkt_write_tcp(&spec, buf), 32);
	assert_memory_equal(buf + 20, ((uint8_t[]){ 2, 4, 0x05, 0x78, 1, 1, 4,
						    2, 1, 3, 3, 7 }), 12);
	/* SYN with timestamps but no SACK: MSS, NOP NOP TS, NOP WS */
	o = (struct tg_tcp_opts){ .mss = 536, .has_ts = true, .tsval = 9,
				  .has_wscale = true, .wscale = 0 };
	spec.tcp.opts = o;
	assert_int_equal(tg_pkt_write_tcp(&spec, buf), 40);
	assert_memory_equal(buf + 20, ((uint8_t[]){ 2, 4, 0x02, 0x18, 1, 1, 8,
						    10, 0, 0, 0, 9, 0, 0, 0, 0,
						    1, 3, 3, 0 }), 20);
	/* MSS alone, and no options at all */
	spec.tcp.opts = (struct tg_tcp_opts){ .mss = 1460 };
	assert_int_equal(tg_pkt_write_tcp(&spec, buf), 24);
	assert_int_equal(buf[12] >> 4, 6);
	spec.tcp.opts = (struct tg_tcp_opts){ 0 };
	assert_int_equal(tg_pkt_write_tcp(&spec, buf), 20);
	assert_int_equal(buf[12] >> 4, 5);
}

/* Check a written frame's checksums with the reference routine. */
static void
check_frame_cksums(const uint8_t *f, const struct tg_pkt_layout *lay,
		   uint8_t proto, int version)
{
	const uint8_t *ip = f + lay->l2_len;
	const uint8_t *l4 = ip + lay->l3_len;
	size_t l4_len = lay->frame_len - lay->l2_len - lay->l3_len;
	uint8_t pseudo[40] = { 0 };
	size_t plen;

	if (version == 4) {
		assert_int_equal(reference_sum(ip, 20), 0xffff);
		assert_int_equal(be16(ip + 2), lay->frame_len - lay->l2_len);
		memcpy(pseudo, ip + 12, 8);
		pseudo[9] = proto;
		pseudo[10] = (uint8_t)(l4_len >> 8);
		pseudo[11] = (uint8_t)l4_len;
		plen = 12;
	} else {
		assert_int_equal(be16(ip + 4), l4_len);
		memcpy(pseudo, ip + 8, 32);
		pseudo[34] = (uint8_t)(l4_len >> 8);
		pseudo[35] = (uint8_t)l4_len;
		pseudo[39] = proto;
		plen = 40;
	}
	if (proto == TG_PROTO_ICMP)
		plen = 0;
	/* Including the stored checksum, the sum must be all ones. */
	assert_int_equal(reference_l4_cksum(pseudo, plen, l4, l4_len), 0);
}

static void
test_random_frames_have_valid_checksums(void **state)
{
	static const uint8_t protos[] = { TG_PROTO_TCP, TG_PROTO_UDP,
					  TG_PROTO_ICMP };
	uint8_t payload[1500], frame[1600];

	(void)state;
	srand(42);
	for (int i = 0; i < 3000; i++) {
		int version = (i & 1) ? 6 : 4;
		uint8_t proto = protos[i % 3];
		struct tg_pkt_spec spec = { .ip_version = (uint8_t)version,
					    .ttl = (uint8_t)(1 + rand() % 255),
					    .sport = (uint16_t)rand(),
					    .dport = (uint16_t)rand(),
					    .ip_id = (uint16_t)rand() };
		struct tg_pkt_layout lay;

		if (proto == TG_PROTO_ICMP && version == 6)
			proto = TG_PROTO_ICMPV6;
		spec.proto = proto;
		for (int b = 0; b < 16; b++) {
			spec.src.b[b] = (uint8_t)rand();
			spec.dst.b[b] = (uint8_t)rand();
		}
		if (i % 5 == 0)
			spec.vlan_tci = (uint16_t)(rand() & 0xefff) | 1;
		spec.payload_len = (uint16_t)(rand() % 1400);
		for (int b = 0; b < spec.payload_len; b++)
			payload[b] = (uint8_t)rand();
		spec.payload = payload;
		spec.tcp.seq = (uint32_t)rand();
		spec.tcp.flags = TG_TCP_ACK;
		spec.tcp.opts.has_ts = i % 3 == 0;
		spec.tcp.opts.tsval = (uint32_t)rand();
		if (proto == TG_PROTO_ICMP || proto == TG_PROTO_ICMPV6) {
			spec.icmp.type = version == 4 ? 8 : 128;
			spec.icmp.id = (uint16_t)rand();
		}
		assert_true(tg_pkt_write(&spec, frame, sizeof(frame), &lay) > 0);
		assert_memory_equal(frame + tg_pkt_header_len(&spec), payload,
				    spec.payload_len);
		check_frame_cksums(frame, &lay, proto, version);
	}
}

static void
test_vlan_tag(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(6, TG_PROTO_UDP);
	uint8_t frame[128];
	struct tg_pkt_layout lay;

	(void)state;
	spec.vlan_tci = 3u << 13 | 100;		/* PCP 3, VID 100 */
	assert_int_equal(tg_pkt_write(&spec, frame, sizeof(frame), &lay),
			 18 + 40 + 8);
	assert_int_equal(lay.l2_len, 18);
	assert_int_equal(be16(frame + 12), 0x8100);
	assert_int_equal(be16(frame + 14), 0x6064);
	assert_int_equal(be16(frame + 16), 0x86dd);
	assert_int_equal(frame[18] >> 4, 6);
}

/* A UDP datagram whose checksum computes to zero is sent as 0xffff. */
static void
test_udp_zero_checksum_is_sent_as_ffff(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_UDP);
	uint8_t frame[128], payload[2] = { 0, 0 };
	struct tg_pkt_layout lay;
	unsigned found = 0;

	(void)state;
	spec.payload = payload;
	spec.payload_len = 2;
	/* Try payload words until the checksum would be zero. */
	for (uint32_t w = 0; w <= 0xffff; w++) {
		payload[0] = (uint8_t)(w >> 8);
		payload[1] = (uint8_t)w;
		tg_pkt_write(&spec, frame, sizeof(frame), &lay);
		uint16_t stored = be16(frame + 14 + 20 + 6);

		assert_int_not_equal(stored, 0);
		if (stored == 0xffff)
			found++;
		check_frame_cksums(frame, &lay, TG_PROTO_UDP, 4);
	}
	/* Both 0 and 0xffff would compute to "all ones": two words. */
	assert_true(found >= 1);
}

static void
test_offload_form(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_TCP);
	uint8_t frame[256], copy[256];
	struct tg_pkt_layout lay;

	(void)state;
	spec.payload = echo_data;
	spec.payload_len = 16;
	spec.tcp.flags = TG_TCP_ACK | TG_TCP_PSH;
	spec.offload = TG_PKT_OFFLOAD_IPV4_CKSUM | TG_PKT_OFFLOAD_L4_CKSUM;
	uint16_t n = tg_pkt_write(&spec, frame, sizeof(frame), &lay);

	assert_int_equal(n, 14 + 20 + 20 + 16);
	assert_int_equal(be16(frame + 14 + 10), 0);
	/* The L4 field holds the folded pseudo-header sum, as
	 * rte_ipv4_phdr_cksum() computes it: src, dst, proto, L4 length. */
	uint16_t l4_len = 36;
	uint8_t pseudo[12] = { 198, 51, 100, 1, 198, 51, 100, 2, 0, 6, 0,
			       (uint8_t)l4_len };
	assert_int_equal(be16(frame + 14 + 20 + 16),
			 reference_sum(pseudo, 12));

	/* What the NIC does must give the same frame as software. */
	memcpy(copy, frame, n);
	copy[24] = 0;
	copy[25] = 0;
	uint16_t ip = (uint16_t)~reference_sum(copy + 14, 20);
	copy[24] = (uint8_t)(ip >> 8);
	copy[25] = (uint8_t)ip;
	uint16_t l4 = (uint16_t)~reference_sum(copy + 34, l4_len);
	copy[34 + 16] = (uint8_t)(l4 >> 8);
	copy[34 + 17] = (uint8_t)l4;
	spec.offload = 0;
	tg_pkt_write(&spec, frame, sizeof(frame), &lay);
	assert_memory_equal(copy, frame, n);

	/* IPv6 too: pseudo-header folded, no IP checksum at all. */
	spec = kernel_spec(6, TG_PROTO_UDP);
	spec.offload = TG_PKT_OFFLOAD_L4_CKSUM;
	tg_pkt_write(&spec, frame, sizeof(frame), &lay);
	assert_int_equal(be16(frame + 14 + 40 + 6),
			 tg_cksum_fold(tg_cksum_pseudo6(spec.src.b, spec.dst.b,
							TG_PROTO_UDP, 8)));
	/* ICMP is never offloaded. */
	spec = kernel_spec(4, TG_PROTO_ICMP);
	spec.offload = TG_PKT_OFFLOAD_L4_CKSUM;
	tg_pkt_write(&spec, frame, sizeof(frame), &lay);
	assert_int_equal(reference_sum(frame + 34, 8), 0xffff);
}

static void
test_rejects_what_does_not_fit(void **state)
{
	struct tg_pkt_spec spec = kernel_spec(4, TG_PROTO_TCP);
	uint8_t frame[64];

	(void)state;
	spec.payload_len = 11;	/* 54 + 11 = 65 bytes */
	assert_int_equal(tg_pkt_write(&spec, frame, 64, NULL), 0);
	spec.payload_len = 10;
	assert_int_equal(tg_pkt_write(&spec, frame, 64, NULL), 64);
	spec.proto = 132;	/* SCTP: not ours */
	assert_int_equal(tg_pkt_write(&spec, frame, 64, NULL), 0);
	spec.proto = TG_PROTO_ICMPV6;	/* ICMPv6 over IPv4 */
	assert_int_equal(tg_pkt_write(&spec, frame, 64, NULL), 0);
	spec.proto = TG_PROTO_UDP;
	spec.ip_version = 5;
	assert_int_equal(tg_pkt_write(&spec, frame, 64, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cksum_matches_reference),
		cmocka_unit_test(test_cksum_pieces_add_up),
		cmocka_unit_test(test_ipv4_textbook_header),
		cmocka_unit_test(test_kernel_tcp_syn_ipv4),
		cmocka_unit_test(test_kernel_udp_dns_ipv4),
		cmocka_unit_test(test_kernel_icmp_echo_ipv4),
		cmocka_unit_test(test_kernel_tcp_syn_ipv6),
		cmocka_unit_test(test_kernel_udp_dns_ipv6),
		cmocka_unit_test(test_kernel_icmpv6_echo),
		cmocka_unit_test(test_tcp_option_layouts),
		cmocka_unit_test(test_random_frames_have_valid_checksums),
		cmocka_unit_test(test_vlan_tag),
		cmocka_unit_test(test_udp_zero_checksum_is_sent_as_ffff),
		cmocka_unit_test(test_offload_form),
		cmocka_unit_test(test_rejects_what_does_not_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
