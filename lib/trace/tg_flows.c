/* SPDX-License-Identifier: BSD-3-Clause
 * Flow assembly: a chained hash table over a pool of flow slots, and one
 * timer list per timeout (open TCP, UDP, other, closed). Each list is
 * kept in order of last activity by moving a flow to its tail on every
 * packet, so its head is always the flow that times out first: expiry
 * costs O(1) per packet and flows finish in deadline order, with no sweep
 * over the table.
 *
 * The table's clock is the latest capture time seen in the current file,
 * so packets a little out of order never move time backwards.
 */
#include <stdlib.h>
#include <string.h>

#include "tg_flows.h"
#include "tg_services.h"

#define NS_PER_S 1000000000ull
#define WELL_KNOWN_PORT_END 1024
#define MIN_SLOTS 1024u
#define FIRST_PKTS 8u		/* a flow's first sequence buffer */
#define NONE (-1)

/* The timer lists. */
enum {
	LIST_TCP,
	LIST_UDP,
	LIST_OTHER,
	LIST_CLOSED,		/* TCP after FIN both ways or RST: grace */
	N_LISTS
};

/* Both endpoints in a fixed order, so both directions find the flow.
 * Zeroed before filling: compared and hashed as bytes. */
struct key {
	uint32_t file;
	uint8_t version;
	uint8_t proto;
	uint8_t echo;
	uint8_t unused;
	uint16_t port[2];	/* ICMP echo: the identifier, both sides */
	struct tg_ip_addr addr[2];
};

struct slot {
	struct key key;
	uint32_t hash;
	int32_t chain;		/* next in its bucket, or next free slot */
	int32_t prev;		/* neighbours in its timer list */
	int32_t next;
	uint8_t list;
	bool in_use;
	uint8_t client_side;	/* which key side is the client */
	bool fin[2];		/* by direction */
	uint64_t touch_ns;	/* the table's clock at its last packet */
	uint64_t prev_ts_ns;	/* its last packet's own time */
	struct tg_flow_pkt *pkts;	/* kept when the slot is reused */
	uint32_t cap_pkts;
	struct tg_flow_rec rec;
};

struct tg_flows {
	struct tg_flows_conf conf;
	uint64_t idle_ns[N_LISTS];
	struct slot *slots;
	uint32_t n_slots;	/* allocated */
	int32_t free_head;
	int32_t *buckets;
	uint32_t n_buckets;	/* a power of two */
	int32_t head[N_LISTS];
	int32_t tail[N_LISTS];
	uint32_t n_open;
	bool in_file;
	uint32_t file;
	uint64_t clock_ns;
	uint64_t next_id;
	struct tg_flows_stats stats;
};

static const char *const rule_names[TG_ROLE_RULES] = {
	[TG_ROLE_SYN] = "syn",
	[TG_ROLE_SYNACK] = "syn-ack",
	[TG_ROLE_ECHO] = "echo",
	[TG_ROLE_PORT_SWAP] = "port-swap",
	[TG_ROLE_FIRST] = "first-sender",
};

static const char *const start_names[TG_START_KINDS] = {
	[TG_START_SYN] = "syn",
	[TG_START_MIDFLOW] = "mid-flow",
	[TG_START_NOT_TCP] = "not-tcp",
};

static const char *const end_names[TG_END_KINDS] = {
	[TG_END_FIN] = "fin",
	[TG_END_RST] = "rst",
	[TG_END_TIMEOUT] = "timeout",
	[TG_END_EOF] = "end-of-file",
	[TG_END_EVICTED] = "evicted",
};

const char *
tg_flow_role_rule_name(enum tg_flow_role_rule rule)
{
	return (unsigned)rule < TG_ROLE_RULES ? rule_names[rule] : "unknown";
}

const char *
tg_flow_start_name(enum tg_flow_start start)
{
	return (unsigned)start < TG_START_KINDS ? start_names[start]
						 : "unknown";
}

const char *
tg_flow_end_name(enum tg_flow_end end)
{
	return (unsigned)end < TG_END_KINDS ? end_names[end] : "unknown";
}

/* --- Keys ---------------------------------------------------------------- */

/* The key of a packet's flow; returns the key side of its sender. */
static unsigned
make_key(const struct tg_trace_pkt *p, struct key *k)
{
	bool echo = p->icmp_echo && (p->proto == TG_PROTO_ICMP ||
				     p->proto == TG_PROTO_ICMPV6);
	uint16_t sport = echo ? p->icmp_id : p->sport;
	uint16_t dport = echo ? p->icmp_id : p->dport;
	int cmp = memcmp(p->src.b, p->dst.b, sizeof(p->src.b));
	unsigned side = cmp > 0 || (cmp == 0 && sport > dport);

	memset(k, 0, sizeof(*k));
	k->file = p->file;
	k->version = p->ip_version;
	k->proto = p->proto;
	k->echo = echo;
	k->addr[side] = p->src;
	k->addr[!side] = p->dst;
	k->port[side] = sport;
	k->port[!side] = dport;
	return side;
}

/* FNV-1a over the key bytes. */
static uint32_t
hash_key(const struct key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static int32_t
lookup(const struct tg_flows *t, const struct key *k, uint32_t hash)
{
	int32_t i = t->buckets[hash & (t->n_buckets - 1)];

	while (i != NONE && (t->slots[i].hash != hash ||
			     memcmp(&t->slots[i].key, k, sizeof(*k)) != 0))
		i = t->slots[i].chain;
	return i;
}

static void
bucket_insert(struct tg_flows *t, int32_t i)
{
	int32_t *b = &t->buckets[t->slots[i].hash & (t->n_buckets - 1)];

	t->slots[i].chain = *b;
	*b = i;
}

static void
bucket_remove(struct tg_flows *t, int32_t i)
{
	int32_t *link = &t->buckets[t->slots[i].hash & (t->n_buckets - 1)];

	while (*link != i)
		link = &t->slots[*link].chain;
	*link = t->slots[i].chain;
}

/* Twice the buckets, when there are more open flows than buckets. */
static int
grow_buckets(struct tg_flows *t)
{
	uint32_t n = t->n_buckets ? 2 * t->n_buckets : MIN_SLOTS;
	int32_t *b = malloc(n * sizeof(*b));

	if (b == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		b[i] = NONE;
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = n;
	for (uint32_t i = 0; i < t->n_slots; i++)
		if (t->slots[i].in_use)
			bucket_insert(t, (int32_t)i);
	return 0;
}

/* --- Slots and timer lists ----------------------------------------------- */

static int
grow_slots(struct tg_flows *t)
{
	uint32_t old = t->n_slots;
	uint32_t n = old ? 2 * old : MIN_SLOTS;
	struct slot *s = realloc(t->slots, n * sizeof(*s));

	if (s == NULL)
		return -1;
	memset(s + old, 0, (n - old) * sizeof(*s));
	for (uint32_t i = old; i < n; i++)
		s[i].chain = i + 1 < n ? (int32_t)(i + 1) : t->free_head;
	t->slots = s;
	t->free_head = (int32_t)old;
	t->n_slots = n;
	return 0;
}

static void
list_remove(struct tg_flows *t, int32_t i)
{
	struct slot *s = &t->slots[i];

	if (s->prev != NONE)
		t->slots[s->prev].next = s->next;
	else
		t->head[s->list] = s->next;
	if (s->next != NONE)
		t->slots[s->next].prev = s->prev;
	else
		t->tail[s->list] = s->prev;
}

static void
list_append(struct tg_flows *t, int32_t i, uint8_t list)
{
	struct slot *s = &t->slots[i];

	s->list = list;
	s->next = NONE;
	s->prev = t->tail[list];
	if (s->prev != NONE)
		t->slots[s->prev].next = i;
	else
		t->head[list] = i;
	t->tail[list] = i;
}

static uint64_t
deadline(const struct tg_flows *t, const struct slot *s)
{
	uint64_t idle = t->idle_ns[s->list];

	return s->touch_ns > UINT64_MAX - idle ? UINT64_MAX
					       : s->touch_ns + idle;
}

/* The open flow that finishes first: by deadline, or (at the end of a
 * file, when all finish at once) by last activity. NONE if none. */
static int32_t
earliest(const struct tg_flows *t, bool by_deadline)
{
	int32_t best = NONE;
	uint64_t best_at = 0;

	for (int l = 0; l < N_LISTS; l++) {
		int32_t i = t->head[l];

		if (i == NONE)
			continue;
		uint64_t at = by_deadline ? deadline(t, &t->slots[i])
					  : t->slots[i].touch_ns;
		if (best == NONE || at < best_at) {
			best = i;
			best_at = at;
		}
	}
	return best;
}

/* Hand the flow over and free its slot. A closed flow keeps FIN or RST
 * as its end whatever ends it now. */
static void
finish(struct tg_flows *t, int32_t i, enum tg_flow_end end)
{
	struct slot *s = &t->slots[i];

	bucket_remove(t, i);
	list_remove(t, i);
	if (s->list != LIST_CLOSED)
		s->rec.end = (uint8_t)end;
	s->rec.pkts = s->pkts;
	t->stats.flows++;
	t->stats.by_end[s->rec.end]++;
	t->stats.by_rule[s->rec.role_rule]++;
	t->conf.on_flow(&s->rec, t->conf.arg);

	s->in_use = false;
	s->chain = t->free_head;
	t->free_head = i;
	t->n_open--;
}

/* End the flows idle past their timeout at time `now`. */
static void
expire(struct tg_flows *t, uint64_t now)
{
	int32_t i;

	while ((i = earliest(t, true)) != NONE &&
	       deadline(t, &t->slots[i]) < now)
		finish(t, i, TG_END_TIMEOUT);
}

static void
end_all(struct tg_flows *t)
{
	int32_t i;

	while ((i = earliest(t, false)) != NONE)
		finish(t, i, TG_END_EOF);
}

/* --- Flows --------------------------------------------------------------- */

/* Who the client is, judged from a flow's first packet. */
static enum tg_flow_role_rule
decide_roles(const struct tg_trace_pkt *p, bool *sender_is_client)
{
	uint8_t syn_ack = p->tcp_flags & (TG_TCP_SYN | TG_TCP_ACK);

	*sender_is_client = true;
	if (p->proto == TG_PROTO_TCP && syn_ack == TG_TCP_SYN)
		return TG_ROLE_SYN;
	if (p->proto == TG_PROTO_TCP && syn_ack == (TG_TCP_SYN | TG_TCP_ACK)) {
		*sender_is_client = false;
		return TG_ROLE_SYNACK;
	}
	if (p->icmp_echo) {
		*sender_is_client = p->icmp_type == 8 || p->icmp_type == 128;
		return TG_ROLE_ECHO;
	}
	if (p->sport < WELL_KNOWN_PORT_END &&
	    p->dport >= WELL_KNOWN_PORT_END) {
		*sender_is_client = false;
		return TG_ROLE_PORT_SWAP;
	}
	return TG_ROLE_FIRST;
}

static uint8_t
open_list(uint8_t proto)
{
	if (proto == TG_PROTO_TCP)
		return LIST_TCP;
	return proto == TG_PROTO_UDP ? LIST_UDP : LIST_OTHER;
}

static void
start_record(struct tg_flows *t, struct slot *s, const struct tg_trace_pkt *p,
	     unsigned sender_side)
{
	struct tg_flow_rec *r = &s->rec;
	bool sender_is_client;

	memset(r, 0, sizeof(*r));
	r->role_rule = (uint8_t)decide_roles(p, &sender_is_client);
	s->client_side = (uint8_t)(sender_is_client ? sender_side
						    : !sender_side);
	r->id = t->next_id++;
	r->file = p->file;
	r->ip_version = p->ip_version;
	r->proto = p->proto;
	r->client = sender_is_client ? p->src : p->dst;
	r->server = sender_is_client ? p->dst : p->src;
	r->client_port = sender_is_client ? p->sport : p->dport;
	r->server_port = sender_is_client ? p->dport : p->sport;
	r->icmp_echo = s->key.echo;
	r->icmp_id = s->key.echo ? p->icmp_id : 0;
	r->service = tg_service_class(p->proto, r->server_port);
	r->start = p->proto != TG_PROTO_TCP ? TG_START_NOT_TCP
		   : r->role_rule == TG_ROLE_SYN ? TG_START_SYN
						 : TG_START_MIDFLOW;
	r->first_ns = p->ts_ns;
	r->last_ns = p->ts_ns;
	s->prev_ts_ns = p->ts_ns;
	s->fin[0] = s->fin[1] = false;
}

static int32_t
new_flow(struct tg_flows *t, const struct key *k, uint32_t hash,
	 const struct tg_trace_pkt *p, unsigned sender_side)
{
	if (t->n_open >= t->conf.max_open)
		finish(t, earliest(t, true), TG_END_EVICTED);
	if (t->free_head == NONE && grow_slots(t) != 0)
		return NONE;
	if (t->n_open + 1 > t->n_buckets && grow_buckets(t) != 0)
		return NONE;
	int32_t i = t->free_head;
	struct slot *s = &t->slots[i];

	t->free_head = s->chain;
	s->key = *k;
	s->hash = hash;
	s->in_use = true;
	bucket_insert(t, i);
	list_append(t, i, open_list(p->proto));
	t->n_open++;
	if (t->n_open > t->stats.open_peak)
		t->stats.open_peak = t->n_open;
	start_record(t, s, p, sender_side);
	return i;
}

static void
note_first_of_side(struct tg_flow_side *side, const struct tg_trace_pkt *p)
{
	side->ttl = p->ttl;
	side->tos = p->tos;
	side->df = p->df;
	side->ip_id = p->ip_id;
	side->flow_label = p->flow_label;
	side->window = p->window;
}

static void
note_handshake(struct tg_flow_rec *r, unsigned dir,
	       const struct tg_trace_pkt *p)
{
	uint8_t syn_ack = p->tcp_flags & (TG_TCP_SYN | TG_TCP_ACK);

	if (syn_ack == TG_TCP_SYN && dir == TG_DIR_C2S && !r->has_syn) {
		r->has_syn = true;
		r->syn_window = p->window;
		r->syn_opts = p->tcp_opts;
	} else if (syn_ack == (TG_TCP_SYN | TG_TCP_ACK) &&
		   dir == TG_DIR_S2C && !r->has_synack) {
		r->has_synack = true;
		r->synack_window = p->window;
		r->synack_opts = p->tcp_opts;
	}
}

/* Append to the stored sequence; -1 when out of memory. */
static int
store_pkt(struct tg_flows *t, struct slot *s, const struct tg_flow_pkt *fp)
{
	struct tg_flow_rec *r = &s->rec;

	if (r->n_pkts == t->conf.max_pkts) {
		r->pkts_truncated = true;
		return 0;
	}
	if (r->n_pkts == s->cap_pkts) {
		uint32_t cap = s->cap_pkts ? 2 * s->cap_pkts : FIRST_PKTS;

		if (cap > t->conf.max_pkts)
			cap = t->conf.max_pkts;
		struct tg_flow_pkt *more = realloc(s->pkts,
						   cap * sizeof(*more));
		if (more == NULL)
			return -1;
		s->pkts = more;
		s->cap_pkts = cap;
	}
	s->pkts[r->n_pkts++] = *fp;
	return 0;
}

/* TCP teardown: after FIN both ways or a RST the flow waits out the
 * grace period on the closed list. */
static void
track_close(struct tg_flows *t, int32_t i, unsigned dir, uint8_t flags)
{
	struct slot *s = &t->slots[i];

	if (s->list == LIST_CLOSED)
		return;
	if (flags & TG_TCP_FIN)
		s->fin[dir] = true;
	if (flags & TG_TCP_RST)
		s->rec.end = TG_END_RST;
	else if (s->fin[0] && s->fin[1])
		s->rec.end = TG_END_FIN;
	else
		return;
	list_remove(t, i);
	list_append(t, i, LIST_CLOSED);
}

static int
record(struct tg_flows *t, int32_t i, const struct tg_trace_pkt *p,
       unsigned sender_side)
{
	struct slot *s = &t->slots[i];
	struct tg_flow_rec *r = &s->rec;
	unsigned dir = sender_side == s->client_side ? TG_DIR_C2S
						     : TG_DIR_S2C;
	struct tg_flow_side *side = &r->side[dir];
	bool first = r->side[0].packets + r->side[1].packets == 0;
	struct tg_flow_pkt fp = {
		.iat_ns = !first && p->ts_ns > s->prev_ts_ns
				  ? p->ts_ns - s->prev_ts_ns : 0,
		.payload_len = p->payload_len,
		.wire_len = p->wire_len,
		.dir = (uint8_t)dir,
		.tcp_flags = p->tcp_flags,
		.window = p->window,
	};

	if (side->packets == 0)
		note_first_of_side(side, p);
	else if (side->packets == 1)
		side->ip_id_second = p->ip_id;	/* tells counter from random */
	side->packets++;
	side->payload_bytes += p->payload_len;
	side->wire_bytes += p->wire_len;
	if (p->ts_ns > r->last_ns)
		r->last_ns = p->ts_ns;
	s->prev_ts_ns = p->ts_ns;
	s->touch_ns = t->clock_ns;
	list_remove(t, i);
	list_append(t, i, s->list);
	if (p->proto == TG_PROTO_TCP) {
		note_handshake(r, dir, p);
		track_close(t, i, dir, p->tcp_flags);
	}
	return store_pkt(t, s, &fp);
}

/* --- The table ----------------------------------------------------------- */

struct tg_flows *
tg_flows_create(const struct tg_flows_conf *conf)
{
	if (conf == NULL || conf->on_flow == NULL)
		return NULL;
	struct tg_flows *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->conf = *conf;
	if (!t->conf.tcp_idle_ns)
		t->conf.tcp_idle_ns = 120 * NS_PER_S;
	if (!t->conf.udp_idle_ns)
		t->conf.udp_idle_ns = 60 * NS_PER_S;
	if (!t->conf.other_idle_ns)
		t->conf.other_idle_ns = 60 * NS_PER_S;
	if (!t->conf.close_grace_ns)
		t->conf.close_grace_ns = 2 * NS_PER_S;
	if (!t->conf.max_pkts)
		t->conf.max_pkts = 256;
	if (!t->conf.max_open)
		t->conf.max_open = 1u << 20;
	t->idle_ns[LIST_TCP] = t->conf.tcp_idle_ns;
	t->idle_ns[LIST_UDP] = t->conf.udp_idle_ns;
	t->idle_ns[LIST_OTHER] = t->conf.other_idle_ns;
	t->idle_ns[LIST_CLOSED] = t->conf.close_grace_ns;
	for (int l = 0; l < N_LISTS; l++)
		t->head[l] = t->tail[l] = NONE;
	t->free_head = NONE;
	if (grow_slots(t) != 0 || grow_buckets(t) != 0) {
		tg_flows_free(t);
		return NULL;
	}
	return t;
}

/* Whether a packet opens a new connection on a closed flow's 5-tuple. */
static bool
reopens(const struct tg_flows *t, int32_t i, const struct tg_trace_pkt *p)
{
	return t->slots[i].list == LIST_CLOSED &&
	       (p->tcp_flags & (TG_TCP_SYN | TG_TCP_ACK)) == TG_TCP_SYN;
}

int
tg_flows_add(struct tg_flows *t, const struct tg_trace_pkt *p)
{
	struct key k;

	if (!t->in_file || p->file != t->file) {
		end_all(t);	/* a new file: a new timeline */
		t->in_file = true;
		t->file = p->file;
		t->clock_ns = p->ts_ns;
	}
	if (p->ts_ns > t->clock_ns)
		t->clock_ns = p->ts_ns;
	expire(t, t->clock_ns);
	t->stats.packets++;

	unsigned sender_side = make_key(p, &k);
	uint32_t hash = hash_key(&k);
	int32_t i = lookup(t, &k, hash);

	if (i != NONE && reopens(t, i, p)) {
		finish(t, i, TG_END_FIN);	/* keeps its FIN or RST */
		i = NONE;
	}
	if (i == NONE)
		i = new_flow(t, &k, hash, p, sender_side);
	if (i == NONE)
		return -1;
	return record(t, i, p, sender_side);
}

void
tg_flows_flush(struct tg_flows *t)
{
	end_all(t);
	t->in_file = false;
}

uint32_t
tg_flows_open_count(const struct tg_flows *t)
{
	return t->n_open;
}

const struct tg_flows_stats *
tg_flows_stats(const struct tg_flows *t)
{
	return &t->stats;
}

void
tg_flows_free(struct tg_flows *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->n_slots; i++)
		free(t->slots[i].pkts);
	free(t->slots);
	free(t->buckets);
	free(t);
}
