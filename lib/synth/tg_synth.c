/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_dissected_ports.h"
#include "tg_effects.h"
#include "tg_mem.h"
#include "tg_timerwheel.h"
#include "tg_hosts.h"
#include "tg_keystream.h"
#include "tg_payload.h"
#include "tg_portset.h"
#include "tg_sample.h"
#include "tg_synth.h"
#include "tg_zipf.h"

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
/* A receiver acknowledges at least every second full segment, and a lone
 * segment after the delayed-ACK timer (RFC 1122 allows up to 500 ms; Linux
 * uses 40 ms). */
#define DELAYED_ACK_NS (40 * NS_PER_MS)
#define ACK_EVERY_SEGMENTS 2
/* The capture point is next to the clients: a client answers what it just
 * received at once, the server's answer arrives one round trip later. */
#define LOCAL_ANSWER_NS (30 * NS_PER_US)
/* Back-to-back segments leave at 1 Gbit/s: 8 ns per byte. */
#define NS_PER_WIRE_BYTE 8
#define EPHEMERAL_FIRST 32768	/* Linux ip_local_port_range */
#define EPHEMERAL_COUNT 28232
#define TCP_TS_OPT_LEN 12	/* NOP NOP TS: room taken from every segment */
#define IPV6_MSS_PENALTY 20	/* IPv6 header is 20 bytes longer */
#define IPV4_MSS_MAX 1460	/* 1500-byte MTU less IPv4 and TCP headers */
#define IPV6_MSS_MAX (IPV4_MSS_MAX - IPV6_MSS_PENALTY)
#define MAX_DATAGRAM 1400u
#define MAX_MESSAGE (16u << 20)
/* Fitted models: how far a message's length is looked for ahead. */
#define LOOKAHEAD_STEPS 1024
/* Ranks of the Zipf laws of clients and servers: past this many hosts the
 * tail is flat enough that more ranks change nothing visible. */
#define MAX_RANKS 65536u
/* A client's recent servers: the last RECENT_SERVERS servers of clients
 * in a direct-mapped table of RECENT_CLIENTS entries (bounded memory; a
 * client whose entry was taken over just forgets). */
#define RECENT_CLIENTS 4096u
#define RECENT_SERVERS 4
/* A server id with this bit is a host of the client pool. */
#define SERVER_INTERNAL 0x80000000u
/* Rotating source-port counters, one per port range in use. */
#define PORT_RANGES 64u
#define PORT_TRIES 64u
#define EPHEMERAL_LAST (EPHEMERAL_FIRST + EPHEMERAL_COUNT - 1)

/* What a flow does at its next event. */
enum action {
	ACT_SYN,	/* client opens */
	ACT_SYNACK,	/* server answers */
	ACT_HANDSHAKE_ACK,
	ACT_RUN_STEP,	/* carry out the step drawn from the model */
	ACT_SEGMENT,	/* next segment of the current message */
	ACT_MID_ACK,	/* receiver ACKs, then the message goes on */
	ACT_DELAYED_ACK,	/* receiver ACKs, then the drawn step runs */
	ACT_PEER_FIN,	/* the other side closes too */
	ACT_LAST_ACK,	/* the first closer acknowledges that FIN */
	ACT_CLOSING,	/* packet-level: the engine closes the flow */
	ACT_END,
	ACT_EFFECT,	/* a network effect's packet, then the action put off */
};

/* Message and step lengths: a message is at most MAX_MESSAGE plus what
 * its payload kind adds (headers), far below this; a longer step is
 * clipped, which sends the same bytes (a step never sends more than what
 * is left of its message). */
#define LEN_BITS 25
#define LEN_MAX ((1u << LEN_BITS) - 1)
_Static_assert(MAX_MESSAGE + (1u << 20) <= LEN_MAX,
	       "messages and a megabyte of headers fit LEN_BITS");

/* A live flow: 184 bytes with its scheduler's node, and a worker keeps
 * millions (issue 6 asks for at most 200 bytes per flow with the port set
 * and the wheel's key). The lengths take 25 bits of their words; small
 * fields fill the rest. */
struct flow {
	/* Where it waits in the wheel: beside the state the wheel's pop
	 * leads to, so that with millions of flows an event fetches one
	 * place, not two (tg_timerwheel_init_within). Its seq, the wheel's
	 * start order, is the low 32 bits of the flow's number (flow_id). */
	struct tg_tw_node node;
	uint64_t step_at;	/* when the drawn step is due */
	union {
		/* A request and its response share it. Until the TCP
		 * handshake's ACK, before any message, it holds the client's
		 * delay from the SYN-ACK to that ACK instead (init_tcp). */
		uint64_t msg_seed;
		uint32_t next_free;	/* a free slot: the next free one */
	};
	/* Packet-level flows' own generator: model steps and contents do
	 * not depend on how flows interleave, and a message's steps can be
	 * drawn ahead of time (to know its length) and replayed. */
	struct tg_rng rng;
	struct tg_flow_cursor cursor;
	union {
		struct tg_tcp_conv tcp;
		struct tg_icmp_conv icmp;
	};
	/* Host numbers, not addresses: fill_spec makes the 16-byte
	 * addresses from the pools when a packet is written, which costs
	 * less than keeping 32 bytes per flow. */
	uint32_t client_host;	/* in the client pool of ip_version */
	uint32_t server_host;	/* in the server pool, or the client pool */
	/* The step being carried out (its gap is spent on step_at). */
	uint32_t step_bytes : LEN_BITS;	/* payload bytes for DATA */
	uint32_t step_dir : 1;		/* enum tg_dir */
	uint32_t step_intent : 3;	/* enum tg_intent */
	uint32_t syn_fate : 2;		/* TCP: enum tg_syn_fate (0..2) */
	uint32_t owed : 1;	/* ICMP/DNS: a request waits for its reply */
	/* The current message. */
	uint32_t msg_total : LEN_BITS;	/* its bytes */
	uint32_t msg_dir : 1;		/* packet-level: its sender */
	uint32_t msg_counted : 1;	/* msgs[its sender] counts it: its
					 * number is one less (msg_index) */
	uint32_t data_dir : 1;		/* sender of the segments being
					 * counted */
	uint32_t segs_unacked : 2;	/* saturates: compared with
					 * ACK_EVERY_SEGMENTS */
	uint32_t drained : 1;	/* the drain cut its conversation short */
	uint32_t holds_port : 1;	/* its port is in the synth's port set */
	uint32_t msg_sent : LEN_BITS;
	uint32_t action : 4;		/* enum action */
	uint32_t packet_level : 1;	/* a packet-level (fitted) flow */
	uint32_t server_is_client : 1;	/* the server is a host of the client
					 * pool (packet-level internal
					 * servers) */
	uint32_t request_len : LEN_BITS;	/* the last request's length */
	uint32_t proto : 5;		/* TG_PROTO_TCP, _UDP or _ICMP */
	/* Per sender `dir`: bit dir of df, bits 2 * dir and 2 * dir + 1 of
	 * ipid_modes (df_of() and ipid_mode() read them). */
	uint32_t df : 2;		/* IPv4 don't-fragment per sender */
	uint32_t flow_label_c2s : 20;	/* IPv6 flow label (flow_label()) */
	uint32_t msg_steps : 11;	/* packet-level: the message's DATA
					 * steps still to play (at most
					 * LOOKAHEAD_STEPS + 1) */
	uint32_t flow_label_s2c : 20;
	uint32_t ipid_modes : 4;	/* enum tg_ipid_mode per sender */
	uint32_t payload : 5;		/* enum tg_payload_kind */
	uint32_t ip_version : 3;	/* 4 or 6 */
	uint16_t msgs[2];	/* messages begun per sender (enum tg_dir) */
	uint16_t sport;
	uint16_t dport;
	uint16_t ip_id[2];	/* per sender (enum tg_dir) */
	uint8_t ttl[2];
	uint8_t tos[2];		/* per sender (enum tg_dir) */
};

_Static_assert(sizeof(struct flow) == 184,
	       "a flow's state: docs/config.md, Flow table memory");
_Static_assert(TG_PROTO_UDP < 1 << 5 && TG_PAYLOAD_KINDS <= 1 << 5 &&
	       ACT_EFFECT < 1 << 4 && LOOKAHEAD_STEPS + 1 < 1 << 11,
	       "the flow's small fields hold their values");

/* Ground truth for labels: what a flow put on the wire. Kept beside the
 * flow table, by slot, only when the port writes labels. */
struct flow_truth {
	uint64_t first_ns;	/* its first packet */
	uint64_t last_ns;	/* its last packet */
	uint64_t bytes[2];	/* frame bytes per sender (enum tg_dir) */
	uint32_t packets[2];	/* packets per sender */
};

/* A client's last servers (packet-level models). */
struct recent {
	uint32_t client;	/* client rank + 1; 0: free */
	uint32_t server[RECENT_SERVERS];
	uint8_t n;
	uint8_t next;
};

/* The rotating counter of one source-port range. */
struct port_range {
	uint16_t lo;
	uint16_t hi;
	uint32_t next;		/* offset of the next port to try */
	bool used;
};

/* One address family's pools, as ranks map onto them. */
struct family_hosts {
	uint32_t clients;	/* hosts of this worker's share */
	uint32_t servers;	/* hosts of the server pool */
	struct tg_perm client_perm;
	struct tg_perm server_perm;
};

/* What a worker keeps to play a packet-level (fitted) model. */
struct fit_hosts {
	struct tg_zipf clients;
	struct tg_zipf servers;
	uint32_t client_ranks;
	uint32_t server_ranks;
	struct family_hosts fam[2];	/* IPv4, IPv6 */
	struct recent *recent;		/* [RECENT_CLIENTS] */
	int32_t dns_service;		/* the service named "dns", or -1 */
};

struct session {
	struct tg_tw_node node;		/* in `arrivals`, as a flow's */
	struct tg_arrival_state arrival;
	uint16_t next_service;		/* of the flow it starts next */
	bool armed;			/* waits in `arrivals` */
};

struct eq_gap;

struct tg_synth {
	const struct tg_model *model;
	const struct tg_port_cfg *port;
	struct tg_rng rng;
	uint32_t offload;
	bool opaque_tails;	/* tg_synth_params.opaque_tails */
	uint32_t worker_index;
	uint32_t n_workers;
	uint32_t max_flows;
	struct flow *flows;
	/* Free slots: those given back, last in first out (a linked list
	 * through the slots themselves), then those never used from
	 * `fresh` on. Low slots go first: they are the ones in cache, and
	 * pages of the table are only touched as flows need them. */
	uint32_t free_head;		/* FREE_NONE: none given back */
	uint32_t fresh;
	uint32_t n_free;
	struct tg_timerwheel wheel;	/* the live flows by next packet */
	/* Sessions: each an arrival process of the model with its own
	 * memory of the previous flow; `arrivals` orders their next starts. */
	uint32_t n_sessions;
	uint32_t active_sessions;	/* the others are parked */
	uint32_t waking;		/* sessions below it are armed or
					 * will park */
	struct eq_gap *eq;		/* [EQ_GAPS] gaps for sessions to join */
	struct session *sessions;
	struct tg_timerwheel arrivals;	/* slot = session; empty once draining */
	uint64_t next_arrival_seq;	/* tie-breaker among sessions */
	bool draining;
	bool arrivals_stopped;		/* no session starts a flow again
					 * (draining, or a reel's tail) */
	uint64_t next_flow_id;
	uint32_t next_port;
	struct tg_synth_stats stats;
	/* Labels of ended flows, a ring of TG_SYNTH_LABELS; NULL: none kept */
	struct tg_flow_label *labels;
	struct flow_truth *truth;	/* [max_flows], by slot, with labels */
	uint32_t label_head;	/* the oldest */
	uint32_t n_labels;
	/* packet-level models */
	bool packet_level;
	struct fit_hosts hosts;
	struct tg_portset ports;
	struct tg_keystream *ks;	/* ciphertext bytes, this lcore's own */
	struct port_range ranges[PORT_RANGES];
	/* Network effects (port effects); fx is NULL without them. */
	struct tg_fx_flow *fx;		/* [max_flows], by flow slot */
	struct tg_fx_store fx_store;
	uint64_t fx_seed;
	uint64_t fx_rtt_ns;		/* 0: the model's round trip */
	uint64_t fx_jitter_ns;
	struct tg_pkt_spec fx_spec;	/* of the last frame written */
	uint8_t fx_dir;			/* ... and its sender */
};

static int fit_create(struct tg_synth *s, char *err, size_t errlen);

/* --- The flow's packed per-sender fields -------------------------------- */

static bool
df_of(const struct flow *f, enum tg_dir dir)
{
	return (f->df >> dir) & 1;
}

/* On a new flow (its bit is clear). */
static void
set_df(struct flow *f, enum tg_dir dir, bool df)
{
	f->df = (uint8_t)(f->df | (unsigned)df << dir) & 3;
}

static enum tg_ipid_mode
ipid_mode(const struct flow *f, enum tg_dir dir)
{
	return (enum tg_ipid_mode)((f->ipid_modes >> (2 * dir)) & 3);
}

/* On a new flow (its bits are clear). A mode the engine does not know
 * counts up, as it always did. */
static void
set_ipid_mode(struct flow *f, enum tg_dir dir, unsigned mode)
{
	if (mode >= TG_IPID_MODES)
		mode = TG_IPID_INCREMENT;
	f->ipid_modes = (uint8_t)(f->ipid_modes | mode << (2 * dir)) & 15;
}

/* On a new flow: the low 20 bits of `r`. */
static void
set_flow_label(struct flow *f, enum tg_dir dir, uint64_t r)
{
	if (dir == TG_DIR_C2S)
		f->flow_label_c2s = r & 0xfffff;
	else
		f->flow_label_s2c = r & 0xfffff;
}

static uint32_t
flow_label(const struct flow *f, enum tg_dir dir)
{
	return dir == TG_DIR_C2S ? f->flow_label_c2s : f->flow_label_s2c;
}

/* The number of the current message, sent by `dir`. */
static uint16_t
msg_index(const struct flow *f, enum tg_dir dir)
{
	return (uint16_t)(f->msgs[dir] - f->msg_counted);
}

/* The step to carry out next, as the model drew it. */
static void
take_step(struct flow *f, const struct tg_step *st)
{
	f->step_dir = st->dir;
	f->step_intent = st->intent;
	f->step_bytes = st->bytes < LEN_MAX ? st->bytes : LEN_MAX;
}

/* A step the engine decides on itself. */
static void
set_step(struct flow *f, enum tg_dir dir, enum tg_intent intent)
{
	struct tg_step st = { .dir = (uint8_t)dir, .intent = (uint8_t)intent };

	take_step(f, &st);
}

#define FREE_NONE UINT32_MAX

/* A live flow's number. Its low 32 bits are its node's seq, and it began
 * less than 2^32 flows before the latest (the wheel's start order assumes
 * as much), so the rest is the latest number's. */
static uint64_t
flow_id(const struct tg_synth *s, const struct flow *f)
{
	uint64_t last = s->next_flow_id - 1;

	return last - (uint32_t)((uint32_t)last - f->node.seq);
}

/* A free slot for a new flow (the caller checked n_free). */
static uint32_t
slot_take(struct tg_synth *s)
{
	uint32_t slot = s->free_head;

	if (slot != FREE_NONE)
		s->free_head = s->flows[slot].next_free;
	else
		slot = s->fresh++;
	s->n_free--;
	return slot;
}

static void
slot_give(struct tg_synth *s, uint32_t slot)
{
	s->flows[slot].next_free = s->free_head;
	s->free_head = slot;
	s->n_free++;
}
static void fit_free(struct tg_synth *s);

/* The effects table and frame store, only for a port with effects. */
static int
fx_create(struct tg_synth *s, const struct tg_synth_params *p)
{
	const struct tg_effects_cfg *cfg = &s->port->effects;

	if (!cfg->enabled)
		return 0;
	s->fx = calloc(s->max_flows, sizeof(*s->fx));
	if (s->fx == NULL || tg_fx_store_init(&s->fx_store) != 0)
		return -1;
	s->fx_seed = tg_fx_seed(p->seed, p->stream);
	s->fx_rtt_ns = (uint64_t)(cfg->rtt_ms * 1e6);
	if (s->fx_rtt_ns > TG_MODEL_MAX_RTT_NS)	/* a flow's cursor holds it */
		s->fx_rtt_ns = TG_MODEL_MAX_RTT_NS;
	s->fx_jitter_ns = (uint64_t)(cfg->jitter_ms * 1e6);
	return 0;
}

/* Schedule session i's next flow `gap` after `now`. */
static void
session_arm(struct tg_synth *s, uint32_t i, uint64_t now, uint64_t gap)
{
	tg_timerwheel_push(&s->arrivals, i, now + gap,
			   (uint32_t)s->next_arrival_seq++);
}

static uint64_t
session_draw(struct tg_synth *s, uint32_t i, uint64_t now)
{
	struct session *ss = &s->sessions[i];

	return tg_model_next_arrival(s->model, &s->rng, now, &ss->arrival,
				     &ss->next_service);
}

/* Sessions under way when the run starts, or joining it later (a rate
 * target grows the population), are each at a random point of one of
 * their gaps: the time to their next flow is the forward-recurrence time
 * of a renewal process in equilibrium. The gap a session is in is drawn
 * length-biased (a gap of length G holds a given instant with a chance
 * proportional to G), then cut at a uniform point. Without this every run
 * would begin with a burst of flows and slow down for minutes as the heavy
 * tails of fitted gaps take over.
 *
 * Length-biased draws by rejection cost (longest gap / mean gap) tries,
 * which for fitted tails is millions; instead one chain of EQ_GAPS gaps is
 * drawn from the model at `now`, and each session picks one of them with
 * a chance proportional to its length (a binary search of the running
 * sums). The cost is fixed whatever the tails. */
#define EQ_GAPS 4096
/* Sessions joining a running synth per burst. */
#define WAKE_BURST 256u

struct eq_gap {
	uint64_t end;		/* running sum of the gaps up to this one */
	uint64_t gap;
	uint16_t service;	/* of the flow that ends the gap */
};

static void
eq_draw(struct tg_synth *s, uint64_t now, struct eq_gap *pool)
{
	struct tg_arrival_state st = { .prev_service = UINT16_MAX };
	uint64_t end = 0;

	for (uint32_t k = 0; k < EQ_GAPS; k++) {
		pool[k].gap = tg_model_next_arrival(s->model, &s->rng, now, &st,
						    &pool[k].service);
		end += pool[k].gap;
		pool[k].end = end;
	}
}

/* Put session i at a random instant of the pooled gaps. */
static void
eq_arm(struct tg_synth *s, uint32_t i, uint64_t now, const struct eq_gap *pool)
{
	uint64_t x = (uint64_t)(tg_rng_uniform(&s->rng) *
				(double)pool[EQ_GAPS - 1].end);
	uint32_t lo = 0, hi = EQ_GAPS - 1;
	const struct eq_gap *g;

	while (lo < hi) {	/* the first gap whose end is past x */
		uint32_t mid = lo + (hi - lo) / 2;

		if (pool[mid].end > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	g = &pool[lo];
	s->sessions[i].next_service = g->service;
	s->sessions[i].arrival.prev_service = g->service;
	s->sessions[i].armed = true;
	session_arm(s, i, now,
		    (uint64_t)((double)g->gap * tg_rng_uniform(&s->rng)));
}

/* Arm up to `budget` of the sessions from s->waking on that are not
 * waiting already, in equilibrium at `now` (from the gaps last pooled). */
static void
sessions_wake(struct tg_synth *s, uint32_t budget, uint64_t now)
{
	uint32_t end = s->waking + budget < s->active_sessions
		       ? s->waking + budget : s->active_sessions;

	for (; s->waking < end; s->waking++)
		if (!s->sessions[s->waking].armed)
			eq_arm(s, s->waking, now, s->eq);
}

/* `n` sessions, the first `active` of them running. One session alone
 * plays the model from its start. */
static int
sessions_create(struct tg_synth *s, uint32_t n, uint32_t active)
{
	s->n_sessions = n;
	s->active_sessions = active < n ? active : n;
	s->sessions = tg_mem_alloc((size_t)n * sizeof(*s->sessions));
	s->eq = malloc(EQ_GAPS * sizeof(*s->eq));
	if (s->sessions == NULL || s->eq == NULL ||
	    tg_timerwheel_init_within(&s->arrivals, n, &s->sessions->node,
				      sizeof(*s->sessions)) != 0)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		s->sessions[i].arrival.prev_service = UINT16_MAX;
	if (s->active_sessions == 1) {
		s->sessions[0].armed = true;
		session_arm(s, 0, 0, session_draw(s, 0, 0));
		s->waking = 1;
		return 0;
	}
	eq_draw(s, 0, s->eq);
	sessions_wake(s, s->active_sessions, 0);
	return 0;
}

void
tg_synth_set_sessions(struct tg_synth *s, uint32_t active, uint64_t now_ns)
{
	uint32_t old = s->active_sessions;

	if (active > s->n_sessions)
		active = s->n_sessions;
	if (active == 0)
		active = 1;
	s->active_sessions = active;
	/* Fewer: a session past the new count parks when its next flow is
	 * due (tg_synth_burst). More: the parked ones join in equilibrium,
	 * WAKE_BURST at a time in each burst, so that a big step does not
	 * stall the packets due meanwhile. */
	if (s->waking > active)
		s->waking = active;
	if (active <= old || s->arrivals_stopped)
		return;
	eq_draw(s, now_ns, s->eq);
	sessions_wake(s, WAKE_BURST, now_ns);
}

uint32_t
tg_synth_sessions(const struct tg_synth *s)
{
	return s->active_sessions;
}

struct tg_synth *
tg_synth_create(const struct tg_synth_params *p, char *err, size_t errlen)
{
	struct tg_synth *s = calloc(1, sizeof(*s));
	uint32_t max = p->max_flows ? p->max_flows : 1;
	uint32_t n_sessions;

	if (s == NULL)
		goto nomem;
	s->model = p->model;
	s->port = p->port;
	s->offload = p->offload;
	s->opaque_tails = p->opaque_tails;
	s->worker_index = p->worker_index;
	s->n_workers = p->n_workers ? p->n_workers : 1;
	s->max_flows = max;
	tg_rng_seed(&s->rng, p->seed, p->stream);
	s->ks = tg_keystream_create(p->seed, p->stream, err, errlen);
	if (s->ks == NULL) {
		tg_synth_free(s);
		return NULL;
	}
	s->flows = tg_mem_alloc((size_t)max * sizeof(*s->flows));
	if (s->flows == NULL ||
	    tg_timerwheel_init_within(&s->wheel, max, &s->flows->node,
				      sizeof(*s->flows)) != 0)
		goto nomem;
	s->free_head = FREE_NONE;
	s->n_free = max;
	s->next_port = tg_rng_below(&s->rng, EPHEMERAL_COUNT);
	s->packet_level = tg_model_packet_level(s->model);
	if (s->packet_level && fit_create(s, err, errlen) != 0) {
		tg_synth_free(s);
		return NULL;
	}
	n_sessions = p->sessions ? p->sessions : 1;
	if (sessions_create(s, n_sessions, p->active_sessions
					   ? p->active_sessions
					   : n_sessions) != 0 ||
	    fx_create(s, p) != 0)
		goto nomem;
	if (p->labels &&
	    ((s->labels = calloc(TG_SYNTH_LABELS, sizeof(*s->labels))) == NULL ||
	     (s->truth = calloc(max, sizeof(*s->truth))) == NULL))
		goto nomem;
	return s;
nomem:
	snprintf(err, errlen, "out of memory for %u flows", max);
	tg_synth_free(s);
	return NULL;
}

uint64_t
tg_synth_flow_memory(const struct tg_synth_params *p)
{
	uint64_t n = p->max_flows ? p->max_flows : 1;
	/* The free list lives in the free slots: nothing more. */
	uint64_t per_flow = sizeof(struct flow);	/* the wheel's node in it */
	uint64_t bytes;

	if (p->labels)
		per_flow += sizeof(struct flow_truth);
	if (p->port->effects.enabled)
		per_flow += sizeof(struct tg_fx_flow);
	bytes = n * per_flow + tg_timerwheel_key_bytes((uint32_t)n);
	if (tg_model_packet_level(p->model))
		bytes += tg_portset_bytes((uint32_t)n);
	return bytes;
}

void
tg_synth_free(struct tg_synth *s)
{
	if (s == NULL)
		return;
	fit_free(s);
	tg_keystream_free(s->ks);
	tg_timerwheel_free(&s->wheel);
	tg_timerwheel_free(&s->arrivals);
	tg_mem_free(s->sessions, (size_t)s->n_sessions * sizeof(*s->sessions));
	free(s->eq);
	tg_mem_free(s->flows, (size_t)s->max_flows * sizeof(*s->flows));
	free(s->labels);
	free(s->truth);
	free(s->fx);
	tg_fx_store_free(&s->fx_store);
	free(s);
}

static uint64_t
next_arrival_time(const struct tg_synth *s)
{
	return tg_timerwheel_empty(&s->arrivals)
		       ? UINT64_MAX : tg_timerwheel_first_time(&s->arrivals);
}

uint64_t
tg_synth_next_time(const struct tg_synth *s)
{
	uint64_t arrival = next_arrival_time(s);

	if (!tg_timerwheel_empty(&s->wheel) &&
	    tg_timerwheel_first_time(&s->wheel) < arrival)
		return tg_timerwheel_first_time(&s->wheel);
	return arrival;
}

void
tg_synth_get_stats(const struct tg_synth *s, struct tg_synth_stats *stats)
{
	*stats = s->stats;
	stats->flows_active = s->max_flows - s->n_free;
}

/* --- Hosts and addresses ------------------------------------------------ */

static bool
pool_has(const struct tg_pool *pool, int version)
{
	return (version == 4 ? pool->v4.version : pool->v6.version) != 0;
}

static const struct tg_cidr *
pool_cidr(const struct tg_pool *pool, int version)
{
	return version == 4 ? &pool->v4 : &pool->v6;
}

static int
pick_ip_version(struct tg_synth *s)
{
	const struct tg_port_cfg *port = s->port;
	bool v4 = pool_has(&port->clients, 4) && pool_has(&port->servers, 4);
	bool v6 = pool_has(&port->clients, 6) && pool_has(&port->servers, 6);

	if (v4 && v6)
		return tg_rng_uniform(&s->rng) < port->ipv6_share ? 6 : 4;
	return v6 ? 6 : 4;
}

/* Clients are split between workers: this worker only uses the hosts whose
 * number is worker_index modulo n_workers, so no two workers share one. */
static uint32_t
pick_client(struct tg_synth *s, const struct tg_cidr *pool)
{
	uint32_t count = tg_hosts_count(pool);
	uint32_t share = count / s->n_workers;
	uint32_t idx = share ? s->worker_index +
				       s->n_workers * tg_rng_below(&s->rng, share)
			     : s->worker_index % count;

	return idx;
}

/* A few servers get most flows, as in real networks (u^4 skews towards
 * the first hosts of the pool). */
static uint32_t
pick_server(struct tg_synth *s, const struct tg_cidr *pool)
{
	double u = tg_rng_uniform(&s->rng);
	uint32_t count = tg_hosts_count(pool);
	uint32_t idx = (uint32_t)(u * u * u * u * count);

	return idx < count ? idx : count - 1;
}

/* The address of the flow's client (TG_DIR_C2S) or server. */
static void
flow_addr(const struct tg_synth *s, const struct flow *f, enum tg_dir who,
	  struct tg_ip_addr *out)
{
	const struct tg_port_cfg *port = s->port;
	bool client_pool = who == TG_DIR_C2S || f->server_is_client;

	tg_hosts_addr(pool_cidr(client_pool ? &port->clients : &port->servers,
				f->ip_version),
		      who == TG_DIR_C2S ? f->client_host : f->server_host, out);
}

/* --- Starting and ending flows ------------------------------------------ */

static void plan_next(struct tg_synth *s, struct flow *f, uint64_t now);

static void
schedule(struct tg_synth *s, struct flow *f, uint32_t slot, uint64_t at)
{
	tg_timerwheel_push(&s->wheel, slot, at, f->node.seq);
}

/* The MSS an IPv6 host announces: its MTU less the longer IPv6 header.
 * A fitted MSS was seen over either family; only one that fits a 1500-byte
 * MTU over IPv4 alone is shortened. */
static uint16_t
ipv6_mss(const struct flow *f, uint16_t mss)
{
	if (mss == 0)
		return 0;
	if (f->packet_level && (mss <= IPV6_MSS_MAX || mss > IPV4_MSS_MAX))
		return mss;
	return (uint16_t)(mss - IPV6_MSS_PENALTY);
}

static void
init_tcp(struct tg_synth *s, struct flow *f, struct tg_flow_desc *desc)
{
	/* The MSS a host announces is its MTU less the IP and TCP headers. */
	if (f->ip_version == 6) {
		desc->client_tcp.mss = ipv6_mss(f, desc->client_tcp.mss);
		desc->server_tcp.mss = ipv6_mss(f, desc->server_tcp.mss);
	}
	tg_tcp_conv_init(&f->tcp, &desc->client_tcp, &desc->server_tcp);
	f->action = ACT_SYN;
	/* Until the handshake's ACK (no message has begun), msg_seed holds
	 * the client's delay from SYN-ACK to ACK: the fitted one, else an
	 * immediate answer. */
	f->msg_seed = f->packet_level ? desc->ack_delay_ns : LOCAL_ANSWER_NS;
	(void)s;
}

static void end_flow(struct tg_synth *s, uint32_t slot);

static struct tg_fx_flow *
fx_of(const struct tg_synth *s, const struct flow *f)
{
	return s->fx != NULL ? &s->fx[f - s->flows] : NULL;
}

static struct flow_truth *truth_of(const struct tg_synth *s,
				   const struct flow *f);

/* Effects: keep what `dir`'s TCP segment acknowledged and advertised. */
static void
fx_note_ack(struct tg_fx_flow *x, const struct tg_pkt_spec *spec,
	    enum tg_dir dir)
{
	if (spec->proto != TG_PROTO_TCP || !(spec->tcp.flags & TG_TCP_ACK))
		return;
	x->last_ack[dir] = spec->tcp.ack;
	x->last_win[dir] = spec->tcp.window;
}

/* A new flow's ground truth starts empty. */
static void
truth_clear(const struct tg_synth *s, const struct flow *f)
{
	struct flow_truth *t = truth_of(s, f);

	if (t != NULL)
		memset(t, 0, sizeof(*t));
}

/* A new flow's effects: a generator of its own, and the port's round trip
 * in place of the model's. */
static void
fx_flow_start(struct tg_synth *s, struct flow *f)
{
	if (s->fx == NULL)
		return;
	tg_fx_flow_init(fx_of(s, f), s->fx_seed, flow_id(s, f));
	if (s->fx_rtt_ns)
		f->cursor.rtt_ns = s->fx_rtt_ns;
}

static void
start_flow(struct tg_synth *s, uint16_t service, uint64_t now)
{
	const struct tg_port_cfg *port = s->port;
	struct tg_flow_desc desc;
	struct flow *f;
	uint32_t slot;

	if (s->n_free == 0) {
		s->stats.flows_refused++;
		return;
	}
	slot = slot_take(s);
	f = &s->flows[slot];
	memset(f, 0, sizeof(*f));
	truth_clear(s, f);
	f->node.seq = (uint32_t)s->next_flow_id++;
	tg_model_flow_new(s->model, &s->rng, service, &desc,
			  &f->cursor);
	fx_flow_start(s, f);
	f->proto = desc.proto;
	f->payload = desc.payload;
	f->ip_version = (uint8_t)pick_ip_version(s);
	f->client_host = pick_client(s, pool_cidr(&port->clients,
						 f->ip_version));
	f->server_host = pick_server(s, pool_cidr(&port->servers,
						 f->ip_version));
	/* The next ephemeral port whose dissector, if any, reads the
	 * payload as what it is (tg_dissected_ports.h). */
	for (unsigned i = 0; i < PORT_TRIES; i++) {
		f->sport = (uint16_t)(EPHEMERAL_FIRST + s->next_port);
		s->next_port = (s->next_port + 1) % EPHEMERAL_COUNT;
		if (tg_payload_fits_port(f->payload, f->proto, f->sport))
			break;
	}
	f->dport = desc.server_port;
	f->ttl[TG_DIR_C2S] = desc.ttl[TG_DIR_C2S];
	f->ttl[TG_DIR_S2C] = desc.ttl[TG_DIR_S2C];
	for (int d = 0; d < 2; d++) {
		f->ip_id[d] = (uint16_t)tg_rng_next(&s->rng);
		set_flow_label(f, (enum tg_dir)d, tg_rng_next(&s->rng));
		set_df(f, (enum tg_dir)d, f->proto == TG_PROTO_TCP);
		set_ipid_mode(f, (enum tg_dir)d, TG_IPID_INCREMENT);
	}
	s->stats.flows_started++;

	if (f->proto == TG_PROTO_TCP)
		init_tcp(s, f, &desc);
	else if (f->proto == TG_PROTO_ICMP)
		tg_icmp_conv_init(&f->icmp, f->sport, f->ip_version == 6);
	if (f->proto == TG_PROTO_TCP) {
		schedule(s, f, slot, now);
		return;
	}
	plan_next(s, f, now);
	if (f->action == ACT_END)
		end_flow(s, slot);	/* nothing to send: give the slot back */
	else
		schedule(s, f, slot, f->step_at);
}

static uint64_t slot_port_key(const void *synth, uint32_t slot);

const char *
tg_flow_end_name(unsigned end)
{
	static const char *const names[] = {
		[TG_FLOW_END_FIN] = "fin",	   [TG_FLOW_END_RST] = "rst",
		[TG_FLOW_END_DONE] = "done",	   [TG_FLOW_END_DRAINED] = "drained",
		[TG_FLOW_END_ABORTED] = "aborted",
		[TG_FLOW_END_UNANSWERED] = "unanswered",
		[TG_FLOW_END_STOPPED] = "stopped",
	};

	return end < sizeof(names) / sizeof(names[0]) ? names[end] : "?";
}

/* Why a flow that is over ended. A reset ends a TCP conversation before
 * both FINs are out. */
static enum tg_flow_end
end_reason(const struct flow *f)
{
	const struct tg_tcp_conv *c = &f->tcp;

	if (f->proto != TG_PROTO_TCP)
		return f->drained ? TG_FLOW_END_DRAINED : TG_FLOW_END_DONE;
	if (f->syn_fate == TG_SYN_UNANSWERED)
		return TG_FLOW_END_UNANSWERED;
	if (tg_tcp_conv_done(c) &&
	    !(c->bits[TG_DIR_C2S].fin_sent && c->bits[TG_DIR_S2C].fin_sent))
		return TG_FLOW_END_RST;
	if (f->drained)
		return TG_FLOW_END_DRAINED;
	return tg_tcp_conv_done(c) ? TG_FLOW_END_FIN : TG_FLOW_END_ABORTED;
}

static struct flow_truth *
truth_of(const struct tg_synth *s, const struct flow *f)
{
	return s->truth != NULL ? &s->truth[f - s->flows] : NULL;
}

/* Whether the flow put a packet on the wire (known with labels only). */
static bool
flow_sent(const struct tg_synth *s, const struct flow *f)
{
	const struct flow_truth *t = truth_of(s, f);

	return t != NULL && t->packets[0] + t->packets[1] > 0;
}

/* Count a packet of `len` bytes from `dir` at `now` in the ground truth. */
static void
truth_count(const struct tg_synth *s, const struct flow *f, enum tg_dir dir,
	    uint16_t len, uint64_t now)
{
	struct flow_truth *t = truth_of(s, f);

	if (t == NULL)
		return;
	if (t->packets[0] + t->packets[1] == 0)
		t->first_ns = now;
	t->last_ns = now;
	t->packets[dir]++;
	t->bytes[dir] += len;
}

static void
make_label(const struct tg_synth *s, const struct flow *f,
	   enum tg_flow_end end, struct tg_flow_label *l)
{
	const struct tg_fx_flow *x = fx_of(s, f);
	const struct flow_truth *t = truth_of(s, f);

	*l = (struct tg_flow_label){
		.id = flow_id(s, f),
		.first_ns = t->first_ns,
		.last_ns = t->last_ns,
		.packets = { t->packets[0], t->packets[1] },
		.bytes = { t->bytes[0], t->bytes[1] },
		.client_port = f->sport,
		.server_port = f->proto == TG_PROTO_ICMP ? 0 : f->dport,
		.service = f->cursor.service,
		.proto = f->proto,
		.ip_version = f->ip_version,
		.end = (uint8_t)end,
	};
	flow_addr(s, f, TG_DIR_C2S, &l->client);
	flow_addr(s, f, TG_DIR_S2C, &l->server);
	if (x == NULL)
		return;
	l->effects.n = x->counts;
	if (f->proto == TG_PROTO_TCP && (s->fx_rtt_ns || s->fx_jitter_ns)) {
		l->effects.rtt_ns = f->cursor.rtt_ns;
		l->effects.jitter_ns = s->fx_jitter_ns;
	}
}

static void
end_flow(struct tg_synth *s, uint32_t slot)
{
	struct flow *f = &s->flows[slot];

	/* tg_synth_burst stops while the ring is full, so there is room. */
	if (s->labels && flow_sent(s, f) && s->n_labels < TG_SYNTH_LABELS)
		make_label(s, f, end_reason(f),
			   &s->labels[(s->label_head + s->n_labels++) %
				      TG_SYNTH_LABELS]);
	if (s->fx != NULL && fx_of(s, f)->frame >= 0)
		tg_fx_store_give(&s->fx_store, fx_of(s, f)->frame);
	if (f->holds_port)
		tg_portset_del(&s->ports, slot);
	f->holds_port = false;
	slot_give(s, slot);
	s->stats.flows_ended++;
}

/* --- Writing packets ---------------------------------------------------- */

/* The IPv4 identification of the next packet from `dir`. A "random" id is
 * a hash of the flow and a packet counter, so it needs no generator. */
static uint16_t
next_ip_id(struct flow *f, enum tg_dir dir)
{
	uint64_t x;

	switch (ipid_mode(f, dir)) {
	case TG_IPID_ZERO:
		return 0;
	case TG_IPID_RANDOM:
		x = ((uint64_t)f->node.seq << 36) ^
		    ((uint64_t)flow_label(f, dir) << 16) ^ f->ip_id[dir]++;
		x *= 0x9e3779b97f4a7c15ULL;
		x ^= x >> 29;
		x *= 0xbf58476d1ce4e5b9ULL;
		return (uint16_t)(x >> 40);
	default:
		return f->ip_id[dir]++;
	}
}

static void
fill_spec(const struct tg_synth *s, struct flow *f, enum tg_dir dir,
	  struct tg_pkt_spec *spec)
{
	const struct tg_port_cfg *port = s->port;
	enum tg_dir peer = tg_dir_peer(dir);
	bool c2s = dir == TG_DIR_C2S;

	memset(spec, 0, sizeof(*spec));
	memcpy(spec->eth_src, c2s ? port->mac_src : port->mac_dst, 6);
	memcpy(spec->eth_dst, c2s ? port->mac_dst : port->mac_src, 6);
	if (port->vlan_id)
		spec->vlan_tci = (uint16_t)(port->vlan_id |
					    (unsigned)port->vlan_pcp << 13);
	spec->ip_version = f->ip_version;
	flow_addr(s, f, dir, &spec->src);
	flow_addr(s, f, peer, &spec->dst);
	spec->ttl = f->ttl[dir];
	spec->tos = f->tos[dir];
	spec->ip_id = next_ip_id(f, dir);
	spec->df = df_of(f, dir);
	spec->flow_label = flow_label(f, dir);
	spec->sport = c2s ? f->sport : f->dport;
	spec->dport = c2s ? f->dport : f->sport;
	spec->offload = s->offload;
	spec->proto = f->proto;
	if (f->proto == TG_PROTO_ICMP && f->ip_version == 6)
		spec->proto = TG_PROTO_ICMPV6;
}

/* Number the message `dir` begins: payloads open with a hello or banner
 * (index 0). */
static uint16_t
next_msg_index(struct flow *f, enum tg_dir dir)
{
	uint16_t i = f->msgs[dir];

	if (i < UINT16_MAX)
		f->msgs[dir]++;
	return i;
}

/* A value fixed for the flow's life, for what stays the same in all its
 * messages (QUIC connection IDs). */
static uint64_t
payload_flow_seed(const struct tg_synth *s, const struct flow *f)
{
	uint64_t x = flow_id(s, f) ^ ((uint64_t)s->worker_index << 48) ^
		     ((uint64_t)f->sport << 16) ^ f->dport;

	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

/* Whether a player may swap the keystream that ends a frame for other
 * keystream. Not with effects: a retransmission or duplicate must repeat
 * its original's bytes. Not before padding to the minimum frame. Not on
 * a port whose dissector reads the payload as something else (random
 * bytes to the Telnet port): those bytes passed it once as recorded,
 * other bytes might not. */
static bool
swappable(const struct tg_synth *s, const struct flow *f, uint32_t end,
	  uint16_t frame_len)
{
	return s->fx == NULL && end == frame_len &&
	       tg_payload_fits_port(f->payload, f->proto, f->dport);
}

/* Write the frame for `spec` with `payload_len` bytes of the current
 * message from its offset msg_sent. */
static bool
write_frame(struct tg_synth *s, struct flow *f, struct tg_pkt_spec *spec,
	    enum tg_dir dir, uint32_t payload_len, uint64_t now,
	    struct tg_synth_pkt *pkt)
{
	uint16_t hdr = tg_pkt_header_len(spec);
	struct tg_payload_msg msg = {
		.kind = f->payload,
		.dir = (uint8_t)dir,
		.total = f->msg_total,
		.request_len = f->request_len,
		.index = msg_index(f, dir),
		.seed = f->msg_seed,
		.flow_seed = payload_flow_seed(s, f),
		.ks = s->ks,
	};
	uint32_t opaque = payload_len;	/* where its keystream tail begins */

	if ((uint32_t)hdr + payload_len > pkt->cap)
		return false;
	if (payload_len)
		opaque = tg_payload_fill(&msg, f->msg_sent, pkt->buf + hdr,
					 payload_len);
	spec->payload_len = (uint16_t)payload_len;
	pkt->len = tg_pkt_write(spec, pkt->buf, pkt->cap, &pkt->layout);
	if (pkt->len == 0)
		return false;
	pkt->opaque_at = s->opaque_tails && opaque < payload_len &&
			 swappable(s, f, hdr + payload_len, pkt->len)
			 ? hdr + opaque : 0;
	pkt->ts_ns = now;
	pkt->proto = spec->proto;
	pkt->ip_version = f->ip_version;
	if (s->fx != NULL) {
		s->fx_spec = *spec;	/* in case an effect resends it */
		s->fx_dir = (uint8_t)dir;
		fx_note_ack(fx_of(s, f), spec, dir);
	}
	s->stats.packets++;
	s->stats.bytes += pkt->len;
	truth_count(s, f, dir, pkt->len, now);
	return true;
}

/* The one place a TCP packet is made: the conversation decides the fields.
 * Returns the payload bytes sent, or -1 if nothing may be sent. */
static int
emit_tcp(struct tg_synth *s, struct flow *f, enum tg_dir dir,
	 enum tg_intent intent, uint32_t want, uint64_t now,
	 struct tg_synth_pkt *pkt)
{
	struct tg_pkt_spec spec;
	uint32_t len = want;

	fill_spec(s, f, dir, &spec);
	if (tg_tcp_conv_step(&f->tcp, dir, intent, &len, now, &spec.tcp) !=
	    TG_STEP_EMIT)
		return -1;
	if (intent != TG_INTENT_DATA)
		len = 0;
	if (!write_frame(s, f, &spec, dir, len, now, pkt))
		return -1;
	if (len && dir == f->data_dir) {
		if (f->segs_unacked < 3)
			f->segs_unacked++;
	} else if (len) {
		f->data_dir = (uint8_t)dir;
		f->segs_unacked = 1;
	} else if (dir != f->data_dir) {
		f->segs_unacked = 0;
	}
	return (int)len;
}

/* The flow's round trip, stretched by the port's jitter if it has one. */
static uint64_t
round_trip(struct tg_synth *s, struct flow *f)
{
	struct tg_fx_flow *x = fx_of(s, f);

	if (x == NULL)
		return f->cursor.rtt_ns;
	return tg_fx_round_trip(x, f->cursor.rtt_ns, s->fx_jitter_ns);
}

/* How long `responder` takes to answer what the other side just sent, as
 * seen from the capture point next to the clients. */
static uint64_t
answer_gap(struct tg_synth *s, struct flow *f, enum tg_dir responder)
{
	return responder == TG_DIR_S2C ? round_trip(s, f) : LOCAL_ANSWER_NS;
}

static uint32_t
segment_room(const struct flow *f, enum tg_dir dir)
{
	uint32_t link_max = f->ip_version == 6 ? IPV6_MSS_MAX : IPV4_MSS_MAX;
	uint32_t mss = f->tcp.mss[dir];

	/* The peer may announce more (65495 on loopback, 8960 with jumbo
	 * frames, both seen in captures), but a sender never puts more on
	 * the wire than its own 1500-byte MTU carries. */
	if (mss > link_max)
		mss = link_max;
	if (f->tcp.ts_ok && mss > TCP_TS_OPT_LEN)
		mss -= TCP_TS_OPT_LEN;
	return mss;
}

/* --- The life of a flow ------------------------------------------------- */

/* Open a message of the current step's sender, about `wanted` bytes long,
 * with f->msg_seed already drawn: number it and fix its length to one its
 * payload kind can carry. Both kinds of model start messages here. */
static void
open_message(struct tg_synth *s, struct flow *f, uint32_t wanted)
{
	struct tg_payload_msg msg = {
		.kind = f->payload,
		.dir = f->step_dir,
		.request_len = f->request_len,
		.seed = f->msg_seed,
	};
	uint32_t total;

	msg.index = next_msg_index(f, (enum tg_dir)f->step_dir);
	f->msg_counted = msg.index < UINT16_MAX;
	msg.flow_seed = payload_flow_seed(s, f);
	total = tg_payload_message_len(&msg, wanted);
	f->msg_total = total < LEN_MAX ? total : LEN_MAX;
	f->msg_sent = 0;
}

/* Start a message of the drawn DATA step: fix its length and content seed. */
static void
begin_message(struct tg_synth *s, struct flow *f)
{
	if (f->step_dir == TG_DIR_C2S)
		f->msg_seed = tg_rng_next(&s->rng);
	open_message(s, f, f->step_bytes);
	if (f->proto != TG_PROTO_TCP && f->msg_total > MAX_DATAGRAM)
		f->msg_total = MAX_DATAGRAM;
	if (f->proto == TG_PROTO_ICMP && f->step_dir == TG_DIR_S2C)
		f->msg_total = f->request_len;	/* a reply echoes the data */
	if (f->step_dir == TG_DIR_C2S)
		f->request_len = f->msg_total;
}

/* Which side has data it has not acknowledged yet, if any. */
static int
side_owing_ack(const struct flow *f)
{
	if (tg_tcp_conv_ack_pending(&f->tcp, TG_DIR_C2S))
		return TG_DIR_C2S;
	if (tg_tcp_conv_ack_pending(&f->tcp, TG_DIR_S2C))
		return TG_DIR_S2C;
	return -1;
}

/* The model's next step for the flow. The engine carries out the TCP
 * handshake itself, so a model's OPEN step has nothing left to do. */
static bool
draw_step(struct tg_synth *s, struct flow *f, uint64_t *gap)
{
	struct tg_step st;
	bool more;

	do {
		more = tg_model_flow_step(s->model, &f->cursor, &s->rng, &st);
	} while (more && st.intent == TG_INTENT_OPEN);
	if (more) {
		take_step(f, &st);
		*gap = st.gap_ns;
	}
	return more;
}

/* Draw the flow's next step and decide what happens first. */
static void
plan_next(struct tg_synth *s, struct flow *f, uint64_t now)
{
	uint64_t gap = 0;
	int owing;

	if (s->draining) {
		f->drained = true;
		if (f->proto != TG_PROTO_TCP) {
			f->action = ACT_END;
			return;
		}
		set_step(f, TG_DIR_C2S, TG_INTENT_CLOSE);
		gap = LOCAL_ANSWER_NS;
	} else if (!draw_step(s, f, &gap)) {
		if (f->proto != TG_PROTO_TCP) {
			f->action = ACT_END;
			return;
		}
		/* A model that stops mid-conversation: the client closes. */
		set_step(f, TG_DIR_C2S, TG_INTENT_CLOSE);
	}
	f->step_at = now + gap;
	f->action = ACT_RUN_STEP;
	if (f->proto != TG_PROTO_TCP)
		return;
	/* The receiver of the last data acknowledges it before anything
	 * else happens, unless its own next packet soon carries the ACK. */
	owing = side_owing_ack(f);
	if (owing >= 0 && !(f->step_dir == owing && gap <= DELAYED_ACK_NS)) {
		f->action = ACT_DELAYED_ACK;
		f->step_at = now + gap;
	}
}

/* When the delayed ACK goes, right after plan_next(s, f, now) chose one:
 * half the gap to the step (step_at - now), within the timer. */
static uint64_t
delayed_ack_time(const struct flow *f, uint64_t now)
{
	uint64_t wait = (f->step_at - now) / 2;

	if (wait > DELAYED_ACK_NS)
		wait = DELAYED_ACK_NS;
	return now + (wait ? wait : 1);
}

/* Send the next segment of the current message. Returns true if a packet
 * was written; sets the flow's next action and returns its time in *next. */
static bool
tcp_segment(struct tg_synth *s, struct flow *f, uint64_t now, uint64_t *next,
	    struct tg_synth_pkt *pkt)
{
	enum tg_dir dir = (enum tg_dir)f->step_dir;
	uint32_t want = f->msg_total - f->msg_sent;
	uint32_t room = segment_room(f, dir);
	int sent;

	sent = emit_tcp(s, f, dir, TG_INTENT_DATA, want < room ? want : room,
			now, pkt);
	if (sent <= 0 && !tg_tcp_conv_ack_pending(&f->tcp, tg_dir_peer(dir))) {
		/* Nothing the receiver could acknowledge would open room:
		 * give up on the flow the way a stack does, with a reset. */
		f->action = ACT_END;
		return emit_tcp(s, f, dir, TG_INTENT_RESET, 0, now, pkt) >= 0;
	}
	if (sent <= 0) {
		/* The window is full: the receiver must acknowledge first. */
		f->action = ACT_MID_ACK;
		*next = now + answer_gap(s, f, tg_dir_peer(dir));
		return false;
	}
	f->msg_sent += (uint32_t)sent;
	if (f->msg_sent >= f->msg_total) {
		plan_next(s, f, now);
		*next = f->action == ACT_DELAYED_ACK ? delayed_ack_time(f, now)
						     : f->step_at;
	} else if (f->segs_unacked >= ACK_EVERY_SEGMENTS) {
		f->action = ACT_MID_ACK;
		*next = now + (uint64_t)sent * NS_PER_WIRE_BYTE;
	} else {
		*next = now + (uint64_t)sent * NS_PER_WIRE_BYTE;
	}
	return true;
}

static bool
tcp_run_step(struct tg_synth *s, struct flow *f, uint64_t now,
	     uint64_t *next, struct tg_synth_pkt *pkt)
{
	enum tg_dir dir = (enum tg_dir)f->step_dir;

	switch (f->step_intent) {
	case TG_INTENT_DATA:
		begin_message(s, f);
		f->action = ACT_SEGMENT;
		return tcp_segment(s, f, now, next, pkt);
	case TG_INTENT_CLOSE:
		f->action = ACT_PEER_FIN;
		*next = now + answer_gap(s, f, tg_dir_peer(dir));
		return emit_tcp(s, f, dir, TG_INTENT_CLOSE, 0, now, pkt) >= 0;
	default:	/* RESET; an OPEN or ACK step means nothing here */
		f->action = ACT_END;
		return emit_tcp(s, f, dir, TG_INTENT_RESET, 0, now, pkt) >= 0;
	}
}

static void fit_plan(struct tg_synth *s, struct flow *f, uint64_t now);

/* What both kinds of model leave to the engine: the three-way handshake
 * (the SYN-ACK one RTT after the SYN, the client's ACK its delay after
 * the SYN-ACK; then the model's first step is drawn) and the receiver's
 * ACK when the sender's window is full. */
static bool
tcp_shared_event(struct tg_synth *s, struct flow *f, uint64_t now,
		 uint64_t *next, struct tg_synth_pkt *pkt)
{
	switch (f->action) {
	case ACT_SYN:
		f->action = ACT_SYNACK;
		*next = now + round_trip(s, f);
		return emit_tcp(s, f, TG_DIR_C2S, TG_INTENT_OPEN, 0, now,
				pkt) >= 0;
	case ACT_SYNACK:
		f->action = ACT_HANDSHAKE_ACK;
		*next = now + f->msg_seed;	/* the ACK's delay (init_tcp) */
		f->msg_seed = 0;
		return emit_tcp(s, f, TG_DIR_S2C, TG_INTENT_OPEN, 0, now,
				pkt) >= 0;
	case ACT_HANDSHAKE_ACK:
		if (f->packet_level) {
			fit_plan(s, f, now);
			*next = f->step_at;
		} else {
			plan_next(s, f, now);
			*next = f->step_at + LOCAL_ANSWER_NS;
		}
		return emit_tcp(s, f, TG_DIR_C2S, TG_INTENT_OPEN, 0, now,
				pkt) >= 0;
	default:	/* ACT_MID_ACK */
		f->action = ACT_SEGMENT;
		*next = now + LOCAL_ANSWER_NS;
		return emit_tcp(s, f, tg_dir_peer((enum tg_dir)f->step_dir),
				TG_INTENT_ACK, 0, now, pkt) >= 0;
	}
}

static bool
tcp_event(struct tg_synth *s, struct flow *f, uint64_t now, uint64_t *next,
	  struct tg_synth_pkt *pkt)
{
	enum tg_dir closer = (enum tg_dir)f->step_dir;
	int owing;

	switch (f->action) {
	case ACT_SYN:
	case ACT_SYNACK:
	case ACT_HANDSHAKE_ACK:
	case ACT_MID_ACK:
		return tcp_shared_event(s, f, now, next, pkt);
	case ACT_RUN_STEP:
		return tcp_run_step(s, f, now, next, pkt);
	case ACT_SEGMENT:
		return tcp_segment(s, f, now, next, pkt);
	case ACT_DELAYED_ACK:
		owing = side_owing_ack(f);
		f->action = ACT_RUN_STEP;
		*next = f->step_at > now ? f->step_at : now + 1;
		return owing >= 0 && emit_tcp(s, f, (enum tg_dir)owing,
					      TG_INTENT_ACK, 0, now, pkt) >= 0;
	case ACT_PEER_FIN:
		f->action = ACT_LAST_ACK;
		*next = now + answer_gap(s, f, closer);
		return emit_tcp(s, f, tg_dir_peer(closer), TG_INTENT_CLOSE, 0,
				now, pkt) >= 0;
	case ACT_LAST_ACK:
		f->action = ACT_END;
		return emit_tcp(s, f, closer, TG_INTENT_ACK, 0, now, pkt) >= 0;
	default:
		f->action = ACT_END;
		return false;
	}
}

/* UDP and ICMP: every step is one datagram. */
static bool
datagram_event(struct tg_synth *s, struct flow *f, uint64_t now,
	       uint64_t *next, struct tg_synth_pkt *pkt)
{
	enum tg_dir dir = (enum tg_dir)f->step_dir;
	struct tg_pkt_spec spec;
	bool ok = true;

	if (f->action == ACT_END)
		return false;

	begin_message(s, f);
	fill_spec(s, f, dir, &spec);
	if (f->proto == TG_PROTO_ICMP)
		ok = tg_icmp_conv_step(&f->icmp, dir, &spec.icmp) ==
		     TG_STEP_EMIT;
	ok = ok && write_frame(s, f, &spec, dir, f->msg_total, now, pkt);
	plan_next(s, f, now);
	*next = f->step_at;
	return ok;
}

/* --- Packet-level (fitted) models: hosts -------------------------------- */

static int
fit_create(struct tg_synth *s, char *err, size_t errlen)
{
	const struct tg_port_cfg *port = s->port;
	const struct tg_fitted *fit = &s->model->fit;
	struct fit_hosts *h = &s->hosts;
	uint32_t most_clients = 1, most_servers = 1;

	h->dns_service = -1;
	for (uint32_t i = 0; i < s->model->n_services; i++)
		if (strcmp(fit->services[i].name, "dns") == 0) {
			h->dns_service = (int32_t)i;
			break;
		}
	/* Ranks map onto each family's pools by a permutation fixed by the
	 * seed: the same busy hosts in every run. */
	for (int v = 0; v < 2; v++) {
		struct family_hosts *fh = &h->fam[v];
		uint32_t clients = tg_hosts_count(pool_cidr(&port->clients,
							    v ? 6 : 4));

		fh->clients = clients / s->n_workers;
		fh->servers = tg_hosts_count(pool_cidr(&port->servers,
						       v ? 6 : 4));
		tg_perm_init(&fh->client_perm, fh->clients, &s->rng);
		tg_perm_init(&fh->server_perm, fh->servers, &s->rng);
		if (fh->clients > most_clients)
			most_clients = fh->clients;
		if (fh->servers > most_servers)
			most_servers = fh->servers;
	}
	h->client_ranks = most_clients < MAX_RANKS ? most_clients : MAX_RANKS;
	h->server_ranks = most_servers < MAX_RANKS ? most_servers : MAX_RANKS;
	h->recent = calloc(RECENT_CLIENTS, sizeof(*h->recent));
	if (h->recent == NULL ||
	    tg_zipf_init(&h->clients, h->client_ranks,
			 fit->hosts.client_zipf) != 0 ||
	    tg_zipf_init(&h->servers, h->server_ranks,
			 fit->hosts.server_zipf) != 0 ||
	    tg_portset_init(&s->ports, s->max_flows, slot_port_key, s) != 0) {
		snprintf(err, errlen, "out of memory for the hosts of %u flows",
			 s->max_flows);
		return -1;
	}
	return 0;
}

static void
fit_free(struct tg_synth *s)
{
	tg_zipf_free(&s->hosts.clients);
	tg_zipf_free(&s->hosts.servers);
	free(s->hosts.recent);
	tg_portset_free(&s->ports);
}

/* The model's wish, if both pools have that family. */
static uint8_t
fit_ip_version(const struct tg_synth *s, uint8_t wish)
{
	const struct tg_port_cfg *port = s->port;
	bool v6 = pool_has(&port->clients, 6) && pool_has(&port->servers, 6);
	bool v4 = pool_has(&port->clients, 4) && pool_has(&port->servers, 4);

	if (wish == 6)
		return v6 || !v4 ? 6 : 4;
	return v4 || !v6 ? 4 : 6;
}

/* Host number, in the client pool, of client rank `rank`. Workers share
 * the pool out: this one only has the hosts equal to its index modulo the
 * number of workers. */
static uint32_t
client_host(const struct tg_synth *s, const struct family_hosts *fh,
	    uint32_t rank)
{
	if (fh->clients == 0)
		return s->worker_index;		/* a pool smaller than the
						 * workers: shared */
	if (rank >= fh->clients)
		rank %= fh->clients;
	return s->worker_index +
	       s->n_workers * tg_perm_map(&fh->client_perm, rank);
}

static uint32_t
server_host(const struct family_hosts *fh, uint32_t rank)
{
	if (fh->servers == 0)
		return 0;		/* no such pool: never asked */
	if (rank >= fh->servers)
		rank %= fh->servers;
	return tg_perm_map(&fh->server_perm, rank);
}

/* The server of a new flow of client `client`: one of its recent servers
 * with P(repeat_server), else a new one by the Zipf law of servers (or of
 * the client pool for an internal server). */
static uint32_t
fit_pick_server(struct tg_synth *s, uint32_t client, bool internal)
{
	struct fit_hosts *h = &s->hosts;
	struct recent *r = &h->recent[client & (RECENT_CLIENTS - 1)];
	uint32_t server;

	if (r->client != client + 1) {
		memset(r, 0, sizeof(*r));
		r->client = client + 1;
	}
	if (r->n > 0 &&
	    tg_rng_uniform(&s->rng) < s->model->fit.hosts.repeat_server)
		return r->server[tg_rng_below(&s->rng, r->n)];
	if (internal)
		server = tg_zipf_draw(&h->clients, &s->rng) | SERVER_INTERNAL;
	else
		server = tg_zipf_draw(&h->servers, &s->rng);
	r->server[r->next] = server;
	r->next = (uint8_t)((r->next + 1) % RECENT_SERVERS);
	if (r->n < RECENT_SERVERS)
		r->n++;
	return server;
}

/* Addresses of client rank `client` and server id `server`. */
static void
fit_addresses(struct tg_synth *s, struct flow *f, uint32_t client,
	      uint32_t server)
{
	const struct tg_port_cfg *port = s->port;
	int v = f->ip_version == 6;
	const struct family_hosts *fh = &s->hosts.fam[v];
	const struct tg_cidr *clients = pool_cidr(&port->clients,
						  f->ip_version);
	uint32_t count = tg_hosts_count(clients);

	f->client_host = client_host(s, fh, client) % count;
	if (server & SERVER_INTERNAL) {
		uint32_t host = client_host(s, fh, server & ~SERVER_INTERNAL) %
				count;

		if (host != f->client_host) {
			f->server_host = host;
			f->server_is_client = true;
			return;
		}
		server = 0;	/* itself: take the busiest server instead */
	}
	f->server_host = server_host(fh, server);
}

static uint64_t
port_key(const struct flow *f)
{
	/* Non-zero, and unique per family, protocol, client and port. */
	return 1ull << 63 | (uint64_t)(f->ip_version == 6) << 56 |
	       (uint64_t)f->proto << 48 | (uint64_t)f->client_host << 16 |
	       f->sport;
}

_Static_assert(TG_MAX_FLOWS_MAX < TG_PORTSET_MAX_MEMBERS,
	       "every flow slot can be in the port set");

/* The port set's key of the flow in `slot`. */
static uint64_t
slot_port_key(const void *synth, uint32_t slot)
{
	const struct tg_synth *s = synth;

	return port_key(&s->flows[slot]);
}

/* A free source port of the range lo..hi for the flow's client: the
 * range's counter goes round from a random start, skipping ports a live
 * flow of the same client holds. */
static bool
fit_take_port(struct tg_synth *s, struct flow *f, uint16_t lo, uint16_t hi)
{
	uint32_t span = (uint32_t)hi - lo + 1;
	struct port_range *pr = &s->ranges[(lo * 31u + hi) % PORT_RANGES];

	if (!pr->used || pr->lo != lo || pr->hi != hi) {
		pr->used = true;
		pr->lo = lo;
		pr->hi = hi;
		pr->next = tg_rng_below(&s->rng, span);
	}
	for (uint32_t i = 0; i < PORT_TRIES && i < span; i++) {
		f->sport = (uint16_t)(lo + pr->next);
		pr->next = pr->next + 1 < span ? pr->next + 1 : 0;
		/* A port whose dissector would misread the flow's payload
		 * (as for server ports, tg_model.c): the next will do. */
		if (!tg_payload_fits_port(f->payload, f->proto, f->sport))
			continue;
		if (tg_portset_add(&s->ports, (uint32_t)(f - s->flows))) {
			f->holds_port = true;
			return true;
		}
	}
	return false;
}

/* --- Packet-level models: the life of a flow ---------------------------- */

/* Bytes `dir` sends in the message that starts with the current step:
 * its DATA steps up to the other side's data, a FIN or RST, or the end,
 * drawn ahead on copies of the flow's cursor and generator. The real
 * draws later give the same steps. */
static uint64_t
fit_measure_message(const struct tg_synth *s, const struct flow *f,
		    uint32_t *steps)
{
	struct tg_flow_cursor cursor = f->cursor;
	struct tg_rng rng = f->rng;
	uint64_t total = f->step_bytes;
	struct tg_step st;

	*steps = 1;
	for (int i = 0; i < LOOKAHEAD_STEPS; i++) {
		if (!tg_model_flow_step(s->model, &cursor, &rng, &st) ||
		    st.intent == TG_INTENT_CLOSE ||
		    st.intent == TG_INTENT_RESET)
			break;
		if (st.intent != TG_INTENT_DATA)
			continue;
		if (st.dir != f->step_dir)
			break;
		total += st.bytes;
		(*steps)++;
	}
	return total;
}

/* The current step is DATA and opens a message: fix its length (the
 * payload generator needs it up front, e.g. for Content-Length). */
static void
fit_begin_message(struct tg_synth *s, struct flow *f)
{
	uint64_t total;
	uint32_t steps;

	/* Drawn before the look-ahead copies the generator. */
	if (f->step_dir == TG_DIR_C2S)
		f->msg_seed = tg_rng_next(&f->rng);
	total = fit_measure_message(s, f, &steps);
	f->msg_steps = steps;
	open_message(s, f, total < MAX_MESSAGE ? (uint32_t)total : MAX_MESSAGE);
	if (f->step_dir == TG_DIR_C2S)
		f->request_len = f->msg_total;
	f->msg_dir = f->step_dir;
}

/* End of the run: a flow waiting for its next step sends what is left of
 * the message it is in, then closes (TCP) or ends. */
static void
fit_drain_flow(struct flow *f, uint64_t now)
{
	f->drained = true;
	if (f->proto != TG_PROTO_TCP || f->action == ACT_SYN) {
		f->action = ACT_END;	/* nothing sent yet, or datagrams */
		f->step_at = now;
		return;
	}
	f->step_at = now + LOCAL_ANSWER_NS;
	if (f->msg_steps > 0 && f->msg_sent > 0 &&
	    f->msg_sent < f->msg_total) {
		set_step(f, (enum tg_dir)f->msg_dir, TG_INTENT_DATA);
		f->msg_steps = 1;	/* the last step sends the rest */
		f->action = ACT_SEGMENT;
		return;
	}
	f->action = ACT_CLOSING;
}

/* Draw the flow's next step and when it is due. Steps that cannot happen
 * (data after the sender's own FIN, an OPEN the engine already did) pass
 * their time on to the next step. */
static void
fit_plan(struct tg_synth *s, struct flow *f, uint64_t now)
{
	bool tcp = f->proto == TG_PROTO_TCP;
	uint64_t gap = 0;
	struct tg_step st;

	if (s->draining) {
		fit_drain_flow(f, now);
		return;
	}
	for (;;) {
		if (!tg_model_flow_step(s->model, &f->cursor, &f->rng, &st)) {
			/* A model that stops mid-conversation: the client
			 * closes. */
			f->action = tcp ? ACT_CLOSING : ACT_END;
			f->step_at = now + gap + LOCAL_ANSWER_NS;
			return;
		}
		take_step(f, &st);
		gap += st.gap_ns;
		if (f->step_intent == TG_INTENT_OPEN ||
		    (tcp && f->step_intent == TG_INTENT_DATA &&
		     f->tcp.bits[f->step_dir].fin_sent))
			continue;
		break;
	}
	if (tcp && f->step_intent == TG_INTENT_DATA &&
	    (f->msg_steps == 0 || f->step_dir != f->msg_dir))
		fit_begin_message(s, f);
	f->action = ACT_RUN_STEP;
	f->step_at = now + gap;
}

/* One segment of the current DATA step: its drawn size, or for the last
 * step of the message all that is left, within the MSS and the window. */
static bool
fit_tcp_data(struct tg_synth *s, struct flow *f, uint64_t now, uint64_t *next,
	     struct tg_synth_pkt *pkt)
{
	enum tg_dir dir = (enum tg_dir)f->step_dir;
	uint32_t left = f->msg_total - f->msg_sent;
	uint32_t want = f->msg_steps > 1 && f->step_bytes < left
				? f->step_bytes : left;
	uint32_t room = segment_room(f, dir);
	int sent = 0;

	f->action = ACT_SEGMENT;
	if (want > 0) {
		sent = emit_tcp(s, f, dir, TG_INTENT_DATA,
				want < room ? want : room, now, pkt);
		if (sent <= 0 &&
		    !tg_tcp_conv_ack_pending(&f->tcp, tg_dir_peer(dir))) {
			/* Nothing could open the window: give up the way a
			 * stack does. */
			f->action = ACT_END;
			return emit_tcp(s, f, dir, TG_INTENT_RESET, 0, now,
					pkt) >= 0;
		}
		if (sent <= 0) {
			/* The window is full: the receiver acknowledges. */
			f->action = ACT_MID_ACK;
			*next = now + answer_gap(s, f, tg_dir_peer(dir));
			return false;
		}
		f->msg_sent += (uint32_t)sent;
	}
	if (f->msg_steps <= 1 && f->msg_sent < f->msg_total) {
		/* The last step sends the rest back to back. */
		*next = now + (uint64_t)sent * NS_PER_WIRE_BYTE;
		return true;
	}
	if (f->msg_steps > 0)
		f->msg_steps--;
	fit_plan(s, f, now);
	*next = f->step_at;
	return sent > 0;
}

/* The engine closes: FIN from whoever has not sent one (the client
 * first), then the last ACK; the flow ends when both FINs are acked. */
static bool
fit_tcp_close(struct tg_synth *s, struct flow *f, uint64_t now,
	      uint64_t *next, struct tg_synth_pkt *pkt)
{
	const struct tg_tcp_conv *c = &f->tcp;
	enum tg_dir dir;
	int owing;

	if (tg_tcp_conv_done(c) || c->state < TG_TCP_ESTABLISHED) {
		f->action = ACT_END;
		return false;
	}
	if (!c->bits[TG_DIR_C2S].fin_sent || !c->bits[TG_DIR_S2C].fin_sent) {
		dir = c->bits[TG_DIR_C2S].fin_sent ? TG_DIR_S2C : TG_DIR_C2S;
		*next = now + answer_gap(s, f, tg_dir_peer(dir));
		if (emit_tcp(s, f, dir, TG_INTENT_CLOSE, 0, now, pkt) >= 0)
			return true;
		f->action = ACT_END;
		return false;
	}
	owing = side_owing_ack(f);
	if (owing < 0 ||
	    emit_tcp(s, f, (enum tg_dir)owing, TG_INTENT_ACK, 0, now, pkt) < 0) {
		f->action = ACT_END;
		return false;
	}
	if (tg_tcp_conv_done(c))
		f->action = ACT_END;
	*next = now + answer_gap(s, f, tg_dir_peer((enum tg_dir)owing));
	return true;
}

/* Carry out the drawn step: one packet, or none when it cannot be sent
 * validly (an ACK with nothing new to acknowledge is a duplicate ACK). */
static bool
fit_tcp_step(struct tg_synth *s, struct flow *f, uint64_t now, uint64_t *next,
	     struct tg_synth_pkt *pkt)
{
	enum tg_dir dir = (enum tg_dir)f->step_dir;
	const struct tg_tcp_side_bits *side = f->tcp.bits;
	bool sent = false;

	switch (f->step_intent) {
	case TG_INTENT_DATA:
		return fit_tcp_data(s, f, now, next, pkt);
	case TG_INTENT_ACK:
		sent = tg_tcp_conv_ack_pending(&f->tcp, dir) &&
		       emit_tcp(s, f, dir, TG_INTENT_ACK, 0, now, pkt) >= 0;
		break;
	case TG_INTENT_CLOSE:
		sent = !side[dir].fin_sent &&
		       emit_tcp(s, f, dir, TG_INTENT_CLOSE, 0, now, pkt) >= 0;
		if (side[TG_DIR_C2S].fin_sent && side[TG_DIR_S2C].fin_sent) {
			/* Both FINs are out: the last ACK follows. */
			f->action = ACT_CLOSING;
			*next = now + answer_gap(s, f, tg_dir_peer(dir));
			return sent;
		}
		break;
	default:	/* RESET */
		f->action = ACT_END;
		return emit_tcp(s, f, dir, TG_INTENT_RESET, 0, now, pkt) >= 0;
	}
	fit_plan(s, f, now);
	*next = f->step_at;
	return sent;
}

/* A connection that never opens: the client's SYN, then nothing
 * (unanswered) or, one round trip later, the server's RST (refused). */
static bool
fit_syn_fails(struct tg_synth *s, struct flow *f, uint64_t now,
	      uint64_t *next, struct tg_synth_pkt *pkt)
{
	if (f->action == ACT_SYNACK) {
		f->action = ACT_END;
		return emit_tcp(s, f, TG_DIR_S2C, TG_INTENT_RESET, 0, now,
				pkt) >= 0;
	}
	f->action = f->syn_fate == TG_SYN_REFUSED ? ACT_SYNACK : ACT_END;
	*next = now + round_trip(s, f);
	return emit_tcp(s, f, TG_DIR_C2S, TG_INTENT_OPEN, 0, now, pkt) >= 0;
}

static bool
fit_tcp_event(struct tg_synth *s, struct flow *f, uint64_t now,
	      uint64_t *next, struct tg_synth_pkt *pkt)
{
	switch (f->action) {
	case ACT_SYN:
	case ACT_SYNACK:
		if (f->syn_fate != TG_SYN_ANSWERED)
			return fit_syn_fails(s, f, now, next, pkt);
		return tcp_shared_event(s, f, now, next, pkt);
	case ACT_HANDSHAKE_ACK:
	case ACT_MID_ACK:
		return tcp_shared_event(s, f, now, next, pkt);
	case ACT_RUN_STEP:
		return fit_tcp_step(s, f, now, next, pkt);
	case ACT_SEGMENT:
		return fit_tcp_data(s, f, now, next, pkt);
	case ACT_CLOSING:
		return fit_tcp_close(s, f, now, next, pkt);
	default:
		f->action = ACT_END;
		return false;
	}
}

/* The payload length of a datagram step, or false to skip it: a reply
 * (ICMP echo, DNS answer) needs a request it answers. */
static bool
fit_datagram_len(const struct tg_synth *s, struct flow *f, enum tg_dir dir,
		 uint32_t *len)
{
	struct tg_payload_msg msg = {
		.kind = f->payload,
		.dir = (uint8_t)dir,
		.request_len = f->request_len,
		.index = f->msgs[dir],
		.seed = f->msg_seed,
		.flow_seed = payload_flow_seed(s, f),
	};
	bool reply_kind = f->proto == TG_PROTO_ICMP ||
			  f->payload == TG_PAYLOAD_DNS;
	uint32_t bytes = f->step_bytes < MAX_DATAGRAM ? f->step_bytes
						      : MAX_DATAGRAM;

	if (dir == TG_DIR_S2C && reply_kind && !f->owed)
		return false;
	if (f->proto == TG_PROTO_ICMP && dir == TG_DIR_S2C)
		*len = f->request_len;		/* a reply echoes the data */
	else
		*len = tg_payload_message_len(&msg, bytes);
	if (*len > MAX_DATAGRAM)
		*len = MAX_DATAGRAM;
	return true;
}

/* UDP and ICMP: each DATA step is one datagram. */
static bool
fit_datagram_event(struct tg_synth *s, struct flow *f, uint64_t now,
		   uint64_t *next, struct tg_synth_pkt *pkt)
{
	enum tg_dir dir = (enum tg_dir)f->step_dir;
	struct tg_pkt_spec spec;
	uint32_t len;
	bool ok = false;

	if (f->action == ACT_END)
		return false;
	if (f->step_intent == TG_INTENT_DATA && dir == TG_DIR_C2S)
		f->msg_seed = tg_rng_next(&f->rng);
	if (f->step_intent == TG_INTENT_DATA &&
	    fit_datagram_len(s, f, dir, &len)) {
		f->msg_total = len;
		f->msg_sent = 0;
		f->msg_counted = false;	/* counted once it was sent */
		fill_spec(s, f, dir, &spec);
		ok = f->proto != TG_PROTO_ICMP ||
		     tg_icmp_conv_step(&f->icmp, dir, &spec.icmp) ==
			     TG_STEP_EMIT;
		ok = ok && write_frame(s, f, &spec, dir, len, now, pkt);
		if (ok && dir == TG_DIR_C2S)
			f->request_len = len;
		if (ok) {
			f->owed = dir == TG_DIR_C2S;
			next_msg_index(f, dir);
		}
	}
	fit_plan(s, f, now);
	*next = f->step_at;
	return ok;
}

/* --- Packet-level models: starting flows -------------------------------- */

static struct flow *
fit_alloc(struct tg_synth *s, uint16_t service, struct tg_flow_desc *desc,
	  uint32_t *slot)
{
	struct flow *f;

	if (s->n_free == 0) {
		s->stats.flows_refused++;
		return NULL;
	}
	*slot = slot_take(s);
	f = &s->flows[*slot];
	memset(f, 0, sizeof(*f));
	truth_clear(s, f);
	f->node.seq = (uint32_t)s->next_flow_id++;
	f->packet_level = true;
	tg_rng_seed(&f->rng, tg_rng_next(&s->rng), flow_id(s, f));
	tg_model_flow_new(s->model, &f->rng, service, desc, &f->cursor);
	fx_flow_start(s, f);
	return f;
}

/* Give an allocated flow its hosts, port and header fields, and schedule
 * its first packet at `at`. False if no source port was free. */
static bool
fit_launch(struct tg_synth *s, struct flow *f, uint32_t slot,
	   struct tg_flow_desc *desc, uint32_t client, uint32_t server,
	   uint64_t at)
{
	f->proto = desc->proto;
	f->payload = tg_payload_on_port(desc->payload, desc->proto,
					desc->server_port);
	f->ip_version = fit_ip_version(s, desc->ip_version);
	fit_addresses(s, f, client, server);
	if (!fit_take_port(s, f, desc->client_port_lo, desc->client_port_hi) &&
	    !fit_take_port(s, f, EPHEMERAL_FIRST, EPHEMERAL_LAST)) {
		slot_give(s, slot);
		s->stats.flows_refused++;
		return false;
	}
	f->dport = desc->server_port;
	for (int d = 0; d < 2; d++) {
		/* As seen at the capture point: no hops to take off. */
		f->ttl[d] = desc->ttl[d];
		f->tos[d] = desc->tos[d];
		set_df(f, (enum tg_dir)d, desc->df[d]);
		set_ipid_mode(f, (enum tg_dir)d, desc->ipid[d]);
		f->ip_id[d] = (uint16_t)tg_rng_next(&f->rng);
		set_flow_label(f, (enum tg_dir)d, tg_rng_next(&f->rng));
	}
	s->stats.flows_started++;
	if (f->proto == TG_PROTO_TCP) {
		init_tcp(s, f, desc);
		f->syn_fate = desc->syn_fate;
		f->step_at = at;
	} else {
		if (f->proto == TG_PROTO_ICMP)
			tg_icmp_conv_init(&f->icmp, f->sport,
					  f->ip_version == 6);
		/* A datagram flow starts with its first packet. */
		fit_plan(s, f, at);
		f->step_at = at;
	}
	schedule(s, f, slot, f->step_at);
	return true;
}

/* A new flow of the service the arrival process chose, preceded by its
 * client's DNS lookup when the model says so. */
static void
fit_start_flow(struct tg_synth *s, uint16_t service, uint64_t now)
{
	struct tg_flow_desc desc, dns_desc;
	struct flow *f, *dns;
	uint32_t slot, dns_slot, client, server;
	uint64_t at = now;

	f = fit_alloc(s, service, &desc, &slot);
	if (f == NULL)
		return;
	client = tg_zipf_draw(&s->hosts.clients, &s->rng);
	server = fit_pick_server(s, client, desc.server_internal);
	if (desc.dns_first && s->hosts.dns_service >= 0 && s->n_free > 0 &&
	    desc.service != (uint16_t)s->hosts.dns_service) {
		dns = fit_alloc(s, (uint16_t)s->hosts.dns_service, &dns_desc,
				&dns_slot);
		/* The client's resolvers: the two busiest servers. */
		if (dns != NULL &&
		    fit_launch(s, dns, dns_slot, &dns_desc, client,
			       (client & 1) % s->hosts.server_ranks, now))
			at = now + desc.dns_delay_ns;
	}
	fit_launch(s, f, slot, &desc, client, server, at);
}

/* Run the flow's due event. Returns true if it wrote a packet. */
static bool
flow_event(struct tg_synth *s, struct flow *f, uint64_t now, uint64_t *next,
	   struct tg_synth_pkt *pkt)
{
	if (f->packet_level)
		return f->proto == TG_PROTO_TCP
			       ? fit_tcp_event(s, f, now, next, pkt)
			       : fit_datagram_event(s, f, now, next, pkt);
	if (f->proto == TG_PROTO_TCP)
		return tcp_event(s, f, now, next, pkt);
	return datagram_event(s, f, now, next, pkt);
}

void
tg_synth_drain(struct tg_synth *s, uint64_t now)
{
	struct tg_timerwheel *w = &s->wheel;

	if (s->draining)
		return;
	s->draining = true;
	tg_synth_stop_arrivals(s);
	/* Flows waiting for their next model step stop waiting: they close
	 * (TCP) or end (UDP, ICMP) right away. Nothing here draws from the
	 * generator, so the order of this walk (by slot) does not show. */
	for (uint32_t slot = 0; slot < s->fresh; slot++) {
		struct flow *f = &s->flows[slot];
		uint64_t soon = now + LOCAL_ANSWER_NS;

		if (!tg_timerwheel_queued(w, slot))
			continue;
		if (f->packet_level) {
			if (f->action != ACT_RUN_STEP && f->action != ACT_SYN)
				continue;
			fit_drain_flow(f, now);
			if (tg_timerwheel_time(w, slot) > f->step_at)
				tg_timerwheel_set_time(w, slot, f->step_at);
			continue;
		}
		if (f->action != ACT_RUN_STEP && f->action != ACT_DELAYED_ACK)
			continue;
		plan_next(s, f, now);
		if (tg_timerwheel_time(w, slot) > soon)
			tg_timerwheel_set_time(w, slot, soon);
	}
	tg_timerwheel_rebuild(w);
}

void
tg_synth_stop_arrivals(struct tg_synth *s)
{
	tg_timerwheel_clear(&s->arrivals);
	s->arrivals_stopped = true;
}

bool
tg_synth_idle(const struct tg_synth *s)
{
	return s->draining && tg_timerwheel_empty(&s->wheel);
}

/* --- Network effects ---------------------------------------------------- */

/* A duplicate, or a segment held back, follows its predecessor this soon
 * (or at once when the flow's next packet is due sooner). */
#define FX_SOON_NS NS_PER_US

static uint64_t
fx_soon(uint64_t now, uint64_t next)
{
	uint64_t gap = next > now ? next - now : 0;

	return now + (gap < FX_SOON_NS ? gap : FX_SOON_NS);
}

/* Keep the frame just written in `pkt` for the effect `kind`. False when
 * the store is full (the effect is then not applied). */
static bool
fx_keep(struct tg_synth *s, struct tg_fx_flow *x,
	const struct tg_synth_pkt *pkt, enum tg_fx_kind kind)
{
	struct tg_fx_frame *fr;
	int32_t i;

	if (pkt->len > TG_FX_FRAME_MAX ||
	    (i = tg_fx_store_take(&s->fx_store)) < 0)
		return false;
	fr = &s->fx_store.frames[i];
	memcpy(fr->buf, pkt->buf, pkt->len);
	fr->len = pkt->len;
	fr->layout = pkt->layout;
	fr->proto = pkt->proto;
	fr->ip_version = pkt->ip_version;
	fr->spec = s->fx_spec;
	x->frame = i;
	x->kind = (uint8_t)kind;
	x->dir = s->fx_dir;
	return true;
}

/* Put the flow's own next event off: the effect's packet goes at `at`,
 * then the flow goes on `delay` later than it would have. */
static void
fx_interpose(struct flow *f, struct tg_fx_flow *x, uint64_t at,
	     uint64_t delay, uint64_t *next)
{
	x->resume_action = f->action;
	x->resume_at = (*next > at ? *next : at) + delay;
	f->action = ACT_EFFECT;
	*next = at;
}

/* The effect's next packet goes at `at`, before the flow goes on. */
static void
fx_chain(struct tg_fx_flow *x, enum tg_fx_kind kind, uint64_t at,
	 uint64_t *next)
{
	x->kind = (uint8_t)kind;
	if (x->resume_at < at)
		x->resume_at = at;
	*next = at;
}

/* Segments `dir` sends right after the one just written, back to back and
 * with no ACK of its peer in between: the rest of its message, as far as
 * the window its peer gave reaches. */
static unsigned
fx_followers(const struct flow *f, enum tg_dir dir)
{
	uint32_t left = f->msg_total - f->msg_sent;
	uint32_t room = tg_tcp_conv_send_room(&f->tcp, dir);

	if ((f->action != ACT_SEGMENT && f->action != ACT_MID_ACK) ||
	    f->step_dir != dir)
		return 0;
	return tg_fx_segments(left < room ? left : room, segment_room(f, dir));
}

/* The TCP segment kept in x->frame was lost: if enough segments of its
 * sender follow, the receiver answers each with a duplicate ACK and the
 * sender retransmits after the third (RFC 5681 3.2), while the flow goes
 * on. False when the retransmission timer has to fire instead. */
static bool
fx_open_hole(const struct tg_synth *s, struct flow *f, struct tg_fx_flow *x)
{
	enum tg_dir dir = (enum tg_dir)x->dir;
	enum tg_dir rcv = tg_dir_peer(dir);
	uint32_t hole = s->fx_store.frames[x->frame].spec.tcp.seq;
	bool at_hole = x->last_ack[rcv] == hole;
	bool same_window = tg_tcp_conv_edge_window(&f->tcp, rcv, hole) ==
			   x->last_win[rcv];
	unsigned acks;

	/* An ACK at the hole with another window would be a window update,
	 * not a duplicate ACK. */
	if (at_hole && !same_window)
		return false;
	acks = tg_fx_fast_acks(fx_followers(f, dir), at_hole);
	if (acks == 0)
		return false;
	x->kind = TG_FX_HOLE;
	x->acks_due = (uint8_t)acks;
	/* The receiver's ACKs are the effect's from now on. */
	if (f->action == ACT_MID_ACK)
		f->action = ACT_SEGMENT;
	return true;
}

/* The data packet just written is lost after the capture point: the
 * receiver never gets it. TCP: with enough segments after it, the
 * receiver's duplicate ACKs bring it again soon (fx_open_hole); else the
 * sender hears nothing (the flow waits), so it retransmits the segment
 * when its timer runs out, and the rest of the conversation comes that
 * much later. Datagrams: a request that never arrived gets no answer. */
static void
fx_lose(struct tg_synth *s, struct flow *f, struct tg_fx_flow *x,
	uint64_t now, uint64_t *next, const struct tg_synth_pkt *pkt)
{
	uint64_t rto;

	if (f->proto != TG_PROTO_TCP) {
		/* A parametric model answers whatever arrived: no loss. */
		if (!f->packet_level)
			return;
		f->owed = false;
		x->counts.lost++;
		return;
	}
	if (!fx_keep(s, x, pkt, TG_FX_RETRANSMIT))
		return;
	x->counts.lost++;
	if (fx_open_hole(s, f, x))
		return;
	rto = tg_fx_rto(f->cursor.rtt_ns);
	fx_interpose(f, x, now + rto, rto, next);
}

/* The flow's own event while a segment is missing: a segment of its
 * sender arrives after the hole and draws the receiver's ACK at once.
 * Anything else (the sender's window is full) waits for the
 * retransmission. Returns whether the packet written stays. */
static bool
fx_after_hole(struct tg_synth *s, struct flow *f, struct tg_fx_flow *x,
	      bool wrote, uint64_t now, uint64_t *next)
{
	if (wrote && s->fx_dir == x->dir && s->fx_spec.payload_len > 0) {
		if (f->action == ACT_MID_ACK)	/* the duplicate is that ACK */
			f->action = ACT_SEGMENT;
		x->kind = TG_FX_DUP_ACK;
		fx_interpose(f, x, fx_soon(now, *next), 0, next);
		return true;
	}
	/* Not foreseen by fx_followers unless the sender heard enough. */
	if (x->acks_due > 0) {
		x->kind = TG_FX_RETRANSMIT;
		fx_interpose(f, x, fx_soon(now, *next), 0, next);
	} else {
		x->kind = TG_FX_FAST_RETRANSMIT;
		fx_interpose(f, x, x->retransmit_at > now ? x->retransmit_at
							  : now, 0, next);
	}
	return wrote;
}

/* Hold the TCP segment just written back, to send it after the next one.
 * Only when the next is sure to follow at once from the same sender (the
 * message goes on and the window has room), so no ACK covers the held
 * bytes before they are seen. */
static bool
fx_hold(struct tg_synth *s, struct flow *f, struct tg_fx_flow *x,
	const struct tg_synth_pkt *pkt)
{
	enum tg_dir dir = (enum tg_dir)s->fx_dir;

	if (f->proto != TG_PROTO_TCP || f->action != ACT_SEGMENT ||
	    f->step_dir != dir || f->msg_sent >= f->msg_total ||
	    tg_tcp_conv_send_room(&f->tcp, dir) == 0 ||
	    !fx_keep(s, x, pkt, TG_FX_HOLD))
		return false;
	/* Off the wire until it is released. */
	s->stats.packets--;
	s->stats.bytes -= pkt->len;
	if (truth_of(s, f) != NULL) {
		truth_of(s, f)->packets[dir]--;
		truth_of(s, f)->bytes[dir] -= pkt->len;
	}
	return true;
}

/* After the flow's own event: what the network does to the packet it
 * wrote, if any. Returns whether that packet stays in the burst. */
static bool
fx_after(struct tg_synth *s, struct flow *f, bool wrote, uint64_t now,
	 uint64_t *next, struct tg_synth_pkt *pkt)
{
	struct tg_fx_flow *x = fx_of(s, f);

	if (x->kind == TG_FX_HOLE)
		return fx_after_hole(s, f, x, wrote, now, next);
	if (!wrote)
		return false;
	if (x->kind == TG_FX_HOLD) {
		/* The held segment follows the one just written. */
		if (s->fx_dir == x->dir)
			x->counts.reordered++;
		x->kind = TG_FX_RELEASE;
		fx_interpose(f, x, fx_soon(now, *next), 0, next);
		return true;
	}
	if (x->kind != TG_FX_NONE || s->fx_spec.payload_len == 0)
		return true;
	switch (tg_fx_choose(x, &s->port->effects)) {
	case TG_FX_LOSE:
		fx_lose(s, f, x, now, next, pkt);
		return true;
	case TG_FX_DUPLICATE_IT:
		if (fx_keep(s, x, pkt, TG_FX_DUPLICATE))
			fx_interpose(f, x, fx_soon(now, *next), 0, next);
		return true;
	case TG_FX_REORDER:
		return !fx_hold(s, f, x, pkt);
	default:
		return true;
	}
}

/* The lost segment again: the same bytes at the same sequence number, in
 * a new IP packet carrying the sender's clock of now (RFC 7323: a
 * retransmission has a fresh TSval, which the receiver echoes). */
static bool
fx_retransmit(struct flow *f, const struct tg_fx_frame *fr, enum tg_dir dir,
	      uint64_t now, struct tg_synth_pkt *pkt)
{
	struct tg_pkt_spec spec = fr->spec;
	uint16_t hdr = tg_pkt_header_len(&fr->spec);

	spec.ip_id = next_ip_id(f, dir);
	spec.payload = fr->buf + hdr;
	if (spec.tcp.opts.has_ts) {
		spec.tcp.opts.tsval = f->tcp.side[dir].ts_base +
				      (uint32_t)(now / NS_PER_MS);
		f->tcp.side[tg_dir_peer(dir)].ts_recent = spec.tcp.opts.tsval;
	}
	pkt->len = tg_pkt_write(&spec, pkt->buf, pkt->cap, &pkt->layout);
	pkt->proto = spec.proto;
	pkt->opaque_at = 0;
	return pkt->len != 0;
}

/* A kept frame as it was: a duplicate, or a segment held back. */
static bool
fx_replay(const struct tg_fx_frame *fr, struct tg_synth_pkt *pkt)
{
	if (fr->len > pkt->cap)
		return false;
	memcpy(pkt->buf, fr->buf, fr->len);
	pkt->len = fr->len;
	pkt->layout = fr->layout;
	pkt->proto = fr->proto;
	pkt->opaque_at = 0;
	return true;
}

/* The receiver's ACK of a segment that arrived after the hole: at the
 * hole, SACKing what came after. The sender hears the last one it waits
 * for one answer gap later and retransmits; until then the segments it
 * sends meanwhile go on (each drawing one more duplicate ACK), as a real
 * sender's segments in flight do. */
static bool
fx_dup_ack(struct tg_synth *s, struct flow *f, struct tg_fx_flow *x,
	   uint64_t now, uint64_t *next, struct tg_synth_pkt *pkt)
{
	const struct tg_pkt_spec *lost = &s->fx_store.frames[x->frame].spec;
	enum tg_dir sender = (enum tg_dir)x->dir;
	enum tg_dir rcv = tg_dir_peer(sender);
	struct tg_pkt_spec spec;
	/* The first of one ACK more than the threshold moves the ACK number
	 * up to the hole: it is no duplicate. */
	bool dup = x->acks_due <= TG_FX_DUP_THRESH;
	bool ok;

	fill_spec(s, f, rcv, &spec);
	ok = tg_tcp_conv_hole_ack(&f->tcp, rcv, lost->tcp.seq,
				  lost->tcp.seq + lost->payload_len, now,
				  &spec.tcp) &&
	     write_frame(s, f, &spec, rcv, 0, now, pkt);
	x->counts.dup_acks += ok && dup;
	if (x->acks_due > 0 && --x->acks_due == 0)
		x->retransmit_at = now + answer_gap(s, f, sender);
	if (x->acks_due > 0 || (x->resume_action == ACT_SEGMENT &&
				x->resume_at < x->retransmit_at)) {
		x->kind = TG_FX_HOLE;
		f->action = x->resume_action;
		*next = x->resume_at;
	} else {
		fx_chain(x, TG_FX_FAST_RETRANSMIT, x->retransmit_at, next);
	}
	return ok;
}

/* The lost segment again (after its timer or duplicate ACKs), or a kept
 * frame as it was. */
static bool
fx_resend(struct tg_synth *s, struct flow *f, struct tg_fx_flow *x,
	  uint64_t now, struct tg_synth_pkt *pkt)
{
	const struct tg_fx_frame *fr = &s->fx_store.frames[x->frame];
	enum tg_dir dir = (enum tg_dir)x->dir;
	bool retransmit = x->kind == TG_FX_RETRANSMIT ||
			  x->kind == TG_FX_FAST_RETRANSMIT;
	bool ok;

	if (retransmit) {
		ok = fx_retransmit(f, fr, dir, now, pkt);
		x->counts.retransmitted += ok;
		x->counts.fast_retransmitted +=
			ok && x->kind == TG_FX_FAST_RETRANSMIT;
	} else {
		ok = fx_replay(fr, pkt);
		x->counts.duplicated += ok && x->kind == TG_FX_DUPLICATE;
	}
	if (ok) {
		pkt->ts_ns = now;
		pkt->ip_version = f->ip_version;
		s->stats.packets++;
		s->stats.bytes += pkt->len;
		truth_count(s, f, dir, pkt->len, now);
	}
	tg_fx_store_give(&s->fx_store, x->frame);
	x->frame = -1;
	return ok;
}

/* The effect's own packet; then the flow's put-off action resumes, or the
 * effect's next packet is due. */
static bool
fx_event(struct tg_synth *s, struct flow *f, uint64_t now, uint64_t *next,
	 struct tg_synth_pkt *pkt)
{
	struct tg_fx_flow *x = fx_of(s, f);
	enum tg_dir rcv = tg_dir_peer((enum tg_dir)x->dir);
	bool ok;

	switch (x->kind) {
	case TG_FX_DUP_ACK:
		return fx_dup_ack(s, f, x, now, next, pkt);
	case TG_FX_RECOVERY_ACK:
		/* The hole is filled: one ACK of everything that came. */
		ok = emit_tcp(s, f, rcv, TG_INTENT_ACK, 0, now, pkt) >= 0;
		break;
	case TG_FX_FAST_RETRANSMIT:
		ok = fx_resend(s, f, x, now, pkt);
		fx_chain(x, TG_FX_RECOVERY_ACK, now + answer_gap(s, f, rcv),
			 next);
		return ok;
	default:
		ok = fx_resend(s, f, x, now, pkt);
		break;
	}
	x->kind = TG_FX_NONE;
	f->action = x->resume_action;
	*next = x->resume_at;
	return ok;
}

unsigned
tg_synth_burst(struct tg_synth *s, struct tg_synth_pkt *pkts, unsigned n,
	       uint64_t until_ns)
{
	unsigned count = 0;

	if (s->waking < s->active_sessions && !s->arrivals_stopped &&
	    until_ns != UINT64_MAX)
		sessions_wake(s, WAKE_BURST, until_ns);
	while (count < n) {
		uint64_t now = tg_synth_next_time(s);
		uint32_t slot;
		struct flow *f;
		uint64_t next = now;
		bool wrote;

		if (now > until_ns ||
		    (s->draining && tg_timerwheel_empty(&s->wheel)))
			break;
		if (s->labels && s->n_labels == TG_SYNTH_LABELS)
			break;	/* the caller takes the labels first */
		if (now == next_arrival_time(s) &&
		    (tg_timerwheel_empty(&s->wheel) ||
		     tg_timerwheel_first_time(&s->wheel) > now)) {
			uint32_t i = tg_timerwheel_pop(&s->arrivals);
			uint16_t service = s->sessions[i].next_service;

			if (!tg_timerwheel_empty(&s->arrivals))
				tg_timerwheel_fetch(&s->arrivals,
					tg_timerwheel_first(&s->arrivals));
			if (i >= s->active_sessions) {
				s->sessions[i].armed = false;	/* parks */
				continue;
			}
			if (s->packet_level)
				fit_start_flow(s, service, now);
			else
				start_flow(s, service, now);
			session_arm(s, i, now, session_draw(s, i, now));
			continue;
		}
		slot = tg_timerwheel_pop(&s->wheel);
		f = &s->flows[slot];
		/* The wheel knows which flow comes next: with millions of
		 * flows its state is far out of cache, so it is fetched
		 * while this packet is written. */
		if (!tg_timerwheel_empty(&s->wheel))
			tg_timerwheel_fetch(&s->wheel,
					    tg_timerwheel_first(&s->wheel));
		if (f->action == ACT_EFFECT) {
			wrote = fx_event(s, f, now, &next, &pkts[count]);
		} else {
			wrote = flow_event(s, f, now, &next, &pkts[count]);
			if (s->fx != NULL)
				wrote = fx_after(s, f, wrote, now, &next,
						 &pkts[count]);
		}
		if (wrote)
			count++;
		if (f->action == ACT_END)
			end_flow(s, slot);
		else
			schedule(s, f, slot, next);
	}
	return count;
}

unsigned
tg_synth_take_ended(struct tg_synth *s, struct tg_flow_label *out, unsigned n)
{
	unsigned k = 0;

	for (; k < n && s->n_labels > 0; k++, s->n_labels--) {
		out[k] = s->labels[s->label_head];
		s->label_head = (s->label_head + 1) % TG_SYNTH_LABELS;
	}
	return k;
}

unsigned
tg_synth_take_live(const struct tg_synth *s, struct tg_flow_label *out,
		   unsigned n, uint32_t *pos)
{
	unsigned k = 0;

	/* Every live flow waits in the wheel; *pos is a slot. */
	for (; k < n && *pos < s->fresh; (*pos)++) {
		const struct flow *f = &s->flows[*pos];

		if (tg_timerwheel_queued(&s->wheel, *pos) && flow_sent(s, f))
			make_label(s, f, TG_FLOW_END_STOPPED, &out[k++]);
	}
	return k;
}
