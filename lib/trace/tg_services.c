/* SPDX-License-Identifier: BSD-3-Clause
 * The service table and port bins; docs/services.md says why each is there.
 */
#include <stddef.h>

#include "tg_pkt.h"
#include "tg_services.h"

#define ANY 0	/* protocol: TCP or UDP */

static const struct {
	uint8_t proto;
	uint16_t first;
	uint16_t last;
	const char *name;
} services[] = {
	{ TG_PROTO_TCP, 20, 21, "ftp" },
	{ TG_PROTO_TCP, 22, 22, "ssh" },
	{ TG_PROTO_TCP, 23, 23, "telnet" },
	{ TG_PROTO_TCP, 25, 25, "smtp" },
	{ TG_PROTO_TCP, 587, 587, "smtp" },
	{ TG_PROTO_TCP, 465, 465, "smtps" },
	{ ANY, 53, 53, "dns" },
	{ TG_PROTO_UDP, 67, 68, "dhcp" },
	{ TG_PROTO_TCP, 80, 80, "http" },
	{ TG_PROTO_TCP, 8000, 8000, "http" },
	{ TG_PROTO_TCP, 8080, 8080, "http" },
	{ ANY, 88, 88, "kerberos" },
	{ TG_PROTO_TCP, 110, 110, "pop3" },
	{ TG_PROTO_UDP, 123, 123, "ntp" },
	{ ANY, 137, 139, "netbios" },
	{ TG_PROTO_TCP, 143, 143, "imap" },
	{ TG_PROTO_UDP, 161, 162, "snmp" },
	{ TG_PROTO_TCP, 179, 179, "bgp" },
	{ ANY, 389, 389, "ldap" },
	{ TG_PROTO_TCP, 443, 443, "tls" },
	{ TG_PROTO_TCP, 8443, 8443, "tls" },
	{ TG_PROTO_UDP, 443, 443, "quic" },
	{ TG_PROTO_TCP, 445, 445, "smb" },
	{ TG_PROTO_UDP, 514, 514, "syslog" },
	{ ANY, 554, 554, "rtsp" },
	{ TG_PROTO_TCP, 993, 993, "imaps" },
	{ TG_PROTO_TCP, 995, 995, "pop3s" },
	{ ANY, 1194, 1194, "openvpn" },
	{ ANY, 1883, 1883, "mqtt" },
	{ ANY, 3306, 3306, "mysql" },
	{ ANY, 3389, 3389, "rdp" },
	{ ANY, 3478, 3478, "stun" },
	{ ANY, 5060, 5061, "sip" },
	{ TG_PROTO_UDP, 5353, 5353, "mdns" },
	{ TG_PROTO_UDP, 5355, 5355, "llmnr" },
	{ ANY, 5432, 5432, "postgres" },
	{ ANY, 6881, 6889, "bittorrent" },
};

const char *
tg_service_class(uint8_t proto, uint16_t port)
{
	if (proto == TG_PROTO_ICMP)
		return "icmp";
	if (proto == TG_PROTO_ICMPV6)
		return "icmpv6";
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		if ((services[i].proto == ANY || services[i].proto == proto) &&
		    port >= services[i].first && port <= services[i].last)
			return services[i].name;
	}
	if (proto == TG_PROTO_TCP)
		return "other-tcp";
	if (proto == TG_PROTO_UDP)
		return "other-udp";
	return "other";
}

/* Bins follow the IANA ranges and the OS ephemeral ranges, so a bin mostly
 * holds one kind of use: registered services, then client ports. */
static const struct tg_port_bin bins[] = {
	{ 1024, 4999, "registered-low" },
	{ 5000, 9999, "registered-mid" },
	{ 10000, 32767, "registered-high" },
	{ 32768, 49151, "ephemeral-linux" },
	{ 49152, 60999, "ephemeral-shared" },
	{ 61000, 65535, "ephemeral-windows" },
};

struct tg_port_bin
tg_port_bin(uint16_t port)
{
	if (port < 1024)
		return (struct tg_port_bin){ port, port, "well-known" };
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++)
		if (port <= bins[i].last)
			return bins[i];
	return bins[sizeof(bins) / sizeof(bins[0]) - 1];	/* not reached */
}

const char *
tg_client_port_range(uint16_t port)
{
	if (port >= 32768 && port < 49152)
		return "linux";
	if (port >= 49152 && port <= 60999)
		return "linux-or-windows";
	if (port >= 61000)
		return "windows";
	if (port >= 1024 && port <= 5000)
		return "legacy";
	return "other";
}
