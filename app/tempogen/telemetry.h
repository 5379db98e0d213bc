/* SPDX-License-Identifier: BSD-3-Clause
 * telemetry: the run's counters over DPDK's telemetry socket
 * (<runtime dir>/dpdk_telemetry.v2, docs/security.md):
 *   /tempogen/stats     counters of all ports together
 *   /tempogen/stats,P   of port P
 *   /tempogen/worker,L  of the worker on lcore L
 *   /tempogen/ports     port names
 *   /tempogen/workers   worker lcores
 * The callbacks run on DPDK's telemetry thread, so they only read what
 * the workers publish (struct tg_worker_counters, atomics) and the taps'
 * published drop counts.
 */
#ifndef TG_TELEMETRY_H
#define TG_TELEMETRY_H

#include "control.h"

/* Register the commands for `run`, once its workers are set up; the run
 * must stay in place until tg_telemetry_end. Returns 0 or -1. */
int tg_telemetry_start(const struct tg_run *run);

/* The run is over: the commands answer with an empty dict from now on. */
void tg_telemetry_end(void);

#endif /* TG_TELEMETRY_H */
