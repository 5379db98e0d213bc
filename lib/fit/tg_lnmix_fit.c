/* SPDX-License-Identifier: BSD-3-Clause
 * EM for a one-dimensional Gaussian mixture on log-values (Dempster, Laird
 * and Rubin 1977; Bishop, PRML 9.2), with BIC to choose k (Schwarz 1978).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tg_lnmix_fit.h"

#define MAX_ITERATIONS 200
/* EM stops when the log-likelihood gains less than this per sample: the
 * parameters then move far less than their standard errors. */
#define TOLERANCE_PER_SAMPLE 1e-7
#define LOG_SQRT_2PI 0.91893853320467274178

static int
compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Start from k equal slices of the sorted data: deterministic, and each
 * component begins where the data are. */
static void
initialise(const double *sorted, size_t n, unsigned k, struct tg_lnmix *m)
{
	m->k = k;
	for (unsigned j = 0; j < k; j++) {
		size_t lo = n * j / k, hi = n * (j + 1) / k;
		double sum = 0, sq = 0;

		for (size_t i = lo; i < hi; i++)
			sum += sorted[i];
		double mean = sum / (double)(hi - lo);
		for (size_t i = lo; i < hi; i++)
			sq += (sorted[i] - mean) * (sorted[i] - mean);
		m->weight[j] = 1.0 / k;
		m->mu[j] = mean;
		m->sigma[j] = fmax(sqrt(sq / (double)(hi - lo)),
				   TG_LNMIX_MIN_SIGMA);
	}
}

/* Samples whose normalisers are multiplied before one log: each lies in
 * [1, TG_LNMIX_MAX], so the product stays below 8^64 = 2^192. */
#define LOG_BATCH 64

/* One E and M step; returns the log-likelihood before the update. The
 * terms of log(weight * N(y; mu, sigma)) that do not depend on y are
 * computed once per step, and the log of each sample's normaliser is
 * taken once per LOG_BATCH samples: the E step costs about one exp per
 * sample and component. */
static double
em_step(const double *y, size_t n, struct tg_lnmix *m, double *resp)
{
	unsigned k = m->k;
	double loglik = 0, nk[TG_LNMIX_MAX] = { 0 }, sum[TG_LNMIX_MAX] = { 0 };
	double base[TG_LNMIX_MAX], inv_sigma[TG_LNMIX_MAX], product = 1;

	for (unsigned j = 0; j < k; j++) {
		base[j] = log(m->weight[j]) - log(m->sigma[j]) - LOG_SQRT_2PI;
		inv_sigma[j] = 1 / m->sigma[j];
	}
	for (size_t i = 0; i < n; i++) {
		double lp[TG_LNMIX_MAX], top = -INFINITY, total = 0;

		for (unsigned j = 0; j < k; j++) {
			double z = (y[i] - m->mu[j]) * inv_sigma[j];

			lp[j] = base[j] - 0.5 * z * z;
			top = fmax(top, lp[j]);
		}
		for (unsigned j = 0; j < k; j++) {
			/* Below e^-40 a term is lost in the sum anyway; not
			 * calling exp keeps libm off its slow underflow path. */
			lp[j] = lp[j] - top < -40 ? 0 : exp(lp[j] - top);
			total += lp[j];
		}
		loglik += top;
		product *= total;	/* total >= 1: the top term is exp(0) */
		if (i % LOG_BATCH == LOG_BATCH - 1) {
			loglik += log(product);
			product = 1;
		}
		for (unsigned j = 0; j < k; j++) {
			double r = lp[j] / total;

			resp[i * k + j] = r;
			nk[j] += r;
			sum[j] += r * y[i];
		}
	}
	loglik += log(product);
	for (unsigned j = 0; j < k; j++) {
		double var = 0;

		if (nk[j] < 1e-9) {	/* an empty component: keep it inert */
			m->weight[j] = 1e-12;
			continue;
		}
		m->mu[j] = sum[j] / nk[j];
		for (size_t i = 0; i < n; i++)
			var += resp[i * k + j] * (y[i] - m->mu[j]) *
			       (y[i] - m->mu[j]);
		m->sigma[j] = fmax(sqrt(var / nk[j]), TG_LNMIX_MIN_SIGMA);
		m->weight[j] = nk[j] / (double)n;
	}
	return loglik;
}

/* Largest weight first, so equal fits give equal files. */
static void
sort_components(struct tg_lnmix *m)
{
	for (unsigned a = 1; a < m->k; a++)
		for (unsigned b = a; b > 0 && m->weight[b] > m->weight[b - 1];
		     b--) {
			double t;

			t = m->weight[b], m->weight[b] = m->weight[b - 1],
			m->weight[b - 1] = t;
			t = m->mu[b], m->mu[b] = m->mu[b - 1], m->mu[b - 1] = t;
			t = m->sigma[b], m->sigma[b] = m->sigma[b - 1],
			m->sigma[b - 1] = t;
		}
}

int
tg_lnmix_fit(const double *x, size_t n, unsigned k, struct tg_lnmix *out,
	     struct tg_lnmix_fit_info *info)
{
	if (k < 1 || k > TG_LNMIX_MAX || n < k)
		return -1;
	double *y = malloc(n * sizeof(*y));
	double *resp = malloc(n * k * sizeof(*resp));
	double loglik = -INFINITY, prev;
	unsigned it = 0;

	if (y == NULL || resp == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (!(x[i] > 0) || !isfinite(x[i]))
			goto fail;
		y[i] = log(x[i]);
	}
	qsort(y, n, sizeof(*y), compare_doubles);
	initialise(y, n, k, out);
	do {
		prev = loglik;
		loglik = em_step(y, n, out, resp);
	} while (++it < MAX_ITERATIONS &&
		 fabs(loglik - prev) > TOLERANCE_PER_SAMPLE * (double)n);
	/* loglik belongs to the parameters before the last update; at
	 * convergence the two differ by less than the tolerance. */
	sort_components(out);
	if (info) {
		info->loglik = loglik;
		info->bic = -2 * loglik + (3.0 * k - 1) * log((double)n);
		info->iterations = it;
	}
	free(y);
	free(resp);
	return 0;
fail:
	free(y);
	free(resp);
	return -1;
}

int
tg_lnmix_fit_best(const double *x, size_t n, unsigned k_max,
		  struct tg_lnmix *out, struct tg_lnmix_fit_info *info)
{
	struct tg_lnmix m;
	struct tg_lnmix_fit_info mi, best = { .bic = INFINITY };
	int found = -1;

	for (unsigned k = 1; k <= k_max && k <= TG_LNMIX_MAX && k <= n; k++) {
		if (tg_lnmix_fit(x, n, k, &m, &mi) != 0)
			return -1;
		if (mi.bic < best.bic) {
			best = mi;
			*out = m;
			found = 0;
		}
	}
	if (info && found == 0)
		*info = best;
	return found;
}
