/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>

#include "tg_hosts.h"

#define MAX_HOSTS (1u << 24)

uint32_t
tg_hosts_count(const struct tg_cidr *pool)
{
	unsigned bits;

	if (pool->version != 4 && pool->version != 6)
		return 0;
	bits = (pool->version == 4 ? 32u : 128u) - pool->prefix;
	if (bits >= 24)
		return MAX_HOSTS;
	if (pool->version == 4 && bits >= 2)
		return (1u << bits) - 2;	/* no network, no broadcast */
	if (pool->version == 6 && bits >= 1)
		return (1u << bits) - 1;	/* no subnet-router anycast */
	return 1u << bits;			/* /31, /32, /128 */
}

void
tg_hosts_addr(const struct tg_cidr *pool, uint32_t index,
	      struct tg_ip_addr *out)
{
	unsigned len = pool->version == 4 ? 4 : 16;
	unsigned bits = len * 8u - pool->prefix;
	/* Skip the all-zero host part wherever tg_hosts_count did. */
	bool skip_zero = pool->version == 4 ? bits >= 2 : bits >= 1;
	uint64_t carry = (uint64_t)index + (skip_zero ? 1 : 0);

	*out = pool->base;
	for (unsigned i = len; i > 0 && carry != 0; i--) {
		carry += out->b[i - 1];
		out->b[i - 1] = (uint8_t)carry;
		carry >>= 8;
	}
}
