/* SPDX-License-Identifier: BSD-3-Clause
 * tg_model: what traffic looks like, and the draws the engine makes from it.
 * No DPDK here.
 *
 * A model is one of two kinds, read from the same file format
 * (docs/model-format.md):
 *   - "parametric": a hand-set service mix with log-normal sizes and times,
 *     played message by message (the engine segments and acknowledges);
 *   - "fitted": learned from captures by tempogen-fit (docs/model.md): a
 *     marked point process of flow arrivals, hosts, header fields per
 *     service, a timed automaton of packet symbols per service, and the
 *     DNS lookups that precede connections. Played packet by packet.
 *
 * The engine only talks to a model through these questions:
 *   - when does the next flow start, and of which service
 *     (tg_model_next_arrival),
 *   - what is the new flow: header fields, ports, handshake timing
 *     (tg_model_flow_new),
 *   - what does the flow do next: who sends how many bytes with which
 *     intent, after which gap (tg_model_flow_step).
 * A loaded model is read-only: any number of lcores draw from it at once,
 * each with its own generator and cursors.
 */
#ifndef TG_MODEL_H
#define TG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tg_flow.h"
#include "tg_rng.h"
#include "tg_sample.h"

#define TG_MODEL_FORMAT_VERSION 2
#define TG_MODEL_MAX_SERVICES 64
#define TG_MODEL_NAME_LEN 32

enum tg_model_kind {
	TG_MODEL_PARAMETRIC,
	TG_MODEL_FITTED,
};

enum tg_payload_kind {
	TG_PAYLOAD_ZERO,	/* all zero bytes */
	TG_PAYLOAD_RANDOM,	/* high-entropy bytes */
	TG_PAYLOAD_HTTP,	/* HTTP/1.1 requests and responses */
	TG_PAYLOAD_DNS,		/* DNS queries and answers */
	TG_PAYLOAD_TLS,		/* TLS 1.3 hellos, then application data */
	TG_PAYLOAD_SSH,		/* SSH banners, key exchange, packets */
	TG_PAYLOAD_NTP,		/* NTPv4 client and server messages */
	TG_PAYLOAD_DNS_TCP,	/* DNS with RFC 1035 4.2.2 length prefix */
	TG_PAYLOAD_QUIC,	/* QUIC v1 long, then short header packets */
	TG_PAYLOAD_SMTP,	/* SMTP commands, replies and a mail */
	TG_PAYLOAD_SYSLOG,	/* RFC 3164 syslog lines */
	TG_PAYLOAD_NBNS,	/* NetBIOS name queries and answers */
	TG_PAYLOAD_NBSS,	/* NetBIOS session, then SMB 3 encrypted */
	TG_PAYLOAD_SMB,		/* SMB 3 encrypted messages over TCP */
	TG_PAYLOAD_DHCP,	/* DHCP discover/offer/request/ack */
	TG_PAYLOAD_SNMP,	/* SNMPv2c get requests and responses */
	TG_PAYLOAD_IKE,		/* IKEv2 messages with an encrypted payload */
	TG_PAYLOAD_KINDS
};

/* "zero", "random", "http", "dns"; NULL past the end. */
const char *tg_payload_kind_name(unsigned kind);

/* ------------------------------------------------------------------------
 * Parametric models
 */

/* A log-normal given by its median and the sigma of its log. */
struct tg_lognorm {
	double median;
	double sigma;
};

/* The TCP/IP stack of one side: what its packets carry in headers. */
struct tg_stack {
	uint8_t ttl;
	uint16_t mss;		/* 0: no MSS option */
	int8_t wscale;		/* -1: no window scale option */
	bool sack;
	bool timestamps;
	uint32_t rcv_buf;
	bool df;
};

struct tg_service {
	char name[TG_MODEL_NAME_LEN];
	uint8_t proto;		/* TG_PROTO_TCP, _UDP, _ICMP */
	uint16_t port;		/* server port (TCP/UDP) */
	double weight;		/* share of flows */
	uint8_t payload;	/* enum tg_payload_kind */
	double exchanges;	/* mean request/response pairs per flow */
	struct tg_lognorm request;	/* bytes per request */
	struct tg_lognorm response;	/* bytes per response */
	struct tg_lognorm think;	/* seconds between exchanges */
	struct tg_lognorm server_time;	/* seconds the server takes */
	double reset_share;	/* flows that end with RST instead of FIN */
	double server_close_share;	/* flows the server closes first */
};

struct tg_parametric {
	struct tg_lognorm arrival;	/* seconds between flow starts */
	struct tg_lognorm rtt;		/* seconds of round-trip time */
	struct tg_stack client;
	struct tg_stack server;
	struct tg_service services[TG_MODEL_MAX_SERVICES];
	double total_weight;
};

/* ------------------------------------------------------------------------
 * Fitted models
 */

/* Packet symbols: direction x flag class x payload-size bucket. */
enum tg_sym_class {
	TG_SC_ACK,		/* TCP without SYN, FIN or RST (data or not) */
	TG_SC_FIN,		/* TCP with FIN (and not RST) */
	TG_SC_RST,		/* TCP with RST */
	TG_SC_DGRAM,		/* a UDP datagram or an ICMP message */
	TG_SC_CLASSES
};

/* Payload-size buckets: bucket b holds lengths from tg_size_bucket_lo[b]
 * up to the next bucket's lower bound minus one. */
#define TG_SIZE_BUCKETS 7
extern const uint32_t tg_size_bucket_lo[TG_SIZE_BUCKETS];
unsigned tg_size_bucket(uint32_t payload_len);

struct tg_sym {
	uint8_t dir;		/* enum tg_dir */
	uint8_t cls;		/* enum tg_sym_class */
	uint8_t bucket;		/* payload-size bucket */
};

/* Symbol 0 of every automaton stands for the beginning of a flow (for TCP:
 * right after the three-way handshake, which the engine makes itself). */
#define TG_SYM_START 0
#define TG_AUTO_MAX_ORDER 3

/* Limits of the model file and of tg_model_check; the reader refuses
 * larger tables before it allocates anything. */
#define TG_HIST_MAX_BINS 4096		/* bins of one tg_hist */
#define TG_AUTO_MAX_SYMS 65535		/* symbols of one automaton */
#define TG_AUTO_MAX_STATES 1000000	/* states of one automaton */
#define TG_AUTO_MAX_TABLE 1000000	/* iats or sizes of one automaton */
#define TG_MODEL_MAX_PAYLOAD 65535	/* bytes of one packet's payload */
/* Probabilities that must sum to 1 may miss it by this much: files hold
 * 6 significant digits, and are never renormalised. */
#define TG_MODEL_P_TOLERANCE 1e-4
/* Longest symbol name, "s:DGRAM:1500" and its NUL. */
#define TG_SYM_NAME_LEN 16

/* One state: a context of the last ctx_len symbols (oldest first). The
 * root state (index 0, ctx_len 0) is the back-off of last resort. */
struct tg_auto_state {
	uint16_t ctx[TG_AUTO_MAX_ORDER];
	uint8_t ctx_len;
	uint32_t count;		/* training packets seen in this context */
	double end;		/* P(the flow ends here) */
	uint32_t n_next;
	uint16_t *next;		/* symbol of transition i */
	double *p;		/* its probability; sum of p and end is 1 */
	uint32_t *iat;		/* its gap distribution: index into iats */
	uint32_t *size;		/* its payload sizes: index into sizes */
	struct tg_alias alias;	/* over n_next + 1 outcomes; the last: end */
};

struct tg_automaton {
	uint8_t order;		/* longest context, 1..TG_AUTO_MAX_ORDER */
	uint32_t n_syms;
	struct tg_sym *syms;	/* syms[TG_SYM_START] is the start marker */
	uint32_t n_iats;
	struct tg_lnmix *iats;	/* seconds since the flow's previous packet */
	uint32_t n_sizes;
	struct tg_hist *sizes;	/* payload bytes */
	uint32_t n_states;
	struct tg_auto_state *states;
	/* Context -> state, built at load (open addressing; 0 = empty,
	 * else state index + 1). */
	uint32_t lookup_mask;
	uint32_t *lookup;
};

/* The state whose context is ctx[0..len-1] (oldest first), or -1 when
 * there is none (or the lookup is not built: tg_model_check builds it).
 * The engine backs off by dropping the oldest symbol; len 0 finds the
 * root. The hash is described in tg_model_check.c. */
int32_t tg_automaton_find(const struct tg_automaton *a, const uint16_t *ctx,
			  uint8_t len);

/* Symbol `i` of `a` as the model file writes it: "^" for the start
 * marker, else direction (c, s), class (ACK, FIN, RST, DGRAM) and the
 * lower bound of its payload bucket, "s:ACK:1200"; "?" for no symbol.
 * Returns buf, which holds TG_SYM_NAME_LEN bytes at least. */
const char *tg_auto_sym_name(const struct tg_automaton *a, uint32_t i,
			     char *buf);

enum tg_ipid_mode {
	TG_IPID_ZERO,		/* always 0 (Linux with DF on some paths) */
	TG_IPID_INCREMENT,	/* +1 per packet from a random start */
	TG_IPID_RANDOM,		/* a fresh random id per packet */
	TG_IPID_MODES
};

/* What one side's packets carry, for one service. */
struct tg_side_model {
	struct tg_hist ttl;	/* TTL / hop limit at the capture point */
	struct tg_hist tos;	/* DSCP and ECN byte (traffic class) */
	double df;		/* P(IPv4 DF set) */
	struct tg_hist ipid;	/* enum tg_ipid_mode */
	/* TCP: what its SYN (client) or SYN-ACK (server) offers. */
	double mss_share;	/* P(MSS option) */
	struct tg_hist mss;
	double wscale_share;	/* P(window scale option) */
	struct tg_hist wscale;	/* shift 0..14 */
	double sack;		/* P(SACK permitted) */
	double timestamps;	/* P(timestamps) */
	struct tg_hist window;	/* window field of the SYN / SYN-ACK; also
				 * the receive buffer behind later windows
				 * when data_window is empty */
	struct tg_hist data_window;	/* window field it sends after the
					 * handshake, unscaled */
};

struct tg_fitted_service {
	char name[TG_MODEL_NAME_LEN];
	uint8_t proto;		/* TG_PROTO_TCP, _UDP, _ICMP */
	uint8_t payload;	/* enum tg_payload_kind */
	uint64_t flows;		/* training flows behind it */
	double share;		/* of all flows */
	double ipv6;		/* P(IPv6) */
	struct tg_hist server_port;
	struct tg_hist client_port;	/* source-port ranges of client OSes */
	struct tg_side_model side[2];	/* by enum tg_dir */
	struct tg_lnmix rtt;		/* TCP: SYN to SYN-ACK, seconds */
	struct tg_lnmix ack_delay;	/* TCP: SYN-ACK to the client's ACK */
	double dns_first;	/* P(the client looked the server up first) */
	/* TCP: connections that never open. Their SYN gets no answer, or
	 * the server refuses it with a RST; unanswered + refused <= 1. */
	double unanswered;
	double refused;
	struct tg_side_model unopened;	/* their client side (a scanner's
					 * SYN is not a browser's); empty
					 * when no connection fails */
	struct tg_automaton automaton;
};

/* The flow-arrival process: a marked point process. The gap to the next
 * flow and the next flow's service both depend on the previous flow's
 * service; the time of day scales the rate. */
struct tg_arrivals {
	struct tg_lnmix gap;	/* seconds, whatever the previous service */
	bool *has_gap_after;	/* [n_services]: gap_after[i] was fitted */
	struct tg_lnmix *gap_after;	/* [n_services] after service i */
	double *next;		/* [n_services * n_services], row i:
				 * P(next service j | previous service i) */
	struct tg_alias *next_alias;	/* [n_services], built at load */
	uint32_t tod_bucket_hours;	/* 24: one bucket, not conditioned */
	double tod_rate[24];	/* relative rate per bucket, mean 1 */
	double start_hour;	/* the hour of day at model time 0 */
};

/* Who talks: mapped at run time onto the config's address pools. */
struct tg_hosts_model {
	uint64_t clients;	/* distinct clients in training */
	uint64_t servers;
	double client_zipf;	/* flows per client ~ rank^-client_zipf */
	double server_zipf;
	double repeat_server;	/* P(a client's flow goes to a server it
				 * used before) */
	double server_internal;	/* P(the server is a private address):
				 * drawn from the client pool at run time */
};

/* Where the model came from. */
struct tg_provenance {
	char tool[64];		/* "tempogen-fit 0.2.0" */
	char date[32];		/* ISO 8601, UTC */
	char source[256];	/* the input paths, as given */
	uint32_t files;
	uint64_t packets;	/* read */
	uint64_t packets_used;	/* in flows that went into the model */
	uint64_t flows;		/* assembled */
	uint64_t flows_used;
};

struct tg_fitted {
	struct tg_provenance prov;
	struct tg_arrivals arrivals;
	struct tg_hosts_model hosts;
	struct tg_lnmix dns_delay;	/* DNS query to the connection, s */
	struct tg_fitted_service *services;	/* [n_services] */
};

/* ------------------------------------------------------------------------
 * A model of either kind
 */

struct tg_model {
	char name[TG_MODEL_NAME_LEN];
	uint8_t kind;		/* enum tg_model_kind */
	uint32_t n_services;
	struct tg_parametric par;	/* kind parametric */
	struct tg_fitted fit;		/* kind fitted; heap parts owned */
};

/* One step of a flow, as the model wants it. Parametric models give
 * messages: for TCP the engine turns a DATA step of many bytes into
 * MSS-sized segments and the ACKs a real receiver sends. Fitted models
 * give packets: a DATA step is one segment or datagram and ACK steps are
 * the receiver's own (tg_model_packet_level). For UDP and ICMP one step is
 * one packet either way. */
struct tg_step {
	uint8_t dir;		/* enum tg_dir */
	uint8_t intent;		/* enum tg_intent */
	uint32_t bytes;		/* payload bytes for DATA */
	uint64_t gap_ns;	/* time since the previous packet of the flow */
};

/* Round trips are drawn below an hour (and effects' below 10 s): they fit
 * the 42 bits a flow keeps for them. */
#define TG_MODEL_MAX_RTT_NS ((1ull << 42) - 1)

/* Where a flow is in its life: 16 bytes, as a worker keeps millions. The
 * fields of one kind of model share room with the other kind's. */
struct tg_flow_cursor {
	uint64_t rtt_ns : 42;	/* the flow's round-trip time, at most
				 * TG_MODEL_MAX_RTT_NS */
	uint64_t steps : 17;	/* fitted: steps drawn, to cap a flow's
				 * life (at most 100,000) */
	uint64_t ctx_len : 2;	/* fitted: symbols in ctx */
	uint64_t closer : 1;	/* parametric: enum tg_dir that sends the
				 * first FIN */
	uint64_t reset : 1;	/* parametric */
	uint64_t requested : 1;	/* parametric: the first request was sent */
	uint16_t service;	/* index into the model's services */
	union {
		/* fitted: the last symbols, oldest first */
		uint16_t ctx[TG_AUTO_MAX_ORDER];
		/* parametric (packed: 5 bytes in the 6 of ctx) */
		struct __attribute__((packed, aligned(2))) {
			uint32_t exchanges_left;
			uint8_t phase;
		};
	};
};

_Static_assert(sizeof(struct tg_flow_cursor) == 16,
	       "a cursor is part of every flow's state");

/* How a TCP flow's opening SYN fares. */
enum tg_syn_fate {
	TG_SYN_ANSWERED,	/* SYN-ACK: the conversation goes on */
	TG_SYN_UNANSWERED,	/* nothing comes back */
	TG_SYN_REFUSED,		/* the server answers with RST-ACK */
};

/* What the model says about a new flow. */
struct tg_flow_desc {
	uint16_t service;	/* index into the model's services */
	uint8_t proto;		/* TG_PROTO_TCP, _UDP, _ICMP */
	uint8_t payload;	/* enum tg_payload_kind */
	uint8_t ip_version;	/* 4 or 6: the model's wish; pools decide */
	uint16_t server_port;
	uint16_t client_port_lo;	/* the client's source-port range */
	uint16_t client_port_hi;
	uint8_t ttl[2];		/* by enum tg_dir, as seen at capture */
	uint8_t tos[2];
	bool df[2];
	uint8_t ipid[2];	/* enum tg_ipid_mode */
	uint64_t ack_delay_ns;	/* TCP: SYN-ACK to the handshake ACK */
	uint8_t syn_fate;	/* TCP: enum tg_syn_fate */
	bool server_internal;	/* take the server from the client pool */
	bool dns_first;		/* precede the flow by the client's DNS
				 * lookup, dns_delay_ns before it */
	uint64_t dns_delay_ns;
	struct tg_tcp_endpoint client_tcp;
	struct tg_tcp_endpoint server_tcp;
};

/* No gap between flow starts is drawn longer than this (before the time
 * of day scales it): a heavy tail must not silence a source for days. */
#define TG_MODEL_MAX_ARRIVAL_GAP_NS (3600ull * 1000000000ull)

/* What a worker's arrival process remembers: the previous flow. */
struct tg_arrival_state {
	uint16_t prev_service;	/* UINT16_MAX before the first flow */
};

/* The model built into the binary (models/default.tgm), used when a config
 * names no model. Returns 0 or -1 with a message in err. */
int tg_model_load_builtin(struct tg_model *model, char *err, size_t errlen);

/* Load a model file (libconfig syntax, see docs/model-format.md), checking
 * every value. Returns 0, or -1 with "file:line: key: what is wrong" in err
 * (the model is then empty; tg_model_free is still safe). */
int tg_model_load(const char *path, struct tg_model *model,
		  char *err, size_t errlen);

/* Parse a model from text; `name` stands for the file in messages. */
int tg_model_parse(const char *text, const char *name,
		   struct tg_model *model, char *err, size_t errlen);

/* Check a model built in memory (by tempogen-fit) as the loader checks a
 * file, and build its lookup and alias tables. 0, or -1 with a message.
 * The loader runs the same code on what it read, so a file and a model in
 * memory obey one set of rules. Derived tables (every alias table, the
 * automata's context lookups, arrivals.next_alias, par.total_weight) are
 * rebuilt from the values whatever they held, so a hist from tg_hist_init
 * and one from a file end up alike; arrivals.has_gap_after and gap_after
 * are allocated (none fitted) when NULL. Messages name the model and the
 * place: "<name>: services.http.automaton.states[3]: probabilities sum
 * to 0.97, not 1". Calling it again is harmless. */
int tg_model_check(struct tg_model *model, char *err, size_t errlen);

/* Write the model as a model file. Deterministic: saving a loaded model
 * gives back the file it was loaded from, byte for byte, when that file was
 * written by tg_model_save. 0, or -1 (errno set) on a write error. */
int tg_model_save(const struct tg_model *model, FILE *out);

/* Free what a model owns (fitted tables); the struct may be reused. */
void tg_model_free(struct tg_model *model);

/* True when flow steps are single packets (fitted models). */
static inline bool
tg_model_packet_level(const struct tg_model *model)
{
	return model->kind == TG_MODEL_FITTED;
}

/* Name of service `i`. */
const char *tg_model_service_name(const struct tg_model *model, uint32_t i);

/* The relative flow rate in hour `hour` (0 <= hour < 24, UTC) of the day:
 * the rate of its time-of-day bucket, at least 1/64; 1 without time of
 * day. The engine divides arrival gaps by it; the fit multiplies the
 * gaps it sees by it, so the two agree. */
double tg_model_tod_rate(const struct tg_arrivals *arr, double hour);

/* Nanoseconds from `now_ns` until the next flow starts, and its service in
 * *service. `st` is the worker's own; start with prev_service UINT16_MAX. */
uint64_t tg_model_next_arrival(const struct tg_model *model,
			       struct tg_rng *rng, uint64_t now_ns,
			       struct tg_arrival_state *st,
			       uint16_t *service);

/* Draw a new flow of service `service`. */
void tg_model_flow_new(const struct tg_model *model, struct tg_rng *rng,
		       uint16_t service, struct tg_flow_desc *desc,
		       struct tg_flow_cursor *cursor);

/* The flow's next step; false when the flow has nothing more to send. */
bool tg_model_flow_step(const struct tg_model *model,
			struct tg_flow_cursor *cursor, struct tg_rng *rng,
			struct tg_step *step);

#endif /* TG_MODEL_H */
