/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <stdlib.h>

#include "tg_zipf.h"

int
tg_zipf_init(struct tg_zipf *z, uint32_t n, double s)
{
	double *w = malloc((n ? n : 1) * sizeof(*w));
	int rc;

	if (w == NULL)
		return -1;
	if (n == 0)
		n = 1;
	if (!(s >= 0) || !isfinite(s))
		s = 0;
	for (uint32_t r = 0; r < n; r++)
		w[r] = pow((double)r + 1.0, -s);
	rc = tg_alias_build(&z->alias, w, n);
	free(w);
	return rc;
}

void
tg_zipf_free(struct tg_zipf *z)
{
	tg_alias_free(&z->alias);
}

void
tg_perm_init(struct tg_perm *p, uint32_t n, struct tg_rng *rng)
{
	p->n = n ? n : 1;
	p->b = tg_rng_below(rng, (uint32_t)p->n);
	p->a = p->n > 1 ? 1 + tg_rng_below(rng, (uint32_t)p->n - 1) : 1;
	/* Coprime multipliers are dense (at least 1 in 8 below 2^24): the
	 * walk is short. */
	while (tg_gcd(p->a, p->n) != 1)
		p->a = p->a + 1 < p->n ? p->a + 1 : 1;
}
