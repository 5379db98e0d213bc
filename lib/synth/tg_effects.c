/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "tg_effects.h"

#define NS_PER_MS 1000000ull
#define RTO_MIN_VAR_NS (200 * NS_PER_MS)	/* Linux tcp_rto_min */
/* Keeps the effects streams apart from the model's (any odd constant). */
#define FX_STREAM_SALT 0x6a09e667f3bcc909ull

int
tg_fx_store_init(struct tg_fx_store *st)
{
	st->frames = calloc(TG_FX_FRAMES, sizeof(*st->frames));
	st->free_list = calloc(TG_FX_FRAMES, sizeof(*st->free_list));
	if (st->frames == NULL || st->free_list == NULL) {
		tg_fx_store_free(st);
		return -1;
	}
	for (uint32_t i = 0; i < TG_FX_FRAMES; i++)
		st->free_list[i] = TG_FX_FRAMES - 1 - i;
	st->n_free = TG_FX_FRAMES;
	return 0;
}

void
tg_fx_store_free(struct tg_fx_store *st)
{
	free(st->frames);
	free(st->free_list);
	memset(st, 0, sizeof(*st));
}

uint64_t
tg_fx_seed(uint64_t seed, uint64_t stream)
{
	struct tg_rng rng;

	tg_rng_seed(&rng, seed, stream ^ FX_STREAM_SALT);
	return tg_rng_next(&rng);
}

void
tg_fx_flow_init(struct tg_fx_flow *x, uint64_t fx_seed, uint64_t flow_id)
{
	memset(x, 0, sizeof(*x));
	tg_rng_seed(&x->rng, fx_seed, flow_id);
	x->frame = -1;
}

enum tg_fx_choice
tg_fx_choose(struct tg_fx_flow *x, const struct tg_effects_cfg *cfg)
{
	double u = tg_rng_uniform(&x->rng);

	if (u < cfg->loss)
		return TG_FX_LOSE;
	u -= cfg->loss;
	if (u < cfg->duplicate)
		return TG_FX_DUPLICATE_IT;
	u -= cfg->duplicate;
	return u < cfg->reorder ? TG_FX_REORDER : TG_FX_KEEP;
}

unsigned
tg_fx_fast_acks(unsigned followers, bool first_is_duplicate)
{
	unsigned acks = TG_FX_DUP_THRESH + !first_is_duplicate;

	return followers >= acks ? acks : 0;
}

unsigned
tg_fx_segments(uint32_t bytes, uint32_t mss)
{
	return mss ? (unsigned)(((uint64_t)bytes + mss - 1) / mss) : 0;
}

uint64_t
tg_fx_rto(uint64_t rtt_ns)
{
	uint64_t var = 2 * rtt_ns;

	return rtt_ns + (var > RTO_MIN_VAR_NS ? var : RTO_MIN_VAR_NS);
}

uint64_t
tg_fx_round_trip(struct tg_fx_flow *x, uint64_t rtt_ns, uint64_t jitter_ns)
{
	if (jitter_ns == 0)
		return rtt_ns;
	return rtt_ns + (uint64_t)(tg_rng_uniform(&x->rng) * (double)jitter_ns);
}
