/* SPDX-License-Identifier: BSD-3-Clause
 * tg_lateness: how late packets left against their schedule, as a
 * histogram with log-linear buckets (8 per power of two, so a percentile
 * is within 12.5% of the true value) of fixed size: recording is a few
 * instructions and never allocates, so a worker can record every packet.
 * One histogram per writer; readers merge copies. No DPDK here.
 */
#ifndef TG_LATENESS_H
#define TG_LATENESS_H

#include <stdint.h>

#define TG_LATENESS_SUB_BITS 3
#define TG_LATENESS_LINEAR 16	/* values below are their own bucket */
#define TG_LATENESS_BUCKETS \
	(TG_LATENESS_LINEAR + (64 - 4) * (1 << TG_LATENESS_SUB_BITS))

struct tg_lateness {
	uint64_t count;
	uint64_t max_ns;
	uint64_t bucket[TG_LATENESS_BUCKETS];
};

static inline unsigned
tg_lateness_bucket(uint64_t ns)
{
	unsigned e;

	if (ns < TG_LATENESS_LINEAR)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns);	/* 4..63 */
	return TG_LATENESS_LINEAR +
	       (e - 4) * (1u << TG_LATENESS_SUB_BITS) +
	       (unsigned)((ns >> (e - TG_LATENESS_SUB_BITS)) &
			  ((1u << TG_LATENESS_SUB_BITS) - 1));
}

static inline void
tg_lateness_record(struct tg_lateness *h, uint64_t ns)
{
	h->bucket[tg_lateness_bucket(ns)]++;
	h->count++;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

/* Add src's counts to dst. */
void tg_lateness_merge(struct tg_lateness *dst, const struct tg_lateness *src);

/* The value below which a fraction q (0..1) of the records lie: the middle
 * of its bucket, never above the largest record. 0 when empty. */
uint64_t tg_lateness_quantile(const struct tg_lateness *h, double q);

#endif /* TG_LATENESS_H */
