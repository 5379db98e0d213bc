/* SPDX-License-Identifier: BSD-3-Clause
 * Flow assembly: a chained hash table of open flows, swept for idle ones
 * once a second of capture time.
 */
#include <stdlib.h>
#include <string.h>

#include "tg_flows.h"

#define NS 1000000000ull
#define SWEEP_EVERY_NS NS
#define WELL_KNOWN_PORTS 1024
#define MIN_BUCKETS 1024

/* Both endpoints in a fixed order, so both directions find the flow. */
struct key {
	uint32_t file;
	uint8_t version;
	uint8_t proto;
	uint16_t port[2];
	struct tg_ip_addr addr[2];
};

struct entry {
	struct key key;
	struct tg_flow_rec rec;
	int32_t next;		/* chain, or free list */
	bool fin[2];		/* per direction (client, server) */
	bool closed;		/* FIN both ways or RST: only the grace left */
};

struct tg_flows {
	struct tg_flows_params p;
	struct entry *entries;
	uint32_t n_entries;	/* allocated */
	int32_t free_head;
	int32_t *buckets;
	uint32_t n_buckets;	/* power of two */
	uint32_t n_open;
	uint64_t next_id;
	uint32_t file;
	uint64_t last_sweep_ns;
};

static void
make_key(const struct tg_trace_pkt *pkt, struct key *k, bool *swapped)
{
	int cmp = memcmp(pkt->src.b, pkt->dst.b, sizeof(pkt->src.b));

	memset(k, 0, sizeof(*k));
	k->file = pkt->file;
	k->version = pkt->ip_version;
	k->proto = pkt->proto;
	*swapped = cmp > 0 || (cmp == 0 && pkt->sport > pkt->dport);
	k->addr[*swapped] = pkt->src;
	k->addr[!*swapped] = pkt->dst;
	k->port[*swapped] = pkt->sport;
	k->port[!*swapped] = pkt->dport;
}

/* FNV-1a over the key bytes (the struct is zeroed first: no padding noise). */
static uint32_t
hash_key(const struct key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static int
grow_entries(struct tg_flows *t)
{
	uint32_t old = t->n_entries, n = old ? 2 * old : MIN_BUCKETS;
	struct entry *e = realloc(t->entries, n * sizeof(*e));

	if (e == NULL)
		return -1;
	t->entries = e;
	for (uint32_t i = old; i < n; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].rec.events = calloc(t->p.max_events,
					 sizeof(*e[i].rec.events));
		if (e[i].rec.events == NULL) {
			t->n_entries = i;
			return -1;
		}
		e[i].next = i + 1 < n ? (int32_t)(i + 1) : t->free_head;
	}
	t->free_head = (int32_t)old;
	t->n_entries = n;
	return 0;
}

static int
rehash(struct tg_flows *t, uint32_t n_buckets)
{
	int32_t *b = malloc(n_buckets * sizeof(*b));

	if (b == NULL)
		return -1;
	for (uint32_t i = 0; i < n_buckets; i++)
		b[i] = -1;
	/* Open flows are the entries not on the free list: mark those. */
	for (uint32_t i = 0; i < t->n_entries; i++) {
		struct entry *e = &t->entries[i];

		if (e->rec.packets[0] + e->rec.packets[1] == 0)
			continue;
		uint32_t h = hash_key(&e->key) & (n_buckets - 1);

		e->next = b[h];
		b[h] = (int32_t)i;
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = n_buckets;
	return 0;
}

struct tg_flows *
tg_flows_create(const struct tg_flows_params *p)
{
	struct tg_flows *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->p = *p;
	if (!t->p.tcp_timeout_ns)
		t->p.tcp_timeout_ns = 120 * NS;
	if (!t->p.other_timeout_ns)
		t->p.other_timeout_ns = 60 * NS;
	if (!t->p.close_grace_ns)
		t->p.close_grace_ns = 2 * NS;
	if (!t->p.max_events)
		t->p.max_events = 256;
	t->free_head = -1;
	if (grow_entries(t) != 0 || rehash(t, MIN_BUCKETS) != 0) {
		tg_flows_free(t);
		return NULL;
	}
	return t;
}

/* Hand the flow to the caller and put its entry back on the free list. */
static void
finish(struct tg_flows *t, uint32_t bucket, int32_t prev, int32_t idx,
       enum tg_flow_end end)
{
	struct entry *e = &t->entries[idx];

	if (prev < 0)
		t->buckets[bucket] = e->next;
	else
		t->entries[prev].next = e->next;
	if (!e->closed)		/* else FIN or RST, set when it closed */
		e->rec.end = (uint8_t)end;
	t->p.on_flow(&e->rec, t->p.arg);

	struct tg_flow_event *events = e->rec.events;
	memset(e, 0, sizeof(*e));
	e->rec.events = events;
	e->next = t->free_head;
	t->free_head = idx;
	t->n_open--;
}

/* End flows idle past their timeout (all of them when `all`). */
static void
sweep(struct tg_flows *t, uint64_t now, bool all)
{
	for (uint32_t b = 0; b < t->n_buckets; b++) {
		int32_t prev = -1, i = t->buckets[b];

		while (i >= 0) {
			struct entry *e = &t->entries[i];
			int32_t next = e->next;
			uint64_t limit = e->closed ? t->p.close_grace_ns
					 : e->key.proto == TG_PROTO_TCP
						 ? t->p.tcp_timeout_ns
						 : t->p.other_timeout_ns;

			if (all || now < e->rec.last_ns ||
			    now - e->rec.last_ns > limit)
				finish(t, b, prev, i,
				       all ? TG_END_EOF : TG_END_TIMEOUT);
			else
				prev = i;
			i = next;
		}
	}
}

/* Which side of a new flow is the client: the packet's sender? */
static bool
sender_is_client(const struct tg_trace_pkt *pkt, uint8_t *rule)
{
	if (pkt->proto == TG_PROTO_TCP && (pkt->tcp_flags & TG_TCP_SYN)) {
		*rule = TG_ROLE_SYN;
		return !(pkt->tcp_flags & TG_TCP_ACK);
	}
	if ((pkt->proto == TG_PROTO_ICMP && pkt->icmp_type == 0) ||
	    (pkt->proto == TG_PROTO_ICMPV6 && pkt->icmp_type == 129)) {
		*rule = TG_ROLE_PORT;	/* an echo reply: its sender serves */
		return false;
	}
	if (pkt->sport < WELL_KNOWN_PORTS && pkt->dport >= WELL_KNOWN_PORTS) {
		*rule = TG_ROLE_PORT;
		return false;
	}
	*rule = TG_ROLE_FIRST;
	return true;
}

static int32_t
new_flow(struct tg_flows *t, const struct key *k, uint32_t bucket,
	 const struct tg_trace_pkt *pkt)
{
	if (t->free_head < 0 && grow_entries(t) != 0)
		return -1;
	int32_t idx = t->free_head;
	struct entry *e = &t->entries[idx];
	struct tg_flow_rec *r = &e->rec;
	uint8_t rule;
	bool client = sender_is_client(pkt, &rule);

	t->free_head = e->next;
	e->key = *k;
	e->next = t->buckets[bucket];
	t->buckets[bucket] = idx;
	t->n_open++;

	r->id = t->next_id++;
	r->file = pkt->file;
	r->ip_version = pkt->ip_version;
	r->proto = pkt->proto;
	r->role_rule = rule;
	r->client = client ? pkt->src : pkt->dst;
	r->server = client ? pkt->dst : pkt->src;
	r->client_port = client ? pkt->sport : pkt->dport;
	r->server_port = client ? pkt->dport : pkt->sport;
	r->first_ns = pkt->ts_ns;
	return idx;
}

static void
record(struct tg_flows *t, struct entry *e, const struct tg_trace_pkt *pkt)
{
	struct tg_flow_rec *r = &e->rec;
	bool from_client = memcmp(pkt->src.b, r->client.b, 16) == 0 &&
			   pkt->sport == r->client_port;
	unsigned dir = from_client ? 0 : 1;
	struct tg_flow_side *side = &r->side[dir];

	if (r->packets[dir] == 0) {
		side->ttl = pkt->ttl;
		side->tos = pkt->tos;
		side->df = pkt->df;
		side->first_ip_id = pkt->ip_id;
	}
	if (pkt->proto == TG_PROTO_TCP && (pkt->tcp_flags & TG_TCP_SYN) &&
	    !side->saw_syn) {
		side->saw_syn = true;
		side->syn_window = pkt->window;
		side->syn_opts = pkt->opts;
	}
	r->packets[dir]++;
	r->payload_bytes[dir] += pkt->payload_len;
	r->wire_bytes[dir] += pkt->wire_len;
	r->last_ns = pkt->ts_ns;
	if (r->n_events < t->p.max_events) {
		struct tg_flow_event *ev = &r->events[r->n_events++];

		ev->ts_ns = pkt->ts_ns;
		ev->payload_len = pkt->payload_len;
		ev->wire_len = (uint16_t)(pkt->wire_len > 65535 ? 65535
							       : pkt->wire_len);
		ev->dir = (uint8_t)dir;
		ev->tcp_flags = pkt->tcp_flags;
	}
	if (pkt->proto != TG_PROTO_TCP)
		return;
	if (pkt->tcp_flags & TG_TCP_RST) {
		e->closed = true;
		r->end = TG_END_RST;
	}
	if (pkt->tcp_flags & TG_TCP_FIN)
		e->fin[dir] = true;
	if (e->fin[0] && e->fin[1] && !e->closed) {
		e->closed = true;
		r->end = TG_END_FIN;
	}
}

int
tg_flows_add(struct tg_flows *t, const struct tg_trace_pkt *pkt)
{
	struct key k;
	bool swapped;

	if (pkt->file != t->file) {
		sweep(t, 0, true);	/* a new file: a new timeline */
		t->file = pkt->file;
		t->last_sweep_ns = pkt->ts_ns;
	}
	if (pkt->ts_ns < t->last_sweep_ns ||
	    pkt->ts_ns - t->last_sweep_ns >= SWEEP_EVERY_NS) {
		sweep(t, pkt->ts_ns, false);
		t->last_sweep_ns = pkt->ts_ns;
	}

	make_key(pkt, &k, &swapped);
	uint32_t b = hash_key(&k) & (t->n_buckets - 1);
	int32_t prev = -1, i = t->buckets[b];

	while (i >= 0 && memcmp(&t->entries[i].key, &k, sizeof(k)) != 0) {
		prev = i;
		i = t->entries[i].next;
	}
	/* A new SYN on a closed connection starts a new flow. */
	if (i >= 0 && t->entries[i].closed && pkt->proto == TG_PROTO_TCP &&
	    (pkt->tcp_flags & (TG_TCP_SYN | TG_TCP_ACK)) == TG_TCP_SYN) {
		finish(t, b, prev, i, TG_END_FIN);
		i = -1;
	}
	if (i < 0) {
		if (t->n_open + 1 > t->n_buckets &&
		    rehash(t, 2 * t->n_buckets) != 0)
			return -1;
		b = hash_key(&k) & (t->n_buckets - 1);
		i = new_flow(t, &k, b, pkt);
		if (i < 0)
			return -1;
	}
	record(t, &t->entries[i], pkt);
	return 0;
}

void
tg_flows_flush(struct tg_flows *t)
{
	sweep(t, 0, true);
}

uint32_t
tg_flows_open_count(const struct tg_flows *t)
{
	return t->n_open;
}

void
tg_flows_free(struct tg_flows *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->n_entries; i++)
		free(t->entries[i].rec.events);
	free(t->entries);
	free(t->buckets);
	free(t);
}
