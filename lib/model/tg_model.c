/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tg_model.h"
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

static const char *const payload_names[TG_PAYLOAD_KINDS] = {
	[TG_PAYLOAD_ZERO] = "zero",
	[TG_PAYLOAD_RANDOM] = "random",
	[TG_PAYLOAD_HTTP] = "http",
	[TG_PAYLOAD_DNS] = "dns",
};

const char *
tg_payload_kind_name(unsigned kind)
{
	return kind < TG_PAYLOAD_KINDS ? payload_names[kind] : NULL;
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

uint64_t
tg_model_next_arrival(const struct tg_model *model, struct tg_rng *rng,
		      uint64_t now_ns, struct tg_arrival_state *st,
		      uint16_t *service)
{
	(void)now_ns;
	(void)st;
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
#define EPHEMERAL_FIRST 32768	/* Linux ip_local_port_range */
#define EPHEMERAL_LAST 60999

static uint8_t
server_ttl(uint8_t initial, struct tg_rng *rng)
{
	uint32_t hops = SERVER_HOPS_MIN + tg_rng_below(rng, SERVER_HOPS_SPAN);

	return (uint8_t)(initial > hops ? initial - hops : 1);
}

void
tg_model_flow_new(const struct tg_model *model, struct tg_rng *rng,
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

bool
tg_model_flow_step(const struct tg_model *model,
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
