/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tg_dissected_ports.h"
#include "tg_model.h"
#include "tg_model_file.h"
#include "tg_sample.h"

#define NS_PER_SEC 1e9

/* Phases of a flow's life as the parametric model walks it. */
enum phase {
	PHASE_OPEN,
	PHASE_REQUEST,
	PHASE_RESPONSE,
	PHASE_CLOSE,
	PHASE_DONE,
};

static double
draw(struct tg_rng *rng, const struct tg_lognorm *d)
{
	return tg_sample_lognormal(rng, log(d->median), d->sigma);
}

static uint64_t
draw_ns(struct tg_rng *rng, const struct tg_lognorm *d)
{
	double ns = draw(rng, d) * NS_PER_SEC;

	/* Cap at an hour: a heavy tail must not park a flow forever. */
	return ns > 3600 * NS_PER_SEC ? (uint64_t)(3600 * NS_PER_SEC)
				       : (uint64_t)ns;
}

static uint32_t
draw_bytes(struct tg_rng *rng, const struct tg_lognorm *d, uint32_t max)
{
	double b = draw(rng, d);

	if (b < 1.0)
		return 1;
	return b > max ? max : (uint32_t)b;
}


const char *
tg_payload_kind_name(unsigned kind)
{
	return kind < TG_PAYLOAD_KINDS ? tg_model_payload_names[kind] : NULL;
}

const char *
tg_model_service_name(const struct tg_model *model, uint32_t i)
{
	if (i >= model->n_services)
		return "?";
	return model->kind == TG_MODEL_FITTED ? model->fit.services[i].name
					      : model->par.services[i].name;
}

/* Parametric: flows start independently of each other, services by
 * weight. */
static uint64_t
parametric_arrival(const struct tg_parametric *par, uint32_t n_services,
		   struct tg_rng *rng, uint16_t *service)
{
	double weights[TG_MODEL_MAX_SERVICES];

	for (uint32_t i = 0; i < n_services; i++)
		weights[i] = par->services[i].weight;
	*service = (uint16_t)tg_sample_weighted(rng, weights, n_services,
						par->total_weight);
	return draw_ns(rng, &par->arrival);
}

/* --- Fitted models: the shared draws ----------------------------------- */

/* Round trips are capped at an hour (draw_ns, lnmix_ns): a flow keeps
 * them in 42 bits. */
_Static_assert(3600ull * 1000000000ull <= TG_MODEL_MAX_RTT_NS,
	       "an hour's round trip must fit the cursor");

/* Cap of a flow's gap between two of its packets: a heavy tail must not
 * keep a flow alive for hours. */
#define FIT_MAX_STEP_GAP_NS (600 * NS_PER_SEC)
/* Cap of the gap between two flow starts. */
#define FIT_MAX_ARRIVAL_GAP_NS ((double)TG_MODEL_MAX_ARRIVAL_GAP_NS)
/* Steps of one flow; past it the flow ends as if the model said so. */
#define FIT_MAX_STEPS 100000u
_Static_assert(FIT_MAX_STEPS < 1u << 17, "steps fit the cursor's 17 bits");
/* The time-of-day rate never drops below this: a bucket without training
 * flows must slow arrivals down, not stop them. */
#define FIT_MIN_TOD_RATE (1.0 / 64)
#define SECONDS_PER_HOUR 3600.0
/* When a fitted model lacks a timing (a mixture with no component). */
#define FIT_DEFAULT_RTT_NS 25000000ull
#define FIT_DEFAULT_ACK_DELAY_NS 30000ull
#define EPHEMERAL_FIRST 32768	/* Linux ip_local_port_range */
#define EPHEMERAL_LAST 60999
#define MSS_MIN 88		/* what the model file accepts for a stack */
#define RCV_BUF_MIN 1024

/* Seconds from a mixture, as nanoseconds capped at `cap`; `dflt` when the
 * mixture is empty. */
static uint64_t
lnmix_ns(struct tg_rng *rng, const struct tg_lnmix *mix, double cap,
	 uint64_t dflt)
{
	double ns;

	if (mix->k == 0)
		return dflt;
	ns = tg_sample_lnmix(rng, mix) * NS_PER_SEC;
	if (!(ns > 0))
		return 0;
	return ns > cap ? (uint64_t)cap : (uint64_t)ns;
}

/* A value from a histogram, or `dflt` when it has no bins. */
static uint32_t
hist_or(const struct tg_hist *h, struct tg_rng *rng, uint32_t dflt)
{
	return h->n ? tg_hist_draw(h, rng) : dflt;
}

/* Draws of a server port whose dissector would misread the service's
 * payload before the last one stands. */
#define PORT_REDRAWS 16

static bool
port_fits(const struct tg_fitted_service *svc, uint32_t port)
{
	uint8_t kind = tg_payload_on_port(svc->payload, svc->proto,
					  (uint16_t)port);

	return port >= 1 && port <= UINT16_MAX &&
	       tg_payload_fits_port(kind, svc->proto, (uint16_t)port);
}

/* A fitted service's server port. The captures' unidentified traffic on a
 * port Wireshark dissects (SMUX 199, RIP 520, TFTP 69 ... in other-tcp and
 * other-udp; NetBIOS datagrams on 138 in netbios) becomes bytes of another
 * protocol here, which on that port read as a broken conversation of its
 * protocol: such a draw is drawn again, so the port's share moves to the
 * service's other ports, and a bin keeps its share on its other ports. A
 * service with no other port (ftp, telnet, kerberos: named by the fit,
 * without a synthesizer yet) keeps its own. */
static uint16_t
fitted_server_port(const struct tg_fitted_service *svc, struct tg_rng *rng)
{
	const struct tg_hist *h = &svc->server_port;
	uint32_t bin, port = 1;

	if (h->n == 0)
		return 1;
	for (int i = 0; i < PORT_REDRAWS; i++) {
		port = tg_hist_draw_bin(h, rng, &bin);
		for (int j = 0; j < PORT_REDRAWS && !port_fits(svc, port) &&
				h->hi[bin] > h->lo[bin];
		     j++)
			port = tg_hist_draw_in(h, rng, bin);
		if (port_fits(svc, port))
			break;
	}
	return (uint16_t)(port < 1 ? 1 : port > UINT16_MAX ? UINT16_MAX : port);
}

static uint32_t
clamp_u32(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

double
tg_model_tod_rate(const struct tg_arrivals *arr, double hour)
{
	uint32_t bucket;

	if (arr->tod_bucket_hours == 0 || arr->tod_bucket_hours >= 24)
		return 1.0;
	bucket = (uint32_t)hour / arr->tod_bucket_hours;
	if (bucket >= 24)
		bucket = 23;
	return arr->tod_rate[bucket] > FIT_MIN_TOD_RATE ? arr->tod_rate[bucket]
							: FIT_MIN_TOD_RATE;
}

/* The relative flow rate at model time `now_ns`. */
static double
tod_rate(const struct tg_arrivals *arr, uint64_t now_ns)
{
	return tg_model_tod_rate(arr, fmod(arr->start_hour +
						   (double)now_ns / NS_PER_SEC /
							   SECONDS_PER_HOUR,
					   24.0));
}

/* The first flow of a worker: by the services' shares. Once per worker,
 * so a linear scan is fine. */
static uint16_t
first_service(const struct tg_model *model, struct tg_rng *rng)
{
	double shares[TG_MODEL_MAX_SERVICES], total = 0;
	uint32_t n = model->n_services < TG_MODEL_MAX_SERVICES
			     ? model->n_services : TG_MODEL_MAX_SERVICES;

	for (uint32_t i = 0; i < n; i++) {
		shares[i] = model->fit.services[i].share > 0
				    ? model->fit.services[i].share : 0;
		total += shares[i];
	}
	if (!(total > 0))
		return (uint16_t)tg_rng_below(rng, n);
	return (uint16_t)tg_sample_weighted(rng, shares, n, total);
}

/* Fitted: the gap and the next service both depend on the previous
 * flow's service (a marked point process), the rate on the hour. */
static uint64_t
fitted_arrival(const struct tg_model *model, struct tg_rng *rng,
	       uint64_t now_ns, struct tg_arrival_state *st,
	       uint16_t *service)
{
	const struct tg_arrivals *arr = &model->fit.arrivals;
	uint16_t prev = st->prev_service;
	const struct tg_lnmix *gap = &arr->gap;
	double ns;

	if (prev < model->n_services && arr->has_gap_after != NULL &&
	    arr->has_gap_after[prev])
		gap = &arr->gap_after[prev];
	ns = gap->k ? tg_sample_lnmix(rng, gap) * NS_PER_SEC : NS_PER_SEC;
	ns /= tod_rate(arr, now_ns);
	if (!(ns > 1))
		ns = 1;		/* flows of a worker start one at a time */
	if (ns > FIT_MAX_ARRIVAL_GAP_NS)
		ns = FIT_MAX_ARRIVAL_GAP_NS;

	if (prev < model->n_services && arr->next_alias != NULL &&
	    arr->next_alias[prev].n == model->n_services)
		*service = (uint16_t)tg_alias_draw(&arr->next_alias[prev], rng);
	else
		*service = first_service(model, rng);
	st->prev_service = *service;
	return (uint64_t)ns;
}

uint64_t
tg_model_next_arrival(const struct tg_model *model, struct tg_rng *rng,
		      uint64_t now_ns, struct tg_arrival_state *st,
		      uint16_t *service)
{
	if (model->kind == TG_MODEL_FITTED)
		return fitted_arrival(model, rng, now_ns, st, service);
	return parametric_arrival(&model->par, model->n_services, rng,
				  service);
}

static void
stack_endpoint(const struct tg_stack *s, struct tg_rng *rng,
	       struct tg_tcp_endpoint *ep)
{
	ep->isn = (uint32_t)tg_rng_next(rng);
	ep->ts_base = (uint32_t)tg_rng_next(rng);
	ep->mss = s->mss;
	ep->wscale = s->wscale;
	ep->sack_perm = s->sack;
	ep->timestamps = s->timestamps;
	ep->rcv_buf = s->rcv_buf;
}

/* The server's TTL as seen at the capture point, some hops away; a model
 * TTL smaller than the hops still arrives as 1, never 0 or wrapped. */
#define SERVER_HOPS_MIN 4
#define SERVER_HOPS_SPAN 16

static uint8_t
server_ttl(uint8_t initial, struct tg_rng *rng)
{
	uint32_t hops = SERVER_HOPS_MIN + tg_rng_below(rng, SERVER_HOPS_SPAN);

	return (uint8_t)(initial > hops ? initial - hops : 1);
}

static void
parametric_flow_new(const struct tg_model *model, struct tg_rng *rng,
		    uint16_t service, struct tg_flow_desc *desc,
		    struct tg_flow_cursor *cursor)
{
	const struct tg_parametric *par = &model->par;
	uint32_t i = service < model->n_services ? service : 0;
	const struct tg_service *svc = &par->services[i];

	memset(desc, 0, sizeof(*desc));
	desc->service = (uint16_t)i;
	desc->proto = svc->proto;
	desc->payload = svc->payload;
	desc->ip_version = 4;
	desc->server_port = svc->port;
	desc->client_port_lo = EPHEMERAL_FIRST;
	desc->client_port_hi = EPHEMERAL_LAST;
	desc->ttl[TG_DIR_C2S] = par->client.ttl;
	desc->ttl[TG_DIR_S2C] = server_ttl(par->server.ttl, rng);
	desc->df[TG_DIR_C2S] = desc->df[TG_DIR_S2C] = svc->proto == TG_PROTO_TCP;
	desc->ipid[TG_DIR_C2S] = desc->ipid[TG_DIR_S2C] = TG_IPID_INCREMENT;
	if (svc->proto == TG_PROTO_TCP) {
		stack_endpoint(&par->client, rng, &desc->client_tcp);
		stack_endpoint(&par->server, rng, &desc->server_tcp);
	}

	memset(cursor, 0, sizeof(*cursor));
	cursor->service = (uint16_t)i;
	cursor->rtt_ns = draw_ns(rng, &par->rtt);
	cursor->exchanges_left = tg_sample_geometric(rng, svc->exchanges);
	cursor->phase = svc->proto == TG_PROTO_TCP ? PHASE_OPEN
						   : PHASE_REQUEST;
	cursor->reset = tg_rng_uniform(rng) < svc->reset_share;
	cursor->closer = tg_rng_uniform(rng) < svc->server_close_share
				 ? TG_DIR_S2C : TG_DIR_C2S;
}

/* The largest message a step asks for; the engine segments it. */
#define MAX_MESSAGE (16u << 20)
/* UDP and ICMP messages are single datagrams. */
#define MAX_DATAGRAM 1400u

static void
set_step(struct tg_step *step, enum tg_dir dir, enum tg_intent intent,
	 uint32_t bytes, uint64_t gap_ns)
{
	step->dir = (uint8_t)dir;
	step->intent = (uint8_t)intent;
	step->bytes = bytes;
	step->gap_ns = gap_ns;
}

static bool
parametric_flow_step(const struct tg_model *model,
		     struct tg_flow_cursor *cursor, struct tg_rng *rng,
		     struct tg_step *step)
{
	const struct tg_service *svc = &model->par.services[cursor->service];
	uint32_t max = svc->proto == TG_PROTO_TCP ? MAX_MESSAGE : MAX_DATAGRAM;

	switch (cursor->phase) {
	case PHASE_OPEN:
		set_step(step, TG_DIR_C2S, TG_INTENT_OPEN, 0, 0);
		cursor->phase = PHASE_REQUEST;
		return true;
	case PHASE_REQUEST:
		set_step(step, TG_DIR_C2S, TG_INTENT_DATA,
			 draw_bytes(rng, &svc->request, max),
			 cursor->requested ? draw_ns(rng, &svc->think) : 0);
		cursor->requested = true;
		cursor->phase = PHASE_RESPONSE;
		return true;
	case PHASE_RESPONSE:
		set_step(step, TG_DIR_S2C, TG_INTENT_DATA,
			 draw_bytes(rng, &svc->response, max),
			 cursor->rtt_ns + draw_ns(rng, &svc->server_time));
		if (--cursor->exchanges_left > 0)
			cursor->phase = PHASE_REQUEST;
		else
			cursor->phase = svc->proto == TG_PROTO_TCP
						? PHASE_CLOSE : PHASE_DONE;
		return true;
	case PHASE_CLOSE:
		set_step(step, (enum tg_dir)cursor->closer,
			 cursor->reset ? TG_INTENT_RESET : TG_INTENT_CLOSE, 0,
			 draw_ns(rng, &svc->think));
		cursor->phase = PHASE_DONE;
		return true;
	default:
		return false;
	}
}

/* --- Fitted models: a new flow ------------------------------------------ */

/* What one side's SYN (client) or SYN-ACK (server) offers. */
static void
fitted_endpoint(const struct tg_side_model *sm, struct tg_rng *rng,
		struct tg_tcp_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->isn = (uint32_t)tg_rng_next(rng);
	ep->ts_base = (uint32_t)tg_rng_next(rng);
	ep->mss = 0;
	if (tg_rng_uniform(rng) < sm->mss_share)
		ep->mss = (uint16_t)clamp_u32(hist_or(&sm->mss, rng, 1460),
					      MSS_MIN, UINT16_MAX);
	ep->wscale = -1;
	if (tg_rng_uniform(rng) < sm->wscale_share)
		ep->wscale = (int8_t)clamp_u32(hist_or(&sm->wscale, rng, 7),
					       0, 14);
	ep->sack_perm = tg_rng_uniform(rng) < sm->sack;
	ep->timestamps = tg_rng_uniform(rng) < sm->timestamps;
	/* The SYN's window is unscaled: what the stack starts with, and the
	 * buffer behind the windows it advertises later. */
	ep->rcv_buf = clamp_u32(hist_or(&sm->window, rng, 65535), RCV_BUF_MIN,
				1u << 30);
	if (sm->data_window.n)
		ep->data_window = (uint16_t)clamp_u32(
			hist_or(&sm->data_window, rng, 0), 1, UINT16_MAX);
}

static void
fitted_side(const struct tg_side_model *sm, struct tg_rng *rng,
	    struct tg_flow_desc *desc, enum tg_dir dir)
{
	uint32_t ipid = hist_or(&sm->ipid, rng, TG_IPID_INCREMENT);

	desc->ttl[dir] = (uint8_t)clamp_u32(hist_or(&sm->ttl, rng, 64), 1, 255);
	desc->tos[dir] = (uint8_t)hist_or(&sm->tos, rng, 0);
	desc->df[dir] = tg_rng_uniform(rng) < sm->df;
	desc->ipid[dir] = (uint8_t)(ipid < TG_IPID_MODES ? ipid
							  : TG_IPID_INCREMENT);
}

/* The client's source-port range: a bin of the service's client-port
 * histogram (the bins are the port ranges of client OSes). */
static void
fitted_client_ports(const struct tg_hist *h, struct tg_rng *rng,
		    struct tg_flow_desc *desc)
{
	uint32_t i;

	desc->client_port_lo = EPHEMERAL_FIRST;
	desc->client_port_hi = EPHEMERAL_LAST;
	if (h->n == 0)
		return;
	i = tg_alias_draw(&h->alias, rng);
	if (h->lo[i] > UINT16_MAX)
		return;
	desc->client_port_lo = (uint16_t)clamp_u32(h->lo[i], 1, UINT16_MAX);
	desc->client_port_hi = (uint16_t)clamp_u32(h->hi[i],
						   desc->client_port_lo,
						   UINT16_MAX);
}

/* Whether a TCP connection opens. No draw when the service's connections
 * always open, so models without failures draw as they always did. */
static uint8_t
fitted_syn_fate(const struct tg_fitted_service *svc, struct tg_rng *rng)
{
	double u;

	if (svc->proto != TG_PROTO_TCP || svc->unanswered + svc->refused <= 0)
		return TG_SYN_ANSWERED;
	u = tg_rng_uniform(rng);
	if (u < svc->unanswered)
		return TG_SYN_UNANSWERED;
	return u < svc->unanswered + svc->refused ? TG_SYN_REFUSED
						  : TG_SYN_ANSWERED;
}

static void
fitted_flow_new(const struct tg_model *model, struct tg_rng *rng,
		uint16_t service, struct tg_flow_desc *desc,
		struct tg_flow_cursor *cursor)
{
	const struct tg_fitted *fit = &model->fit;
	uint32_t i = service < model->n_services ? service : 0;
	const struct tg_fitted_service *svc = &fit->services[i];
	const double hour = SECONDS_PER_HOUR * NS_PER_SEC;
	const struct tg_side_model *client = &svc->side[TG_DIR_C2S];

	memset(desc, 0, sizeof(*desc));
	desc->service = (uint16_t)i;
	desc->proto = svc->proto;
	desc->payload = svc->payload;
	desc->ip_version = tg_rng_uniform(rng) < svc->ipv6 ? 6 : 4;
	if (svc->proto != TG_PROTO_ICMP)
		desc->server_port = fitted_server_port(svc, rng);
	fitted_client_ports(&svc->client_port, rng, desc);
	/* A connection that never opens has a client of its own kind (a
	 * scanner's bare SYN). */
	desc->syn_fate = fitted_syn_fate(svc, rng);
	if (desc->syn_fate != TG_SYN_ANSWERED && svc->unopened.ttl.n)
		client = &svc->unopened;
	fitted_side(client, rng, desc, TG_DIR_C2S);
	fitted_side(&svc->side[TG_DIR_S2C], rng, desc, TG_DIR_S2C);
	if (svc->proto == TG_PROTO_TCP) {
		fitted_endpoint(client, rng, &desc->client_tcp);
		fitted_endpoint(&svc->side[TG_DIR_S2C], rng, &desc->server_tcp);
		desc->ack_delay_ns = lnmix_ns(rng, &svc->ack_delay, hour,
					      FIT_DEFAULT_ACK_DELAY_NS);
	}
	desc->server_internal = tg_rng_uniform(rng) < fit->hosts.server_internal;
	/* A connection that never opens was not looked up first (the fit
	 * counts dns_first over the connections that opened). */
	desc->dns_first = tg_rng_uniform(rng) < svc->dns_first &&
			  desc->syn_fate == TG_SYN_ANSWERED;
	if (desc->dns_first)
		desc->dns_delay_ns = lnmix_ns(rng, &fit->dns_delay, hour, 0);

	memset(cursor, 0, sizeof(*cursor));
	cursor->service = (uint16_t)i;
	cursor->rtt_ns = svc->proto == TG_PROTO_TCP
				 ? lnmix_ns(rng, &svc->rtt, hour,
					    FIT_DEFAULT_RTT_NS)
				 : 0;
	cursor->ctx[0] = TG_SYM_START;
	cursor->ctx_len = 1;
}

void
tg_model_flow_new(const struct tg_model *model, struct tg_rng *rng,
		  uint16_t service, struct tg_flow_desc *desc,
		  struct tg_flow_cursor *cursor)
{
	if (model->kind == TG_MODEL_FITTED)
		fitted_flow_new(model, rng, service, desc, cursor);
	else
		parametric_flow_new(model, rng, service, desc, cursor);
}

/* --- Fitted models: the next packet ------------------------------------- */

/* The state of the longest context the automaton knows: the whole context
 * first, then ever shorter suffixes, finally the root. */
static const struct tg_auto_state *
fitted_state(const struct tg_automaton *a, const struct tg_flow_cursor *c)
{
	for (uint8_t len = c->ctx_len; len > 0; len--) {
		int32_t i = tg_automaton_find(a, c->ctx + (c->ctx_len - len),
					      len);

		if (i >= 0 && (uint32_t)i < a->n_states)
			return &a->states[i];
	}
	return &a->states[0];
}

/* Remember `sym` as the newest symbol, keeping the last `order`. */
static void
push_symbol(struct tg_flow_cursor *c, uint8_t order, uint16_t sym)
{
	if (order == 0 || order > TG_AUTO_MAX_ORDER)
		order = TG_AUTO_MAX_ORDER;
	if (c->ctx_len >= order) {
		memmove(c->ctx, c->ctx + 1,
			(size_t)(order - 1) * sizeof(c->ctx[0]));
		c->ctx_len = (uint8_t)(order - 1);
	}
	c->ctx[c->ctx_len++] = sym;
}

/* Payload bytes of transition `t` of state `st`: from its size histogram,
 * else the lower bound of the symbol's bucket. */
static uint32_t
fitted_bytes(const struct tg_automaton *a, const struct tg_auto_state *st,
	     uint32_t t, const struct tg_sym *sym, struct tg_rng *rng)
{
	uint32_t bucket = sym->bucket < TG_SIZE_BUCKETS ? sym->bucket : 0;

	if (st->size != NULL && st->size[t] < a->n_sizes &&
	    a->sizes[st->size[t]].n > 0)
		return tg_hist_draw(&a->sizes[st->size[t]], rng);
	return tg_size_bucket_lo[bucket];
}

static bool
fitted_flow_step(const struct tg_model *model, struct tg_flow_cursor *cursor,
		 struct tg_rng *rng, struct tg_step *step)
{
	const struct tg_automaton *a =
		&model->fit.services[cursor->service].automaton;
	const struct tg_auto_state *st;
	const struct tg_sym *sym;
	uint32_t t;
	uint16_t s;

	if (a->n_states == 0 || cursor->steps >= FIT_MAX_STEPS)
		return false;
	cursor->steps++;
	st = fitted_state(a, cursor);
	if (st->alias.n == 0)
		return false;
	t = tg_alias_draw(&st->alias, rng);
	if (t >= st->n_next)
		return false;		/* the outcome "end" */
	s = st->next[t];
	if (s == TG_SYM_START || s >= a->n_syms)
		return false;		/* never produced by a checked model */
	sym = &a->syms[s];

	step->dir = sym->dir == TG_DIR_S2C ? TG_DIR_S2C : TG_DIR_C2S;
	step->bytes = 0;
	switch (sym->cls) {
	case TG_SC_ACK:
		step->intent = sym->bucket > 0 ? TG_INTENT_DATA : TG_INTENT_ACK;
		if (sym->bucket > 0) {
			step->bytes = fitted_bytes(a, st, t, sym, rng);
			if (step->bytes == 0)
				step->bytes = 1;
		}
		break;
	case TG_SC_FIN:
		step->intent = TG_INTENT_CLOSE;
		break;
	case TG_SC_RST:
		step->intent = TG_INTENT_RESET;
		break;
	default:	/* a datagram may be empty */
		step->intent = TG_INTENT_DATA;
		step->bytes = fitted_bytes(a, st, t, sym, rng);
		break;
	}
	step->gap_ns = 0;
	if (st->iat != NULL && st->iat[t] < a->n_iats)
		step->gap_ns = lnmix_ns(rng, &a->iats[st->iat[t]],
					FIT_MAX_STEP_GAP_NS, 0);
	push_symbol(cursor, a->order, s);
	return true;
}

bool
tg_model_flow_step(const struct tg_model *model,
		   struct tg_flow_cursor *cursor, struct tg_rng *rng,
		   struct tg_step *step)
{
	if (model->kind == TG_MODEL_FITTED)
		return fitted_flow_step(model, cursor, rng, step);
	return parametric_flow_step(model, cursor, rng, step);
}
