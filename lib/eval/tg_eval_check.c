/* SPDX-License-Identifier: BSD-3-Clause
 * Compliance checks: what a packet must be to be valid on the wire, and
 * what a TCP connection must do, as the fraction that passes (docs/eval.md
 * says what counts as a pass).
 *
 * The TCP checks need sequence and acknowledgement numbers per direction,
 * which tg_flows does not keep: a small table of the current file's TCP
 * connections holds them. Files have their own timelines, so the table is
 * emptied at each new file.
 */
#include <stdlib.h>
#include <string.h>

#include "tg_eval_int.h"

#define ETHER_MIN_FRAME 60	/* without FCS: shorter IP is padded */
#define TCP_FLAG_BITS 0x3f	/* FIN..URG; ECE and CWR are free */
#define DHCP_CLIENT_PORT 68
#define DHCP_SERVER_PORT 67
#define MIN_CONNS 1024u

static const char *const check_names[TG_CHECKS] = {
	[TG_CHECK_IP_CKSUM] = "ip checksum",
	[TG_CHECK_L4_CKSUM] = "l4 checksum",
	[TG_CHECK_IP_LEN] = "ip length = frame",
	[TG_CHECK_L4_SIZE] = "tcp/udp minimum size",
	[TG_CHECK_ADDR] = "addresses",
	[TG_CHECK_PORTS] = "ports",
	[TG_CHECK_TCP_FLAGS] = "tcp flags",
	[TG_CHECK_TCP_SEQ] = "tcp seq continuity",
	[TG_CHECK_TCP_ACK] = "tcp ack continuity",
	[TG_CHECK_TCP_STATES] = "tcp transitions",
	[TG_CHECK_TCP_HANDSHAKE] = "tcp data after handshake",
};

const char *
tg_eval_check_name(enum tg_eval_check check)
{
	return (unsigned)check < TG_CHECKS ? check_names[check] : "unknown";
}

const char *
tg_eval_check_unit(enum tg_eval_check check)
{
	return check == TG_CHECK_TCP_HANDSHAKE ? "connections" : "packets";
}

static void
tally(struct tg_eval_sample *s, enum tg_eval_check check, bool pass)
{
	s->checks[check].checked++;
	s->checks[check].passed += pass;
}

/* --- Stateless checks ---------------------------------------------------- */

static void
check_cksums(struct tg_eval_sample *s, const struct tg_trace_pkt *p)
{
	if (p->ip_cksum == TG_TRACE_CKSUM_GOOD ||
	    p->ip_cksum == TG_TRACE_CKSUM_BAD)
		tally(s, TG_CHECK_IP_CKSUM, p->ip_cksum == TG_TRACE_CKSUM_GOOD);
	if (p->l4_cksum == TG_TRACE_CKSUM_GOOD ||
	    p->l4_cksum == TG_TRACE_CKSUM_BAD ||
	    p->l4_cksum == TG_TRACE_CKSUM_ABSENT)
		tally(s, TG_CHECK_L4_CKSUM, p->l4_cksum != TG_TRACE_CKSUM_BAD);
}

/* The IP packet fills the frame, or is padded to Ethernet's minimum. */
static bool
ip_len_ok(const struct tg_trace_pkt *p)
{
	uint64_t end = (uint64_t)p->l3_off + p->ip_len;

	return end == p->wire_len ||
	       (p->wire_len <= ETHER_MIN_FRAME && end < p->wire_len);
}

/* TCP's header is checked by the decoder (a shorter one is dropped as
 * bad-l4-header); UDP's length must be exactly what IP carries. */
static bool
l4_size_ok(const struct tg_trace_pkt *p)
{
	uint64_t l4_len = (uint64_t)p->l3_off + p->ip_len - p->l4_off;

	if (p->proto != TG_PROTO_UDP || p->first_fragment)
		return true;
	return (uint64_t)p->payload_len + 8 == l4_len;
}

static bool
is_multicast(const struct tg_trace_pkt *p, const struct tg_ip_addr *a)
{
	if (p->ip_version == 4)
		return a->b[0] >= 224;	/* multicast, class E, broadcast */
	return a->b[0] == 0xff;
}

static bool
is_unspecified(const struct tg_trace_pkt *p, const struct tg_ip_addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->b, zero, p->ip_version == 4 ? 4 : 16) == 0;
}

/* The unspecified source is legal only where a host has no address yet:
 * a DHCP request, IPv6 duplicate address detection (ICMPv6). */
static bool
unspecified_src_ok(const struct tg_trace_pkt *p)
{
	if (p->ip_version == 4)
		return p->proto == TG_PROTO_UDP &&
		       p->sport == DHCP_CLIENT_PORT &&
		       p->dport == DHCP_SERVER_PORT;
	return p->proto == TG_PROTO_ICMPV6;
}

static bool
addresses_ok(const struct tg_trace_pkt *p)
{
	if (is_multicast(p, &p->src) || is_unspecified(p, &p->dst))
		return false;
	if (is_unspecified(p, &p->src) && !unspecified_src_ok(p))
		return false;
	/* TCP is unicast only. */
	return p->proto != TG_PROTO_TCP || !is_multicast(p, &p->dst);
}

/* A SYN, FIN and RST exclude each other; every segment but a SYN and a
 * RST carries an ACK; a segment with no flags at all is a scan. */
static bool
tcp_flags_ok(uint8_t flags)
{
	uint8_t f = flags & TCP_FLAG_BITS;
	uint8_t sfr = f & (TG_TCP_SYN | TG_TCP_FIN | TG_TCP_RST);

	if (f == 0 || (sfr & (sfr - 1)))	/* more than one of them */
		return false;
	if (f & TG_TCP_ACK)
		return true;
	return f == TG_TCP_SYN || sfr == TG_TCP_RST;
}

static void
check_stateless(struct tg_eval_sample *s, const struct tg_trace_pkt *p)
{
	bool ports = p->proto == TG_PROTO_TCP || p->proto == TG_PROTO_UDP;

	check_cksums(s, p);
	tally(s, TG_CHECK_IP_LEN, ip_len_ok(p));
	tally(s, TG_CHECK_ADDR, addresses_ok(p));
	if (ports) {
		tally(s, TG_CHECK_L4_SIZE, l4_size_ok(p));
		tally(s, TG_CHECK_PORTS, p->sport != 0 && p->dport != 0);
	}
	if (p->proto == TG_PROTO_TCP)
		tally(s, TG_CHECK_TCP_FLAGS, tcp_flags_ok(p->tcp_flags));
}

/* --- TCP connections ----------------------------------------------------- */

/* Endpoints in a fixed order: side 0 is the smaller (address, port). */
struct conn_key {
	uint8_t version;
	uint8_t unused[3];
	uint16_t port[2];
	struct tg_ip_addr addr[2];
};

struct conn {
	struct conn_key key;
	bool used;
	bool from_syn;		/* its first packet was a SYN without ACK */
	bool early_data;	/* data before the handshake */
	uint8_t client;		/* key side of the SYN's sender */
	bool synack;		/* the server sent its SYN-ACK */
	bool established;	/* the client acknowledged it */
	bool seen[2];		/* by key side */
	bool has_ack[2];
	bool fin[2];
	bool rst[2];
	uint32_t next_seq[2];	/* after the highest byte sent */
	uint32_t last_ack[2];
};

/* Sequence number order modulo 2^32 (RFC 793). */
static inline bool
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static uint64_t
hash_key(const struct conn_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* Which key side sent the packet. */
static unsigned
make_key(const struct tg_trace_pkt *p, struct conn_key *k)
{
	int cmp = memcmp(p->src.b, p->dst.b, sizeof(p->src.b));
	unsigned sender = cmp > 0 || (cmp == 0 && p->sport > p->dport);

	memset(k, 0, sizeof(*k));
	k->version = p->ip_version;
	k->addr[sender] = p->src;
	k->addr[!sender] = p->dst;
	k->port[sender] = p->sport;
	k->port[!sender] = p->dport;
	return sender;
}

static void
retire(struct tg_eval_sample *s, const struct conn *c)
{
	if (c->from_syn)
		tally(s, TG_CHECK_TCP_HANDSHAKE, !c->early_data);
}

void
eval_check_flush(struct tg_eval_sample *s)
{
	struct conns *t = &s->conns;

	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].used)
			retire(s, &t->slots[i]);
	if (t->cap)
		memset(t->slots, 0, t->cap * sizeof(*t->slots));
	t->used = 0;
}

void
eval_check_free(struct tg_eval_sample *s)
{
	free(s->conns.slots);
	memset(&s->conns, 0, sizeof(s->conns));
}

static struct conn *
find_slot(struct conn *slots, size_t cap, const struct conn_key *k)
{
	size_t i = hash_key(k) & (cap - 1);

	while (slots[i].used && memcmp(&slots[i].key, k, sizeof(*k)) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Keep the table at most half full. */
static int
grow(struct conns *t)
{
	size_t cap = t->cap ? 2 * t->cap : MIN_CONNS;
	struct conn *slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].used)
			*find_slot(slots, cap, &t->slots[i].key) = t->slots[i];
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

static struct conn *
lookup(struct tg_eval_sample *s, const struct conn_key *k)
{
	struct conns *t = &s->conns;
	struct conn *c;

	if (2 * (t->used + 1) > t->cap && grow(t) != 0)
		return NULL;
	c = find_slot(t->slots, t->cap, k);
	if (!c->used) {
		memset(c, 0, sizeof(*c));
		c->key = *k;
		c->used = true;
		t->used++;
	}
	return c;
}

static bool
is_bare_syn(uint8_t flags)
{
	return (flags & (TG_TCP_SYN | TG_TCP_ACK)) == TG_TCP_SYN;
}

/* A new connection on the same 5-tuple: a SYN that is no retransmission
 * of the one that opened this connection. */
static void
maybe_restart(struct tg_eval_sample *s, struct conn *c, unsigned d,
	      const struct tg_trace_pkt *p)
{
	if (!c->seen[d] || !is_bare_syn(p->tcp_flags) ||
	    p->seq + 1 == c->next_seq[d])
		return;
	struct conn_key k = c->key;

	retire(s, c);
	memset(c, 0, sizeof(*c));
	c->key = k;
	c->used = true;
}

/* Transitions of a connection seen from its SYN. */
static bool
transition_ok(const struct conn *c, unsigned d, const struct tg_trace_pkt *p)
{
	uint8_t f = p->tcp_flags;
	bool client = d == c->client;

	if (c->rst[d] && !(f & TG_TCP_RST))
		return false;	/* nothing but RST after its own RST */
	if (c->fin[d] && (p->payload_len || (f & TG_TCP_SYN)))
		return false;	/* nothing new after its own FIN */
	if (f & TG_TCP_RST)
		return true;	/* refusing or aborting: any time */
	if (is_bare_syn(f))
		return client;
	if (f & TG_TCP_SYN)	/* SYN-ACK: the server answers a SYN */
		return !client;
	return c->synack;	/* both sides wait for the SYN-ACK */
}

/* Data before the handshake: the client may send it with the ACK of the
 * SYN-ACK, the server only once that ACK came. */
static bool
data_too_early(const struct conn *c, unsigned d, const struct tg_trace_pkt *p)
{
	if (p->payload_len == 0)
		return false;
	if (d == c->client)
		return !c->synack || !(p->tcp_flags & TG_TCP_ACK);
	return !c->established;
}

static void
check_seq_ack(struct tg_eval_sample *s, struct conn *c, unsigned d,
	      const struct tg_trace_pkt *p)
{
	uint8_t f = p->tcp_flags;
	uint32_t end = p->seq + p->payload_len + !!(f & TG_TCP_SYN) +
		       !!(f & TG_TCP_FIN);

	if (c->seen[d])
		tally(s, TG_CHECK_TCP_SEQ, p->seq == c->next_seq[d]);
	if (!c->seen[d] || seq_lt(c->next_seq[d], end))
		c->next_seq[d] = end;
	if (!(f & TG_TCP_ACK))
		return;
	if (c->seen[!d])
		tally(s, TG_CHECK_TCP_ACK,
		      !seq_lt(c->next_seq[!d], p->ack) &&
		      (!c->has_ack[d] || !seq_lt(p->ack, c->last_ack[d])));
	if (!c->has_ack[d] || seq_lt(c->last_ack[d], p->ack))
		c->last_ack[d] = p->ack;
	c->has_ack[d] = true;
}

/* The handshake's progress and the teardown flags. */
static void
note_state(struct conn *c, unsigned d, const struct tg_trace_pkt *p)
{
	uint8_t f = p->tcp_flags;

	if (d != c->client && (f & TG_TCP_SYN) && (f & TG_TCP_ACK))
		c->synack = true;
	else if (d == c->client && c->synack && (f & TG_TCP_ACK))
		c->established = true;
	c->fin[d] |= !!(f & TG_TCP_FIN);
	c->rst[d] |= !!(f & TG_TCP_RST);
}

static int
check_tcp(struct tg_eval_sample *s, const struct tg_trace_pkt *p)
{
	struct conn_key k;
	unsigned d = make_key(p, &k);
	struct conn *c;

	if (p->file != s->conns.file) {
		eval_check_flush(s);
		s->conns.file = p->file;
	}
	if ((c = lookup(s, &k)) == NULL)
		return -1;
	maybe_restart(s, c, d, p);
	if (!c->seen[0] && !c->seen[1] && is_bare_syn(p->tcp_flags)) {
		c->from_syn = true;
		c->client = (uint8_t)d;
	}
	if (c->from_syn) {
		tally(s, TG_CHECK_TCP_STATES, transition_ok(c, d, p));
		c->early_data |= data_too_early(c, d, p);
	}
	check_seq_ack(s, c, d, p);
	note_state(c, d, p);
	c->seen[d] = true;
	return 0;
}

int
eval_check_pkt(struct tg_eval_sample *s, const struct tg_trace_pkt *p)
{
	check_stateless(s, p);
	return p->proto == TG_PROTO_TCP ? check_tcp(s, p) : 0;
}
