/* SPDX-License-Identifier: BSD-3-Clause
 * tg_flows: assembles decoded packets into bidirectional flows with client
 * and server roles, and hands each finished flow to a callback. No DPDK.
 *
 * A flow is keyed by file, IP version, protocol, both addresses and both
 * ports (ICMP echo: the identifier). Flows never span files: each capture
 * has its own timeline. A flow ends on TCP close (both FINs, or a RST,
 * then a short grace for the last ACK), on idle timeout, or at the end of
 * its file.
 */
#ifndef TG_FLOWS_H
#define TG_FLOWS_H

#include <stdbool.h>
#include <stdint.h>

#include "tg_trace.h"

/* How the client was told from the server. */
enum tg_role_rule {
	TG_ROLE_SYN,	/* the SYN (or SYN-ACK) said who opened */
	TG_ROLE_PORT,	/* mid-flow: the well-known port is the server's */
	TG_ROLE_FIRST,	/* the first sender is the client */
};

enum tg_flow_end {
	TG_END_FIN,	/* both sides sent FIN */
	TG_END_RST,
	TG_END_TIMEOUT,	/* idle longer than the timeout */
	TG_END_EOF,	/* still open when its file ended */
};

/* One packet of a flow, as the sequence models see it. */
struct tg_flow_event {
	uint64_t ts_ns;
	uint32_t payload_len;
	uint16_t wire_len;	/* frame length, capped */
	uint8_t dir;		/* 0: client to server, 1: back */
	uint8_t tcp_flags;
};

/* Header traits of one direction, from its first packet (and its SYN). */
struct tg_flow_side {
	uint8_t ttl;
	uint8_t tos;
	bool df;
	bool saw_syn;		/* SYN options below are valid */
	uint16_t first_ip_id;
	uint16_t syn_window;
	struct tg_trace_tcp_opts syn_opts;
};

struct tg_flow_rec {
	uint64_t id;		/* in order of first packet */
	uint32_t file;
	uint8_t ip_version;
	uint8_t proto;
	uint8_t role_rule;	/* enum tg_role_rule */
	uint8_t end;		/* enum tg_flow_end */
	struct tg_ip_addr client;
	struct tg_ip_addr server;
	uint16_t client_port;
	uint16_t server_port;
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t packets[2];	/* per direction */
	uint64_t payload_bytes[2];
	uint64_t wire_bytes[2];
	struct tg_flow_side side[2];
	uint32_t n_events;	/* stored, at most the table's max_events */
	struct tg_flow_event *events;
};

struct tg_flows_params {
	uint64_t tcp_timeout_ns;	/* 0: 120 s */
	uint64_t other_timeout_ns;	/* 0: 60 s */
	uint64_t close_grace_ns;	/* 0: 2 s */
	uint32_t max_events;		/* 0: 256 */
	void (*on_flow)(const struct tg_flow_rec *flow, void *arg);
	void *arg;
};

struct tg_flows;

struct tg_flows *tg_flows_create(const struct tg_flows_params *p);

/* Account one packet. Packets must come in file order. */
int tg_flows_add(struct tg_flows *t, const struct tg_trace_pkt *pkt);

/* End every open flow (end of input). */
void tg_flows_flush(struct tg_flows *t);

/* Flows currently open. */
uint32_t tg_flows_open_count(const struct tg_flows *t);

void tg_flows_free(struct tg_flows *t);

#endif /* TG_FLOWS_H */
