/* SPDX-License-Identifier: BSD-3-Clause
 * tg_trace: reads real captures (pcap and pcapng files, or folders of them)
 * into decoded packets, for tempogen-fit and tempogen-eval. No DPDK here.
 *
 * Every frame is either decoded down to its transport header or skipped
 * for a counted reason (enum tg_trace_reason). Every length is checked
 * against the captured bytes, so garbage and snaplen-cut frames never
 * read past the frame. Sizes come from the IP/TCP/UDP headers, not from
 * what was captured, so a cut frame still reports its true payload size.
 *
 * What is not unwrapped (documented in docs/services.md): tunnels (IP in
 * IP, GRE, VXLAN, GTP-U, ...) are skipped as "tunnel" so inner and outer
 * conversations never mix; ESP is "encrypted"; non-first IP fragments are
 * skipped, first fragments are kept and flagged.
 */
#ifndef TG_TRACE_H
#define TG_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tg_pkt.h"

/* What became of a frame. TG_TRACE_OK: decoded and kept. */
enum tg_trace_reason {
	TG_TRACE_OK,
	TG_TRACE_NOT_IP,	/* ARP, LLDP, STP, PPP control, ... */
	TG_TRACE_LINK,		/* a link type we do not read (802.11, ...) */
	TG_TRACE_TRUNCATED,	/* snaplen cut inside a link/IP/L4 header */
	TG_TRACE_BAD_IP,	/* version, header length or length nonsense */
	TG_TRACE_BAD_L4,	/* TCP offset, UDP or ICMP length nonsense */
	TG_TRACE_FRAGMENT,	/* a non-first IP fragment */
	TG_TRACE_TUNNEL,	/* IP-in-IP, GRE, UDP tunnels: not unwrapped */
	TG_TRACE_ENCRYPTED,	/* ESP, also ESP in UDP (NAT traversal) */
	TG_TRACE_OTHER,		/* anything else (endless header chains) */
	TG_TRACE_REASONS
};

/* Short stable name, e.g. "not-ip", "truncated". */
const char *tg_trace_reason_name(enum tg_trace_reason reason);

/* The longest option layout: 40 option bytes, each a one-byte kind. */
#define TG_TRACE_OPT_LAYOUT_LEN 41

/* TCP options as parsed, and their order (an OS trait, as in p0f). */
struct tg_trace_tcp_opts {
	bool has_mss;
	uint16_t mss;
	int8_t wscale;		/* shift count; -1: no window scale option */
	bool sack_perm;
	bool has_ts;
	uint32_t tsval;
	uint32_t tsecr;
	bool malformed;		/* an option ran past the header: parsing
				 * stopped there */
	/* The kinds in order, one letter each: M mss, N nop, W window scale,
	 * S sack-permitted, K sack blocks, T timestamps, E end of list,
	 * F fast open, P multipath, U user timeout, D md5, A auth, ? other.
	 * A Linux SYN reads "MSTNW". */
	char layout[TG_TRACE_OPT_LAYOUT_LEN];
};

struct tg_trace_pkt {
	uint64_t ts_ns;		/* capture time (set by the reader) */
	uint32_t file;		/* index of its file (set by the reader) */
	uint32_t wire_len;	/* frame length on the wire */
	uint32_t cap_len;	/* bytes captured */

	/* IP */
	uint8_t ip_version;	/* 4 or 6 */
	struct tg_ip_addr src;
	struct tg_ip_addr dst;
	uint8_t ttl;		/* TTL or hop limit */
	uint8_t tos;		/* DSCP/ECN byte or IPv6 traffic class */
	bool df;		/* IPv4 don't-fragment bit */
	bool first_fragment;	/* more fragments follow: sizes are this
				 * fragment's, not the datagram's */
	uint16_t ip_id;		/* IPv4 identification */
	uint32_t flow_label;	/* IPv6 */
	uint32_t ip_len;	/* IPv4 total length or 40 + IPv6 payload */

	/* Transport: proto is the one after any IPv6 extension headers and
	 * AH. Protocols other than TCP/UDP/ICMP/ICMPv6 are kept too, with
	 * ports 0 and the whole IP payload as payload. */
	uint8_t proto;
	uint16_t sport;		/* TCP and UDP only */
	uint16_t dport;
	uint8_t tcp_flags;	/* all 8 bits: FIN..CWR */
	uint32_t seq;
	uint32_t ack;
	uint16_t window;	/* the field, unscaled */
	struct tg_trace_tcp_opts tcp_opts;
	bool icmp_echo;		/* echo request or reply: id and seq valid */
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint16_t icmp_id;
	uint16_t icmp_seq;

	/* Payload after the transport header, by the headers' lengths. */
	uint32_t payload_len;
	/* The captured part of it: valid until the next tg_trace_next(). */
	const uint8_t *payload;
	uint32_t payload_cap;

	/* Where the IP and the transport header begin in the frame (set by
	 * the decoder), and the checksums' verdicts (enum tg_trace_cksum,
	 * set by tg_trace_verify, UNCHECKED otherwise). */
	uint32_t l3_off;
	uint32_t l4_off;
	uint8_t ip_cksum;
	uint8_t l4_cksum;
};

/* What a packet's checksum says. */
enum tg_trace_cksum {
	TG_TRACE_CKSUM_UNCHECKED,	/* not verified, or there is none */
	TG_TRACE_CKSUM_GOOD,
	TG_TRACE_CKSUM_BAD,
	TG_TRACE_CKSUM_ABSENT,	/* UDP over IPv4 with a zero field: the
				 * sender computed none (RFC 768) */
	TG_TRACE_CKSUM_CUT,	/* bytes it covers were not captured, or a
				 * first fragment (it covers the datagram) */
};

/* Decode one frame of link type `linktype` (a DLT_ or LINKTYPE_ value).
 * Fills `out` (all but ts_ns and file, which are zeroed) and says what
 * became of the frame. Safe on any bytes: fit for fuzzers. */
enum tg_trace_reason tg_trace_decode(int linktype, const uint8_t *data,
				     uint32_t cap_len, uint32_t wire_len,
				     struct tg_trace_pkt *out);

/* Verify the IPv4 header checksum and the TCP/UDP/ICMP/ICMPv6 checksum of
 * a packet tg_trace_decode kept from `frame` (its pkt->cap_len captured
 * bytes), with lib/pkt's checksum routine: sets ip_cksum and l4_cksum.
 * The pseudo-header uses the packet's own addresses (an IPv6 routing
 * header's final destination is not looked for). */
void tg_trace_verify(const uint8_t *frame, struct tg_trace_pkt *pkt);

/* Counts of a whole read. */
struct tg_trace_stats {
	uint32_t files;		/* found under the paths */
	uint32_t files_opened;
	uint32_t files_failed;	/* libpcap could not open them */
	uint32_t files_torn;	/* ended in a cut record: read up to it */
	uint64_t packets_read;
	uint64_t packets_kept;	/* == reasons[TG_TRACE_OK] */
	uint64_t reasons[TG_TRACE_REASONS];
};

/* "reason: count" lines, every reason (kept first), then file counts. */
void tg_trace_stats_print(const struct tg_trace_stats *stats, FILE *out);

/* One capture file under the paths. */
struct tg_trace_file {
	const char *path;
	int linktype;		/* -1 until opened */
	uint64_t packets_read;
	uint64_t packets_kept;
	const char *error;	/* NULL, or why it failed or was cut short */
};

/* A file libpcap cannot open, or one that ends in a cut record, is an
 * error (tg_trace_open fails, tg_trace_next returns -1). Without it such
 * files are reported on the log, counted and passed over. */
#define TG_TRACE_STRICT 0x1
/* Verify the checksums of every kept packet (tg_trace_verify); without
 * it they stay TG_TRACE_CKSUM_UNCHECKED and cost nothing. */
#define TG_TRACE_CHECKSUMS 0x2

struct tg_trace_conf {
	unsigned flags;		/* TG_TRACE_* */
	FILE *log;		/* where bad files are reported, or NULL
				 * (tg_trace_file() still tells) */
};

struct tg_trace;

/* Gather the capture files of `paths` (files, or folders walked
 * recursively; regular files only, hidden names skipped, sorted by name
 * within each folder, paths in the given order) and check that libpcap
 * opens each. `conf` may be NULL (lenient, silent). Returns 0, or -1 with
 * a message in err if a path is missing, no file can be read, or, when
 * strict, any file fails. */
int tg_trace_open(const char *const *paths, unsigned n_paths,
		  const struct tg_trace_conf *conf, struct tg_trace **out,
		  char *err, size_t errlen);

/* The next kept packet: 1; 0 at the end of the last file; -1 on a strict
 * error (tg_trace_error says which; a further call goes on with the next
 * file). Skipped frames are counted only.
 * Files are read one after the other, each in its own order and timeline:
 * pkt->file says which. */
int tg_trace_next(struct tg_trace *t, struct tg_trace_pkt *pkt);

const char *tg_trace_error(const struct tg_trace *t);
const struct tg_trace_stats *tg_trace_stats(const struct tg_trace *t);
uint32_t tg_trace_file_count(const struct tg_trace *t);
/* File `index` (pkt->file), or NULL if there is none. */
const struct tg_trace_file *tg_trace_file(const struct tg_trace *t,
					  uint32_t index);

void tg_trace_close(struct tg_trace *t);

#endif /* TG_TRACE_H */
