/* SPDX-License-Identifier: BSD-3-Clause
 * worker: the loop of one worker lcore. It owns one synth per port it
 * serves, one TX queue per device port, its own mbuf pool and its own
 * counters; it shares nothing writable with other lcores but the counters
 * the control lcore reads and the stop flag the control lcore sets.
 */
#ifndef TG_WORKER_H
#define TG_WORKER_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "capture.h"
#include "labels.h"
#include "port.h"
#include "tg_lateness.h"
#include "tg_pcap.h"
#include "tg_synth.h"
#include "player.h"

#define TG_WORKER_MAX_BURST 512
#define TG_WORKER_ERR_LEN (TG_PATH_LEN + 256)	/* a path and why */

/* Written by the worker only (relaxed stores), read by the control lcore.
 * On a cache line of its own so reading it never slows the writer. */
struct tg_worker_counters {
	atomic_uint_fast64_t packets;
	atomic_uint_fast64_t bytes;
	atomic_uint_fast64_t drops;
	atomic_uint_fast64_t flows_active;
	atomic_uint_fast64_t flows_started;
	atomic_uint_fast64_t flows_refused;
	atomic_uint_fast64_t elapsed_ns;	/* of the worker's run */
	atomic_uint_fast64_t model_ns;		/* the port's model clock */
	atomic_uint_fast64_t sessions;		/* running */
	atomic_uint_fast64_t backlog_ns;	/* how late the next due
						 * packet is already */
	atomic_uint_fast64_t pacing_p50_ns;	/* lateness percentiles of */
	atomic_uint_fast64_t pacing_p99_ns;	/* the packets sent so far */
	atomic_uint_fast64_t pacing_max_ns;
} __rte_cache_aligned;

/* What counters said at one moment, over one or several workers: counts
 * add up, times (run, model clock, backlog, lateness) are the worst
 * worker's. */
struct tg_counts {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drops;
	uint64_t flows_active;
	uint64_t flows_started;
	uint64_t flows_refused;
	uint64_t sessions;
	uint64_t elapsed_ns;
	uint64_t model_ns;
	uint64_t backlog_ns;
	uint64_t pacing_p50_ns;
	uint64_t pacing_p99_ns;
	uint64_t pacing_max_ns;
};

/* Add what one worker counted for one port to `sum` (zeroed to begin). */
void tg_counts_add(struct tg_counts *sum, const struct tg_worker_counters *c);

/* Written by the control lcore, read by the worker: the population a
 * rate target asks for. Its own cache line, read-mostly. */
struct tg_worker_setting {
	atomic_uint_fast32_t sessions;
	atomic_uint_fast32_t speed_ppm;	/* model time per wall time */
} __rte_cache_aligned;

#define TG_SPEED_ONE 1000000u	/* speed_ppm of model time at its pace */

struct tg_worker_port {
	struct tg_worker_counters counters;
	struct tg_worker_setting setting;
	struct tg_port *port;
	struct tg_synth *synth;		/* NULL on a reel port */
	struct tg_player player;	/* player.reel NULL: live synthesis */
	struct tg_pcap_writer *pcap;	/* pcap ports */
	struct tg_label_writer labels;	/* ground truth; buf NULL: none */
	struct tg_tap *tap;		/* capture tap (capture.h); NULL: none */
	uint16_t queue;			/* device ports */
	uint64_t packet_limit;		/* 0: none */
	uint64_t packets_done;
	uint64_t bits_sent;
	uint64_t drops;
	uint64_t bytes_refused;		/* of the drops the NIC refused */
	uint64_t pcap_frames;		/* on disk, once the pcap is closed */
	uint32_t sessions;		/* running in the synth */
	uint32_t max_sessions;		/* the synth's share of `sessions` */
	double rate_share;		/* pps or bit/s of this worker's share */
	double speed;			/* model ns per wall ns; 0: no schedule */
	uint64_t model_ns;		/* model time now (device ports) */
	uint64_t elapsed_ns;		/* wall time of the run so far */
	uint64_t loops;
	struct tg_lateness lateness;	/* of every packet sent */
	bool draining;			/* past the duration: closing flows */
	bool finished;
};

struct tg_worker {
	unsigned lcore;
	unsigned n_ports;
	struct tg_worker_port ports[TG_MAX_PORTS];
	struct rte_mempool *pool;	/* mbufs for device ports */
	uint8_t *frames;		/* frame buffers for pcap ports */
	const atomic_bool *stop;	/* set by the control lcore */
	atomic_bool finished;		/* set by the worker when done */
	/* + 1 per round of the loop: the control lcore reports a worker
	 * whose heartbeat stands still (blocked in a write, or looping). */
	alignas(RTE_CACHE_LINE_SIZE) atomic_uint_fast64_t heartbeat;
	uint64_t duration_ns;		/* 0: none */
	char error[TG_WORKER_ERR_LEN];	/* set once, before finished */
};

/* Set up worker `index` (lcore `lcore`) for every port it serves: synths,
 * pcap writers, mbuf pool. Returns 0 or -1 with a message in err. */
int tg_worker_init(struct tg_worker *w, unsigned lcore,
		   struct tg_port *ports, const struct tg_config *cfg,
		   const struct tg_model *const *models,
		   const atomic_bool *stop, char *err, size_t errlen);

/* Release what tg_worker_init took (pcaps are closed by the loop). */
void tg_worker_free(struct tg_worker *w);

/* The lcore entry point (rte_lcore_function_t); arg is a tg_worker. */
int tg_worker_main(void *arg);

#endif /* TG_WORKER_H */
