/* SPDX-License-Identifier: BSD-3-Clause
 * capture: the capture tap of device ports (port key `capture`). A worker
 * takes one more reference on each mbuf it hands to the NIC and puts the
 * pointer on its tap, a single-producer single-consumer ring per (worker,
 * port); no byte is copied on the fast path. The writer lcore
 * (lcores.capture) empties every tap in bursts into the port's pcap with
 * the one pcap writer (lib/pcap) and frees the mbufs. A full ring drops
 * from the capture only, never from the port, and every such drop is
 * counted. The writer runs until every worker has finished, then drains
 * the taps and closes the files, so a capture is whole on every exit path.
 */
#ifndef TG_CAPTURE_H
#define TG_CAPTURE_H

#include <stdint.h>

#include "tg_config.h"

struct rte_mbuf;
struct tg_worker;
struct tg_capture;

/* One tap: the ring from one worker's port to the writer. */
struct tg_tap;

/* Before rte_eth_tx_burst: reference (and time-stamp) as many of the
 * burst's n mbufs as the tap has room for. */
void tg_tap_hold(struct tg_tap *t, struct rte_mbuf **m, unsigned n);

/* After it: put the first `sent` mbufs on the ring and release the
 * references of those the NIC did not take. Packets sent but not held
 * are capture drops. */
void tg_tap_sent(struct tg_tap *t, struct rte_mbuf **m, unsigned sent);

/* Capture drops of one tap so far (any lcore). */
uint64_t tg_tap_drops(const struct tg_tap *t);

/* Extra mbufs a worker's pool needs for the tap of device port `pc`
 * (what its ring holds and the writer lcore's mempool cache); 0 without
 * a capture. */
unsigned tg_capture_mbufs(const struct tg_port_cfg *pc);

/* Open the capture files and register the time-stamp field. *out is NULL
 * when no port captures. Returns 0, or -1 with a message in err. */
int tg_capture_create(const struct tg_config *cfg, struct tg_capture **out,
		      char *err, size_t errlen);

/* Give each of the n set-up workers a tap for each captured port it
 * serves (before they are launched). Returns 0 or -1 with err. */
int tg_capture_attach(struct tg_capture *c, struct tg_worker *workers,
		      unsigned n, char *err, size_t errlen);

/* Start the writer on lcores.capture (after the workers are launched: it
 * ends when they all have). Returns 0 or -1 with err. */
int tg_capture_launch(struct tg_capture *c, char *err, size_t errlen);

/* Capture drops of port index `port` so far (0 for NULL or no capture). */
uint64_t tg_capture_port_drops(const struct tg_capture *c, unsigned port);

/* Print "  capture drops N" for a captured port (nothing otherwise). */
void tg_capture_print_live(const struct tg_capture *c, unsigned port);

/* After every lcore ended: the writer's figures and one line per file,
 * "capture written: PATH (N packets, D dropped)". Returns 0, or -1 when
 * a file could not be written (the reason on stderr). */
int tg_capture_summary(const struct tg_capture *c);

/* After every lcore ended and before the workers' pools are freed: free
 * what is still on the taps, close files the writer never ran for. */
void tg_capture_free(struct tg_capture *c);

#endif /* TG_CAPTURE_H */
