/* SPDX-License-Identifier: BSD-3-Clause
 * tg_flow: conversation state of one flow, so that every packet it produces
 * is consistent with all the packets before it. No DPDK here.
 *
 * The caller says who sends next, how many payload bytes and with which
 * intent; the conversation answers with the header fields (seq/ack, flags,
 * window, options, timestamps) a real stack would put in that packet, or
 * says the packet must not be sent (it would be a duplicate ACK, or the
 * intent is impossible in the current state).
 */
#ifndef TG_FLOW_H
#define TG_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "tg_pkt.h"

enum tg_dir {
	TG_DIR_C2S = 0,	/* client to server */
	TG_DIR_S2C = 1,	/* server to client */
};

static inline enum tg_dir
tg_dir_peer(enum tg_dir d)
{
	return (enum tg_dir)(1 - d);
}

enum tg_intent {
	TG_INTENT_OPEN,	 /* client: SYN; server: SYN-ACK; client again: ACK */
	TG_INTENT_DATA,	 /* payload bytes, carrying an ACK */
	TG_INTENT_ACK,	 /* a pure ACK of what was received */
	TG_INTENT_CLOSE, /* FIN (consumes one sequence number) */
	TG_INTENT_RESET, /* RST; the conversation ends (server, right after
			  * the SYN: the connection is refused) */
};

enum tg_step_result {
	TG_STEP_EMIT,	 /* send the packet described in the output */
	TG_STEP_SKIP,	 /* nothing to send: e.g. an ACK with nothing new */
	TG_STEP_INVALID, /* the intent is not possible in this state */
};

/* What one TCP endpoint brings to the conversation (its SYN options). */
struct tg_tcp_endpoint {
	uint32_t isn;		/* initial sequence number */
	uint16_t mss;		/* MSS it advertises; 0 = no option (536 used) */
	int8_t wscale;		/* window scale shift 0..14; -1 = no option */
	bool sack_perm;
	bool timestamps;
	uint32_t ts_base;	/* its TSval at time 0 */
	uint32_t rcv_buf;	/* receive buffer in bytes (>= 1) */
	uint16_t data_window;	/* window field after the handshake, scaled
				 * by its shift and advertised as it is,
				 * unread data or not; 0: rcv_buf less
				 * unread */
};

enum tg_tcp_state {
	TG_TCP_CLOSED,		/* nothing sent yet */
	TG_TCP_SYN_SENT,	/* client sent SYN */
	TG_TCP_SYN_RCVD,	/* server answered SYN-ACK */
	TG_TCP_ESTABLISHED,	/* handshake completed */
	TG_TCP_FIN_ONE,		/* one side sent FIN */
	TG_TCP_FIN_BOTH,	/* both sent FIN; last ACK outstanding */
	TG_TCP_DONE,		/* closed by FIN/ACK or RST */
};

/* Per-direction state, indexed by the sender (enum tg_dir). A worker keeps
 * millions of flows, two sides each: no field here can be had from the
 * others, and the small ones (struct tg_tcp_side_bits, mss) are kept
 * apart so that nothing is padding. */
struct tg_tcp_side {
	uint32_t snd_nxt;	/* next sequence number this side sends; the
				 * peer expects it next once this side sent
				 * anything (no loss inside a conversation:
				 * no rcv_nxt to keep) */
	uint32_t peer_wnd_edge;	/* peer's right window edge (ack + window) */
	/* A side receives no payload before its own SYN is out, so the
	 * buffer its SYN announces and the count of unread bytes never
	 * live at once. */
	union {
		uint32_t syn_buf;	/* until its SYN: receive buffer in
					 * bytes behind the SYN's window */
		uint32_t unread;	/* from its SYN on: received bytes the
					 * application has not read */
	};
	uint32_t data_buf;	/* behind the windows after its SYN */
	uint32_t ts_base;
	uint32_t ts_recent;	/* last TSval received from the peer */
};

/* The small fields of a side, a byte. */
struct tg_tcp_side_bits {
	uint8_t wscale : 4;	/* shift applied to the windows this side
				 * sends, 0..14 */
	bool fin_sent : 1;
	bool reads_at_once : 1;	/* its windows do not count unread data */
	bool has_sent : 1;	/* snd_nxt moved past the ISN */
	/* The peer sent sequence space (data, SYN, FIN) this side has not
	 * acknowledged yet. Stands for "last ack sent != rcv_nxt": equal
	 * unless 2^32 bytes went unacknowledged, which windows of at most
	 * 2^30 bytes rule out. */
	bool ack_owed : 1;
};

/* Window scale option of a SYN: the shift plus one, 0 for none. */
#define TG_TCP_NO_WSCALE 0

struct tg_tcp_conv {
	struct tg_tcp_side side[2];
	uint16_t mss[2];	/* MSS each side may send (its peer's MSS) */
	struct tg_tcp_side_bits bits[2];
	uint8_t state : 3;	/* enum tg_tcp_state */
	bool sack_ok : 1;	/* both sides offered SACK */
	bool ts_ok : 1;		/* both sides offered timestamps */
	bool ws_ok : 1;		/* both sides offered window scale */
	/* What the client's SYN offers. The server's SYN-ACK only echoes
	 * what both offered: its shift is bits[S2C].wscale and its MSS
	 * mss[C2S], unless it announced none. */
	bool client_sack : 1;
	bool client_ts : 1;
	uint8_t client_wscale : 4;	/* shift + 1; TG_TCP_NO_WSCALE */
	bool server_mss_opt : 1;	/* the SYN-ACK carries an MSS */
};

_Static_assert(sizeof(struct tg_tcp_conv) == 56,
	       "a conversation is part of every TCP flow's state");

void tg_tcp_conv_init(struct tg_tcp_conv *conv,
		      const struct tg_tcp_endpoint *client,
		      const struct tg_tcp_endpoint *server);

/* Produce the TCP fields of the next packet from `dir`.
 * For TG_INTENT_DATA, *payload_len is the wanted size on entry and the size
 * actually sent on return: clipped to the peer's MSS and open window (so a
 * data packet never overruns the window the peer advertised).
 * `now_ns` drives the timestamp option (1 ms ticks). */
enum tg_step_result tg_tcp_conv_step(struct tg_tcp_conv *conv,
				     enum tg_dir dir, enum tg_intent intent,
				     uint32_t *payload_len, uint64_t now_ns,
				     struct tg_tcp_fields *out);

/* True once the conversation ended (both FINs acknowledged, or RST). */
static inline bool
tg_tcp_conv_done(const struct tg_tcp_conv *conv)
{
	return conv->state == TG_TCP_DONE;
}

/* Bytes `dir` may still send before filling the peer's advertised window. */
uint32_t tg_tcp_conv_send_room(const struct tg_tcp_conv *conv,
			       enum tg_dir dir);

/* True when `dir` has received something it has not acknowledged yet. */
bool tg_tcp_conv_ack_pending(const struct tg_tcp_conv *conv, enum tg_dir dir);

/* The window field of an ACK of `ack` from `dir` that keeps the right edge
 * where `dir` last put it (what Linux does while data is missing: the
 * window never shrinks). 0 when the edge is not past `ack`. */
uint16_t tg_tcp_conv_edge_window(const struct tg_tcp_conv *conv,
				 enum tg_dir dir, uint32_t ack);

/* The ACK `dir` sends at once for each segment that arrives while its
 * peer's bytes [hole, hole_end) are missing and everything sent after them
 * arrived (RFC 5681 3.2): it acknowledges only up to `hole`, with the
 * window of tg_tcp_conv_edge_window, and, when both sides permit SACK, the
 * block [hole_end, peer's next sequence number) (RFC 2018). The
 * conversation itself does not move (its ACK of all of it comes once the
 * hole is filled); only the peer's timestamp echo does. False, and no
 * fields, if there is no such hole now. */
bool tg_tcp_conv_hole_ack(struct tg_tcp_conv *conv, enum tg_dir dir,
			  uint32_t hole, uint32_t hole_end, uint64_t now_ns,
			  struct tg_tcp_fields *out);

/* ICMP/ICMPv6 echo: requests from the client number 1, 2, ...; each reply
 * echoes the identifier and sequence number of the last request. */
struct tg_icmp_conv {
	uint16_t id;
	uint16_t last_seq;
	bool v6;
};

void tg_icmp_conv_init(struct tg_icmp_conv *conv, uint16_t id, bool v6);
enum tg_step_result tg_icmp_conv_step(struct tg_icmp_conv *conv,
				      enum tg_dir dir,
				      struct tg_icmp_fields *out);

#endif /* TG_FLOW_H */
