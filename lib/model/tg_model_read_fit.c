/* SPDX-License-Identifier: BSD-3-Clause
 * Model file -> fitted model structures: automata, services, arrivals,
 * hosts, provenance (docs/model-format.md). Like tg_model_read.c, this
 * pass only refuses what cannot be stored; tg_model_check_at judges the
 * values.
 */
#include <stdlib.h>
#include <string.h>

#include "tg_model_file.h"

typedef const config_setting_t cset;

/* ------------------------------------------------------------------------
 * Fitted models: automata
 */

static int
get_symbols(const struct tg_cfgfile *f, cset *g, struct tg_automaton *a)
{
	cset *arr;
	uint32_t n;

	if (tg_rd_seq(f, g, "symbols", true, CONFIG_TYPE_ARRAY,
		      TG_AUTO_MAX_SYMS, &arr, &n))
		return -1;
	if (n == 0)
		return tg_cfgfile_fail(f, arr, "symbols", "needs \"^\" first");
	a->syms = calloc(n, sizeof(*a->syms));
	if (a->syms == NULL)
		return tg_rd_oom(f, arr, "symbols");
	a->n_syms = n;
	for (uint32_t i = 0; i < n; i++) {
		cset *e = config_setting_get_elem(arr, i);
		const char *text = config_setting_get_string(e);
		bool start;

		if (text == NULL)
			return tg_cfgfile_fail(f, e, "symbols", "must hold "
					       "strings");
		if (tg_sym_parse(text, &a->syms[i], &start) != 0)
			return tg_cfgfile_fail(f, e, "symbols", "\"%s\" is not "
					       "a symbol (\"^\", or c or s : "
					       "ACK FIN RST or DGRAM : a "
					       "bucket's lower bound)", text);
		if (start != (i == TG_SYM_START))
			return tg_cfgfile_fail(f, e, "symbols", "the start "
					       "marker \"^\" is the first "
					       "symbol, and only the first");
	}
	return 0;
}

/* A list of groups, each read by `one` into entry i of a table of
 * `size`-byte entries; *count is set once the table is there. */
typedef int (*read_one)(const struct tg_cfgfile *f, cset *s, void *entry);

static int
get_table(const struct tg_cfgfile *f, cset *g, const char *key, uint32_t max,
	  size_t size, void **table, uint32_t *count, read_one one)
{
	cset *list;
	uint32_t n;

	if (tg_rd_seq(f, g, key, true, CONFIG_TYPE_LIST, max, &list, &n))
		return -1;
	if (n == 0)
		return 0;
	*table = calloc(n, size);
	if (*table == NULL)
		return tg_rd_oom(f, list, key);
	*count = n;
	for (uint32_t i = 0; i < n; i++) {
		cset *e;

		if (tg_rd_group_at(f, list, i, key, &e) ||
		    one(f, e, (char *)*table + i * size))
			return -1;
	}
	return 0;
}

static int
one_lnmix(const struct tg_cfgfile *f, cset *s, void *entry)
{
	return tg_rd_lnmix_group(f, s, entry);
}

static int
one_hist(const struct tg_cfgfile *f, cset *s, void *entry)
{
	return tg_rd_hist_group(f, s, entry);
}

static int
get_state(const struct tg_cfgfile *f, cset *s, void *entry)
{
	struct tg_auto_state *st = entry;
	static const char *const keys[] = { "ctx", "n", "end", "next", "p",
					    "iat", "size", NULL };
	cset *ctx, *next, *p, *iat, *size;
	uint32_t len, n;

	if (tg_cfgfile_known_keys(f, s, keys) ||
	    tg_rd_seq(f, s, "ctx", true, CONFIG_TYPE_ARRAY, TG_AUTO_MAX_ORDER,
		      &ctx, &len) ||
	    tg_rd_u32(f, s, "n", true, UINT32_MAX, &st->count) ||
	    tg_rd_double(f, s, "end", true, &st->end) ||
	    tg_rd_seq(f, s, "next", true, CONFIG_TYPE_ARRAY, TG_AUTO_MAX_SYMS,
		      &next, &n) ||
	    tg_rd_array_of(f, s, "p", true, n, "next", &p) ||
	    tg_rd_array_of(f, s, "iat", true, n, "next", &iat) ||
	    tg_rd_array_of(f, s, "size", true, n, "next", &size))
		return -1;
	for (uint32_t k = 0; k < len; k++) {
		uint32_t v;

		if (tg_rd_integer_at(f, ctx, k, "ctx", UINT16_MAX, &v))
			return -1;
		st->ctx[k] = (uint16_t)v;
	}
	st->ctx_len = (uint8_t)len;
	if (n == 0)
		return 0;
	st->next = malloc(n * sizeof(*st->next));
	st->p = malloc(n * sizeof(*st->p));
	st->iat = malloc(n * sizeof(*st->iat));
	st->size = malloc(n * sizeof(*st->size));
	st->n_next = n;
	if (!st->next || !st->p || !st->iat || !st->size)
		return tg_rd_oom(f, s, "next");
	for (uint32_t t = 0; t < n; t++) {
		uint32_t v;

		if (tg_rd_integer_at(f, next, t, "next", UINT16_MAX, &v))
			return -1;
		st->next[t] = (uint16_t)v;
	}
	return tg_rd_doubles(f, p, "p", st->p) ||
	       tg_rd_integers(f, iat, "iat", UINT32_MAX, st->iat) ||
	       tg_rd_integers(f, size, "size", UINT32_MAX, st->size) ? -1 : 0;
}

static int
get_automaton(const struct tg_cfgfile *f, cset *g, struct tg_automaton *a)
{
	static const char *const keys[] = { "order", "symbols", "iats",
					    "sizes", "states", NULL };
	uint32_t order;
	void *iats = NULL, *sizes = NULL, *states = NULL;
	int rc;
	cset *s;

	if (tg_rd_member(f, g, "automaton", true, CONFIG_TYPE_GROUP, &s) ||
	    tg_cfgfile_known_keys(f, s, keys) ||
	    tg_rd_u32(f, s, "order", true, UINT8_MAX, &order) ||
	    get_symbols(f, s, a))
		return -1;
	/* Each table is in the automaton as soon as it is allocated, so a
	 * failure leaves nothing that tg_model_free would miss. */
	rc = get_table(f, s, "iats", TG_AUTO_MAX_TABLE, sizeof(*a->iats),
		       &iats, &a->n_iats, one_lnmix);
	a->iats = iats;
	if (rc == 0)
		rc = get_table(f, s, "sizes", TG_AUTO_MAX_TABLE,
			       sizeof(*a->sizes), &sizes, &a->n_sizes,
			       one_hist);
	a->sizes = sizes;
	if (rc == 0)
		rc = get_table(f, s, "states", TG_AUTO_MAX_STATES,
			       sizeof(*a->states), &states, &a->n_states,
			       get_state);
	a->states = states;
	if (rc)
		return -1;
	a->order = (uint8_t)order;
	return 0;
}

/* ------------------------------------------------------------------------
 * Fitted models: services
 */

static int
get_side(const struct tg_cfgfile *f, cset *g, const char *key, bool tcp,
	 struct tg_side_model *sd)
{
	static const char *const keys[] = {
		"ttl", "tos", "df", "ipid", "mss_share", "mss", "wscale_share",
		"wscale", "sack", "timestamps", "window", "data_window", NULL
	};
	cset *s;

	if (tg_rd_member(f, g, key, true, CONFIG_TYPE_GROUP, &s) ||
	    tg_cfgfile_known_keys(f, s, keys) ||
	    tg_rd_hist(f, s, "ttl", &sd->ttl) ||
	    tg_rd_hist(f, s, "tos", &sd->tos) ||
	    tg_rd_double(f, s, "df", true, &sd->df) ||
	    tg_rd_hist(f, s, "ipid", &sd->ipid) ||
	    tg_rd_double(f, s, "mss_share", tcp, &sd->mss_share) ||
	    tg_rd_hist(f, s, "mss", &sd->mss) ||
	    tg_rd_double(f, s, "wscale_share", tcp, &sd->wscale_share) ||
	    tg_rd_hist(f, s, "wscale", &sd->wscale) ||
	    tg_rd_double(f, s, "sack", tcp, &sd->sack) ||
	    tg_rd_double(f, s, "timestamps", tcp, &sd->timestamps) ||
	    tg_rd_hist(f, s, "window", &sd->window) ||
	    tg_rd_hist(f, s, "data_window", &sd->data_window))
		return -1;
	return 0;
}

static int
get_fit_service(const struct tg_cfgfile *f, cset *s,
		struct tg_fitted_service *svc)
{
	static const char *const keys[] = {
		"proto", "payload", "flows", "share", "ipv6", "dns_first",
		"unanswered", "refused", "unopened", "server_port", "client_port", "client", "server", "rtt",
		"ack_delay", "automaton", NULL
	};
	const char *name = config_setting_name(s);
	int proto, payload;
	bool tcp;

	if (strlen(name) >= sizeof(svc->name))
		return tg_cfgfile_fail(f, s, name, "service name longer than "
				       "%zu characters", sizeof(svc->name) - 1);
	memcpy(svc->name, name, strlen(name) + 1);
	if (tg_cfgfile_known_keys(f, s, keys) ||
	    tg_cfgfile_choice(f, s, "proto", true, tg_model_proto_names,
			      &proto) ||
	    tg_cfgfile_choice(f, s, "payload", true, tg_model_payload_names,
			      &payload) ||
	    tg_rd_u64(f, s, "flows", true, &svc->flows) ||
	    tg_rd_double(f, s, "share", true, &svc->share) ||
	    tg_rd_double(f, s, "ipv6", true, &svc->ipv6) ||
	    tg_rd_double(f, s, "dns_first", true, &svc->dns_first) ||
	    tg_rd_double(f, s, "unanswered", false, &svc->unanswered) ||
	    tg_rd_double(f, s, "refused", false, &svc->refused))
		return -1;
	svc->proto = tg_model_proto_numbers[proto];
	svc->payload = (uint8_t)payload;
	tcp = svc->proto == TG_PROTO_TCP;
	if (tg_rd_hist(f, s, "server_port", &svc->server_port) ||
	    tg_rd_hist(f, s, "client_port", &svc->client_port) ||
	    get_side(f, s, tg_model_side_names[TG_DIR_C2S], tcp,
		     &svc->side[TG_DIR_C2S]) ||
	    get_side(f, s, tg_model_side_names[TG_DIR_S2C], tcp,
		     &svc->side[TG_DIR_S2C]) ||
	    (config_setting_get_member(s, "unopened") &&
	     get_side(f, s, "unopened", tcp, &svc->unopened)) ||
	    tg_rd_lnmix(f, s, "rtt", false, &svc->rtt) ||
	    tg_rd_lnmix(f, s, "ack_delay", false, &svc->ack_delay) ||
	    get_automaton(f, s, &svc->automaton))
		return -1;
	return 0;
}

/* services = { http = { ... }; dns = { ... }; }: in the file's order. */
static int
get_fit_services(const struct tg_cfgfile *f, cset *root, struct tg_model *m)
{
	cset *g;
	uint32_t n;

	if (tg_rd_member(f, root, "services", true, CONFIG_TYPE_GROUP, &g))
		return -1;
	n = (uint32_t)config_setting_length(g);
	if (n > TG_MODEL_MAX_SERVICES)
		return tg_cfgfile_fail(f, g, "services", "%u services, at "
				       "most %d", n, TG_MODEL_MAX_SERVICES);
	if (n == 0)
		return 0;	/* the checker says what is missing */
	m->fit.services = calloc(n, sizeof(*m->fit.services));
	if (m->fit.services == NULL)
		return tg_rd_oom(f, g, "services");
	m->n_services = n;
	for (uint32_t i = 0; i < n; i++) {
		cset *s;

		if (tg_rd_group_at(f, g, i, "services", &s) ||
		    get_fit_service(f, s, &m->fit.services[i]))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Fitted models: arrivals, hosts, provenance
 */

/* gap_after = { http = { w = ...; }; }: keyed by service name. */
static int
get_gap_after(const struct tg_cfgfile *f, cset *g, struct tg_model *m)
{
	struct tg_arrivals *ar = &m->fit.arrivals;
	uint32_t n = m->n_services;
	cset *s;

	ar->has_gap_after = calloc(n ? n : 1, sizeof(*ar->has_gap_after));
	ar->gap_after = calloc(n ? n : 1, sizeof(*ar->gap_after));
	if (ar->has_gap_after == NULL || ar->gap_after == NULL)
		return tg_rd_oom(f, g, "gap_after");
	if (tg_rd_member(f, g, "gap_after", false, CONFIG_TYPE_GROUP, &s))
		return -1;
	for (int i = 0; s && i < config_setting_length(s); i++) {
		cset *e = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(e);
		uint32_t j = 0;

		while (j < n && strcmp(m->fit.services[j].name, name) != 0)
			j++;
		if (j == n)
			return tg_cfgfile_fail(f, e, name, "no such service");
		if (!config_setting_is_group(e))
			return tg_cfgfile_fail(f, e, name, "must be a group "
					       "{ ... }");
		if (tg_rd_lnmix_group(f, e, &ar->gap_after[j]))
			return -1;
		ar->has_gap_after[j] = true;
	}
	return 0;
}

/* next = ( [p00, p01], [p10, p11] ): row i after a flow of service i. */
static int
get_next(const struct tg_cfgfile *f, cset *g, struct tg_model *m)
{
	uint32_t n = m->n_services, rows;
	cset *list;

	if (tg_rd_seq(f, g, "next", true, CONFIG_TYPE_LIST,
		      TG_MODEL_MAX_SERVICES, &list, &rows))
		return -1;
	if (rows != n)
		return tg_cfgfile_fail(f, list, "next", "%u rows, not one per "
				       "service (%u)", rows, n);
	if (n == 0)
		return 0;
	m->fit.arrivals.next = calloc((size_t)n * n, sizeof(double));
	if (m->fit.arrivals.next == NULL)
		return tg_rd_oom(f, list, "next");
	for (uint32_t i = 0; i < n; i++) {
		cset *row = config_setting_get_elem(list, i);

		if (config_setting_type(row) != CONFIG_TYPE_ARRAY ||
		    (uint32_t)config_setting_length(row) != n)
			return tg_cfgfile_fail(f, row, "next", "row %u must be "
					       "an array of %u numbers", i, n);
		if (tg_rd_doubles(f, row, "next", m->fit.arrivals.next + i * n))
			return -1;
	}
	return 0;
}

static int
get_arrivals(const struct tg_cfgfile *f, cset *root, struct tg_model *m)
{
	static const char *const keys[] = { "gap", "gap_after", "next",
					    "tod_bucket_hours", "tod_rate",
					    "start_hour", NULL };
	struct tg_arrivals *ar = &m->fit.arrivals;
	uint32_t h, n;
	cset *s, *rate;

	if (tg_rd_member(f, root, "arrivals", true, CONFIG_TYPE_GROUP, &s) ||
	    tg_cfgfile_known_keys(f, s, keys) ||
	    tg_rd_lnmix(f, s, "gap", false, &ar->gap) ||
	    get_gap_after(f, s, m) || get_next(f, s, m) ||
	    tg_rd_u32(f, s, "tod_bucket_hours", true, UINT32_MAX, &h) ||
	    tg_rd_seq(f, s, "tod_rate", true, CONFIG_TYPE_ARRAY, 24, &rate,
		      &n) ||
	    tg_rd_double(f, s, "start_hour", true, &ar->start_hour))
		return -1;
	ar->tod_bucket_hours = h;
	/* The checker refuses an h that does not divide 24. */
	if (h >= 1 && h <= 24 && 24 % h == 0 && n != 24 / h)
		return tg_cfgfile_fail(f, rate, "tod_rate", "%u entries, not "
				       "24 / tod_bucket_hours = %u", n, 24 / h);
	return tg_rd_doubles(f, rate, "tod_rate", ar->tod_rate);
}

static int
get_hosts(const struct tg_cfgfile *f, cset *root, struct tg_hosts_model *h)
{
	static const char *const keys[] = { "clients", "servers",
					    "client_zipf", "server_zipf",
					    "repeat_server", "server_internal",
					    NULL };
	cset *s;

	if (tg_rd_member(f, root, "hosts", true, CONFIG_TYPE_GROUP, &s) ||
	    tg_cfgfile_known_keys(f, s, keys) ||
	    tg_rd_u64(f, s, "clients", true, &h->clients) ||
	    tg_rd_u64(f, s, "servers", true, &h->servers) ||
	    tg_rd_double(f, s, "client_zipf", true, &h->client_zipf) ||
	    tg_rd_double(f, s, "server_zipf", true, &h->server_zipf) ||
	    tg_rd_double(f, s, "repeat_server", true, &h->repeat_server) ||
	    tg_rd_double(f, s, "server_internal", true, &h->server_internal))
		return -1;
	return 0;
}

static int
get_provenance(const struct tg_cfgfile *f, cset *root,
	       struct tg_provenance *p)
{
	static const char *const keys[] = { "tool", "date", "source", "files",
					    "packets", "packets_used", "flows",
					    "flows_used", NULL };
	cset *s;

	if (tg_rd_member(f, root, "provenance", true, CONFIG_TYPE_GROUP, &s) ||
	    tg_cfgfile_known_keys(f, s, keys) ||
	    tg_rd_text(f, s, "tool", p->tool, sizeof(p->tool)) ||
	    tg_rd_text(f, s, "date", p->date, sizeof(p->date)) ||
	    tg_rd_text(f, s, "source", p->source, sizeof(p->source)) ||
	    tg_rd_u32(f, s, "files", true, UINT32_MAX, &p->files) ||
	    tg_rd_u64(f, s, "packets", true, &p->packets) ||
	    tg_rd_u64(f, s, "packets_used", true, &p->packets_used) ||
	    tg_rd_u64(f, s, "flows", true, &p->flows) ||
	    tg_rd_u64(f, s, "flows_used", true, &p->flows_used))
		return -1;
	return 0;
}

int
tg_rd_fitted(const struct tg_cfgfile *f, cset *root, struct tg_model *m)
{
	static const char *const keys[] = { "format", "version", "kind",
					    "name", "provenance", "hosts",
					    "dns_delay", "arrivals",
					    "services", NULL };

	/* Services first: arrivals name them. */
	if (tg_cfgfile_known_keys(f, root, keys) ||
	    get_provenance(f, root, &m->fit.prov) ||
	    get_hosts(f, root, &m->fit.hosts) ||
	    tg_rd_lnmix(f, root, "dns_delay", false, &m->fit.dns_delay) ||
	    get_fit_services(f, root, m) || get_arrivals(f, root, m))
		return -1;
	return 0;
}
