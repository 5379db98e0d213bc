/* SPDX-License-Identifier: BSD-3-Clause */
#include "tg_lateness.h"

void
tg_lateness_merge(struct tg_lateness *dst, const struct tg_lateness *src)
{
	for (unsigned i = 0; i < TG_LATENESS_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

/* The smallest and one past the largest value of bucket b. */
static void
bucket_range(unsigned b, uint64_t *lo, uint64_t *hi)
{
	unsigned e, sub;

	if (b < TG_LATENESS_LINEAR) {
		*lo = b;
		*hi = b + 1;
		return;
	}
	e = 4 + (b - TG_LATENESS_LINEAR) / (1u << TG_LATENESS_SUB_BITS);
	sub = (b - TG_LATENESS_LINEAR) % (1u << TG_LATENESS_SUB_BITS);
	*lo = (1ull << e) + ((uint64_t)sub << (e - TG_LATENESS_SUB_BITS));
	*hi = *lo + (1ull << (e - TG_LATENESS_SUB_BITS));
}

uint64_t
tg_lateness_quantile(const struct tg_lateness *h, double q)
{
	uint64_t rank, seen = 0, lo, hi, mid;

	if (h->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	rank = (uint64_t)(q * (double)(h->count - 1));	/* 0-based */
	for (unsigned b = 0; b < TG_LATENESS_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen > rank) {
			bucket_range(b, &lo, &hi);
			mid = lo + (hi - lo - 1) / 2;
			return mid < h->max_ns ? mid : h->max_ns;
		}
	}
	return h->max_ns;
}
