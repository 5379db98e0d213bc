/* SPDX-License-Identifier: BSD-3-Clause
 * The port the engine's tests play on (test_synth, test_reel): the
 * default pools, a fifth of the flows over IPv6, one worker. Include
 * after cmocka.h.
 */
#ifndef TG_TEST_PORT_H
#define TG_TEST_PORT_H

#include <stdio.h>
#include <string.h>

#include "tg_config.h"

static void
make_port(struct tg_port_cfg *port)
{
	memset(port, 0, sizeof(*port));
	snprintf(port->name, sizeof(port->name), "t");
	assert_int_equal(tg_cidr_parse("10.1.0.0/16", &port->clients.v4), 0);
	assert_int_equal(tg_cidr_parse("fd00:1::/64", &port->clients.v6), 0);
	assert_int_equal(tg_cidr_parse("198.18.0.0/20", &port->servers.v4), 0);
	assert_int_equal(tg_cidr_parse("fd00:2::/64", &port->servers.v6), 0);
	port->ipv6_share = 0.2;
	port->mac_src[0] = 0x02;
	port->mac_dst[0] = 0x02;
	port->mac_dst[5] = 0x01;
	port->n_workers = 1;
}

#endif /* TG_TEST_PORT_H */
