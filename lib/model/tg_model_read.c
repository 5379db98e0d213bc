/* SPDX-License-Identifier: BSD-3-Clause
 * Model file -> model structures (docs/model-format.md): the typed
 * helpers, distributions, parametric models and the header; fitted models
 * are in tg_model_read_fit.c. This pass only refuses what cannot be
 * stored: wrong types, unknown or missing keys, numbers too large for
 * their field, arrays of mismatched or absurd lengths (before anything is
 * allocated). Whether the values make sense is tg_model_check_at's to
 * say, for files and models in memory alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_model_file.h"

typedef const config_setting_t cset;

/* tg_cfgfile_member's answer as 0 (there, or absent and optional) or -1. */
int
tg_rd_member(const struct tg_cfgfile *f, cset *g, const char *key,
	     bool required, int type, cset **out)
{
	*out = tg_cfgfile_member(f, g, key, required, type);
	return *out == NULL && f->err[0] != '\0' ? -1 : 0;
}

static bool
is_number(cset *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ||
	       t == CONFIG_TYPE_FLOAT;
}

static double
number_of(cset *s)
{
	return config_setting_type(s) == CONFIG_TYPE_FLOAT
		       ? config_setting_get_float(s)
		       : (double)config_setting_get_int64(s);
}

/* Any number, stored as it is: even inf, which the checker refuses. */
int
tg_rd_double(const struct tg_cfgfile *f, cset *g, const char *key,
	     bool required, double *out)
{
	cset *s;

	if (tg_rd_member(f, g, key, required, CONFIG_TYPE_FLOAT, &s))
		return -1;
	if (s != NULL)
		*out = number_of(s);
	return 0;
}

int
tg_rd_u64(const struct tg_cfgfile *f, cset *g, const char *key, bool required,
	  uint64_t *out)
{
	int64_t v = 0;

	if (tg_cfgfile_integer(f, g, key, required, 0, INT64_MAX, &v))
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int
tg_rd_u32(const struct tg_cfgfile *f, cset *g, const char *key, bool required,
	  uint32_t max, uint32_t *out)
{
	int64_t v = 0;

	if (tg_cfgfile_integer(f, g, key, required, 0, max, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* An array (or, with `type` CONFIG_TYPE_LIST, a list) of at most `max`
 * entries; *n its length. */
int
tg_rd_seq(const struct tg_cfgfile *f, cset *g, const char *key, bool required,
	  int type, uint32_t max, cset **out, uint32_t *n)
{
	if (tg_rd_member(f, g, key, required, type, out))
		return -1;
	*n = *out ? (uint32_t)config_setting_length(*out) : 0;
	if (*n > max)
		return tg_cfgfile_fail(f, *out, key, "%u entries, at most %u",
				       *n, max);
	return 0;
}

/* An array whose length must be `n`, as its sibling `other` has. */
int
tg_rd_array_of(const struct tg_cfgfile *f, cset *g, const char *key,
	       bool required, uint32_t n, const char *other, cset **out)
{
	uint32_t len;

	if (tg_rd_seq(f, g, key, required, CONFIG_TYPE_ARRAY, UINT32_MAX, out,
		      &len))
		return -1;
	if (*out != NULL && len != n)
		return tg_cfgfile_fail(f, *out, key, "%u entries, %s has %u",
				       len, other, n);
	return 0;
}

int
tg_rd_doubles(const struct tg_cfgfile *f, cset *arr, const char *key,
	      double *out)
{
	for (int i = 0; i < config_setting_length(arr); i++) {
		cset *e = config_setting_get_elem(arr, (unsigned)i);

		if (!is_number(e))
			return tg_cfgfile_fail(f, e, key, "must hold numbers");
		out[i] = number_of(e);
	}
	return 0;
}

int
tg_rd_integer_at(const struct tg_cfgfile *f, cset *arr, uint32_t i,
		 const char *key, uint32_t max, uint32_t *out)
{
	cset *e = config_setting_get_elem(arr, i);
	int t = config_setting_type(e);
	int64_t v;

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return tg_cfgfile_fail(f, e, key, "must hold integers");
	v = config_setting_get_int64(e);
	if (v < 0 || v > max)
		return tg_cfgfile_fail(f, e, key, "%lld is outside 0..%u",
				       (long long)v, max);
	*out = (uint32_t)v;
	return 0;
}

int
tg_rd_integers(const struct tg_cfgfile *f, cset *arr, const char *key,
	       uint32_t max, uint32_t *out)
{
	for (int i = 0; i < config_setting_length(arr); i++)
		if (tg_rd_integer_at(f, arr, (uint32_t)i, key, max, &out[i]))
			return -1;
	return 0;
}

int
tg_rd_oom(const struct tg_cfgfile *f, cset *at, const char *key)
{
	return tg_cfgfile_fail(f, at, key, "out of memory");
}

/* An element of a list that must be a group. */
int
tg_rd_group_at(const struct tg_cfgfile *f, cset *list, uint32_t i,
	       const char *key, cset **out)
{
	*out = config_setting_get_elem(list, i);
	if (!config_setting_is_group(*out))
		return tg_cfgfile_fail(f, *out, key, "entry %u must be a "
				       "group { ... }", i);
	return 0;
}

/* A string copied into a fixed-size field; longer is refused. */
int
tg_rd_text(const struct tg_cfgfile *f, cset *g, const char *key, char *out,
	   size_t size)
{
	const char *v;

	if (tg_cfgfile_string(f, g, key, true, &v))
		return -1;
	if (strlen(v) >= size)
		return tg_cfgfile_fail(f, config_setting_get_member(g, key),
				       key, "longer than %zu characters",
				       size - 1);
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* ------------------------------------------------------------------------
 * Distributions
 */

/* { w = [..]; mu = [..]; sigma = [..]; } */
int
tg_rd_lnmix_group(const struct tg_cfgfile *f, cset *s, struct tg_lnmix *x)
{
	static const char *const keys[] = { "w", "mu", "sigma", NULL };
	cset *w, *mu, *sigma;
	uint32_t k;

	if (tg_cfgfile_known_keys(f, s, keys) ||
	    tg_rd_seq(f, s, "w", true, CONFIG_TYPE_ARRAY, TG_LNMIX_MAX, &w, &k))
		return -1;
	if (k == 0)
		return tg_cfgfile_fail(f, w, "w", "needs 1 to %d components",
				       TG_LNMIX_MAX);
	if (tg_rd_array_of(f, s, "mu", true, k, "w", &mu) ||
	    tg_rd_array_of(f, s, "sigma", true, k, "w", &sigma) ||
	    tg_rd_doubles(f, w, "w", x->weight) ||
	    tg_rd_doubles(f, mu, "mu", x->mu) ||
	    tg_rd_doubles(f, sigma, "sigma", x->sigma))
		return -1;
	x->k = k;
	return 0;
}

int
tg_rd_lnmix(const struct tg_cfgfile *f, cset *g, const char *key,
	    bool required, struct tg_lnmix *x)
{
	cset *s;

	if (tg_rd_member(f, g, key, required, CONFIG_TYPE_GROUP, &s))
		return -1;
	return s ? tg_rd_lnmix_group(f, s, x) : 0;
}

/* { lo = [..]; hi = [..]; p = [..]; }, hi absent when every bin is one
 * value. */
int
tg_rd_hist_group(const struct tg_cfgfile *f, cset *s, struct tg_hist *h)
{
	static const char *const keys[] = { "lo", "hi", "p", NULL };
	cset *lo, *hi, *p;
	uint32_t n;

	if (tg_cfgfile_known_keys(f, s, keys) ||
	    tg_rd_seq(f, s, "lo", true, CONFIG_TYPE_ARRAY, TG_HIST_MAX_BINS,
		      &lo, &n))
		return -1;
	if (n == 0)
		return tg_cfgfile_fail(f, lo, "lo", "needs 1 to %d bins",
				       TG_HIST_MAX_BINS);
	if (tg_rd_array_of(f, s, "hi", false, n, "lo", &hi) ||
	    tg_rd_array_of(f, s, "p", true, n, "lo", &p))
		return -1;
	h->lo = malloc(n * sizeof(*h->lo));
	h->hi = malloc(n * sizeof(*h->hi));
	h->p = malloc(n * sizeof(*h->p));
	h->n = n;
	if (h->lo == NULL || h->hi == NULL || h->p == NULL)
		return tg_rd_oom(f, s, "lo");
	if (tg_rd_integers(f, lo, "lo", UINT32_MAX, h->lo) ||
	    tg_rd_integers(f, hi ? hi : lo, hi ? "hi" : "lo", UINT32_MAX,
			   h->hi) ||
	    tg_rd_doubles(f, p, "p", h->p))
		return -1;
	return 0;
}

int
tg_rd_hist(const struct tg_cfgfile *f, cset *g, const char *key,
	   struct tg_hist *h)
{
	cset *s;

	if (tg_rd_member(f, g, key, false, CONFIG_TYPE_GROUP, &s))
		return -1;
	return s ? tg_rd_hist_group(f, s, h) : 0;
}

/* ------------------------------------------------------------------------
 * Parametric models (format version 1 and on)
 */

static int
get_lognorm(const struct tg_cfgfile *f, cset *g, const char *key,
	    struct tg_lognorm *out)
{
	static const char *const keys[] = { "median", "sigma", NULL };
	cset *s;

	if (tg_rd_member(f, g, key, true, CONFIG_TYPE_GROUP, &s) ||
	    tg_cfgfile_known_keys(f, s, keys) ||
	    tg_rd_double(f, s, "median", true, &out->median) ||
	    tg_rd_double(f, s, "sigma", true, &out->sigma))
		return -1;
	return 0;
}

static int
get_stack(const struct tg_cfgfile *f, cset *root, const char *key,
	  struct tg_stack *out)
{
	static const char *const keys[] = { "ttl", "mss", "wscale", "sack",
					    "timestamps", "rcv_buf", NULL };
	int64_t ttl, mss, wscale, rcv_buf;
	cset *s;

	if (tg_rd_member(f, root, key, true, CONFIG_TYPE_GROUP, &s) ||
	    tg_cfgfile_known_keys(f, s, keys) ||
	    tg_cfgfile_integer(f, s, "ttl", true, 0, UINT8_MAX, &ttl) ||
	    tg_cfgfile_integer(f, s, "mss", true, 0, UINT16_MAX, &mss) ||
	    tg_cfgfile_integer(f, s, "wscale", true, INT8_MIN, INT8_MAX,
			       &wscale) ||
	    tg_cfgfile_bool(f, s, "sack", true, &out->sack) ||
	    tg_cfgfile_bool(f, s, "timestamps", true, &out->timestamps) ||
	    tg_cfgfile_integer(f, s, "rcv_buf", true, 0, UINT32_MAX, &rcv_buf))
		return -1;
	out->ttl = (uint8_t)ttl;
	out->mss = (uint16_t)mss;
	out->wscale = (int8_t)wscale;
	out->rcv_buf = (uint32_t)rcv_buf;
	out->df = true;
	return 0;
}

static int
get_par_service(const struct tg_cfgfile *f, cset *s, struct tg_service *svc)
{
	static const char *const keys[] = {
		"name", "proto", "port", "weight", "payload", "exchanges",
		"request", "response", "think", "server_time", "reset",
		"server_close", NULL
	};
	const char *name;
	int proto, payload;
	int64_t port;

	if (tg_cfgfile_known_keys(f, s, keys) ||
	    tg_cfgfile_string(f, s, "name", true, &name))
		return -1;
	snprintf(svc->name, sizeof(svc->name), "%s", name);
	if (tg_cfgfile_choice(f, s, "proto", true, tg_model_proto_names,
			      &proto) ||
	    tg_cfgfile_integer(f, s, "port", true, 0, UINT16_MAX, &port) ||
	    tg_rd_double(f, s, "weight", true, &svc->weight) ||
	    tg_cfgfile_choice(f, s, "payload", true, tg_model_payload_names,
			      &payload) ||
	    tg_rd_double(f, s, "exchanges", true, &svc->exchanges) ||
	    get_lognorm(f, s, "request", &svc->request) ||
	    get_lognorm(f, s, "response", &svc->response) ||
	    get_lognorm(f, s, "think", &svc->think) ||
	    get_lognorm(f, s, "server_time", &svc->server_time) ||
	    tg_rd_double(f, s, "reset", true, &svc->reset_share) ||
	    tg_rd_double(f, s, "server_close", true, &svc->server_close_share))
		return -1;
	svc->proto = tg_model_proto_numbers[proto];
	svc->port = (uint16_t)port;
	svc->payload = (uint8_t)payload;
	return 0;
}

static int
read_parametric(const struct tg_cfgfile *f, cset *root, struct tg_model *m)
{
	static const char *const keys[] = { "format", "version", "kind",
					    "name", "arrival", "rtt", "client",
					    "server", "services", NULL };
	struct tg_parametric *par = &m->par;
	cset *list;
	uint32_t n;

	if (tg_cfgfile_known_keys(f, root, keys) ||
	    get_lognorm(f, root, "arrival", &par->arrival) ||
	    get_lognorm(f, root, "rtt", &par->rtt) ||
	    get_stack(f, root, "client", &par->client) ||
	    get_stack(f, root, "server", &par->server) ||
	    tg_rd_seq(f, root, "services", true, CONFIG_TYPE_LIST,
		      TG_MODEL_MAX_SERVICES, &list, &n))
		return -1;
	m->n_services = n;
	for (uint32_t i = 0; i < n; i++) {
		cset *s;

		if (tg_rd_group_at(f, list, i, "services", &s) ||
		    get_par_service(f, s, &par->services[i]))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Both kinds
 */

static int
get_header(const struct tg_cfgfile *f, cset *root, struct tg_model *m)
{
	static const char *const formats[] = { TG_MODEL_FORMAT, NULL };
	const char *name;
	double version;
	int ignored, kind;

	if (tg_cfgfile_choice(f, root, "format", true, formats, &ignored) ||
	    tg_cfgfile_number(f, root, "version", true, 0, 1e9, &version))
		return -1;
	if (version != TG_MODEL_FORMAT_VERSION)
		return tg_cfgfile_fail(f, config_setting_get_member(root,
								    "version"),
				       "version", "version %g is not supported "
				       "(this tempogen reads version %d)",
				       version, TG_MODEL_FORMAT_VERSION);
	if (tg_cfgfile_choice(f, root, "kind", true, tg_model_kind_names,
			      &kind) ||
	    tg_cfgfile_string(f, root, "name", true, &name))
		return -1;
	m->kind = (uint8_t)kind;
	snprintf(m->name, sizeof(m->name), "%s", name);
	return 0;
}

int
tg_model_read(const struct tg_cfgfile *f, const config_t *cfg,
	      struct tg_model *m)
{
	cset *root = config_root_setting(cfg);

	memset(m, 0, sizeof(*m));
	if (get_header(f, root, m))
		return -1;
	return m->kind == TG_MODEL_FITTED ? tg_rd_fitted(f, root, m)
					  : read_parametric(f, root, m);
}
