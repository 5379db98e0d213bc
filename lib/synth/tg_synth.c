/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_flowheap.h"
#include "tg_hosts.h"
#include "tg_payload.h"
#include "tg_sample.h"
#include "tg_synth.h"

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
#define MAX_DATAGRAM 1400u

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
	ACT_END,
};

struct flow {
	uint64_t id;
	uint64_t step_at;	/* when the drawn step is due */
	uint64_t msg_seed;	/* a request and its response share it */
	struct tg_flow_cursor cursor;
	struct tg_step step;	/* the step being carried out */
	uint32_t msg_total;	/* bytes of the current message */
	uint32_t msg_sent;
	uint32_t request_len;	/* the last request's length */
	uint16_t sport;
	uint16_t dport;
	uint16_t ip_id[2];	/* per sender (enum tg_dir) */
	uint32_t flow_label[2];
	uint8_t ttl[2];
	uint8_t proto;
	uint8_t payload;	/* enum tg_payload_kind */
	uint8_t ip_version;
	uint8_t action;		/* enum action */
	uint8_t data_dir;	/* sender of the segments being counted */
	uint8_t segs_unacked;
	struct tg_ip_addr addr[2];	/* client, server */
	union {
		struct tg_tcp_conv tcp;
		struct tg_icmp_conv icmp;
	};
};

struct tg_synth {
	const struct tg_model *model;
	const struct tg_port_cfg *port;
	struct tg_rng rng;
	uint32_t offload;
	uint32_t worker_index;
	uint32_t n_workers;
	uint32_t max_flows;
	struct flow *flows;
	uint32_t *free_slots;
	uint32_t n_free;
	struct tg_flowheap heap;
	uint64_t next_arrival_ns;	/* UINT64_MAX once draining */
	uint16_t next_service;		/* of the flow starting then */
	struct tg_arrival_state arrival;
	bool draining;
	uint64_t next_flow_id;
	uint32_t next_port;
	struct tg_synth_stats stats;
};

struct tg_synth *
tg_synth_create(const struct tg_synth_params *p, char *err, size_t errlen)
{
	struct tg_synth *s = calloc(1, sizeof(*s));
	uint32_t max = p->max_flows ? p->max_flows : 1;

	if (s == NULL)
		goto nomem;
	s->model = p->model;
	s->port = p->port;
	s->offload = p->offload;
	s->worker_index = p->worker_index;
	s->n_workers = p->n_workers ? p->n_workers : 1;
	s->max_flows = max;
	tg_rng_seed(&s->rng, p->seed, p->stream);
	s->flows = calloc(max, sizeof(*s->flows));
	s->free_slots = calloc(max, sizeof(*s->free_slots));
	if (s->flows == NULL || s->free_slots == NULL ||
	    tg_flowheap_init(&s->heap, max) != 0)
		goto nomem;
	/* Hand out low slots first: they are the ones already in cache. */
	for (uint32_t i = 0; i < max; i++)
		s->free_slots[i] = max - 1 - i;
	s->n_free = max;
	s->next_port = tg_rng_below(&s->rng, EPHEMERAL_COUNT);
	s->arrival.prev_service = UINT16_MAX;
	s->next_arrival_ns = tg_model_next_arrival(s->model, &s->rng, 0,
						   &s->arrival,
						   &s->next_service);
	return s;
nomem:
	snprintf(err, errlen, "out of memory for %u flows", max);
	tg_synth_free(s);
	return NULL;
}

void
tg_synth_free(struct tg_synth *s)
{
	if (s == NULL)
		return;
	tg_flowheap_free(&s->heap);
	free(s->flows);
	free(s->free_slots);
	free(s);
}

uint64_t
tg_synth_next_time(const struct tg_synth *s)
{
	if (!tg_flowheap_empty(&s->heap) &&
	    tg_flowheap_top(&s->heap)->time_ns < s->next_arrival_ns)
		return tg_flowheap_top(&s->heap)->time_ns;
	return s->next_arrival_ns;
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
static void
pick_client(struct tg_synth *s, const struct tg_cidr *pool,
	    struct tg_ip_addr *out)
{
	uint32_t count = tg_hosts_count(pool);
	uint32_t share = count / s->n_workers;
	uint32_t idx = share ? s->worker_index +
				       s->n_workers * tg_rng_below(&s->rng, share)
			     : s->worker_index % count;

	tg_hosts_addr(pool, idx, out);
}

/* A few servers get most flows, as in real networks (u^4 skews towards
 * the first hosts of the pool). */
static void
pick_server(struct tg_synth *s, const struct tg_cidr *pool,
	    struct tg_ip_addr *out)
{
	double u = tg_rng_uniform(&s->rng);
	uint32_t count = tg_hosts_count(pool);
	uint32_t idx = (uint32_t)(u * u * u * u * count);

	tg_hosts_addr(pool, idx < count ? idx : count - 1, out);
}

/* --- Starting and ending flows ------------------------------------------ */

static void plan_next(struct tg_synth *s, struct flow *f, uint64_t now);

static void
schedule(struct tg_synth *s, struct flow *f, uint32_t slot, uint64_t at)
{
	struct tg_flowheap_entry e = { .time_ns = at, .flow_id = f->id,
				       .slot = slot };

	tg_flowheap_push(&s->heap, e);
}

static void
init_tcp(struct tg_synth *s, struct flow *f, struct tg_flow_desc *desc)
{
	/* The MSS a host announces is its MTU less the IP and TCP headers. */
	if (f->ip_version == 6) {
		desc->client_tcp.mss -= IPV6_MSS_PENALTY;
		desc->server_tcp.mss -= IPV6_MSS_PENALTY;
	}
	tg_tcp_conv_init(&f->tcp, &desc->client_tcp, &desc->server_tcp);
	f->action = ACT_SYN;
	(void)s;
}

static void
start_flow(struct tg_synth *s, uint64_t now)
{
	const struct tg_port_cfg *port = s->port;
	struct tg_flow_desc desc;
	struct flow *f;
	uint32_t slot;

	if (s->n_free == 0) {
		s->stats.flows_refused++;
		return;
	}
	slot = s->free_slots[--s->n_free];
	f = &s->flows[slot];
	memset(f, 0, sizeof(*f));
	f->id = s->next_flow_id++;
	tg_model_flow_new(s->model, &s->rng, s->next_service, &desc,
			  &f->cursor);
	f->proto = desc.proto;
	f->payload = desc.payload;
	f->ip_version = (uint8_t)pick_ip_version(s);
	pick_client(s, pool_cidr(&port->clients, f->ip_version), &f->addr[0]);
	pick_server(s, pool_cidr(&port->servers, f->ip_version), &f->addr[1]);
	f->sport = (uint16_t)(EPHEMERAL_FIRST + s->next_port);
	s->next_port = (s->next_port + 1) % EPHEMERAL_COUNT;
	f->dport = desc.server_port;
	f->ttl[TG_DIR_C2S] = desc.ttl[TG_DIR_C2S];
	f->ttl[TG_DIR_S2C] = desc.ttl[TG_DIR_S2C];
	for (int d = 0; d < 2; d++) {
		f->ip_id[d] = (uint16_t)tg_rng_next(&s->rng);
		f->flow_label[d] = (uint32_t)tg_rng_next(&s->rng) & 0xfffff;
	}
	s->stats.flows_started++;

	if (f->proto == TG_PROTO_TCP)
		init_tcp(s, f, &desc);
	else if (f->proto == TG_PROTO_ICMP)
		tg_icmp_conv_init(&f->icmp, f->sport, f->ip_version == 6);
	if (f->proto == TG_PROTO_TCP)
		schedule(s, f, slot, now);
	else
		plan_next(s, f, now);
	if (f->action != ACT_END && f->proto != TG_PROTO_TCP)
		schedule(s, f, slot, f->step_at);
}

static void
end_flow(struct tg_synth *s, uint32_t slot)
{
	s->free_slots[s->n_free++] = slot;
	s->stats.flows_ended++;
}

/* --- Writing packets ---------------------------------------------------- */

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
	spec->src = f->addr[dir];
	spec->dst = f->addr[peer];
	spec->ttl = f->ttl[dir];
	spec->ip_id = f->ip_id[dir]++;
	spec->df = f->proto == TG_PROTO_TCP;
	spec->flow_label = f->flow_label[dir];
	spec->sport = c2s ? f->sport : f->dport;
	spec->dport = c2s ? f->dport : f->sport;
	spec->offload = s->offload;
	spec->proto = f->proto;
	if (f->proto == TG_PROTO_ICMP && f->ip_version == 6)
		spec->proto = TG_PROTO_ICMPV6;
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
		.seed = f->msg_seed,
	};

	if ((uint32_t)hdr + payload_len > pkt->cap)
		return false;
	if (payload_len)
		tg_payload_fill(&msg, f->msg_sent, pkt->buf + hdr, payload_len);
	spec->payload_len = (uint16_t)payload_len;
	pkt->len = tg_pkt_write(spec, pkt->buf, pkt->cap, &pkt->layout);
	if (pkt->len == 0)
		return false;
	pkt->ts_ns = now;
	pkt->proto = spec->proto;
	pkt->ip_version = f->ip_version;
	s->stats.packets++;
	s->stats.bytes += pkt->len;
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
		f->segs_unacked++;
	} else if (len) {
		f->data_dir = (uint8_t)dir;
		f->segs_unacked = 1;
	} else if (dir != f->data_dir) {
		f->segs_unacked = 0;
	}
	return (int)len;
}

/* How long `responder` takes to answer what the other side just sent, as
 * seen from the capture point next to the clients. */
static uint64_t
answer_gap(const struct flow *f, enum tg_dir responder)
{
	return responder == TG_DIR_S2C ? f->cursor.rtt_ns : LOCAL_ANSWER_NS;
}

static uint32_t
segment_room(const struct flow *f, enum tg_dir dir)
{
	const struct tg_tcp_side *side = &f->tcp.side[dir];
	uint32_t mss = side->mss;

	if (f->tcp.ts_ok && mss > TCP_TS_OPT_LEN)
		mss -= TCP_TS_OPT_LEN;
	return mss;
}

/* --- The life of a flow ------------------------------------------------- */

/* Start a message of the drawn DATA step: fix its length and content seed. */
static void
begin_message(struct tg_synth *s, struct flow *f)
{
	struct tg_payload_msg msg = {
		.kind = f->payload,
		.dir = f->step.dir,
		.request_len = f->request_len,
	};

	if (f->step.dir == TG_DIR_C2S)
		f->msg_seed = tg_rng_next(&s->rng);
	msg.seed = f->msg_seed;
	f->msg_total = tg_payload_message_len(&msg, f->step.bytes);
	if (f->proto != TG_PROTO_TCP && f->msg_total > MAX_DATAGRAM)
		f->msg_total = MAX_DATAGRAM;
	if (f->proto == TG_PROTO_ICMP && f->step.dir == TG_DIR_S2C)
		f->msg_total = f->request_len;	/* a reply echoes the data */
	if (f->step.dir == TG_DIR_C2S)
		f->request_len = f->msg_total;
	f->msg_sent = 0;
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
draw_step(struct tg_synth *s, struct flow *f)
{
	bool more;

	do {
		more = tg_model_flow_step(s->model, &f->cursor, &s->rng,
					  &f->step);
	} while (more && f->step.intent == TG_INTENT_OPEN);
	return more;
}

/* Draw the flow's next step and decide what happens first. */
static void
plan_next(struct tg_synth *s, struct flow *f, uint64_t now)
{
	int owing;

	if (s->draining) {
		if (f->proto != TG_PROTO_TCP) {
			f->action = ACT_END;
			return;
		}
		f->step = (struct tg_step){ .dir = TG_DIR_C2S,
					    .intent = TG_INTENT_CLOSE,
					    .gap_ns = LOCAL_ANSWER_NS };
	} else if (!draw_step(s, f)) {
		if (f->proto != TG_PROTO_TCP) {
			f->action = ACT_END;
			return;
		}
		/* A model that stops mid-conversation: the client closes. */
		f->step = (struct tg_step){ .dir = TG_DIR_C2S,
					    .intent = TG_INTENT_CLOSE };
	}
	f->step_at = now + f->step.gap_ns;
	f->action = ACT_RUN_STEP;
	if (f->proto != TG_PROTO_TCP)
		return;
	/* The receiver of the last data acknowledges it before anything
	 * else happens, unless its own next packet soon carries the ACK. */
	owing = side_owing_ack(f);
	if (owing >= 0 && !(f->step.dir == owing &&
			    f->step.gap_ns <= DELAYED_ACK_NS)) {
		f->action = ACT_DELAYED_ACK;
		f->step_at = now + f->step.gap_ns;
	}
}

static uint64_t
delayed_ack_time(const struct flow *f, uint64_t now)
{
	uint64_t wait = f->step.gap_ns / 2;

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
	enum tg_dir dir = (enum tg_dir)f->step.dir;
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
		*next = now + answer_gap(f, tg_dir_peer(dir));
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
	enum tg_dir dir = (enum tg_dir)f->step.dir;

	switch (f->step.intent) {
	case TG_INTENT_DATA:
		begin_message(s, f);
		f->action = ACT_SEGMENT;
		return tcp_segment(s, f, now, next, pkt);
	case TG_INTENT_CLOSE:
		f->action = ACT_PEER_FIN;
		*next = now + answer_gap(f, tg_dir_peer(dir));
		return emit_tcp(s, f, dir, TG_INTENT_CLOSE, 0, now, pkt) >= 0;
	default:	/* RESET; an OPEN or ACK step means nothing here */
		f->action = ACT_END;
		return emit_tcp(s, f, dir, TG_INTENT_RESET, 0, now, pkt) >= 0;
	}
}

static bool
tcp_event(struct tg_synth *s, struct flow *f, uint64_t now, uint64_t *next,
	  struct tg_synth_pkt *pkt)
{
	enum tg_dir closer = (enum tg_dir)f->step.dir;
	int owing;

	switch (f->action) {
	case ACT_SYN:
		f->action = ACT_SYNACK;
		*next = now + answer_gap(f, TG_DIR_S2C);
		return emit_tcp(s, f, TG_DIR_C2S, TG_INTENT_OPEN, 0, now,
				pkt) >= 0;
	case ACT_SYNACK:
		f->action = ACT_HANDSHAKE_ACK;
		*next = now + answer_gap(f, TG_DIR_C2S);
		return emit_tcp(s, f, TG_DIR_S2C, TG_INTENT_OPEN, 0, now,
				pkt) >= 0;
	case ACT_HANDSHAKE_ACK:
		plan_next(s, f, now);
		*next = f->step_at + LOCAL_ANSWER_NS;
		return emit_tcp(s, f, TG_DIR_C2S, TG_INTENT_OPEN, 0, now,
				pkt) >= 0;
	case ACT_RUN_STEP:
		return tcp_run_step(s, f, now, next, pkt);
	case ACT_SEGMENT:
		return tcp_segment(s, f, now, next, pkt);
	case ACT_MID_ACK:
		f->action = ACT_SEGMENT;
		*next = now + LOCAL_ANSWER_NS;
		return emit_tcp(s, f, tg_dir_peer((enum tg_dir)f->step.dir),
				TG_INTENT_ACK, 0, now, pkt) >= 0;
	case ACT_DELAYED_ACK:
		owing = side_owing_ack(f);
		f->action = ACT_RUN_STEP;
		*next = f->step_at > now ? f->step_at : now + 1;
		return owing >= 0 && emit_tcp(s, f, (enum tg_dir)owing,
					      TG_INTENT_ACK, 0, now, pkt) >= 0;
	case ACT_PEER_FIN:
		f->action = ACT_LAST_ACK;
		*next = now + answer_gap(f, closer);
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
	enum tg_dir dir = (enum tg_dir)f->step.dir;
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

/* Run the flow's due event. Returns true if it wrote a packet. */
static bool
flow_event(struct tg_synth *s, struct flow *f, uint64_t now, uint64_t *next,
	   struct tg_synth_pkt *pkt)
{
	if (f->proto == TG_PROTO_TCP)
		return tcp_event(s, f, now, next, pkt);
	return datagram_event(s, f, now, next, pkt);
}

void
tg_synth_drain(struct tg_synth *s, uint64_t now)
{
	struct tg_flowheap *h = &s->heap;

	if (s->draining)
		return;
	s->draining = true;
	s->next_arrival_ns = UINT64_MAX;
	/* Flows waiting for their next model step stop waiting: they close
	 * (TCP) or end (UDP, ICMP) right away. */
	for (uint32_t i = 0; i < h->n; i++) {
		struct flow *f = &s->flows[h->e[i].slot];
		uint64_t soon = now + LOCAL_ANSWER_NS;

		if (f->action != ACT_RUN_STEP && f->action != ACT_DELAYED_ACK)
			continue;
		plan_next(s, f, now);
		if (h->e[i].time_ns > soon)
			h->e[i].time_ns = soon;
	}
	tg_flowheap_rebuild(h);
}

bool
tg_synth_idle(const struct tg_synth *s)
{
	return s->draining && tg_flowheap_empty(&s->heap);
}

unsigned
tg_synth_burst(struct tg_synth *s, struct tg_synth_pkt *pkts, unsigned n,
	       uint64_t until_ns)
{
	unsigned count = 0;

	while (count < n) {
		uint64_t now = tg_synth_next_time(s);
		struct tg_flowheap_entry e;
		struct flow *f;
		uint64_t next = now;

		if (now > until_ns || (s->draining && tg_flowheap_empty(&s->heap)))
			break;
		if (now == s->next_arrival_ns &&
		    (tg_flowheap_empty(&s->heap) ||
		     tg_flowheap_top(&s->heap)->time_ns > now)) {
			start_flow(s, now);
			s->next_arrival_ns = now +
				tg_model_next_arrival(s->model, &s->rng, now,
						      &s->arrival,
						      &s->next_service);
			continue;
		}
		e = tg_flowheap_pop(&s->heap);
		f = &s->flows[e.slot];
		if (flow_event(s, f, now, &next, &pkts[count]))
			count++;
		if (f->action == ACT_END)
			end_flow(s, e.slot);
		else
			schedule(s, f, e.slot, next);
	}
	return count;
}
