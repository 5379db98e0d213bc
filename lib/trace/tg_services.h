/* SPDX-License-Identifier: BSD-3-Clause
 * tg_services: the service class of a flow from its protocol and server
 * port (the table is documented in docs/services.md), and the STAN-style
 * port model: ports below 1024 kept exactly, higher ports in bins, plus
 * the operating systems' client (ephemeral) port ranges. No DPDK here.
 */
#ifndef TG_SERVICES_H
#define TG_SERVICES_H

#include <stdint.h>

/* The class name, e.g. "http", "dns", "quic"; "icmp" and "icmpv6" by
 * protocol; "other-tcp", "other-udp" or "other" when nothing matches.
 * The string is static. */
const char *tg_service_class(uint8_t proto, uint16_t server_port);

/* Port bins: a bin number below 1024 is that exact port; the bins above
 * cover 1024-65535 in the ranges of docs/services.md. */
#define TG_PORT_BIN_FIRST_RANGE 1024u
#define TG_PORT_BIN_RANGES 6u
#define TG_PORT_BINS (TG_PORT_BIN_FIRST_RANGE + TG_PORT_BIN_RANGES)

unsigned tg_port_bin(uint16_t port);

/* The ports of bin `bin` (a port draws uniformly from first..last):
 * 0, or -1 if there is no such bin. */
int tg_port_bin_range(unsigned bin, uint16_t *first, uint16_t *last);

/* "well-known" for exact ports, else the range's name. */
const char *tg_port_bin_name(unsigned bin);

/* Which default client port range a client's source port falls in, a
 * hint of its OS (docs/services.md lists the ambiguities). Defaults only:
 * a tuned host or a NAT changes them. */
enum tg_client_ports {
	TG_CPORTS_LINUX,	/* 32768-49151: only Linux's default */
	TG_CPORTS_LINUX_OR_IANA,	/* 49152-60999: Linux or IANA */
	TG_CPORTS_IANA,		/* 61000-65535: Windows Vista+, macOS
				 * (IANA dynamic range), not Linux */
	TG_CPORTS_LEGACY,	/* 1024-5000: Windows XP/2003, old BSD */
	TG_CPORTS_UNKNOWN,	/* 5001-32767 (FreeBSD's 10000-65535, NAT,
				 * tuned hosts) and ports below 1024 */
	TG_CPORTS_KINDS
};

enum tg_client_ports tg_client_ports(uint16_t port);
const char *tg_client_ports_name(enum tg_client_ports kind);

#endif /* TG_SERVICES_H */
