/* SPDX-License-Identifier: BSD-3-Clause
 * Model -> model file (docs/model-format.md). The output depends on the
 * model only, so saving a loaded model gives back the saved file byte for
 * byte: doubles are written with 6 significant digits, which survive the
 * trip through a double unchanged, always in a form libconfig reads as a
 * float; integers above 2^31 - 1 carry libconfig's L suffix (without it
 * libconfig 1.5 silently wraps them).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tg_model_file.h"

#define PER_LINE 10		/* array entries per line */

/* Names of a model's codes; "?" for a model tg_model_check would refuse. */
static const char *
proto_name(uint8_t proto)
{
	int i = tg_model_proto_index(proto);

	return i < 0 ? "?" : tg_model_proto_names[i];
}

static const char *
payload_name(uint8_t payload)
{
	return payload < TG_PAYLOAD_KINDS ? tg_model_payload_names[payload]
					  : "?";
}

/* Two spaces a level, as in the shipped models. */
static void
indent(FILE *out, int level)
{
	fprintf(out, "%*s", 2 * level, "");
}

/* "%.6g", with ".0" added when that looks like an integer: libconfig
 * refuses arrays that mix integers and floats. */
static const char *
fmt_double(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.6g", v);
	if (buf[strspn(buf, "-0123456789")] == '\0')
		strncat(buf, ".0", len - strlen(buf) - 1);
	return buf;
}

static const char *
fmt_int(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%llu%s", (unsigned long long)v,
		 v > INT32_MAX ? "L" : "");
	return buf;
}

static void
put_double(FILE *out, double v)
{
	char buf[32];

	fputs(fmt_double(buf, sizeof(buf), v), out);
}

static void
put_int(FILE *out, uint64_t v)
{
	char buf[32];

	fputs(fmt_int(buf, sizeof(buf), v), out);
}

/* A string, with what libconfig would not read back literally escaped. */
static void
put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

/* [a, b, ...]: long arrays go on over several lines at `level`. */
static void
array_sep(FILE *out, uint32_t i, int level)
{
	if (i == 0)
		return;
	if (i % PER_LINE == 0) {
		fputs(",\n", out);
		indent(out, level + 2);
	} else {
		fputs(", ", out);
	}
}

static void
put_doubles(FILE *out, const double *v, uint32_t n, int level)
{
	fputc('[', out);
	for (uint32_t i = 0; i < n; i++) {
		array_sep(out, i, level);
		put_double(out, v[i]);
	}
	fputc(']', out);
}

/* Integer arrays: one entry above 2^31 - 1 makes them all L (libconfig
 * arrays hold one type). */
static void
put_u32s(FILE *out, const uint32_t *v, uint32_t n, int level)
{
	bool wide = false;

	for (uint32_t i = 0; i < n; i++)
		wide |= v[i] > INT32_MAX;
	fputc('[', out);
	for (uint32_t i = 0; i < n; i++) {
		array_sep(out, i, level);
		fprintf(out, "%u%s", v[i], wide ? "L" : "");
	}
	fputc(']', out);
}

static void
put_u16s(FILE *out, const uint16_t *v, uint32_t n, int level)
{
	fputc('[', out);
	for (uint32_t i = 0; i < n; i++) {
		array_sep(out, i, level);
		fprintf(out, "%u", v[i]);
	}
	fputc(']', out);
}

/* key = value; on a line of its own, with an optional comment. */
static void __attribute__((format(printf, 5, 6)))
line(FILE *out, int level, const char *key, const char *comment,
     const char *fmt, ...)
{
	va_list ap;

	indent(out, level);
	fprintf(out, "%s = ", key);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc(';', out);
	if (comment)
		fprintf(out, "  # %s", comment);
	fputc('\n', out);
}

static void
line_double(FILE *out, int level, const char *key, double v,
	    const char *comment)
{
	char buf[32];

	line(out, level, key, comment, "%s", fmt_double(buf, sizeof(buf), v));
}

static void
line_int(FILE *out, int level, const char *key, uint64_t v,
	 const char *comment)
{
	char buf[32];

	line(out, level, key, comment, "%s", fmt_int(buf, sizeof(buf), v));
}

static void
line_string(FILE *out, int level, const char *key, const char *v)
{
	indent(out, level);
	fprintf(out, "%s = ", key);
	put_string(out, v);
	fputs(";\n", out);
}

/* ------------------------------------------------------------------------
 * Distributions, written inline: { ... }
 */

static void
put_lnmix(FILE *out, const struct tg_lnmix *x, int level)
{
	fputs("{ w = ", out);
	put_doubles(out, x->weight, x->k, level);
	fputs("; mu = ", out);
	put_doubles(out, x->mu, x->k, level);
	fputs("; sigma = ", out);
	put_doubles(out, x->sigma, x->k, level);
	fputs("; }", out);
}

static void
put_hist(FILE *out, const struct tg_hist *h, int level)
{
	bool ranges = false;

	for (uint32_t i = 0; i < h->n; i++)
		ranges |= h->lo[i] != h->hi[i];
	fputs("{ lo = ", out);
	put_u32s(out, h->lo, h->n, level);
	if (ranges) {
		fputs("; hi = ", out);
		put_u32s(out, h->hi, h->n, level);
	}
	fputs("; p = ", out);
	put_doubles(out, h->p, h->n, level);
	fputs("; }", out);
}

/* key = { ... }; when the mixture has components; nothing otherwise. */
static void
line_lnmix(FILE *out, int level, const char *key, const struct tg_lnmix *x)
{
	if (x->k == 0)
		return;
	indent(out, level);
	fprintf(out, "%s = ", key);
	put_lnmix(out, x, level);
	fputs(";\n", out);
}

static void
line_hist(FILE *out, int level, const char *key, const struct tg_hist *h,
	  const char *comment)
{
	if (h->n == 0)
		return;
	indent(out, level);
	fprintf(out, "%s = ", key);
	put_hist(out, h, level);
	fputc(';', out);
	if (comment)
		fprintf(out, "  # %s", comment);
	fputc('\n', out);
}

/* ------------------------------------------------------------------------
 * Parametric models
 */

static void
put_lognorm(FILE *out, const char *key, const struct tg_lognorm *d)
{
	char m[32], s[32];

	fprintf(out, "%s = { median = %s; sigma = %s; };", key,
		fmt_double(m, sizeof(m), d->median),
		fmt_double(s, sizeof(s), d->sigma));
}

static void
put_stack(FILE *out, const char *key, const struct tg_stack *s)
{
	fprintf(out, "%s = { ttl = %u; mss = %u; wscale = %d; sack = %s; "
		"timestamps = %s;\n", key, s->ttl, s->mss, s->wscale,
		s->sack ? "true" : "false", s->timestamps ? "true" : "false");
	fprintf(out, "%*srcv_buf = %u; };\n", (int)strlen(key) + 5, "",
		s->rcv_buf);
}

static void
put_par_service(FILE *out, const struct tg_service *s, bool last)
{
	const char *proto = proto_name(s->proto);
	char w[32], x[32], r[32], c[32];

	fputs("  { name = ", out);
	put_string(out, s->name);
	fprintf(out, "; proto = \"%s\"; port = %u; weight = %s;\n", proto,
		s->port, fmt_double(w, sizeof(w), s->weight));
	fprintf(out, "    payload = \"%s\"; exchanges = %s;\n",
		payload_name(s->payload),
		fmt_double(x, sizeof(x), s->exchanges));
	fputs("    ", out);
	put_lognorm(out, "request", &s->request);
	fputs("\n    ", out);
	put_lognorm(out, "response", &s->response);
	fputs("\n    ", out);
	put_lognorm(out, "think", &s->think);
	fputs("\n    ", out);
	put_lognorm(out, "server_time", &s->server_time);
	fprintf(out, "\n    reset = %s; server_close = %s; }%s\n",
		fmt_double(r, sizeof(r), s->reset_share),
		fmt_double(c, sizeof(c), s->server_close_share),
		last ? "" : ",");
}

static void
save_parametric(FILE *out, const struct tg_model *m)
{
	const struct tg_parametric *par = &m->par;

	fputs("\n# Seconds between flow starts (log-normal: median and sigma "
	      "of the log).\n", out);
	put_lognorm(out, "arrival", &par->arrival);
	fputs("\n# Round-trip time between clients and servers, seconds.\n",
	      out);
	put_lognorm(out, "rtt", &par->rtt);
	fputs("\n\n# What the TCP/IP stacks put in their headers.\n", out);
	put_stack(out, "client", &par->client);
	put_stack(out, "server", &par->server);
	fputs("\n# The service mix. Sizes in bytes, times in seconds; "
	      "exchanges is the mean\n# number of request/response pairs "
	      "(geometric); reset and server_close are\n# the shares of flows "
	      "that end with RST, and that the server closes.\n"
	      "services = (\n", out);
	for (uint32_t i = 0; i < m->n_services; i++)
		put_par_service(out, &par->services[i],
				i + 1 == m->n_services);
	fputs(");\n", out);
}

/* ------------------------------------------------------------------------
 * Fitted models: automata
 */

static void
put_symbols(FILE *out, const struct tg_automaton *a, int level)
{
	char name[TG_SYM_NAME_LEN];

	indent(out, level);
	fputs("symbols = [\n", out);
	for (uint32_t i = 0; i < a->n_syms; i++) {
		int len;

		indent(out, level + 1);
		len = fprintf(out, "\"%s\"%s", tg_auto_sym_name(a, i, name),
			      i + 1 < a->n_syms ? "," : "");
		fprintf(out, "%*s# %u\n", len < 15 ? 15 - len : 1, "", i);
	}
	indent(out, level);
	fputs("];\n", out);
}

static void
put_state(FILE *out, const struct tg_automaton *a, uint32_t j, int level)
{
	const struct tg_auto_state *st = &a->states[j];
	char name[TG_SYM_NAME_LEN];

	indent(out, level);
	fprintf(out, "# %u: %s", j, st->ctx_len ? "after" : "root");
	for (uint8_t k = 0; k < st->ctx_len; k++)
		fprintf(out, " %s", tg_auto_sym_name(a, st->ctx[k], name));
	fputc('\n', out);
	indent(out, level);
	fputs("{ ctx = ", out);
	put_u16s(out, st->ctx, st->ctx_len, level);
	fputs("; n = ", out);
	put_int(out, st->count);
	fputs("; end = ", out);
	put_double(out, st->end);
	fputs(";\n", out);
	indent(out, level + 1);
	fputs("next = ", out);
	put_u16s(out, st->next, st->n_next, level);
	fputs(";\n", out);
	indent(out, level + 1);
	fputs("p = ", out);
	put_doubles(out, st->p, st->n_next, level);
	fputs(";\n", out);
	indent(out, level + 1);
	fputs("iat = ", out);
	put_u32s(out, st->iat, st->n_next, level);
	fputs("; size = ", out);
	put_u32s(out, st->size, st->n_next, level);
	fprintf(out, "; }%s\n", j + 1 < a->n_states ? "," : "");
}

static void
put_automaton(FILE *out, const struct tg_automaton *a, int level)
{
	indent(out, level);
	fputs("# Packets. A symbol is the direction (c client, s server), "
	      "the class and\n", out);
	indent(out, level);
	fputs("# the smallest payload of its size bucket; \"^\" is the start "
	      "of the flow.\n", out);
	indent(out, level);
	fputs("automaton = {\n", out);
	line_int(out, level + 1, "order", a->order,
		 "longest context, in symbols");
	put_symbols(out, a, level + 1);
	indent(out, level + 1);
	fputs("# Seconds since the flow's previous packet.\n", out);
	indent(out, level + 1);
	fputs("iats = (\n", out);
	for (uint32_t i = 0; i < a->n_iats; i++) {
		indent(out, level + 2);
		put_lnmix(out, &a->iats[i], level + 2);
		fprintf(out, "%s  # %u\n", i + 1 < a->n_iats ? "," : "", i);
	}
	indent(out, level + 1);
	fputs(");\n", out);
	indent(out, level + 1);
	fputs("# Payload bytes.\n", out);
	indent(out, level + 1);
	fputs("sizes = (\n", out);
	for (uint32_t i = 0; i < a->n_sizes; i++) {
		indent(out, level + 2);
		put_hist(out, &a->sizes[i], level + 2);
		fprintf(out, "%s  # %u\n", i + 1 < a->n_sizes ? "," : "", i);
	}
	indent(out, level + 1);
	fputs(");\n", out);
	indent(out, level + 1);
	fputs("# States: a context (the last symbols, oldest first; [] is "
	      "the root), its\n", out);
	indent(out, level + 1);
	fputs("# training packets n, P(the flow ends) and, per next symbol, "
	      "its\n", out);
	indent(out, level + 1);
	fputs("# probability p, its gap (index into iats) and payload size "
	      "(into sizes).\n", out);
	indent(out, level + 1);
	fputs("states = (\n", out);
	for (uint32_t j = 0; j < a->n_states; j++)
		put_state(out, a, j, level + 2);
	indent(out, level + 1);
	fputs(");\n", out);
	indent(out, level);
	fputs("};\n", out);
}

/* ------------------------------------------------------------------------
 * Fitted models: services
 */

/* TCP-only fields: always for TCP, otherwise only when set (never by
 * tempogen-fit), so that nothing in memory is lost. */
static void
put_side(FILE *out, const char *key, const struct tg_side_model *sd,
	 bool tcp, int level)
{
	indent(out, level);
	fprintf(out, "%s = {\n", key);
	line_hist(out, level + 1, "ttl", &sd->ttl, "as seen at the capture");
	line_hist(out, level + 1, "tos", &sd->tos, NULL);
	line_double(out, level + 1, "df", sd->df, "P(IPv4 DF)");
	line_hist(out, level + 1, "ipid", &sd->ipid,
		  "0 zero, 1 increment, 2 random");
	if (tcp || sd->mss_share)
		line_double(out, level + 1, "mss_share", sd->mss_share,
			    "P(MSS option)");
	line_hist(out, level + 1, "mss", &sd->mss, NULL);
	if (tcp || sd->wscale_share)
		line_double(out, level + 1, "wscale_share", sd->wscale_share,
			    "P(window scale option)");
	line_hist(out, level + 1, "wscale", &sd->wscale, NULL);
	if (tcp || sd->sack)
		line_double(out, level + 1, "sack", sd->sack,
			    "P(SACK permitted)");
	if (tcp || sd->timestamps)
		line_double(out, level + 1, "timestamps", sd->timestamps,
			    "P(timestamps)");
	line_hist(out, level + 1, "window", &sd->window,
		  "of the SYN or SYN-ACK");
	line_hist(out, level + 1, "data_window", &sd->data_window,
		  "field, after the handshake");
	indent(out, level);
	fputs("};\n", out);
}

static void
put_fit_service(FILE *out, const struct tg_fitted_service *s, int level)
{
	bool tcp = s->proto == TG_PROTO_TCP;

	indent(out, level);
	fprintf(out, "%s = {\n", s->name);
	line(out, level + 1, "proto", NULL, "\"%s\"", proto_name(s->proto));
	line(out, level + 1, "payload", "how payload bytes are made", "\"%s\"",
	     payload_name(s->payload));
	line_int(out, level + 1, "flows", s->flows, "in training");
	line_double(out, level + 1, "share", s->share, "of all flows");
	line_double(out, level + 1, "ipv6", s->ipv6, "P(IPv6)");
	line_double(out, level + 1, "dns_first", s->dns_first,
		    "P(the client looked the server up first)");
	if (s->unanswered > 0)
		line_double(out, level + 1, "unanswered", s->unanswered,
			    "P(the SYN gets no answer)");
	if (s->refused > 0)
		line_double(out, level + 1, "refused", s->refused,
			    "P(the server answers the SYN with RST)");
	line_hist(out, level + 1, "server_port", &s->server_port, NULL);
	line_hist(out, level + 1, "client_port", &s->client_port, NULL);
	indent(out, level + 1);
	fputs("# Header fields of each side; for TCP, what its SYN or "
	      "SYN-ACK offers.\n", out);
	put_side(out, "client", &s->side[TG_DIR_C2S], tcp, level + 1);
	put_side(out, "server", &s->side[TG_DIR_S2C], tcp, level + 1);
	if (s->unopened.ttl.n) {
		indent(out, level + 1);
		fputs("# The client's SYN when the connection never opens.\n",
		      out);
		put_side(out, "unopened", &s->unopened, tcp, level + 1);
	}
	if (s->rtt.k || s->ack_delay.k) {
		indent(out, level + 1);
		fputs("# Handshake, seconds: SYN to SYN-ACK, SYN-ACK to the "
		      "client's ACK.\n", out);
	}
	line_lnmix(out, level + 1, "rtt", &s->rtt);
	line_lnmix(out, level + 1, "ack_delay", &s->ack_delay);
	put_automaton(out, &s->automaton, level + 1);
	indent(out, level);
	fputs("};\n", out);
}

/* ------------------------------------------------------------------------
 * Fitted models: the rest
 */

static void
save_provenance(FILE *out, const struct tg_provenance *p)
{
	fputs("\n# Where the model came from.\nprovenance = {\n", out);
	line_string(out, 1, "tool", p->tool);
	line_string(out, 1, "date", p->date);
	line_string(out, 1, "source", p->source);
	line_int(out, 1, "files", p->files, NULL);
	line_int(out, 1, "packets", p->packets, "read");
	line_int(out, 1, "packets_used", p->packets_used,
		 "in flows that went into the model");
	line_int(out, 1, "flows", p->flows, "assembled");
	line_int(out, 1, "flows_used", p->flows_used, NULL);
	fputs("};\n", out);
}

static void
save_hosts(FILE *out, const struct tg_hosts_model *h)
{
	fputs("\n# Who talks, mapped onto the configured address pools.\n"
	      "hosts = {\n", out);
	line_int(out, 1, "clients", h->clients, "distinct, in training");
	line_int(out, 1, "servers", h->servers, NULL);
	line_double(out, 1, "client_zipf", h->client_zipf,
		    "flows per client ~ rank^-client_zipf");
	line_double(out, 1, "server_zipf", h->server_zipf, NULL);
	line_double(out, 1, "repeat_server", h->repeat_server,
		    "P(a server the client used before)");
	line_double(out, 1, "server_internal", h->server_internal,
		    "P(the server is a private address)");
	fputs("};\n", out);
}

static void
save_arrivals(FILE *out, const struct tg_model *m)
{
	const struct tg_arrivals *ar = &m->fit.arrivals;
	uint32_t n = m->n_services, h = ar->tod_bucket_hours;
	uint32_t buckets = h >= 1 && h <= 24 ? 24 / h : 0;
	bool any_after = false;

	fputs("\n# Flow starts: seconds between them (after any flow, and "
	      "after a flow of\n# a given service), the next flow's service "
	      "given the previous one (a row\n# per previous service, a "
	      "column per next, in the order of services) and\n# the "
	      "relative rate by hour of day (mean 1).\narrivals = {\n", out);
	line_lnmix(out, 1, "gap", &ar->gap);
	for (uint32_t i = 0; ar->has_gap_after && i < n; i++)
		any_after |= ar->has_gap_after[i];
	if (any_after) {
		fputs("  gap_after = {\n", out);
		for (uint32_t i = 0; i < n; i++)
			if (ar->has_gap_after[i])
				line_lnmix(out, 2, m->fit.services[i].name,
					   &ar->gap_after[i]);
		fputs("  };\n", out);
	}
	fputs("  next = (\n", out);
	for (uint32_t i = 0; ar->next && i < n; i++) {
		indent(out, 2);
		put_doubles(out, ar->next + (size_t)i * n, n, 2);
		fprintf(out, "%s  # after %s\n", i + 1 < n ? "," : "",
			m->fit.services[i].name);
	}
	fputs("  );\n", out);
	line_int(out, 1, "tod_bucket_hours", ar->tod_bucket_hours,
		 "24: not by time of day");
	fputs("  tod_rate = ", out);
	put_doubles(out, ar->tod_rate, buckets, 1);
	fputs(";\n", out);
	line_double(out, 1, "start_hour", ar->start_hour,
		    "hour of day at model time 0");
	fputs("};\n", out);
}

static void
save_fitted(FILE *out, const struct tg_model *m)
{
	const struct tg_fitted *fit = &m->fit;

	save_provenance(out, &fit->prov);
	save_hosts(out, &fit->hosts);
	if (fit->dns_delay.k) {
		fputs("\n# From the client's DNS query to its connection, "
		      "seconds.\n", out);
		line_lnmix(out, 0, "dns_delay", &fit->dns_delay);
	}
	save_arrivals(out, m);
	fputs("\n# The services, by name.\nservices = {\n", out);
	for (uint32_t i = 0; i < m->n_services; i++) {
		if (i > 0)
			fputc('\n', out);
		put_fit_service(out, &fit->services[i], 1);
	}
	fputs("};\n", out);
}

int
tg_model_save(const struct tg_model *model, FILE *out)
{
	bool fitted = model->kind == TG_MODEL_FITTED;

	fprintf(out, "# tempogen model, %s; every key is described in\n"
		"# docs/model-format.md.\n", fitted ? "fitted from captures"
						     : "parametric");
	if (fitted)
		fputs("# Times are seconds. A mixture { w; mu; sigma; } is "
		      "log-normal components:\n# weight, mean and deviation "
		      "of ln(seconds). A histogram { lo; hi; p; }\n# gives "
		      "each bin's probability; a value is drawn uniformly in "
		      "lo..hi\n# (no hi: each bin is one value).\n", out);
	fprintf(out, "format = \"%s\";\nversion = %d;\nkind = \"%s\";\n",
		TG_MODEL_FORMAT, TG_MODEL_FORMAT_VERSION,
		tg_model_kind_names[fitted]);
	line_string(out, 0, "name", model->name);
	if (fitted)
		save_fitted(out, model);
	else
		save_parametric(out, model);
	if (ferror(out)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}
