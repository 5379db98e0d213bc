/* SPDX-License-Identifier: BSD-3-Clause
 * Model files (libconfig syntax; docs/model-format.md): loading, names
 * shared by reader and writer, freeing. The reading pass is in
 * tg_model_read.c, the rules in tg_model_check.c, saving in
 * tg_model_write.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_model_file.h"

extern const char tg_model_builtin_text[];

const char *const tg_model_kind_names[] = { "parametric", "fitted", NULL };
const char *const tg_model_proto_names[] = { "tcp", "udp", "icmp", NULL };
const uint8_t tg_model_proto_numbers[] = { TG_PROTO_TCP, TG_PROTO_UDP,
					   TG_PROTO_ICMP };
const char *const tg_model_payload_names[] = { "zero", "random", "http",
					       "dns", "tls", "ssh", "ntp",
					       "dns-tcp", "quic", "smtp",
					       "syslog", "nbns", "nbss",
					       "smb", "dhcp", "snmp", "ike",
					       NULL };
_Static_assert(sizeof(tg_model_payload_names) /
		       sizeof(tg_model_payload_names[0]) == TG_PAYLOAD_KINDS + 1,
	       "a name for every payload kind (enum tg_payload_kind)");
const char *const tg_model_side_names[2] = {
	[TG_DIR_C2S] = "client",
	[TG_DIR_S2C] = "server",
};

static const char *const class_names[TG_SC_CLASSES] = {
	[TG_SC_ACK] = "ACK",
	[TG_SC_FIN] = "FIN",
	[TG_SC_RST] = "RST",
	[TG_SC_DGRAM] = "DGRAM",
};

int
tg_model_proto_index(uint8_t proto)
{
	for (int i = 0; tg_model_proto_names[i]; i++)
		if (tg_model_proto_numbers[i] == proto)
			return i;
	return -1;
}

static void
sym_format(const struct tg_sym *s, char *buf)
{
	if (s->dir > TG_DIR_S2C || s->cls >= TG_SC_CLASSES ||
	    s->bucket >= TG_SIZE_BUCKETS)
		snprintf(buf, TG_SYM_NAME_LEN, "?");
	else
		snprintf(buf, TG_SYM_NAME_LEN, "%c:%s:%u",
			 s->dir == TG_DIR_C2S ? 'c' : 's', class_names[s->cls],
			 tg_size_bucket_lo[s->bucket]);
}

const char *
tg_auto_sym_name(const struct tg_automaton *a, uint32_t i, char *buf)
{
	if (a->syms == NULL || i >= a->n_syms)
		snprintf(buf, TG_SYM_NAME_LEN, "?");
	else if (i == TG_SYM_START)
		snprintf(buf, TG_SYM_NAME_LEN, "^");
	else
		sym_format(&a->syms[i], buf);
	return buf;
}

/* Only the canonical spelling is a symbol, so that a file read and saved
 * again is the same file. */
int
tg_sym_parse(const char *text, struct tg_sym *sym, bool *start)
{
	char again[TG_SYM_NAME_LEN];
	const char *colon;
	unsigned long lo;
	char *end;

	memset(sym, 0, sizeof(*sym));
	*start = strcmp(text, "^") == 0;
	if (*start)
		return 0;
	if ((text[0] != 'c' && text[0] != 's') || text[1] != ':')
		return -1;
	sym->dir = text[0] == 'c' ? TG_DIR_C2S : TG_DIR_S2C;
	colon = strchr(text + 2, ':');
	if (colon == NULL)
		return -1;
	while (sym->cls < TG_SC_CLASSES &&
	       (strlen(class_names[sym->cls]) != (size_t)(colon - text - 2) ||
		strncmp(class_names[sym->cls], text + 2,
			(size_t)(colon - text - 2)) != 0))
		sym->cls++;
	lo = strtoul(colon + 1, &end, 10);
	if (sym->cls == TG_SC_CLASSES || *end != '\0' || lo > UINT32_MAX)
		return -1;
	sym->bucket = (uint8_t)tg_size_bucket((uint32_t)lo);
	sym_format(sym, again);
	return strcmp(again, text) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * Loading
 */

void
tg_model_one_line(char *err)
{
	for (; *err; err++)
		if ((unsigned char)*err < 0x20 || *err == 0x7f)
			*err = ' ';
}

/* Read a model from text, or (text NULL) from the file `name`. */
static int
parse(const char *text, const char *name, struct tg_model *m, char *err,
      size_t errlen)
{
	struct tg_cfgfile f = { .file = name, .err = err, .errlen = errlen };
	config_t cfg;
	int rc;

	memset(m, 0, sizeof(*m));
	config_init(&cfg);
	rc = text ? tg_cfgfile_read(&f, &cfg, text)
		  : tg_cfgfile_read_file(&f, &cfg);
	if (rc == 0)
		rc = tg_model_read(&f, &cfg, m);
	if (rc == 0)
		rc = tg_model_check_at(m, &f, config_root_setting(&cfg), err,
				       errlen);
	config_destroy(&cfg);
	if (rc != 0) {
		tg_model_free(m);
		if (errlen > 0)
			tg_model_one_line(err);
	}
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

int
tg_model_load_builtin(struct tg_model *model, char *err, size_t errlen)
{
	return tg_model_parse(tg_model_builtin_text, "<built-in model>", model,
			      err, errlen);
}

/* ------------------------------------------------------------------------
 * Freeing: safe on zeroed, partly read and parametric models, since every
 * table is counted only once it is allocated (and allocated zeroed).
 */

static void
free_automaton(struct tg_automaton *a)
{
	free(a->syms);
	free(a->iats);
	for (uint32_t i = 0; a->sizes && i < a->n_sizes; i++)
		tg_hist_free(&a->sizes[i]);
	free(a->sizes);
	for (uint32_t j = 0; a->states && j < a->n_states; j++) {
		struct tg_auto_state *st = &a->states[j];

		free(st->next);
		free(st->p);
		free(st->iat);
		free(st->size);
		tg_alias_free(&st->alias);
	}
	free(a->states);
	free(a->lookup);
}

static void
free_side(struct tg_side_model *sd)
{
	tg_hist_free(&sd->ttl);
	tg_hist_free(&sd->tos);
	tg_hist_free(&sd->ipid);
	tg_hist_free(&sd->mss);
	tg_hist_free(&sd->wscale);
	tg_hist_free(&sd->window);
	tg_hist_free(&sd->data_window);
}

static void
free_fitted(struct tg_fitted *fit, uint32_t n_services)
{
	struct tg_arrivals *ar = &fit->arrivals;

	for (uint32_t i = 0; fit->services && i < n_services; i++) {
		struct tg_fitted_service *s = &fit->services[i];

		tg_hist_free(&s->server_port);
		tg_hist_free(&s->client_port);
		free_side(&s->side[TG_DIR_C2S]);
		free_side(&s->side[TG_DIR_S2C]);
		free_side(&s->unopened);
		free_automaton(&s->automaton);
	}
	free(fit->services);
	for (uint32_t i = 0; ar->next_alias && i < n_services; i++)
		tg_alias_free(&ar->next_alias[i]);
	free(ar->next_alias);
	free(ar->has_gap_after);
	free(ar->gap_after);
	free(ar->next);
}

void
tg_model_free(struct tg_model *model)
{
	if (model->kind == TG_MODEL_FITTED)
		free_fitted(&model->fit, model->n_services);
	memset(model, 0, sizeof(*model));
}
