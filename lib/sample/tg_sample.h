/* SPDX-License-Identifier: BSD-3-Clause
 * tg_sample: draws from the distributions tempogen's models are made of.
 * All draws take the caller's generator; nothing here has state of its own.
 */
#ifndef TG_SAMPLE_H
#define TG_SAMPLE_H

#include <stdint.h>

#include "tg_rng.h"

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

#endif /* TG_SAMPLE_H */
