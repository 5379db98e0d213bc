/* SPDX-License-Identifier: BSD-3-Clause
 * The fitter behind tempogen-fit: finished flows in, a fitted model out.
 *
 * Each flow is reduced as it arrives to what the model needs (header
 * fields, the handshake times, the packet symbols after the handshake),
 * because the flow's packet array lives only as long as the callback.
 * Everything is fitted in tg_fit_finish, when the service of every flow
 * is known (rare services fold into other-*). docs/model.md describes each
 * method, its defaults and its limits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tg_fit_int.h"
#include "tg_lnmix_fit.h"
#include "tg_services.h"

#ifndef TG_FIT_VERSION
#define TG_FIT_VERSION ""
#endif

#define MIN_GAP_S 1e-6		/* gaps of 0 (same timestamp) become this */
#define MIN_MSS 88		/* what an MSS option can say (RFC 9293) */
#define MIN_TTL 1
#define MAX_EXACT_BINS 32	/* a histogram keeps this many values exactly */
#define MAX_BINS (2 * MAX_EXACT_BINS + 1)	/* ... and ranges between */
#define MIN_PER_COMPONENT 10	/* samples each mixture component needs */
#define MAX_FIT_SAMPLES 20000	/* a mixture is fitted on at most these */
#define IPID_STEP_MAX 1024	/* a larger step between ids is random */
#define MAX_WSCALE 14
#define MAX_WINDOW_SAMPLES 256	/* a side's window: median of its first */

/* What the model says where the training data say nothing. */
#define DEFAULT_TTL 64
#define DEFAULT_TOS 0
#define DEFAULT_MSS 1460
#define DEFAULT_WSCALE 7
#define DEFAULT_WINDOW 64240	/* Linux: 44 * 1460 */

static const struct tg_lnmix default_rtt = {
	.k = 1, .weight = { 1 }, .mu = { -3.912023005428146 },	/* 20 ms */
	.sigma = { 0.5 } };
static const struct tg_lnmix default_ack_delay = {
	.k = 1, .weight = { 1 }, .mu = { -9.903487552536127 },	/* 50 us */
	.sigma = { 0.5 } };

int
tg_fit_reserve(void **items, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t more = *cap ? 2 * *cap : 64;
	void *p = realloc(*items, more * size);

	if (p == NULL)
		return -1;
	*items = p;
	*cap = more;
	return 0;
}

/* 0 (one timestamp twice) becomes 1 us, so its log is finite; a capture
 * paused for days still gives an hour at most. */
double
tg_fit_seconds(uint64_t ns)
{
	double s = (double)ns / NS_PER_S;

	return s < MIN_GAP_S ? MIN_GAP_S : s > MAX_GAP_S ? MAX_GAP_S : s;
}

static uint32_t
clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* --- Symbols ------------------------------------------------------------- */

static unsigned
tcp_class(uint8_t flags)
{
	if (flags & TG_TCP_RST)
		return TG_SC_RST;
	return flags & TG_TCP_FIN ? TG_SC_FIN : TG_SC_ACK;
}

/* --- Adding flows -------------------------------------------------------- */

struct tg_fitter *
tg_fit_create(const struct tg_fit_conf *conf)
{
	struct tg_fitter *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	if (conf)
		f->conf = *conf;
	struct tg_fit_conf *c = &f->conf;

	if (!c->k_max)
		c->k_max = 4;
	if (c->k_max > TG_LNMIX_MAX)
		c->k_max = TG_LNMIX_MAX;
	if (!c->order)
		c->order = 2;
	if (c->order > TG_AUTO_MAX_ORDER)
		c->order = TG_AUTO_MAX_ORDER;
	if (!c->min_context)
		c->min_context = 20;
	if (!c->min_transition)
		c->min_transition = 30;
	if (!c->min_service_flows)
		c->min_service_flows = 3;
	if (!c->dns_window_ns)
		c->dns_window_ns = 10 * (uint64_t)NS_PER_S;
	if (!c->name)
		c->name = "fitted";
	if (!c->source)
		c->source = "";
	return f;
}

void
tg_fit_free(struct tg_fitter *f)
{
	if (f == NULL)
		return;
	free(f->raw);
	free(f->flows);
	free(f->pkts);
	free(f);
}

static bool
usable(const struct tg_flow_rec *r)
{
	return r->proto == TG_PROTO_TCP || r->proto == TG_PROTO_UDP ||
	       ((r->proto == TG_PROTO_ICMP || r->proto == TG_PROTO_ICMPV6) &&
		r->icmp_echo);
}

/* The raw service of a flow, created on first sight; NO_INDEX when out of
 * memory. There are few classes, so a linear search does. */
static uint32_t
raw_service(struct tg_fitter *f, const char *name, uint8_t proto)
{
	for (uint32_t i = 0; i < f->n_raw; i++)
		if (f->raw[i].proto == proto &&
		    strncmp(f->raw[i].name, name, TG_MODEL_NAME_LEN - 1) == 0)
			return i;
	size_t cap = f->cap_raw;

	if (tg_fit_reserve((void **)&f->raw, &cap, f->n_raw, sizeof(*f->raw)))
		return NO_INDEX;
	f->cap_raw = (uint32_t)cap;
	struct raw_service *r = &f->raw[f->n_raw];

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->proto = proto;
	return f->n_raw++;
}

/* From one packet an IP id says little: 0 is "zero", anything else is
 * taken for a counter. With the side's second packet: two zeros are
 * "zero"; a zero followed by a number is a counter (Linux answers a SYN
 * with id 0, then counts); a small step forward is a counter (a host-wide
 * counter moves on between our packets); anything else is random. */
static uint8_t
ipid_mode(const struct tg_flow_side *s)
{
	if (s->packets < 2)
		return s->ip_id == 0 ? TG_IPID_ZERO : TG_IPID_INCREMENT;
	if (s->ip_id == 0)
		return s->ip_id_second == 0 ? TG_IPID_ZERO : TG_IPID_INCREMENT;
	uint16_t step = (uint16_t)(s->ip_id_second - s->ip_id);

	return step <= IPID_STEP_MAX ? TG_IPID_INCREMENT : TG_IPID_RANDOM;
}

static void
note_offer(struct fit_offer *o, const struct tg_trace_tcp_opts *opts,
	   uint16_t window)
{
	o->seen = true;
	o->has_mss = opts->has_mss;
	o->mss = opts->mss;
	o->wscale = opts->wscale;
	o->sack = opts->sack_perm;
	o->ts = opts->has_ts;
	o->window = window;
}

static void
note_headers(struct fit_flow *ff, const struct tg_flow_rec *r)
{
	for (unsigned d = 0; d < 2; d++) {
		const struct tg_flow_side *s = &r->side[d];

		if (s->packets == 0)
			continue;
		ff->side[d] = (struct fit_side){ .seen = true, .ttl = s->ttl,
						 .tos = s->tos, .df = s->df,
						 .ipid = ipid_mode(s) };
	}
	if (r->proto != TG_PROTO_TCP)
		return;
	if (r->has_syn)
		note_offer(&ff->offer[TG_DIR_C2S], &r->syn_opts, r->syn_window);
	if (r->has_synack)
		note_offer(&ff->offer[TG_DIR_S2C], &r->synack_opts,
			   r->synack_window);
}

/* The handshake at the head of a flow that began with a SYN: SYNs
 * (retransmissions too) and SYN-ACKs, then the client's first pure ACK if
 * it comes next. Notes the SYN -> SYN-ACK time (from the last SYN before
 * the first SYN-ACK) and the SYN-ACK -> ACK time (from the last SYN-ACK).
 * Returns the index of the first packet after it, or -1 without a
 * SYN-ACK: an unanswered or refused connection. */
static int64_t
skip_handshake(const struct tg_flow_rec *r, struct fit_flow *ff)
{
	uint64_t t = 0, syn_t = 0, synack_t = 0;
	bool synack = false;
	uint32_t i;

	for (i = 0; i < r->n_pkts; i++) {
		const struct tg_flow_pkt *p = &r->pkts[i];
		uint8_t sa = p->tcp_flags & (TG_TCP_SYN | TG_TCP_ACK);

		t += p->iat_ns;
		if (sa == TG_TCP_SYN && p->dir == TG_DIR_C2S) {
			if (!synack)
				syn_t = t;
		} else if (sa == (TG_TCP_SYN | TG_TCP_ACK) &&
			   p->dir == TG_DIR_S2C) {
			if (!synack)
				ff->rtt_ns = t - syn_t;
			synack = true;
			synack_t = t;
		} else {
			break;
		}
	}
	if (!synack)
		return -1;
	ff->has_rtt = true;
	if (i < r->n_pkts) {
		const struct tg_flow_pkt *p = &r->pkts[i];

		if (p->dir == TG_DIR_C2S && p->payload_len == 0 &&
		    (p->tcp_flags & (TG_TCP_SYN | TG_TCP_FIN | TG_TCP_RST |
				     TG_TCP_ACK)) == TG_TCP_ACK) {
			ff->has_ack_delay = true;
			ff->ack_delay_ns = t - synack_t;
			i++;
		}
	}
	return i;
}

/* What became of a connection whose SYN got no SYN-ACK: nothing but the
 * client's SYNs (retransmissions too) is an unanswered one; SYNs and the
 * server's RSTs a refused one. Anything else (the client goes on as if
 * answered) is a capture that saw one direction only: a connection that
 * opened, whose SYN-ACK passed elsewhere. */
static uint8_t
syn_fate(const struct tg_flow_rec *r)
{
	bool reset = false;

	for (uint32_t i = 0; i < r->n_pkts; i++) {
		const struct tg_flow_pkt *p = &r->pkts[i];
		uint8_t sa = p->tcp_flags & (TG_TCP_SYN | TG_TCP_ACK);

		if (p->dir == TG_DIR_S2C && (p->tcp_flags & TG_TCP_RST))
			reset = true;
		else if (p->dir != TG_DIR_C2S || sa != TG_TCP_SYN)
			return TG_SYN_ANSWERED;
	}
	return reset ? TG_SYN_REFUSED : TG_SYN_UNANSWERED;
}

static int
compare_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return (x > y) - (x < y);
}

/* The window field side `dir` sent after the handshake: the median of
 * its packets from `first` on (RSTs, which often say 0, left out), as on
 * the wire, and in *pkts the packets behind it; 0: none. The field is
 * kept as seen, not in bytes: what the evaluation and an analyser see,
 * and the scale of a connection seen from its middle is unknown. */
static uint16_t
data_window(const struct tg_flow_rec *r, uint32_t first, unsigned dir,
	    uint16_t *pkts)
{
	uint16_t field[MAX_WINDOW_SAMPLES];
	size_t n = 0;

	for (uint32_t i = first; i < r->n_pkts && n < MAX_WINDOW_SAMPLES; i++)
		if (r->pkts[i].dir == dir &&
		    !(r->pkts[i].tcp_flags & (TG_TCP_SYN | TG_TCP_RST)))
			field[n++] = r->pkts[i].window;
	*pkts = (uint16_t)n;
	if (n == 0)
		return 0;
	qsort(field, n, sizeof(field[0]), compare_u16);
	return field[n / 2];
}

/* Store packets from `first` on as symbols. A stray SYN later in a TCP
 * flow is no symbol: its gap passes to the next packet. */
static int
note_sequence(struct tg_fitter *f, struct fit_flow *ff,
	      const struct tg_flow_rec *r, uint32_t first)
{
	uint64_t carry = 0;

	ff->seq_off = f->n_pkts;
	ff->seq_len = 0;
	for (uint32_t i = first; i < r->n_pkts; i++) {
		const struct tg_flow_pkt *p = &r->pkts[i];
		bool tcp = r->proto == TG_PROTO_TCP;

		if (tcp && (p->tcp_flags & TG_TCP_SYN)) {
			carry += p->iat_ns;
			continue;
		}
		if (tg_fit_reserve((void **)&f->pkts, &f->cap_pkts, f->n_pkts,
				   sizeof(*f->pkts)))
			return -1;
		unsigned cls = tcp ? tcp_class(p->tcp_flags) : TG_SC_DGRAM;

		f->pkts[f->n_pkts++] = (struct fit_pkt){
			.gap_ns = carry + p->iat_ns,
			.payload_len = clamp(p->payload_len, 0,
					     TG_MODEL_MAX_PAYLOAD),
			.code = tg_fit_sym_code(p->dir, cls, p->payload_len),
		};
		carry = 0;
		ff->seq_len++;
	}
	ff->in_automaton = true;
	ff->seq_ends = !r->pkts_truncated;
	return 0;
}

static int
add_flow(struct tg_fitter *f, const struct tg_flow_rec *r)
{
	uint8_t proto = r->proto == TG_PROTO_ICMPV6 ? TG_PROTO_ICMP : r->proto;
	const char *name = r->service ? r->service
				      : tg_service_class(r->proto,
							 r->server_port);
	uint32_t raw = raw_service(f, name, proto);

	if (raw == NO_INDEX ||
	    tg_fit_reserve((void **)&f->flows, &f->cap_flows, f->n_flows,
			   sizeof(*f->flows)))
		return -1;
	struct fit_flow *ff = &f->flows[f->n_flows];

	memset(ff, 0, sizeof(*ff));
	ff->order = f->n_flows;
	ff->first_ns = r->first_ns;
	ff->arrive_ns = r->first_ns;
	ff->file = r->file;
	ff->raw = raw;
	ff->proto = proto;
	ff->ipv6 = r->ip_version == 6;
	ff->dns = strcmp(name, "dns") == 0;
	ff->client = r->client;
	ff->server = r->server;
	ff->client_port = r->client_port;
	ff->server_port = r->server_port;
	note_headers(ff, r);

	int64_t first = 0;

	if (proto == TG_PROTO_TCP)
		first = r->start == TG_START_SYN ? skip_handshake(r, ff) : -1;
	if (proto == TG_PROTO_TCP && r->start == TG_START_SYN && first < 0)
		ff->syn_fate = syn_fate(r);
	if (first < 0)
		f->stats.skipped_midflow++;
	else if (note_sequence(f, ff, r, (uint32_t)first) != 0)
		return -1;
	/* A flow seen from its middle shows windows too. */
	for (unsigned d = 0; proto == TG_PROTO_TCP && d < 2; d++)
		ff->data_window[d] = data_window(r, first > 0 ? (uint32_t)first
							      : 0, d,
						 &ff->window_pkts[d]);
	f->raw[raw].flows++;
	f->n_flows++;
	f->stats.flows_used++;
	f->stats.packets_used += r->side[0].packets + r->side[1].packets;
	return 0;
}

void
tg_fit_add_flow(const struct tg_flow_rec *flow, void *fitter)
{
	struct tg_fitter *f = fitter;

	f->stats.flows++;
	f->packets_seen += flow->side[0].packets + flow->side[1].packets;
	if (f->failed)
		return;
	if (!usable(flow)) {
		f->stats.skipped_other_proto++;
		return;
	}
	if (add_flow(f, flow) != 0)
		f->failed = true;
}

/* --- Histograms ---------------------------------------------------------- */

/* Own copies of the bins, weights normalised; the histogram takes them. */
static int
hist_make(struct tg_hist *h, uint32_t n, const uint32_t *lo,
	  const uint32_t *hi, const double *w)
{
	uint32_t *l = malloc(n * sizeof(*l)), *u = malloc(n * sizeof(*u));
	double *p = malloc(n * sizeof(*p)), total = 0;

	if (l == NULL || u == NULL || p == NULL)
		goto fail;
	for (uint32_t i = 0; i < n; i++)
		total += w[i];
	for (uint32_t i = 0; i < n; i++) {
		l[i] = lo[i];
		u[i] = hi[i];
		p[i] = w[i] / total;
	}
	if (tg_hist_init(h, n, l, u, p) == 0)
		return 0;
fail:
	free(l), free(u), free(p);
	return -1;
}

static int
hist_single(struct tg_hist *h, uint32_t lo, uint32_t hi)
{
	double w = 1;

	return hist_make(h, 1, &lo, &hi, &w);
}

struct value_count {
	uint32_t value;
	uint64_t count;
};

static int
compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Most frequent first; equal counts: the smaller value first. */
static int
compare_frequency(const void *a, const void *b)
{
	const struct value_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return (x->value > y->value) - (x->value < y->value);
}

/* Whether `vc` is among the MAX_EXACT_BINS most frequent values, the
 * last of which is `edge`. */
static bool
kept_exactly(const struct value_count *vc, const struct value_count *edge)
{
	return compare_frequency(vc, edge) <= 0;
}

/* An empirical histogram of the n values v[] (sorted in place). Up to
 * MAX_EXACT_BINS distinct values are all exact bins; beyond, the
 * MAX_EXACT_BINS most frequent stay exact and each run of other values
 * between two kept ones becomes one range bin, from the run's smallest to
 * its largest value, with the run's total weight. No values: the single
 * value `dflt`. */
int
tg_fit_hist(struct tg_hist *h, uint32_t *v, size_t n, uint32_t dflt)
{
	if (n == 0)
		return hist_single(h, dflt, dflt);
	struct value_count *vc = malloc(2 * n * sizeof(*vc)), *by_freq;
	uint32_t lo[MAX_BINS], hi[MAX_BINS], nb = 0;
	double w[MAX_BINS];
	size_t m = 0;

	if (vc == NULL)
		return -1;
	qsort(v, n, sizeof(*v), compare_u32);
	for (size_t i = 0; i < n; i++) {
		if (m && vc[m - 1].value == v[i])
			vc[m - 1].count++;
		else
			vc[m++] = (struct value_count){ v[i], 1 };
	}
	by_freq = vc + m;
	memcpy(by_freq, vc, m * sizeof(*vc));
	qsort(by_freq, m, sizeof(*vc), compare_frequency);
	const struct value_count *edge = &by_freq[m <= MAX_EXACT_BINS
						  ? m - 1
						  : MAX_EXACT_BINS - 1];

	bool in_run = false;

	for (size_t i = 0; i < m; i++) {
		bool exact = kept_exactly(&vc[i], edge);

		if (!exact && in_run) {
			hi[nb - 1] = vc[i].value;
			w[nb - 1] += (double)vc[i].count;
			continue;
		}
		lo[nb] = hi[nb] = vc[i].value;
		w[nb++] = (double)vc[i].count;
		in_run = !exact;
	}
	free(vc);
	return hist_make(h, nb, lo, hi, w);
}

/* --- Services ------------------------------------------------------------ */

struct group {
	char name[TG_MODEL_NAME_LEN];
	uint8_t proto;
	uint64_t flows;
};

static bool
is_other(const char *name)
{
	return strcmp(name, "other-tcp") == 0 || strcmp(name, "other-udp") == 0;
}

static const char *
other_name(uint8_t proto)
{
	return proto == TG_PROTO_TCP ? "other-tcp" : "other-udp";
}

/* A class seen over both TCP and UDP (dns, sip, ...) makes two services,
 * since their packets differ: the protocol with more flows keeps the
 * name, the other has "-tcp" or "-udp" added. */
static void
name_raw(const struct tg_fitter *f, struct raw_service *r)
{
	snprintf(r->final, sizeof(r->final), "%s", r->name);
	for (uint32_t i = 0; i < f->n_raw; i++) {
		const struct raw_service *o = &f->raw[i];

		if (o == r || strcmp(o->name, r->name) != 0)
			continue;
		if (o->flows > r->flows ||
		    (o->flows == r->flows && r->proto == TG_PROTO_UDP))
			snprintf(r->final, sizeof(r->final), "%.*s-%s",
				 TG_MODEL_NAME_LEN - 5, r->name,
				 r->proto == TG_PROTO_TCP ? "tcp" : "udp");
	}
}

static uint32_t
find_group(const struct group *g, uint32_t n, const char *name,
	   uint8_t proto)
{
	for (uint32_t i = 0; i < n; i++)
		if (g[i].proto == proto && strcmp(g[i].name, name) == 0)
			return i;
	return NO_INDEX;
}

/* The group of (name, proto), added if new (g has room for it). */
static uint32_t
add_group(struct group *g, uint32_t *n, const char *name, uint8_t proto)
{
	uint32_t i = find_group(g, *n, name, proto);

	if (i != NO_INDEX)
		return i;
	memset(&g[*n], 0, sizeof(*g));
	snprintf(g[*n].name, sizeof(g->name), "%s", name);
	g[*n].proto = proto;
	return (*n)++;
}

static void
fold_raw(struct tg_fitter *f, struct raw_service *r)
{
	snprintf(r->final, sizeof(r->final), "%s", other_name(r->proto));
	f->stats.folded_rare += r->flows;
}

/* Too many services: fold the smallest TCP or UDP one into other-*. */
static void
fold_smallest(struct tg_fitter *f, struct group *g, uint32_t *n)
{
	uint32_t s = NO_INDEX;

	for (uint32_t i = 0; i < *n; i++) {
		if (g[i].proto == TG_PROTO_ICMP || is_other(g[i].name))
			continue;
		if (s == NO_INDEX || g[i].flows < g[s].flows ||
		    (g[i].flows == g[s].flows &&
		     strcmp(g[i].name, g[s].name) < 0))
			s = i;
	}
	struct group gone = g[s];

	g[s] = g[--*n];
	for (uint32_t i = 0; i < f->n_raw; i++)
		if (f->raw[i].proto == gone.proto &&
		    strcmp(f->raw[i].final, gone.name) == 0)
			fold_raw(f, &f->raw[i]);
	g[add_group(g, n, other_name(gone.proto), gone.proto)].flows +=
		gone.flows;
}

static int
compare_groups(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->proto > y->proto) - (x->proto < y->proto);
}

/* The model's services, sorted by name; every raw service and flow learns
 * its index. Rare TCP and UDP classes fold into other-tcp/other-udp;
 * ICMP has nowhere to fold and stays. */
static struct group *
assign_services(struct tg_fitter *f, uint32_t *n_groups)
{
	struct group *g = calloc(f->n_raw + 2, sizeof(*g));
	uint32_t n = 0;

	if (g == NULL)
		return NULL;
	for (uint32_t i = 0; i < f->n_raw; i++)
		name_raw(f, &f->raw[i]);
	for (uint32_t i = 0; i < f->n_raw; i++) {
		struct raw_service *r = &f->raw[i];

		if (r->proto != TG_PROTO_ICMP && !is_other(r->final) &&
		    r->flows < f->conf.min_service_flows)
			fold_raw(f, r);
		g[add_group(g, &n, r->final, r->proto)].flows += r->flows;
	}
	while (n > TG_MODEL_MAX_SERVICES)
		fold_smallest(f, g, &n);
	qsort(g, n, sizeof(*g), compare_groups);
	for (uint32_t i = 0; i < f->n_raw; i++)
		f->raw[i].service = find_group(g, n, f->raw[i].final,
					       f->raw[i].proto);
	for (size_t i = 0; i < f->n_flows; i++)
		f->flows[i].service = f->raw[f->flows[i].raw].service;
	*n_groups = n;
	return g;
}

/* The payload synthesizer of a service class (docs/services.md). */
static uint8_t
payload_kind(const char *name, uint8_t proto)
{
	static const char *const tls[] = { "tls", "imaps", "pop3s", "smtps" };
	/* Mail, logging and LAN services; mDNS and LLMNR are DNS messages
	 * on ports of their own. */
	static const struct {
		const char *name;
		uint8_t proto;
		uint8_t kind;
	} more[] = {
		{ "smtp", TG_PROTO_TCP, TG_PAYLOAD_SMTP },
		{ "syslog", TG_PROTO_UDP, TG_PAYLOAD_SYSLOG },
		{ "netbios", TG_PROTO_UDP, TG_PAYLOAD_NBNS },
		{ "netbios", TG_PROTO_TCP, TG_PAYLOAD_NBSS },
		{ "netbios-tcp", TG_PROTO_TCP, TG_PAYLOAD_NBSS },
		{ "smb", TG_PROTO_TCP, TG_PAYLOAD_SMB },
		{ "dhcp", TG_PROTO_UDP, TG_PAYLOAD_DHCP },
		{ "snmp", TG_PROTO_UDP, TG_PAYLOAD_SNMP },
		{ "mdns", TG_PROTO_UDP, TG_PAYLOAD_DNS },
		{ "llmnr", TG_PROTO_UDP, TG_PAYLOAD_DNS },
	};

	if (proto == TG_PROTO_ICMP)
		return TG_PAYLOAD_ZERO;
	if (strcmp(name, "http") == 0)
		return TG_PAYLOAD_HTTP;
	/* DNS over TCP frames each message with its length. */
	if (strcmp(name, "dns") == 0)
		return proto == TG_PROTO_UDP ? TG_PAYLOAD_DNS
					     : TG_PAYLOAD_DNS_TCP;
	if (strcmp(name, "dns-tcp") == 0)
		return TG_PAYLOAD_DNS_TCP;
	for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++)
		if (strcmp(name, tls[i]) == 0 && proto == TG_PROTO_TCP)
			return TG_PAYLOAD_TLS;
	if (strcmp(name, "ssh") == 0 && proto == TG_PROTO_TCP)
		return TG_PAYLOAD_SSH;
	if (strcmp(name, "ntp") == 0 && proto == TG_PROTO_UDP)
		return TG_PAYLOAD_NTP;
	if (strcmp(name, "quic") == 0 && proto == TG_PROTO_UDP)
		return TG_PAYLOAD_QUIC;
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		if (strcmp(name, more[i].name) == 0 && proto == more[i].proto)
			return more[i].kind;
	return TG_PAYLOAD_RANDOM;
}

/* --- Ports --------------------------------------------------------------- */

/* Exact ports below 1024, the bins of tg_port_bin above. */
static int
fit_server_ports(const struct fit_run *run, const uint32_t *idx, size_t n,
		 struct tg_hist *h)
{
	uint32_t *lo = malloc(TG_PORT_BINS * sizeof(*lo));
	uint32_t *hi = malloc(TG_PORT_BINS * sizeof(*hi));
	double *w = calloc(TG_PORT_BINS, sizeof(*w));
	uint32_t nb = 0;
	int rc = -1;

	if (lo == NULL || hi == NULL || w == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		w[tg_port_bin(run->f->flows[idx[i]].server_port)]++;
	for (unsigned b = 0; b < TG_PORT_BINS; b++) {
		uint16_t first, last;

		if (w[b] == 0 || tg_port_bin_range(b, &first, &last) != 0)
			continue;
		lo[nb] = first;
		hi[nb] = last;
		w[nb++] = w[b];	/* nb <= b: no entry is read twice */
	}
	rc = hist_make(h, nb, lo, hi, w);
out:
	free(lo), free(hi), free(w);
	return rc;
}

/* The client's OS source-port ranges (docs/services.md), lowest first;
 * a client port below 1024 counts as unknown. */
static const struct {
	enum tg_client_ports kind;
	uint16_t lo;
	uint16_t hi;
} client_ranges[TG_CPORTS_KINDS] = {
	{ TG_CPORTS_LEGACY, 1024, 5000 },
	{ TG_CPORTS_UNKNOWN, 5001, 32767 },
	{ TG_CPORTS_LINUX, 32768, 49151 },
	{ TG_CPORTS_LINUX_OR_IANA, 49152, 60999 },
	{ TG_CPORTS_IANA, 61000, 65535 },
};

static int
fit_client_ports(const struct fit_run *run, const uint32_t *idx, size_t n,
		 struct tg_hist *h)
{
	double count[TG_CPORTS_KINDS] = { 0 }, w[TG_CPORTS_KINDS];
	uint32_t lo[TG_CPORTS_KINDS], hi[TG_CPORTS_KINDS], nb = 0;

	for (size_t i = 0; i < n; i++)
		count[tg_client_ports(run->f->flows[idx[i]].client_port)]++;
	for (unsigned r = 0; r < TG_CPORTS_KINDS; r++) {
		if (count[client_ranges[r].kind] == 0)
			continue;
		lo[nb] = client_ranges[r].lo;
		hi[nb] = client_ranges[r].hi;
		w[nb++] = count[client_ranges[r].kind];
	}
	return hist_make(h, nb, lo, hi, w);
}

/* --- Header fields ------------------------------------------------------- */

enum field { F_TTL, F_TOS, F_IPID, F_MSS, F_WSCALE, F_WINDOW };

/* The values of `field` on side `dir` of the flows that show it. IP ids
 * only exist in IPv4; TCP options only in a SYN or SYN-ACK. */
static size_t
collect(const struct fit_run *run, const uint32_t *idx, size_t n,
	unsigned dir, enum field field, uint32_t *out)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct fit_flow *ff = &run->f->flows[idx[i]];
		const struct fit_side *s = &ff->side[dir];
		const struct fit_offer *o = &ff->offer[dir];

		switch (field) {
		case F_TTL:	/* a TTL of 0 is never sent */
			if (s->seen)
				out[m++] = clamp(s->ttl, MIN_TTL, UINT8_MAX);
			break;
		case F_TOS:
			if (s->seen)
				out[m++] = s->tos;
			break;
		case F_IPID:
			if (s->seen && !ff->ipv6)
				out[m++] = s->ipid;
			break;
		case F_MSS:
			if (o->seen && o->has_mss)
				out[m++] = clamp(o->mss, MIN_MSS, UINT16_MAX);
			break;
		case F_WSCALE:
			if (o->seen && o->wscale >= 0)
				out[m++] = clamp((uint32_t)o->wscale, 0,
						 MAX_WSCALE);
			break;
		case F_WINDOW:
			if (o->seen)
				out[m++] = o->window;
			break;

		}
	}
	return m;
}

/* The window fields a side sent after the handshake, each flow's median
 * counted once per packet behind it: the engine draws one per flow, and
 * a window is seen once per packet, so a long flow's window must weigh
 * as much as its packets do. No data: no table (the engine keeps the
 * SYN's window). */
static int
fit_data_window(const struct fit_run *run, const uint32_t *idx, size_t n,
		unsigned dir, struct tg_hist *h)
{
	const struct fit_flow *fl = run->f->flows;
	size_t total = 0, m = 0;
	uint32_t *v;
	int rc;

	for (size_t i = 0; i < n; i++)
		total += fl[idx[i]].data_window[dir] ? fl[idx[i]].window_pkts[dir]
						     : 0;
	if (total == 0)
		return 0;
	if ((v = malloc(total * sizeof(*v))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; fl[idx[i]].data_window[dir] &&
				     k < fl[idx[i]].window_pkts[dir]; k++)
			v[m++] = fl[idx[i]].data_window[dir];
	rc = tg_fit_hist(h, v, m, 0);
	free(v);
	return rc;
}

/* DF and the TCP option shares; without data, what a current Linux does
 * (DF on TCP, every option offered). A server may only echo window
 * scaling, SACK and timestamps when the client's SYN offered them (RFC
 * 7323, 2018), and the engine asks it only then: its shares of those are
 * over the SYN-ACKs answering a SYN that offered the option. */
static void
fit_shares(const struct fit_run *run, const uint32_t *idx, size_t n,
	   unsigned dir, bool tcp, struct tg_side_model *sm)
{
	double v4 = 0, df = 0, offers = 0, mss = 0, ws = 0, sack = 0, ts = 0;
	double asked_ws = 0, asked_sack = 0, asked_ts = 0;
	bool server = dir == TG_DIR_S2C;

	for (size_t i = 0; i < n; i++) {
		const struct fit_flow *ff = &run->f->flows[idx[i]];
		const struct fit_side *s = &ff->side[dir];
		const struct fit_offer *o = &ff->offer[dir];

		if (s->seen && !ff->ipv6) {
			v4++;
			df += s->df;
		}
		const struct fit_offer *syn = &ff->offer[TG_DIR_C2S];
		bool asked = o->seen && (!server || syn->seen);

		if (o->seen) {
			offers++;
			mss += o->has_mss;
		}
		if (asked && (!server || syn->wscale >= 0)) {
			asked_ws++;
			ws += o->wscale >= 0;
		}
		if (asked && (!server || syn->sack)) {
			asked_sack++;
			sack += o->sack;
		}
		if (asked && (!server || syn->ts)) {
			asked_ts++;
			ts += o->ts;
		}
	}
	double dflt = tcp ? 1 : 0;

	sm->df = tg_fit_share(df, v4, dflt);
	sm->mss_share = tg_fit_share(mss, offers, dflt);
	sm->wscale_share = tg_fit_share(ws, asked_ws, dflt);
	sm->sack = tg_fit_share(sack, asked_sack, dflt);
	sm->timestamps = tg_fit_share(ts, asked_ts, dflt);
}

static int
fit_side(const struct fit_run *run, const uint32_t *idx, size_t n,
	 unsigned dir, bool tcp, struct tg_side_model *sm)
{
	uint32_t *v = run->ubuf;

	fit_shares(run, idx, n, dir, tcp, sm);
	if (tg_fit_hist(&sm->ttl, v, collect(run, idx, n, dir, F_TTL, v),
			DEFAULT_TTL) ||
	    tg_fit_hist(&sm->tos, v, collect(run, idx, n, dir, F_TOS, v),
			DEFAULT_TOS) ||
	    tg_fit_hist(&sm->ipid, v, collect(run, idx, n, dir, F_IPID, v),
			TG_IPID_INCREMENT) ||
	    tg_fit_hist(&sm->mss, v, collect(run, idx, n, dir, F_MSS, v),
			DEFAULT_MSS) ||
	    tg_fit_hist(&sm->wscale, v,
			collect(run, idx, n, dir, F_WSCALE, v),
			DEFAULT_WSCALE) ||
	    tg_fit_hist(&sm->window, v,
			collect(run, idx, n, dir, F_WINDOW, v),
			DEFAULT_WINDOW))
		return -1;
	return fit_data_window(run, idx, n, dir, &sm->data_window);
}

/* The sides of a service. The client side is that of the connections
 * that open; the client side of those that never do (a scanner's bare
 * SYN, a client whose every SYN was lost) is a table of its own,
 * `unopened`, fitted where there are any: mixed, a scan's SYNs without
 * options would make the engine negotiate window scaling in too few of
 * the connections that carry the data. */
static int
fit_sides(const struct fit_run *run, const uint32_t *idx, size_t n, bool tcp,
	  struct tg_fitted_service *s)
{
	uint32_t *part = malloc((n ? n : 1) * sizeof(*part));
	size_t opened = 0, failed = n;
	int rc = -1;

	if (part == NULL)
		return -1;
	/* Opened connections from the front, the others from the back. */
	for (size_t k = 0; k < n; k++) {
		if (run->f->flows[idx[k]].syn_fate == TG_SYN_ANSWERED)
			part[opened++] = idx[k];
		else
			part[--failed] = idx[k];
	}
	if (fit_side(run, part, opened, TG_DIR_C2S, tcp,
		     &s->side[TG_DIR_C2S]) ||
	    fit_side(run, idx, n, TG_DIR_S2C, tcp, &s->side[TG_DIR_S2C]) ||
	    (failed < n && fit_side(run, part + failed, n - failed,
				    TG_DIR_C2S, tcp, &s->unopened)))
		goto out;
	rc = 0;
out:
	free(part);
	return rc;
}

/* --- Mixtures ------------------------------------------------------------ */

/* Fit 1, 2, ... components and keep the lowest BIC, up to k_max but no
 * more than the data carry (one component per MIN_PER_COMPONENT
 * samples), and stop at the first k that does not improve on k - 1: a
 * redundant component makes EM crawl for hundreds of iterations and
 * almost never wins at k + 1. */
static int
fit_components(const struct tg_fitter *f, const double *x, size_t n,
	       struct tg_lnmix *out)
{
	size_t k_max = n / MIN_PER_COMPONENT;
	double best = INFINITY;

	if (k_max < 1)
		k_max = 1;
	if (k_max > f->conf.k_max)
		k_max = f->conf.k_max;
	for (unsigned k = 1; k <= k_max; k++) {
		struct tg_lnmix m;
		struct tg_lnmix_fit_info info;

		if (tg_lnmix_fit(x, n, k, &m, &info) != 0)
			return -1;
		if (!(info.bic < best))
			break;
		best = info.bic;
		*out = m;
	}
	return 0;
}

/* A mixture of the n values x[]; no values: the default. More than
 * MAX_FIT_SAMPLES values are thinned evenly first, so one fit costs the
 * same on any amount of traffic (a standard error of sigma / 141 is
 * plenty for a generator). */
int
tg_fit_mix(const struct tg_fitter *f, const double *x, size_t n,
	   const struct tg_lnmix *dflt, struct tg_lnmix *out)
{
	double *thin;
	int rc;

	if (n == 0) {
		*out = *dflt;
		return 0;
	}
	if (n <= MAX_FIT_SAMPLES)
		return fit_components(f, x, n, out);
	thin = malloc(MAX_FIT_SAMPLES * sizeof(*thin));
	if (thin == NULL)
		return -1;
	for (size_t i = 0; i < MAX_FIT_SAMPLES; i++)
		thin[i] = x[i * n / MAX_FIT_SAMPLES];
	rc = fit_components(f, thin, MAX_FIT_SAMPLES, out);
	free(thin);
	return rc;
}

static int
fit_handshake(const struct fit_run *run, const uint32_t *idx, size_t n,
	      struct tg_fitted_service *s)
{
	const struct fit_flow *fl = run->f->flows;
	double *x = run->dbuf;
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (fl[idx[i]].has_rtt)
			x[m++] = tg_fit_seconds(fl[idx[i]].rtt_ns);
	if (tg_fit_mix(run->f, x, m, &default_rtt, &s->rtt))
		return -1;
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (fl[idx[i]].has_ack_delay)
			x[m++] = tg_fit_seconds(fl[idx[i]].ack_delay_ns);
	return tg_fit_mix(run->f, x, m, &default_ack_delay, &s->ack_delay);
}

/* --- One service --------------------------------------------------------- */

/* The shares of the service's flows whose SYN went unanswered or was
 * refused; the engine plays them as such (docs/model.md). */
static void
fit_syn_fates(const struct fit_run *run, const uint32_t *idx, size_t n,
	      struct tg_fitted_service *s)
{
	double fate[TG_SYN_REFUSED + 1] = { 0 };

	for (size_t k = 0; k < n; k++)
		fate[run->f->flows[idx[k]].syn_fate]++;
	s->unanswered = fate[TG_SYN_UNANSWERED] / (double)n;
	s->refused = fate[TG_SYN_REFUSED] / (double)n;
}

static int
fit_service(const struct fit_run *run, const struct group *g, uint32_t i)
{
	struct tg_fitted_service *s = &run->m->fit.services[i];
	const uint32_t *idx = run->by_service + run->first[i];
	size_t n = run->first[i + 1] - run->first[i];
	double v6 = 0;

	snprintf(s->name, sizeof(s->name), "%s", g->name);
	s->proto = g->proto;
	s->payload = payload_kind(g->name, g->proto);
	s->flows = n;
	s->share = (double)n / (double)run->f->n_flows;
	for (size_t k = 0; k < n; k++)
		v6 += run->f->flows[idx[k]].ipv6;
	s->ipv6 = v6 / (double)n;
	fit_syn_fates(run, idx, n, s);
	if (fit_server_ports(run, idx, n, &s->server_port) ||
	    fit_client_ports(run, idx, n, &s->client_port))
		return -1;
	if (fit_sides(run, idx, n, g->proto == TG_PROTO_TCP, s))
		return -1;
	if (fit_handshake(run, idx, n, s))
		return -1;
	return tg_fit_automaton(run, idx, n, &s->automaton);
}

/* --- Putting it together ------------------------------------------------- */

struct time_key {
	uint32_t file;
	uint64_t first_ns;
	uint64_t order;
	uint32_t flow;
};

static int
compare_time_keys(const void *a, const void *b)
{
	const struct time_key *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->first_ns != y->first_ns)
		return x->first_ns < y->first_ns ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

/* Flows by service (counting sort, flow order kept) and by file and
 * start time, and the scratch buffers. */
static int
prepare(struct fit_run *run)
{
	const struct tg_fitter *f = run->f;
	size_t n = f->n_flows;
	struct time_key *tk = malloc(n * sizeof(*tk));

	run->by_service = malloc(n * sizeof(*run->by_service));
	run->first = calloc(run->n_services + 1, sizeof(*run->first));
	run->by_time = malloc(n * sizeof(*run->by_time));
	run->ubuf = malloc(n * sizeof(*run->ubuf));
	run->dbuf = malloc(n * sizeof(*run->dbuf));
	if (!tk || !run->by_service || !run->first || !run->by_time ||
	    !run->ubuf || !run->dbuf) {
		free(tk);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		run->first[f->flows[i].service + 1]++;
	for (uint32_t s = 0; s < run->n_services; s++)
		run->first[s + 1] += run->first[s];
	for (size_t i = 0; i < n; i++)
		run->ubuf[i] = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t s = f->flows[i].service;

		run->by_service[run->first[s] + run->ubuf[s]++] = (uint32_t)i;
	}
	for (size_t i = 0; i < n; i++) {
		const struct fit_flow *ff = &f->flows[i];

		tk[i] = (struct time_key){ ff->file, ff->first_ns, ff->order,
					   (uint32_t)i };
	}
	qsort(tk, n, sizeof(*tk), compare_time_keys);
	for (size_t i = 0; i < n; i++)
		run->by_time[i] = tk[i].flow;
	free(tk);
	return 0;
}

static void
release(struct fit_run *run)
{
	free(run->by_service);
	free(run->first);
	free(run->by_time);
	free(run->ubuf);
	free(run->dbuf);
}

static uint32_t
count_files(const struct fit_run *run)
{
	uint32_t files = 0;

	for (size_t i = 0; i < run->f->n_flows; i++)
		files += i == 0 || run->f->flows[run->by_time[i]].file !=
				   run->f->flows[run->by_time[i - 1]].file;
	return files;
}

static void
fill_provenance(const struct fit_run *run)
{
	struct tg_provenance *p = &run->m->fit.prov;
	const struct tg_fit_stats *st = &run->f->stats;

	snprintf(p->tool, sizeof(p->tool), "tempogen-fit%s%s",
		 *TG_FIT_VERSION ? " " : "", TG_FIT_VERSION);
	snprintf(p->source, sizeof(p->source), "%s", run->f->conf.source);
	p->files = count_files(run);
	p->packets = run->f->packets_seen;
	p->packets_used = st->packets_used;
	p->flows = st->flows;
	p->flows_used = st->flows_used;
}

static int
fit_model(struct fit_run *run)
{
	struct tg_model *m = run->m;
	struct group *g = assign_services(run->f, &run->n_services);
	int rc = -1;

	if (g == NULL || prepare(run))
		goto out;
	m->kind = TG_MODEL_FITTED;
	snprintf(m->name, sizeof(m->name), "%s", run->f->conf.name);
	m->fit.services = calloc(run->n_services, sizeof(*m->fit.services));
	if (m->fit.services == NULL)
		goto out;
	m->n_services = run->n_services;
	for (uint32_t i = 0; i < run->n_services; i++)
		if (fit_service(run, &g[i], i))
			goto out;
	if (tg_fit_dns(run) || tg_fit_arrivals(run) || tg_fit_hosts(run))
		goto out;
	fill_provenance(run);
	rc = 0;
out:
	free(g);
	return rc;
}

int
tg_fit_finish(struct tg_fitter *f, struct tg_model *out,
	      struct tg_fit_stats *stats, char *err, size_t errlen)
{
	struct fit_run run = { .f = f, .m = out };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (f->finished)
		snprintf(err, errlen, "the fitter has finished already");
	else if (f->failed)
		snprintf(err, errlen, "out of memory while reading flows");
	else if (f->n_flows == 0)
		snprintf(err, errlen, "no TCP, UDP or ICMP echo flows to fit "
			 "(%llu flows seen)",
			 (unsigned long long)f->stats.flows);
	else if (fit_model(&run))
		snprintf(err, errlen, "out of memory while fitting");
	else
		rc = tg_model_check(out, err, errlen);
	release(&run);
	f->finished = true;
	f->stats.services = out->n_services;
	if (stats)
		*stats = f->stats;
	if (rc != 0)
		tg_model_free(out);
	return rc;
}

/* --- Summary ------------------------------------------------------------- */

/* The median of a mixture: bisection of its CDF on the log scale. */
static double
lnmix_median(const struct tg_lnmix *m)
{
	double lo = INFINITY, hi = -INFINITY, total = 0;

	for (unsigned j = 0; j < m->k; j++) {
		lo = fmin(lo, m->mu[j] - 10 * m->sigma[j]);
		hi = fmax(hi, m->mu[j] + 10 * m->sigma[j]);
		total += m->weight[j];
	}
	if (m->k == 0 || !(total > 0))
		return NAN;
	for (int it = 0; it < 100; it++) {
		double mid = 0.5 * (lo + hi), cdf = 0;

		for (unsigned j = 0; j < m->k; j++)
			cdf += m->weight[j] / total * 0.5 *
			       erfc((m->mu[j] - mid) / (m->sigma[j] * M_SQRT2));
		if (cdf < 0.5)
			lo = mid;
		else
			hi = mid;
	}
	return exp(0.5 * (lo + hi));
}

static const char *
proto_name(uint8_t proto)
{
	switch (proto) {
	case TG_PROTO_TCP:
		return "tcp";
	case TG_PROTO_UDP:
		return "udp";
	case TG_PROTO_ICMP:
		return "icmp";
	}
	return "?";
}

/* The most likely bin of a histogram: "443" or "1024-4999". */
static void
top_bin(const struct tg_hist *h, char *buf, size_t len)
{
	uint32_t best = 0;

	if (h->n == 0) {
		snprintf(buf, len, "-");
		return;
	}
	for (uint32_t i = 1; i < h->n; i++)
		if (h->p[i] > h->p[best])
			best = i;
	if (h->lo[best] == h->hi[best])
		snprintf(buf, len, "%u", h->lo[best]);
	else
		snprintf(buf, len, "%u-%u", h->lo[best], h->hi[best]);
}

void
tg_fit_summary(const struct tg_model *model, FILE *out)
{
	const struct tg_fitted *fit = &model->fit;
	const struct tg_arrivals *ar = &fit->arrivals;
	const struct tg_hosts_model *h = &fit->hosts;

	fprintf(out, "model \"%s\": %u services\n", model->name,
		model->n_services);
	fprintf(out, "%-16s %-5s %8s %7s %5s %11s %6s %5s %9s\n", "service",
		"proto", "flows", "share", "ipv6", "top port", "states",
		"syms", "rtt(ms)");
	for (uint32_t i = 0; i < model->n_services; i++) {
		const struct tg_fitted_service *s = &fit->services[i];
		char port[24], rtt[24] = "-";

		top_bin(&s->server_port, port, sizeof(port));
		if (s->proto == TG_PROTO_TCP)
			snprintf(rtt, sizeof(rtt), "%.3g",
				 1e3 * lnmix_median(&s->rtt));
		fprintf(out, "%-16s %-5s %8llu %7.4f %5.2f %11s %6u %5u %9s\n",
			s->name, proto_name(s->proto),
			(unsigned long long)s->flows, s->share, s->ipv6, port,
			s->automaton.n_states, s->automaton.n_syms, rtt);
	}
	fprintf(out, "arrivals: median gap %.3g ms (%u components); time of "
		"day: %s\n", 1e3 * lnmix_median(&ar->gap), ar->gap.k,
		ar->tod_bucket_hours < 24 ? "by 6-hour bucket" : "flat");
	fprintf(out, "hosts: %llu clients (zipf %.2f), %llu servers (zipf "
		"%.2f); repeat server %.2f; internal servers %.2f\n",
		(unsigned long long)h->clients, h->client_zipf,
		(unsigned long long)h->servers, h->server_zipf,
		h->repeat_server, h->server_internal);
	fprintf(out, "dns lookups before connections: median delay %.3g ms\n",
		1e3 * lnmix_median(&fit->dns_delay));
}
