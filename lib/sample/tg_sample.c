/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* Vose's alias method. Weights are scaled to mean 1; "small" entries
 * (below 1) are topped up from "large" ones. Probabilities are kept as
 * 32-bit thresholds so a draw needs no floating point. */
int
tg_alias_build(struct tg_alias *a, const double *weights, uint32_t n)
{
	double total = 0, *scaled;
	uint32_t *small, *large, n_small = 0, n_large = 0;

	memset(a, 0, sizeof(*a));
	if (n == 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		if (!(weights[i] >= 0) || !isfinite(weights[i]))
			return -1;
		total += weights[i];
	}
	if (!(total > 0))
		return -1;
	scaled = malloc(n * sizeof(*scaled));
	small = malloc(n * sizeof(*small));
	large = malloc(n * sizeof(*large));
	a->threshold = malloc(n * sizeof(*a->threshold));
	a->alias = malloc(n * sizeof(*a->alias));
	if (!scaled || !small || !large || !a->threshold || !a->alias) {
		free(scaled), free(small), free(large);
		tg_alias_free(a);
		return -1;
	}
	a->n = n;
	for (uint32_t i = 0; i < n; i++) {
		scaled[i] = weights[i] * n / total;
		if (scaled[i] < 1.0)
			small[n_small++] = i;
		else
			large[n_large++] = i;
	}
	while (n_small && n_large) {
		uint32_t s = small[--n_small], l = large[n_large - 1];

		a->threshold[s] = (uint32_t)fmin(scaled[s] * 4294967296.0,
						 4294967295.0);
		a->alias[s] = l;
		scaled[l] -= 1.0 - scaled[s];
		if (scaled[l] < 1.0) {
			n_large--;
			small[n_small++] = l;
		}
	}
	/* What is left is 1 up to rounding: always keep it. */
	while (n_large) {
		uint32_t l = large[--n_large];

		a->threshold[l] = UINT32_MAX, a->alias[l] = l;
	}
	while (n_small) {
		uint32_t s = small[--n_small];

		a->threshold[s] = UINT32_MAX, a->alias[s] = s;
	}
	free(scaled), free(small), free(large);
	return 0;
}

void
tg_alias_free(struct tg_alias *a)
{
	free(a->threshold);
	free(a->alias);
	memset(a, 0, sizeof(*a));
}

int
tg_hist_init(struct tg_hist *h, uint32_t n, uint32_t *lo, uint32_t *hi,
	     double *p)
{
	memset(h, 0, sizeof(*h));
	for (uint32_t i = 0; i < n; i++)
		if (lo[i] > hi[i])
			return -1;
	if (tg_alias_build(&h->alias, p, n) != 0)
		return -1;
	h->n = n, h->lo = lo, h->hi = hi, h->p = p;
	return 0;
}

void
tg_hist_free(struct tg_hist *h)
{
	free(h->lo);
	free(h->hi);
	free(h->p);
	tg_alias_free(&h->alias);
	memset(h, 0, sizeof(*h));
}

uint32_t
tg_hist_draw(const struct tg_hist *h, struct tg_rng *rng)
{
	uint32_t bin;

	return tg_hist_draw_bin(h, rng, &bin);
}

uint32_t
tg_hist_draw_in(const struct tg_hist *h, struct tg_rng *rng, uint32_t i)
{
	uint32_t span = h->hi[i] - h->lo[i];

	if (span == 0)
		return h->lo[i];
	if (span == UINT32_MAX)
		return (uint32_t)tg_rng_next(rng);
	return h->lo[i] + tg_rng_below(rng, span + 1);
}

uint32_t
tg_hist_draw_bin(const struct tg_hist *h, struct tg_rng *rng, uint32_t *bin)
{
	*bin = tg_alias_draw(&h->alias, rng);
	return tg_hist_draw_in(h, rng, *bin);
}

double
tg_hist_mean(const struct tg_hist *h)
{
	double sum = 0, mean = 0;

	for (uint32_t i = 0; i < h->n; i++)
		sum += h->p[i];
	for (uint32_t i = 0; i < h->n; i++)
		mean += h->p[i] / sum * 0.5 * ((double)h->lo[i] + h->hi[i]);
	return mean;
}
