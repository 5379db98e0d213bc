/* SPDX-License-Identifier: BSD-3-Clause
 * The packet automaton of one service: a k-order Markov chain over packet
 * symbols with back-off to shorter contexts, a gap mixture per transition
 * (shared when a transition has too few gaps) and a payload-size
 * histogram per symbol. docs/model.md, "Packet automaton".
 */
#include <stdlib.h>
#include <string.h>

#include "tg_fit_int.h"

/* Gaps of a service without packets. */
static const struct tg_lnmix default_iat = {
	.k = 1, .weight = { 1 }, .mu = { -4.605170185988091 },	/* 10 ms */
	.sigma = { 1.0 } };

#define END_OUTCOME UINT16_MAX

/* A context seen in training: the last ctx_len symbols (in key). */
struct ctx_node {
	uint64_t key;		/* ctx_len << 48, symbols 16 bits each */
	uint32_t n_out;		/* outcomes seen: next packets and ends */
	uint32_t n_end;
	uint32_t *next;		/* [n_syms] next-symbol counts */
	double **gaps;		/* [n_syms]: gaps of transitions with a
				 * mixture of their own, else NULL */
	uint32_t *n_gaps;
	uint32_t *iat_of;	/* [n_syms]: the mixture of exactly these
				 * gaps in iats, or NO_INDEX */
	uint32_t state;		/* its state, or NO_INDEX: it backs off */
};

struct auto_build {
	const struct fit_run *run;
	const uint32_t *idx;	/* the service's flows */
	size_t n;
	unsigned order;
	uint32_t n_syms;
	uint16_t sym[N_CODES];	/* code -> symbol */
	uint8_t code[N_CODES + 1];	/* symbol -> code */
	struct ctx_node *nodes;
	uint32_t n_nodes;
	size_t cap_nodes;
	uint32_t *slots;	/* open addressing: node + 1, 0 empty */
	uint32_t mask;
	uint32_t root;		/* the node of the empty context */
};

static unsigned
key_len(uint64_t key)
{
	return (unsigned)(key >> 48);
}

static uint16_t
key_sym(uint64_t key, unsigned t)
{
	return (uint16_t)(key >> (16 * t));
}

/* The context of the last j symbols of the window, oldest first. */
static uint64_t
ctx_key(const uint16_t *win, unsigned wlen, unsigned j)
{
	uint64_t key = (uint64_t)j << 48;

	for (unsigned t = 0; t < j; t++)
		key |= (uint64_t)win[wlen - j + t] << (16 * t);
	return key;
}

static uint32_t
node_find(const struct auto_build *b, uint64_t key, uint32_t *slot)
{
	uint32_t i = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & b->mask;

	while (b->slots[i] && b->nodes[b->slots[i] - 1].key != key)
		i = (i + 1) & b->mask;
	*slot = i;
	return b->slots[i] ? b->slots[i] - 1 : NO_INDEX;
}

static int
grow_slots(struct auto_build *b)
{
	uint32_t cap = b->slots ? 2 * (b->mask + 1) : 1024, slot;
	uint32_t *s = calloc(cap, sizeof(*s));

	if (s == NULL)
		return -1;
	free(b->slots);
	b->slots = s;
	b->mask = cap - 1;
	for (uint32_t i = 0; i < b->n_nodes; i++) {
		node_find(b, b->nodes[i].key, &slot);
		b->slots[slot] = i + 1;
	}
	return 0;
}

/* The node of a context, created if new; NO_INDEX when out of memory. */
static uint32_t
node_get(struct auto_build *b, uint64_t key)
{
	uint32_t slot, i = node_find(b, key, &slot);

	if (i != NO_INDEX)
		return i;
	if (2 * (b->n_nodes + 1) > b->mask + 1) {
		if (grow_slots(b))
			return NO_INDEX;
		node_find(b, key, &slot);
	}
	if (tg_fit_reserve((void **)&b->nodes, &b->cap_nodes, b->n_nodes,
			   sizeof(*b->nodes)))
		return NO_INDEX;
	struct ctx_node *nd = &b->nodes[b->n_nodes];

	memset(nd, 0, sizeof(*nd));
	nd->key = key;
	nd->state = NO_INDEX;
	nd->next = calloc(b->n_syms, sizeof(*nd->next));
	if (nd->next == NULL)
		return NO_INDEX;
	b->slots[slot] = b->n_nodes + 1;
	return b->n_nodes++;
}

static int
count_outcome(struct auto_build *b, uint64_t key, uint16_t sym)
{
	uint32_t i = node_get(b, key);

	if (i == NO_INDEX)
		return -1;
	b->nodes[i].n_out++;
	if (sym == END_OUTCOME)
		b->nodes[i].n_end++;
	else
		b->nodes[i].next[sym]++;
	return 0;
}

static void
gather_gap(struct auto_build *b, uint64_t key, uint16_t sym, uint64_t gap)
{
	uint32_t slot, i = node_find(b, key, &slot);
	struct ctx_node *nd = i == NO_INDEX ? NULL : &b->nodes[i];

	if (nd && nd->gaps && nd->gaps[sym])
		nd->gaps[sym][nd->n_gaps[sym]++] = tg_fit_seconds(gap);
}

/* Every (context, outcome) of one flow: at each position, the contexts of
 * length 0..order that end there (START counts as a symbol), and what
 * came next: a symbol, or the end of a flow that was not cut short.
 * Counting creates the contexts; gathering fills the gap lists of the
 * transitions that get a mixture of their own. */
static int
walk_flow(struct auto_build *b, const struct fit_flow *ff, bool counting)
{
	const struct fit_pkt *pkts = b->run->f->pkts + ff->seq_off;
	uint16_t win[TG_AUTO_MAX_ORDER] = { TG_SYM_START };
	unsigned wlen = 1;

	for (uint32_t p = 0; p <= ff->seq_len; p++) {
		bool end = p == ff->seq_len;

		if (end && !ff->seq_ends)
			break;
		uint16_t sym = end ? END_OUTCOME : b->sym[pkts[p].code];

		for (unsigned j = 0; j <= wlen; j++) {
			uint64_t key = ctx_key(win, wlen, j);

			if (counting && count_outcome(b, key, sym))
				return -1;
			if (!counting && !end)
				gather_gap(b, key, sym, pkts[p].gap_ns);
		}
		if (end)
			break;
		if (wlen == b->order) {
			memmove(win, win + 1, (wlen - 1) * sizeof(*win));
			wlen--;
		}
		win[wlen++] = sym;
	}
	return 0;
}

/* The symbols the service's flows use, numbered from 1 in code order. */
static void
number_symbols(struct auto_build *b)
{
	bool used[N_CODES] = { false };

	for (size_t i = 0; i < b->n; i++) {
		const struct fit_flow *ff = &b->run->f->flows[b->idx[i]];

		for (uint32_t p = 0; p < ff->seq_len; p++)
			used[b->run->f->pkts[ff->seq_off + p].code] = true;
	}
	b->n_syms = 1;
	for (unsigned c = 0; c < N_CODES; c++) {
		if (!used[c])
			continue;
		b->code[b->n_syms] = (uint8_t)c;
		b->sym[c] = (uint16_t)b->n_syms++;
	}
}

static int
walk_all(struct auto_build *b, bool counting)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct fit_flow *ff = &b->run->f->flows[b->idx[i]];

		if (ff->in_automaton && walk_flow(b, ff, counting))
			return -1;
	}
	return 0;
}

/* The root and every length-1 context seen are states; a longer context
 * needs min_context outcomes, else it backs off to its suffix. */
static bool
is_state(const struct auto_build *b, const struct ctx_node *nd)
{
	unsigned len = key_len(nd->key);

	return len == 0 || (len == 1 && nd->n_out > 0) ||
	       nd->n_out >= b->run->f->conf.min_context;
}

struct state_order {
	uint16_t ctx[TG_AUTO_MAX_ORDER];
	uint8_t len;
	uint32_t node;
};

/* The root, then by context length, then by the contexts' symbols. */
static int
compare_states(const void *a, const void *b)
{
	const struct state_order *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	for (unsigned t = 0; t < x->len; t++)
		if (x->ctx[t] != y->ctx[t])
			return x->ctx[t] < y->ctx[t] ? -1 : 1;
	return 0;
}

/* The states in their order; *n_states of them. */
static struct state_order *
choose_states(struct auto_build *b, uint32_t *n_states)
{
	struct state_order *so = malloc(b->n_nodes * sizeof(*so));
	uint32_t n = 0;

	if (so == NULL)
		return NULL;
	for (uint32_t i = 0; i < b->n_nodes; i++) {
		const struct ctx_node *nd = &b->nodes[i];

		if (!is_state(b, nd))
			continue;
		memset(&so[n], 0, sizeof(*so));
		so[n].len = (uint8_t)key_len(nd->key);
		for (unsigned t = 0; t < so[n].len; t++)
			so[n].ctx[t] = key_sym(nd->key, t);
		so[n++].node = i;
	}
	qsort(so, n, sizeof(*so), compare_states);
	for (uint32_t s = 0; s < n; s++)
		b->nodes[so[s].node].state = s;
	*n_states = n;
	return so;
}

/* Gap lists for the transitions with min_transition samples; returns how
 * many there are (each gets a mixture), or -1. */
static int64_t
make_gap_lists(struct auto_build *b)
{
	int64_t own = 0;

	for (uint32_t i = 0; i < b->n_nodes; i++) {
		struct ctx_node *nd = &b->nodes[i];

		if (nd->state == NO_INDEX)
			continue;
		nd->gaps = calloc(b->n_syms, sizeof(*nd->gaps));
		nd->n_gaps = calloc(b->n_syms, sizeof(*nd->n_gaps));
		nd->iat_of = malloc(b->n_syms * sizeof(*nd->iat_of));
		if (!nd->gaps || !nd->n_gaps || !nd->iat_of)
			return -1;
		for (uint32_t s = 0; s < b->n_syms; s++)
			nd->iat_of[s] = NO_INDEX;
		for (uint32_t s = 1; s < b->n_syms; s++) {
			if (nd->next[s] < b->run->f->conf.min_transition)
				continue;
			nd->gaps[s] = malloc(nd->next[s] * sizeof(double));
			if (nd->gaps[s] == NULL)
				return -1;
			own++;
		}
	}
	return own;
}

/* The service-level gap mixture: every gap of every sequence. */
static int
fit_service_gaps(struct auto_build *b, struct tg_lnmix *out)
{
	const struct tg_fitter *f = b->run->f;
	size_t n = 0, m = 0;

	for (size_t i = 0; i < b->n; i++)
		n += f->flows[b->idx[i]].seq_len;
	double *x = malloc((n ? n : 1) * sizeof(*x));

	if (x == NULL)
		return -1;
	for (size_t i = 0; i < b->n; i++) {
		const struct fit_flow *ff = &f->flows[b->idx[i]];
		const struct fit_pkt *pk = f->pkts + ff->seq_off;

		for (uint32_t p = 0; p < ff->seq_len; p++)
			x[m++] = tg_fit_seconds(pk[p].gap_ns);
	}
	int rc = tg_fit_mix(f, x, m, &default_iat, out);

	free(x);
	return rc;
}

/* One payload-size histogram per symbol (sizes[s - 1] for symbol s). */
static int
fit_sizes(struct auto_build *b, struct tg_automaton *a)
{
	const struct tg_fitter *f = b->run->f;
	size_t n = 0;

	for (size_t i = 0; i < b->n; i++)
		n += f->flows[b->idx[i]].seq_len;
	if (b->n_syms < 2)
		return 0;
	uint32_t *v = malloc(n * sizeof(*v));

	a->sizes = calloc(b->n_syms - 1, sizeof(*a->sizes));
	if (v == NULL || a->sizes == NULL) {
		free(v);
		return -1;
	}
	for (uint32_t s = 1; s < b->n_syms; s++) {
		size_t m = 0;

		for (size_t i = 0; i < b->n; i++) {
			const struct fit_flow *ff = &f->flows[b->idx[i]];
			const struct fit_pkt *pk = f->pkts + ff->seq_off;

			for (uint32_t p = 0; p < ff->seq_len; p++)
				if (pk[p].code == b->code[s])
					v[m++] = pk[p].payload_len;
		}
		if (tg_fit_hist(&a->sizes[s - 1], v, m, 0)) {
			free(v);
			return -1;
		}
		a->n_sizes = s;
	}
	free(v);
	return 0;
}

/* The state whose context is this one's without its oldest symbol. */
static const struct ctx_node *
suffix_of(const struct auto_build *b, const struct tg_auto_state *st)
{
	uint32_t slot, i;

	if (st->ctx_len == 0)
		return NULL;
	i = node_find(b, ctx_key(st->ctx, st->ctx_len, st->ctx_len - 1),
		      &slot);
	return i == NO_INDEX ? NULL : &b->nodes[i];
}

/* The mixture of transition (nd, s) with min_transition gaps of its own.
 * A context's gaps into s are a subset of its suffix's, so equal counts
 * mean equal gaps: then the suffix's mixture serves both. */
static int
own_mixture(struct auto_build *b, struct tg_automaton *a,
	    const struct tg_auto_state *st, struct ctx_node *nd, uint32_t s)
{
	const struct ctx_node *suffix = suffix_of(b, st);

	if (suffix && suffix->iat_of && suffix->next[s] == nd->next[s] &&
	    suffix->iat_of[s] != NO_INDEX) {
		nd->iat_of[s] = suffix->iat_of[s];
		return 0;
	}
	if (tg_fit_mix(b->run->f, nd->gaps[s], nd->n_gaps[s], &default_iat,
		       &a->iats[a->n_iats]))
		return -1;
	nd->iat_of[s] = a->n_iats++;
	return 0;
}

/* A transition's gaps: its own mixture with min_transition samples, else
 * the symbol's (the root's transition, all gaps into the symbol) when
 * that has them, else the service's (iats[0]). The root comes first, so
 * its mixtures exist when later states look for them. */
static int
fill_transitions(struct auto_build *b, struct tg_automaton *a,
		 struct tg_auto_state *st, struct ctx_node *nd)
{
	const struct ctx_node *root = &b->nodes[b->root];
	uint32_t k = 0;

	for (uint32_t s = 1; s < b->n_syms; s++)
		st->n_next += nd->next[s] > 0;
	if (st->n_next == 0)
		return 0;
	st->next = malloc(st->n_next * sizeof(*st->next));
	st->p = malloc(st->n_next * sizeof(*st->p));
	st->iat = malloc(st->n_next * sizeof(*st->iat));
	st->size = malloc(st->n_next * sizeof(*st->size));
	if (!st->next || !st->p || !st->iat || !st->size)
		return -1;
	for (uint32_t s = 1; s < b->n_syms; s++) {
		if (nd->next[s] == 0)
			continue;
		st->next[k] = (uint16_t)s;
		st->p[k] = (double)nd->next[s] / nd->n_out;
		st->size[k] = s - 1;
		if (nd->gaps[s] && own_mixture(b, a, st, nd, s))
			return -1;
		if (nd->iat_of[s] != NO_INDEX)
			st->iat[k] = nd->iat_of[s];
		else if (root->iat_of[s] != NO_INDEX)
			st->iat[k] = root->iat_of[s];
		else
			st->iat[k] = 0;
		k++;
	}
	return 0;
}

static int
fill_automaton(struct auto_build *b, struct tg_automaton *a,
	       const struct state_order *so, uint32_t n_states,
	       int64_t own_mixtures)
{
	a->order = (uint8_t)b->order;
	a->syms = calloc(b->n_syms, sizeof(*a->syms));
	a->iats = calloc((size_t)own_mixtures + 1, sizeof(*a->iats));
	a->states = calloc(n_states, sizeof(*a->states));
	if (!a->syms || !a->iats || !a->states)
		return -1;
	a->n_syms = b->n_syms;
	for (uint32_t s = 1; s < b->n_syms; s++)
		a->syms[s] = tg_fit_sym_of_code(b->code[s]);
	if (fit_service_gaps(b, &a->iats[0]))
		return -1;
	a->n_iats = 1;
	a->n_states = n_states;
	for (uint32_t i = 0; i < n_states; i++) {
		struct tg_auto_state *st = &a->states[i];
		struct ctx_node *nd = &b->nodes[so[i].node];

		memcpy(st->ctx, so[i].ctx, sizeof(st->ctx));
		st->ctx_len = so[i].len;
		st->count = nd->n_out;
		st->end = nd->n_out ? (double)nd->n_end / nd->n_out : 1.0;
		if (fill_transitions(b, a, st, nd))
			return -1;
	}
	return fit_sizes(b, a);
}

static void
free_build(struct auto_build *b)
{
	for (uint32_t i = 0; i < b->n_nodes; i++) {
		struct ctx_node *nd = &b->nodes[i];

		for (uint32_t s = 0; nd->gaps && s < b->n_syms; s++)
			free(nd->gaps[s]);
		free(nd->gaps);
		free(nd->n_gaps);
		free(nd->iat_of);
		free(nd->next);
	}
	free(b->nodes);
	free(b->slots);
}

/* A k-order automaton over the service's symbols, with back-off. */
int
tg_fit_automaton(const struct fit_run *run, const uint32_t *idx, size_t n,
		 struct tg_automaton *a)
{
	struct auto_build b = { .run = run, .idx = idx, .n = n,
				.order = run->f->conf.order };
	struct state_order *so = NULL;
	uint32_t n_states;
	int64_t own;
	int rc = -1;

	number_symbols(&b);
	if (grow_slots(&b) || (b.root = node_get(&b, 0)) == NO_INDEX ||
	    walk_all(&b, true))
		goto out;
	so = choose_states(&b, &n_states);
	if (so == NULL || (own = make_gap_lists(&b)) < 0 ||
	    walk_all(&b, false))
		goto out;
	rc = fill_automaton(&b, a, so, n_states, own);
out:
	free(so);
	free_build(&b);
	return rc;
}

