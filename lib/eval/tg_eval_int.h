/* SPDX-License-Identifier: BSD-3-Clause
 * Inside tg_eval: what a sample holds, shared by its files.
 */
#ifndef TG_EVAL_INT_H
#define TG_EVAL_INT_H

#include "tg_eval.h"
#include "tg_flows.h"
#include "tg_services.h"

#define NS_PER_S 1000000000ull
#define NS_PER_US 1000ull
/* Exact packet sizes for the EMD; longer frames (segmentation offload
 * captures) count in the last one. */
#define SIZE_EXACT 65536u
/* Contingency tables: size by log bin, capped. */
#define CT_SIZE_BINS 64u
#define CT_FLOW_BINS 128u

/* A growable array of doubles. */
struct vec {
	double *v;
	size_t n;
	size_t cap;
};

int vec_push(struct vec *v, double x);

struct flow_start {
	uint32_t file;
	uint64_t ns;
};

/* The TCP connections of the current file, for the stateful checks. */
struct conn;
struct conns {
	struct conn *slots;	/* open addressing, linear probing */
	size_t cap;		/* a power of two, or 0 */
	size_t used;
	uint32_t file;
};

struct tg_eval_sample {
	/* Histograms of the JSDs (docs/eval.md has the bins). */
	uint64_t proto[256];
	uint64_t port[TG_PORT_BINS];	/* per TCP/UDP flow */
	uint64_t size[TG_EVAL_SIZE_BINS];
	uint64_t ttl[256];
	uint64_t tcp_flags[256];
	uint64_t window[TG_EVAL_LOG_BINS];
	uint64_t flow_pkts[TG_EVAL_LOG_BINS];
	uint64_t flow_bytes[TG_EVAL_LOG_BINS];
	uint64_t flow_dur[TG_EVAL_LOG_BINS];	/* microseconds */
	uint64_t iat_flow[TG_EVAL_LOG_BINS];	/* microseconds */
	uint64_t iat_start[TG_EVAL_LOG_BINS];	/* microseconds */

	uint64_t *size_exact;	/* [SIZE_EXACT]: packet size EMD */
	uint64_t *port_size;	/* [TG_PORT_BINS][CT_SIZE_BINS] */
	uint64_t *port_flow;	/* [TG_PORT_BINS][CT_FLOW_BINS] */

	/* Samples of the EMDs, sorted when finished. */
	struct vec flow_bytes_v;
	struct vec log_iat_flow;	/* log10 seconds */
	struct vec log_iat_start;

	struct flow_start *starts;
	size_t n_starts;
	size_t cap_starts;

	/* Per-second counts, one file's series after the other. */
	struct vec sec_pkts;
	struct vec sec_bytes;
	bool series_open;
	uint32_t series_file;
	uint64_t sec_start_ns;

	struct tg_flows *flows;
	struct conns conns;
	struct tg_eval_tally checks[TG_CHECKS];
	struct tg_eval_totals totals;
	bool oom;		/* the flow callback ran out of memory */
	bool finished;
};

/* tg_eval_check.c: every check of one packet. 0, or -1 out of memory. */
int eval_check_pkt(struct tg_eval_sample *s, const struct tg_trace_pkt *p);
/* Tally the open connections and forget them. */
void eval_check_flush(struct tg_eval_sample *s);
void eval_check_free(struct tg_eval_sample *s);

/* log10 of a time in ns, floored at 1 microsecond. */
double eval_log_seconds(uint64_t ns);

#endif /* TG_EVAL_INT_H */
