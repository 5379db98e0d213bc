/* SPDX-License-Identifier: BSD-3-Clause
 * Frame decoding for tg_trace: link layers, IPv4/IPv6 with extension
 * headers, TCP (with options), UDP, ICMP/ICMPv6. Pure: no I/O, no state.
 *
 * A cursor walks the frame. It knows both the captured bytes left and the
 * bytes that were on the wire, so a header that is missing can be told
 * apart: cut by the snaplen (truncated) or absent from the frame itself
 * (malformed). Every read is preceded by a check of the captured bytes.
 */
#include <string.h>

#include <pcap/dlt.h>

#include "tg_bytes.h"
#include "tg_trace.h"

#define LINKTYPE_RAW 101	/* what DLT_RAW is called in pcap files */

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_9100 0x9100	/* pre-802.1ad QinQ */
#define ETHERTYPE_QINQ_9200 0x9200
#define ETHERTYPE_MPLS 0x8847
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_PPPOE 0x8864		/* session stage */
#define ETHERTYPE_PBB 0x88e7		/* 802.1ah: I-TAG, inner Ethernet */
#define ETHERTYPE_FABRICPATH 0x8903	/* Cisco: FTag/TTL, inner Ethernet */
#define ETHER_MAX_LENGTH_FIELD 1500	/* below: 802.3 length, LLC */
#define MAX_VLAN_TAGS 8
#define MAX_MPLS_LABELS 16

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define PPP_MPLS 0x0281
#define PPP_VJ_COMP 0x002d		/* Van Jacobson compressed TCP/IP */
#define PPP_VJ_UNCOMP 0x002f

#define IP_HOPOPTS 0
#define IP_IPIP 4
#define IP_IPV6 41
#define IP_ROUTING 43
#define IP_FRAGMENT 44
#define IP_GRE 47
#define IP_ESP 50
#define IP_AH 51
#define IP_DSTOPTS 60
#define IP_ETHERIP 97
#define IP_L2TPV3 115
#define IP_MPLS_IN_IP 137
#define IP_MOBILITY 135
#define IP_HIP 139
#define IP_SHIM6 140
/* Longer header chains than this are not real traffic. */
#define MAX_EXT_HEADERS 16

static const char *const reason_names[TG_TRACE_REASONS] = {
	[TG_TRACE_OK] = "kept",
	[TG_TRACE_NOT_IP] = "not-ip",
	[TG_TRACE_LINK] = "unsupported-link",
	[TG_TRACE_TRUNCATED] = "truncated",
	[TG_TRACE_BAD_IP] = "bad-ip-header",
	[TG_TRACE_BAD_L4] = "bad-l4-header",
	[TG_TRACE_FRAGMENT] = "ip-fragment",
	[TG_TRACE_TUNNEL] = "tunnel",
	[TG_TRACE_ENCRYPTED] = "encrypted",
	[TG_TRACE_OTHER] = "other",
};

const char *
tg_trace_reason_name(enum tg_trace_reason reason)
{
	return (unsigned)reason < TG_TRACE_REASONS ? reason_names[reason]
						    : "unknown";
}

/* The rest of the frame: captured bytes and bytes on the wire. */
struct cursor {
	const uint8_t *frame;	/* its first byte, for header offsets */
	const uint8_t *p;
	uint32_t cap;
	uint32_t wire;		/* >= cap */
};

static inline uint32_t
rd32le(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static inline bool
has(const struct cursor *c, uint32_t n)
{
	return c->cap >= n;
}

/* Only after has(c, n). */
static inline void
advance(struct cursor *c, uint32_t n)
{
	c->p += n;
	c->cap -= n;
	c->wire -= n;
}

/* Why an n-byte header is not all captured: the snaplen cut it, or the
 * frame itself is too short (then `malformed`). */
static inline enum tg_trace_reason
missing(const struct cursor *c, uint32_t n, enum tg_trace_reason malformed)
{
	return c->wire >= n ? TG_TRACE_TRUNCATED : malformed;
}

/* --- TCP options --------------------------------------------------------- */

static char
option_letter(uint8_t kind)
{
	switch (kind) {
	case 0: return 'E';
	case 1: return 'N';
	case 2: return 'M';
	case 3: return 'W';
	case 4: return 'S';
	case 5: return 'K';
	case 8: return 'T';
	case 19: return 'D';
	case 28: return 'U';
	case 29: return 'A';
	case 30: return 'P';
	case 34: return 'F';
	}
	return '?';
}

/* Take the value of one option of `olen` bytes (kind and length included). */
static void
option_value(const uint8_t *o, uint8_t olen, struct tg_trace_tcp_opts *out)
{
	switch (o[0]) {
	case 2:
		if (olen == 4) {
			out->has_mss = true;
			out->mss = tg_get_be16(o + 2);
		}
		break;
	case 3:
		if (olen == 3)	/* RFC 7323: shifts above 14 mean 14 */
			out->wscale = (int8_t)(o[2] > 14 ? 14 : o[2]);
		break;
	case 4:
		out->sack_perm = olen == 2;
		break;
	case 8:
		if (olen == 10) {
			out->has_ts = true;
			out->tsval = tg_get_be32(o + 2);
			out->tsecr = tg_get_be32(o + 6);
		}
		break;
	}
}

static void
parse_tcp_options(const uint8_t *o, uint32_t len,
		  struct tg_trace_tcp_opts *out)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < len;) {
		uint8_t kind = o[i];

		out->layout[n++] = option_letter(kind);
		if (kind == 0)
			break;		/* end of list: the rest is padding */
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || o[i + 1] > len - i) {
			out->malformed = true;
			break;
		}
		option_value(o + i, o[i + 1], out);
		i += o[i + 1];
	}
	out->layout[n] = '\0';	/* n <= len <= 40 */
}

/* --- Transport ----------------------------------------------------------- */

/* `len`: bytes from the transport header on, by the IP header. */
static enum tg_trace_reason
decode_tcp(struct cursor *c, uint32_t len, struct tg_trace_pkt *out)
{
	if (len < 20)
		return TG_TRACE_BAD_L4;
	if (!has(c, 20))
		return missing(c, 20, TG_TRACE_BAD_L4);
	const uint8_t *h = c->p;
	uint32_t hlen = (uint32_t)(h[12] >> 4) * 4;

	if (hlen < 20 || hlen > len)
		return TG_TRACE_BAD_L4;
	if (!has(c, hlen))
		return missing(c, hlen, TG_TRACE_BAD_L4);
	out->sport = tg_get_be16(h);
	out->dport = tg_get_be16(h + 2);
	out->seq = tg_get_be32(h + 4);
	out->ack = tg_get_be32(h + 8);
	out->tcp_flags = h[13];
	out->window = tg_get_be16(h + 14);
	parse_tcp_options(h + 20, hlen - 20, &out->tcp_opts);
	out->payload_len = len - hlen;
	advance(c, hlen);
	return TG_TRACE_OK;
}

static enum tg_trace_reason
decode_udp(struct cursor *c, uint32_t len, struct tg_trace_pkt *out)
{
	if (len < 8)
		return TG_TRACE_BAD_L4;
	if (!has(c, 8))
		return missing(c, 8, TG_TRACE_BAD_L4);
	uint32_t ulen = tg_get_be16(c->p + 4);

	out->sport = tg_get_be16(c->p);
	out->dport = tg_get_be16(c->p + 2);
	/* A first fragment's UDP length is the whole datagram's; a zero one
	 * is a jumbogram or a segmentation-offload capture. */
	if (out->first_fragment || ulen == 0)
		ulen = len;
	if (ulen < 8 || ulen > len)
		return TG_TRACE_BAD_L4;
	out->payload_len = ulen - 8;
	advance(c, 8);
	return TG_TRACE_OK;
}

static bool
is_echo(uint8_t proto, uint8_t type)
{
	if (proto == TG_PROTO_ICMP)
		return type == 0 || type == 8;
	return type == 128 || type == 129;
}

/* Every ICMP and ICMPv6 message has at least 8 bytes of header. */
static enum tg_trace_reason
decode_icmp(struct cursor *c, uint32_t len, struct tg_trace_pkt *out)
{
	if (len < 8)
		return TG_TRACE_BAD_L4;
	if (!has(c, 8))
		return missing(c, 8, TG_TRACE_BAD_L4);
	out->icmp_type = c->p[0];
	out->icmp_code = c->p[1];
	out->icmp_echo = is_echo(out->proto, out->icmp_type);
	if (out->icmp_echo) {
		out->icmp_id = tg_get_be16(c->p + 4);
		out->icmp_seq = tg_get_be16(c->p + 6);
	}
	out->payload_len = len - 8;
	advance(c, 8);
	return TG_TRACE_OK;
}

/* Teredo (RFC 4380): an IPv6 packet, maybe after an authentication
 * indicator (type 1) and an origin indication (type 0); the IPv6 payload
 * length must fill the datagram. */
static bool
is_teredo(const uint8_t *p, uint32_t n, uint32_t len)
{
	uint32_t skip = 0;

	if (n >= 4 && p[0] == 0 && p[1] == 1)	/* ids, nonce, confirmation */
		skip = 4u + p[2] + p[3] + 8 + 1;
	if (n >= skip + 2 && p[skip] == 0 && p[skip + 1] == 0)
		skip += 8;			/* port and address */
	if (n < skip + 6 || len < skip + 40)
		return false;
	p += skip;
	return (p[0] >> 4) == 6 && 40u + tg_get_be16(p + 4) == len - skip;
}

/* UDP ports of tunnels whose inner packets we would otherwise count as
 * UDP payload. Each is confirmed by its header where it has one, so a
 * client that happens to use such a port is not taken for a tunnel.
 * `p`: the n captured bytes of a payload of len bytes. */
static bool
is_udp_tunnel(uint16_t port, const uint8_t *p, uint32_t n, uint32_t len)
{
	switch (port) {
	case 4789:	/* VXLAN: I flag, reserved bits zero */
	case 8472:	/* VXLAN, Linux's historic port */
		return n >= 8 && p[0] == 0x08 && !p[1] && !p[2] && !p[3] &&
		       !p[7];
	case 4790:	/* VXLAN-GPE: version 0, I and P flags */
		return n >= 8 && (p[0] & 0xf0) == 0 && (p[0] & 0x0c) == 0x0c;
	case 6081:	/* Geneve: version 0, Ethernet or IP inside */
		return n >= 8 && (p[0] >> 6) == 0 &&
		       (tg_get_be16(p + 2) == 0x6558 ||
			tg_get_be16(p + 2) == 0x0800 ||
			tg_get_be16(p + 2) == 0x86dd);
	case 2152:	/* GTP-U version 1, a G-PDU, its length exact */
		return n >= 8 && (p[0] >> 5) == 1 && (p[0] & 0x10) &&
		       p[1] == 0xff && 8u + tg_get_be16(p + 2) == len;
	case 3544:
		return is_teredo(p, n, len);
	case 1701:	/* L2TPv2 data message (T bit clear): PPP inside */
		return n >= 2 && !(p[0] & 0x80) && (p[1] & 0x0f) == 2;
	case 4341:	/* LISP data plane: an IP packet after 8 bytes */
		return n >= 9 && ((p[8] >> 4) == 4 || (p[8] >> 4) == 6);
	case 5247:	/* CAPWAP data: preamble version 0, type 0 */
		return n >= 8 && p[0] == 0;
	case 6635:	/* MPLS in UDP: no header of its own */
		return n >= 4;
	}
	return false;
}

/* UDP that carries something we do not count as its payload. */
static enum tg_trace_reason
classify_udp(const struct tg_trace_pkt *p)
{
	/* ESP in UDP (RFC 3948): a non-zero SPI where IKE has zeros; the
	 * one-byte 0xff keepalive stays UDP. */
	if ((p->sport == 4500 || p->dport == 4500) && p->payload_cap >= 4 &&
	    tg_get_be32(p->payload) != 0)
		return TG_TRACE_ENCRYPTED;
	if (is_udp_tunnel(p->dport, p->payload, p->payload_cap,
			  p->payload_len) ||
	    is_udp_tunnel(p->sport, p->payload, p->payload_cap,
			  p->payload_len))
		return TG_TRACE_TUNNEL;
	return TG_TRACE_OK;
}

static enum tg_trace_reason
decode_transport(struct cursor *c, uint8_t proto, uint32_t len,
		 struct tg_trace_pkt *out)
{
	enum tg_trace_reason r;

	out->proto = proto;
	out->l4_off = (uint32_t)(c->p - c->frame);
	switch (proto) {
	case TG_PROTO_TCP:
		r = decode_tcp(c, len, out);
		break;
	case TG_PROTO_UDP:
		r = decode_udp(c, len, out);
		break;
	case TG_PROTO_ICMP:
	case TG_PROTO_ICMPV6:
		r = decode_icmp(c, len, out);
		break;
	default:		/* kept whole: flows by address pair */
		out->payload_len = len;
		r = TG_TRACE_OK;
		break;
	}
	if (r != TG_TRACE_OK)
		return r;
	out->payload = c->p;
	out->payload_cap = c->cap < out->payload_len ? c->cap
						     : out->payload_len;
	return proto == TG_PROTO_UDP ? classify_udp(out) : TG_TRACE_OK;
}

/* --- IP ------------------------------------------------------------------ */

static bool
is_ipv6_extension(uint8_t next)
{
	switch (next) {
	case IP_HOPOPTS:
	case IP_ROUTING:
	case IP_DSTOPTS:
	case IP_MOBILITY:
	case IP_HIP:
	case IP_SHIM6:
		return true;
	}
	return false;
}

/* Length of the extension header (or AH) at c, 0 if not one. */
static uint32_t
extension_len(uint8_t next, bool v6, const uint8_t *p)
{
	if (next == IP_AH)
		return ((uint32_t)p[1] + 2) * 4;
	if (v6 && is_ipv6_extension(next))
		return ((uint32_t)p[1] + 1) * 8;
	if (v6 && next == IP_FRAGMENT)
		return 8;
	return 0;
}

/* From the end of the IP header: extension headers and AH, then the
 * transport header. `len` is the IP payload length by the IP header. */
static enum tg_trace_reason
decode_after_ip(struct cursor *c, uint8_t next, uint32_t len, bool v6,
		struct tg_trace_pkt *out)
{
	for (int hops = 0; hops < MAX_EXT_HEADERS; hops++) {
		switch (next) {
		case IP_IPIP:
		case IP_IPV6:
		case IP_GRE:
		case IP_ETHERIP:
		case IP_L2TPV3:
		case IP_MPLS_IN_IP:
			return TG_TRACE_TUNNEL;
		case IP_ESP:
			return TG_TRACE_ENCRYPTED;
		}
		if (next != IP_AH && !(v6 && (is_ipv6_extension(next) ||
					      next == IP_FRAGMENT)))
			return decode_transport(c, next, len, out);
		if (len < 8)
			return TG_TRACE_BAD_IP;
		if (!has(c, 8))
			return missing(c, 8, TG_TRACE_BAD_IP);
		uint32_t hlen = extension_len(next, v6, c->p);

		if (hlen > len)
			return TG_TRACE_BAD_IP;
		if (!has(c, hlen))
			return missing(c, hlen, TG_TRACE_BAD_IP);
		if (next == IP_FRAGMENT) {
			if (tg_get_be16(c->p + 2) >> 3)	/* offset */
				return TG_TRACE_FRAGMENT;
			out->first_fragment = c->p[3] & 1;	/* M flag */
		}
		next = c->p[0];
		advance(c, hlen);
		len -= hlen;
	}
	return TG_TRACE_OTHER;
}

static enum tg_trace_reason
decode_ipv4(struct cursor *c, struct tg_trace_pkt *out)
{
	if (!has(c, 20))
		return missing(c, 20, TG_TRACE_BAD_IP);
	const uint8_t *h = c->p;
	uint32_t hlen = (uint32_t)(h[0] & 0x0f) * 4;
	uint32_t total = tg_get_be16(h + 2);
	uint16_t frag = tg_get_be16(h + 6);

	if ((h[0] >> 4) != 4 || hlen < 20)
		return TG_TRACE_BAD_IP;
	if (total == 0)		/* segmentation offload: the NIC fills it in */
		total = c->wire;
	if (total < hlen || total > c->wire)
		return TG_TRACE_BAD_IP;
	if (!has(c, hlen))
		return missing(c, hlen, TG_TRACE_BAD_IP);
	out->ip_version = 4;
	out->l3_off = (uint32_t)(h - c->frame);
	out->tos = h[1];
	out->ip_len = total;
	out->ip_id = tg_get_be16(h + 4);
	out->df = frag & 0x4000;
	out->ttl = h[8];
	memcpy(out->src.b, h + 12, 4);
	memcpy(out->dst.b, h + 16, 4);
	if (frag & 0x1fff)
		return TG_TRACE_FRAGMENT;	/* no transport header */
	out->first_fragment = frag & 0x2000;
	advance(c, hlen);
	return decode_after_ip(c, h[9], total - hlen, false, out);
}

static enum tg_trace_reason
decode_ipv6(struct cursor *c, struct tg_trace_pkt *out)
{
	if (!has(c, 40))
		return missing(c, 40, TG_TRACE_BAD_IP);
	const uint8_t *h = c->p;
	uint32_t payload = tg_get_be16(h + 4);

	if ((h[0] >> 4) != 6)
		return TG_TRACE_BAD_IP;
	if (payload == 0 && h[6] != 59)	/* offload or jumbogram */
		payload = c->wire - 40;
	if (40 + payload > c->wire)
		return TG_TRACE_BAD_IP;
	out->ip_version = 6;
	out->l3_off = (uint32_t)(h - c->frame);
	out->tos = (uint8_t)(tg_get_be16(h) >> 4);
	out->flow_label = tg_get_be32(h) & 0xfffff;
	out->ttl = h[7];
	out->ip_len = 40 + payload;
	memcpy(out->src.b, h + 8, 16);
	memcpy(out->dst.b, h + 24, 16);
	advance(c, 40);
	return decode_after_ip(c, h[6], payload, true, out);
}

/* IP by its version nibble; anything else gets `otherwise`. */
static enum tg_trace_reason
decode_ip(struct cursor *c, enum tg_trace_reason otherwise,
	  struct tg_trace_pkt *out)
{
	if (!has(c, 1))
		return missing(c, 1, TG_TRACE_BAD_IP);
	switch (c->p[0] >> 4) {
	case 4:
		return decode_ipv4(c, out);
	case 6:
		return decode_ipv6(c, out);
	}
	return otherwise;
}

/* --- Link layers --------------------------------------------------------- */

static enum tg_trace_reason decode_ppp(struct cursor *c,
				       struct tg_trace_pkt *out);

/* Labels down to the bottom of the stack, then IP if it looks like IP
 * (an Ethernet pseudowire does not). */
static enum tg_trace_reason
decode_mpls(struct cursor *c, struct tg_trace_pkt *out)
{
	for (int labels = 0; labels < MAX_MPLS_LABELS; labels++) {
		if (!has(c, 4))
			return missing(c, 4, TG_TRACE_OTHER);
		bool bottom = c->p[2] & 1;

		advance(c, 4);
		if (bottom)
			return decode_ip(c, TG_TRACE_NOT_IP, out);
	}
	return TG_TRACE_OTHER;
}

/* What follows an Ethernet type field: VLAN tags (any number up to
 * MAX_VLAN_TAGS, 802.1Q, 802.1ad or the older QinQ types) and Ethernet
 * in Ethernet (802.1ah, FabricPath: switch fabric framing, not a tunnel
 * between hosts), then IP, MPLS or a PPPoE session. */
static enum tg_trace_reason
decode_ethertype(struct cursor *c, uint16_t type, struct tg_trace_pkt *out)
{
	for (int tags = 0; tags <= MAX_VLAN_TAGS; tags++) {
		switch (type) {
		case ETHERTYPE_IPV4:
			return decode_ipv4(c, out);
		case ETHERTYPE_IPV6:
			return decode_ipv6(c, out);
		case ETHERTYPE_MPLS:
		case ETHERTYPE_MPLS_MC:
			return decode_mpls(c, out);
		case ETHERTYPE_PPPOE:
			if (!has(c, 6))
				return missing(c, 6, TG_TRACE_OTHER);
			advance(c, 6);
			return decode_ppp(c, out);
		case ETHERTYPE_VLAN:
		case ETHERTYPE_QINQ:
		case ETHERTYPE_QINQ_9100:
		case ETHERTYPE_QINQ_9200:
			if (!has(c, 4))
				return missing(c, 4, TG_TRACE_OTHER);
			type = tg_get_be16(c->p + 2);
			advance(c, 4);
			continue;
		case ETHERTYPE_PBB:
			if (!has(c, 18))
				return missing(c, 18, TG_TRACE_OTHER);
			type = tg_get_be16(c->p + 16);
			advance(c, 18);
			continue;
		case ETHERTYPE_FABRICPATH:
			if (!has(c, 16))
				return missing(c, 16, TG_TRACE_OTHER);
			type = tg_get_be16(c->p + 14);
			advance(c, 16);
			continue;
		default:
			return TG_TRACE_NOT_IP;
		}
	}
	return TG_TRACE_OTHER;
}

static enum tg_trace_reason
decode_ethernet(struct cursor *c, struct tg_trace_pkt *out)
{
	static const uint8_t snap[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0 };

	if (!has(c, 14))
		return missing(c, 14, TG_TRACE_OTHER);
	uint16_t type = tg_get_be16(c->p + 12);

	advance(c, 14);
	if (type > ETHER_MAX_LENGTH_FIELD)
		return decode_ethertype(c, type, out);
	/* 802.3 with LLC: only SNAP with an Ethernet type can carry IP. */
	if (!has(c, 8))
		return missing(c, 8, TG_TRACE_NOT_IP);
	if (memcmp(c->p, snap, sizeof(snap)) != 0)
		return TG_TRACE_NOT_IP;
	type = tg_get_be16(c->p + 6);
	advance(c, 8);
	return decode_ethertype(c, type, out);
}

/* PPP, with or without HDLC-like framing (0xff 0x03), with a one- or
 * two-byte protocol field (RFC 1661 protocol field compression). */
static enum tg_trace_reason
decode_ppp(struct cursor *c, struct tg_trace_pkt *out)
{
	uint16_t proto;

	if (has(c, 1) && c->p[0] == 0xff) {	/* never a protocol byte */
		if (!has(c, 2))
			return missing(c, 2, TG_TRACE_OTHER);
		if (c->p[1] == 0x03)
			advance(c, 2);
	}
	if (!has(c, 1))
		return missing(c, 1, TG_TRACE_OTHER);
	if (c->p[0] & 1) {
		proto = c->p[0];
		advance(c, 1);
	} else {
		if (!has(c, 2))
			return missing(c, 2, TG_TRACE_OTHER);
		proto = tg_get_be16(c->p);
		advance(c, 2);
	}
	switch (proto) {
	case PPP_IPV4:
		return decode_ipv4(c, out);
	case PPP_IPV6:
		return decode_ipv6(c, out);
	case PPP_MPLS:
		return decode_mpls(c, out);
	case PPP_VJ_COMP:
	case PPP_VJ_UNCOMP:
		return TG_TRACE_OTHER;	/* IP, but its headers are gone */
	}
	return TG_TRACE_NOT_IP;		/* LCP, IPCP, CHAP, ... */
}

/* Cisco HDLC: address (0x0f unicast, 0x8f broadcast), control, then an
 * Ethernet type. */
static enum tg_trace_reason
decode_chdlc(struct cursor *c, struct tg_trace_pkt *out)
{
	if (!has(c, 4))
		return missing(c, 4, TG_TRACE_OTHER);
	uint16_t type = tg_get_be16(c->p + 2);

	advance(c, 4);
	return decode_ethertype(c, type, out);
}

/* Files of the PPP link types may hold Cisco HDLC frames (libpcap says
 * so of PPP_SERIAL; routers write them as plain PPP too): told apart by
 * the address byte, which PPP never has as 0x0f or 0x8f. */
static enum tg_trace_reason
decode_ppp_or_chdlc(struct cursor *c, struct tg_trace_pkt *out)
{
	if (has(c, 1) && (c->p[0] == 0x0f || c->p[0] == 0x8f))
		return decode_chdlc(c, out);
	return decode_ppp(c, out);
}

static bool
is_af_inet6(uint32_t af)
{
	/* Linux 10, Windows 23, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30 */
	return af == 10 || af == 23 || af == 24 || af == 28 || af == 30;
}

/* BSD loopback: a 4-byte address family, in the capturing host's byte
 * order for DLT_NULL (families are small, so a zero low half means the
 * host was big-endian) and in network order for DLT_LOOP. */
static enum tg_trace_reason
decode_null(struct cursor *c, bool network_order, struct tg_trace_pkt *out)
{
	if (!has(c, 4))
		return missing(c, 4, TG_TRACE_OTHER);
	uint32_t af = network_order ? tg_get_be32(c->p) : rd32le(c->p);

	if (!network_order && (af & 0xffff) == 0)
		af = tg_get_be32(c->p);
	advance(c, 4);
	if (af == 2)
		return decode_ipv4(c, out);
	if (is_af_inet6(af))
		return decode_ipv6(c, out);
	return TG_TRACE_NOT_IP;
}

static enum tg_trace_reason decode_link(int linktype, struct cursor *c,
					struct tg_trace_pkt *out);

/* PPI: version, flags, a little-endian header length and inner link
 * type, then fields we skip; the frame follows in the inner link type. */
static enum tg_trace_reason
decode_ppi(struct cursor *c, struct tg_trace_pkt *out)
{
	if (!has(c, 8))
		return missing(c, 8, TG_TRACE_OTHER);
	uint32_t hlen = (uint32_t)c->p[2] | (uint32_t)c->p[3] << 8;
	uint32_t inner = rd32le(c->p + 4);

	if (hlen < 8)
		return TG_TRACE_OTHER;
	if (!has(c, hlen))
		return missing(c, hlen, TG_TRACE_OTHER);
	if (inner == DLT_PPI || inner > 0xffff)
		return TG_TRACE_LINK;
	advance(c, hlen);
	return decode_link((int)inner, c, out);
}

/* Linux cooked capture: a header of `hlen` bytes holding the Ethernet
 * type at `type_at`. */
static enum tg_trace_reason
decode_cooked(struct cursor *c, uint32_t hlen, uint32_t type_at,
	      struct tg_trace_pkt *out)
{
	if (!has(c, hlen))
		return missing(c, hlen, TG_TRACE_OTHER);
	uint16_t type = tg_get_be16(c->p + type_at);

	advance(c, hlen);
	return decode_ethertype(c, type, out);
}

/* A one-byte direction, then the frame (the *_WITH_DIR link types). */
static bool
skip_direction(struct cursor *c)
{
	if (!has(c, 1))
		return false;
	advance(c, 1);
	return true;
}

static enum tg_trace_reason
decode_link(int linktype, struct cursor *c, struct tg_trace_pkt *out)
{
	switch (linktype) {
	case DLT_EN10MB:
		return decode_ethernet(c, out);
	case DLT_LINUX_SLL:	/* 16 bytes, protocol type last */
		return decode_cooked(c, 16, 14, out);
	case DLT_LINUX_SLL2:	/* 20 bytes, protocol type first */
		return decode_cooked(c, 20, 0, out);
	case DLT_RAW:
	case LINKTYPE_RAW:
		return decode_ip(c, TG_TRACE_BAD_IP, out);
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
		return decode_ppp_or_chdlc(c, out);
	case DLT_PPP_ETHER:	/* a PPPoE session header, then PPP */
		if (!has(c, 6))
			return missing(c, 6, TG_TRACE_OTHER);
		advance(c, 6);
		return decode_ppp(c, out);
	case DLT_PPP_WITH_DIR:
		return skip_direction(c) ? decode_ppp(c, out)
					 : missing(c, 1, TG_TRACE_OTHER);
	case DLT_C_HDLC:
		return decode_chdlc(c, out);
	case DLT_C_HDLC_WITH_DIR:
		return skip_direction(c) ? decode_chdlc(c, out)
					 : missing(c, 1, TG_TRACE_OTHER);
	case DLT_PPI:
		return decode_ppi(c, out);
	}
	return TG_TRACE_LINK;	/* 802.11, radiotap, Bluetooth, ... */
}

enum tg_trace_reason
tg_trace_decode(int linktype, const uint8_t *data, uint32_t cap_len,
		uint32_t wire_len, struct tg_trace_pkt *out)
{
	struct cursor c = {
		.frame = data,
		.p = data,
		.cap = cap_len,
		/* a record claiming less on the wire than it holds is
		 * believed for what it holds */
		.wire = wire_len > cap_len ? wire_len : cap_len,
	};

	memset(out, 0, sizeof(*out));
	out->cap_len = cap_len;
	out->wire_len = wire_len;
	out->tcp_opts.wscale = -1;
	if (data == NULL)
		c.cap = 0;
	return decode_link(linktype, &c, out);
}
