/* SPDX-License-Identifier: BSD-3-Clause
 * TCP and ICMP echo conversation state.
 *
 * Both ends of a TCP connection live in one struct so every packet can be
 * checked against what the other side has seen. The rules that keep a
 * packet analyser (Wireshark's TCP sequence analysis) silent are:
 *  - every sequence number follows on from the sender's last segment;
 *  - every ACK acknowledges only bytes that were sent, and a pure ACK is
 *    only sent when it acknowledges something new (else it would be a
 *    duplicate ACK or a window update);
 *  - a sender never goes past, nor exactly fills, the window its peer
 *    advertised, and a receiver never moves its right window edge left.
 */
#include <string.h>

#include "tg_flow.h"

#define DEFAULT_MSS 536		/* RFC 9293: when no MSS option was sent */
#define TS_OPTION_LEN 12	/* NOP, NOP, kind 8 length 10 */
#define MAX_WINDOW_FIELD 65535u
#define MIN_DATA_BUF 1024u	/* receive buffer after the handshake */
#define NS_PER_TS_TICK 1000000ull	/* timestamps tick once a ms */
#define MAX_WSCALE 14		/* RFC 7323 2.3: larger shifts count as 14 */

/* Sequence-space comparison (RFC 1982 style): a - b as a signed distance. */
static inline int32_t
seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/* The next sequence number `dir` expects from its peer: what the peer
 * sends next, once it sent anything (0 before, as nothing was received). */
static uint32_t
rcv_nxt(const struct tg_tcp_conv *conv, enum tg_dir dir)
{
	enum tg_dir peer = tg_dir_peer(dir);

	return conv->bits[peer].has_sent ? conv->side[peer].snd_nxt : 0;
}

/* The shift an endpoint offers, within what the option can say. */
static uint8_t
offered_wscale(const struct tg_tcp_endpoint *e)
{
	return (uint8_t)(e->wscale > MAX_WSCALE ? MAX_WSCALE : e->wscale);
}

/* Side `dir` of a zeroed conversation. */
static void
side_init(struct tg_tcp_conv *conv, enum tg_dir dir,
	  const struct tg_tcp_endpoint *self,
	  const struct tg_tcp_endpoint *peer)
{
	struct tg_tcp_side *side = &conv->side[dir];
	struct tg_tcp_side_bits *bits = &conv->bits[dir];

	side->snd_nxt = self->isn;
	side->syn_buf = self->rcv_buf ? self->rcv_buf : 1;
	bits->wscale = conv->ws_ok ? offered_wscale(self) : 0;
	/* A measured window already is what the receiver advertised with
	 * whatever it had not read yet: advertised as it is. */
	bits->reads_at_once = self->data_window != 0;
	side->data_buf = bits->reads_at_once
				 ? (uint32_t)self->data_window << bits->wscale
				 : side->syn_buf;
	/* A window under a segment or two would crawl. */
	if (side->data_buf < MIN_DATA_BUF)
		side->data_buf = MIN_DATA_BUF;
	side->ts_base = self->ts_base;
	conv->mss[dir] = peer->mss ? peer->mss : DEFAULT_MSS;
}

void
tg_tcp_conv_init(struct tg_tcp_conv *conv,
		 const struct tg_tcp_endpoint *client,
		 const struct tg_tcp_endpoint *server)
{
	memset(conv, 0, sizeof(*conv));
	/* An option is in use only if both SYNs carry it (RFC 7323, 2018). */
	conv->ws_ok = client->wscale >= 0 && server->wscale >= 0;
	conv->sack_ok = client->sack_perm && server->sack_perm;
	conv->ts_ok = client->timestamps && server->timestamps;
	conv->client_wscale = client->wscale < 0 ? TG_TCP_NO_WSCALE
						 : offered_wscale(client) + 1;
	conv->client_sack = client->sack_perm;
	conv->client_ts = client->timestamps;
	conv->server_mss_opt = server->mss != 0;
	side_init(conv, TG_DIR_C2S, client, server);
	side_init(conv, TG_DIR_S2C, server, client);
	conv->state = TG_TCP_CLOSED;
}

/* Payload bytes that fit in one segment from `dir`, after the options. */
static uint32_t
segment_size(const struct tg_tcp_conv *conv, enum tg_dir dir)
{
	uint32_t mss = conv->mss[dir];

	if (conv->ts_ok && mss > TS_OPTION_LEN)
		mss -= TS_OPTION_LEN;
	return mss;
}

uint32_t
tg_tcp_conv_send_room(const struct tg_tcp_conv *conv, enum tg_dir dir)
{
	const struct tg_tcp_side *side = &conv->side[dir];
	int32_t room = seq_diff(side->peer_wnd_edge, side->snd_nxt);

	/* Stop one byte short of the edge: a segment that exactly fills the
	 * window is reported as "window full" by analysers. */
	return room > 1 ? (uint32_t)room - 1 : 0;
}

bool
tg_tcp_conv_ack_pending(const struct tg_tcp_conv *conv, enum tg_dir dir)
{
	if (conv->state == TG_TCP_CLOSED || conv->state == TG_TCP_DONE)
		return false;
	return conv->bits[dir].ack_owed;
}

uint16_t
tg_tcp_conv_edge_window(const struct tg_tcp_conv *conv, enum tg_dir dir,
			uint32_t ack)
{
	const struct tg_tcp_side *peer = &conv->side[tg_dir_peer(dir)];
	int32_t span = seq_diff(peer->peer_wnd_edge, ack);
	unsigned shift = (unsigned)conv->bits[dir].wscale;
	uint32_t field;

	if (span <= 0)
		return 0;
	field = ((uint32_t)span + (1u << shift) - 1) >> shift;
	return (uint16_t)(field > MAX_WINDOW_FIELD ? MAX_WINDOW_FIELD : field);
}

bool
tg_tcp_conv_hole_ack(struct tg_tcp_conv *conv, enum tg_dir dir, uint32_t hole,
		     uint32_t hole_end, uint64_t now_ns,
		     struct tg_tcp_fields *out)
{
	struct tg_tcp_side *side = &conv->side[dir];
	struct tg_tcp_side *peer = &conv->side[tg_dir_peer(dir)];
	uint32_t received = rcv_nxt(conv, dir);

	/* Without an ACK owed, `dir` acknowledged all it received, the
	 * hole too: there is nothing to duplicate. */
	if (conv->state < TG_TCP_ESTABLISHED || conv->state == TG_TCP_DONE ||
	    !conv->bits[dir].ack_owed ||
	    seq_diff(hole_end, hole) <= 0 ||
	    seq_diff(received, hole_end) <= 0)
		return false;
	memset(out, 0, sizeof(*out));
	out->seq = side->snd_nxt;
	out->ack = hole;
	out->flags = TG_TCP_ACK;
	out->window = tg_tcp_conv_edge_window(conv, dir, hole);
	if (out->window == 0)
		return false;
	if (conv->ts_ok) {
		out->opts.has_ts = true;
		out->opts.tsval = side->ts_base +
				  (uint32_t)(now_ns / NS_PER_TS_TICK);
		out->opts.tsecr = side->ts_recent;
		peer->ts_recent = out->opts.tsval;
	}
	if (conv->sack_ok) {
		out->opts.has_sack = true;
		out->opts.sack_left = hole_end;
		out->opts.sack_right = received;
	}
	return true;
}

/* The window field `dir` puts in a segment carrying `ack`: its free buffer
 * scaled down, but never so small that the right edge it advertised before
 * moves left (RFC 9293, 3.8.6: a receiver should not shrink the window),
 * and never zero, which would stall the conversation. */
static uint16_t
window_field(struct tg_tcp_conv *conv, enum tg_dir dir, uint32_t edge_base,
	     bool syn)
{
	struct tg_tcp_side *side = &conv->side[dir];
	struct tg_tcp_side *peer = &conv->side[tg_dir_peer(dir)];
	const struct tg_tcp_side_bits *bits = &conv->bits[dir];
	/* A stack starts with a small buffer and grows it once data flows
	 * (Linux: 64240 in the SYN, megabytes later). */
	uint32_t buf = syn ? side->syn_buf : side->data_buf;
	uint32_t unread = syn || bits->reads_at_once ? 0 : side->unread;
	uint32_t free_bytes = unread < buf ? buf - unread : 0;
	/* Windows in SYN segments are never scaled (RFC 7323, 2.2). */
	unsigned shift = syn ? 0 : (unsigned)bits->wscale;
	uint32_t field = free_bytes >> shift;

	if (!syn && peer->peer_wnd_edge != 0) {
		int32_t promised = seq_diff(peer->peer_wnd_edge, edge_base);
		uint32_t unit = 1u << shift;

		if (promised > 0 &&
		    field < ((uint32_t)promised + unit - 1) >> shift)
			field = ((uint32_t)promised + unit - 1) >> shift;
	}
	if (field > MAX_WINDOW_FIELD)
		field = MAX_WINDOW_FIELD;
	if (field == 0)
		field = 1;
	/* What the peer may now send up to. */
	peer->peer_wnd_edge = edge_base + (field << shift);
	return (uint16_t)field;
}

/* Options of a SYN (client) or SYN-ACK (server): a server only echoes what
 * the client offered. */
static void
syn_options(const struct tg_tcp_conv *conv, enum tg_dir dir,
	    struct tg_tcp_opts *opts)
{
	/* mss[S2C] is what the server may send: the client's MSS. */
	if (dir == TG_DIR_C2S) {
		opts->mss = conv->mss[TG_DIR_S2C];
		opts->has_wscale = conv->client_wscale != TG_TCP_NO_WSCALE;
		opts->wscale = (uint8_t)(opts->has_wscale
						 ? conv->client_wscale - 1 : 0);
		opts->sack_perm = conv->client_sack;
		opts->has_ts = conv->client_ts;
	} else {
		opts->mss = conv->server_mss_opt ? conv->mss[TG_DIR_C2S] : 0;
		opts->has_wscale = conv->ws_ok;
		opts->wscale = conv->ws_ok ? conv->bits[TG_DIR_S2C].wscale : 0;
		opts->sack_perm = conv->sack_ok;
		opts->has_ts = conv->ts_ok;
	}
}

/* Fill the fields every segment from `dir` shares, and account for what
 * the peer receives. `seq_len` is the sequence space the segment uses
 * (payload, plus one for SYN or FIN). */
static void
send_segment(struct tg_tcp_conv *conv, enum tg_dir dir, uint8_t flags,
	     uint32_t payload, uint32_t seq_len, uint64_t now_ns,
	     struct tg_tcp_fields *out)
{
	struct tg_tcp_side *side = &conv->side[dir];
	enum tg_dir peer_dir = tg_dir_peer(dir);
	struct tg_tcp_side *peer = &conv->side[peer_dir];
	bool syn = flags & TG_TCP_SYN;
	bool has_ack = flags & TG_TCP_ACK;
	uint32_t tsval = side->ts_base + (uint32_t)(now_ns / NS_PER_TS_TICK);

	memset(out, 0, sizeof(*out));
	out->seq = side->snd_nxt;
	out->ack = has_ack ? rcv_nxt(conv, dir) : 0;
	out->flags = flags;
	if (syn)
		syn_options(conv, dir, &out->opts);
	if (syn ? out->opts.has_ts : conv->ts_ok) {
		out->opts.has_ts = true;
		out->opts.tsval = tsval;
		out->opts.tsecr = has_ack ? side->ts_recent : 0;
	}
	/* A SYN acknowledges nothing: its window counts from the first byte
	 * after the peer's SYN. */
	out->window = window_field(conv, dir,
				   has_ack ? out->ack : peer->snd_nxt + 1, syn);
	if (has_ack)
		conv->bits[dir].ack_owed = false;
	/* The application reads what had arrived once it acts again. */
	side->unread = 0;

	/* What the peer expects next moves: from nothing to past the ISN
	 * with the first segment (the peer acknowledged "0" until then),
	 * later by the sequence space the segment takes. */
	if (!conv->bits[dir].has_sent)
		conv->bits[peer_dir].ack_owed = side->snd_nxt + seq_len != 0;
	else if (seq_len > 0)
		conv->bits[peer_dir].ack_owed = true;
	side->snd_nxt += seq_len;
	conv->bits[dir].has_sent = true;
	peer->unread += payload;
	peer->ts_recent = tsval;
}

static enum tg_step_result
step_open(struct tg_tcp_conv *conv, enum tg_dir dir, uint64_t now_ns,
	  struct tg_tcp_fields *out)
{
	if (dir == TG_DIR_C2S && conv->state == TG_TCP_CLOSED) {
		send_segment(conv, dir, TG_TCP_SYN, 0, 1, now_ns, out);
		conv->state = TG_TCP_SYN_SENT;
		return TG_STEP_EMIT;
	}
	if (dir == TG_DIR_S2C && conv->state == TG_TCP_SYN_SENT) {
		send_segment(conv, dir, TG_TCP_SYN | TG_TCP_ACK, 0, 1, now_ns,
			     out);
		conv->state = TG_TCP_SYN_RCVD;
		return TG_STEP_EMIT;
	}
	if (dir == TG_DIR_C2S && conv->state == TG_TCP_SYN_RCVD) {
		send_segment(conv, dir, TG_TCP_ACK, 0, 0, now_ns, out);
		conv->state = TG_TCP_ESTABLISHED;
		return TG_STEP_EMIT;
	}
	return TG_STEP_INVALID;
}

static bool
may_send_data(const struct tg_tcp_conv *conv, enum tg_dir dir)
{
	if (conv->bits[dir].fin_sent)
		return false;
	return conv->state == TG_TCP_ESTABLISHED ||
	       conv->state == TG_TCP_FIN_ONE;
}

static enum tg_step_result
step_data(struct tg_tcp_conv *conv, enum tg_dir dir, uint32_t *payload_len,
	  uint64_t now_ns, struct tg_tcp_fields *out)
{
	uint32_t len = *payload_len;
	uint32_t seg = segment_size(conv, dir);
	uint32_t room = tg_tcp_conv_send_room(conv, dir);
	uint8_t flags = TG_TCP_ACK;

	if (!may_send_data(conv, dir))
		return TG_STEP_INVALID;
	if (len > seg)
		len = seg;
	if (len > room)
		len = room;
	*payload_len = len;
	if (len == 0)
		return TG_STEP_SKIP;
	/* A short segment ends a write: the sender pushes it. */
	if (len < seg)
		flags |= TG_TCP_PSH;
	send_segment(conv, dir, flags, len, len, now_ns, out);
	return TG_STEP_EMIT;
}

static bool
all_fins_acked(const struct tg_tcp_conv *conv)
{
	for (int d = 0; d < 2; d++) {
		if (!conv->bits[d].fin_sent || conv->bits[d].ack_owed)
			return false;
	}
	return true;
}

static enum tg_step_result
step_ack(struct tg_tcp_conv *conv, enum tg_dir dir, uint64_t now_ns,
	 struct tg_tcp_fields *out)
{
	if (conv->state == TG_TCP_SYN_RCVD && dir == TG_DIR_C2S)
		return step_open(conv, dir, now_ns, out);
	if (conv->state < TG_TCP_ESTABLISHED || conv->state == TG_TCP_DONE)
		return TG_STEP_INVALID;
	if (!tg_tcp_conv_ack_pending(conv, dir))
		return TG_STEP_SKIP;
	send_segment(conv, dir, TG_TCP_ACK, 0, 0, now_ns, out);
	if (conv->state == TG_TCP_FIN_BOTH && all_fins_acked(conv))
		conv->state = TG_TCP_DONE;
	return TG_STEP_EMIT;
}

static enum tg_step_result
step_close(struct tg_tcp_conv *conv, enum tg_dir dir, uint64_t now_ns,
	   struct tg_tcp_fields *out)
{
	if (!may_send_data(conv, dir))
		return TG_STEP_INVALID;
	send_segment(conv, dir, TG_TCP_FIN | TG_TCP_ACK, 0, 1, now_ns, out);
	conv->bits[dir].fin_sent = true;
	conv->state = conv->state == TG_TCP_ESTABLISHED ? TG_TCP_FIN_ONE
							: TG_TCP_FIN_BOTH;
	return TG_STEP_EMIT;
}

/* The server refuses the client's SYN (nothing listens): RFC 9293 3.10.7.1,
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, with no options and, as
 * stacks send it, a window of 0. */
static void
refuse(struct tg_tcp_conv *conv, struct tg_tcp_fields *out)
{
	memset(out, 0, sizeof(*out));
	out->ack = rcv_nxt(conv, TG_DIR_S2C);
	out->flags = TG_TCP_RST | TG_TCP_ACK;
	conv->state = TG_TCP_DONE;
}

static enum tg_step_result
step_reset(struct tg_tcp_conv *conv, enum tg_dir dir, uint64_t now_ns,
	   struct tg_tcp_fields *out)
{
	if (conv->state == TG_TCP_CLOSED || conv->state == TG_TCP_DONE)
		return TG_STEP_INVALID;
	if (conv->state == TG_TCP_SYN_SENT && dir == TG_DIR_S2C) {
		refuse(conv, out);
		return TG_STEP_EMIT;
	}
	send_segment(conv, dir, TG_TCP_RST | TG_TCP_ACK, 0, 0, now_ns, out);
	conv->state = TG_TCP_DONE;
	return TG_STEP_EMIT;
}

enum tg_step_result
tg_tcp_conv_step(struct tg_tcp_conv *conv, enum tg_dir dir,
		 enum tg_intent intent, uint32_t *payload_len,
		 uint64_t now_ns, struct tg_tcp_fields *out)
{
	uint32_t none = 0;

	if (payload_len == NULL)
		payload_len = &none;
	if (intent != TG_INTENT_DATA)
		*payload_len = 0;

	switch (intent) {
	case TG_INTENT_OPEN:
		return step_open(conv, dir, now_ns, out);
	case TG_INTENT_DATA:
		return step_data(conv, dir, payload_len, now_ns, out);
	case TG_INTENT_ACK:
		return step_ack(conv, dir, now_ns, out);
	case TG_INTENT_CLOSE:
		return step_close(conv, dir, now_ns, out);
	case TG_INTENT_RESET:
		return step_reset(conv, dir, now_ns, out);
	}
	return TG_STEP_INVALID;
}

/* --- ICMP echo ----------------------------------------------------------- */

#define ICMP_ECHO_REQUEST 8
#define ICMP_ECHO_REPLY 0
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

void
tg_icmp_conv_init(struct tg_icmp_conv *conv, uint16_t id, bool v6)
{
	conv->id = id;
	conv->last_seq = 0;
	conv->v6 = v6;
}

enum tg_step_result
tg_icmp_conv_step(struct tg_icmp_conv *conv, enum tg_dir dir,
		  struct tg_icmp_fields *out)
{
	memset(out, 0, sizeof(*out));
	out->id = conv->id;
	if (dir == TG_DIR_C2S) {
		conv->last_seq++;
		out->type = conv->v6 ? ICMPV6_ECHO_REQUEST : ICMP_ECHO_REQUEST;
	} else {
		if (conv->last_seq == 0)
			return TG_STEP_INVALID;	/* a reply to nothing */
		out->type = conv->v6 ? ICMPV6_ECHO_REPLY : ICMP_ECHO_REPLY;
	}
	out->seq = conv->last_seq;
	return TG_STEP_EMIT;
}
