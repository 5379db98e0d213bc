/* SPDX-License-Identifier: BSD-3-Clause
 * Reading and checking model files (libconfig syntax; docs/model-format.md).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tg_cfgfile.h"
#include "tg_model.h"

#define MODEL_FORMAT "tempogen-model"
#define MODEL_VERSION TG_MODEL_FORMAT_VERSION

extern const char tg_model_builtin_text[];

static int
get_lognorm(const struct tg_cfgfile *f, const config_setting_t *group,
	    const char *key, struct tg_lognorm *out)
{
	const config_setting_t *s = tg_cfgfile_member(f, group, key, true, CONFIG_TYPE_GROUP);

	static const char *const keys[] = { "median", "sigma", NULL };

	if (s == NULL || tg_cfgfile_known_keys(f, s, keys))
		return -1;
	if (tg_cfgfile_number(f, s, "median", true, 1e-9, 1e9, &out->median) ||
	    tg_cfgfile_number(f, s, "sigma", true, 0, 5, &out->sigma))
		return -1;
	return 0;
}

static int
get_stack(const struct tg_cfgfile *f, const config_setting_t *root,
	  const char *key, struct tg_stack *out)
{
	const config_setting_t *s = tg_cfgfile_member(f, root, key, true, CONFIG_TYPE_GROUP);
	double ttl, mss, wscale, rcv_buf;

	static const char *const keys[] = { "ttl", "mss", "wscale", "sack",
					    "timestamps", "rcv_buf", NULL };

	if (s == NULL || tg_cfgfile_known_keys(f, s, keys))
		return -1;
	if (tg_cfgfile_number(f, s, "ttl", true, 1, 255, &ttl) ||
	    tg_cfgfile_number(f, s, "mss", true, 88, 9000, &mss) ||
	    tg_cfgfile_number(f, s, "wscale", true, -1, 14, &wscale) ||
	    tg_cfgfile_bool(f, s, "sack", true, &out->sack) ||
	    tg_cfgfile_bool(f, s, "timestamps", true, &out->timestamps) ||
	    tg_cfgfile_number(f, s, "rcv_buf", true, 1024, 1 << 30, &rcv_buf))
		return -1;
	out->ttl = (uint8_t)ttl;
	out->mss = (uint16_t)mss;
	out->wscale = (int8_t)wscale;
	out->rcv_buf = (uint32_t)rcv_buf;
	out->df = true;
	return 0;
}

static int
get_service(const struct tg_cfgfile *f, const config_setting_t *s,
	    struct tg_service *svc)
{
	static const char *const protos[] = { "tcp", "udp", "icmp", NULL };
	static const uint8_t proto_numbers[] = { TG_PROTO_TCP, TG_PROTO_UDP,
						 TG_PROTO_ICMP };
	static const char *const payloads[] = { "zero", "random", "http",
						"dns", NULL };
	const config_setting_t *name = tg_cfgfile_member(f, s, "name", true, CONFIG_TYPE_STRING);
	int proto, payload;
	double port;

	static const char *const keys[] = {
		"name", "proto", "port", "weight", "payload", "exchanges",
		"request", "response", "think", "server_time", "reset",
		"server_close", NULL
	};

	if (name == NULL || tg_cfgfile_known_keys(f, s, keys))
		return -1;
	snprintf(svc->name, sizeof(svc->name), "%s",
		 config_setting_get_string(name));
	if (tg_cfgfile_choice(f, s, "proto", true, protos, &proto) ||
	    tg_cfgfile_number(f, s, "port", true, 0, 65535, &port) ||
	    tg_cfgfile_number(f, s, "weight", true, 0, 1, &svc->weight) ||
	    tg_cfgfile_choice(f, s, "payload", true, payloads, &payload) ||
	    tg_cfgfile_number(f, s, "exchanges", true, 1, 1e6, &svc->exchanges) ||
	    get_lognorm(f, s, "request", &svc->request) ||
	    get_lognorm(f, s, "response", &svc->response) ||
	    get_lognorm(f, s, "think", &svc->think) ||
	    get_lognorm(f, s, "server_time", &svc->server_time) ||
	    tg_cfgfile_number(f, s, "reset", true, 0, 1, &svc->reset_share) ||
	    tg_cfgfile_number(f, s, "server_close", true, 0, 1, &svc->server_close_share))
		return -1;
	svc->proto = proto_numbers[proto];
	svc->port = (uint16_t)port;
	svc->payload = (uint8_t)payload;
	if (svc->proto != TG_PROTO_ICMP && svc->port == 0)
		return tg_cfgfile_fail(f, s, "port", "a TCP or UDP service needs a port");
	return 0;
}

static int
get_header(const struct tg_cfgfile *f, const config_setting_t *root,
	   struct tg_model *m)
{
	static const char *const formats[] = { MODEL_FORMAT, NULL };
	static const char *const kinds[] = { "parametric", NULL };
	const config_setting_t *name;
	double version;
	int ignored;

	if (tg_cfgfile_choice(f, root, "format", true, formats, &ignored) ||
	    tg_cfgfile_number(f, root, "version", true, 0, 1e9, &version))
		return -1;
	if (version != MODEL_VERSION)
		return tg_cfgfile_fail(f, config_setting_get_member(root, "version"),
			    "version", "version %g is not supported (this "
			    "tempogen reads version %d)", version,
			    MODEL_VERSION);
	if (tg_cfgfile_choice(f, root, "kind", true, kinds, &ignored))
		return -1;
	name = tg_cfgfile_member(f, root, "name", true, CONFIG_TYPE_STRING);
	if (name == NULL)
		return -1;
	snprintf(m->name, sizeof(m->name), "%s",
		 config_setting_get_string(name));
	return 0;
}

static int
read_model(const struct tg_cfgfile *f, const config_t *cfg, struct tg_model *m)
{
	const config_setting_t *root = config_root_setting(cfg);
	const config_setting_t *list;

	static const char *const keys[] = { "format", "version", "kind",
					    "name", "arrival", "rtt", "client",
					    "server", "services", NULL };

	struct tg_parametric *par = &m->par;

	memset(m, 0, sizeof(*m));
	if (tg_cfgfile_known_keys(f, root, keys) || get_header(f, root, m) ||
	    get_lognorm(f, root, "arrival", &par->arrival) ||
	    get_lognorm(f, root, "rtt", &par->rtt) ||
	    get_stack(f, root, "client", &par->client) ||
	    get_stack(f, root, "server", &par->server))
		return -1;
	list = tg_cfgfile_member(f, root, "services", true, CONFIG_TYPE_LIST);
	if (list == NULL)
		return -1;
	if (config_setting_length(list) < 1 ||
	    config_setting_length(list) > TG_MODEL_MAX_SERVICES)
		return tg_cfgfile_fail(f, list, "services", "needs 1 to %d services",
			    TG_MODEL_MAX_SERVICES);
	m->n_services = (uint32_t)config_setting_length(list);
	for (uint32_t i = 0; i < m->n_services; i++) {
		const config_setting_t *s = config_setting_get_elem(list, i);

		if (config_setting_type(s) != CONFIG_TYPE_GROUP)
			return tg_cfgfile_fail(f, s, "services", "entry %u is not a "
				    "group", i);
		if (get_service(f, s, &par->services[i]))
			return -1;
		par->total_weight += par->services[i].weight;
	}
	if (fabs(par->total_weight - 1.0) > 1e-6)
		return tg_cfgfile_fail(f, list, "services", "weights sum to %.9g, not 1",
			    par->total_weight);
	return 0;
}

/* Read a model from text (`path` NULL) or from the file `name`. */
static int
parse(const char *text, const char *name, struct tg_model *model, char *err,
      size_t errlen)
{
	struct tg_cfgfile f = { .file = name, .err = err, .errlen = errlen };
	config_t cfg;
	int rc;

	config_init(&cfg);
	rc = text ? tg_cfgfile_read(&f, &cfg, text)
		  : tg_cfgfile_read_file(&f, &cfg);
	if (rc == 0)
		rc = read_model(&f, &cfg, model);
	config_destroy(&cfg);
	return rc;
}

int
tg_model_parse(const char *text, const char *name, struct tg_model *model,
	       char *err, size_t errlen)
{
	return parse(text, name, model, err, errlen);
}

int
tg_model_load(const char *path, struct tg_model *model, char *err,
	      size_t errlen)
{
	return parse(NULL, path, model, err, errlen);
}

void
tg_model_free(struct tg_model *model)
{
	(void)model;
}

int
tg_model_load_builtin(struct tg_model *model, char *err, size_t errlen)
{
	return tg_model_parse(tg_model_builtin_text, "<built-in model>", model,
			      err, errlen);
}
