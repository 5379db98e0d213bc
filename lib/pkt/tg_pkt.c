/* SPDX-License-Identifier: BSD-3-Clause
 * Frame writers: Ethernet (+802.1Q), IPv4/IPv6, TCP/UDP/ICMP(v6) echo.
 * All multi-byte fields are written big-endian byte by byte, so the code
 * neither depends on the host's byte order nor on the buffer's alignment.
 */
#include <string.h>

#include "tg_cksum.h"
#include "tg_bytes.h"
#include "tg_pkt.h"

#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WSCALE 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TIMESTAMP 8
#define IPV4_FLAG_DF 0x4000

/* Header fields one after another: store and step past. */
static inline uint8_t *
put16(uint8_t *p, uint16_t v)
{
	tg_put_be16(p, v);
	return p + 2;
}

static inline uint8_t *
put32(uint8_t *p, uint32_t v)
{
	tg_put_be32(p, v);
	return p + 4;
}

static uint16_t
l2_len(const struct tg_pkt_spec *spec)
{
	return TG_ETH_HDR_LEN + (spec->vlan_tci ? TG_VLAN_HDR_LEN : 0);
}

static uint16_t
l3_len(const struct tg_pkt_spec *spec)
{
	return spec->ip_version == 6 ? TG_IPV6_HDR_LEN : TG_IPV4_HDR_LEN;
}

static uint16_t
l4_hdr_len(const struct tg_pkt_spec *spec)
{
	switch (spec->proto) {
	case TG_PROTO_TCP:
		return TG_TCP_HDR_LEN + tg_pkt_tcp_opts_len(&spec->tcp.opts);
	case TG_PROTO_UDP:
		return TG_UDP_HDR_LEN;
	case TG_PROTO_ICMP:
	case TG_PROTO_ICMPV6:
		return TG_ICMP_ECHO_HDR_LEN;
	}
	return 0;
}

static bool
spec_is_valid(const struct tg_pkt_spec *spec)
{
	if (spec->ip_version != 4 && spec->ip_version != 6)
		return false;
	switch (spec->proto) {
	case TG_PROTO_TCP:
	case TG_PROTO_UDP:
		return true;
	case TG_PROTO_ICMP:	/* each ICMP flavour with its own IP */
		return spec->ip_version == 4;
	case TG_PROTO_ICMPV6:
		return spec->ip_version == 6;
	}
	return false;
}

uint16_t
tg_pkt_header_len(const struct tg_pkt_spec *spec)
{
	return (uint16_t)(l2_len(spec) + l3_len(spec) + l4_hdr_len(spec));
}

uint16_t
tg_pkt_write_eth(const struct tg_pkt_spec *spec, uint8_t *buf)
{
	uint8_t *p = buf;

	memcpy(p, spec->eth_dst, 6);
	memcpy(p + 6, spec->eth_src, 6);
	p += 12;
	if (spec->vlan_tci) {
		p = put16(p, TG_ETHERTYPE_VLAN);
		p = put16(p, spec->vlan_tci);
	}
	p = put16(p, spec->ip_version == 6 ? TG_ETHERTYPE_IPV6
					   : TG_ETHERTYPE_IPV4);
	return (uint16_t)(p - buf);
}

uint16_t
tg_pkt_write_ipv4(const struct tg_pkt_spec *spec, uint8_t *buf,
		  uint16_t l4_total_len)
{
	uint8_t *p = buf;

	*p++ = 0x45;		/* version 4, 5 words: no options */
	*p++ = spec->tos;
	p = put16(p, (uint16_t)(TG_IPV4_HDR_LEN + l4_total_len));
	p = put16(p, spec->ip_id);
	p = put16(p, spec->df ? IPV4_FLAG_DF : 0);
	*p++ = spec->ttl;
	*p++ = spec->proto;
	p = put16(p, 0);	/* checksum, below */
	memcpy(p, spec->src.b, 4);
	memcpy(p + 4, spec->dst.b, 4);

	/* With offload the NIC fills it and expects zero here. */
	if (!(spec->offload & TG_PKT_OFFLOAD_IPV4_CKSUM))
		put16(buf + 10, tg_cksum_finish(tg_cksum_add(0, buf,
							     TG_IPV4_HDR_LEN)));
	return TG_IPV4_HDR_LEN;
}

uint16_t
tg_pkt_write_ipv6(const struct tg_pkt_spec *spec, uint8_t *buf,
		  uint16_t l4_total_len)
{
	uint32_t first = 6u << 28 | (uint32_t)spec->tos << 20 |
			 (spec->flow_label & 0xfffff);
	uint8_t *p = put32(buf, first);

	p = put16(p, l4_total_len);
	*p++ = spec->proto;	/* next header */
	*p++ = spec->ttl;	/* hop limit */
	memcpy(p, spec->src.b, 16);
	memcpy(p + 16, spec->dst.b, 16);
	return TG_IPV6_HDR_LEN;
}

/* Options are laid out the way Linux's tcp_options_write() does: every
 * option is aligned by where it starts, not padded at the end, so the total
 * is always a multiple of 4 and no EOL is needed:
 *   - MSS (4 bytes) fills a word;
 *   - timestamps (10 bytes) take two bytes in front so that TSval and TSecr
 *     are word aligned: SACK_PERM if it is there, else NOP NOP;
 *   - SACK_PERM without timestamps gets NOP NOP in front;
 *   - window scale (3 bytes) gets one NOP in front;
 *   - a SACK block (10 bytes) comes last, with NOP NOP in front.
 * So a SYN with everything is MSS | SACK_PERM TS | NOP WS (20 bytes), a
 * segment with timestamps only is NOP NOP TS (12 bytes), and an ACK with
 * a SACK block NOP NOP TS | NOP NOP SACK (24 bytes). */
uint16_t
tg_pkt_tcp_opts_len(const struct tg_tcp_opts *opts)
{
	uint16_t len = 0;

	if (opts->mss)
		len += 4;
	if (opts->has_ts)
		len += 12;
	else if (opts->sack_perm)
		len += 4;
	if (opts->has_wscale)
		len += 4;
	if (opts->has_sack)
		len += 12;
	return len;
}

static uint8_t *
write_tcp_opts(const struct tg_tcp_opts *opts, uint8_t *p)
{
	if (opts->mss) {
		*p++ = TCP_OPT_MSS;
		*p++ = 4;
		p = put16(p, opts->mss);
	}
	if (opts->has_ts) {
		if (opts->sack_perm) {
			*p++ = TCP_OPT_SACK_PERM;
			*p++ = 2;
		} else {
			*p++ = TCP_OPT_NOP;
			*p++ = TCP_OPT_NOP;
		}
		*p++ = TCP_OPT_TIMESTAMP;
		*p++ = 10;
		p = put32(p, opts->tsval);
		p = put32(p, opts->tsecr);
	} else if (opts->sack_perm) {
		*p++ = TCP_OPT_NOP;
		*p++ = TCP_OPT_NOP;
		*p++ = TCP_OPT_SACK_PERM;
		*p++ = 2;
	}
	if (opts->has_wscale) {
		*p++ = TCP_OPT_NOP;
		*p++ = TCP_OPT_WSCALE;
		*p++ = 3;
		*p++ = opts->wscale;
	}
	if (opts->has_sack) {
		*p++ = TCP_OPT_NOP;
		*p++ = TCP_OPT_NOP;
		*p++ = TCP_OPT_SACK;
		*p++ = 10;
		p = put32(p, opts->sack_left);
		p = put32(p, opts->sack_right);
	}
	return p;
}

uint16_t
tg_pkt_write_tcp(const struct tg_pkt_spec *spec, uint8_t *buf)
{
	const struct tg_tcp_fields *tcp = &spec->tcp;
	uint16_t len = TG_TCP_HDR_LEN + tg_pkt_tcp_opts_len(&tcp->opts);
	uint8_t *p = buf;

	p = put16(p, spec->sport);
	p = put16(p, spec->dport);
	p = put32(p, tcp->seq);
	p = put32(p, tcp->ack);
	*p++ = (uint8_t)((len / 4) << 4);	/* data offset in words */
	*p++ = tcp->flags;
	p = put16(p, tcp->window);
	p = put16(p, 0);	/* checksum, filled by tg_pkt_l4_cksum */
	p = put16(p, 0);	/* urgent pointer */
	write_tcp_opts(&tcp->opts, p);
	return len;
}

uint16_t
tg_pkt_write_udp(const struct tg_pkt_spec *spec, uint8_t *buf)
{
	uint8_t *p = buf;

	p = put16(p, spec->sport);
	p = put16(p, spec->dport);
	p = put16(p, (uint16_t)(TG_UDP_HDR_LEN + spec->payload_len));
	put16(p, 0);		/* checksum, filled by tg_pkt_l4_cksum */
	return TG_UDP_HDR_LEN;
}

uint16_t
tg_pkt_write_icmp_echo(const struct tg_pkt_spec *spec, uint8_t *buf)
{
	uint8_t *p = buf;

	*p++ = spec->icmp.type;
	*p++ = spec->icmp.code;
	p = put16(p, 0);	/* checksum, filled by tg_pkt_l4_cksum */
	p = put16(p, spec->icmp.id);
	put16(p, spec->icmp.seq);
	return TG_ICMP_ECHO_HDR_LEN;
}

/* Offset of the checksum field in the L4 header. */
static unsigned
l4_cksum_offset(uint8_t proto)
{
	switch (proto) {
	case TG_PROTO_TCP:
		return 16;
	case TG_PROTO_UDP:
		return 6;
	default:		/* ICMP and ICMPv6 echo */
		return 2;
	}
}

/* Sum of the pseudo-header, or 0 for ICMPv4 which has none (RFC 792). */
static uint32_t
pseudo_sum(const struct tg_pkt_spec *spec, uint16_t l4_total_len)
{
	if (spec->proto == TG_PROTO_ICMP)
		return 0;
	if (spec->ip_version == 6)
		return tg_cksum_pseudo6(spec->src.b, spec->dst.b, spec->proto,
					l4_total_len);
	return tg_cksum_pseudo4(spec->src.b, spec->dst.b, spec->proto,
				l4_total_len);
}

void
tg_pkt_l4_cksum(const struct tg_pkt_spec *spec, uint8_t *l4,
		uint16_t l4_total_len)
{
	/* NICs offload TCP and UDP only: ICMP(v6) is always done here. */
	bool offload = (spec->offload & TG_PKT_OFFLOAD_L4_CKSUM) &&
		       (spec->proto == TG_PROTO_TCP ||
			spec->proto == TG_PROTO_UDP);
	uint8_t *field = l4 + l4_cksum_offset(spec->proto);
	uint32_t sum = pseudo_sum(spec, l4_total_len);
	uint16_t value;

	if (offload) {
		/* What rte_ipv4/6_phdr_cksum() leave for the NIC: the folded,
		 * not inverted, pseudo-header sum with the L4 length. The NIC
		 * adds the segment to it and stores the inverted result. */
		put16(field, tg_cksum_fold(sum));
		return;
	}
	put16(field, 0);
	value = tg_cksum_finish(tg_cksum_add(sum, l4, l4_total_len));
	/* A UDP checksum of 0 means "none": send its other form (RFC 768). */
	if (value == 0 && spec->proto == TG_PROTO_UDP)
		value = 0xffff;
	put16(field, value);
}

static uint16_t
write_l4_header(const struct tg_pkt_spec *spec, uint8_t *buf)
{
	switch (spec->proto) {
	case TG_PROTO_TCP:
		return tg_pkt_write_tcp(spec, buf);
	case TG_PROTO_UDP:
		return tg_pkt_write_udp(spec, buf);
	default:
		return tg_pkt_write_icmp_echo(spec, buf);
	}
}

uint16_t
tg_pkt_write(const struct tg_pkt_spec *spec, uint8_t *buf, size_t cap,
	     struct tg_pkt_layout *layout)
{
	uint16_t l2, l3, l4, l4_total;
	size_t frame;

	if (!spec_is_valid(spec))
		return 0;
	l2 = l2_len(spec);
	l3 = l3_len(spec);
	l4 = l4_hdr_len(spec);
	frame = (size_t)l2 + l3 + l4 + spec->payload_len;
	if (frame > cap || frame > UINT16_MAX)
		return 0;
	l4_total = (uint16_t)(l4 + spec->payload_len);

	/* Payload first: it may come from anywhere in buf, even from where
	 * the headers go. */
	if (spec->payload)
		memmove(buf + l2 + l3 + l4, spec->payload, spec->payload_len);

	tg_pkt_write_eth(spec, buf);
	if (spec->ip_version == 6)
		tg_pkt_write_ipv6(spec, buf + l2, l4_total);
	else
		tg_pkt_write_ipv4(spec, buf + l2, l4_total);
	write_l4_header(spec, buf + l2 + l3);
	tg_pkt_l4_cksum(spec, buf + l2 + l3, l4_total);

	if (layout) {
		layout->l2_len = l2;
		layout->l3_len = l3;
		layout->l4_len = l4;
		layout->frame_len = (uint16_t)frame;
	}
	return (uint16_t)frame;
}
