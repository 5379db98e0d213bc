/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>
#include <string.h>

#include "tg_dissected_ports.h"
#include "tg_model.h"
#include "tg_flow.h"

#define IKE_PORT 500

const char *
tg_port_dissector(uint8_t proto, uint16_t port)
{
	const struct tg_dissected_port *a;
	unsigned lo = 0, hi;

	if (proto == TG_PROTO_TCP) {
		a = tg_dissected_tcp;
		hi = tg_dissected_tcp_n;
	} else if (proto == TG_PROTO_UDP) {
		a = tg_dissected_udp;
		hi = tg_dissected_udp_n;
	} else {
		return NULL;
	}
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (a[mid].port == port)
			return a[mid].dissector;
		if (a[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint8_t
tg_payload_on_port(uint8_t kind, uint8_t proto, uint16_t port)
{
	if (kind == TG_PAYLOAD_RANDOM && proto == TG_PROTO_UDP &&
	    port == IKE_PORT)
		return TG_PAYLOAD_IKE;
	return kind;
}

/* The dissectors that read a kind's messages as what they are. Random and
 * zero bytes have none: any dissector reads them as broken. */
#define KIND_DISSECTORS_MAX 3
static const char *const
	kind_dissectors[TG_PAYLOAD_KINDS][KIND_DISSECTORS_MAX] = {
	[TG_PAYLOAD_HTTP] = { "http" },
	[TG_PAYLOAD_DNS] = { "dns", "mdns", "llmnr" },
	[TG_PAYLOAD_TLS] = { "tls" },
	[TG_PAYLOAD_SSH] = { "ssh" },
	[TG_PAYLOAD_NTP] = { "ntp" },
	[TG_PAYLOAD_DNS_TCP] = { "dns" },
	[TG_PAYLOAD_QUIC] = { "quic" },
	[TG_PAYLOAD_SMTP] = { "smtp" },
	[TG_PAYLOAD_SYSLOG] = { "syslog" },
	[TG_PAYLOAD_NBNS] = { "nbns" },
	[TG_PAYLOAD_NBSS] = { "nbss" },
	[TG_PAYLOAD_SMB] = { "nbss" },
	[TG_PAYLOAD_DHCP] = { "dhcp" },
	[TG_PAYLOAD_SNMP] = { "snmp" },
	[TG_PAYLOAD_IKE] = { "isakmp" },
};

bool
tg_payload_fits_port(uint8_t kind, uint8_t proto, uint16_t port)
{
	const char *dissector = tg_port_dissector(proto, port);

	if (dissector == NULL)
		return true;
	if (kind >= TG_PAYLOAD_KINDS)
		return false;
	for (size_t i = 0; i < KIND_DISSECTORS_MAX &&
			   kind_dissectors[kind][i] != NULL;
	     i++)
		if (strcmp(kind_dissectors[kind][i], dissector) == 0)
			return true;
	return false;
}
