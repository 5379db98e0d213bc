/* SPDX-License-Identifier: BSD-3-Clause
 * The table of distances: which metric of which feature (docs/eval.md),
 * printed as text or JSON.
 */
#include <math.h>
#include <string.h>

#include "tg_eval_int.h"

/* Lags of the per-second autocorrelation: up to a minute. */
#define ACF_MAX_LAG 60

static uint64_t
sum(const uint64_t *c, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += c[i];
	return s;
}

static void
add_row(struct tg_eval_table *t, const char *feature, const char *key,
	const char *metric, const char *unit, double value, uint64_t real_n,
	uint64_t synth_n)
{
	if (t->n_rows == TG_EVAL_MAX_ROWS)
		return;		/* cannot happen: the rows are fixed */
	t->rows[t->n_rows++] = (struct tg_eval_row){
		.feature = feature, .key = key, .metric = metric,
		.unit = unit, .value = value, .real_n = real_n,
		.synth_n = synth_n,
	};
}

/* A JSD row of two histograms of n bins. */
#define JSD_ROW(t, r, s, field, feature, key)                           \
	add_row(t, feature, key, "jsd", "",                              \
		tg_eval_jsd((r)->field, (s)->field,                      \
			    sizeof((r)->field) / sizeof((r)->field[0])), \
		sum((r)->field, sizeof((r)->field) / sizeof((r)->field[0])), \
		sum((s)->field, sizeof((s)->field) / sizeof((s)->field[0])))

static void
add_jsd_rows(struct tg_eval_table *t, const struct tg_eval_sample *r,
	     const struct tg_eval_sample *s)
{
	JSD_ROW(t, r, s, proto, "ip protocol", "jsd_ip_proto");
	JSD_ROW(t, r, s, port, "service port", "jsd_service_port");
	JSD_ROW(t, r, s, size, "packet size", "jsd_pkt_size");
	JSD_ROW(t, r, s, ttl, "ttl", "jsd_ttl");
	JSD_ROW(t, r, s, tcp_flags, "tcp flags", "jsd_tcp_flags");
	JSD_ROW(t, r, s, window, "tcp window", "jsd_tcp_window");
	JSD_ROW(t, r, s, flow_pkts, "packets per flow", "jsd_flow_pkts");
	JSD_ROW(t, r, s, flow_bytes, "bytes per flow", "jsd_flow_bytes");
	JSD_ROW(t, r, s, flow_dur, "flow duration", "jsd_flow_duration");
	JSD_ROW(t, r, s, iat_flow, "inter-arrival in flows",
		"jsd_iat_in_flow");
	JSD_ROW(t, r, s, iat_start, "inter-arrival of flow starts",
		"jsd_iat_flow_start");
}

static void
add_emd_rows(struct tg_eval_table *t, const struct tg_eval_sample *r,
	     const struct tg_eval_sample *s)
{
	add_row(t, "packet size", "emd_pkt_size", "emd", "bytes",
		tg_eval_emd_counts(r->size_exact, s->size_exact, SIZE_EXACT),
		r->totals.packets, s->totals.packets);
	add_row(t, "bytes per flow", "emd_flow_bytes", "emd", "bytes",
		tg_eval_emd(r->flow_bytes_v.v, r->flow_bytes_v.n,
			    s->flow_bytes_v.v, s->flow_bytes_v.n),
		r->flow_bytes_v.n, s->flow_bytes_v.n);
	add_row(t, "inter-arrival in flows", "emd_log_iat_in_flow", "emd",
		"log10 s",
		tg_eval_emd(r->log_iat_flow.v, r->log_iat_flow.n,
			    s->log_iat_flow.v, s->log_iat_flow.n),
		r->log_iat_flow.n, s->log_iat_flow.n);
	add_row(t, "inter-arrival of flow starts", "emd_log_iat_flow_start",
		"emd", "log10 s",
		tg_eval_emd(r->log_iat_start.v, r->log_iat_start.n,
			    s->log_iat_start.v, s->log_iat_start.n),
		r->log_iat_start.n, s->log_iat_start.n);
}

static void
add_other_rows(struct tg_eval_table *t, const struct tg_eval_sample *r,
	       const struct tg_eval_sample *s)
{
	size_t lags;
	size_t ct_size = (size_t)TG_PORT_BINS * CT_SIZE_BINS;
	size_t ct_flow = (size_t)TG_PORT_BINS * CT_FLOW_BINS;

	add_row(t, "packets per second", "acf_pkts_per_s", "acf", "",
		tg_eval_acf_distance(r->sec_pkts.v, r->sec_pkts.n,
				     s->sec_pkts.v, s->sec_pkts.n,
				     ACF_MAX_LAG, &lags),
		r->sec_pkts.n, s->sec_pkts.n);
	add_row(t, "bytes per second", "acf_bytes_per_s", "acf", "",
		tg_eval_acf_distance(r->sec_bytes.v, r->sec_bytes.n,
				     s->sec_bytes.v, s->sec_bytes.n,
				     ACF_MAX_LAG, &lags),
		r->sec_bytes.n, s->sec_bytes.n);
	add_row(t, "service port x packet size", "cmd_port_pkt_size", "cmd",
		"", tg_eval_cmd(r->port_size, s->port_size, ct_size),
		sum(r->port_size, ct_size), sum(s->port_size, ct_size));
	add_row(t, "service port x flow size", "cmd_port_flow_bytes", "cmd",
		"", tg_eval_cmd(r->port_flow, s->port_flow, ct_flow),
		sum(r->port_flow, ct_flow), sum(s->port_flow, ct_flow));
}

int
tg_eval_compare(const struct tg_eval_sample *real,
		const struct tg_eval_sample *synth, struct tg_eval_table *out)
{
	memset(out, 0, sizeof(*out));
	if (!real->finished || !synth->finished)
		return -1;
	add_jsd_rows(out, real, synth);
	add_emd_rows(out, real, synth);
	add_other_rows(out, real, synth);
	out->real = real->totals;
	out->synth = synth->totals;
	memcpy(out->real_checks, real->checks, sizeof(out->real_checks));
	memcpy(out->synth_checks, synth->checks, sizeof(out->synth_checks));
	return 0;
}

const struct tg_eval_row *
tg_eval_row(const struct tg_eval_table *t, const char *key)
{
	for (unsigned i = 0; i < t->n_rows; i++)
		if (strcmp(t->rows[i].key, key) == 0)
			return &t->rows[i];
	return NULL;
}

/* --- Text ---------------------------------------------------------------- */

static void
print_share(FILE *out, const struct tg_eval_tally *c)
{
	char cell[64];

	if (c->checked == 0)
		snprintf(cell, sizeof(cell), "n/a");
	else
		snprintf(cell, sizeof(cell), "%.2f%% (%llu/%llu)",
			 100.0 * (double)c->passed / (double)c->checked,
			 (unsigned long long)c->passed,
			 (unsigned long long)c->checked);
	fprintf(out, "  %-30s", cell);
}

static void
print_totals(FILE *out, const char *side, const struct tg_eval_totals *s)
{
	fprintf(out, "%s: %u files, %llu packets, %llu flows, %llu s\n", side,
		s->files, (unsigned long long)s->packets,
		(unsigned long long)s->flows, (unsigned long long)s->seconds);
}

void
tg_eval_print(const struct tg_eval_table *t, FILE *out)
{
	print_totals(out, "real", &t->real);
	print_totals(out, "synthetic", &t->synth);
	fprintf(out, "\n%-30s %-4s %12s %-8s %12s %12s\n", "feature", "what",
		"distance", "unit", "real n", "synth n");
	for (unsigned i = 0; i < t->n_rows; i++) {
		const struct tg_eval_row *r = &t->rows[i];
		char value[32];

		if (isnan(r->value))
			snprintf(value, sizeof(value), "n/a");
		else
			snprintf(value, sizeof(value), "%.6f", r->value);
		fprintf(out, "%-30s %-4s %12s %-8s %12llu %12llu\n",
			r->feature, r->metric, value, r->unit,
			(unsigned long long)r->real_n,
			(unsigned long long)r->synth_n);
	}
	fprintf(out, "\n%-26s %-12s  %-30s  %-30s\n", "compliance", "of",
		"real", "synthetic");
	for (int c = 0; c < TG_CHECKS; c++) {
		fprintf(out, "%-26s %-12s", tg_eval_check_name(c),
			tg_eval_check_unit(c));
		print_share(out, &t->real_checks[c]);
		print_share(out, &t->synth_checks[c]);
		fputc('\n', out);
	}
}

/* --- JSON ---------------------------------------------------------------- */

/* Full precision; JSON has no NaN: an undefined value is null. */
static void
json_number(FILE *out, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", out);
	else
		fprintf(out, "%.17g", v);
}

static void
json_totals(FILE *out, const char *name, const struct tg_eval_totals *s)
{
	fprintf(out, "  \"%s\": {\"files\": %u, \"packets\": %llu, "
		"\"flows\": %llu, \"seconds\": %llu},\n", name, s->files,
		(unsigned long long)s->packets, (unsigned long long)s->flows,
		(unsigned long long)s->seconds);
}

static void
json_tally(FILE *out, const char *name, const struct tg_eval_tally *c)
{
	fprintf(out, "\"%s\": {\"checked\": %llu, \"passed\": %llu, "
		"\"fraction\": ", name, (unsigned long long)c->checked,
		(unsigned long long)c->passed);
	json_number(out, c->checked ? (double)c->passed / (double)c->checked
				    : NAN);
	fputc('}', out);
}

void
tg_eval_print_json(const struct tg_eval_table *t, FILE *out)
{
	fputs("{\n", out);
	json_totals(out, "real", &t->real);
	json_totals(out, "synthetic", &t->synth);
	fputs("  \"distances\": [\n", out);
	for (unsigned i = 0; i < t->n_rows; i++) {
		const struct tg_eval_row *r = &t->rows[i];

		fprintf(out, "    {\"key\": \"%s\", \"feature\": \"%s\", "
			"\"metric\": \"%s\", \"unit\": \"%s\", \"value\": ",
			r->key, r->feature, r->metric, r->unit);
		json_number(out, r->value);
		fprintf(out, ", \"real_n\": %llu, \"synth_n\": %llu}%s\n",
			(unsigned long long)r->real_n,
			(unsigned long long)r->synth_n,
			i + 1 < t->n_rows ? "," : "");
	}
	fputs("  ],\n  \"compliance\": [\n", out);
	for (int c = 0; c < TG_CHECKS; c++) {
		fprintf(out, "    {\"check\": \"%s\", \"of\": \"%s\", ",
			tg_eval_check_name(c), tg_eval_check_unit(c));
		json_tally(out, "real", &t->real_checks[c]);
		fputs(", ", out);
		json_tally(out, "synthetic", &t->synth_checks[c]);
		fprintf(out, "}%s\n", c + 1 < TG_CHECKS ? "," : "");
	}
	fputs("  ]\n}\n", out);
}
