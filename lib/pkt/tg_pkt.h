/* SPDX-License-Identifier: BSD-3-Clause
 * tg_pkt: writes whole frames (Ethernet [+802.1Q], IPv4/IPv6, TCP/UDP/
 * ICMP/ICMPv6 echo) into a plain byte buffer. No DPDK here.
 *
 * The caller fills a struct tg_pkt_spec, places the payload at
 * buf + tg_pkt_header_len(spec) (or lets tg_pkt_write copy it from
 * spec->payload), and tg_pkt_write() writes every header and checksum.
 * With TG_PKT_OFFLOAD_* flags the checksums are left for the NIC, in the
 * form DPDK's checksum offload expects (IPv4 header checksum zero, L4
 * checksum field holding the folded pseudo-header sum).
 */
#ifndef TG_PKT_H
#define TG_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TG_ETH_HDR_LEN 14
#define TG_VLAN_HDR_LEN 4
#define TG_IPV4_HDR_LEN 20
#define TG_IPV6_HDR_LEN 40
#define TG_TCP_HDR_LEN 20
#define TG_TCP_OPT_MAX 40
#define TG_UDP_HDR_LEN 8
#define TG_ICMP_ECHO_HDR_LEN 8
/* Largest header stack we write: Ethernet + VLAN + IPv6 + TCP with options. */
#define TG_PKT_MAX_HDR_LEN (TG_ETH_HDR_LEN + TG_VLAN_HDR_LEN + \
			    TG_IPV6_HDR_LEN + TG_TCP_HDR_LEN + TG_TCP_OPT_MAX)

#define TG_ETHERTYPE_IPV4 0x0800
#define TG_ETHERTYPE_IPV6 0x86dd
#define TG_ETHERTYPE_VLAN 0x8100

#define TG_PROTO_ICMP 1
#define TG_PROTO_TCP 6
#define TG_PROTO_UDP 17
#define TG_PROTO_ICMPV6 58

/* TCP flag bits, as on the wire. */
#define TG_TCP_FIN 0x01
#define TG_TCP_SYN 0x02
#define TG_TCP_RST 0x04
#define TG_TCP_PSH 0x08
#define TG_TCP_ACK 0x10

/* Checksum offload requests (what the port can do and the run enabled). */
#define TG_PKT_OFFLOAD_IPV4_CKSUM 0x1
#define TG_PKT_OFFLOAD_L4_CKSUM 0x2

/* An IPv4 or IPv6 address; IPv4 uses the first 4 bytes. */
struct tg_ip_addr {
	uint8_t b[16];
};

/* TCP options to write, in the order a Linux SYN carries them:
 * MSS, SACK-permitted, timestamps, NOP, window scale; padded with NOPs/EOL
 * to a multiple of 4 bytes. A non-SYN segment normally only has timestamps,
 * and an ACK sent while data is missing one SACK block after them. */
struct tg_tcp_opts {
	uint16_t mss;		/* 0: no MSS option */
	uint8_t wscale;		/* shift count, when has_wscale */
	bool has_wscale;
	bool sack_perm;
	bool has_ts;
	bool has_sack;		/* one block: a flow has at most one hole */
	uint32_t tsval;
	uint32_t tsecr;
	uint32_t sack_left;	/* first sequence number received ... */
	uint32_t sack_right;	/* ... and the one after the last */
};

struct tg_tcp_fields {
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;		/* TG_TCP_* */
	uint16_t window;	/* the 16-bit field, already scaled down */
	struct tg_tcp_opts opts;
};

struct tg_icmp_fields {
	uint8_t type;		/* echo request/reply for ICMP or ICMPv6 */
	uint8_t code;
	uint16_t id;
	uint16_t seq;
};

struct tg_pkt_spec {
	/* Link layer */
	uint8_t eth_src[6];
	uint8_t eth_dst[6];
	uint16_t vlan_tci;	/* 0: untagged; else PCP/DEI/VID as on the wire */

	/* Network layer */
	uint8_t ip_version;	/* 4 or 6 */
	struct tg_ip_addr src;
	struct tg_ip_addr dst;
	uint8_t ttl;		/* TTL or hop limit */
	uint8_t tos;		/* DSCP/ECN byte or IPv6 traffic class */
	uint16_t ip_id;		/* IPv4 only */
	bool df;		/* IPv4 only */
	uint32_t flow_label;	/* IPv6 only, 20 bits */

	/* Transport layer */
	uint8_t proto;		/* TG_PROTO_* */
	uint16_t sport;		/* TCP/UDP */
	uint16_t dport;
	union {
		struct tg_tcp_fields tcp;
		struct tg_icmp_fields icmp;
	};

	/* Payload: if non-NULL it is copied in; if NULL the caller has
	 * already written payload_len bytes at buf + header length. */
	const uint8_t *payload;
	uint16_t payload_len;

	uint32_t offload;	/* TG_PKT_OFFLOAD_* */
};

/* Where the layers of a written frame start, for the NIC offload fields. */
struct tg_pkt_layout {
	uint16_t l2_len;	/* Ethernet (+VLAN) */
	uint16_t l3_len;	/* IP header */
	uint16_t l4_len;	/* TCP with options / UDP / ICMP echo header */
	uint16_t frame_len;	/* whole frame, without FCS */
};

/* Bytes of headers tg_pkt_write will put before the payload. */
uint16_t tg_pkt_header_len(const struct tg_pkt_spec *spec);

/* Write the frame. Returns the frame length, or 0 if it does not fit in
 * `cap` bytes or the spec is invalid (unknown version or protocol).
 * `layout` may be NULL. */
uint16_t tg_pkt_write(const struct tg_pkt_spec *spec, uint8_t *buf,
		      size_t cap, struct tg_pkt_layout *layout);

/* The per-layer writers tg_pkt_write is made of; each returns the number of
 * bytes written. They are public for tests and for header templates. */
uint16_t tg_pkt_write_eth(const struct tg_pkt_spec *spec, uint8_t *buf);
uint16_t tg_pkt_write_ipv4(const struct tg_pkt_spec *spec, uint8_t *buf,
			   uint16_t l4_total_len);
uint16_t tg_pkt_write_ipv6(const struct tg_pkt_spec *spec, uint8_t *buf,
			   uint16_t l4_total_len);
uint16_t tg_pkt_tcp_opts_len(const struct tg_tcp_opts *opts);
uint16_t tg_pkt_write_tcp(const struct tg_pkt_spec *spec, uint8_t *buf);
uint16_t tg_pkt_write_udp(const struct tg_pkt_spec *spec, uint8_t *buf);
uint16_t tg_pkt_write_icmp_echo(const struct tg_pkt_spec *spec, uint8_t *buf);

/* Fill the L4 checksum of a frame whose L4 header starts at l4 and runs,
 * with payload, for l4_total_len bytes (software or offload form). */
void tg_pkt_l4_cksum(const struct tg_pkt_spec *spec, uint8_t *l4,
		     uint16_t l4_total_len);

#endif /* TG_PKT_H */
