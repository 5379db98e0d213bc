/* SPDX-License-Identifier: BSD-3-Clause
 * The rules a model obeys, for a file (after tg_model_read) and for a
 * model built in memory alike, and the tables derived from it: alias
 * tables, the automata's context lookups, parametric total weight.
 *
 * Every rule is checked here (automata: tg_model_check_auto.c) and
 * nowhere else. A failure names a path in
 * the model ("services.http.automaton.states[3].p[1]"), which the file
 * layout mirrors: the loader turns the path into the line of the deepest
 * setting it reaches, so the same rule gives "file:line: path: what" for a
 * file and "<model>: path: what" for a model in memory.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_model_file.h"

/* Bounds of the values themselves (docs/model-format.md). */
#define MU_MIN -30.0		/* ln seconds: 1e-13 s */
#define MU_MAX 10.0		/* ln seconds: 6 hours */
#define SIGMA_MAX 10.0
#define ZIPF_MAX 10.0

/* Parametric bounds, as in format version 1. */
#define LOGNORM_MEDIAN_MIN 1e-9
#define LOGNORM_MEDIAN_MAX 1e9
#define LOGNORM_SIGMA_MAX 5.0
#define STACK_MSS_MIN 88
#define STACK_MSS_MAX 9000
#define STACK_RCV_BUF_MIN 1024
#define STACK_RCV_BUF_MAX (1u << 30)
#define EXCHANGES_MAX 1e6

/* Append a component to the path ("key" or "[3]"); returns the length to
 * go back to with tg_chk_pop(). */
size_t
tg_chk_push(struct tg_chk *c, const char *fmt, ...)
{
	size_t mark = c->len;
	char part[TG_CHK_PATH_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(part, sizeof(part), fmt, ap);
	va_end(ap);
	int n = snprintf(c->path + c->len, sizeof(c->path) - c->len, "%s%s",
			 c->len && part[0] != '[' ? "." : "", part);
	if (n > 0)
		c->len += (size_t)n < sizeof(c->path) - c->len
				  ? (size_t)n : sizeof(c->path) - c->len - 1;
	return mark;
}

void
tg_chk_pop(struct tg_chk *c, size_t mark)
{
	c->len = mark;
	c->path[mark] = '\0';
}

/* The setting a path leads to, as deep as the file has it. */
static const config_setting_t *
resolve(const config_setting_t *root, const char *path)
{
	const config_setting_t *s = root;

	while (*path != '\0') {
		const config_setting_t *next = NULL;
		char name[TG_CHK_PATH_LEN];

		if (*path == '[') {
			char *end;
			unsigned long i = strtoul(path + 1, &end, 10);

			path = *end == ']' ? end + 1 : end;
			if (config_setting_is_aggregate(s) && i < 1u << 30)
				next = config_setting_get_elem(s, (unsigned)i);
		} else {
			size_t n;

			path += *path == '.';
			n = strcspn(path, ".[");
			snprintf(name, sizeof(name), "%.*s", (int)n, path);
			path += n;
			if (config_setting_is_group(s))
				next = config_setting_get_member(s, name);
		}
		if (next == NULL)
			break;
		s = next;
	}
	return s;
}

int
tg_chk_fail(struct tg_chk *c, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->f != NULL)
		return tg_cfgfile_fail(c->f, resolve(c->root, c->path),
				       c->path, "%s", what);
	bool named = memchr(c->m->name, '\0', sizeof(c->m->name)) &&
		     c->m->name[0] != '\0';
	if (c->errlen == 0)
		return -1;
	snprintf(c->err, c->errlen, "%s: %s: %s",
		 named ? c->m->name : "<model>", c->path, what);
	tg_model_one_line(c->err);
	return -1;
}

/* ------------------------------------------------------------------------
 * Numbers
 */

static int
in_range(struct tg_chk *c, double v, double lo, double hi)
{
	if (!isfinite(v))
		return tg_chk_fail(c, "%g is not a finite number", v);
	if (v < lo || v > hi)
		return tg_chk_fail(c, "%g is outside %g..%g", v, lo, hi);
	return 0;
}

static int
number(struct tg_chk *c, const char *key, double v, double lo, double hi)
{
	size_t mark = tg_chk_push(c, "%s", key);

	if (in_range(c, v, lo, hi))
		return -1;
	tg_chk_pop(c, mark);
	return 0;
}

int
tg_chk_prob(struct tg_chk *c, const char *key, double v)
{
	return number(c, key, v, 0, 1);
}

int
tg_chk_integer(struct tg_chk *c, const char *key, double v, double lo,
	       double hi)
{
	size_t mark = tg_chk_push(c, "%s", key);

	if (v < lo || v > hi)
		return tg_chk_fail(c, "%.0f is outside %.0f..%.0f", v, lo, hi);
	tg_chk_pop(c, mark);
	return 0;
}

/* A count a model file can hold (libconfig integers are int64_t). */
static int
count(struct tg_chk *c, const char *key, uint64_t v, uint64_t min)
{
	size_t mark = tg_chk_push(c, "%s", key);

	if (v < min || v > INT64_MAX)
		return tg_chk_fail(c, "%llu is outside %llu..%lld",
				   (unsigned long long)v,
				   (unsigned long long)min,
				   (long long)INT64_MAX);
	tg_chk_pop(c, mark);
	return 0;
}

/* Probabilities at the current path sum to 1. */
int
tg_chk_sums(struct tg_chk *c, double sum, const char *what)
{
	if (fabs(sum - 1.0) > TG_MODEL_P_TOLERANCE)
		return tg_chk_fail(c, "%s sum to %.6g, not 1", what, sum);
	return 0;
}

/* A string field of fixed size holds its terminating NUL. */
static int
terminated(struct tg_chk *c, const char *key, const char *s, size_t size)
{
	size_t mark = tg_chk_push(c, "%s", key);

	if (memchr(s, '\0', size) == NULL)
		return tg_chk_fail(c, "longer than %zu characters", size - 1);
	tg_chk_pop(c, mark);
	return 0;
}

/* ------------------------------------------------------------------------
 * Distributions
 */

int
tg_chk_lnmix(struct tg_chk *c, const char *key, const struct tg_lnmix *x,
	     bool required)
{
	size_t mark = tg_chk_push(c, "%s", key);
	double sum = 0;

	if (x->k == 0) {
		if (required)
			return tg_chk_fail(c, "missing (a mixture of "
					   "log-normals)");
		tg_chk_pop(c, mark);
		return 0;
	}
	if (x->k > TG_LNMIX_MAX)
		return tg_chk_fail(c, "%u components, at most %d", x->k,
				   TG_LNMIX_MAX);
	for (unsigned i = 0; i < x->k; i++) {
		char w[24], mu[24], sigma[24];

		snprintf(w, sizeof(w), "w[%u]", i);
		snprintf(mu, sizeof(mu), "mu[%u]", i);
		snprintf(sigma, sizeof(sigma), "sigma[%u]", i);
		if (tg_chk_prob(c, w, x->weight[i]) ||
		    number(c, mu, x->mu[i], MU_MIN, MU_MAX) ||
		    number(c, sigma, x->sigma[i], 0, SIGMA_MAX))
			return -1;
		if (x->sigma[i] == 0) {
			tg_chk_push(c, "%s", sigma);
			return tg_chk_fail(c, "must be above 0");
		}
		sum += x->weight[i];
	}
	if (tg_chk_sums(c, sum, "weights"))
		return -1;
	tg_chk_pop(c, mark);
	return 0;
}

/* A histogram whose values lie in lo..hi; `what` says what it holds.
 * Rebuilds its alias table. */
int
tg_chk_hist(struct tg_chk *c, const char *key, struct tg_hist *h, bool required,
	    uint32_t lo, uint32_t hi, const char *what)
{
	size_t mark = tg_chk_push(c, "%s", key);
	double sum = 0;

	if (h->n == 0) {
		if (required)
			return tg_chk_fail(c, "missing (%s)", what);
		tg_chk_pop(c, mark);
		return 0;
	}
	if (h->n > TG_HIST_MAX_BINS)
		return tg_chk_fail(c, "%u bins, at most %d", h->n,
				   TG_HIST_MAX_BINS);
	if (h->lo == NULL || h->hi == NULL || h->p == NULL)
		return tg_chk_fail(c, "%u bins without their arrays", h->n);
	for (uint32_t i = 0; i < h->n; i++) {
		char p[24];

		if (h->lo[i] > h->hi[i] || h->lo[i] < lo || h->hi[i] > hi) {
			tg_chk_push(c, "lo[%u]", i);
			return tg_chk_fail(c, "bin %u..%u is not within "
					   "%u..%u (%s)", h->lo[i], h->hi[i],
					   lo, hi, what);
		}
		snprintf(p, sizeof(p), "p[%u]", i);
		if (tg_chk_prob(c, p, h->p[i]))
			return -1;
		sum += h->p[i];
	}
	if (tg_chk_sums(c, sum, "probabilities"))
		return -1;
	tg_alias_free(&h->alias);
	if (tg_alias_build(&h->alias, h->p, h->n) != 0)
		return tg_chk_fail(c, "out of memory");
	tg_chk_pop(c, mark);
	return 0;
}

/* ------------------------------------------------------------------------
 * Parametric models
 */

static int
lognorm(struct tg_chk *c, const char *key, const struct tg_lognorm *d)
{
	size_t mark = tg_chk_push(c, "%s", key);

	if (number(c, "median", d->median, LOGNORM_MEDIAN_MIN,
		   LOGNORM_MEDIAN_MAX) ||
	    number(c, "sigma", d->sigma, 0, LOGNORM_SIGMA_MAX))
		return -1;
	tg_chk_pop(c, mark);
	return 0;
}

static int
stack(struct tg_chk *c, const char *key, const struct tg_stack *s)
{
	size_t mark = tg_chk_push(c, "%s", key);

	if (tg_chk_integer(c, "ttl", s->ttl, 1, 255) ||
	    tg_chk_integer(c, "mss", s->mss, STACK_MSS_MIN, STACK_MSS_MAX) ||
	    tg_chk_integer(c, "wscale", s->wscale, -1, 14) ||
	    tg_chk_integer(c, "rcv_buf", s->rcv_buf, STACK_RCV_BUF_MIN,
			   STACK_RCV_BUF_MAX))
		return -1;
	tg_chk_pop(c, mark);
	return 0;
}

static int
par_service(struct tg_chk *c, uint32_t i, const struct tg_service *s)
{
	size_t mark = tg_chk_push(c, "services[%u]", i);

	if (terminated(c, "name", s->name, sizeof(s->name)))
		return -1;
	if (tg_model_proto_index(s->proto) < 0) {
		tg_chk_push(c, "proto");
		return tg_chk_fail(c, "unknown protocol %u", s->proto);
	}
	if (s->proto != TG_PROTO_ICMP && s->port == 0) {
		tg_chk_push(c, "port");
		return tg_chk_fail(c, "a TCP or UDP service needs a port");
	}
	if (tg_chk_integer(c, "payload", s->payload, 0, TG_PAYLOAD_KINDS - 1) ||
	    tg_chk_prob(c, "weight", s->weight) ||
	    number(c, "exchanges", s->exchanges, 1, EXCHANGES_MAX) ||
	    lognorm(c, "request", &s->request) ||
	    lognorm(c, "response", &s->response) ||
	    lognorm(c, "think", &s->think) ||
	    lognorm(c, "server_time", &s->server_time) ||
	    tg_chk_prob(c, "reset", s->reset_share) ||
	    tg_chk_prob(c, "server_close", s->server_close_share))
		return -1;
	tg_chk_pop(c, mark);
	return 0;
}

static int
check_parametric(struct tg_chk *c, struct tg_model *m)
{
	struct tg_parametric *par = &m->par;
	double total = 0;

	if (lognorm(c, "arrival", &par->arrival) ||
	    lognorm(c, "rtt", &par->rtt) ||
	    stack(c, "client", &par->client) ||
	    stack(c, "server", &par->server))
		return -1;
	tg_chk_push(c, "services");
	if (m->n_services < 1 || m->n_services > TG_MODEL_MAX_SERVICES)
		return tg_chk_fail(c, "%u services, needs 1 to %d",
				   m->n_services, TG_MODEL_MAX_SERVICES);
	tg_chk_pop(c, 0);
	for (uint32_t i = 0; i < m->n_services; i++) {
		if (par_service(c, i, &par->services[i]))
			return -1;
		total += par->services[i].weight;
	}
	tg_chk_push(c, "services");
	if (tg_chk_sums(c, total, "weights"))
		return -1;
	tg_chk_pop(c, 0);
	par->total_weight = total;
	return 0;
}

/* ------------------------------------------------------------------------
 * Fitted services
 */

/* Service names are keys of the model file: a letter, then letters,
 * digits, '-' and '_'. */
static bool
valid_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789-_") == strlen(s);
}

static int
side(struct tg_chk *c, struct tg_side_model *sd, const char *key, bool tcp)
{
	size_t mark = tg_chk_push(c, "%s", key);

	if (tg_chk_hist(c, "ttl", &sd->ttl, true, 1, 255, "TTL, 1..255") ||
	    tg_chk_hist(c, "tos", &sd->tos, true, 0, 255, "TOS byte, 0..255") ||
	    tg_chk_prob(c, "df", sd->df) ||
	    tg_chk_hist(c, "ipid", &sd->ipid, true, 0, TG_IPID_MODES - 1,
			"IP id mode, 0 zero, 1 increment, 2 random") ||
	    tg_chk_prob(c, "mss_share", sd->mss_share) ||
	    tg_chk_hist(c, "mss", &sd->mss, tcp && sd->mss_share > 0, 88, 65535,
			"MSS option, 88..65535") ||
	    tg_chk_prob(c, "wscale_share", sd->wscale_share) ||
	    tg_chk_hist(c, "wscale", &sd->wscale,
			tcp && sd->wscale_share > 0, 0, 14,
			"window scale shift, 0..14") ||
	    tg_chk_prob(c, "sack", sd->sack) ||
	    tg_chk_prob(c, "timestamps", sd->timestamps) ||
	    tg_chk_hist(c, "window", &sd->window, tcp, 0, 65535,
			"window field, 0..65535") ||
	    tg_chk_hist(c, "data_window", &sd->data_window, false, 1,
			65535, "window field, 1..65535"))
		return -1;
	tg_chk_pop(c, mark);
	return 0;
}

/* The shares of TCP connections that never open: each a probability,
 * together at most 1; a UDP or ICMP flow has no SYN to fail. */
static int
syn_fates(struct tg_chk *c, const struct tg_fitted_service *s, bool tcp)
{
	size_t mark;

	if (tg_chk_prob(c, "unanswered", s->unanswered) ||
	    tg_chk_prob(c, "refused", s->refused))
		return -1;
	mark = tg_chk_push(c, "%s", s->refused > 0 ? "refused" : "unanswered");
	if (!tcp && s->unanswered + s->refused > 0)
		return tg_chk_fail(c, "only TCP connections are refused or "
				   "unanswered");
	if (s->unanswered + s->refused > 1 + TG_MODEL_P_TOLERANCE)
		return tg_chk_fail(c, "unanswered + refused is %g, more than 1",
				   s->unanswered + s->refused);
	tg_chk_pop(c, mark);
	if (s->unanswered + s->refused > 0 && s->unopened.ttl.n == 0) {
		mark = tg_chk_push(c, "unopened");
		return tg_chk_fail(c, "missing (the SYN of the connections "
				   "that never open)");
	}
	return 0;
}

static int
fitted_service(struct tg_chk *c, struct tg_model *m, uint32_t i)
{
	struct tg_fitted_service *s = &m->fit.services[i];
	size_t mark = tg_chk_push(c, "services[%u]", i);

	if (terminated(c, "name", s->name, sizeof(s->name)))
		return -1;
	if (!valid_name(s->name))
		return tg_chk_fail(c, "name \"%s\" is not a letter followed by "
				   "letters, digits, '-' or '_'", s->name);
	for (uint32_t j = 0; j < i; j++)
		if (strcmp(m->fit.services[j].name, s->name) == 0)
			return tg_chk_fail(c, "name \"%s\" is also "
					   "services[%u]'s", s->name, j);
	tg_chk_pop(c, mark);
	tg_chk_push(c, "services.%s", s->name);
	if (tg_model_proto_index(s->proto) < 0) {
		tg_chk_push(c, "proto");
		return tg_chk_fail(c, "unknown protocol %u", s->proto);
	}
	bool tcp = s->proto == TG_PROTO_TCP, ports = s->proto != TG_PROTO_ICMP;
	if (tg_chk_integer(c, "payload", s->payload, 0, TG_PAYLOAD_KINDS - 1) ||
	    count(c, "flows", s->flows, 0) ||
	    tg_chk_prob(c, "share", s->share) ||
	    tg_chk_prob(c, "ipv6", s->ipv6) ||
	    tg_chk_prob(c, "dns_first", s->dns_first) ||
	    syn_fates(c, s, tcp) ||
	    tg_chk_hist(c, "server_port", &s->server_port, ports, 0, 65535,
			"server ports") ||
	    tg_chk_hist(c, "client_port", &s->client_port, ports, 0, 65535,
			"client ports") ||
	    side(c, &s->side[TG_DIR_C2S], tg_model_side_names[TG_DIR_C2S],
		 tcp) ||
	    side(c, &s->side[TG_DIR_S2C], tg_model_side_names[TG_DIR_S2C],
		 tcp) ||
	    (s->unopened.ttl.n && side(c, &s->unopened, "unopened", tcp)) ||
	    tg_chk_lnmix(c, "rtt", &s->rtt, tcp) ||
	    tg_chk_lnmix(c, "ack_delay", &s->ack_delay, tcp) ||
	    tg_chk_automaton(c, &s->automaton, s->proto))
		return -1;
	tg_chk_pop(c, mark);
	return 0;
}

/* ------------------------------------------------------------------------
 * Arrivals, hosts, provenance
 */

static int
next_matrix(struct tg_chk *c, struct tg_model *m)
{
	struct tg_arrivals *ar = &m->fit.arrivals;
	uint32_t n = m->n_services;
	size_t outer = tg_chk_push(c, "next");

	if (ar->next == NULL)
		return tg_chk_fail(c, "missing");
	if (ar->next_alias == NULL)
		ar->next_alias = calloc(n, sizeof(*ar->next_alias));
	if (ar->next_alias == NULL)
		return tg_chk_fail(c, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		const double *row = ar->next + (size_t)i * n;
		size_t mark = tg_chk_push(c, "[%u]", i);
		double sum = 0;

		for (uint32_t j = 0; j < n; j++) {
			char key[16];

			snprintf(key, sizeof(key), "[%u]", j);
			if (tg_chk_prob(c, key, row[j]))
				return -1;
			sum += row[j];
		}
		if (tg_chk_sums(c, sum, "probabilities"))
			return -1;
		tg_alias_free(&ar->next_alias[i]);
		if (tg_alias_build(&ar->next_alias[i], row, n) != 0)
			return tg_chk_fail(c, "out of memory");
		tg_chk_pop(c, mark);
	}
	tg_chk_pop(c, outer);
	return 0;
}

static int
time_of_day(struct tg_chk *c, const struct tg_arrivals *ar)
{
	uint32_t h = ar->tod_bucket_hours;
	double sum = 0;
	size_t mark = tg_chk_push(c, "tod_bucket_hours");

	if (h < 1 || h > 24 || 24 % h != 0)
		return tg_chk_fail(c, "%u does not divide 24", h);
	tg_chk_pop(c, mark);
	for (uint32_t b = 0; b < 24 / h; b++) {
		char key[16];

		snprintf(key, sizeof(key), "tod_rate[%u]", b);
		if (number(c, key, ar->tod_rate[b], 0, 24.0 / h))
			return -1;
		sum += ar->tod_rate[b];
	}
	tg_chk_push(c, "tod_rate");
	if (fabs(sum / (24 / h) - 1.0) > TG_MODEL_P_TOLERANCE)
		return tg_chk_fail(c, "rates average %.6g, not 1",
				   sum / (24 / h));
	tg_chk_pop(c, mark);
	if (number(c, "start_hour", ar->start_hour, 0, 24))
		return -1;
	if (ar->start_hour == 24) {
		tg_chk_push(c, "start_hour");
		return tg_chk_fail(c, "must be below 24");
	}
	return 0;
}

static int
arrivals(struct tg_chk *c, struct tg_model *m)
{
	struct tg_arrivals *ar = &m->fit.arrivals;
	size_t mark = tg_chk_push(c, "arrivals");

	if (tg_chk_lnmix(c, "gap", &ar->gap, true))
		return -1;
	if (ar->has_gap_after == NULL || ar->gap_after == NULL) {
		free(ar->has_gap_after);
		free(ar->gap_after);
		ar->has_gap_after = calloc(m->n_services,
					   sizeof(*ar->has_gap_after));
		ar->gap_after = calloc(m->n_services, sizeof(*ar->gap_after));
		if (ar->has_gap_after == NULL || ar->gap_after == NULL)
			return tg_chk_fail(c, "out of memory");
	}
	for (uint32_t i = 0; i < m->n_services; i++) {
		char key[TG_MODEL_NAME_LEN + 16];

		snprintf(key, sizeof(key), "gap_after.%s",
			 m->fit.services[i].name);
		if (ar->has_gap_after[i] &&
		    tg_chk_lnmix(c, key, &ar->gap_after[i], true))
			return -1;
	}
	if (next_matrix(c, m) || time_of_day(c, ar))
		return -1;
	tg_chk_pop(c, mark);
	return 0;
}

static int
hosts(struct tg_chk *c, const struct tg_hosts_model *h)
{
	size_t mark = tg_chk_push(c, "hosts");

	if (count(c, "clients", h->clients, 1) ||
	    count(c, "servers", h->servers, 1) ||
	    number(c, "client_zipf", h->client_zipf, 0, ZIPF_MAX) ||
	    number(c, "server_zipf", h->server_zipf, 0, ZIPF_MAX) ||
	    tg_chk_prob(c, "repeat_server", h->repeat_server) ||
	    tg_chk_prob(c, "server_internal", h->server_internal))
		return -1;
	tg_chk_pop(c, mark);
	return 0;
}

static int
provenance(struct tg_chk *c, const struct tg_provenance *p)
{
	size_t mark = tg_chk_push(c, "provenance");

	if (terminated(c, "tool", p->tool, sizeof(p->tool)) ||
	    terminated(c, "date", p->date, sizeof(p->date)) ||
	    terminated(c, "source", p->source, sizeof(p->source)) ||
	    count(c, "packets", p->packets, 0) ||
	    count(c, "packets_used", p->packets_used, 0) ||
	    count(c, "flows", p->flows, 0) ||
	    count(c, "flows_used", p->flows_used, 0))
		return -1;
	tg_chk_pop(c, mark);
	return 0;
}

static int
check_fitted(struct tg_chk *c, struct tg_model *m)
{
	struct tg_fitted *fit = &m->fit;
	double shares = 0;
	bool dns = false;

	tg_chk_push(c, "services");
	if (m->n_services < 1 || m->n_services > TG_MODEL_MAX_SERVICES)
		return tg_chk_fail(c, "%u services, needs 1 to %d",
				   m->n_services, TG_MODEL_MAX_SERVICES);
	if (fit->services == NULL)
		return tg_chk_fail(c, "missing");
	tg_chk_pop(c, 0);
	if (provenance(c, &fit->prov) || hosts(c, &fit->hosts))
		return -1;
	for (uint32_t i = 0; i < m->n_services; i++) {
		if (fitted_service(c, m, i))
			return -1;
		shares += fit->services[i].share;
		dns |= fit->services[i].dns_first > 0;
	}
	tg_chk_push(c, "services");
	if (tg_chk_sums(c, shares, "shares"))
		return -1;
	tg_chk_pop(c, 0);
	if (tg_chk_lnmix(c, "dns_delay", &fit->dns_delay, dns) ||
	    arrivals(c, m))
		return -1;
	return 0;
}

int
tg_model_check_at(struct tg_model *m, const struct tg_cfgfile *f,
		  const config_setting_t *root, char *err, size_t errlen)
{
	struct tg_chk c = { .m = m, .f = f, .root = root, .err = err,
			 .errlen = errlen };

	if (errlen > 0)
		err[0] = '\0';
	if (terminated(&c, "name", m->name, sizeof(m->name)))
		return -1;
	switch (m->kind) {
	case TG_MODEL_PARAMETRIC:
		return check_parametric(&c, m);
	case TG_MODEL_FITTED:
		return check_fitted(&c, m);
	}
	tg_chk_push(&c, "kind");
	return tg_chk_fail(&c, "unknown kind %u", m->kind);
}

int
tg_model_check(struct tg_model *model, char *err, size_t errlen)
{
	return tg_model_check_at(model, NULL, NULL, err, errlen);
}
