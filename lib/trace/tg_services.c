/* SPDX-License-Identifier: BSD-3-Clause
 * The service table and the port bins. docs/services.md documents both
 * and says why each entry is there; keep the two in step.
 */
#include <stddef.h>

#include "tg_pkt.h"
#include "tg_services.h"

#define ANY_L4 0		/* the entry holds for TCP and UDP */
#define N_ITEMS(a) (sizeof(a) / sizeof((a)[0]))

struct service {
	uint8_t proto;		/* TG_PROTO_TCP, TG_PROTO_UDP or ANY_L4 */
	uint16_t first;
	uint16_t last;
	const char *name;
};

/* No two entries match the same (protocol, port), so their order is only
 * for the reader: as in docs/services.md. */
static const struct service services[] = {
	{ TG_PROTO_TCP, 20, 21, "ftp" },
	{ TG_PROTO_TCP, 22, 22, "ssh" },
	{ TG_PROTO_TCP, 23, 23, "telnet" },
	{ TG_PROTO_TCP, 25, 25, "smtp" },
	{ TG_PROTO_TCP, 587, 587, "smtp" },
	{ TG_PROTO_TCP, 465, 465, "smtps" },
	{ ANY_L4, 53, 53, "dns" },
	{ TG_PROTO_UDP, 67, 68, "dhcp" },
	{ TG_PROTO_UDP, 546, 547, "dhcpv6" },
	{ TG_PROTO_TCP, 80, 80, "http" },
	{ TG_PROTO_TCP, 8000, 8000, "http" },
	{ TG_PROTO_TCP, 8080, 8080, "http" },
	{ ANY_L4, 88, 88, "kerberos" },
	{ TG_PROTO_TCP, 110, 110, "pop3" },
	{ TG_PROTO_UDP, 123, 123, "ntp" },
	{ ANY_L4, 137, 139, "netbios" },
	{ TG_PROTO_TCP, 143, 143, "imap" },
	{ TG_PROTO_UDP, 161, 162, "snmp" },
	{ ANY_L4, 389, 389, "ldap" },
	{ TG_PROTO_TCP, 443, 443, "tls" },
	{ TG_PROTO_TCP, 8443, 8443, "tls" },
	{ TG_PROTO_UDP, 443, 443, "quic" },
	{ TG_PROTO_TCP, 445, 445, "smb" },
	{ TG_PROTO_UDP, 514, 514, "syslog" },
	{ ANY_L4, 554, 554, "rtsp" },
	{ TG_PROTO_TCP, 993, 993, "imaps" },
	{ TG_PROTO_TCP, 995, 995, "pop3s" },
	{ ANY_L4, 1194, 1194, "openvpn" },
	{ ANY_L4, 3306, 3306, "mysql" },
	{ ANY_L4, 3389, 3389, "rdp" },
	{ ANY_L4, 3478, 3478, "stun" },
	{ ANY_L4, 5060, 5061, "sip" },
	{ TG_PROTO_UDP, 5353, 5353, "mdns" },
	{ TG_PROTO_UDP, 5355, 5355, "llmnr" },
	{ ANY_L4, 5432, 5432, "postgres" },
	{ ANY_L4, 6881, 6889, "bittorrent" },
};

const char *
tg_service_class(uint8_t proto, uint16_t server_port)
{
	if (proto == TG_PROTO_ICMP)
		return "icmp";
	if (proto == TG_PROTO_ICMPV6)
		return "icmpv6";
	if (proto != TG_PROTO_TCP && proto != TG_PROTO_UDP)
		return "other";
	for (size_t i = 0; i < N_ITEMS(services); i++) {
		const struct service *s = &services[i];

		if ((s->proto == ANY_L4 || s->proto == proto) &&
		    server_port >= s->first && server_port <= s->last)
			return s->name;
	}
	return proto == TG_PROTO_TCP ? "other-tcp" : "other-udp";
}

/* --- Port bins ----------------------------------------------------------- */

struct port_range {
	uint16_t first;
	uint16_t last;
	const char *name;
};

/* Cut where the IANA ranges and the OS ephemeral ranges start, so each
 * bin mostly holds one kind of use (docs/services.md). */
static const struct port_range bins[TG_PORT_BIN_RANGES] = {
	{ 1024, 4999, "registered-low" },
	{ 5000, 9999, "registered-mid" },
	{ 10000, 32767, "registered-high" },
	{ 32768, 49151, "ephemeral-linux" },
	{ 49152, 60999, "ephemeral-shared" },
	{ 61000, 65535, "ephemeral-iana" },
};

unsigned
tg_port_bin(uint16_t port)
{
	if (port < TG_PORT_BIN_FIRST_RANGE)
		return port;
	unsigned i = 0;

	while (port > bins[i].last)
		i++;		/* the last bin ends at 65535 */
	return TG_PORT_BIN_FIRST_RANGE + i;
}

int
tg_port_bin_range(unsigned bin, uint16_t *first, uint16_t *last)
{
	if (bin < TG_PORT_BIN_FIRST_RANGE) {
		*first = *last = (uint16_t)bin;
		return 0;
	}
	if (bin >= TG_PORT_BINS)
		return -1;
	*first = bins[bin - TG_PORT_BIN_FIRST_RANGE].first;
	*last = bins[bin - TG_PORT_BIN_FIRST_RANGE].last;
	return 0;
}

const char *
tg_port_bin_name(unsigned bin)
{
	if (bin < TG_PORT_BIN_FIRST_RANGE)
		return "well-known";
	if (bin >= TG_PORT_BINS)
		return "unknown";
	return bins[bin - TG_PORT_BIN_FIRST_RANGE].name;
}

/* --- Client port ranges -------------------------------------------------- */

static const char *const client_ports_names[TG_CPORTS_KINDS] = {
	[TG_CPORTS_LINUX] = "linux",
	[TG_CPORTS_LINUX_OR_IANA] = "linux-or-iana",
	[TG_CPORTS_IANA] = "iana",
	[TG_CPORTS_LEGACY] = "legacy",
	[TG_CPORTS_UNKNOWN] = "unknown",
};

enum tg_client_ports
tg_client_ports(uint16_t port)
{
	if (port >= 61000)
		return TG_CPORTS_IANA;
	if (port >= 49152)
		return TG_CPORTS_LINUX_OR_IANA;
	if (port >= 32768)
		return TG_CPORTS_LINUX;
	if (port >= 1024 && port <= 5000)
		return TG_CPORTS_LEGACY;
	return TG_CPORTS_UNKNOWN;
}

const char *
tg_client_ports_name(enum tg_client_ports kind)
{
	return (unsigned)kind < TG_CPORTS_KINDS ? client_ports_names[kind]
						: "unknown";
}
