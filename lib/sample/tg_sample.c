/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>

#include "tg_sample.h"

double
tg_sample_exp(struct tg_rng *rng, double mean)
{
	/* 1 - u is in (0, 1], so the log is finite. */
	return -mean * log(1.0 - tg_rng_uniform(rng));
}

double
tg_sample_normal(struct tg_rng *rng)
{
	double u, v, s;

	do {
		u = 2.0 * tg_rng_uniform(rng) - 1.0;
		v = 2.0 * tg_rng_uniform(rng) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	return u * sqrt(-2.0 * log(s) / s);
}

double
tg_sample_lognormal(struct tg_rng *rng, double mu, double sigma)
{
	return exp(mu + sigma * tg_sample_normal(rng));
}

uint32_t
tg_sample_geometric(struct tg_rng *rng, double mean)
{
	if (mean <= 1.0)
		return 1;
	/* P(X = k) = (1-p)^(k-1) p with p = 1/mean. */
	double p = 1.0 / mean;
	double k = ceil(log(1.0 - tg_rng_uniform(rng)) / log(1.0 - p));

	if (k < 1.0)
		return 1;
	return k > 4e9 ? UINT32_MAX : (uint32_t)k;
}

uint32_t
tg_sample_weighted(struct tg_rng *rng, const double *weights, uint32_t n,
		   double total)
{
	double x = tg_rng_uniform(rng) * total;

	for (uint32_t i = 0; i + 1 < n; i++) {
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return n - 1;
}

double
tg_sample_lnmix(struct tg_rng *rng, const struct tg_lnmix *mix)
{
	uint32_t i = tg_sample_weighted(rng, mix->weight, mix->k, 1.0);

	return tg_sample_lognormal(rng, mix->mu[i], mix->sigma[i]);
}
