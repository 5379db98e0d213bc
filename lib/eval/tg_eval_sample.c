/* SPDX-License-Identifier: BSD-3-Clause
 * A sample: the statistics of one side, gathered packet by packet and
 * flow by flow (flows assembled by lib/trace's tg_flows, the same as
 * tempogen-fit sees them).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tg_eval_int.h"

/* Flows keep every packet: the port x size table counts them all. */
#define MAX_FLOW_PKTS (1u << 22)
/* An idle stretch in a file counts at most this many empty seconds: a
 * clock that jumps years would otherwise fill memory with zeros. */
#define MAX_IDLE_SECONDS 60u
/* A gap between flow starts longer than an hour is a pause of the
 * capture, not of the traffic (tempogen-fit leaves such gaps out of the
 * arrivals for the same reason); it is not a gap of the row. */
#define MAX_START_GAP_NS (3600ull * NS_PER_S)

int
vec_push(struct vec *v, double x)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 1024;
		double *more = realloc(v->v, cap * sizeof(*more));

		if (more == NULL)
			return -1;
		v->v = more;
		v->cap = cap;
	}
	v->v[v->n++] = x;
	return 0;
}

double
eval_log_seconds(uint64_t ns)
{
	return log10((double)(ns < NS_PER_US ? NS_PER_US : ns) / 1e9);
}

static unsigned
cap_bin(unsigned bin, unsigned n)
{
	return bin < n ? bin : n - 1;
}

static int
push_start(struct tg_eval_sample *s, uint32_t file, uint64_t ns)
{
	if (s->n_starts == s->cap_starts) {
		size_t cap = s->cap_starts ? 2 * s->cap_starts : 1024;
		struct flow_start *more = realloc(s->starts,
						  cap * sizeof(*more));

		if (more == NULL)
			return -1;
		s->starts = more;
		s->cap_starts = cap;
	}
	s->starts[s->n_starts++] = (struct flow_start){ file, ns };
	return 0;
}

/* Packets of a flow: in-flow gaps, and the port x size table. */
static int
add_flow_pkts(struct tg_eval_sample *s, const struct tg_flow_rec *f,
	      unsigned port)
{
	for (uint32_t i = 0; i < f->n_pkts; i++) {
		const struct tg_flow_pkt *p = &f->pkts[i];

		if (f->proto == TG_PROTO_TCP || f->proto == TG_PROTO_UDP)
			s->port_size[port * CT_SIZE_BINS +
				     cap_bin(tg_eval_log_bin(p->wire_len),
					     CT_SIZE_BINS)]++;
		if (i == 0)
			continue;
		s->iat_flow[tg_eval_log_bin(p->iat_ns / NS_PER_US)]++;
		if (vec_push(&s->log_iat_flow, eval_log_seconds(p->iat_ns)))
			return -1;
	}
	return 0;
}

static void
on_flow(const struct tg_flow_rec *f, void *arg)
{
	struct tg_eval_sample *s = arg;
	uint64_t pkts = f->side[0].packets + f->side[1].packets;
	uint64_t bytes = f->side[0].wire_bytes + f->side[1].wire_bytes;
	unsigned port = tg_port_bin(f->server_port);

	s->totals.flows++;
	s->flow_pkts[tg_eval_log_bin(pkts)]++;
	s->flow_bytes[tg_eval_log_bin(bytes)]++;
	s->flow_dur[tg_eval_log_bin((f->last_ns - f->first_ns) / NS_PER_US)]++;
	if (f->proto == TG_PROTO_TCP || f->proto == TG_PROTO_UDP) {
		s->port[port]++;
		s->port_flow[port * CT_FLOW_BINS +
			     cap_bin(tg_eval_log_bin(bytes), CT_FLOW_BINS)]++;
	}
	if (vec_push(&s->flow_bytes_v, (double)bytes) ||
	    push_start(s, f->file, f->first_ns) ||
	    add_flow_pkts(s, f, port))
		s->oom = true;
}

struct tg_eval_sample *
tg_eval_sample_create(void)
{
	struct tg_eval_sample *s = calloc(1, sizeof(*s));
	struct tg_flows_conf fc = { .max_pkts = MAX_FLOW_PKTS,
				    .on_flow = on_flow };

	if (s == NULL)
		return NULL;
	fc.arg = s;
	s->size_exact = calloc(SIZE_EXACT, sizeof(uint64_t));
	s->port_size = calloc((size_t)TG_PORT_BINS * CT_SIZE_BINS,
			      sizeof(uint64_t));
	s->port_flow = calloc((size_t)TG_PORT_BINS * CT_FLOW_BINS,
			      sizeof(uint64_t));
	s->flows = tg_flows_create(&fc);
	if (!s->size_exact || !s->port_size || !s->port_flow || !s->flows) {
		tg_eval_sample_free(s);
		return NULL;
	}
	return s;
}

void
tg_eval_sample_free(struct tg_eval_sample *s)
{
	if (s == NULL)
		return;
	tg_flows_free(s->flows);
	eval_check_free(s);
	free(s->size_exact);
	free(s->port_size);
	free(s->port_flow);
	free(s->flow_bytes_v.v);
	free(s->log_iat_flow.v);
	free(s->log_iat_start.v);
	free(s->starts);
	free(s->sec_pkts.v);
	free(s->sec_bytes.v);
	free(s);
}

/* Count the packet in its second of its file's series. Seconds are
 * counted from the file's first packet; a packet a little out of order
 * counts in the current second. */
static int
add_to_series(struct tg_eval_sample *s, const struct tg_trace_pkt *p)
{
	if (!s->series_open || p->file != s->series_file) {
		s->series_open = true;
		s->series_file = p->file;
		s->sec_start_ns = p->ts_ns;
		if (vec_push(&s->sec_pkts, 0) || vec_push(&s->sec_bytes, 0))
			return -1;
	} else if (p->ts_ns >= s->sec_start_ns + NS_PER_S) {
		uint64_t ahead = (p->ts_ns - s->sec_start_ns) / NS_PER_S;
		uint64_t idle = ahead - 1;

		for (uint64_t i = 0; i < idle && i < MAX_IDLE_SECONDS; i++)
			if (vec_push(&s->sec_pkts, 0) ||
			    vec_push(&s->sec_bytes, 0))
				return -1;
		if (vec_push(&s->sec_pkts, 0) || vec_push(&s->sec_bytes, 0))
			return -1;
		s->sec_start_ns += ahead * NS_PER_S;
	}
	s->sec_pkts.v[s->sec_pkts.n - 1] += 1;
	s->sec_bytes.v[s->sec_bytes.n - 1] += p->wire_len;
	return 0;
}

int
tg_eval_add_pkt(struct tg_eval_sample *s, const struct tg_trace_pkt *p)
{
	s->totals.packets++;
	if (s->totals.packets == 1 || p->file + 1 > s->totals.files)
		s->totals.files = p->file + 1;
	s->proto[p->proto]++;
	s->size[tg_eval_size_bin(p->wire_len)]++;
	s->size_exact[p->wire_len < SIZE_EXACT ? p->wire_len
					       : SIZE_EXACT - 1]++;
	s->ttl[p->ttl]++;
	if (p->proto == TG_PROTO_TCP) {
		s->tcp_flags[p->tcp_flags]++;
		s->window[tg_eval_log_bin(p->window)]++;
	}
	if (add_to_series(s, p) || eval_check_pkt(s, p) ||
	    tg_flows_add(s->flows, p) || s->oom)
		return -1;
	return 0;
}

void
tg_eval_add_dropped(struct tg_eval_sample *s, const struct tg_trace_stats *st)
{
	s->checks[TG_CHECK_IP_LEN].checked += st->reasons[TG_TRACE_BAD_IP];
	s->checks[TG_CHECK_L4_SIZE].checked += st->reasons[TG_TRACE_BAD_L4];
}

static int
compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
compare_starts(const void *a, const void *b)
{
	const struct flow_start *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return (x->ns > y->ns) - (x->ns < y->ns);
}

/* Gaps between flow starts, within each file, up to an hour. */
static int
add_start_gaps(struct tg_eval_sample *s)
{
	if (s->n_starts > 1)
		qsort(s->starts, s->n_starts, sizeof(*s->starts),
		      compare_starts);
	for (size_t i = 1; i < s->n_starts; i++) {
		uint64_t gap;

		if (s->starts[i].file != s->starts[i - 1].file)
			continue;
		gap = s->starts[i].ns - s->starts[i - 1].ns;
		if (gap > MAX_START_GAP_NS)
			continue;
		s->iat_start[tg_eval_log_bin(gap / NS_PER_US)]++;
		if (vec_push(&s->log_iat_start, eval_log_seconds(gap)))
			return -1;
	}
	return 0;
}

static void
sort_vec(struct vec *v)
{
	if (v->n > 1)
		qsort(v->v, v->n, sizeof(*v->v), compare_doubles);
}

int
tg_eval_sample_finish(struct tg_eval_sample *s)
{
	if (s->finished)
		return 0;
	s->finished = true;
	tg_flows_flush(s->flows);
	eval_check_flush(s);
	if (s->oom || add_start_gaps(s))
		return -1;
	sort_vec(&s->flow_bytes_v);
	sort_vec(&s->log_iat_flow);
	sort_vec(&s->log_iat_start);
	s->totals.seconds = s->sec_pkts.n;
	return 0;
}

static int
read_all(struct tg_trace *t, struct tg_eval_sample *s, char *err,
	 size_t errlen)
{
	struct tg_trace_pkt pkt;
	int rc;

	while ((rc = tg_trace_next(t, &pkt)) != 0) {
		if (rc < 0) {
			snprintf(err, errlen, "%s", tg_trace_error(t));
			return 2;
		}
		if (tg_eval_add_pkt(s, &pkt) != 0) {
			snprintf(err, errlen, "out of memory");
			return 1;
		}
	}
	tg_eval_add_dropped(s, tg_trace_stats(t));
	if (tg_eval_sample_finish(s) != 0) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	s->totals.files = tg_trace_stats(t)->files_opened;
	return 0;
}

int
tg_eval_read(const char *const *paths, unsigned n_paths, bool strict,
	     struct tg_eval_sample **out, char *err, size_t errlen)
{
	struct tg_trace_conf conf = {
		.flags = TG_TRACE_CHECKSUMS | (strict ? TG_TRACE_STRICT : 0),
	};
	struct tg_trace *t = NULL;
	struct tg_eval_sample *s;
	int rc;

	*out = NULL;
	if (tg_trace_open(paths, n_paths, &conf, &t, err, errlen) != 0)
		return 2;
	s = tg_eval_sample_create();
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		tg_trace_close(t);
		return 1;
	}
	rc = read_all(t, s, err, errlen);
	tg_trace_close(t);
	if (rc != 0) {
		tg_eval_sample_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

const struct tg_eval_totals *
tg_eval_totals(const struct tg_eval_sample *s)
{
	return &s->totals;
}

const struct tg_eval_tally *
tg_eval_tallies(const struct tg_eval_sample *s)
{
	return s->checks;
}
