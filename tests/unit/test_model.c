/* SPDX-License-Identifier: BSD-3-Clause
 * Model files: the built-in model loads, bad files get one line naming the
 * place, and the draws follow the parameters.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tg_dissected_ports.h"
#include "tg_model.h"

static char *builtin_text;

/* The shipped model file, read as text, to derive broken variants from. */
static int
read_shipped(void **state)
{
	const char *root = getenv("TG_SOURCE_ROOT");
	char path[1024];
	FILE *f;
	long n;

	(void)state;
	snprintf(path, sizeof(path), "%s/models/office-parametric.tgm",
		 root ? root : ".");
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	builtin_text = calloc(1, (size_t)n + 1);
	if (fread(builtin_text, 1, (size_t)n, f) != (size_t)n)
		return -1;
	fclose(f);
	return 0;
}

static int
free_shipped(void **state)
{
	(void)state;
	free(builtin_text);
	return 0;
}

/* The shipped text with the first `from` replaced by `to`. */
static char *
variant(const char *from, const char *to)
{
	const char *at = strstr(builtin_text, from);
	size_t n = strlen(builtin_text) + strlen(to) + 1;
	char *out = calloc(1, n);

	assert_non_null(at);
	memcpy(out, builtin_text, (size_t)(at - builtin_text));
	strcat(out, to);
	strcat(out, at + strlen(from));
	return out;
}

static void
expect_error(const char *from, const char *to, const char *message)
{
	struct tg_model m;
	char err[512];
	char *text = variant(from, to);

	int rc = tg_model_parse(text, "m.tgm", &m, err, sizeof(err));

	free(text);
	assert_int_equal(rc, -1);
	if (strstr(err, message) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", message, err);
}

static char *round_trip(const struct tg_model *m);

/* The parametric model shipped as models/office-parametric.tgm. */
static int
load_parametric(struct tg_model *m)
{
	char err[512];

	return tg_model_parse(builtin_text, "office-parametric.tgm", m, err,
			      sizeof(err));
}

/* The built-in model is the fitted default: it loads, it is fitted, and it
 * knows the services that dominate the training captures. */
static void
test_builtin_is_fitted_default(void **state)
{
	struct tg_model m;
	char err[512];
	bool seen_tls = false, seen_dns = false;
	double sum = 0;

	(void)state;
	assert_int_equal(tg_model_load_builtin(&m, err, sizeof(err)), 0);
	assert_string_equal(m.name, "default");
	assert_int_equal(m.kind, TG_MODEL_FITTED);
	assert_true(m.n_services >= 10);
	for (uint32_t i = 0; i < m.n_services; i++) {
		seen_tls |= strcmp(m.fit.services[i].name, "tls") == 0;
		seen_dns |= strcmp(m.fit.services[i].name, "dns") == 0;
		sum += m.fit.services[i].share;
	}
	assert_true(seen_tls && seen_dns);
	assert_true(fabs(sum - 1.0) < TG_MODEL_P_TOLERANCE);
	free(round_trip(&m));
	tg_model_free(&m);
}

static void
test_parametric_loads(void **state)
{
	struct tg_model m;
	double sum = 0;

	(void)state;
	assert_int_equal(load_parametric(&m), 0);
	assert_string_equal(m.name, "office-parametric");
	assert_int_equal(m.n_services, 6);
	assert_int_equal(m.par.services[0].proto, TG_PROTO_TCP);
	assert_int_equal(m.par.services[0].port, 80);
	assert_int_equal(m.par.services[0].payload, TG_PAYLOAD_HTTP);
	for (uint32_t i = 0; i < m.n_services; i++)
		sum += m.par.services[i].weight;
	assert_true(fabs(sum - 1.0) < 1e-9);
}

static void
test_bad_models(void **state)
{
	(void)state;
	expect_error("version = 2;", "version = 3;",
		     "m.tgm:5: version: version 3 is not supported");
	expect_error("weight = 0.30;", "weight = 0.31;",
		     "services: weights sum to 1.01, not 1");
	expect_error("rtt = { median = 0.025;", "rtt = { median = -1.0;",
		     "m.tgm:12: rtt.median: -1 is outside");
	expect_error("kind = \"parametric\";", "kind = 3;",
		     "m.tgm:6: kind: must be a string");
	expect_error("proto = \"tcp\"; port = 80;", "proto = \"sctp\"; port = 80;",
		     "proto: unknown value \"sctp\"");
	expect_error("name = \"office-parametric\";", "",
		     "m.tgm: name: missing");
	expect_error("rtt = {", "colour = 1; rtt = {",
		     "m.tgm:12: colour: unknown key");
	expect_error("services = (", "services = ( ,",
		     "m.tgm:23: syntax: syntax error");
}

static void
test_missing_file(void **state)
{
	struct tg_model m;
	char err[512];

	(void)state;
	assert_int_equal(tg_model_load("/nonexistent.tgm", &m, err,
				       sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent.tgm"));
}

/* Files that are no model file at all are refused by what they are, before
 * libconfig reads them: a directory, a device that never ends, a file over
 * the size limit (sparse: no disk is used). */
static void
test_hostile_files(void **state)
{
	char dir[] = "/tmp/tg_model_hostile.XXXXXX", path[64], err[512];
	struct tg_model m;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(tg_model_load(dir, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": cannot read: Is a directory"));
	assert_int_equal(tg_model_load("/dev/zero", &m, err, sizeof(err)), -1);
	assert_string_equal(err, "/dev/zero: cannot read: not a regular file");
	snprintf(path, sizeof(path), "%s/big.tgm", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	/* one byte over TG_CFGFILE_MAX_BYTES (lib/cfgfile), 16 MiB */
	assert_int_equal(fseek(f, 16 << 20, SEEK_SET), 0);
	assert_int_equal(fputc('\n', f), '\n');
	assert_int_equal(fclose(f), 0);
	assert_int_equal(tg_model_load(path, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "big.tgm: cannot read: 16777217 bytes, "
				    "more than the limit of 16777216"));
	unlink(path);
	rmdir(dir);
}

/* Every flow of the built-in model is a well-formed conversation: TCP
 * opens first and ends with CLOSE or RESET; UDP and ICMP alternate
 * request and response. */
static void
test_flow_steps(void **state)
{
	struct tg_model m;
	struct tg_rng rng;
	unsigned per_service[TG_MODEL_MAX_SERVICES] = { 0 };

	(void)state;
	assert_int_equal(load_parametric(&m), 0);
	tg_rng_seed(&rng, 5, 0);
	for (int flow = 0; flow < 20000; flow++) {
		struct tg_flow_desc desc;
		struct tg_flow_cursor cur;
		struct tg_step step;
		struct tg_arrival_state arrival = { UINT16_MAX };
		int n = 0, last_intent = -1, last_dir = TG_DIR_S2C;
		uint16_t service;

		tg_model_next_arrival(&m, &rng, 0, &arrival, &service);
		tg_model_flow_new(&m, &rng, service, &desc, &cur);
		per_service[desc.service]++;
		while (tg_model_flow_step(&m, &cur, &rng, &step)) {
			if (n == 0 && desc.proto == TG_PROTO_TCP)
				assert_int_equal(step.intent, TG_INTENT_OPEN);
			if (step.intent == TG_INTENT_DATA) {
				assert_true(step.bytes >= 1);
				assert_int_not_equal(step.dir, last_dir);
				last_dir = step.dir;
			}
			last_intent = step.intent;
			n++;
		}
		if (desc.proto == TG_PROTO_TCP)
			assert_true(last_intent == TG_INTENT_CLOSE ||
				    last_intent == TG_INTENT_RESET);
		else
			assert_int_equal(last_dir, TG_DIR_S2C);
	}
	/* The mix follows the weights (5 standard errors). */
	for (uint32_t i = 0; i < m.n_services; i++) {
		double p = m.par.services[i].weight;

		assert_true(fabs(per_service[i] / 20000.0 - p) <
			    5 * sqrt(p * (1 - p) / 20000));
	}
}

static void
test_arrival_median(void **state)
{
	struct tg_model m;
	struct tg_rng rng;
	unsigned below = 0;

	(void)state;
	assert_int_equal(load_parametric(&m), 0);
	tg_rng_seed(&rng, 6, 0);
	for (int i = 0; i < 100000; i++) {
		struct tg_arrival_state arrival = { UINT16_MAX };
		uint16_t service;

		below += tg_model_next_arrival(&m, &rng, 0, &arrival,
					       &service) <
			 (uint64_t)(m.par.arrival.median * 1e9);
	}
	assert_true(fabs(below / 100000.0 - 0.5) < 5 * 0.5 / sqrt(100000));
}


/* ------------------------------------------------------------------------
 * Format version 2: a tiny fitted model built in memory, checked, saved,
 * loaded and saved again; broken variants of it, in memory and as files.
 */

static void *
dup_of(const void *v, size_t size)
{
	void *p = malloc(size ? size : 1);

	assert_non_null(p);
	memcpy(p, v, size);
	return p;
}

/* A histogram as tempogen-fit makes one (tg_hist_init, alias built) or
 * as bare arrays: tg_model_check must end up with the same either way. */
static void
set_hist(struct tg_hist *h, uint32_t n, const uint32_t *lo,
	 const uint32_t *hi, const double *p, bool init)
{
	uint32_t *l = dup_of(lo, n * sizeof(*lo));
	uint32_t *u = dup_of(hi ? hi : lo, n * sizeof(*lo));
	double *q = dup_of(p, n * sizeof(*p));

	memset(h, 0, sizeof(*h));
	if (init) {
		assert_int_equal(tg_hist_init(h, n, l, u, q), 0);
	} else {
		h->n = n, h->lo = l, h->hi = u, h->p = q;
	}
}

#define N_OF(a) (uint32_t)(sizeof(a) / sizeof((a)[0]))
#define HIST(h, lo, hi, p, init) set_hist(h, N_OF(p), lo, hi, p, init)

static void
set_mix(struct tg_lnmix *x, unsigned k, const double *w, const double *mu,
	const double *sigma)
{
	memset(x, 0, sizeof(*x));
	x->k = k;
	memcpy(x->weight, w, k * sizeof(*w));
	memcpy(x->mu, mu, k * sizeof(*mu));
	memcpy(x->sigma, sigma, k * sizeof(*sigma));
}

static void
set_state(struct tg_auto_state *st, uint8_t len, const uint16_t *ctx,
	  uint32_t count, double end, uint32_t n, const uint16_t *next,
	  const double *p, const uint32_t *iat, const uint32_t *size)
{
	memset(st, 0, sizeof(*st));
	if (len)
		memcpy(st->ctx, ctx, len * sizeof(*ctx));
	st->ctx_len = len;
	st->count = count;
	st->end = end;
	st->n_next = n;
	if (n == 0)
		return;
	st->next = dup_of(next, n * sizeof(*next));
	st->p = dup_of(p, n * sizeof(*p));
	st->iat = dup_of(iat, n * sizeof(*iat));
	st->size = dup_of(size, n * sizeof(*size));
}

static const uint32_t dwin[] = { 229, 501 };
static const double dwin_p[] = { 0.25, 0.75 };

static void
fill_side(struct tg_side_model *sd, bool tcp, uint32_t ttl)
{
	static const uint32_t tos[] = { 0, 32 }, ipid[] = { 1 };
	static const uint32_t mss[] = { 1400, 1460 }, wscale[] = { 7 };
	static const uint32_t win_lo[] = { 64240 }, win_hi[] = { 65535 };
	static const double tos_p[] = { 0.9, 0.1 }, one[] = { 1.0 };
	static const double mss_p[] = { 0.2, 0.8 };
	uint32_t ttl_lo[] = { ttl - 8 }, ttl_hi[] = { ttl };

	HIST(&sd->ttl, ttl_lo, ttl_hi, one, true);
	HIST(&sd->tos, tos, NULL, tos_p, false);
	HIST(&sd->ipid, ipid, NULL, one, true);
	sd->df = 0.95;
	if (!tcp)
		return;
	sd->mss_share = 1.0;
	HIST(&sd->mss, mss, NULL, mss_p, false);
	sd->wscale_share = 0.9;
	HIST(&sd->wscale, wscale, NULL, one, true);
	sd->sack = 0.95;
	sd->timestamps = 0.5;
	HIST(&sd->window, win_lo, win_hi, one, false);
}

/* A TCP service: symbols ^, c:ACK:100, s:ACK:1200, c:FIN:0; order 1. */
static void
fill_web(struct tg_fitted_service *s)
{
	static const uint32_t sport[] = { 80, 8080 }, cport_lo[] = { 32768,
								     49152 };
	static const uint32_t cport_hi[] = { 60999, 65535 };
	static const double sport_p[] = { 0.9, 0.1 }, cport_p[] = { 0.7, 0.3 };
	static const uint32_t s0_lo[] = { 100, 200 }, s0_hi[] = { 199, 299 };
	static const uint32_t s1_lo[] = { 1200 }, s1_hi[] = { 1499 };
	static const uint32_t s2[] = { 0 };
	static const double half[] = { 0.5, 0.5 }, one[] = { 1.0 };
	static const double mu0[] = { -6 }, mu1[] = { -3, -1 };
	static const double sg0[] = { 1 }, sg1[] = { 1, 2 };
	static const uint16_t ctx1[] = { 1 }, next0[] = { 1, 2, 3 };
	static const uint16_t next1[] = { 2 };
	static const double p0[] = { 0.5, 0.3, 0.1 }, p1[] = { 0.95 };
	static const uint32_t iat0[] = { 0, 1, 0 }, size0[] = { 0, 1, 2 };
	static const uint32_t iat1[] = { 1 }, size1[] = { 1 };
	static const double rtt_mu[] = { -3.9 }, rtt_s[] = { 0.4 };
	static const double ack_mu[] = { -10 }, ack_s[] = { 0.8 };
	struct tg_automaton *a = &s->automaton;

	snprintf(s->name, sizeof(s->name), "web");
	s->proto = TG_PROTO_TCP;
	s->payload = TG_PAYLOAD_HTTP;
	s->flows = 600;
	s->share = 0.6;
	s->ipv6 = 0.1;
	s->dns_first = 0.8;
	s->unanswered = 0.1;
	s->refused = 0.05;
	HIST(&s->server_port, sport, NULL, sport_p, true);
	HIST(&s->client_port, cport_lo, cport_hi, cport_p, false);
	fill_side(&s->side[TG_DIR_C2S], true, 64);
	fill_side(&s->side[TG_DIR_S2C], true, 128);
	fill_side(&s->unopened, true, 48);
	HIST(&s->side[TG_DIR_S2C].data_window, dwin, NULL, dwin_p, false);
	set_mix(&s->rtt, 1, one, rtt_mu, rtt_s);
	set_mix(&s->ack_delay, 1, one, ack_mu, ack_s);

	a->order = 1;
	a->n_syms = 4;
	a->syms = calloc(4, sizeof(*a->syms));
	a->syms[1] = (struct tg_sym){ TG_DIR_C2S, TG_SC_ACK, 2 };
	a->syms[2] = (struct tg_sym){ TG_DIR_S2C, TG_SC_ACK, 5 };
	a->syms[3] = (struct tg_sym){ TG_DIR_C2S, TG_SC_FIN, 0 };
	a->n_iats = 2;
	a->iats = calloc(2, sizeof(*a->iats));
	set_mix(&a->iats[0], 1, one, mu0, sg0);
	set_mix(&a->iats[1], 2, half, mu1, sg1);
	a->n_sizes = 3;
	a->sizes = calloc(3, sizeof(*a->sizes));
	HIST(&a->sizes[0], s0_lo, s0_hi, half, true);
	HIST(&a->sizes[1], s1_lo, s1_hi, one, false);
	HIST(&a->sizes[2], s2, NULL, one, true);
	a->n_states = 2;
	a->states = calloc(2, sizeof(*a->states));
	set_state(&a->states[0], 0, NULL, 1000, 0.1, 3, next0, p0, iat0,
		  size0);
	set_state(&a->states[1], 1, ctx1, 500, 0.05, 1, next1, p1, iat1,
		  size1);
}

/* A UDP service: symbols ^, c:DGRAM:1, s:DGRAM:100; order 2; a state
 * that only ends the flow. */
static void
fill_dns(struct tg_fitted_service *s)
{
	static const uint32_t sport[] = { 53 }, cport_lo[] = { 1024 };
	static const uint32_t cport_hi[] = { 65535 };
	static const uint32_t s0_lo[] = { 20 }, s0_hi[] = { 99 };
	static const uint32_t s1_lo[] = { 100 }, s1_hi[] = { 299 };
	static const double one[] = { 1.0 }, mu[] = { -7 }, sg[] = { 0.3 };
	static const uint16_t ctx1[] = { 0 }, ctx2[] = { 1, 2 };
	static const uint16_t next0[] = { 1, 2 }, next1[] = { 1 };
	static const double p0[] = { 0.6, 0.4 };
	static const uint32_t iat0[] = { 0, 0 }, size0[] = { 0, 1 };
	static const uint32_t zero[] = { 0 };
	struct tg_automaton *a = &s->automaton;

	snprintf(s->name, sizeof(s->name), "dns");
	s->proto = TG_PROTO_UDP;
	s->payload = TG_PAYLOAD_DNS;
	s->flows = 400;
	s->share = 0.4;
	HIST(&s->server_port, sport, NULL, one, false);
	HIST(&s->client_port, cport_lo, cport_hi, one, false);
	fill_side(&s->side[TG_DIR_C2S], false, 64);
	fill_side(&s->side[TG_DIR_S2C], false, 255);

	a->order = 2;
	a->n_syms = 3;
	a->syms = calloc(3, sizeof(*a->syms));
	a->syms[1] = (struct tg_sym){ TG_DIR_C2S, TG_SC_DGRAM, 1 };
	a->syms[2] = (struct tg_sym){ TG_DIR_S2C, TG_SC_DGRAM, 2 };
	a->n_iats = 1;
	a->iats = calloc(1, sizeof(*a->iats));
	set_mix(&a->iats[0], 1, one, mu, sg);
	a->n_sizes = 2;
	a->sizes = calloc(2, sizeof(*a->sizes));
	HIST(&a->sizes[0], s0_lo, s0_hi, one, false);
	HIST(&a->sizes[1], s1_lo, s1_hi, one, true);
	a->n_states = 3;
	a->states = calloc(3, sizeof(*a->states));
	set_state(&a->states[0], 0, NULL, 400, 0.0, 2, next0, p0, iat0, size0);
	set_state(&a->states[1], 1, ctx1, 400, 0.0, 1, next1, one, zero,
		  zero);
	set_state(&a->states[2], 2, ctx2, 390, 1.0, 0, NULL, NULL, NULL,
		  NULL);
}

static void
build_fitted(struct tg_model *m)
{
	static const double dns_w[] = { 0.7, 0.3 }, dns_mu[] = { -4.6, -2.3 };
	static const double dns_s[] = { 0.5, 1.0 }, one[] = { 1.0 };
	static const double gap_mu[] = { -3 }, gap_s[] = { 1.5 };
	static const double after_mu[] = { -5 }, after_s[] = { 0.5 };
	static const double next[] = { 0.7, 0.3, 0.4, 0.6 };
	static const double tod[] = { 0.5, 1.5, 1.2, 0.8 };
	struct tg_fitted *fit = &m->fit;

	memset(m, 0, sizeof(*m));
	m->kind = TG_MODEL_FITTED;
	snprintf(m->name, sizeof(m->name), "tiny");
	m->n_services = 2;
	snprintf(fit->prov.tool, sizeof(fit->prov.tool), "tempogen-fit test");
	snprintf(fit->prov.date, sizeof(fit->prov.date),
		 "2024-01-02T03:04:05Z");
	snprintf(fit->prov.source, sizeof(fit->prov.source),
		 "a \"quoted\" path\\x.pcap\ttab");
	fit->prov.files = 2;
	fit->prov.packets = 5000000000ull;	/* needs libconfig's L */
	fit->prov.packets_used = 4000000000ull;
	fit->prov.flows = 1000;
	fit->prov.flows_used = 900;
	fit->hosts = (struct tg_hosts_model){ 10, 20, 1.1, 0.7, 0.6, 0.25 };
	set_mix(&fit->dns_delay, 2, dns_w, dns_mu, dns_s);
	set_mix(&fit->arrivals.gap, 1, one, gap_mu, gap_s);
	fit->arrivals.has_gap_after = calloc(2, sizeof(bool));
	fit->arrivals.gap_after = calloc(2, sizeof(struct tg_lnmix));
	fit->arrivals.has_gap_after[1] = true;
	set_mix(&fit->arrivals.gap_after[1], 1, one, after_mu, after_s);
	fit->arrivals.next = dup_of(next, sizeof(next));
	fit->arrivals.tod_bucket_hours = 6;
	memcpy(fit->arrivals.tod_rate, tod, sizeof(tod));
	fit->arrivals.start_hour = 9.5;
	fit->services = calloc(2, sizeof(*fit->services));
	fill_web(&fit->services[0]);
	fill_dns(&fit->services[1]);
}

/* Server ports whose dissector would misread a service's payload are
 * drawn again: random bytes never go to RIP's port 520 (an exact port) or
 * to SIP's 5060 (in a bin), the exact port's share moves to the others, a
 * bin keeps its share; a service with nothing but a dissected port keeps
 * it. */
static void
test_ports_fit_payload(void **state)
{
	static const uint32_t lo[] = { 520, 5040, 9000 };
	static const uint32_t hi[] = { 520, 5080, 9000 };
	static const double p[] = { 0.4, 0.3, 0.3 }, one[] = { 1.0 };
	static const uint32_t dns_port[] = { 53 };
	struct tg_fitted_service *svc;
	unsigned at_9000 = 0, in_bin = 0, at_53 = 0;
	struct tg_model m;
	struct tg_rng rng;
	char err[512];

	(void)state;
	build_fitted(&m);
	svc = &m.fit.services[1];
	svc->payload = TG_PAYLOAD_RANDOM;
	tg_hist_free(&svc->server_port);
	HIST(&svc->server_port, lo, hi, p, true);
	if (tg_model_check(&m, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	tg_rng_seed(&rng, 3, 0);
	for (int i = 0; i < 6000; i++) {
		struct tg_flow_desc desc;
		struct tg_flow_cursor cur;

		tg_model_flow_new(&m, &rng, 1, &desc, &cur);
		assert_true(tg_payload_fits_port(TG_PAYLOAD_RANDOM,
						 TG_PROTO_UDP,
						 desc.server_port));
		at_9000 += desc.server_port == 9000;
		in_bin += desc.server_port >= 5040 && desc.server_port <= 5080;
	}
	/* 0.3 / 0.6 of the flows each, three sigma about 0.02 */
	assert_in_range(at_9000, 2800, 3200);
	assert_in_range(in_bin, 2800, 3200);

	tg_hist_free(&svc->server_port);
	HIST(&svc->server_port, dns_port, NULL, one, true);
	for (int i = 0; i < 1000; i++) {
		struct tg_flow_desc desc;
		struct tg_flow_cursor cur;

		tg_model_flow_new(&m, &rng, 1, &desc, &cur);
		at_53 += desc.server_port == 53;
	}
	assert_int_equal(at_53, 1000);
	tg_model_free(&m);
}

/* What tg_model_save writes, as a string. */
static char *
saved(const struct tg_model *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(tg_model_save(m, out), 0);
	assert_int_equal(fclose(out), 0);
	return text;
}

/* save -> parse -> save gives the same bytes; returns the first text. */
static char *
round_trip(const struct tg_model *m)
{
	struct tg_model again;
	char err[512], *text = saved(m), *text2;

	if (tg_model_parse(text, "f.tgm", &again, err, sizeof(err)) != 0)
		fail_msg("%s\n%s", err, text);
	text2 = saved(&again);
	assert_string_equal(text, text2);
	free(text2);
	tg_model_free(&again);
	return text;
}

static void
test_fitted_round_trip(void **state)
{
	struct tg_model m, back;
	char err[512], *text;
	const uint16_t c1[] = { 1 }, c2[] = { 2 }, c12[] = { 1, 2 };

	(void)state;
	build_fitted(&m);
	if (tg_model_check(&m, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* derived tables */
	struct tg_automaton *web = &m.fit.services[0].automaton;
	struct tg_automaton *dns = &m.fit.services[1].automaton;
	assert_int_equal(web->states[0].alias.n, 4);
	assert_int_equal(dns->states[2].alias.n, 1);
	assert_int_equal(m.fit.arrivals.next_alias[1].n, 2);
	assert_int_equal(web->sizes[1].alias.n, 1);
	assert_int_equal(tg_automaton_find(web, NULL, 0), 0);
	assert_int_equal(tg_automaton_find(web, c1, 1), 1);
	assert_int_equal(tg_automaton_find(web, c2, 1), -1);
	assert_int_equal(tg_automaton_find(dns, c12, 2), 2);
	assert_int_equal(tg_automaton_find(dns, c12, 1), -1);
	/* checking twice rebuilds, never leaks or breaks */
	assert_int_equal(tg_model_check(&m, err, sizeof(err)), 0);

	text = round_trip(&m);
	assert_int_equal(tg_model_parse(text, "f.tgm", &back, err,
					sizeof(err)), 0);
	assert_int_equal(back.kind, TG_MODEL_FITTED);
	assert_int_equal(back.n_services, 2);
	assert_string_equal(back.fit.prov.source, m.fit.prov.source);
	assert_true(back.fit.prov.packets == 5000000000ull);
	assert_true(back.fit.arrivals.has_gap_after[1]);
	assert_false(back.fit.arrivals.has_gap_after[0]);
	assert_int_equal(back.fit.services[1].automaton.states[2].n_next, 0);
	assert_int_equal(back.fit.services[0].client_port.hi[1], 65535);
	assert_int_equal(tg_automaton_find(&back.fit.services[0].automaton,
					   c1, 1), 1);
	assert_true(back.fit.services[0].automaton.iats[1].mu[1] == -1.0);
	tg_model_free(&back);
	free(text);
	tg_model_free(&m);
}

static void
test_parametric_round_trip(void **state)
{
	struct tg_model m;

	(void)state;
	assert_int_equal(load_parametric(&m), 0);
	free(round_trip(&m));
	tg_model_free(&m);
}

/* tg_model_free is safe on a zeroed model, twice, and on a parametric
 * one; a failed load leaves the model zeroed. */
static void
test_free_is_safe(void **state)
{
	struct tg_model m, zero;
	char err[512], *text;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	memset(&m, 0, sizeof(m));
	tg_model_free(&m);
	tg_model_free(&m);
	assert_int_equal(load_parametric(&m), 0);
	tg_model_free(&m);
	assert_memory_equal(&m, &zero, sizeof(m));

	build_fitted(&m);
	text = saved(&m);
	tg_model_free(&m);
	/* fails in the last service's automaton, after most was read */
	char *bad = strstr(text, "next = [1];");
	assert_non_null(bad);
	memcpy(bad, "next = [9];", 11);
	memset(&m, 0x5a, sizeof(m));
	assert_int_equal(tg_model_parse(text, "f.tgm", &m, err, sizeof(err)),
			 -1);
	assert_memory_equal(&m, &zero, sizeof(m));
	free(text);
}

/* ------------------------------------------------------------------------
 * Broken models in memory: the message names the model and the place.
 */

typedef void (*breaker)(struct tg_model *m);

static void
check_fails(breaker brk, const char *message)
{
	struct tg_model m;
	char err[512];

	build_fitted(&m);
	brk(&m);
	assert_int_equal(tg_model_check(&m, err, sizeof(err)), -1);
	if (strncmp(err, message, strlen(message)) != 0)
		fail_msg("expected \"%s\" at the start of \"%s\"", message, err);
	assert_null(strchr(err, '\n'));
	tg_model_free(&m);
}

static struct tg_automaton *
web_auto(struct tg_model *m)
{
	return &m->fit.services[0].automaton;
}

static void
brk_sum(struct tg_model *m)
{
	web_auto(m)->states[0].p[2] = 0.07;
}

static void
brk_nan(struct tg_model *m)
{
	m->fit.dns_delay.mu[0] = NAN;
}

static void
brk_inf(struct tg_model *m)
{
	m->fit.services[1].share = INFINITY;
}

static void
brk_symbol(struct tg_model *m)
{
	web_auto(m)->states[1].next[0] = 7;
}

static void
brk_dup_ctx(struct tg_model *m)
{
	web_auto(m)->states[1].ctx_len = 0;
}

static void
brk_root(struct tg_model *m)
{
	web_auto(m)->states[0].ctx_len = 1;
	web_auto(m)->states[0].ctx[0] = 3;
}

static void
brk_ttl(struct tg_model *m)
{
	m->fit.services[0].side[TG_DIR_C2S].ttl.lo[0] = 0;
}

static void
brk_class(struct tg_model *m)
{
	m->fit.services[1].automaton.syms[1].cls = TG_SC_ACK;
}

static void
brk_bucket(struct tg_model *m)
{
	web_auto(m)->states[0].size[0] = 1;	/* 1200.. for c:ACK:100 */
}

static void
brk_name(struct tg_model *m)
{
	snprintf(m->fit.services[1].name, TG_MODEL_NAME_LEN, "web");
}

static void
brk_sigma(struct tg_model *m)
{
	web_auto(m)->iats[1].sigma[1] = 0;
}

static void
test_check_in_memory(void **state)
{
	(void)state;
	check_fails(brk_sum, "tiny: services.web.automaton.states[0]: "
		     "probabilities sum to 0.97, not 1");
	check_fails(brk_nan, "tiny: dns_delay.mu[0]: nan is not a finite "
		     "number");
	check_fails(brk_inf, "tiny: services.dns.share: inf is not a finite "
		     "number");
	check_fails(brk_symbol, "tiny: services.web.automaton.states[1]."
		     "next[0]: symbol 7 does not exist");
	check_fails(brk_dup_ctx, "tiny: services.web.automaton.states[1]: "
		     "the same context as states[0]");
	check_fails(brk_root, "tiny: services.web.automaton.states: missing "
		     "root state");
	check_fails(brk_ttl, "tiny: services.web.client.ttl.lo[0]: bin 0..64 "
		     "is not within 1..255");
	check_fails(brk_class, "tiny: services.dns.automaton.symbols[1]: "
		     "c:ACK:1 in a udp service");
	check_fails(brk_bucket, "tiny: services.web.automaton.states[0]."
		     "size[0]: sizes[1] holds 1200..1499 bytes, outside "
		     "100..299 of symbol c:ACK:100");
	check_fails(brk_name, "tiny: services[1]: name \"web\" is also "
		     "services[0]'s");
	check_fails(brk_sigma, "tiny: services.web.automaton.iats[1]."
		     "sigma[1]: must be above 0");
}

/* Counts beyond the limits are refused before any table is touched. */
static void
test_check_absurd_counts(void **state)
{
	struct tg_model m;
	char err[512];

	(void)state;
	build_fitted(&m);
	m.n_services = TG_MODEL_MAX_SERVICES + 1;
	assert_int_equal(tg_model_check(&m, err, sizeof(err)), -1);
	assert_string_equal(err, "tiny: services: 65 services, needs 1 to 64");
	m.n_services = 2;
	web_auto(&m)->n_states = TG_AUTO_MAX_STATES + 1;
	assert_int_equal(tg_model_check(&m, err, sizeof(err)), -1);
	assert_string_equal(err, "tiny: services.web.automaton.states: "
			    "1000001 states, at most 1000000");
	web_auto(&m)->n_states = 2;
	web_auto(&m)->sizes[0].n = TG_HIST_MAX_BINS + 1;
	assert_int_equal(tg_model_check(&m, err, sizeof(err)), -1);
	assert_string_equal(err, "tiny: services.web.automaton.sizes[0]: "
			    "4097 bins, at most 4096");
	web_auto(&m)->sizes[0].n = 2;
	web_auto(&m)->iats[0].k = TG_LNMIX_MAX + 1;
	assert_int_equal(tg_model_check(&m, err, sizeof(err)), -1);
	assert_string_equal(err, "tiny: services.web.automaton.iats[0]: "
			    "9 components, at most 8");
	web_auto(&m)->iats[0].k = 1;
	assert_int_equal(tg_model_check(&m, err, sizeof(err)), 0);
	tg_model_free(&m);
}

/* ------------------------------------------------------------------------
 * Broken model files: "f.tgm:line: key: what", the line being that of
 * `at` in the broken text.
 */

static char *fitted_text;

static int
line_of(const char *text, const char *at)
{
	const char *p = strstr(text, at);
	int line = 1;

	if (p == NULL)
		fail_msg("\"%s\" not in the text", at);
	for (const char *q = text; q < p; q++)
		line += *q == '\n';
	return line;
}

static char *
replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	if (at == NULL)
		fail_msg("\"%s\" not in the text", from);
	out = calloc(1, strlen(text) + strlen(to) + 1);
	memcpy(out, text, (size_t)(at - text));
	strcat(out, to);
	strcat(out, at + strlen(from));
	return out;
}

static void
expect_parse_error(const char *text, const char *expected)
{
	struct tg_model m, zero;
	char err[512];

	memset(&zero, 0, sizeof(zero));
	assert_int_equal(tg_model_parse(text, "f.tgm", &m, err, sizeof(err)),
			 -1);
	if (strncmp(err, expected, strlen(expected)) != 0)
		fail_msg("expected \"%s\" at the start of \"%s\"", expected,
			 err);
	assert_null(strchr(err, '\n'));
	assert_memory_equal(&m, &zero, sizeof(m));
}

/* The saved tiny model with `from` replaced by `to` fails with
 * "f.tgm:L: rest", L the line of `at` (no line when `at` is NULL). */
static void
expect_fitted(const char *from, const char *to, const char *at,
	      const char *rest)
{
	char *text = replaced(fitted_text, from, to), expected[512];

	if (at)
		snprintf(expected, sizeof(expected), "f.tgm:%d: %s",
			 line_of(text, at), rest);
	else
		snprintf(expected, sizeof(expected), "f.tgm: %s", rest);
	expect_parse_error(text, expected);
	free(text);
}

/* `n` copies of `item` joined by ", ". */
static char *
repeated(const char *item, unsigned n)
{
	size_t len = (strlen(item) + 2) * n + 1;
	char *out = calloc(1, len);

	for (unsigned i = 0; i < n; i++) {
		if (i)
			strcat(out, ", ");
		strcat(out, item);
	}
	return out;
}

static void
test_bad_fitted_files(void **state)
{
	(void)state;
	expect_fitted("version = 2;", "version = 3;", "version = 3",
		      "version: version 3 is not supported");
	expect_fitted("kind = \"fitted\";", "kind = \"learned\";", "kind =",
		      "kind: unknown value \"learned\"");
	expect_fitted("share = 0.6;", "share = 1e999;", "share = 1e999",
		      "services.web.share: inf is not a finite number");
	expect_fitted("share = 0.6;", "share = -1e999;", "share = -1e999",
		      "services.web.share: -inf is not a finite number");
	/* libconfig has no NaN: "nan" is a syntax error */
	expect_fitted("share = 0.6;", "share = nan;", "share = nan",
		      "syntax: syntax error");
	expect_fitted("end = 0.1;", "end = 0.13;", "end = 0.13",
		      "services.web.automaton.states[0]: probabilities sum "
		      "to 1.03, not 1");
	expect_fitted("[0.7, 0.3],", "[0.7, 0.4],", "[0.7, 0.4]",
		      "arrivals.next[0]: probabilities sum to 1.1, not 1");
	expect_fitted("w = [0.7, 0.3]", "w = [0.7, 0.2]", "w = [0.7, 0.2]",
		      "dns_delay: weights sum to 0.9, not 1");
	expect_fitted("next = [1, 2, 3];", "next = [1, 2, 9];", "[1, 2, 9]",
		      "services.web.automaton.states[0].next[2]: symbol 9 "
		      "does not exist");
	expect_fitted("next = [1, 2, 3];", "next = [1, 2, 0];", "[1, 2, 0]",
		      "services.web.automaton.states[0].next[2]: symbol 0 is "
		      "the start marker");
	expect_fitted("iat = [0, 1, 0];", "iat = [0, 5, 0];", "[0, 5, 0]",
		      "services.web.automaton.states[0].iat[1]: iats[5] does "
		      "not exist (2 mixtures)");
	expect_fitted("ctx = [1];", "ctx = [7];", "ctx = [7]",
		      "services.web.automaton.states[1].ctx[0]: symbol 7 "
		      "does not exist");
	expect_fitted("ctx = [1];", "ctx = [];", "n = 500",
		      "services.web.automaton.states[1]: the same context as "
		      "states[0]");
	expect_fitted("ctx = []; n = 1000;", "ctx = [3]; n = 1000;", "states = (",
		      "services.web.automaton.states: missing root state");
	expect_fitted("\"c:ACK:100\"", "\"c:ACK:150\"", "c:ACK:150",
		      "symbols: \"c:ACK:150\" is not a symbol");
	expect_fitted("\"c:ACK:100\"", "\"^\"", "\"^\",   # 1",
		      "symbols: the start marker \"^\" is the first symbol");
	expect_fitted("\"s:ACK:1200\"", "\"c:ACK:100\"", "\"c:ACK:100\",  # 2",
		      "services.web.automaton.symbols[2]: c:ACK:100 is also "
		      "symbols[1]");
	expect_fitted("lo = [56]; hi = [64];", "lo = [0]; hi = [64];",
		      "lo = [0]", "services.web.client.ttl.lo[0]: bin 0..64 is "
		      "not within 1..255");
	expect_fitted("lo = [7];", "lo = [15];", "lo = [15]",
		      "services.web.client.wscale.lo[0]: bin 15..15 is not "
		      "within 0..14");
	expect_fitted("sigma = [0.4]", "sigma = [11.0]", "sigma = [11.0]",
		      "services.web.rtt.sigma[0]: 11 is outside 0..10");
	expect_fitted("mu = [-3.9]", "mu = [-31.0]", "mu = [-31.0]",
		      "services.web.rtt.mu[0]: -31 is outside -30..10");
	expect_fitted("unanswered = 0.1;", "unanswered = 0.96;",
		      "refused = 0.05",
		      "services.web.refused: unanswered + refused is 1.01, "
		      "more than 1");
	expect_fitted("refused = 0.05;", "refused = 1.05;", "refused = 1.05",
		      "services.web.refused: 1.05 is outside 0..1");
	expect_fitted("lo = [229, 501];", "lo = [0, 501];", "lo = [0, 501]",
		      "services.web.server.data_window.lo[0]: bin 0..0 is not "
		      "within 1..65535");
	expect_fitted("order = 1;", "order = 1; colour = 2;", "colour",
		      "colour: unknown key");
	expect_fitted("flows = 600;", "flows = \"many\";", "\"many\"",
		      "flows: must be an integer");
	expect_fitted("p = [0.5, 0.3, 0.1];", "p = [0.5, 0.3];",
		      "p = [0.5, 0.3];", "p: 2 entries, next has 3");
	expect_fitted("tod_bucket_hours = 6;", "tod_bucket_hours = 5;",
		      "tod_bucket_hours = 5", "arrivals.tod_bucket_hours: 5 "
		      "does not divide 24");
	expect_fitted("gap_after = {\n    dns", "gap_after = {\n    dnx",
		      "dnx", "dnx: no such service");
	expect_fitted("rtt = {", "rtx = {", "rtx", "rtx: unknown key");
}

/* A missing table, and tables too large to be read at all. */
static void
test_absurd_fitted_files(void **state)
{
	char *big, *to, *text;
	int line;

	(void)state;
	/* no arrivals: the root group has no line of its own */
	const char *from = strstr(fitted_text, "\n# Flow starts");
	const char *until = strstr(fitted_text, "\n# The services");
	assert_true(from && until && from < until);
	text = calloc(1, strlen(fitted_text) + 1);
	memcpy(text, fitted_text, (size_t)(from - fitted_text));
	strcat(text, until);
	expect_parse_error(text, "f.tgm: arrivals: missing");
	free(text);

	big = repeated("1", TG_HIST_MAX_BINS + 1);
	to = calloc(1, strlen(big) + 16);
	sprintf(to, "lo = [%s]", big);
	expect_fitted("lo = [80, 8080]", to, "lo = [1, 1",
		      "lo: 4097 entries, at most 4096");
	free(to);
	free(big);

	big = repeated("0.1", TG_LNMIX_MAX + 1);
	to = calloc(1, strlen(big) + 16);
	sprintf(to, "w = [%s]", big);
	expect_fitted("w = [0.7, 0.3]", to, "w = [0.1",
		      "w: 9 entries, at most 8");
	free(to);
	free(big);

	expect_fitted("ctx = [1];", "ctx = [1, 1, 1, 1];", "ctx = [1, 1",
		      "ctx: 4 entries, at most 3");

	big = repeated("\"c:ACK:0\"", TG_AUTO_MAX_SYMS);
	to = calloc(1, strlen(big) + 32);
	if (to == NULL)
		abort();	/* GCC under -fsanitize sees a NULL sprintf */
	sprintf(to, "symbols = [\n%s,\n", big);
	text = replaced(fitted_text, "symbols = [\n", to);
	line = line_of(text, "symbols = [");
	sprintf(to, "f.tgm:%d: symbols: 65539 entries, at most 65535", line);
	expect_parse_error(text, to);
	free(text);
	free(to);
	free(big);

	big = calloc(1, 65 * 16);
	for (int i = 0; i < 65; i++)
		sprintf(big + strlen(big), "s%d = { };\n", i);
	to = calloc(1, strlen(big) + 32);
	sprintf(to, "services = {\n%s", big);
	expect_fitted("services = {\n", to, "services = {",
		      "services: 67 services, at most 64");
	free(to);
	free(big);
}

/* Every cut of a saved model short of its last brace is an error (a
 * syntax error, or a missing key), never a crash. */
static void
test_truncated(void **state)
{
	size_t last = (size_t)(strrchr(fitted_text, '}') - fitted_text);
	struct tg_model m;
	char err[512], expected[64], *text;

	(void)state;
	for (size_t cut = 0; cut <= last; cut++) {
		text = strndup(fitted_text, cut);
		assert_int_equal(tg_model_parse(text, "f.tgm", &m, err,
						sizeof(err)), -1);
		assert_true(strncmp(err, "f.tgm", 5) == 0);
		assert_null(strchr(err, '\n'));
		free(text);
	}
	/* cut before the second service: libconfig names the line where
	 * the text ends */
	text = strndup(fitted_text, (size_t)(strstr(fitted_text, "dns = {\n") -
					     fitted_text));
	snprintf(expected, sizeof(expected), "f.tgm:%d: syntax: syntax error",
		 line_of(fitted_text, "dns = {\n"));
	expect_parse_error(text, expected);
	free(text);
}

/* The example at the end of docs/model-format.md loads, and saving it
 * gives back its bytes. */
static void
test_docs_example(void **state)
{
	const char *root = getenv("TG_SOURCE_ROOT");
	char path[1024], err[512], *doc, *start, *end, *text;
	struct tg_model m;
	FILE *f;
	long n;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/model-format.md",
		 root ? root : ".");
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(doc, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	start = strstr(doc, "## Example: a tiny fitted model");
	assert_non_null(start);
	start = strstr(start, "```\n");
	assert_non_null(start);
	start += 4;
	end = strstr(start, "```");
	assert_non_null(end);
	*end = '\0';
	if (tg_model_parse(start, "docs", &m, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(m.kind, TG_MODEL_FITTED);
	text = saved(&m);
	assert_string_equal(text, start);
	free(text);
	tg_model_free(&m);
	free(doc);
}

/* Inputs the fuzzer (tests/fuzz/fuzz_model_load.c) found. */
static void
test_fuzz_regressions(void **state)
{
	(void)state;
	/* a quoted string with a line break made a two-line message */
	expect_parse_error("format = \"tempogen\nmodel\";\n",
			   "f.tgm:1: format: unknown value \"tempogen model\"");
}

static int
setup_fitted(void **state)
{
	struct tg_model m;
	char err[512];

	(void)state;
	build_fitted(&m);
	if (tg_model_check(&m, err, sizeof(err)) != 0)
		return -1;
	fitted_text = saved(&m);
	tg_model_free(&m);
	return 0;
}

static int
teardown_fitted(void **state)
{
	(void)state;
	free(fitted_text);
	fitted_text = NULL;
	return 0;
}

/* libconfig 1.5 wraps an integer literal without L into 32 bits
 * (4294967301 is read as 5): lib/cfgfile adds the L, so the value is
 * refused by name; in an array every integer gets it (one type per
 * array). A float with many digits stays a float. */
static void
test_wide_integers(void **state)
{
	struct tg_model m;
	char err[512];
	char *text;

	(void)state;
	expect_error("proto = \"tcp\"; port = 80;",
		     "proto = \"tcp\"; port = 4294967376;",	/* 2^32 + 80 */
		     "m.tgm:24: port: 4294967376 is outside");
	expect_fitted("lo = [7];", "lo = [4294967301];", "lo = [4294967301]",
		      "lo: 4294967301 is outside 0..4294967295");
	expect_fitted("next = [1, 2, 3];", "next = [1, 2, 4294967299];",
		      "[1, 2, 4294967299]", "next: 4294967299 is outside");
	expect_fitted("order = 1;", "order = -4294967295;", "order =",
		      "order: -4294967295 is outside");
	expect_fitted("order = 1;", "order = 0x100000001;", "order =",
		      "order: 4294967297 is outside");
	expect_fitted("order = 1;", "order = 18446744073709551617;", "order =",
		      "integer literal 18446744073709551617 does not fit in "
		      "64 bits");

	text = variant("median = 0.025;", "median = 25000000000e-12; "
		       "# 4294967301\n /* 0x100000005 */");
	assert_int_equal(tg_model_parse(text, "m.tgm", &m, err, sizeof(err)),
			 0);
	assert_true(fabs(m.par.rtt.median - 0.025) < 1e-12);
	tg_model_free(&m);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_is_fitted_default),
		cmocka_unit_test(test_parametric_loads),
		cmocka_unit_test(test_bad_models),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_flow_steps),
		cmocka_unit_test(test_arrival_median),
		cmocka_unit_test(test_fitted_round_trip),
		cmocka_unit_test(test_parametric_round_trip),
		cmocka_unit_test(test_free_is_safe),
		cmocka_unit_test(test_check_in_memory),
		cmocka_unit_test(test_check_absurd_counts),
		cmocka_unit_test_setup_teardown(test_bad_fitted_files,
						setup_fitted, teardown_fitted),
		cmocka_unit_test_setup_teardown(test_absurd_fitted_files,
						setup_fitted, teardown_fitted),
		cmocka_unit_test_setup_teardown(test_truncated, setup_fitted,
						teardown_fitted),
		cmocka_unit_test_setup_teardown(test_wide_integers,
						setup_fitted, teardown_fitted),
		cmocka_unit_test(test_docs_example),
		cmocka_unit_test(test_fuzz_regressions),
		cmocka_unit_test(test_ports_fit_payload),
	};

	return cmocka_run_group_tests(tests, read_shipped, free_shipped);
}
