/* SPDX-License-Identifier: BSD-3-Clause
 * Frame decoding: link layer, IPv4/IPv6 (with extension headers), TCP,
 * UDP, ICMP/ICMPv6. Every read is bounds-checked against cap_len.
 */
#include <string.h>

#include <pcap/dlt.h>

#include "tg_trace.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_PPPOE 0x8864
#define ETHERTYPE_MPLS 0x8847
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define MAX_TAGS 8

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_IPIP_ 4
#define IPPROTO_IPV6_ 41
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_GRE_ 47
#define IPPROTO_ESP_ 50
#define IPPROTO_AH_ 51
#define IPPROTO_NONE_ 59
#define IPPROTO_DSTOPTS_ 60
#define IPPROTO_MH_ 135

static const char *const skip_names[TG_SKIP_COUNT] = {
	[TG_SKIP_NONE] = "decoded",
	[TG_SKIP_NOT_IP] = "not IP",
	[TG_SKIP_LINK] = "unsupported link type",
	[TG_SKIP_TRUNCATED] = "truncated header",
	[TG_SKIP_BAD_IP] = "bad IP header",
	[TG_SKIP_FRAGMENT] = "IP fragment",
	[TG_SKIP_TUNNEL] = "tunnel",
	[TG_SKIP_ENCRYPTED] = "encrypted (ESP)",
	[TG_SKIP_OTHER_PROTO] = "other IP protocol",
};

const char *
tg_skip_name(enum tg_skip reason)
{
	return reason < TG_SKIP_COUNT ? skip_names[reason] : "?";
}

/* A bounded view of the captured bytes. */
struct cursor {
	const uint8_t *p;
	uint32_t len;
};

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t
rd32le(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static inline bool
skip_bytes(struct cursor *c, uint32_t n)
{
	if (c->len < n)
		return false;
	c->p += n;
	c->len -= n;
	return true;
}

/* --- Transport ----------------------------------------------------------- */

static void
tcp_options(const uint8_t *o, uint32_t len, struct tg_trace_tcp_opts *out)
{
	size_t n = 0;

	out->wscale = -1;
	for (uint32_t i = 0; i < len;) {
		uint8_t kind = o[i];
		char code = 0;

		if (kind == 0) {	/* EOL */
			code = 'E';
			len = i;	/* ends the loop after recording */
		} else if (kind == 1) {
			code = 'N';
		}
		if (kind <= 1) {
			i++;
		} else {
			if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
				break;	/* malformed: keep what we have */
			uint8_t olen = o[i + 1];

			if (kind == 2 && olen == 4) {
				out->mss = rd16(o + i + 2);
				code = 'M';
			} else if (kind == 3 && olen == 3) {
				out->wscale = (int8_t)(o[i + 2] > 14 ? 14
								      : o[i + 2]);
				code = 'W';
			} else if (kind == 4 && olen == 2) {
				out->sack_perm = true;
				code = 'S';
			} else if (kind == 8 && olen == 10) {
				out->has_ts = true;
				out->tsval = rd32(o + i + 2);
				out->tsecr = rd32(o + i + 6);
				code = 'T';
			} else if (kind == 5) {
				code = 'K';	/* SACK blocks */
			} else {
				code = '?';
			}
			i += olen;
		}
		if (n + 1 < sizeof(out->layout))
			out->layout[n++] = code;
	}
	out->layout[n] = '\0';
}

static enum tg_skip
decode_tcp(struct cursor *c, uint32_t l4_len, struct tg_trace_pkt *out)
{
	if (c->len < 20)
		return TG_SKIP_TRUNCATED;
	uint32_t hlen = (uint32_t)(c->p[12] >> 4) * 4;

	if (hlen < 20 || hlen > l4_len)
		return TG_SKIP_BAD_IP;
	if (c->len < hlen)
		return TG_SKIP_TRUNCATED;
	out->sport = rd16(c->p);
	out->dport = rd16(c->p + 2);
	out->seq = rd32(c->p + 4);
	out->ack = rd32(c->p + 8);
	out->tcp_flags = c->p[13];
	out->window = rd16(c->p + 14);
	tcp_options(c->p + 20, hlen - 20, &out->opts);
	out->payload_len = l4_len - hlen;
	skip_bytes(c, hlen);
	return TG_SKIP_NONE;
}

static enum tg_skip
decode_udp(struct cursor *c, uint32_t l4_len, struct tg_trace_pkt *out)
{
	if (l4_len < 8)
		return TG_SKIP_BAD_IP;
	if (c->len < 8)
		return TG_SKIP_TRUNCATED;
	out->sport = rd16(c->p);
	out->dport = rd16(c->p + 2);
	out->payload_len = l4_len - 8;
	skip_bytes(c, 8);
	return TG_SKIP_NONE;
}

/* ICMP and ICMPv6 share the 8-byte layout of echo messages; an echo's
 * identifier stands in for both ports, so pings pair up as flows. */
static enum tg_skip
decode_icmp(struct cursor *c, uint32_t l4_len, struct tg_trace_pkt *out)
{
	if (l4_len < 8)
		return TG_SKIP_BAD_IP;
	if (c->len < 8)
		return TG_SKIP_TRUNCATED;
	out->icmp_type = c->p[0];
	out->icmp_code = c->p[1];
	bool echo = out->proto == TG_PROTO_ICMP
			    ? (out->icmp_type == 0 || out->icmp_type == 8)
			    : (out->icmp_type == 128 || out->icmp_type == 129);
	if (echo) {
		out->sport = out->dport = rd16(c->p + 4);
		out->icmp_seq = rd16(c->p + 6);
	}
	out->payload_len = l4_len - 8;
	skip_bytes(c, 8);
	return TG_SKIP_NONE;
}

static enum tg_skip
decode_transport(struct cursor *c, uint8_t proto, uint32_t l4_len,
		 struct tg_trace_pkt *out)
{
	enum tg_skip r;

	out->proto = proto;
	switch (proto) {
	case TG_PROTO_TCP:
		r = decode_tcp(c, l4_len, out);
		break;
	case TG_PROTO_UDP:
		r = decode_udp(c, l4_len, out);
		break;
	case TG_PROTO_ICMP:
	case TG_PROTO_ICMPV6:
		r = decode_icmp(c, l4_len, out);
		break;
	case IPPROTO_IPIP_:
	case IPPROTO_IPV6_:
	case IPPROTO_GRE_:
		return TG_SKIP_TUNNEL;
	case IPPROTO_ESP_:
		return TG_SKIP_ENCRYPTED;
	default:
		return TG_SKIP_OTHER_PROTO;
	}
	if (r == TG_SKIP_NONE) {
		out->payload = c->p;
		out->payload_cap = c->len < out->payload_len ? c->len
							     : out->payload_len;
	}
	return r;
}

/* --- Network ------------------------------------------------------------- */

static enum tg_skip
decode_ipv4(struct cursor *c, struct tg_trace_pkt *out)
{
	if (c->len < 20)
		return TG_SKIP_TRUNCATED;
	const uint8_t *h = c->p;
	uint32_t hlen = (uint32_t)(h[0] & 0x0f) * 4;
	uint32_t total = rd16(h + 2);
	uint16_t frag = rd16(h + 6);
	uint8_t proto = h[9];

	if ((h[0] >> 4) != 4 || hlen < 20 || total < hlen)
		return TG_SKIP_BAD_IP;
	if (c->len < hlen)
		return TG_SKIP_TRUNCATED;
	out->ip_version = 4;
	out->tos = h[1];
	out->ip_len = total;
	out->ip_id = rd16(h + 4);
	out->df = frag & 0x4000;
	out->ttl = h[8];
	memcpy(out->src.b, h + 12, 4);
	memcpy(out->dst.b, h + 16, 4);
	/* Later fragments carry no transport header; a first fragment does,
	 * and its IP total length understates the datagram, so it is skipped
	 * too rather than counted with a wrong size. */
	if (frag & 0x3fff)
		return TG_SKIP_FRAGMENT;
	skip_bytes(c, hlen);
	uint32_t l4_len = total - hlen;

	if (proto == IPPROTO_AH_) {
		if (c->len < 2 || l4_len < ((uint32_t)c->p[1] + 2) * 4)
			return TG_SKIP_TRUNCATED;
		uint32_t ah = ((uint32_t)c->p[1] + 2) * 4;

		proto = c->p[0];
		if (!skip_bytes(c, ah))
			return TG_SKIP_TRUNCATED;
		l4_len -= ah;
	}
	return decode_transport(c, proto, l4_len, out);
}

static enum tg_skip
decode_ipv6(struct cursor *c, struct tg_trace_pkt *out)
{
	if (c->len < 40)
		return TG_SKIP_TRUNCATED;
	const uint8_t *h = c->p;
	uint32_t payload = rd16(h + 4);
	uint8_t next = h[6];

	if ((h[0] >> 4) != 6)
		return TG_SKIP_BAD_IP;
	out->ip_version = 6;
	out->tos = (uint8_t)(rd16(h) >> 4);
	out->ttl = h[7];
	out->ip_len = 40 + payload;
	memcpy(out->src.b, h + 8, 16);
	memcpy(out->dst.b, h + 24, 16);
	skip_bytes(c, 40);

	/* Walk the extension headers to the transport header. */
	for (int hops = 0; hops < 16; hops++) {
		uint32_t len;

		switch (next) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_MH_:
			if (c->len < 2)
				return TG_SKIP_TRUNCATED;
			len = ((uint32_t)c->p[1] + 1) * 8;
			break;
		case IPPROTO_AH_:
			if (c->len < 2)
				return TG_SKIP_TRUNCATED;
			len = ((uint32_t)c->p[1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT_:
			if (c->len < 8)
				return TG_SKIP_TRUNCATED;
			if (rd16(c->p + 2) & 0xfff9)	/* offset or MF */
				return TG_SKIP_FRAGMENT;
			len = 8;	/* an atomic fragment: go on */
			break;
		case IPPROTO_NONE_:
			return TG_SKIP_OTHER_PROTO;
		default:
			return decode_transport(c, next, payload, out);
		}
		if (len > payload)
			return TG_SKIP_BAD_IP;
		next = c->p[0];
		if (!skip_bytes(c, len))
			return TG_SKIP_TRUNCATED;
		payload -= len;
	}
	return TG_SKIP_BAD_IP;	/* a chain that long is not real */
}

/* IP by its version nibble (raw IP, MPLS payloads). */
static enum tg_skip
decode_ip(struct cursor *c, struct tg_trace_pkt *out)
{
	if (c->len < 1)
		return TG_SKIP_TRUNCATED;
	switch (c->p[0] >> 4) {
	case 4:
		return decode_ipv4(c, out);
	case 6:
		return decode_ipv6(c, out);
	}
	return TG_SKIP_NOT_IP;
}

/* --- Link layers --------------------------------------------------------- */

static enum tg_skip decode_ppp(struct cursor *c, struct tg_trace_pkt *out);

static enum tg_skip
decode_ethertype(struct cursor *c, uint16_t type, struct tg_trace_pkt *out)
{
	for (int tags = 0; tags <= MAX_TAGS; tags++) {
		switch (type) {
		case ETHERTYPE_IPV4:
			return decode_ipv4(c, out);
		case ETHERTYPE_IPV6:
			return decode_ipv6(c, out);
		case ETHERTYPE_VLAN:
		case ETHERTYPE_QINQ:
		case ETHERTYPE_QINQ_OLD:
			if (c->len < 4)
				return TG_SKIP_TRUNCATED;
			type = rd16(c->p + 2);
			skip_bytes(c, 4);
			continue;
		case ETHERTYPE_PPPOE:
			if (!skip_bytes(c, 6))	/* PPPoE session header */
				return TG_SKIP_TRUNCATED;
			return decode_ppp(c, out);
		case ETHERTYPE_MPLS:
			/* Labels until the bottom of the stack, then IP. */
			while (c->len >= 4 && !(c->p[2] & 1))
				skip_bytes(c, 4);
			if (!skip_bytes(c, 4))
				return TG_SKIP_TRUNCATED;
			return decode_ip(c, out);
		default:
			return TG_SKIP_NOT_IP;
		}
	}
	return TG_SKIP_NOT_IP;
}

static enum tg_skip
decode_ethernet(struct cursor *c, struct tg_trace_pkt *out)
{
	if (c->len < 14)
		return TG_SKIP_TRUNCATED;
	uint16_t type = rd16(c->p + 12);

	skip_bytes(c, 14);
	if (type <= 1500)	/* 802.3 length: LLC/SNAP, STP, ... */
		return TG_SKIP_NOT_IP;
	return decode_ethertype(c, type, out);
}

/* PPP, with or without HDLC-like framing (0xff 0x03), and with a one- or
 * two-byte protocol field (RFC 1661 protocol field compression). */
static enum tg_skip
decode_ppp(struct cursor *c, struct tg_trace_pkt *out)
{
	uint16_t proto;

	if (c->len >= 2 && c->p[0] == 0xff && c->p[1] == 0x03)
		skip_bytes(c, 2);
	if (c->len < 1)
		return TG_SKIP_TRUNCATED;
	if (c->p[0] & 1) {
		proto = c->p[0];
		skip_bytes(c, 1);
	} else {
		if (c->len < 2)
			return TG_SKIP_TRUNCATED;
		proto = rd16(c->p);
		skip_bytes(c, 2);
	}
	if (proto == PPP_IPV4)
		return decode_ipv4(c, out);
	if (proto == PPP_IPV6)
		return decode_ipv6(c, out);
	return TG_SKIP_NOT_IP;
}

/* BSD loopback: the address family, in the capturing host's byte order
 * for DLT_NULL and in network order for DLT_LOOP. */
static enum tg_skip
decode_null(struct cursor *c, bool network_order, struct tg_trace_pkt *out)
{
	if (c->len < 4)
		return TG_SKIP_TRUNCATED;
	uint32_t af = network_order ? rd32(c->p) : rd32le(c->p);

	if (!network_order && af > 0xffff)
		af = rd32(c->p);	/* written on a big-endian host */
	skip_bytes(c, 4);
	switch (af) {
	case 2:				/* AF_INET everywhere */
		return decode_ipv4(c, out);
	case 10: case 24: case 28: case 30:	/* AF_INET6: Linux, BSDs, macOS */
		return decode_ipv6(c, out);
	}
	return TG_SKIP_NOT_IP;
}

static enum tg_skip
decode_ppi(struct cursor *c, struct tg_trace_pkt *out)
{
	if (c->len < 8)
		return TG_SKIP_TRUNCATED;
	uint32_t hlen = (uint32_t)c->p[2] | (uint32_t)c->p[3] << 8;
	uint32_t inner = rd32le(c->p + 4);

	if (hlen < 8 || !skip_bytes(c, hlen))
		return TG_SKIP_TRUNCATED;
	if (inner == DLT_EN10MB)
		return decode_ethernet(c, out);
	return TG_SKIP_LINK;	/* 802.11 and the rest */
}

static enum tg_skip
decode_link(int linktype, struct cursor *c, struct tg_trace_pkt *out)
{
	switch (linktype) {
	case DLT_EN10MB:
		return decode_ethernet(c, out);
	case DLT_LINUX_SLL:
		if (c->len < 16)
			return TG_SKIP_TRUNCATED;
		{
			uint16_t type = rd16(c->p + 14);

			skip_bytes(c, 16);
			return decode_ethertype(c, type, out);
		}
	case DLT_LINUX_SLL2:
		if (c->len < 20)
			return TG_SKIP_TRUNCATED;
		{
			uint16_t type = rd16(c->p);

			skip_bytes(c, 20);
			return decode_ethertype(c, type, out);
		}
	case DLT_RAW:
	case 101:		/* LINKTYPE_RAW, as some files store it */
		return decode_ip(c, out);
	case DLT_IPV4:
		return decode_ipv4(c, out);
	case DLT_IPV6:
		return decode_ipv6(c, out);
	case DLT_NULL:
		return decode_null(c, false, out);
	case DLT_LOOP:
		return decode_null(c, true, out);
	case DLT_PPP:
	case DLT_PPP_SERIAL:
		return decode_ppp(c, out);
	case DLT_PPP_ETHER:
		if (!skip_bytes(c, 6))
			return TG_SKIP_TRUNCATED;
		return decode_ppp(c, out);
	case DLT_C_HDLC:
		if (c->len < 4)
			return TG_SKIP_TRUNCATED;
		{
			uint16_t type = rd16(c->p + 2);

			skip_bytes(c, 4);
			return decode_ethertype(c, type, out);
		}
	case DLT_PPI:
		return decode_ppi(c, out);
	}
	return TG_SKIP_LINK;
}

enum tg_skip
tg_trace_decode(int linktype, const uint8_t *data, uint32_t cap_len,
		uint32_t wire_len, struct tg_trace_pkt *out)
{
	struct cursor c = { .p = data, .len = cap_len };
	uint64_t ts = out->ts_ns;
	uint32_t file = out->file;

	memset(out, 0, sizeof(*out));
	out->ts_ns = ts;
	out->file = file;
	out->cap_len = cap_len;
	out->wire_len = wire_len;
	out->opts.wscale = -1;
	return decode_link(linktype, &c, out);
}
