/* SPDX-License-Identifier: BSD-3-Clause
 * tg_sample: draws from the distributions tempogen's models are made of.
 * All draws take the caller's generator; nothing here has state of its own.
 */
#ifndef TG_SAMPLE_H
#define TG_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#include "tg_rng.h"

/* Greatest common divisor, for multipliers and steps coprime with a size
 * (a permutation of hosts, a reel's moves through its client pool). */
static inline uint64_t
tg_gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Exponential with the given mean. */
double tg_sample_exp(struct tg_rng *rng, double mean);

/* Standard normal (Marsaglia polar method). */
double tg_sample_normal(struct tg_rng *rng);

/* exp(N(mu, sigma^2)). */
double tg_sample_lognormal(struct tg_rng *rng, double mu, double sigma);

/* Geometric on {1, 2, ...} with the given mean (>= 1). */
uint32_t tg_sample_geometric(struct tg_rng *rng, double mean);

/* Index drawn from `n` non-negative weights whose sum is `total`
 * (linear scan: for the few categories of a parametric model; fitted models
 * with large tables use alias tables). */
uint32_t tg_sample_weighted(struct tg_rng *rng, const double *weights,
			    uint32_t n, double total);

/* A mixture of log-normals: what fitted inter-arrival times follow.
 * Component i has weight[i] and log-space mean mu[i], deviation sigma[i]. */
#define TG_LNMIX_MAX 8

struct tg_lnmix {
	unsigned k;
	double weight[TG_LNMIX_MAX];
	double mu[TG_LNMIX_MAX];
	double sigma[TG_LNMIX_MAX];
};

double tg_sample_lnmix(struct tg_rng *rng, const struct tg_lnmix *mix);

/* Alias table (Walker 1977, Vose 1991): O(1) draws from n categories with
 * any weights. Built once when a model loads; read-only afterwards, so any
 * number of lcores may draw from it at once. */
struct tg_alias {
	uint32_t n;
	uint32_t *threshold;	/* keep i if 32 random bits < threshold[i] */
	uint32_t *alias;	/* else take alias[i] */
};

/* Build from n >= 1 non-negative weights with a positive sum (they need
 * not sum to 1). Returns 0, or -1 on bad weights or no memory. */
int tg_alias_build(struct tg_alias *a, const double *weights, uint32_t n);
void tg_alias_free(struct tg_alias *a);

static inline uint32_t
tg_alias_draw(const struct tg_alias *a, struct tg_rng *rng)
{
	uint64_t r = tg_rng_next(rng);
	uint32_t i = (uint32_t)(((r >> 32) * (uint64_t)a->n) >> 32);

	return (uint32_t)r < a->threshold[i] ? i : a->alias[i];
}

/* An empirical distribution of integers: bin i holds lo[i]..hi[i] (one
 * exact value when lo == hi) with probability p[i]; a draw picks a bin by
 * its alias table, then a value uniformly inside it. Sizes, TTLs, MSS
 * values, windows and ports of fitted models are all of this kind. */
struct tg_hist {
	uint32_t n;
	uint32_t *lo;
	uint32_t *hi;
	double *p;
	struct tg_alias alias;
};

/* Take ownership of lo/hi/p (malloc'd, n entries) and build the alias
 * table. p must be non-negative with a positive sum; lo[i] <= hi[i].
 * Returns 0, or -1 (the arrays are then still the caller's). */
int tg_hist_init(struct tg_hist *h, uint32_t n, uint32_t *lo, uint32_t *hi,
		 double *p);
void tg_hist_free(struct tg_hist *h);
uint32_t tg_hist_draw(const struct tg_hist *h, struct tg_rng *rng);
/* The same, saying which bin the value came from ... */
uint32_t tg_hist_draw_bin(const struct tg_hist *h, struct tg_rng *rng,
			  uint32_t *bin);
/* ... and a value of bin i alone (uniform over its range). */
uint32_t tg_hist_draw_in(const struct tg_hist *h, struct tg_rng *rng,
			 uint32_t i);
/* Mean of the distribution (bins count at their midpoint). */
double tg_hist_mean(const struct tg_hist *h);

#endif /* TG_SAMPLE_H */
