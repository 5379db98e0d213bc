/* SPDX-License-Identifier: BSD-3-Clause
 * tg_synth: one worker's traffic engine. No DPDK here.
 *
 * A synth owns every flow of the hosts given to its worker: it asks the
 * model when flows start and what they do, keeps each flow's conversation
 * state, and writes the flows' packets into caller buffers in time order.
 * It shares nothing with other workers, so it needs no lock.
 *
 * Time is the model's own, in nanoseconds from the start of the run; the
 * appliance maps it to the TSC (pacing on a port) or to pcap timestamps.
 */
#ifndef TG_SYNTH_H
#define TG_SYNTH_H

#include <stdbool.h>
#include <stdint.h>

#include "tg_config.h"
#include "tg_model.h"
#include "tg_pkt.h"

struct tg_synth;

struct tg_synth_params {
	const struct tg_model *model;
	const struct tg_port_cfg *port;	/* addresses, MACs, VLAN */
	uint64_t seed;
	uint64_t stream;	/* independent random stream per worker/port */
	uint32_t worker_index;	/* this worker's share of the hosts ... */
	uint32_t n_workers;	/* ... out of this many workers on the port */
	uint32_t max_flows;	/* concurrent flows; more are not started */
	uint32_t sessions;	/* independent arrival processes [1]: each an
				 * active client session of the model, so the
				 * flow rate grows with their number */
	uint32_t active_sessions;	/* of those, running at the start;
					 * 0: all */
	uint32_t offload;	/* TG_PKT_OFFLOAD_* the port will do */
	bool labels;		/* keep ended flows' labels for
				 * tg_synth_take_ended */
	bool opaque_tails;	/* say where packets end in keystream
				 * (tg_synth_pkt.opaque_at): a reel's */
};

/* One packet to write: the caller gives buf/cap, the synth fills the rest. */
struct tg_synth_pkt {
	uint8_t *buf;
	uint16_t cap;
	uint16_t len;
	uint64_t ts_ns;
	uint8_t proto;		/* TG_PROTO_* for offload flags */
	uint8_t ip_version;
	/* Bytes [opaque_at, len) are keystream standing in for ciphertext
	 * (tg_payload_fill), which a player may swap for other keystream;
	 * 0: none, or the params did not ask (opaque_tails). */
	uint16_t opaque_at;
	struct tg_pkt_layout layout;
};

struct tg_synth_stats {
	uint64_t packets;
	uint64_t bytes;		/* frame bytes */
	uint64_t flows_started;
	uint64_t flows_ended;
	uint64_t flows_active;
	uint64_t flows_refused;	/* not started: flow table full */
};

/* Ground truth: why a flow ended. */
enum tg_flow_end {
	TG_FLOW_END_FIN,	/* TCP: both sides closed with FIN */
	TG_FLOW_END_RST,	/* TCP: a side reset the connection */
	TG_FLOW_END_DONE,	/* UDP, ICMP: the conversation was over */
	TG_FLOW_END_DRAINED,	/* closed early: the run drained */
	TG_FLOW_END_ABORTED,	/* TCP: ended with neither FIN nor RST */
	TG_FLOW_END_UNANSWERED,	/* TCP: the SYN got no answer */
	TG_FLOW_END_STOPPED,	/* still live when the run stopped */
};

/* "fin", "rst", "done", "drained", "aborted", "unanswered", "stopped". */
const char *tg_flow_end_name(unsigned end);

/* What the network did to a flow's packets (port effects). A lost TCP
 * segment was seen once, then once more as its retransmission; a lost
 * datagram was seen but never reached its receiver. */
struct tg_flow_effect_counts {
	uint16_t lost;		/* data packets lost after the capture point */
	uint16_t retransmitted;	/* retransmissions of lost TCP segments */
	uint16_t fast_retransmitted;	/* ... of those, after three
					 * duplicate ACKs rather than a
					 * timeout */
	uint16_t dup_acks;	/* duplicate ACKs the receivers sent */
	uint16_t reordered;	/* TCP segments sent after their successor */
	uint16_t duplicated;	/* data packets seen twice */
};

/* Ground truth of the network effects a flow met. */
struct tg_flow_effects {
	uint64_t rtt_ns;	/* TCP round trip the engine used, when the
				 * port's effects set rtt_ms or jitter_ms;
				 * else 0 */
	uint64_t jitter_ns;	/* the most each round trip was stretched */
	struct tg_flow_effect_counts n;
};

/* Ground truth of one flow: what it put on the wire. Only flows that
 * wrote at least one packet get one. */
struct tg_flow_label {
	uint64_t id;		/* the flow's number in its synth */
	uint64_t first_ns;	/* model time of its first packet */
	uint64_t last_ns;	/* ... and of its last */
	uint64_t packets[2];	/* per sender (enum tg_dir) */
	uint64_t bytes[2];	/* frame bytes per sender */
	struct tg_ip_addr client;
	struct tg_ip_addr server;
	uint16_t client_port;	/* ICMP: the echo identifier */
	uint16_t server_port;	/* ICMP: 0 */
	uint16_t service;	/* index into the model's services */
	uint8_t proto;		/* TG_PROTO_TCP, _UDP or _ICMP (v4 or v6) */
	uint8_t ip_version;
	uint8_t end;		/* enum tg_flow_end */
	struct tg_flow_effects effects;
};

/* Ended flows the synth keeps for tg_synth_take_ended (params.labels). */
#define TG_SYNTH_LABELS 1024

/* Bytes a synth made with `params` allocates for its flow table of
 * params.max_flows flows: the flows, their timer wheel nodes, keys and
 * free list, the port set (packet-level models), and the side tables of labels
 * and effects when those are on. The rest of a synth does not grow with
 * max_flows. Divided by max_flows: the state each flow costs. */
uint64_t tg_synth_flow_memory(const struct tg_synth_params *params);

/* Returns NULL with a message in err if memory cannot be had. */
struct tg_synth *tg_synth_create(const struct tg_synth_params *params,
				 char *err, size_t errlen);
void tg_synth_free(struct tg_synth *synth);

/* Run `active` of the sessions from now on (at most params.sessions): a
 * rate target scales the population this way, so every conversation keeps
 * the model's inner timing. Sessions that join start in equilibrium (at a
 * random point of a gap, as at the start), a few thousand per burst;
 * sessions that leave finish the flows they started. */
void tg_synth_set_sessions(struct tg_synth *synth, uint32_t active,
			  uint64_t now_ns);
uint32_t tg_synth_sessions(const struct tg_synth *synth);

/* What one session of a model puts out per second of model time. */
struct tg_synth_rate {
	double packets;
	double bits;		/* frame bytes * 8 */
};

/* Measure it: a scratch synth like `params`, with enough sessions (at most
 * TG_SYNTH_MEASURE_SESSIONS) for some 20,000 flows, runs
 * TG_SYNTH_MEASURE_S seconds of model time into a scratch buffer and
 * counts the output of the last two thirds (the first third fills up with
 * flows). Deterministic for a seed; about 50 ms for the fitted default. A rate target uses it for the first
 * population, which the control lcore then corrects. 0, or -1 with a
 * message. */
#define TG_SYNTH_MEASURE_SESSIONS 20000u
#define TG_SYNTH_MEASURE_S 60
int tg_synth_measure_session(const struct tg_synth_params *params,
			     struct tg_synth_rate *out,
			     char *err, size_t errlen);

/* Time of the next packet the synth will write. */
uint64_t tg_synth_next_time(const struct tg_synth *synth);

/* Write up to n packets due at or before until_ns, in time order.
 * Returns how many were written. */
unsigned tg_synth_burst(struct tg_synth *synth, struct tg_synth_pkt *pkts,
			unsigned n, uint64_t until_ns);

/* End of the run: start no more flows, and let every live flow finish its
 * message in progress and close (TCP with FIN, so every conversation in
 * the output is whole). Packets keep coming until tg_synth_idle. */
void tg_synth_drain(struct tg_synth *synth, uint64_t now_ns);

/* Start no more flows, and let the live ones run on to their own end
 * (tg_synth_next_time is UINT64_MAX once they all ended). For a recording
 * of whole flows (tg_reel). */
void tg_synth_stop_arrivals(struct tg_synth *synth);

/* True when draining and no flow is left. */
bool tg_synth_idle(const struct tg_synth *synth);

/* Move up to n labels of ended flows into out, oldest first; returns how
 * many. With params.labels the synth keeps up to TG_SYNTH_LABELS of them;
 * when that many wait, tg_synth_burst stops early (possibly with no
 * packet) until some are taken, so take them after every burst. */
unsigned tg_synth_take_ended(struct tg_synth *synth,
			     struct tg_flow_label *out, unsigned n);

/* Labels of the live flows that wrote packets (end: STOPPED), for a run
 * that stops before they end. Start with *pos = 0 and call again while it
 * returns n. The flows are left as they are. */
unsigned tg_synth_take_live(const struct tg_synth *synth,
			    struct tg_flow_label *out, unsigned n,
			    uint32_t *pos);

void tg_synth_get_stats(const struct tg_synth *synth,
			struct tg_synth_stats *stats);

#endif /* TG_SYNTH_H */
