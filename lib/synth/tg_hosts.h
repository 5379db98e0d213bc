/* SPDX-License-Identifier: BSD-3-Clause
 * tg_hosts: numbering of the host addresses of a CIDR pool, so a model's
 * host k always maps to the same address.
 */
#ifndef TG_HOSTS_H
#define TG_HOSTS_H

#include <stdint.h>

#include "tg_config.h"

/* Hosts a pool offers (the network and IPv4 broadcast addresses are not
 * hosts); at most 2^24 so host numbers stay small. 0 if the pool is unset. */
uint32_t tg_hosts_count(const struct tg_cidr *pool);

/* Address of host `index` (< tg_hosts_count) of the pool. */
void tg_hosts_addr(const struct tg_cidr *pool, uint32_t index,
		   struct tg_ip_addr *out);

#endif /* TG_HOSTS_H */
