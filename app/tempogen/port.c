/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "eal_args.h"
#include "port.h"
#include "tg_pkt.h"

/* A few mbufs for the RX queue some drivers insist on; we never poll it. */
#define RX_POOL_SIZE 1023
#define RX_DESC 128

uint16_t
tg_port_queue_of(const struct tg_port_cfg *port, unsigned lcore)
{
	for (unsigned i = 0; i < port->n_workers; i++)
		if (port->workers[i] == lcore)
			return (uint16_t)i;
	return 0;
}

/* The offloads to ask for: what the config allows and the NIC has. */
static uint32_t
pick_offload(const struct tg_port_cfg *cfg,
	     const struct rte_eth_dev_info *info, uint64_t *tx_offloads)
{
	uint64_t capa = info->tx_offload_capa;
	uint32_t offload = 0;

	*tx_offloads = 0;
	if (!cfg->offload)
		return 0;
	if (capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		*tx_offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		offload |= TG_PKT_OFFLOAD_IPV4_CKSUM;
	}
	/* L4 offload only when both TCP and UDP are covered: one packet
	 * layout for every flow is simpler than a mixed one. */
	if ((capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) &&
	    (capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) {
		*tx_offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
				RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		offload |= TG_PKT_OFFLOAD_L4_CKSUM;
	}
	return offload;
}

/* Whether the device sends a frame in a chain of mbufs. net_null
 * advertises no offload at all, yet only counts and frees what it is
 * given, chains included. */
static bool
sends_chains(const struct rte_eth_dev_info *info)
{
	return (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) ||
	       strcmp(info->driver_name, "net_null") == 0;
}

static int
start_one(struct tg_port *port, unsigned index, char *err, size_t errlen)
{
	const struct tg_port_cfg *cfg = port->cfg;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_mempool *rx_pool;
	char name[TG_DEVICE_LEN], pool_name[RTE_MEMPOOL_NAMESIZE];
	uint64_t tx_offloads;
	int socket, rc;

	tg_device_name(cfg->device, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, &port->port_id) != 0) {
		/* EAL only warns when a vdev's driver refuses its arguments;
		 * the driver's own message is above. */
		if (tg_device_is_vdev(cfg->device))
			snprintf(err, errlen, "port %s: virtual device %s "
				 "could not be created: its driver refused "
				 "\"%s\" (see the driver's message above)",
				 cfg->name, name, cfg->device);
		else
			snprintf(err, errlen, "port %s: device %s not found "
				 "(is it bound to a DPDK driver?)", cfg->name,
				 name);
		return -1;
	}
	rc = rte_eth_dev_info_get(port->port_id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot read device info: %s",
			 cfg->name, rte_strerror(-rc));
		return -1;
	}
	port->n_queues = (uint16_t)cfg->n_workers;
	if (port->n_queues > info.max_tx_queues) {
		snprintf(err, errlen, "port %s: %u workers but the device has "
			 "only %u TX queues", cfg->name, port->n_queues,
			 info.max_tx_queues);
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	port->offload = pick_offload(cfg, &info, &tx_offloads);
	/* Only a reel sends chains; a NIC that cannot keeps its frames as
	 * recorded. */
	if (cfg->reel && sends_chains(&info)) {
		if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
			tx_offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		port->segments = true;
	}
	conf.txmode.offloads = tx_offloads;
	rc = rte_eth_dev_configure(port->port_id, 1, port->n_queues, &conf);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: configure failed: %s",
			 cfg->name, rte_strerror(-rc));
		return -1;
	}

	socket = rte_eth_dev_socket_id(port->port_id);
	snprintf(pool_name, sizeof(pool_name), "rx_%u", index);
	rx_pool = rte_pktmbuf_pool_create(pool_name, RX_POOL_SIZE, 0, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE,
					  socket < 0 ? (int)rte_socket_id() : socket);
	if (rx_pool == NULL) {
		snprintf(err, errlen, "port %s: no memory for RX pool: %s",
			 cfg->name, rte_strerror(rte_errno));
		return -1;
	}
	rc = rte_eth_rx_queue_setup(port->port_id, 0, RX_DESC, (unsigned)socket,
				    NULL, rx_pool);
	for (uint16_t q = 0; rc == 0 && q < port->n_queues; q++) {
		struct rte_eth_txconf txconf = info.default_txconf;

		txconf.offloads = tx_offloads;
		rc = rte_eth_tx_queue_setup(port->port_id, q, cfg->tx_desc,
					    (unsigned)socket, &txconf);
	}
	if (rc == 0)
		rc = rte_eth_dev_start(port->port_id);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: queue set-up or start failed: "
			 "%s", cfg->name, rte_strerror(-rc));
		return -1;
	}
	port->started = true;
	return 0;
}

int
tg_ports_start(struct tg_port *ports, const struct tg_config *cfg, char *err,
	       size_t errlen)
{
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		memset(&ports[i], 0, sizeof(ports[i]));
		ports[i].cfg = &cfg->ports[i];
		if (cfg->ports[i].is_pcap)
			continue;
		if (start_one(&ports[i], i, err, errlen) != 0)
			return -1;
	}
	return 0;
}

void
tg_ports_stop(struct tg_port *ports, unsigned n_ports)
{
	for (unsigned i = 0; i < n_ports; i++) {
		if (!ports[i].started)
			continue;
		rte_eth_dev_stop(ports[i].port_id);
		rte_eth_dev_close(ports[i].port_id);
		ports[i].started = false;
	}
}
