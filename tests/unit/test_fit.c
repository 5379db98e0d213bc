/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of model fitting (lib/fit): the log-normal mixture EM recovers
 * the parameters of samples drawn from a known mixture, and BIC picks the
 * number of components they were drawn with. The fitter (tg_fit) gets flow
 * records made here from known parameters (flow arrivals, service
 * transitions, packet automata, handshake times, header fields, hosts,
 * DNS lookups) and must give them back within a few standard errors; then
 * it fits the real captures of ../shared/data/train when they are there.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "tg_fit.h"
#include "tg_flows.h"
#include "tg_lnmix_fit.h"
#include "tg_services.h"
#include "tg_trace.h"

#define N 20000

static double samples[N];

static void
draw(const struct tg_lnmix *truth, uint64_t seed)
{
	struct tg_rng rng;

	tg_rng_seed(&rng, seed, 0);
	for (size_t i = 0; i < N; i++)
		samples[i] = tg_sample_lnmix(&rng, truth);
}

static void
test_one_component_is_the_sample_moments(void **state)
{
	struct tg_lnmix truth = { .k = 1, .weight = { 1 }, .mu = { -3.0 },
				  .sigma = { 0.7 } };
	struct tg_lnmix fit;
	struct tg_lnmix_fit_info info;
	double mean = 0, var = 0;

	(void)state;
	draw(&truth, 1);
	assert_int_equal(tg_lnmix_fit(samples, N, 1, &fit, &info), 0);
	/* With k = 1 the maximum-likelihood answer is the sample mean and
	 * (biased) deviation of the logs: computed here independently. */
	for (size_t i = 0; i < N; i++)
		mean += log(samples[i]) / N;
	for (size_t i = 0; i < N; i++)
		var += (log(samples[i]) - mean) * (log(samples[i]) - mean) / N;
	assert_true(fabs(fit.mu[0] - mean) < 1e-9);
	assert_true(fabs(fit.sigma[0] - sqrt(var)) < 1e-9);
	assert_true(fabs(fit.mu[0] + 3.0) < 0.02);
	assert_true(fabs(fit.weight[0] - 1.0) < 1e-12);
}

static void
test_recovers_two_components(void **state)
{
	/* Short gaps inside bursts and long ones between them. */
	struct tg_lnmix truth = { .k = 2, .weight = { 0.7, 0.3 },
				  .mu = { log(0.002), log(0.5) },
				  .sigma = { 0.5, 1.0 } };
	struct tg_lnmix fit;
	struct tg_lnmix_fit_info info;

	(void)state;
	draw(&truth, 2);
	assert_int_equal(tg_lnmix_fit(samples, N, 2, &fit, &info), 0);
	for (unsigned j = 0; j < 2; j++) {
		assert_true(fabs(fit.weight[j] - truth.weight[j]) < 0.02);
		assert_true(fabs(fit.mu[j] - truth.mu[j]) < 0.05);
		assert_true(fabs(fit.sigma[j] - truth.sigma[j]) < 0.05);
	}
	assert_true(info.iterations < 500);
	assert_true(isfinite(info.loglik));
}

static void
test_bic_picks_the_number_of_components(void **state)
{
	struct tg_lnmix fit;
	struct tg_lnmix_fit_info info;

	(void)state;
	for (unsigned k = 1; k <= 3; k++) {
		struct tg_lnmix truth = { .k = k };

		for (unsigned j = 0; j < k; j++) {
			truth.weight[j] = 1.0 / k;
			truth.mu[j] = -6.0 + 4.0 * j;	/* well apart */
			truth.sigma[j] = 0.5;
		}
		draw(&truth, 10 + k);
		assert_int_equal(tg_lnmix_fit_best(samples, N, 5, &fit, &info),
				 0);
		assert_int_equal(fit.k, k);
	}
}

static void
test_rejects_bad_input(void **state)
{
	struct tg_lnmix fit;
	double bad[3] = { 1.0, 0.0, 2.0 };

	(void)state;
	assert_int_equal(tg_lnmix_fit(bad, 3, 1, &fit, NULL), -1);
	bad[1] = NAN;
	assert_int_equal(tg_lnmix_fit(bad, 3, 1, &fit, NULL), -1);
	assert_int_equal(tg_lnmix_fit(bad, 1, 2, &fit, NULL), -1);
	/* All values equal: a spike, held at the minimum deviation. */
	double same[4] = { 5, 5, 5, 5 };
	assert_int_equal(tg_lnmix_fit(same, 4, 1, &fit, NULL), 0);
	assert_true(fit.sigma[0] == TG_LNMIX_MIN_SIGMA);
}

/* --- The fitter: flows made from known parameters ------------------------ */

#define MS 1000000ull
#define SEC 1000000000ull
#define MAX_TEST_PKTS 64
#define CLIENT 0x0a000001	/* 10.0.0.1 */
#define SERVER 0x0a000002	/* 10.0.0.2 */
#define PUBLIC 0x5db8d822	/* 93.184.216.34 */
#define RESOLVER 0x08080808	/* 8.8.8.8 */

/* Within z standard errors of a binomial proportion p over n trials. */
static void
assert_share(double got, double p, double n, double z)
{
	double se = sqrt(p * (1 - p) / n);

	if (fabs(got - p) > z * se + 1e-12)
		fail_msg("share %.6f, expected %.6f +- %.6f (%.0f trials)",
			 got, p, z * se, n);
}

static void
assert_near(double got, double want, double tol)
{
	if (fabs(got - want) > tol)
		fail_msg("%.6f, expected %.6f +- %.6f", got, want, tol);
}

/* A flow record being built: packets are appended with add_pkt. */
struct gen {
	struct tg_flow_rec rec;
	struct tg_flow_pkt pkts[MAX_TEST_PKTS];
	uint32_t max_pkts;	/* stored at most; more: truncated */
};

static void
set_v4(struct tg_ip_addr *a, uint32_t ip)
{
	memset(a, 0, sizeof(*a));
	a->b[0] = (uint8_t)(ip >> 24);
	a->b[1] = (uint8_t)(ip >> 16);
	a->b[2] = (uint8_t)(ip >> 8);
	a->b[3] = (uint8_t)ip;
}

static void
gen_start(struct gen *g, uint8_t proto, uint16_t server_port,
	  uint64_t first_ns, uint32_t client, uint32_t server)
{
	memset(g, 0, sizeof(*g));
	g->max_pkts = MAX_TEST_PKTS;
	g->rec.ip_version = 4;
	g->rec.proto = proto;
	g->rec.server_port = server_port;
	g->rec.client_port = 40000;
	g->rec.service = tg_service_class(proto, server_port);
	g->rec.start = proto == TG_PROTO_TCP ? TG_START_SYN : TG_START_NOT_TCP;
	g->rec.first_ns = g->rec.last_ns = first_ns;
	set_v4(&g->rec.client, client);
	set_v4(&g->rec.server, server);
	g->rec.pkts = g->pkts;
}

static void
add_pkt(struct gen *g, unsigned dir, uint8_t flags, uint32_t payload,
	uint64_t iat_ns)
{
	struct tg_flow_side *s = &g->rec.side[dir];

	if (s->packets == 0) {
		s->ttl = dir == TG_DIR_C2S ? 64 : 57;
		s->df = true;
		s->ip_id = 0;
	}
	s->packets++;
	s->payload_bytes += payload;
	g->rec.last_ns += iat_ns;
	if (g->rec.n_pkts == g->max_pkts) {
		g->rec.pkts_truncated = true;
		return;
	}
	g->pkts[g->rec.n_pkts++] = (struct tg_flow_pkt){
		.iat_ns = g->rec.n_pkts ? iat_ns : 0, .payload_len = payload,
		.dir = (uint8_t)dir, .tcp_flags = flags };
}

static void
add_handshake(struct gen *g, uint64_t rtt_ns, uint64_t ack_ns)
{
	add_pkt(g, TG_DIR_C2S, TG_TCP_SYN, 0, 0);
	add_pkt(g, TG_DIR_S2C, TG_TCP_SYN | TG_TCP_ACK, 0, rtt_ns);
	add_pkt(g, TG_DIR_C2S, TG_TCP_ACK, 0, ack_ns);
	g->rec.has_syn = g->rec.has_synack = true;
	g->rec.syn_opts.wscale = g->rec.synack_opts.wscale = -1;
}

static uint64_t
lognormal_ns(struct tg_rng *rng, double median_s, double sigma)
{
	return (uint64_t)(tg_sample_lognormal(rng, log(median_s), sigma) * 1e9);
}

static uint32_t
find_service(const struct tg_model *m, const char *name)
{
	for (uint32_t i = 0; i < m->n_services; i++)
		if (strcmp(m->fit.services[i].name, name) == 0)
			return i;
	fail_msg("no service %s", name);
	return 0;
}

static const struct tg_fitted_service *
service(const struct tg_model *m, const char *name)
{
	return &m->fit.services[find_service(m, name)];
}

static void
assert_hist(const struct tg_hist *h)
{
	double sum = 0;

	assert_true(h->n >= 1);
	for (uint32_t i = 0; i < h->n; i++) {
		assert_true(h->lo[i] <= h->hi[i]);
		assert_true(h->p[i] > 0);
		if (i > 0)
			assert_true(h->lo[i] > h->hi[i - 1]);
		sum += h->p[i];
	}
	assert_near(sum, 1, 1e-9);
	assert_int_equal(h->alias.n, h->n);
}

static void
assert_mix(const struct tg_lnmix *m)
{
	double sum = 0;

	assert_true(m->k >= 1 && m->k <= TG_LNMIX_MAX);
	for (unsigned j = 0; j < m->k; j++) {
		assert_true(isfinite(m->mu[j]));
		assert_true(m->sigma[j] > 0);
		sum += m->weight[j];
	}
	assert_near(sum, 1, 1e-9);
}

/* States in order (root, then by length and context), probabilities that
 * sum to 1, indices in range, every length-1 context kept. */
static void
assert_automaton(const struct tg_automaton *a, uint32_t min_context)
{
	assert_true(a->n_states >= 1);
	assert_int_equal(a->states[0].ctx_len, 0);
	assert_true(a->n_iats >= 1);
	for (uint32_t i = 0; i < a->n_iats; i++)
		assert_mix(&a->iats[i]);
	for (uint32_t i = 0; i < a->n_sizes; i++)
		assert_hist(&a->sizes[i]);
	for (uint32_t i = 0; i < a->n_states; i++) {
		const struct tg_auto_state *st = &a->states[i];
		double sum = st->end;

		assert_true(st->ctx_len <= a->order);
		if (st->ctx_len >= 2)
			assert_true(st->count >= min_context);
		if (i > 0) {
			const struct tg_auto_state *pr = &a->states[i - 1];

			bool before = pr->ctx_len < st->ctx_len;

			for (unsigned t = 0; !before && t < st->ctx_len &&
					     pr->ctx_len == st->ctx_len; t++) {
				if (pr->ctx[t] != st->ctx[t]) {
					before = pr->ctx[t] < st->ctx[t];
					break;
				}
			}
			assert_true(before);
		}
		for (uint32_t k = 0; k < st->n_next; k++) {
			assert_true(st->next[k] >= 1);
			assert_true(st->next[k] < a->n_syms);
			if (k > 0)
				assert_true(st->next[k] > st->next[k - 1]);
			assert_true(st->iat[k] < a->n_iats);
			assert_true(st->size[k] < a->n_sizes);
			sum += st->p[k];
		}
		assert_near(sum, 1, 1e-9);
	}
}

/* Everything a fitted model must hold, checked here on its own. */
static void
assert_model(const struct tg_model *m, uint32_t min_context)
{
	double shares = 0;

	assert_int_equal(m->kind, TG_MODEL_FITTED);
	assert_true(m->n_services >= 1);
	assert_true(m->n_services <= TG_MODEL_MAX_SERVICES);
	for (uint32_t i = 0; i < m->n_services; i++) {
		const struct tg_fitted_service *s = &m->fit.services[i];

		if (i > 0)
			assert_true(strcmp(m->fit.services[i - 1].name,
					   s->name) < 0);
		shares += s->share;
		assert_hist(&s->server_port);
		assert_hist(&s->client_port);
		for (int d = 0; d < 2; d++) {
			assert_hist(&s->side[d].ttl);
			assert_hist(&s->side[d].tos);
			assert_hist(&s->side[d].ipid);
			assert_hist(&s->side[d].mss);
			assert_hist(&s->side[d].wscale);
			assert_hist(&s->side[d].window);
			assert_true(s->side[d].window.n <= 65);
		}
		assert_mix(&s->rtt);
		assert_mix(&s->ack_delay);
		assert_automaton(&s->automaton, min_context);
		double row = 0;
		for (uint32_t j = 0; j < m->n_services; j++)
			row += m->fit.arrivals.next[i * m->n_services + j];
		assert_near(row, 1, 1e-9);
		if (m->fit.arrivals.has_gap_after[i])
			assert_mix(&m->fit.arrivals.gap_after[i]);
		else
			assert_int_equal(m->fit.arrivals.gap_after[i].k, 0);
	}
	assert_near(shares, 1, 1e-9);
	assert_mix(&m->fit.arrivals.gap);
	assert_mix(&m->fit.dns_delay);
}

static struct tg_fitter *
fitter(const struct tg_fit_conf *conf)
{
	struct tg_fitter *f = tg_fit_create(conf);

	assert_non_null(f);
	return f;
}

static void
finish(struct tg_fitter *f, struct tg_model *m, struct tg_fit_stats *st,
       uint32_t min_context)
{
	char err[256] = "";

	if (tg_fit_finish(f, m, st, err, sizeof(err)) != 0)
		fail_msg("tg_fit_finish: %s", err);
	assert_model(m, min_context);
}

/* Flow starts 2-component log-normal apart; the next flow's service
 * follows a known Markov chain over three UDP services. */
static void
test_arrivals_and_service_chain(void **state)
{
	/* No DNS: a lookup before a flow would be claimed by it, and
	 * leave the chain (test_dns_lookups_claimed). */
	static const uint16_t ports[3] = { 161, 123, 443 };	/* UDP */
	static const char *const names[3] = { "snmp", "ntp", "quic" };
	static const double chain[3][3] = {
		{ 0.6, 0.3, 0.1 }, { 0.2, 0.2, 0.6 }, { 0.5, 0.1, 0.4 } };
	const struct tg_lnmix truth = { .k = 2, .weight = { 0.7, 0.3 },
					.mu = { log(0.002), log(0.5) },
					.sigma = { 0.5, 1.0 } };
	struct tg_fit_conf conf = { 0 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;
	struct tg_rng rng;
	struct gen g;
	uint64_t t = 1700000000 * SEC;
	double seen[3] = { 0 };
	unsigned svc = 0;

	(void)state;
	tg_rng_seed(&rng, 42, 0);
	for (size_t i = 0; i < N; i++) {
		gen_start(&g, TG_PROTO_UDP, ports[svc], t, CLIENT, RESOLVER);
		add_pkt(&g, TG_DIR_C2S, 0, 40, 0);
		add_pkt(&g, TG_DIR_S2C, 0, 120, 20 * MS);
		tg_fit_add_flow(&g.rec, f);
		seen[svc]++;
		t += (uint64_t)(tg_sample_lnmix(&rng, &truth) * 1e9);
		svc = tg_sample_weighted(&rng, chain[svc], 3, 1.0);
	}
	finish(f, &m, &st, 20);
	assert_int_equal(st.flows_used, N);
	assert_int_equal(m.n_services, 3);

	/* The gap mixture: standard errors of a weight sqrt(w(1-w)/n), of a
	 * mean sigma/sqrt(nw), of a deviation sigma/sqrt(2nw); 5 of them. */
	const struct tg_lnmix *gap = &m.fit.arrivals.gap;
	assert_int_equal(gap->k, 2);
	for (unsigned j = 0; j < 2; j++) {
		double nw = N * truth.weight[j];

		assert_share(gap->weight[j], truth.weight[j], N, 5);
		assert_near(gap->mu[j], truth.mu[j],
			    5 * truth.sigma[j] / sqrt(nw));
		assert_near(gap->sigma[j], truth.sigma[j],
			    5 * truth.sigma[j] / sqrt(2 * nw));
	}
	/* The chain, row by row: binomial, 5 standard errors. */
	for (unsigned i = 0; i < 3; i++) {
		uint32_t a = find_service(&m, names[i]);

		assert_true(m.fit.arrivals.has_gap_after[a]);
		assert_int_equal(m.fit.arrivals.gap_after[a].k, 2);
		assert_near(m.fit.services[a].share, seen[i] / N, 1e-12);
		for (unsigned j = 0; j < 3; j++) {
			uint32_t b = find_service(&m, names[j]);

			assert_share(m.fit.arrivals.next[a * 3 + b],
				     chain[i][j], seen[i], 5);
		}
	}
	/* One file of a few hours: time of day does not apply. */
	assert_int_equal(m.fit.arrivals.tod_bucket_hours, 24);
	assert_true(m.fit.arrivals.tod_rate[0] == 1.0);
	assert_true(m.fit.arrivals.start_hour == 12.0);
	tg_model_free(&m);
	tg_fit_free(f);
}

/* Two days of one-packet UDP flows from CLIENT to server:port, in hour h
 * 60 * rate[h % 24 / 6] of them, evenly spaced. */
static void
add_days_by_hour(struct tg_fitter *f, const double rate[4], uint16_t port,
		 uint32_t server, uint32_t payload)
{
	const uint64_t day0 = 19000 * 24 * 3600 * SEC;	/* a midnight */
	struct gen g;

	for (unsigned h = 0; h < 48; h++) {
		unsigned n = (unsigned)(60 * rate[h % 24 / 6]);

		for (unsigned i = 0; i < n; i++) {
			gen_start(&g, TG_PROTO_UDP, port,
				  day0 + h * 3600 * SEC + i * 3600 * SEC / n,
				  CLIENT, server);
			add_pkt(&g, TG_DIR_C2S, 0, payload, 0);
			tg_fit_add_flow(&g.rec, f);
		}
	}
}

/* Two days of flows whose rate follows the time of day (UTC) by 6-hour
 * bucket. */
static void
test_time_of_day(void **state)
{
	static const double rate[4] = { 0.5, 1.0, 1.5, 1.0 };	/* mean 1 */
	const uint64_t day0 = 19000 * 24 * 3600 * SEC;	/* a midnight */
	struct tg_fit_conf conf = { 0 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;
	struct gen g;

	(void)state;
	add_days_by_hour(f, rate, 53, RESOLVER, 30);
	finish(f, &m, &st, 20);

	const struct tg_arrivals *ar = &m.fit.arrivals;
	assert_int_equal(ar->tod_bucket_hours, 6);
	for (unsigned b = 0; b < 4; b++)
		assert_near(ar->tod_rate[b], rate[b], 1e-9);
	for (unsigned h = 4; h < 24; h++)
		assert_true(ar->tod_rate[h] == 0);
	tg_model_free(&m);
	tg_fit_free(f);

	/* one bucket short of 50 flows: no time of day */
	f = fitter(&conf);
	for (unsigned b = 0; b < 4; b++)
		for (unsigned i = 0; i < (b == 2 ? 49u : 50u); i++) {
			gen_start(&g, TG_PROTO_UDP, 53,
				  day0 + b * 6 * 3600 * SEC + i * SEC, CLIENT,
				  RESOLVER);
			add_pkt(&g, TG_DIR_C2S, 0, 30, 0);
			tg_fit_add_flow(&g.rec, f);
		}
	finish(f, &m, &st, 20);
	assert_int_equal(m.fit.arrivals.tod_bucket_hours, 24);
	assert_true(m.fit.arrivals.tod_rate[0] == 1);
	tg_model_free(&m);
	tg_fit_free(f);
}

/* The construction of test_time_of_day: in hour h, flows 60 / rate s
 * apart. The engine divides a gap by the rate of its hour, so the fitted
 * gaps are the seen ones times that rate: all exactly 60 s. */
static void
test_time_of_day_scales_gaps(void **state)
{
	static const double rate[4] = { 0.5, 1.0, 1.5, 1.0 };
	struct tg_fit_conf conf = { 0 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;

	(void)state;
	add_days_by_hour(f, rate, 123, PUBLIC, 48);
	finish(f, &m, &st, 20);
	assert_int_equal(m.fit.arrivals.tod_bucket_hours, 6);
	assert_int_equal(m.fit.arrivals.gap.k, 1);
	assert_near(m.fit.arrivals.gap.mu[0], log(60.0), 1e-9);
	assert_near(m.fit.arrivals.gap.sigma[0], TG_LNMIX_MIN_SIGMA, 1e-12);
	tg_model_free(&m);
	tg_fit_free(f);
}

/* Every 30 s a client looks a name up, then opens two TLS connections
 * 40 ms and 100 ms later (one answer, two uses). The first connection
 * claims the lookup: dns_first is 1/2, one delay of 40 ms per lookup, and
 * the lookup is no arrival of its own (the engine makes it with the
 * connection): the chain is tls -> tls, and the connection arrives at its
 * lookup's time (gaps 100 ms and 29.9 s). */
static void
test_dns_lookups_claimed(void **state)
{
	const unsigned rounds = 200;
	struct tg_fit_conf conf = { 0 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;
	struct gen g;

	(void)state;
	for (unsigned i = 0; i < rounds; i++) {
		uint64_t t = 1700000000 * SEC + i * 30 * SEC;

		gen_start(&g, TG_PROTO_UDP, 53, t, CLIENT, RESOLVER);
		add_pkt(&g, TG_DIR_C2S, 0, 30, 0);
		add_pkt(&g, TG_DIR_S2C, 0, 90, 20 * MS);
		tg_fit_add_flow(&g.rec, f);
		for (unsigned k = 0; k < 2; k++) {
			gen_start(&g, TG_PROTO_TCP, 443,
				  t + (k ? 100 : 40) * MS, CLIENT, PUBLIC);
			add_handshake(&g, 10 * MS, MS);
			tg_fit_add_flow(&g.rec, f);
		}
	}
	finish(f, &m, &st, 20);

	uint32_t tls = find_service(&m, "tls"), dns = find_service(&m, "dns");
	const struct tg_arrivals *ar = &m.fit.arrivals;
	const struct tg_lnmix *gap = &ar->gap;

	assert_near(m.fit.services[tls].dns_first, 0.5, 1e-12);
	assert_int_equal(m.fit.dns_delay.k, 1);
	assert_near(m.fit.dns_delay.mu[0], log(0.04), 1e-9);
	assert_true(ar->next[tls * 2 + tls] == 1.0);
	assert_true(ar->next[tls * 2 + dns] == 0.0);
	assert_int_equal(gap->k, 2);
	assert_near(fmin(gap->mu[0], gap->mu[1]), log(0.1), 1e-9);
	assert_near(fmax(gap->mu[0], gap->mu[1]), log(29.9), 1e-9);
	tg_model_free(&m);
	tg_fit_free(f);
}

/* A TLS connection every 10 s, and 1 ms after each a SYN to port 31337:
 * every other one nobody answers (a scan), the others the server refuses
 * with a RST. other-tcp learns the two shares, and both count as
 * arrivals again (the engine plays them): the chain alternates tls and
 * other-tcp, with gaps of 1 ms and of 10 s less 1 ms. */
static void
test_failed_syns_arrive(void **state)
{
	struct tg_fit_conf conf = { 0 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;
	struct gen g;

	(void)state;
	for (unsigned i = 0; i < 100; i++) {
		uint64_t t = 1700000000 * SEC + i * 10 * SEC;

		gen_start(&g, TG_PROTO_TCP, 443, t, CLIENT, PUBLIC);
		add_handshake(&g, 10 * MS, MS);
		tg_fit_add_flow(&g.rec, f);
		gen_start(&g, TG_PROTO_TCP, 31337, t + MS, CLIENT, SERVER);
		add_pkt(&g, TG_DIR_C2S, TG_TCP_SYN, 0, 0);
		if (i % 2)
			add_pkt(&g, TG_DIR_S2C, TG_TCP_RST | TG_TCP_ACK, 0,
				MS);
		g.rec.has_syn = true;
		tg_fit_add_flow(&g.rec, f);
	}
	finish(f, &m, &st, 20);

	uint32_t tls = find_service(&m, "tls");
	uint32_t other = find_service(&m, "other-tcp");
	const struct tg_arrivals *ar = &m.fit.arrivals;
	const struct tg_lnmix *gap = &ar->gap;

	assert_int_equal(st.flows_used, 200);
	assert_near(m.fit.services[other].share, 0.5, 1e-12);
	assert_near(m.fit.services[other].unanswered, 0.5, 1e-12);
	assert_near(m.fit.services[other].refused, 0.5, 1e-12);
	assert_true(m.fit.services[tls].unanswered == 0);
	assert_true(m.fit.services[tls].refused == 0);
	/* Their SYNs have a client table of their own. */
	assert_true(m.fit.services[other].unopened.ttl.n > 0);
	assert_int_equal(m.fit.services[tls].unopened.ttl.n, 0);
	assert_true(ar->next[tls * 2 + other] == 1.0);
	assert_near(ar->next[other * 2 + tls], 1.0, 1e-12);
	assert_int_equal(gap->k, 2);
	assert_near(fmin(gap->mu[0], gap->mu[1]), log(0.001), 1e-6);
	assert_near(fmax(gap->mu[0], gap->mu[1]), log(9.999), 1e-6);
	tg_model_free(&m);
	tg_fit_free(f);
}

/* Flows 1 s apart, then a capture paused for three days, then more: the
 * pause is no gap between flows. Kept (even as an hour), it would widen
 * the spike at 1 s. */
static void
test_capture_pause(void **state)
{
	struct tg_fit_conf conf = { 0 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;
	struct gen g;

	(void)state;
	for (unsigned i = 0; i < 80; i++) {
		uint64_t t = i * SEC + (i >= 40 ? 72 * 3600 * SEC : 0);

		gen_start(&g, TG_PROTO_UDP, 53, t, CLIENT, RESOLVER);
		add_pkt(&g, TG_DIR_C2S, 0, 30, 0);
		tg_fit_add_flow(&g.rec, f);
	}
	finish(f, &m, &st, 20);
	assert_int_equal(m.fit.arrivals.gap.k, 1);
	assert_near(m.fit.arrivals.gap.mu[0], 0, 1e-9);
	assert_near(m.fit.arrivals.gap.sigma[0], TG_LNMIX_MIN_SIGMA, 1e-12);
	tg_model_free(&m);
	tg_fit_free(f);
}

/* The symbols of the automaton test, in the fitter's order: client
 * packets first, then by class and size. */
enum { SYM_CACK = 1, SYM_CDATA = 2, SYM_SDATA = 3, N_TEST_SYMS = 4 };
#define END_COL 0

static const uint8_t sym_dir[N_TEST_SYMS] = { 0, TG_DIR_C2S, TG_DIR_C2S,
					      TG_DIR_S2C };
static const uint32_t sym_len[N_TEST_SYMS] = { 0, 0, 517, 1448 };
static const double sym_gap[N_TEST_SYMS] = { 0, 1e-4, 0.05, 0.002 };
static const double sym_sigma[N_TEST_SYMS] = { 0, 0.4, 0.5, 0.3 };
/* P(next | previous): column 0 is the end, rows by symbol (0: start). */
static const double auto_chain[N_TEST_SYMS][N_TEST_SYMS] = {
	{ 0.0, 0.3, 0.7, 0.0 },
	{ 0.2, 0.1, 0.3, 0.4 },
	{ 0.1, 0.1, 0.1, 0.7 },
	{ 0.1, 0.3, 0.2, 0.4 },
};

#define AUTO_FLOWS 4000
#define AUTO_MIDFLOW 100
#define AUTO_STORED 12		/* packets stored: many flows are cut */

/* TCP flows: handshake with known times, then the chain above. */
static void
make_auto_flows(struct tg_fitter *f, uint64_t seed)
{
	struct tg_rng rng;
	struct gen g;

	tg_rng_seed(&rng, seed, 0);
	for (unsigned i = 0; i < AUTO_FLOWS; i++) {
		unsigned s = 0;

		gen_start(&g, TG_PROTO_TCP, 443, i * 10 * MS, CLIENT + i % 7,
			  PUBLIC);
		g.max_pkts = AUTO_STORED;
		add_handshake(&g, lognormal_ns(&rng, 0.030, 0.4),
			      lognormal_ns(&rng, 0.0002, 0.5));
		while ((s = tg_sample_weighted(&rng, auto_chain[s],
					       N_TEST_SYMS, 1.0)) != END_COL)
			add_pkt(&g, sym_dir[s], TG_TCP_ACK, sym_len[s],
				lognormal_ns(&rng, sym_gap[s], sym_sigma[s]));
		tg_fit_add_flow(&g.rec, f);
	}
	for (unsigned i = 0; i < AUTO_MIDFLOW; i++) {	/* no handshake */
		gen_start(&g, TG_PROTO_TCP, 443, i * 10 * MS + 1, CLIENT,
			  PUBLIC);
		g.rec.start = TG_START_MIDFLOW;
		add_pkt(&g, TG_DIR_S2C, TG_TCP_ACK, 1448, 0);
		tg_fit_add_flow(&g.rec, f);
	}
}

/* Transitions of a state whose last symbol is `last`, checked against
 * row `last` of the chain: binomial, 5 standard errors. */
static void
check_row(const struct tg_auto_state *st, unsigned last)
{
	const double *row = auto_chain[last];
	double p[N_TEST_SYMS] = { 0 };

	for (uint32_t k = 0; k < st->n_next; k++)
		p[st->next[k]] = st->p[k];
	assert_share(st->end, row[END_COL], st->count, 5);
	for (unsigned s = 1; s < N_TEST_SYMS; s++) {
		if (row[s] == 0)
			assert_true(p[s] == 0);
		else
			assert_share(p[s], row[s], st->count, 5);
	}
}

static void
test_automaton_first_order(void **state)
{
	struct tg_fit_conf conf = { .order = 1 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;

	(void)state;
	make_auto_flows(f, 7);
	finish(f, &m, &st, 20);
	assert_int_equal(st.skipped_midflow, AUTO_MIDFLOW);
	assert_int_equal(m.n_services, 1);

	const struct tg_fitted_service *s = &m.fit.services[0];
	const struct tg_automaton *a = &s->automaton;

	assert_string_equal(s->name, "tls");
	assert_int_equal(s->flows, AUTO_FLOWS + AUTO_MIDFLOW);
	assert_int_equal(a->order, 1);
	/* Symbols: the start marker, then client pure ACKs (bucket 0),
	 * client 517-byte segments (bucket 3), server 1448 (bucket 5). */
	assert_int_equal(a->n_syms, N_TEST_SYMS);
	assert_int_equal(a->syms[0].dir, 0);
	assert_int_equal(a->syms[0].cls, 0);
	assert_int_equal(a->syms[0].bucket, 0);
	for (unsigned k = 1; k < N_TEST_SYMS; k++) {
		assert_int_equal(a->syms[k].dir, sym_dir[k]);
		assert_int_equal(a->syms[k].cls, TG_SC_ACK);
		assert_int_equal(a->syms[k].bucket, tg_size_bucket(sym_len[k]));
		/* one exact payload size per symbol */
		assert_int_equal(a->sizes[k - 1].n, 1);
		assert_int_equal(a->sizes[k - 1].lo[0], sym_len[k]);
	}
	/* Root, [START], and one length-1 state per symbol. */
	assert_int_equal(a->n_states, 1 + N_TEST_SYMS);
	for (unsigned k = 0; k < N_TEST_SYMS; k++) {
		const struct tg_auto_state *sk = &a->states[1 + k];

		assert_int_equal(sk->ctx_len, 1);
		assert_int_equal(sk->ctx[0], k);
		check_row(sk, k);
	}
	assert_int_equal(a->states[1].count, AUTO_FLOWS);
	/* Gaps into each symbol: one log-normal; mean of the logs within 5
	 * standard errors (sigma / sqrt(n)). The root's mixture is the
	 * symbol's; [START] -> client data has its own. */
	const struct tg_auto_state *root = &a->states[0];
	for (uint32_t k = 0; k < root->n_next; k++) {
		unsigned sym = root->next[k];
		const struct tg_lnmix *mix = &a->iats[root->iat[k]];
		double n = root->p[k] * root->count;

		assert_int_equal(mix->k, 1);
		assert_near(mix->mu[0], log(sym_gap[sym]),
			    5 * sym_sigma[sym] / sqrt(n));
		assert_near(mix->sigma[0], sym_sigma[sym],
			    5 * sym_sigma[sym] / sqrt(2 * n));
	}
	assert_true(a->states[1].iat[1] != root->iat[1]);
	/* Handshake times. */
	assert_int_equal(s->rtt.k, 1);
	assert_near(s->rtt.mu[0], log(0.030), 5 * 0.4 / sqrt(AUTO_FLOWS));
	assert_near(s->rtt.sigma[0], 0.4, 5 * 0.4 / sqrt(2 * AUTO_FLOWS));
	assert_int_equal(s->ack_delay.k, 1);
	assert_near(s->ack_delay.mu[0], log(0.0002),
		    5 * 0.5 / sqrt(AUTO_FLOWS));
	tg_model_free(&m);
	tg_fit_free(f);
}

/* Order 2 on first-order data: contexts of two symbols exist only with
 * min_context observations and still show the first-order rows. */
/* Transitions with fewer than `min` gaps use the root's mixture of their
 * symbol (all gaps into it), which has its own; those with more have
 * their own, never the service's iats[0]. */
static void
check_shared_gaps(const struct tg_automaton *a, uint32_t min)
{
	const struct tg_auto_state *root = &a->states[0];
	unsigned shared = 0;

	for (uint32_t i = 1; i < a->n_states; i++) {
		const struct tg_auto_state *st = &a->states[i];

		for (uint32_t k = 0; k < st->n_next; k++) {
			double n = round(st->p[k] * st->count);
			uint32_t r = 0;

			while (root->next[r] != st->next[k])
				r++;
			assert_true(st->iat[k] != 0);
			if (n < min) {
				assert_int_equal(st->iat[k], root->iat[r]);
				shared++;
			}
		}
	}
	assert_true(shared > 0);	/* the test covers the rule */
}

static void
test_automaton_second_order(void **state)
{
	struct tg_fit_conf conf = { .order = 2, .min_context = 200,
				    .min_transition = 400 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;
	unsigned two = 0;

	(void)state;
	make_auto_flows(f, 8);
	finish(f, &m, &st, 200);

	const struct tg_automaton *a = &m.fit.services[0].automaton;

	assert_int_equal(a->order, 2);
	for (uint32_t i = 0; i < a->n_states; i++) {
		const struct tg_auto_state *sk = &a->states[i];

		if (sk->ctx_len < 1)
			continue;
		check_row(sk, sk->ctx[sk->ctx_len - 1]);
		two += sk->ctx_len == 2;
	}
	/* START + 3 symbols after it, and most of the 9 symbol pairs */
	assert_true(two >= 8 && two <= 12);
	assert_true(a->n_states == 1 + N_TEST_SYMS + two);
	check_shared_gaps(a, 400);
	tg_model_free(&m);
	tg_fit_free(f);
}

/* SYN options and header fields with known shares. */
static void
test_header_fields(void **state)
{
	struct tg_fit_conf conf = { 0 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;
	struct tg_rng rng;
	struct gen g;
	const unsigned n = 3000;
	double with_mss = 0, ttl64 = 0, linux_port = 0;

	(void)state;
	tg_rng_seed(&rng, 99, 0);
	for (unsigned i = 0; i < n; i++) {
		struct tg_trace_tcp_opts *o = &g.rec.syn_opts;
		double u = tg_rng_uniform(&rng);

		gen_start(&g, TG_PROTO_TCP, 80, i * MS, CLIENT, PUBLIC);
		add_handshake(&g, 10 * MS, 0);
		add_pkt(&g, TG_DIR_C2S, TG_TCP_ACK | TG_TCP_FIN, 0, MS);
		add_pkt(&g, TG_DIR_S2C, TG_TCP_ACK | TG_TCP_FIN, 0, MS);
		/* 90% offer an MSS: 70% of them 1460, 30% 1380 */
		o->has_mss = u < 0.9;
		o->mss = tg_rng_uniform(&rng) < 0.7 ? 1460 : 1380;
		with_mss += o->has_mss;
		/* windows: half 64240, the rest spread over 200 values */
		g.rec.syn_window = 64240;
		if (tg_rng_uniform(&rng) < 0.5)
			g.rec.syn_window = (uint16_t)(1000 + 7 *
						      tg_rng_below(&rng, 200));
		o->wscale = tg_rng_uniform(&rng) < 0.8 ? 7 : -1;
		o->sack_perm = tg_rng_uniform(&rng) < 0.6;
		g.rec.side[TG_DIR_C2S].ttl =
			tg_rng_uniform(&rng) < 0.4 ? 64 : 128;
		ttl64 += g.rec.side[TG_DIR_C2S].ttl == 64;
		g.rec.client_port = tg_rng_uniform(&rng) < 0.7
			? (uint16_t)(32768 + tg_rng_below(&rng, 16384))
			: (uint16_t)(61000 + tg_rng_below(&rng, 4000));
		linux_port += g.rec.client_port < 49152;
		tg_fit_add_flow(&g.rec, f);
	}
	finish(f, &m, &st, 20);

	const struct tg_fitted_service *s = service(&m, "http");
	const struct tg_side_model *c = &s->side[TG_DIR_C2S];

	assert_int_equal(s->payload, TG_PAYLOAD_HTTP);
	assert_int_equal(s->proto, TG_PROTO_TCP);
	assert_share(c->mss_share, 0.9, n, 5);
	assert_near(c->mss_share, with_mss / n, 1e-12);
	assert_int_equal(c->mss.n, 2);
	assert_int_equal(c->mss.lo[0], 1380);
	assert_int_equal(c->mss.lo[1], 1460);
	assert_share(c->mss.p[1], 0.7, with_mss, 5);
	assert_share(c->wscale_share, 0.8, n, 5);
	assert_int_equal(c->wscale.n, 1);
	assert_int_equal(c->wscale.lo[0], 7);
	assert_share(c->sack, 0.6, n, 5);
	assert_true(c->timestamps == 0);
	assert_true(c->df == 1);
	/* TTL: two exact values */
	assert_int_equal(c->ttl.n, 2);
	assert_int_equal(c->ttl.lo[0], 64);
	assert_near(c->ttl.p[0], ttl64 / n, 1e-12);
	assert_share(c->ttl.p[0], 0.4, n, 5);
	assert_int_equal(s->side[TG_DIR_S2C].ttl.n, 1);
	assert_int_equal(s->side[TG_DIR_S2C].ttl.lo[0], 57);
	/* Windows: 201 values, 32 kept exactly (64240 among them, with its
	 * share), the rest in ranges between them. */
	const struct tg_hist *w = &c->window;
	uint32_t exact = 0;
	double p64240 = 0;
	for (uint32_t i = 0; i < w->n; i++) {
		exact += w->lo[i] == w->hi[i];
		if (w->lo[i] == 64240 && w->hi[i] == 64240)
			p64240 = w->p[i];
	}
	assert_true(exact >= 32 && w->n > 32 && w->n <= 65);
	assert_share(p64240, 0.5, n, 5);
	assert_true(w->lo[0] >= 1000 && w->hi[w->n - 1] == 64240);
	/* Without SYN-ACK options in the records: the server offers nothing */
	assert_true(s->side[TG_DIR_S2C].mss_share == 0);
	/* Ports: one exact server port; client ports by OS range */
	assert_int_equal(s->server_port.n, 1);
	assert_int_equal(s->server_port.lo[0], 80);
	assert_int_equal(s->client_port.n, 2);
	assert_int_equal(s->client_port.lo[0], 32768);
	assert_int_equal(s->client_port.hi[0], 49151);
	assert_int_equal(s->client_port.lo[1], 61000);
	assert_int_equal(s->client_port.hi[1], 65535);
	assert_near(s->client_port.p[0], linux_port / n, 1e-12);
	tg_model_free(&m);
	tg_fit_free(f);
}

/* Services: rare ones fold into other-*, a class over both TCP and UDP
 * splits, other protocols are skipped, names come out sorted. */
static void
test_service_mix(void **state)
{
	struct tg_fit_conf conf = { .min_service_flows = 5 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;
	struct gen g;
	uint64_t t = 0;

	(void)state;
	for (unsigned i = 0; i < 10; i++) {	/* dns: 10 UDP, 6 TCP */
		gen_start(&g, TG_PROTO_UDP, 53, t += MS, CLIENT, SERVER);
		add_pkt(&g, TG_DIR_C2S, 0, 30, 0);
		tg_fit_add_flow(&g.rec, f);
	}
	for (unsigned i = 0; i < 6; i++) {
		gen_start(&g, TG_PROTO_TCP, 53, t += MS, CLIENT, SERVER);
		add_handshake(&g, MS, MS);
		tg_fit_add_flow(&g.rec, f);
	}
	for (unsigned i = 0; i < 4; i++) {	/* too few: other-tcp */
		gen_start(&g, TG_PROTO_TCP, 22, t += MS, CLIENT, SERVER);
		add_handshake(&g, MS, MS);
		tg_fit_add_flow(&g.rec, f);
	}
	for (unsigned i = 0; i < 2; i++) {	/* ping over IPv6: stays */
		gen_start(&g, TG_PROTO_ICMPV6, 0, t += MS, CLIENT, SERVER);
		g.rec.ip_version = 6;
		g.rec.icmp_echo = true;
		add_pkt(&g, TG_DIR_C2S, 0, 56, 0);
		add_pkt(&g, TG_DIR_S2C, 0, 56, MS);
		tg_fit_add_flow(&g.rec, f);
	}
	gen_start(&g, 47, 0, t += MS, CLIENT, SERVER);	/* GRE */
	add_pkt(&g, TG_DIR_C2S, 0, 100, 0);
	tg_fit_add_flow(&g.rec, f);
	gen_start(&g, TG_PROTO_ICMP, 0, t += MS, CLIENT, SERVER);
	add_pkt(&g, TG_DIR_C2S, 0, 8, 0);	/* not an echo */
	tg_fit_add_flow(&g.rec, f);
	finish(f, &m, &st, 20);

	assert_int_equal(st.flows, 24);
	assert_int_equal(st.flows_used, 22);
	assert_int_equal(st.skipped_other_proto, 2);
	assert_int_equal(st.folded_rare, 4);
	assert_int_equal(st.services, 4);
	assert_int_equal(m.n_services, 4);
	assert_string_equal(m.fit.services[0].name, "dns");
	assert_string_equal(m.fit.services[1].name, "dns-tcp");
	assert_string_equal(m.fit.services[2].name, "icmpv6");
	assert_string_equal(m.fit.services[3].name, "other-tcp");
	assert_int_equal(m.fit.services[0].proto, TG_PROTO_UDP);
	assert_int_equal(m.fit.services[0].payload, TG_PAYLOAD_DNS);
	assert_int_equal(m.fit.services[1].proto, TG_PROTO_TCP);
	assert_int_equal(m.fit.services[1].payload, TG_PAYLOAD_DNS_TCP);
	assert_int_equal(m.fit.services[2].proto, TG_PROTO_ICMP);
	assert_int_equal(m.fit.services[2].payload, TG_PAYLOAD_ZERO);
	assert_true(m.fit.services[2].ipv6 == 1);
	assert_true(m.fit.services[0].ipv6 == 0);
	assert_int_equal(m.fit.services[3].flows, 4);
	assert_near(m.fit.services[0].share, 10.0 / 22, 1e-12);
	/* ping: request then reply, each with one 56-byte symbol */
	const struct tg_automaton *a = &m.fit.services[2].automaton;
	assert_int_equal(a->n_syms, 3);
	assert_int_equal(a->syms[1].cls, TG_SC_DGRAM);
	assert_int_equal(a->syms[1].dir, TG_DIR_C2S);
	assert_int_equal(a->syms[2].dir, TG_DIR_S2C);
	/* a TCP service whose flows are handshakes only: ends at once */
	a = &m.fit.services[1].automaton;
	assert_int_equal(a->n_syms, 1);
	assert_true(a->states[0].end == 1);
	assert_true(m.fit.services[1].side[TG_DIR_C2S].mss_share == 0);
	tg_model_free(&m);
	tg_fit_free(f);
}

/* IP id modes from the first two ids of each side, through tg_flows. */
struct ipid_case {
	uint16_t first;
	uint16_t second;
};

static void
test_ipid_modes(void **state)
{
	static const struct ipid_case cases[] = {
		{ 0, 0 }, { 0, 0 },		/* zero */
		{ 1000, 1001 }, { 0, 4321 },	/* a counter ... */
		{ 65530, 3 },			/* ... that wraps */
		{ 1000, 40000 },		/* random */
	};
	struct tg_fit_conf conf = { .min_service_flows = 1 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_flows_conf fconf = { .on_flow = tg_fit_add_flow, .arg = f };
	struct tg_flows *flows = tg_flows_create(&fconf);
	struct tg_model m;
	struct tg_fit_stats st;

	(void)state;
	assert_non_null(flows);
	for (unsigned i = 0; i < 6; i++)
		for (unsigned k = 0; k < 2; k++) {
			struct tg_trace_pkt p = {
				.ts_ns = i * SEC + k * MS, .ip_version = 4,
				.proto = TG_PROTO_UDP,
				.sport = (uint16_t)(40000 + i), .dport = 123,
				.ttl = 64, .payload_len = 48 };

			set_v4(&p.src, CLIENT);
			set_v4(&p.dst, SERVER);
			p.ip_id = k ? cases[i].second : cases[i].first;
			assert_int_equal(tg_flows_add(flows, &p), 0);
		}
	tg_flows_flush(flows);
	finish(f, &m, &st, 20);

	const struct tg_hist *h = &m.fit.services[0].side[TG_DIR_C2S].ipid;
	assert_string_equal(m.fit.services[0].name, "ntp");
	assert_int_equal(h->n, 3);
	assert_int_equal(h->lo[0], TG_IPID_ZERO);
	assert_near(h->p[0], 2 / 6.0, 1e-12);
	assert_int_equal(h->lo[1], TG_IPID_INCREMENT);
	assert_near(h->p[1], 3 / 6.0, 1e-12);
	assert_int_equal(h->lo[2], TG_IPID_RANDOM);
	assert_near(h->p[2], 1 / 6.0, 1e-12);
	/* the server never spoke: default */
	h = &m.fit.services[0].side[TG_DIR_S2C].ipid;
	assert_int_equal(h->n, 1);
	assert_int_equal(h->lo[0], TG_IPID_INCREMENT);
	tg_model_free(&m);
	tg_fit_free(f);
	tg_flows_free(flows);
}

/* Hosts and DNS lookups before connections, with known answers. */
static void
test_hosts_and_dns(void **state)
{
	const unsigned n = 400, clients = 40, servers = 25;
	struct tg_fit_conf conf = { 0 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;
	struct tg_rng rng;
	struct gen g;
	unsigned distinct = 0, internal = 0, all = 0;
	uint32_t cl[700], sv[700];	/* every flow's client and server */

	(void)state;
	tg_rng_seed(&rng, 5, 0);
	for (unsigned i = 0; i < n; i++) {
		uint64_t t = 100 * SEC + i * 30 * SEC;	/* far apart */
		uint32_t c = 0x0a000000 + i % clients;
		uint32_t s = (i % servers < 10 ? 0xc0a80100 : 0x5db80000) +
			     tg_rng_below(&rng, servers);

		if (i % 2 == 0) {	/* looked up 20-80 ms before */
			uint64_t before = lognormal_ns(&rng, 0.04, 0.3);

			gen_start(&g, TG_PROTO_UDP, 53, t - before, c,
				  RESOLVER);
			add_pkt(&g, TG_DIR_C2S, 0, 30, 0);
			tg_fit_add_flow(&g.rec, f);
			cl[all] = c, sv[all++] = RESOLVER;
		} else if (i % 4 == 1) {	/* too long before: no */
			gen_start(&g, TG_PROTO_UDP, 53, t - 11 * SEC, c,
				  RESOLVER);
			add_pkt(&g, TG_DIR_C2S, 0, 30, 0);
			tg_fit_add_flow(&g.rec, f);
			cl[all] = c, sv[all++] = RESOLVER;
		}
		gen_start(&g, TG_PROTO_TCP, 443, t, c, s);
		add_handshake(&g, 10 * MS, MS);
		tg_fit_add_flow(&g.rec, f);
		cl[all] = c, sv[all++] = s;
	}
	finish(f, &m, &st, 20);

	/* counted here the slow way */
	for (unsigned i = 0; i < all; i++) {
		unsigned k = 0;

		while (k < i && (cl[k] != cl[i] || sv[k] != sv[i]))
			k++;
		distinct += k == i;
		internal += (sv[i] >> 8) == 0xc0a801;
	}
	const struct tg_hosts_model *h = &m.fit.hosts;
	double flows = all;

	assert_int_equal(st.flows_used, n + n / 2 + n / 4);
	assert_int_equal(h->clients, clients);	/* DNS flows: same clients */
	/* servers: the TCP ones, plus the resolver */
	assert_true(h->servers > 20 && h->servers <= 2 * servers + 1);
	/* DNS flows repeat after their first one per client */
	assert_near(h->repeat_server, (flows - distinct) / flows, 1e-12);
	assert_near(h->server_internal, internal / flows, 1e-12);
	uint32_t tls = find_service(&m, "tls"), dns = find_service(&m, "dns");
	assert_near(m.fit.services[tls].dns_first, 0.5, 1e-12);
	assert_true(m.fit.services[dns].dns_first == 0);
	assert_int_equal(m.fit.dns_delay.k, 1);
	assert_near(m.fit.dns_delay.mu[0], log(0.04), 5 * 0.3 / sqrt(n / 2));
	tg_model_free(&m);
	tg_fit_free(f);
}

/* Flows per client from a Zipf law with exponent 1.1 over 200 clients. */
static void
test_zipf_exponent(void **state)
{
	const unsigned hosts = 200, n = 20000;
	const double s = 1.1;
	double cdf[200], total = 0;
	struct tg_fit_conf conf = { 0 };
	struct tg_fitter *f = fitter(&conf);
	struct tg_model m;
	struct tg_fit_stats st;
	struct tg_rng rng;
	struct gen g;

	(void)state;
	for (unsigned r = 0; r < hosts; r++)
		cdf[r] = total += pow(r + 1, -s);
	tg_rng_seed(&rng, 11, 0);
	for (unsigned i = 0; i < n; i++) {
		double u = tg_rng_uniform(&rng) * total;
		unsigned r = 0;

		while (cdf[r] < u)
			r++;
		gen_start(&g, TG_PROTO_UDP, 123, i * MS, 0x0a000000 + r,
			  0x0a010000 + i % 3);
		add_pkt(&g, TG_DIR_C2S, 0, 48, 0);
		tg_fit_add_flow(&g.rec, f);
	}
	finish(f, &m, &st, 20);
	assert_true(m.fit.hosts.clients > 150);
	/* ranks come from the observed counts, which bends the tail: a
	 * loose tolerance */
	assert_near(m.fit.hosts.client_zipf, s, 0.1);
	assert_int_equal(m.fit.hosts.servers, 3);
	assert_near(m.fit.hosts.server_zipf, 0, 0.05);	/* all equal */
	tg_model_free(&m);
	tg_fit_free(f);
}

static void
test_no_flows_is_an_error(void **state)
{
	struct tg_fitter *f = fitter(NULL);
	struct tg_model m;
	struct tg_fit_stats st;
	char err[128] = "";

	(void)state;
	assert_int_equal(tg_fit_finish(f, &m, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no TCP, UDP or ICMP"));
	assert_int_equal(tg_fit_finish(f, &m, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "finished already"));
	tg_model_free(&m);
	tg_fit_free(f);
}

static void
test_size_buckets(void **state)
{
	(void)state;
	assert_int_equal(tg_size_bucket(0), 0);
	assert_int_equal(tg_size_bucket(1), 1);
	assert_int_equal(tg_size_bucket(99), 1);
	assert_int_equal(tg_size_bucket(100), 2);
	assert_int_equal(tg_size_bucket(1199), 4);
	assert_int_equal(tg_size_bucket(1200), 5);
	assert_int_equal(tg_size_bucket(1499), 5);
	assert_int_equal(tg_size_bucket(1500), 6);
	assert_int_equal(tg_size_bucket(65535), 6);
	for (unsigned b = 0; b < TG_SIZE_BUCKETS; b++)
		assert_int_equal(tg_size_bucket(tg_size_bucket_lo[b]), b);
}

/* --- The real captures --------------------------------------------------- */

static void
test_training_captures(void **state)
{
	const char *root = getenv("TG_SOURCE_ROOT");
	char dir[1024], err[512];
	struct stat sb;
	struct timespec t0, t1;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/../shared/data/train",
		 root ? root : ".");
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		print_message("SKIP: %s is absent: the real captures are not "
			      "here (set TG_SOURCE_ROOT to the source root)\n",
			      dir);
		skip();
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const char *paths[] = { dir };
	struct tg_fit_conf conf = { .source = dir };
	struct tg_fitter *f = fitter(&conf);
	struct tg_flows_conf fconf = { .on_flow = tg_fit_add_flow, .arg = f };
	struct tg_flows *flows = tg_flows_create(&fconf);
	struct tg_trace *t;
	struct tg_trace_pkt p;
	struct tg_model m;
	struct tg_fit_stats st;
	int rc;

	assert_int_equal(tg_trace_open(paths, 1, NULL, &t, err, sizeof(err)),
			 0);
	while ((rc = tg_trace_next(t, &p)) == 1)
		assert_int_equal(tg_flows_add(flows, &p), 0);
	assert_int_equal(rc, 0);
	tg_flows_flush(flows);
	if (tg_fit_finish(f, &m, &st, err, sizeof(err)) != 0)
		fail_msg("tg_fit_finish: %s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tg_fit_summary(&m, stdout);
	printf("flows %llu, used %llu, other protocols %llu, mid-flow %llu, "
	       "folded %llu; %.2f s\n", (unsigned long long)st.flows,
	       (unsigned long long)st.flows_used,
	       (unsigned long long)st.skipped_other_proto,
	       (unsigned long long)st.skipped_midflow,
	       (unsigned long long)st.folded_rare,
	       (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);

	assert_model(&m, 20);
	assert_true(m.n_services >= 10);
	assert_int_equal(st.services, m.n_services);
	assert_int_equal(st.flows, tg_flows_stats(flows)->flows);
	assert_int_equal(st.flows, st.flows_used + st.skipped_other_proto);
	assert_true(st.flows_used > 0.9 * (double)st.flows);
	const struct tg_fitted_service *tls = service(&m, "tls");
	const struct tg_fitted_service *dns = service(&m, "dns");
	const struct tg_fitted_service *http = service(&m, "http");
	assert_int_equal(tls->proto, TG_PROTO_TCP);
	assert_int_equal(dns->proto, TG_PROTO_UDP);
	assert_int_equal(http->payload, TG_PAYLOAD_HTTP);
	/* a TLS client speaks first after the handshake */
	assert_true(tls->automaton.n_states > 5);
	assert_true(tls->automaton.n_syms > 5);
	assert_true(tls->rtt.k >= 1);
	assert_true(m.fit.hosts.clients > 100 && m.fit.hosts.servers > 100);
	assert_string_equal(m.fit.prov.source, dir);
	assert_non_null(strstr(m.fit.prov.tool, "tempogen-fit"));
	assert_int_equal(m.fit.prov.flows_used, st.flows_used);
	tg_model_free(&m);
	tg_fit_free(f);
	tg_flows_free(flows);
	tg_trace_close(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_component_is_the_sample_moments),
		cmocka_unit_test(test_recovers_two_components),
		cmocka_unit_test(test_bic_picks_the_number_of_components),
		cmocka_unit_test(test_rejects_bad_input),
		cmocka_unit_test(test_size_buckets),
		cmocka_unit_test(test_arrivals_and_service_chain),
		cmocka_unit_test(test_time_of_day),
		cmocka_unit_test(test_time_of_day_scales_gaps),
		cmocka_unit_test(test_dns_lookups_claimed),
		cmocka_unit_test(test_failed_syns_arrive),
		cmocka_unit_test(test_capture_pause),
		cmocka_unit_test(test_automaton_first_order),
		cmocka_unit_test(test_automaton_second_order),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_service_mix),
		cmocka_unit_test(test_ipid_modes),
		cmocka_unit_test(test_hosts_and_dns),
		cmocka_unit_test(test_zipf_exponent),
		cmocka_unit_test(test_no_flows_is_an_error),
		cmocka_unit_test(test_training_captures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
