/* SPDX-License-Identifier: BSD-3-Clause
 * Reading and checking model files (libconfig syntax; docs/model-format.md).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libconfig.h>

#include "tg_model.h"

#define MODEL_FORMAT "tempogen-model"
#define MODEL_VERSION 1

extern const char tg_model_builtin_text[];

/* Where we are while reading, for messages: the file's name. */
struct reader {
	const char *file;
	char *err;
	size_t errlen;
};

static int
fail(const struct reader *r, const config_setting_t *at, const char *key,
     const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	int line = at ? config_setting_source_line(at) : 0;

	/* The root group has no line of its own: name the file only. */
	if (line > 0)
		snprintf(r->err, r->errlen, "%s:%d: %s: %s", r->file, line,
			 key, what);
	else
		snprintf(r->err, r->errlen, "%s: %s: %s", r->file, key, what);
	return -1;
}

static const config_setting_t *
member(const struct reader *r, const config_setting_t *group,
       const char *key, int type)
{
	const config_setting_t *s = config_setting_get_member(group, key);

	if (s == NULL) {
		fail(r, group, key, "missing");
		return NULL;
	}
	if (type == CONFIG_TYPE_FLOAT &&
	    (config_setting_type(s) == CONFIG_TYPE_INT ||
	     config_setting_type(s) == CONFIG_TYPE_INT64))
		return s;
	if (config_setting_type(s) != type) {
		fail(r, s, key, "wrong type");
		return NULL;
	}
	return s;
}

static int
get_number(const struct reader *r, const config_setting_t *group,
	   const char *key, double lo, double hi, double *out)
{
	const config_setting_t *s = member(r, group, key, CONFIG_TYPE_FLOAT);

	if (s == NULL)
		return -1;
	*out = config_setting_type(s) == CONFIG_TYPE_FLOAT
		       ? config_setting_get_float(s)
		       : (double)config_setting_get_int64(s);
	if (!isfinite(*out) || *out < lo || *out > hi)
		return fail(r, s, key, "%g is outside %g..%g", *out, lo, hi);
	return 0;
}

static int
get_bool(const struct reader *r, const config_setting_t *group,
	 const char *key, bool *out)
{
	const config_setting_t *s = member(r, group, key, CONFIG_TYPE_BOOL);

	if (s == NULL)
		return -1;
	*out = config_setting_get_bool(s);
	return 0;
}

/* A string that must be one of `names`; *out gets its index. */
static int
get_choice(const struct reader *r, const config_setting_t *group,
	   const char *key, const char *const *names, int *out)
{
	const config_setting_t *s = member(r, group, key, CONFIG_TYPE_STRING);
	const char *v;

	if (s == NULL)
		return -1;
	v = config_setting_get_string(s);
	for (int i = 0; names[i]; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return fail(r, s, key, "unknown value \"%s\"", v);
}

static int
get_lognorm(const struct reader *r, const config_setting_t *group,
	    const char *key, struct tg_lognorm *out)
{
	const config_setting_t *s = member(r, group, key, CONFIG_TYPE_GROUP);

	if (s == NULL)
		return -1;
	if (get_number(r, s, "median", 1e-9, 1e9, &out->median) ||
	    get_number(r, s, "sigma", 0, 5, &out->sigma))
		return -1;
	return 0;
}

static int
get_stack(const struct reader *r, const config_setting_t *root,
	  const char *key, struct tg_stack *out)
{
	const config_setting_t *s = member(r, root, key, CONFIG_TYPE_GROUP);
	double ttl, mss, wscale, rcv_buf;

	if (s == NULL)
		return -1;
	if (get_number(r, s, "ttl", 1, 255, &ttl) ||
	    get_number(r, s, "mss", 88, 9000, &mss) ||
	    get_number(r, s, "wscale", -1, 14, &wscale) ||
	    get_bool(r, s, "sack", &out->sack) ||
	    get_bool(r, s, "timestamps", &out->timestamps) ||
	    get_number(r, s, "rcv_buf", 1024, 1 << 30, &rcv_buf))
		return -1;
	out->ttl = (uint8_t)ttl;
	out->mss = (uint16_t)mss;
	out->wscale = (int8_t)wscale;
	out->rcv_buf = (uint32_t)rcv_buf;
	out->df = true;
	return 0;
}

static int
get_service(const struct reader *r, const config_setting_t *s,
	    struct tg_service *svc)
{
	static const char *const protos[] = { "tcp", "udp", "icmp", NULL };
	static const uint8_t proto_numbers[] = { TG_PROTO_TCP, TG_PROTO_UDP,
						 TG_PROTO_ICMP };
	static const char *const payloads[] = { "zero", "random", "http",
						"dns", NULL };
	const config_setting_t *name = member(r, s, "name", CONFIG_TYPE_STRING);
	int proto, payload;
	double port;

	if (name == NULL)
		return -1;
	snprintf(svc->name, sizeof(svc->name), "%s",
		 config_setting_get_string(name));
	if (get_choice(r, s, "proto", protos, &proto) ||
	    get_number(r, s, "port", 0, 65535, &port) ||
	    get_number(r, s, "weight", 0, 1, &svc->weight) ||
	    get_choice(r, s, "payload", payloads, &payload) ||
	    get_number(r, s, "exchanges", 1, 1e6, &svc->exchanges) ||
	    get_lognorm(r, s, "request", &svc->request) ||
	    get_lognorm(r, s, "response", &svc->response) ||
	    get_lognorm(r, s, "think", &svc->think) ||
	    get_lognorm(r, s, "server_time", &svc->server_time) ||
	    get_number(r, s, "reset", 0, 1, &svc->reset_share) ||
	    get_number(r, s, "server_close", 0, 1, &svc->server_close_share))
		return -1;
	svc->proto = proto_numbers[proto];
	svc->port = (uint16_t)port;
	svc->payload = (uint8_t)payload;
	if (svc->proto != TG_PROTO_ICMP && svc->port == 0)
		return fail(r, s, "port", "a TCP or UDP service needs a port");
	return 0;
}

static int
get_header(const struct reader *r, const config_setting_t *root,
	   struct tg_model *m)
{
	static const char *const formats[] = { MODEL_FORMAT, NULL };
	static const char *const kinds[] = { "parametric", NULL };
	const config_setting_t *name;
	double version;
	int ignored;

	if (get_choice(r, root, "format", formats, &ignored) ||
	    get_number(r, root, "version", 0, 1e9, &version))
		return -1;
	if (version != MODEL_VERSION)
		return fail(r, config_setting_get_member(root, "version"),
			    "version", "version %g is not supported (this "
			    "tempogen reads version %d)", version,
			    MODEL_VERSION);
	if (get_choice(r, root, "kind", kinds, &ignored))
		return -1;
	name = member(r, root, "name", CONFIG_TYPE_STRING);
	if (name == NULL)
		return -1;
	snprintf(m->name, sizeof(m->name), "%s",
		 config_setting_get_string(name));
	return 0;
}

static int
read_model(const struct reader *r, const config_t *cfg, struct tg_model *m)
{
	const config_setting_t *root = config_root_setting(cfg);
	const config_setting_t *list;

	memset(m, 0, sizeof(*m));
	if (get_header(r, root, m) ||
	    get_lognorm(r, root, "arrival", &m->arrival) ||
	    get_lognorm(r, root, "rtt", &m->rtt) ||
	    get_stack(r, root, "client", &m->client) ||
	    get_stack(r, root, "server", &m->server))
		return -1;
	list = member(r, root, "services", CONFIG_TYPE_LIST);
	if (list == NULL)
		return -1;
	if (config_setting_length(list) < 1 ||
	    config_setting_length(list) > TG_MODEL_MAX_SERVICES)
		return fail(r, list, "services", "needs 1 to %d services",
			    TG_MODEL_MAX_SERVICES);
	m->n_services = (uint32_t)config_setting_length(list);
	for (uint32_t i = 0; i < m->n_services; i++) {
		const config_setting_t *s = config_setting_get_elem(list, i);

		if (config_setting_type(s) != CONFIG_TYPE_GROUP)
			return fail(r, s, "services", "entry %u is not a "
				    "group", i);
		if (get_service(r, s, &m->services[i]))
			return -1;
		m->total_weight += m->services[i].weight;
	}
	if (fabs(m->total_weight - 1.0) > 1e-6)
		return fail(r, list, "services", "weights sum to %.9g, not 1",
			    m->total_weight);
	return 0;
}

int
tg_model_parse(const char *text, const char *name, struct tg_model *model,
	       char *err, size_t errlen)
{
	struct reader r = { .file = name, .err = err, .errlen = errlen };
	config_t cfg;
	int rc;

	config_init(&cfg);
	if (config_read_string(&cfg, text) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s:%d: %s", name, config_error_line(&cfg),
			 config_error_text(&cfg));
		config_destroy(&cfg);
		return -1;
	}
	rc = read_model(&r, &cfg, model);
	config_destroy(&cfg);
	return rc;
}

int
tg_model_load(const char *path, struct tg_model *model, char *err,
	      size_t errlen)
{
	struct reader r = { .file = path, .err = err, .errlen = errlen };
	config_t cfg;
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "%s:0: cannot read model: %s", path,
			 strerror(errno));
		return -1;
	}
	config_init(&cfg);
	if (config_read(&cfg, f) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s:%d: %s", path, config_error_line(&cfg),
			 config_error_text(&cfg));
		rc = -1;
	} else {
		rc = read_model(&r, &cfg, model);
	}
	config_destroy(&cfg);
	fclose(f);
	return rc;
}

int
tg_model_load_builtin(struct tg_model *model, char *err, size_t errlen)
{
	return tg_model_parse(tg_model_builtin_text, "<built-in model>", model,
			      err, errlen);
}
