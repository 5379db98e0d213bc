/* SPDX-License-Identifier: BSD-3-Clause
 * tg_config: the one parser of tempogen's run configuration (libconfig
 * syntax). It turns a file into typed structs and checks every value, so the
 * rest of the program never sees a bad one. Errors are one line:
 *   file:line: key: what is wrong
 * No DPDK here.
 */
#ifndef TG_CONFIG_H
#define TG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_pkt.h"

#define TG_MAX_PORTS 16
#define TG_MAX_WORKERS 64
#define TG_MAX_SESSIONS 10000000	/* per port */
/* Flow table of each worker of a port (`max_flows`): its default, and the
 * range accepted (2^27 flows is about 20 GiB of state). */
#define TG_MAX_FLOWS_DEFAULT (1u << 18)
#define TG_MAX_FLOWS_MIN 1024u
#define TG_MAX_FLOWS_MAX (1u << 27)
/* Most sessions a pps or bit/s target may use when `sessions` is not
 * given: half of TG_MAX_SESSIONS shared by the ports of the run (one
 * port: 5 million, about 1.5 Mpps or 3.5 Gbit/s of the fitted default),
 * so that other ports' own `sessions` still fit beside them. */
#define TG_RATE_SESSIONS_SHARE (TG_MAX_SESSIONS / 2)
/* Packets of a reel (`reel`, lib/reel): the fewest and the most. */
#define TG_REEL_PACKETS_MIN 1024u
#define TG_REEL_PACKETS_MAX (64u << 20)
#define TG_MAX_EAL_ARGS 32
#define TG_NAME_LEN 32
#define TG_PATH_LEN 1024
#define TG_DEVICE_LEN 256
#define TG_ERR_LEN 512

/* An address block such as 10.0.0.0/16 or fd00::/64. */
struct tg_cidr {
	uint8_t version;	/* 4 or 6; 0 = not set */
	uint8_t prefix;
	struct tg_ip_addr base;	/* host bits are zero */
};

/* Addresses of one role (clients or servers) on one port. */
struct tg_pool {
	struct tg_cidr v4;
	struct tg_cidr v6;
};

enum tg_rate_kind {
	TG_RATE_MODEL,		/* the model's own pace, times time_factor */
	TG_RATE_PPS,		/* packets per second */
	TG_RATE_BPS,		/* bits per second (frame bytes * 8) */
	TG_RATE_UNLIMITED,	/* as fast as the core can go */
};

struct tg_rate {
	enum tg_rate_kind kind;
	double value;		/* pps or bit/s for TG_RATE_PPS/BPS */
	double time_factor;	/* TG_RATE_MODEL: >1 runs faster than real */
};

/* Network effects of a port (docs/config.md, "effects"): all zero, the
 * default, leaves the traffic exactly as the model plays it. */
struct tg_effects_cfg {
	bool enabled;		/* any of the below is set */
	double rtt_ms;		/* round trip to the servers; 0: the model's */
	double jitter_ms;	/* extra delay of each wait for a round trip,
				 * uniform in [0, jitter_ms] */
	double loss;		/* per data packet, 0..0.5 */
	double reorder;		/* per TCP data segment, 0..0.5 */
	double duplicate;	/* per data packet, 0..0.5 */
};

struct tg_port_cfg {
	char name[TG_NAME_LEN];
	int line;		/* where the port is defined, for messages */
	bool is_pcap;		/* output to a pcap file instead of a device */
	char device[TG_DEVICE_LEN];	/* PCI address or vdev string */
	char pcap_path[TG_PATH_LEN];	/* resolved against output_dir */
	char labels_path[TG_PATH_LEN];	/* ground truth file (JSON lines),
					 * resolved against output_dir;
					 * empty: none */
	char capture_path[TG_PATH_LEN];	/* device ports: capture tap pcap,
					 * resolved against output_dir;
					 * empty: none */
	uint8_t mac_src[6];
	uint8_t mac_dst[6];
	uint16_t vlan_id;	/* 1..4094; 0 = untagged */
	uint8_t vlan_pcp;	/* 0..7 */
	struct tg_pool clients;
	struct tg_pool servers;
	double ipv6_share;	/* fraction of flows over IPv6, 0..1 */
	struct tg_rate rate;
	char model_path[TG_PATH_LEN];	/* empty: the built-in default model */
	uint32_t sessions;	/* independent arrival processes (active
				 * client sessions), split over workers */
	uint32_t max_flows;	/* concurrent flows of each of its workers */
	uint32_t reel;		/* packets each worker records and plays in
				 * a loop (lib/reel); 0: live synthesis */
	bool fresh_ciphertext;	/* a reel's packets get fresh keystream
				 * bodies (tg_reel.h) */
	unsigned workers[TG_MAX_WORKERS];	/* lcore ids serving this port */
	unsigned n_workers;
	bool offload;		/* use NIC checksum offload if advertised */
	uint16_t tx_desc;	/* TX ring size */
	uint16_t burst;		/* packets per TX burst */
	struct tg_effects_cfg effects;
};

struct tg_eal_cfg {
	bool no_huge;
	bool in_memory;
	bool no_pci;
	unsigned memory_mb;	/* 0: EAL default */
	char args[TG_MAX_EAL_ARGS][TG_DEVICE_LEN];	/* passed as they are */
	unsigned n_args;
};

struct tg_config {
	char path[TG_PATH_LEN];
	uint64_t seed;
	double duration;	/* seconds; 0 = until stopped or packet limit */
	uint64_t packets;	/* per port; 0 = no limit */
	char output_dir[TG_PATH_LEN];
	double stats_interval;	/* seconds between live statistics lines */
	unsigned control_lcore;
	unsigned workers[TG_MAX_WORKERS];	/* worker lcore ids */
	unsigned n_workers;
	int capture_lcore;	/* writer of the capture taps; -1: none */
	struct tg_eal_cfg eal;
	struct tg_port_cfg ports[TG_MAX_PORTS];
	unsigned n_ports;
};

/* Load and check a configuration file. Returns 0, or -1 with a one-line
 * message in err ("file:line: key: what is wrong"). */
int tg_config_load(const char *path, struct tg_config *cfg,
		   char *err, size_t errlen);

/* The same from text in memory; `name` stands for the file in messages and
 * relative paths are resolved against `base_dir`. */
int tg_config_parse(const char *text, const char *name, const char *base_dir,
		    struct tg_config *cfg, char *err, size_t errlen);

/* Parse "10.0.0.0/8" or "fd00::/64". Returns 0 or -1. */
int tg_cidr_parse(const char *text, struct tg_cidr *out);

/* Parse "02:00:00:00:00:01". Returns 0 or -1. */
int tg_mac_parse(const char *text, uint8_t mac[6]);

/* True for a device port with a packet or bit rate target: the control
 * lcore steers its population to meet it (a pcap port has no wall clock). */
static inline bool
tg_port_has_rate_target(const struct tg_port_cfg *pc)
{
	return !pc->is_pcap && (pc->rate.kind == TG_RATE_PPS ||
				pc->rate.kind == TG_RATE_BPS);
}

/* Parse a rate: "model", "unlimited", "1.5 Mpps", "10 Gbit/s", "800kbps".
 * Returns 0 or -1. */
int tg_rate_parse(const char *text, struct tg_rate *out);

#endif /* TG_CONFIG_H */
