/* SPDX-License-Identifier: BSD-3-Clause
 * tg_eval: how close synthetic traffic is to the real traffic it was
 * learned from (distances per feature), and how valid each is
 * (compliance checks). Every formula and binning is in docs/eval.md.
 * No DPDK here.
 *
 * A sample gathers the statistics of one side (real or synthetic) packet
 * by packet; two finished samples compare into a table. The table is
 * what tempogen-eval prints, and what a fidelity test asserts on.
 */
#ifndef TG_EVAL_H
#define TG_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tg_trace.h"

/* --- Metrics (pure) ------------------------------------------------------ */

/* Jensen-Shannon divergence, base 2 (0..1), of two histograms given as
 * counts over the same n bins. NaN if either is empty. */
double tg_eval_jsd(const uint64_t *p, const uint64_t *q, size_t n);

/* 1-D Wasserstein distance (earth mover's) of two samples, each sorted
 * ascending: the integral of |F_a - F_b|. NaN if either is empty. */
double tg_eval_emd(const double *a, size_t na, const double *b, size_t nb);

/* The same for integer values 0..n-1 given as counts. */
double tg_eval_emd_counts(const uint64_t *a, const uint64_t *b, size_t n);

/* Sample autocorrelation of x at `lag` (0 for a constant series). */
double tg_eval_acf(const double *x, size_t n, size_t lag);

/* Mean |acf_real(k) - acf_synth(k)| over the lags 1..max_lag at which the
 * real series' autocorrelation is significant (|r| > 1.96/sqrt(n)); over
 * all those lags if none is. *n_lags says how many. NaN if a series is
 * shorter than 3. */
double tg_eval_acf_distance(const double *real, size_t n_real,
			    const double *synth, size_t n_synth,
			    size_t max_lag, size_t *n_lags);

/* Contingency table difference: half the sum of |P - Q| over the cells of
 * two joint count tables of n cells (total variation, 0..1). NaN if
 * either is empty. */
double tg_eval_cmd(const uint64_t *a, const uint64_t *b, size_t n);

/* The binnings of docs/eval.md. */
#define TG_EVAL_LOG_BINS 252	/* tg_eval_log_bin of any uint64_t */
/* Quarter-octave bins: 0..3 exact, then four bins per power of two. */
unsigned tg_eval_log_bin(uint64_t x);
/* Lower edge of a log bin. */
uint64_t tg_eval_log_bin_low(unsigned bin);

#define TG_EVAL_SIZE_LINEAR 2048u	/* 16-byte bins below */
#define TG_EVAL_SIZE_BINS 256
/* Packet size: 16-byte bins below 2048 bytes, log bins above. */
unsigned tg_eval_size_bin(uint32_t len);

/* --- Compliance ---------------------------------------------------------- */

enum tg_eval_check {
	TG_CHECK_IP_CKSUM,	/* IPv4 header checksum */
	TG_CHECK_L4_CKSUM,	/* TCP/UDP/ICMP/ICMPv6 checksum */
	TG_CHECK_IP_LEN,	/* IP length equals the frame (or padding) */
	TG_CHECK_L4_SIZE,	/* TCP/UDP minimum sizes, UDP length */
	TG_CHECK_ADDR,		/* no multicast/broadcast/unspecified source */
	TG_CHECK_PORTS,		/* TCP/UDP ports not zero */
	TG_CHECK_TCP_FLAGS,	/* a legal flag combination */
	TG_CHECK_TCP_SEQ,	/* seq continues its direction */
	TG_CHECK_TCP_ACK,	/* ack within what the peer sent, monotone */
	TG_CHECK_TCP_STATES,	/* legal transitions (from the SYN) */
	TG_CHECK_TCP_HANDSHAKE,	/* per connection: no data before it */
	TG_CHECKS
};

const char *tg_eval_check_name(enum tg_eval_check check);
/* "packets" or "connections". */
const char *tg_eval_check_unit(enum tg_eval_check check);

struct tg_eval_tally {
	uint64_t checked;
	uint64_t passed;
};

/* --- Samples ------------------------------------------------------------- */

struct tg_eval_sample;

/* NULL when out of memory. */
struct tg_eval_sample *tg_eval_sample_create(void);
void tg_eval_sample_free(struct tg_eval_sample *s);

/* Account one kept packet (verified by tg_trace_verify for the checksum
 * checks). Within a file in capture order, files one after the other.
 * 0, or -1 when out of memory. */
int tg_eval_add_pkt(struct tg_eval_sample *s, const struct tg_trace_pkt *p);

/* Account the frames the reader dropped as malformed: bad IP headers fail
 * the IP length check, bad transport headers the minimum size check. */
void tg_eval_add_dropped(struct tg_eval_sample *s,
			 const struct tg_trace_stats *st);

/* End of input: ends every flow. 0, or -1 when out of memory. */
int tg_eval_sample_finish(struct tg_eval_sample *s);

/* Read captures (files or folders) into a finished sample. `strict`: a
 * file libpcap cannot read is an error. 0; 2 with a one-line message
 * (naming the file) for unreadable input; 1 when out of memory. */
int tg_eval_read(const char *const *paths, unsigned n_paths, bool strict,
		 struct tg_eval_sample **out, char *err, size_t errlen);

struct tg_eval_totals {
	uint32_t files;
	uint64_t packets;
	uint64_t flows;
	uint64_t seconds;	/* length of the per-second series */
};

const struct tg_eval_totals *tg_eval_totals(const struct tg_eval_sample *s);
/* TG_CHECKS tallies. */
const struct tg_eval_tally *tg_eval_tallies(const struct tg_eval_sample *s);

/* --- The table ----------------------------------------------------------- */

#define TG_EVAL_MAX_ROWS 32

struct tg_eval_row {
	const char *feature;	/* e.g. "packet size" */
	const char *key;	/* e.g. "jsd_pkt_size": stable, for JSON */
	const char *metric;	/* "jsd", "emd", "acf", "cmd" */
	const char *unit;	/* of an EMD: "bytes", "log10 s"; else "" */
	double value;		/* NaN: not defined (a side has no data) */
	uint64_t real_n;	/* observations behind it */
	uint64_t synth_n;
};

struct tg_eval_table {
	unsigned n_rows;
	struct tg_eval_row rows[TG_EVAL_MAX_ROWS];
	struct tg_eval_totals real;
	struct tg_eval_totals synth;
	struct tg_eval_tally real_checks[TG_CHECKS];
	struct tg_eval_tally synth_checks[TG_CHECKS];
};

/* Compare two finished samples. 0, or -1 when out of memory. */
int tg_eval_compare(const struct tg_eval_sample *real,
		    const struct tg_eval_sample *synth,
		    struct tg_eval_table *out);

/* The row of `key`, or NULL. */
const struct tg_eval_row *tg_eval_row(const struct tg_eval_table *t,
				      const char *key);

void tg_eval_print(const struct tg_eval_table *t, FILE *out);
void tg_eval_print_json(const struct tg_eval_table *t, FILE *out);

/* SVG plots and index.html into `dir` (created if missing). 0, or -1 with
 * a message naming the file. */
int tg_eval_plot(const struct tg_eval_sample *real,
		 const struct tg_eval_sample *synth,
		 const struct tg_eval_table *t, const char *dir, char *err,
		 size_t errlen);

#endif /* TG_EVAL_H */
