/* SPDX-License-Identifier: BSD-3-Clause
 * Checksum verification of decoded packets, for tempogen-eval's
 * compliance checks. Only asked for (TG_TRACE_CHECKSUMS): summing every
 * byte of every packet is work tempogen-fit does not need.
 *
 * A checksum verifies when the one's complement sum over what it covers,
 * the checksum field included, folds to 0xffff (RFC 1071).
 */
#include "tg_bytes.h"
#include "tg_cksum.h"
#include "tg_trace.h"

#define VERIFIED 0xffff

/* The decoder checked that the whole IPv4 header was captured. */
static enum tg_trace_cksum
verify_ipv4(const uint8_t *frame, const struct tg_trace_pkt *p)
{
	const uint8_t *h = frame + p->l3_off;

	if (p->ip_version != 4)
		return TG_TRACE_CKSUM_UNCHECKED;
	uint32_t hlen = (uint32_t)(h[0] & 0x0f) * 4;

	return tg_cksum_fold(tg_cksum_add(0, h, hlen)) == VERIFIED
		       ? TG_TRACE_CKSUM_GOOD : TG_TRACE_CKSUM_BAD;
}

static uint32_t
pseudo_sum(const struct tg_trace_pkt *p, uint32_t l4_len)
{
	if (p->ip_version == 4)
		return tg_cksum_pseudo4(p->src.b, p->dst.b, p->proto, l4_len);
	return tg_cksum_pseudo6(p->src.b, p->dst.b, p->proto, l4_len);
}

static bool
has_checksum(uint8_t proto)
{
	return proto == TG_PROTO_TCP || proto == TG_PROTO_UDP ||
	       proto == TG_PROTO_ICMP || proto == TG_PROTO_ICMPV6;
}

static enum tg_trace_cksum
verify_l4(const uint8_t *frame, const struct tg_trace_pkt *p)
{
	/* The transport bytes by the IP header: extension headers, AH and
	 * link padding excluded. */
	uint32_t end = p->l3_off + p->ip_len;
	uint32_t len = end - p->l4_off;
	const uint8_t *l4 = frame + p->l4_off;
	uint32_t sum = 0;

	if (!has_checksum(p->proto))
		return TG_TRACE_CKSUM_UNCHECKED;
	if (p->first_fragment || end > p->cap_len)
		return TG_TRACE_CKSUM_CUT;
	if (p->proto == TG_PROTO_UDP) {
		uint32_t ulen = tg_get_be16(l4 + 4);

		if (tg_get_be16(l4 + 6) == 0)	/* IPv6 makes it mandatory */
			return p->ip_version == 4 ? TG_TRACE_CKSUM_ABSENT
						  : TG_TRACE_CKSUM_BAD;
		if (ulen != 0 && ulen <= len)	/* 0: jumbogram/offload */
			len = ulen;
	}
	if (p->proto != TG_PROTO_ICMP)	/* ICMPv4 has no pseudo-header */
		sum = pseudo_sum(p, len);
	sum = tg_cksum_add(sum, l4, len);
	return tg_cksum_fold(sum) == VERIFIED ? TG_TRACE_CKSUM_GOOD
					      : TG_TRACE_CKSUM_BAD;
}

void
tg_trace_verify(const uint8_t *frame, struct tg_trace_pkt *pkt)
{
	pkt->ip_cksum = (uint8_t)verify_ipv4(frame, pkt);
	pkt->l4_cksum = (uint8_t)verify_l4(frame, pkt);
}
