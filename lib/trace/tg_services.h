/* SPDX-License-Identifier: BSD-3-Clause
 * tg_services: the service class of a flow from its protocol and server
 * port (docs/services.md), and the STAN-style port model: ports below 1024
 * kept exactly, higher ones in bins, plus the client source-port ranges of
 * common operating systems. No DPDK here.
 */
#ifndef TG_SERVICES_H
#define TG_SERVICES_H

#include <stdint.h>

/* Name of the service class, e.g. "http", "dns", "other-tcp". */
const char *tg_service_class(uint8_t proto, uint16_t server_port);

/* Port bins above the well-known range. */
struct tg_port_bin {
	uint16_t first;
	uint16_t last;
	const char *name;
};

/* The bin of a port: ports < 1024 are their own bin (first == last). */
struct tg_port_bin tg_port_bin(uint16_t port);

/* Which OS's ephemeral range a client port falls in: "linux" (32768-60999),
 * "windows" (49152-65535, also modern BSD and macOS), "legacy" (1024-5000,
 * old Windows and BSD), or "other". Where Linux and Windows overlap
 * (49152-60999) the answer is "linux-or-windows". */
const char *tg_client_port_range(uint16_t port);

#endif /* TG_SERVICES_H */
