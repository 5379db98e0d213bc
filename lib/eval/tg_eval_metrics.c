/* SPDX-License-Identifier: BSD-3-Clause
 * The distances of tempogen-eval, as pure functions on counts and sorted
 * samples (formulas in docs/eval.md). Each is exactly 0 for identical
 * inputs: identical operands give identical fractions, and every term
 * then vanishes exactly, with no rounding left over.
 */
#include <math.h>

#include "tg_eval.h"

#define ACF_SIGNIFICANCE 1.96	/* two-sided 95% band of white noise */

static uint64_t
total(const uint64_t *c, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += c[i];
	return sum;
}

/* One half of the divergence: sum of P log2(P/M). */
static double
kl_to_mid(double p, double q)
{
	double m = (p + q) / 2;

	return p > 0 ? p * log2(p / m) : 0;
}

double
tg_eval_jsd(const uint64_t *p, const uint64_t *q, size_t n)
{
	uint64_t tp = total(p, n), tq = total(q, n);
	double jsd = 0;

	if (tp == 0 || tq == 0)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		double pi = (double)p[i] / (double)tp;
		double qi = (double)q[i] / (double)tq;

		jsd += kl_to_mid(pi, qi) / 2 + kl_to_mid(qi, pi) / 2;
	}
	return jsd > 0 ? jsd : 0;	/* rounding never makes it negative */
}

double
tg_eval_emd(const double *a, size_t na, const double *b, size_t nb)
{
	size_t i = 0, j = 0;
	double emd = 0, prev = 0;
	bool started = false;

	if (na == 0 || nb == 0)
		return NAN;
	/* Walk the merged values; between two of them both CDFs are flat. */
	while (i < na || j < nb) {
		double x = j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];

		if (started)
			emd += fabs((double)i / (double)na -
				    (double)j / (double)nb) * (x - prev);
		while (i < na && a[i] == x)
			i++;
		while (j < nb && b[j] == x)
			j++;
		prev = x;
		started = true;
	}
	return emd;
}

double
tg_eval_emd_counts(const uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t ta = total(a, n), tb = total(b, n), ca = 0, cb = 0;
	double emd = 0;

	if (ta == 0 || tb == 0)
		return NAN;
	for (size_t x = 0; x + 1 < n; x++) {
		ca += a[x];
		cb += b[x];
		emd += fabs((double)ca / (double)ta - (double)cb / (double)tb);
	}
	return emd;
}

static double
mean(const double *x, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return n ? sum / (double)n : 0;
}

double
tg_eval_acf(const double *x, size_t n, size_t lag)
{
	double m = mean(x, n), num = 0, den = 0;

	if (lag >= n)
		return 0;
	for (size_t t = 0; t < n; t++)
		den += (x[t] - m) * (x[t] - m);
	for (size_t t = 0; t + lag < n; t++)
		num += (x[t] - m) * (x[t + lag] - m);
	return den > 0 ? num / den : 0;
}

double
tg_eval_acf_distance(const double *real, size_t n_real, const double *synth,
		     size_t n_synth, size_t max_lag, size_t *n_lags)
{
	size_t lags = n_real < n_synth ? n_real : n_synth;
	double band = ACF_SIGNIFICANCE / sqrt((double)n_real);
	double sum_sig = 0, sum_all = 0;
	size_t n_sig = 0;

	*n_lags = 0;
	if (n_real < 3 || n_synth < 3)
		return NAN;
	lags = lags - 1 < max_lag ? lags - 1 : max_lag;
	for (size_t k = 1; k <= lags; k++) {
		double r = tg_eval_acf(real, n_real, k);
		double d = fabs(r - tg_eval_acf(synth, n_synth, k));

		sum_all += d;
		if (fabs(r) > band) {
			sum_sig += d;
			n_sig++;
		}
	}
	*n_lags = n_sig ? n_sig : lags;
	return n_sig ? sum_sig / (double)n_sig : sum_all / (double)lags;
}

double
tg_eval_cmd(const uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t ta = total(a, n), tb = total(b, n);
	double sum = 0;

	if (ta == 0 || tb == 0)
		return NAN;
	for (size_t i = 0; i < n; i++)
		sum += fabs((double)a[i] / (double)ta -
			    (double)b[i] / (double)tb);
	return sum / 2;
}

unsigned
tg_eval_log_bin(uint64_t x)
{
	if (x < 4)
		return (unsigned)x;
	unsigned e = 63u - (unsigned)__builtin_clzll(x);	/* floor(log2) */

	return 4 * (e - 1) + (unsigned)((x >> (e - 2)) & 3);
}

uint64_t
tg_eval_log_bin_low(unsigned bin)
{
	if (bin < 4)
		return bin;
	unsigned e = bin / 4 + 1;

	return (uint64_t)(4 + bin % 4) << (e - 2);
}

unsigned
tg_eval_size_bin(uint32_t len)
{
	if (len < TG_EVAL_SIZE_LINEAR)
		return len / 16;
	return TG_EVAL_SIZE_LINEAR / 16 + tg_eval_log_bin(len) -
	       tg_eval_log_bin(TG_EVAL_SIZE_LINEAR);
}
