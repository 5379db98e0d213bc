/* SPDX-License-Identifier: BSD-3-Clause
 * control: what the control lcore does while the workers run: watch for
 * the end of the run, print live statistics, and print the summary.
 */
#ifndef TG_CONTROL_H
#define TG_CONTROL_H

#include <signal.h>
#include <stdatomic.h>

#include "capture.h"
#include "port.h"
#include "worker.h"

/* The control lcore's view of one worker's port under a rate target. */
struct tg_rate_ctl {
	uint64_t last_ns;	/* the worker's elapsed time at the last step */
	uint64_t last_model;	/* ... and its model clock */
	uint64_t steps;
	double kept_sum;	/* speeds the clock kept since the last
				 * population step */
	double speed;		/* model time per wall time asked for */
	uint32_t sessions;	/* the population asked for */
};

/* The control lcore's view of one worker's liveness. */
struct tg_watch {
	uint64_t heartbeat;	/* last seen */
	double since;		/* when it last moved (s) */
	bool reported;
};

struct tg_run {
	const struct tg_config *cfg;
	struct tg_port ports[TG_MAX_PORTS];
	struct tg_worker *workers;	/* cfg->n_workers of them */
	struct tg_capture *capture;	/* capture taps; NULL: none */
	atomic_bool stop;		/* tells the workers to stop */
	/* Control lcore only. */
	struct tg_rate_ctl rate[TG_MAX_WORKERS][TG_MAX_PORTS];
	struct tg_watch watch[TG_MAX_WORKERS];
	unsigned hung;			/* workers that stopped responding */
};

/* Add up what every worker serving port `p` has counted. */
void tg_run_port_counts(const struct tg_run *run, const struct tg_port *p,
			struct tg_counts *sum);

/* A worker whose loop has not gone round for this long is reported as
 * not responding, and the run stops. */
#define TG_WORKER_HUNG_S 3.0

/* Print statistics every cfg->stats_interval until every worker finished
 * or *signalled becomes non-zero; steer the populations of rate targets;
 * then ask the workers to stop and wait for them. A worker that stops
 * responding is reported and ends the run; if it does not finish within
 * TG_WORKER_HUNG_S of the stop, it is left behind (run->hung > 0: the
 * caller must not wait for it). Returns the seconds the run took. */
double tg_control_loop(struct tg_run *run,
		       const volatile sig_atomic_t *signalled);

/* Print the final summary. Returns 0 if no worker reported an error. */
int tg_control_summary(const struct tg_run *run, double seconds);

#endif /* TG_CONTROL_H */
