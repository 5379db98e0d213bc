/* SPDX-License-Identifier: BSD-3-Clause
 * Inside the fitter (lib/fit/tg_fit*.c): what is kept of each flow, and
 * what the parts share. tg_fit.c takes flows in, fits services and runs
 * the rest; tg_fit_auto.c fits the packet automata; tg_fit_arrivals.c the
 * arrivals, the hosts and the DNS lookups. Not for use outside lib/fit.
 */
#ifndef TG_FIT_INT_H
#define TG_FIT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_fit.h"

#define NS_PER_S 1e9
#define MAX_GAP_S 3600.0	/* longer: a pause of the capture, not of
				 * the traffic */
#define NO_INDEX UINT32_MAX
#define N_CODES (2 * TG_SC_CLASSES * TG_SIZE_BUCKETS)	/* symbol codes */

/* A (class, protocol) pair as seen, before rare ones are folded. */
struct raw_service {
	char name[TG_MODEL_NAME_LEN];	/* tg_flow_rec.service */
	uint8_t proto;		/* TG_PROTO_TCP, _UDP or _ICMP */
	uint64_t flows;
	char final[TG_MODEL_NAME_LEN];	/* its model service */
	uint32_t service;
};

struct fit_side {
	bool seen;		/* the side sent a packet */
	uint8_t ttl;
	uint8_t tos;
	bool df;
	uint8_t ipid;		/* enum tg_ipid_mode */
};

/* What a SYN (client) or SYN-ACK (server) offers. */
struct fit_offer {
	bool seen;
	bool has_mss;
	bool sack;
	bool ts;
	int8_t wscale;		/* -1: none */
	uint16_t mss;
	uint16_t window;
};

struct fit_flow {
	uint64_t order;		/* arrival at the fitter, to break ties */
	uint64_t first_ns;
	uint32_t file;
	uint32_t raw;		/* index into raw services */
	uint32_t service;	/* index into the model's services */
	uint8_t proto;		/* TG_PROTO_TCP, _UDP or _ICMP */
	bool ipv6;
	bool dns;		/* class "dns": a lookup others may follow */
	bool has_rtt;
	bool has_ack_delay;
	bool in_automaton;	/* its symbols feed the automaton */
	bool seq_ends;		/* not truncated: its end is an event */
	bool lookup;		/* a DNS flow claimed as the lookup of a later
				 * connection (tg_fit_dns): the engine makes
				 * it, so it is no arrival of its own */
	uint8_t syn_fate;	/* enum tg_syn_fate: TCP from a SYN that got
				 * no answer or a RST (the engine plays it
				 * so), or any other flow */
	uint64_t arrive_ns;	/* its arrival: first_ns, or the time of the
				 * lookup it claimed */
	struct tg_ip_addr client;
	struct tg_ip_addr server;
	uint16_t client_port;
	uint16_t server_port;
	struct fit_side side[2];
	struct fit_offer offer[2];
	uint16_t data_window[2];	/* window field each side sent after
					 * the handshake (median); 0: none */
	uint16_t window_pkts[2];	/* the packets behind it */
	uint64_t rtt_ns;
	uint64_t ack_delay_ns;
	uint64_t seq_off;	/* into the fitter's packets */
	uint32_t seq_len;	/* 0 unless in_automaton */
};

/* One packet of a flow's sequence after the handshake. */
struct fit_pkt {
	uint64_t gap_ns;	/* since the flow's previous packet */
	uint32_t payload_len;
	uint8_t code;		/* direction, class and size bucket */
};

struct tg_fitter {
	struct tg_fit_conf conf;
	struct tg_fit_stats stats;
	bool failed;		/* out of memory while adding flows */
	bool finished;		/* tg_fit_finish ran: the flows are spent */
	uint64_t packets_seen;	/* in every flow handed over */
	struct raw_service *raw;
	uint32_t n_raw;
	uint32_t cap_raw;
	struct fit_flow *flows;
	size_t n_flows;
	size_t cap_flows;
	struct fit_pkt *pkts;
	size_t n_pkts;
	size_t cap_pkts;
};

/* What tg_fit_finish works with. */
struct fit_run {
	struct tg_fitter *f;
	struct tg_model *m;
	uint32_t n_services;
	uint32_t *by_service;	/* flow indices grouped by service */
	size_t *first;		/* [n_services + 1] into by_service */
	uint32_t *by_time;	/* flow indices by file, then start time */
	uint32_t *ubuf;		/* scratch, one entry per flow */
	double *dbuf;
};

/* --- Symbols ------------------------------------------------------------- */

/* A symbol as one number; in this order an automaton's symbols come out
 * grouped by direction, then class, then size. */
static inline uint8_t
tg_fit_sym_code(unsigned dir, unsigned cls, uint32_t payload_len)
{
	return (uint8_t)((dir * TG_SC_CLASSES + cls) * TG_SIZE_BUCKETS +
			 tg_size_bucket(payload_len));
}

static inline struct tg_sym
tg_fit_sym_of_code(unsigned code)
{
	return (struct tg_sym){
		.dir = (uint8_t)(code / (TG_SC_CLASSES * TG_SIZE_BUCKETS)),
		.cls = (uint8_t)(code / TG_SIZE_BUCKETS % TG_SC_CLASSES),
		.bucket = (uint8_t)(code % TG_SIZE_BUCKETS),
	};
}

/* --- Shared helpers ------------------------------------------------------ */

static inline double
tg_fit_share(double part, double whole, double dflt)
{
	return whole > 0 ? part / whole : dflt;
}

/* Make room for one more of n items of `size` bytes; -1 when out of
 * memory. */
int tg_fit_reserve(void **items, size_t *cap, size_t n, size_t size);

/* Nanoseconds as seconds for a mixture, within 1 us .. MAX_GAP_S. */
double tg_fit_seconds(uint64_t ns);

/* A log-normal mixture of the n values x[] (BIC picks the components);
 * without values: *dflt. -1 when out of memory. */
int tg_fit_mix(const struct tg_fitter *f, const double *x, size_t n,
	       const struct tg_lnmix *dflt, struct tg_lnmix *out);

/* An empirical histogram of the n values v[] (sorted in place); without
 * values: the one value dflt. -1 when out of memory. */
int tg_fit_hist(struct tg_hist *h, uint32_t *v, size_t n, uint32_t dflt);

/* The packet automaton of the n flows idx[] of one service. */
int tg_fit_automaton(const struct fit_run *run, const uint32_t *idx,
		     size_t n, struct tg_automaton *a);

/* The model-wide parts; the services must be fitted first, and the DNS
 * lookups before the arrivals (they decide which flows arrive). */
int tg_fit_dns(const struct fit_run *run);
int tg_fit_arrivals(const struct fit_run *run);
int tg_fit_hosts(const struct fit_run *run);

#endif /* TG_FIT_INT_H */
