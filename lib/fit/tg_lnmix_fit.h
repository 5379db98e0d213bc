/* SPDX-License-Identifier: BSD-3-Clause
 * tg_lnmix_fit: fits a log-normal mixture (struct tg_lnmix, lib/sample) to
 * positive samples by EM on their logarithms, and picks the number of
 * components by BIC. Used by tempogen-fit for every inter-arrival time
 * distribution. No DPDK here.
 */
#ifndef TG_LNMIX_FIT_H
#define TG_LNMIX_FIT_H

#include <stddef.h>

#include "tg_sample.h"

/* Smallest log-space deviation a component may have: keeps EM away from
 * the degenerate spike on one repeated value. */
#define TG_LNMIX_MIN_SIGMA 0.01

struct tg_lnmix_fit_info {
	double loglik;		/* of the log-values, in nats */
	double bic;		/* -2 loglik + (3k - 1) ln n */
	unsigned iterations;
};

/* Fit exactly k components to the n > 0 positive values x[]. Returns 0, or
 * -1 when n < k or a value is not positive and finite. */
int tg_lnmix_fit(const double *x, size_t n, unsigned k, struct tg_lnmix *out,
		 struct tg_lnmix_fit_info *info);

/* Fit 1..k_max components and keep the one with the lowest BIC. */
int tg_lnmix_fit_best(const double *x, size_t n, unsigned k_max,
		      struct tg_lnmix *out, struct tg_lnmix_fit_info *info);

#endif /* TG_LNMIX_FIT_H */
