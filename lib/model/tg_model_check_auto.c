/* SPDX-License-Identifier: BSD-3-Clause
 * The rules of a fitted service's automaton, its derived tables (each
 * state's alias table over its transitions and the end, the context
 * lookup) and tg_automaton_find. Part of tg_model_check.c's walk.
 */
#include <stdlib.h>
#include <string.h>

#include "tg_model_file.h"

/* ------------------------------------------------------------------------
 * The context lookup.
 *
 * A context packs into one 64-bit key: its length in bits 0-7 and symbol
 * ctx[k] in bits 8 + 16k .. 23 + 16k. The table has a power of two slots,
 * at least twice as many as states, so probes stay short and an empty
 * slot always ends a search. A key's home slot is bits 32.. of
 * key * 0x9E3779B97F4A7C15 (Fibonacci hashing: 2^64 / golden ratio) masked
 * by lookup_mask; collisions take the next slot (linear probing). A slot
 * holds 0 when empty, else the state's index + 1.
 */

static uint64_t
ctx_key(const uint16_t *ctx, uint8_t len)
{
	uint64_t key = len;

	for (uint8_t k = 0; k < len; k++)
		key |= (uint64_t)ctx[k] << (8 + 16 * k);
	return key;
}

static uint32_t
ctx_slot(uint64_t key, uint32_t mask)
{
	return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static bool
ctx_equal(const struct tg_auto_state *st, const uint16_t *ctx, uint8_t len)
{
	return st->ctx_len == len &&
	       (len == 0 || memcmp(st->ctx, ctx, len * sizeof(ctx[0])) == 0);
}

int32_t
tg_automaton_find(const struct tg_automaton *a, const uint16_t *ctx,
		  uint8_t len)
{
	if (a->lookup == NULL || len > TG_AUTO_MAX_ORDER)
		return -1;
	for (uint32_t i = ctx_slot(ctx_key(ctx, len), a->lookup_mask);;
	     i = (i + 1) & a->lookup_mask) {
		uint32_t v = a->lookup[i];

		if (v == 0)
			return -1;
		if (ctx_equal(&a->states[v - 1], ctx, len))
			return (int32_t)(v - 1);
	}
}

/* Build a->lookup; a second state with the same context is an error. */
static int
build_lookup(struct tg_chk *c, struct tg_automaton *a)
{
	uint32_t size = 2;

	while (size < 2 * a->n_states)
		size *= 2;
	free(a->lookup);
	a->lookup = calloc(size, sizeof(*a->lookup));
	a->lookup_mask = size - 1;
	if (a->lookup == NULL)
		return tg_chk_fail(c, "out of memory");
	for (uint32_t j = 0; j < a->n_states; j++) {
		const struct tg_auto_state *st = &a->states[j];
		uint32_t i = ctx_slot(ctx_key(st->ctx, st->ctx_len), size - 1);

		for (; a->lookup[i] != 0; i = (i + 1) & (size - 1)) {
			uint32_t other = a->lookup[i] - 1;

			if (!ctx_equal(&a->states[other], st->ctx, st->ctx_len))
				continue;
			tg_chk_push(c, "states[%u]", j);
			return tg_chk_fail(c, "the same context as "
					   "states[%u]", other);
		}
		a->lookup[i] = j + 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Automata
 */

/* Per automaton: scratch space, freed by the caller. */
struct auto_scratch {
	uint8_t *seen;		/* [n_syms]: already a transition */
	uint32_t *size_lo;	/* [n_sizes]: smallest value of sizes[i] */
	uint32_t *size_hi;	/* [n_sizes]: the largest */
	double *weights;	/* [n_syms + 1]: a state's alias weights */
};

static void
scratch_free(struct auto_scratch *s)
{
	free(s->seen);
	free(s->size_lo);
	free(s->size_hi);
	free(s->weights);
}

/* Symbols: the start marker first, each other symbol once, of a class
 * the service's protocol has. */
static int
symbols(struct tg_chk *c, const struct tg_automaton *a, uint8_t proto)
{
	int32_t where[2][TG_SC_CLASSES][TG_SIZE_BUCKETS];
	int pi = tg_model_proto_index(proto);	/* valid: checked first */
	char name[TG_SYM_NAME_LEN];
	size_t mark = tg_chk_push(c, "symbols"), top = c->len;

	if (a->n_syms < 1 || a->n_syms > TG_AUTO_MAX_SYMS)
		return tg_chk_fail(c, "%u symbols, needs 1 (\"^\") to %d",
				   a->n_syms, TG_AUTO_MAX_SYMS);
	if (a->syms == NULL)
		return tg_chk_fail(c, "%u symbols without their array",
				   a->n_syms);
	memset(where, 0xff, sizeof(where));
	for (uint32_t i = 1; i < a->n_syms; i++) {
		const struct tg_sym *s = &a->syms[i];

		tg_chk_push(c, "[%u]", i);
		if (s->dir > TG_DIR_S2C || s->cls >= TG_SC_CLASSES ||
		    s->bucket >= TG_SIZE_BUCKETS)
			return tg_chk_fail(c, "no symbol (direction %u, "
					   "class %u, bucket %u)", s->dir,
					   s->cls, s->bucket);
		if ((proto == TG_PROTO_TCP) != (s->cls != TG_SC_DGRAM))
			return tg_chk_fail(c, "%s in a %s service",
					   tg_auto_sym_name(a, i, name),
					   tg_model_proto_names[pi]);
		int32_t *w = &where[s->dir][s->cls][s->bucket];
		if (*w >= 0)
			return tg_chk_fail(c, "%s is also symbols[%d]",
					   tg_auto_sym_name(a, i, name), *w);
		*w = (int32_t)i;
		tg_chk_pop(c, top);
	}
	tg_chk_pop(c, mark);
	return 0;
}

/* Gap mixtures and size histograms; notes each size table's extent. */
static int
tables(struct tg_chk *c, struct tg_automaton *a, struct auto_scratch *sc)
{
	size_t mark = tg_chk_push(c, "iats");
	char key[32];

	if (a->n_iats > TG_AUTO_MAX_TABLE || (a->n_iats && !a->iats))
		return tg_chk_fail(c, "%u mixtures, at most %d", a->n_iats,
				   TG_AUTO_MAX_TABLE);
	tg_chk_pop(c, mark);
	for (uint32_t i = 0; i < a->n_iats; i++) {
		snprintf(key, sizeof(key), "iats[%u]", i);
		if (tg_chk_lnmix(c, key, &a->iats[i], true))
			return -1;
	}
	tg_chk_push(c, "sizes");
	if (a->n_sizes > TG_AUTO_MAX_TABLE || (a->n_sizes && !a->sizes))
		return tg_chk_fail(c, "%u histograms, at most %d", a->n_sizes,
				   TG_AUTO_MAX_TABLE);
	tg_chk_pop(c, mark);
	sc->size_lo = malloc((a->n_sizes + 1) * sizeof(*sc->size_lo));
	sc->size_hi = malloc((a->n_sizes + 1) * sizeof(*sc->size_hi));
	if (sc->size_lo == NULL || sc->size_hi == NULL)
		return tg_chk_fail(c, "out of memory");
	for (uint32_t i = 0; i < a->n_sizes; i++) {
		const struct tg_hist *h = &a->sizes[i];

		snprintf(key, sizeof(key), "sizes[%u]", i);
		if (tg_chk_hist(c, key, &a->sizes[i], true, 0,
				TG_MODEL_MAX_PAYLOAD, "payload bytes"))
			return -1;
		sc->size_lo[i] = UINT32_MAX, sc->size_hi[i] = 0;
		for (uint32_t b = 0; b < h->n; b++) {
			if (h->lo[b] < sc->size_lo[i])
				sc->size_lo[i] = h->lo[b];
			if (h->hi[b] > sc->size_hi[i])
				sc->size_hi[i] = h->hi[b];
		}
	}
	return 0;
}

/* Transition t of a state: to a symbol other than the start marker, not
 * twice, with a gap and sizes inside the symbol's payload bucket. */
static int
transition(struct tg_chk *c, const struct tg_automaton *a,
	   const struct tg_auto_state *st, uint32_t t,
	   struct auto_scratch *sc)
{
	uint16_t s = st->next[t];
	char key[24], name[TG_SYM_NAME_LEN];
	size_t mark = tg_chk_push(c, "next[%u]", t);

	if (s == TG_SYM_START || s >= a->n_syms)
		return tg_chk_fail(c, "symbol %u %s", s, s == TG_SYM_START
				   ? "is the start marker, which no packet is"
				   : "does not exist");
	if (sc->seen[s])
		return tg_chk_fail(c, "symbol %u (%s) appears twice", s,
				   tg_auto_sym_name(a, s, name));
	sc->seen[s] = 1;
	tg_chk_pop(c, mark);
	snprintf(key, sizeof(key), "p[%u]", t);
	if (tg_chk_prob(c, key, st->p[t]))
		return -1;
	if (st->iat[t] >= a->n_iats) {
		tg_chk_push(c, "iat[%u]", t);
		return tg_chk_fail(c, "iats[%u] does not exist (%u mixtures)",
				   st->iat[t], a->n_iats);
	}
	uint32_t z = st->size[t], b = a->syms[s].bucket;
	uint32_t lo = tg_size_bucket_lo[b];
	uint32_t hi = b + 1 < TG_SIZE_BUCKETS ? tg_size_bucket_lo[b + 1] - 1
					      : TG_MODEL_MAX_PAYLOAD;
	tg_chk_push(c, "size[%u]", t);
	if (z >= a->n_sizes)
		return tg_chk_fail(c, "sizes[%u] does not exist (%u "
				   "histograms)", z, a->n_sizes);
	if (sc->size_lo[z] < lo || sc->size_hi[z] > hi)
		return tg_chk_fail(c, "sizes[%u] holds %u..%u bytes, "
				   "outside %u..%u of symbol %s", z,
				   sc->size_lo[z], sc->size_hi[z], lo, hi,
				   tg_auto_sym_name(a, s, name));
	tg_chk_pop(c, mark);
	return 0;
}

static int
ctx(struct tg_chk *c, const struct tg_automaton *a,
    const struct tg_auto_state *st)
{
	size_t mark = tg_chk_push(c, "ctx"), top = c->len;

	if (st->ctx_len > a->order)
		return tg_chk_fail(c, "%u symbols, longer than the order %u",
				   st->ctx_len, a->order);
	for (uint8_t k = 0; k < st->ctx_len; k++) {
		tg_chk_push(c, "[%u]", k);
		if (st->ctx[k] >= a->n_syms)
			return tg_chk_fail(c, "symbol %u does not exist "
					   "(%u symbols)", st->ctx[k],
					   a->n_syms);
		if (st->ctx[k] == TG_SYM_START && k > 0)
			return tg_chk_fail(c, "the start marker can only "
					   "be the oldest symbol");
		tg_chk_pop(c, top);
	}
	tg_chk_pop(c, mark);
	return 0;
}

static int
state(struct tg_chk *c, const struct tg_automaton *a, uint32_t j,
      struct auto_scratch *sc)
{
	struct tg_auto_state *st = &a->states[j];
	double sum = st->end;
	size_t mark = tg_chk_push(c, "states[%u]", j);

	if (ctx(c, a, st) || tg_chk_prob(c, "end", st->end))
		return -1;
	if (st->n_next > a->n_syms - 1)
		return tg_chk_fail(c, "%u transitions, more than the %u "
				   "symbols", st->n_next, a->n_syms - 1);
	if (st->n_next && (!st->next || !st->p || !st->iat || !st->size))
		return tg_chk_fail(c, "%u transitions without their arrays",
				   st->n_next);
	for (uint32_t t = 0; t < st->n_next; t++) {
		if (transition(c, a, st, t, sc))
			return -1;
		sum += st->p[t];
		sc->weights[t] = st->p[t];
	}
	for (uint32_t t = 0; t < st->n_next; t++)
		sc->seen[st->next[t]] = 0;
	if (tg_chk_sums(c, sum, "probabilities"))
		return -1;
	/* Outcome n_next is the end of the flow. */
	sc->weights[st->n_next] = st->end;
	tg_alias_free(&st->alias);
	if (tg_alias_build(&st->alias, sc->weights, st->n_next + 1) != 0)
		return tg_chk_fail(c, "out of memory");
	tg_chk_pop(c, mark);
	return 0;
}

static int
automaton_states(struct tg_chk *c, struct tg_automaton *a,
		 struct auto_scratch *sc)
{
	size_t mark = tg_chk_push(c, "states");

	if (a->n_states > TG_AUTO_MAX_STATES)
		return tg_chk_fail(c, "%u states, at most %d", a->n_states,
				   TG_AUTO_MAX_STATES);
	if (a->n_states == 0 || a->states == NULL ||
	    a->states[0].ctx_len != 0)
		return tg_chk_fail(c, "missing root state: states[0] must have "
				   "ctx = []");
	tg_chk_pop(c, mark);
	sc->seen = calloc(a->n_syms, 1);
	sc->weights = malloc(a->n_syms * sizeof(*sc->weights));
	if (sc->seen == NULL || sc->weights == NULL)
		return tg_chk_fail(c, "out of memory");
	for (uint32_t j = 0; j < a->n_states; j++)
		if (state(c, a, j, sc))
			return -1;
	return build_lookup(c, a);
}

int
tg_chk_automaton(struct tg_chk *c, struct tg_automaton *a, uint8_t proto)
{
	struct auto_scratch sc = { 0 };
	size_t mark = tg_chk_push(c, "automaton");
	int rc;

	if (tg_chk_integer(c, "order", a->order, 1, TG_AUTO_MAX_ORDER) ||
	    symbols(c, a, proto))
		return -1;
	rc = tables(c, a, &sc);
	if (rc == 0)
		rc = automaton_states(c, a, &sc);
	scratch_free(&sc);
	if (rc == 0)
		tg_chk_pop(c, mark);
	return rc;
}
