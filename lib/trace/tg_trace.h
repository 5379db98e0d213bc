/* SPDX-License-Identifier: BSD-3-Clause
 * tg_trace: reads real captures (pcap and pcapng files, or folders of them)
 * into decoded packets for tempogen-fit and tempogen-eval. No DPDK here.
 *
 * Every frame is either decoded down to its transport header or skipped
 * for a counted reason; lengths are always checked against what was
 * captured, so garbage and snaplen-cut frames never crash the reader.
 */
#ifndef TG_TRACE_H
#define TG_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tg_pkt.h"

/* Why a frame was not decoded (TG_SKIP_NONE: it was). */
enum tg_skip {
	TG_SKIP_NONE,
	TG_SKIP_NOT_IP,		/* ARP, LLDP, STP, ... */
	TG_SKIP_LINK,		/* a link type we do not read (802.11, ...) */
	TG_SKIP_TRUNCATED,	/* cut inside the IP or transport header */
	TG_SKIP_BAD_IP,		/* version, header or total length nonsense */
	TG_SKIP_FRAGMENT,	/* a non-first IP fragment */
	TG_SKIP_TUNNEL,		/* IP-in-IP, GRE: counted, not unwrapped */
	TG_SKIP_ENCRYPTED,	/* ESP */
	TG_SKIP_OTHER_PROTO,	/* IP protocols other than TCP/UDP/ICMP */
	TG_SKIP_COUNT
};

const char *tg_skip_name(enum tg_skip reason);

/* TCP options as a SYN carries them, and their order (an OS trait). */
struct tg_trace_tcp_opts {
	uint16_t mss;		/* 0: absent */
	int8_t wscale;		/* -1: absent */
	bool sack_perm;
	bool has_ts;
	uint32_t tsval;
	uint32_t tsecr;
	char layout[16];	/* kinds in order: M S T N W E, e.g. "MSTNW" */
};

struct tg_trace_pkt {
	uint64_t ts_ns;
	uint32_t file;		/* index of the file it came from */
	uint32_t wire_len;	/* frame length on the wire */
	uint32_t cap_len;	/* bytes captured */

	uint8_t ip_version;
	struct tg_ip_addr src;
	struct tg_ip_addr dst;
	uint8_t ttl;		/* TTL or hop limit */
	uint8_t tos;		/* DSCP/ECN or traffic class */
	bool df;
	uint16_t ip_id;
	uint32_t ip_len;	/* IP packet length from its header */

	uint8_t proto;		/* TG_PROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	uint16_t sport;		/* ICMP echo: sport = dport = id */
	uint16_t dport;
	uint8_t tcp_flags;
	uint32_t seq;
	uint32_t ack;
	uint16_t window;
	struct tg_trace_tcp_opts opts;	/* TCP only */
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint16_t icmp_seq;

	/* Payload length from the headers, not from what was captured, so
	 * cut frames still give their true size. */
	uint32_t payload_len;
	const uint8_t *payload;	/* captured payload bytes, valid until */
	uint32_t payload_cap;	/* the next tg_trace_next() */
};

/* Decode one frame of link type `linktype` (a LINKTYPE_/DLT_ value). */
enum tg_skip tg_trace_decode(int linktype, const uint8_t *data,
			     uint32_t cap_len, uint32_t wire_len,
			     struct tg_trace_pkt *out);

struct tg_trace_stats {
	uint64_t files;		/* opened */
	uint64_t files_failed;	/* libpcap could not open them */
	uint64_t read_errors;	/* files that ended in a torn record */
	uint64_t frames;	/* read */
	uint64_t decoded;
	uint64_t skipped[TG_SKIP_COUNT];
};

struct tg_trace;

/* Open captures: files, or folders walked recursively in sorted order.
 * A file libpcap cannot open is reported on `log` (may be NULL) and
 * counted. Returns NULL with a message in err if a path does not exist or
 * nothing is left to read. */
struct tg_trace *tg_trace_open(const char *const *paths, unsigned n_paths,
			       FILE *log, char *err, size_t errlen);

/* The next decoded packet: 1, or 0 at the end. Skipped frames are counted
 * and not returned. Packets of one file come in file order; files follow
 * one another, each with its own timeline. */
int tg_trace_next(struct tg_trace *t, struct tg_trace_pkt *pkt);

/* Name of file `index`. */
const char *tg_trace_file_name(const struct tg_trace *t, uint32_t index);
uint32_t tg_trace_file_count(const struct tg_trace *t);

const struct tg_trace_stats *tg_trace_stats(const struct tg_trace *t);

/* "reason: count" lines for every reason with a count, to `stream`. */
void tg_trace_print_stats(const struct tg_trace *t, FILE *stream);

void tg_trace_close(struct tg_trace *t);

#endif /* TG_TRACE_H */
