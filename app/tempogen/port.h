/* SPDX-License-Identifier: BSD-3-Clause
 * port: DPDK ethdev set-up for the configured device ports: one TX queue
 * per worker serving the port, checksum offload where the NIC has it.
 */
#ifndef TG_PORT_H
#define TG_PORT_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "tg_config.h"
#include "tg_pkt.h"

struct tg_port {
	const struct tg_port_cfg *cfg;
	uint16_t port_id;	/* DPDK port id (device ports only) */
	uint16_t n_queues;	/* TX queues, one per serving worker */
	uint32_t offload;	/* TG_PKT_OFFLOAD_* enabled on this port */
	bool segments;		/* sends mbuf chains (reels' fresh bodies) */
	bool started;
};

/* Find, configure and start the device of every non-pcap port.
 * Returns 0, or -1 with a message naming the port in err. */
int tg_ports_start(struct tg_port *ports, const struct tg_config *cfg,
		   char *err, size_t errlen);

/* Stop and close every started port. */
void tg_ports_stop(struct tg_port *ports, unsigned n_ports);

/* Set a frame's mbuf lengths and, for the `offload` (TG_PKT_OFFLOAD_*)
 * the port does, its offload flags and header lengths. proto: TG_PROTO_*
 * (only TCP and UDP checksums are offloaded). Inline: once per packet. */
static inline void
tg_port_tx_fields(struct rte_mbuf *m, uint16_t len,
		  const struct tg_pkt_layout *layout, uint8_t proto,
		  uint8_t ip_version, uint32_t offload)
{
	m->data_len = len;
	m->pkt_len = len;
	if (offload == 0)
		return;
	m->l2_len = layout->l2_len;
	m->l3_len = layout->l3_len;
	m->l4_len = layout->l4_len;
	/* |=: an attached frame already carries RTE_MBUF_F_EXTERNAL. */
	m->ol_flags |= ip_version == 4 ? RTE_MBUF_F_TX_IPV4
				       : RTE_MBUF_F_TX_IPV6;
	if (ip_version == 4 && (offload & TG_PKT_OFFLOAD_IPV4_CKSUM))
		m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	if (offload & TG_PKT_OFFLOAD_L4_CKSUM) {
		if (proto == TG_PROTO_TCP)
			m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
		else if (proto == TG_PROTO_UDP)
			m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
	}
}

/* Which TX queue of `port` the worker on `lcore` owns. */
uint16_t tg_port_queue_of(const struct tg_port_cfg *port, unsigned lcore);

#endif /* TG_PORT_H */
