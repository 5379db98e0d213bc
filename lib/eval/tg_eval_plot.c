/* SPDX-License-Identifier: BSD-3-Clause
 * Pictures of a comparison, written by hand as SVG (no plotting library):
 * overlaid CDFs, a bar chart of the top service ports, and an index.html
 * that shows them under the table.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tg_eval_int.h"

#define W 640
#define H 400
#define LEFT 70
#define RIGHT 20
#define TOP 40
#define BOTTOM 60
#define CURVE_POINTS 512	/* a CDF is drawn through at most these */
#define TOP_PORTS 10
#define TICKS 5

static const char *const colour[2] = { "#1f77b4", "#d62728" };
static const char *const side_name[2] = { "real", "synthetic" };

/* A CDF as steps: F(x[i]) = y[i]. */
struct curve {
	double x[CURVE_POINTS + 1];
	double y[CURVE_POINTS + 1];
	size_t n;
};

/* From a sorted sample, at most CURVE_POINTS steps. */
static void
curve_of_sample(const struct vec *v, struct curve *c)
{
	size_t step = v->n / CURVE_POINTS + 1;

	c->n = 0;
	for (size_t i = 0; i < v->n; i += step) {
		c->x[c->n] = v->v[i];
		c->y[c->n++] = (double)(i + 1) / (double)v->n;
	}
	if (v->n) {
		c->x[c->n] = v->v[v->n - 1];
		c->y[c->n++] = 1;
	}
}

/* From counts of the values 0..n-1. */
static void
curve_of_counts(const uint64_t *counts, size_t n, struct curve *c)
{
	uint64_t total = 0, run = 0, every;
	uint64_t next = 0;

	c->n = 0;
	for (size_t i = 0; i < n; i++)
		total += counts[i];
	every = total / CURVE_POINTS + 1;
	for (size_t i = 0; i < n && total; i++) {
		if (!counts[i])
			continue;
		run += counts[i];
		if (run < next && run < total)
			continue;
		next = run + every;
		c->x[c->n] = (double)i;
		c->y[c->n++] = (double)run / (double)total;
		if (c->n == CURVE_POINTS)
			break;
	}
}

struct axis {
	double lo;
	double hi;
	bool log;		/* values are drawn at log10(x) */
};

static double
ax_value(const struct axis *a, double x)
{
	if (a->log)
		return log10(x < 1 ? 1 : x);
	return x;
}

static double
px(const struct axis *a, double x)
{
	double span = a->hi > a->lo ? a->hi - a->lo : 1;

	return LEFT + (ax_value(a, x) - a->lo) / span * (W - LEFT - RIGHT);
}

static double
py(double f)
{
	return TOP + (1 - f) * (H - TOP - BOTTOM);
}

static void
svg_begin(FILE *f, const char *title)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>\n", W, H,
		LEFT, title);
	for (int s = 0; s < 2; s++)
		fprintf(f, "<rect x=\"%d\" y=\"12\" width=\"12\" height=\"12\" "
			"fill=\"%s\"/><text x=\"%d\" y=\"22\">%s</text>\n",
			W - 190 + 90 * s, colour[s], W - 174 + 90 * s,
			side_name[s]);
}

static void
axes(FILE *f, const struct axis *a, const char *xlabel, const char *ylabel)
{
	fprintf(f, "<path d=\"M%d %d V%d H%d\" stroke=\"black\" "
		"fill=\"none\"/>\n", LEFT, TOP, H - BOTTOM, W - RIGHT);
	for (int i = 0; i <= TICKS; i++) {
		double v = a->lo + (a->hi - a->lo) * i / TICKS;
		double x = LEFT + (double)(W - LEFT - RIGHT) * i / TICKS;

		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
			"%s%.3g</text>\n", x, H - BOTTOM + 16,
			a->log ? "1e" : "", a->log ? round(v * 10) / 10 : v);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">"
			"%.1f</text>\n", LEFT - 6, py((double)i / TICKS) + 4,
			(double)i / TICKS);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n"
		"<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\" "
		"text-anchor=\"middle\">%s</text>\n", (W + LEFT) / 2, H - 20,
		xlabel, (H - BOTTOM + TOP) / 2, (H - BOTTOM + TOP) / 2, ylabel);
}

static void
draw_curve(FILE *f, const struct axis *a, const struct curve *c,
	   const char *col)
{
	double prev_y = 0;

	if (c->n == 0)
		return;
	fprintf(f, "<path fill=\"none\" stroke-width=\"2\" stroke=\"%s\" "
		"d=\"M%.1f %.1f", col, px(a, c->x[0]), py(0));
	for (size_t i = 0; i < c->n; i++) {
		fprintf(f, " V%.1f", py(prev_y));
		fprintf(f, " H%.1f V%.1f", px(a, c->x[i]), py(c->y[i]));
		prev_y = c->y[i];
	}
	fprintf(f, " H%d\"/>\n", W - RIGHT);
}

/* Every message names the file and says why: "DIR/NAME: strerror". */
static int
open_out(const char *dir, const char *name, FILE **f, char *err,
	 size_t errlen)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	*f = NULL;
	if (n < 0 || (size_t)n >= sizeof(path))
		errno = ENAMETOOLONG;
	else
		*f = fopen(path, "w");
	if (*f == NULL) {
		snprintf(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		return -1;
	}
	return 0;
}

/* A failed write leaves the stream's error flag and errno (EFBIG, ENOSPC,
 * EIO); fclose, flushing what is left, says it again or says its own. */
static int
close_out(const char *dir, const char *name, FILE *f, char *err,
	  size_t errlen)
{
	bool failed = ferror(f);
	int why = errno;

	if (fclose(f) != 0) {
		failed = true;
		why = errno;
	}
	if (failed) {
		snprintf(err, errlen, "%s/%s: %s", dir, name,
			 strerror(why ? why : EIO));
		return -1;
	}
	return 0;
}

/* DIR itself: made when missing; an existing file that is no directory
 * is named as such rather than by the first plot that cannot go in it. */
static int
make_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0777) == 0)
		return 0;
	if (errno == EEXIST && stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
	}
	snprintf(err, errlen, "%s: cannot create the plot directory: %s", dir,
		 strerror(errno));
	return -1;
}

/* Both curves on one axis that spans them. */
static int
write_cdf(const char *dir, const char *name, const char *title,
	  const char *xlabel, const struct curve c[2], bool log, char *err,
	  size_t errlen)
{
	struct axis a = { .lo = INFINITY, .hi = -INFINITY, .log = log };
	FILE *f;

	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < c[s].n; i++) {
			double v = ax_value(&a, c[s].x[i]);

			a.lo = v < a.lo ? v : a.lo;
			a.hi = v > a.hi ? v : a.hi;
		}
	if (a.lo > a.hi)
		a.lo = a.hi = 0;
	if (open_out(dir, name, &f, err, errlen))
		return -1;
	svg_begin(f, title);
	axes(f, &a, xlabel, "fraction at or below");
	for (int s = 0; s < 2; s++)
		draw_curve(f, &a, &c[s], colour[s]);
	fputs("</svg>\n", f);
	return close_out(dir, name, f, err, errlen);
}

static int
write_cdfs(const struct tg_eval_sample *side[2], const char *dir, char *err,
	   size_t errlen)
{
	struct curve *c = calloc(2, sizeof(*c));
	int rc;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int s = 0; s < 2; s++)
		curve_of_counts(side[s]->size_exact, SIZE_EXACT, &c[s]);
	rc = write_cdf(dir, "pkt_size.svg", "Packet size", "bytes (frame)",
		       c, false, err, errlen);
	for (int s = 0; s < 2 && rc == 0; s++)
		curve_of_sample(&side[s]->flow_bytes_v, &c[s]);
	if (rc == 0)
		rc = write_cdf(dir, "flow_bytes.svg", "Bytes per flow",
			       "bytes (log scale)", c, true, err, errlen);
	for (int s = 0; s < 2 && rc == 0; s++)
		curve_of_sample(&side[s]->log_iat_flow, &c[s]);
	if (rc == 0)
		rc = write_cdf(dir, "iat_in_flow.svg",
			       "Inter-arrival time inside flows",
			       "log10 seconds", c, false, err, errlen);
	for (int s = 0; s < 2 && rc == 0; s++)
		curve_of_sample(&side[s]->log_iat_start, &c[s]);
	if (rc == 0)
		rc = write_cdf(dir, "iat_flow_start.svg",
			       "Inter-arrival time of flow starts",
			       "log10 seconds", c, false, err, errlen);
	free(c);
	return rc;
}

/* The real side's most common port bins, most common first. */
static unsigned
top_ports(const struct tg_eval_sample *real, unsigned top[TOP_PORTS])
{
	bool taken[TG_PORT_BINS] = { false };
	unsigned n;

	for (n = 0; n < TOP_PORTS; n++) {
		unsigned best = TG_PORT_BINS;

		for (unsigned b = 0; b < TG_PORT_BINS; b++)
			if (!taken[b] && real->port[b] &&
			    (best == TG_PORT_BINS ||
			     real->port[b] > real->port[best]))
				best = b;
		if (best == TG_PORT_BINS)
			break;
		taken[best] = true;
		top[n] = best;
	}
	return n;
}

static void
port_label(unsigned bin, char *out, size_t len)
{
	uint16_t first, last;

	if (tg_port_bin_range(bin, &first, &last) == 0 && first != last)
		snprintf(out, len, "%u-%u", first, last);
	else
		snprintf(out, len, "%u", bin);
}

static double
share(const struct tg_eval_sample *s, unsigned bin)
{
	uint64_t total = 0;

	for (unsigned b = 0; b < TG_PORT_BINS; b++)
		total += s->port[b];
	return total ? (double)s->port[bin] / (double)total : 0;
}

static int
write_ports(const struct tg_eval_sample *side[2], const char *dir, char *err,
	    size_t errlen)
{
	unsigned top[TOP_PORTS], n = top_ports(side[0], top);
	double slot = (double)(W - LEFT - RIGHT) / TOP_PORTS, bar = slot / 3;
	struct axis a = { .lo = 0, .hi = 1 };
	FILE *f;

	if (open_out(dir, "ports.svg", &f, err, errlen))
		return -1;
	svg_begin(f, "Top service ports (share of TCP/UDP flows)");
	fprintf(f, "<path d=\"M%d %d V%d H%d\" stroke=\"black\" "
		"fill=\"none\"/>\n", LEFT, TOP, H - BOTTOM, W - RIGHT);
	for (int i = 0; i <= TICKS; i++)
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">"
			"%.1f</text>\n", LEFT - 6, py((double)i / TICKS) + 4,
			(a.hi - a.lo) * i / TICKS);
	for (unsigned i = 0; i < n; i++) {
		char label[32];
		double x = LEFT + slot * i + bar / 2;

		for (int s = 0; s < 2; s++) {
			double v = share(side[s], top[i]);

			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				"height=\"%.1f\" fill=\"%s\"/>\n", x + bar * s,
				py(v), bar, py(0) - py(v), colour[s]);
		}
		port_label(top[i], label, sizeof(label));
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
			"%s</text>\n", x + bar, H - BOTTOM + 16, label);
	}
	fputs("</svg>\n", f);
	return close_out(dir, "ports.svg", f, err, errlen);
}

static void
html_share(FILE *f, const struct tg_eval_tally *c)
{
	if (c->checked == 0)
		fputs("<td>n/a</td>", f);
	else
		fprintf(f, "<td>%.2f%% (%llu/%llu)</td>",
			100.0 * (double)c->passed / (double)c->checked,
			(unsigned long long)c->passed,
			(unsigned long long)c->checked);
}

static void
html_tables(FILE *f, const struct tg_eval_table *t)
{
	fputs("<table><tr><th>feature</th><th>metric</th><th>distance</th>"
	      "<th>unit</th><th>real n</th><th>synthetic n</th></tr>\n", f);
	for (unsigned i = 0; i < t->n_rows; i++) {
		const struct tg_eval_row *r = &t->rows[i];

		fprintf(f, "<tr><td>%s</td><td>%s</td>", r->feature, r->metric);
		if (isnan(r->value))
			fputs("<td>n/a</td>", f);
		else
			fprintf(f, "<td>%.6f</td>", r->value);
		fprintf(f, "<td>%s</td><td>%llu</td><td>%llu</td></tr>\n",
			r->unit, (unsigned long long)r->real_n,
			(unsigned long long)r->synth_n);
	}
	fputs("</table>\n<h2>Compliance</h2>\n<table><tr><th>check</th>"
	      "<th>of</th><th>real</th><th>synthetic</th></tr>\n", f);
	for (int c = 0; c < TG_CHECKS; c++) {
		fprintf(f, "<tr><td>%s</td><td>%s</td>", tg_eval_check_name(c),
			tg_eval_check_unit(c));
		html_share(f, &t->real_checks[c]);
		html_share(f, &t->synth_checks[c]);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static int
write_index(const struct tg_eval_table *t, const char *dir, char *err,
	    size_t errlen)
{
	static const char *const svgs[] = {
		"pkt_size.svg", "flow_bytes.svg", "iat_in_flow.svg",
		"iat_flow_start.svg", "ports.svg",
	};
	FILE *f;

	if (open_out(dir, "index.html", &f, err, errlen))
		return -1;
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		"<title>tempogen-eval</title><style>body{font-family:"
		"sans-serif} td,th{padding:2px 8px;text-align:left} "
		"tr:nth-child(even){background:#f0f0f0}</style></head><body>\n"
		"<h1>Real against synthetic traffic</h1>\n<p>real: %u files, "
		"%llu packets, %llu flows; synthetic: %u files, %llu packets, "
		"%llu flows. Distances are 0 for identical traffic (see "
		"docs/eval.md).</p>\n", t->real.files,
		(unsigned long long)t->real.packets,
		(unsigned long long)t->real.flows, t->synth.files,
		(unsigned long long)t->synth.packets,
		(unsigned long long)t->synth.flows);
	html_tables(f, t);
	fputs("<h2>Distributions</h2>\n", f);
	for (size_t i = 0; i < sizeof(svgs) / sizeof(svgs[0]); i++)
		fprintf(f, "<img src=\"%s\" alt=\"%s\">\n", svgs[i], svgs[i]);
	fputs("</body></html>\n", f);
	return close_out(dir, "index.html", f, err, errlen);
}

int
tg_eval_plot(const struct tg_eval_sample *real,
	     const struct tg_eval_sample *synth,
	     const struct tg_eval_table *t, const char *dir, char *err,
	     size_t errlen)
{
	const struct tg_eval_sample *side[2] = { real, synth };

	if (make_dir(dir, err, errlen) ||
	    write_cdfs(side, dir, err, errlen) ||
	    write_ports(side, dir, err, errlen))
		return -1;
	return write_index(t, dir, err, errlen);
}
