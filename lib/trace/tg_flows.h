/* SPDX-License-Identifier: BSD-3-Clause
 * tg_flows: assembles decoded packets (tg_trace) into bidirectional flows
 * with client and server roles, and hands each finished flow to a
 * callback, in the order flows finish. No DPDK here.
 *
 * A flow is keyed by file, IP version, protocol, both addresses and both
 * ports; ICMP/ICMPv6 echo by the echo identifier; other IP protocols (and
 * other ICMP messages) by the address pair alone. Files have independent
 * timelines, so flows never span files: the file is in the key, and a
 * file's flows all end when the next file's packets begin.
 *
 * Roles, first rule that applies (enum tg_flow_role_rule):
 *   1. a SYN without ACK: its sender is the client;
 *   2. a SYN-ACK: its receiver is the client;
 *   3. an ICMP echo request: its sender is the client (reply: receiver);
 *   4. the first packet comes from a port below 1024 to one at or above
 *      1024: its receiver is the client (the capture began mid-flow);
 *   5. otherwise the first packet's sender is the client.
 *
 * A flow ends (enum tg_flow_end): on TCP close (FIN both ways, or RST),
 * after a grace period that keeps the final ACK and late retransmissions
 * in the flow; after an idle timeout; at the end of its file; or when the
 * table is full and it is the one closest to its deadline. A SYN without
 * ACK on a closed connection's 5-tuple starts a new flow.
 *
 * Memory is bounded: finished flows are handed to the callback and their
 * slot reused; each flow stores at most max_pkts packets of its sequence
 * (totals still count them all); at most max_open flows are open.
 */
#ifndef TG_FLOWS_H
#define TG_FLOWS_H

#include <stdbool.h>
#include <stdint.h>

#include "tg_flow.h"	/* enum tg_dir: TG_DIR_C2S, TG_DIR_S2C */
#include "tg_trace.h"

enum tg_flow_role_rule {
	TG_ROLE_SYN,		/* the client sent a SYN without ACK */
	TG_ROLE_SYNACK,		/* the first packet was the server's SYN-ACK */
	TG_ROLE_ECHO,		/* ICMP echo: the requester is the client */
	TG_ROLE_PORT_SWAP,	/* first packet from a well-known port */
	TG_ROLE_FIRST,		/* the first sender is the client */
	TG_ROLE_RULES
};

enum tg_flow_start {
	TG_START_SYN,		/* TCP, first packet a SYN without ACK */
	TG_START_MIDFLOW,	/* TCP, anything else (SYN-ACK included) */
	TG_START_NOT_TCP,
	TG_START_KINDS
};

enum tg_flow_end {
	TG_END_FIN,		/* FIN seen both ways */
	TG_END_RST,
	TG_END_TIMEOUT,		/* idle longer than its timeout */
	TG_END_EOF,		/* still open when its file ended */
	TG_END_EVICTED,		/* the table was full */
	TG_END_KINDS
};

const char *tg_flow_role_rule_name(enum tg_flow_role_rule rule);
const char *tg_flow_start_name(enum tg_flow_start start);
const char *tg_flow_end_name(enum tg_flow_end end);

/* One packet of a flow's sequence. */
struct tg_flow_pkt {
	uint64_t iat_ns;	/* since the flow's previous packet; 0 for the
				 * first, and when the clock went back */
	uint32_t payload_len;
	uint32_t wire_len;
	uint8_t dir;		/* enum tg_dir */
	uint8_t tcp_flags;
	uint16_t window;	/* TCP: the window field, unscaled */
};

/* One direction: totals, and the header fields of its first packet. */
struct tg_flow_side {
	uint64_t packets;
	uint64_t payload_bytes;
	uint64_t wire_bytes;
	uint8_t ttl;		/* TTL or hop limit */
	uint8_t tos;
	bool df;
	uint16_t ip_id;
	uint16_t ip_id_second;	/* IPv4 id of its second packet, when
				 * packets >= 2: increment or random */
	uint32_t flow_label;
	uint16_t window;	/* TCP, unscaled */
};

struct tg_flow_rec {
	uint64_t id;		/* 0, 1, ... in order of first packet */
	uint32_t file;
	uint8_t ip_version;
	uint8_t proto;
	struct tg_ip_addr client;
	struct tg_ip_addr server;
	uint16_t client_port;	/* TCP and UDP; 0 otherwise */
	uint16_t server_port;
	bool icmp_echo;		/* an ICMP echo flow: icmp_id is its key */
	uint16_t icmp_id;
	const char *service;	/* tg_service_class(proto, server_port) */
	uint8_t role_rule;	/* enum tg_flow_role_rule */
	uint8_t start;		/* enum tg_flow_start */
	uint8_t end;		/* enum tg_flow_end */
	uint64_t first_ns;
	uint64_t last_ns;	/* time of the last packet */
	struct tg_flow_side side[2];	/* by enum tg_dir */

	/* TCP handshake: the client's SYN and the server's SYN-ACK. */
	bool has_syn;
	bool has_synack;
	uint16_t syn_window;
	uint16_t synack_window;
	struct tg_trace_tcp_opts syn_opts;
	struct tg_trace_tcp_opts synack_opts;

	/* The first n_pkts packets (at most max_pkts), valid during the
	 * callback only. */
	uint32_t n_pkts;
	bool pkts_truncated;	/* the flow had more packets than stored */
	const struct tg_flow_pkt *pkts;
};

typedef void (*tg_flow_cb)(const struct tg_flow_rec *flow, void *arg);

/* Zero fields take the defaults in brackets. */
struct tg_flows_conf {
	uint64_t tcp_idle_ns;	/* [120 s] an open TCP flow */
	uint64_t udp_idle_ns;	/* [60 s] */
	uint64_t other_idle_ns;	/* [60 s] ICMP and other protocols */
	uint64_t close_grace_ns;	/* [2 s] after FIN both ways or RST */
	uint32_t max_pkts;	/* [256] packets stored per flow */
	uint32_t max_open;	/* [1 << 20] open flows */
	tg_flow_cb on_flow;	/* required */
	void *arg;
};

/* Counts over the life of a table. */
struct tg_flows_stats {
	uint64_t packets;
	uint64_t flows;		/* handed to on_flow */
	uint64_t open_peak;
	uint64_t by_end[TG_END_KINDS];
	uint64_t by_rule[TG_ROLE_RULES];
};

struct tg_flows;

/* NULL if on_flow is missing or memory runs out. */
struct tg_flows *tg_flows_create(const struct tg_flows_conf *conf);

/* Account one packet; flows that finish by its time are handed over
 * first. Within a file packets come in capture order; a new file index
 * ends every open flow (TG_END_EOF). 0, or -1 when out of memory. */
int tg_flows_add(struct tg_flows *t, const struct tg_trace_pkt *pkt);

/* End of input: every open flow ends (TG_END_EOF). */
void tg_flows_flush(struct tg_flows *t);

uint32_t tg_flows_open_count(const struct tg_flows *t);
const struct tg_flows_stats *tg_flows_stats(const struct tg_flows *t);

/* Open flows are dropped without a callback: flush first. */
void tg_flows_free(struct tg_flows *t);

#endif /* TG_FLOWS_H */
