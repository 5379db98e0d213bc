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

struct tg_run {
	const struct tg_config *cfg;
	struct tg_port ports[TG_MAX_PORTS];
	struct tg_worker *workers;	/* cfg->n_workers of them */
	struct tg_capture *capture;	/* capture taps; NULL: none */
	atomic_bool stop;		/* tells the workers to stop */
};

/* Print statistics every cfg->stats_interval until every worker finished
 * or *signalled becomes non-zero; then ask the workers to stop.
 * Returns the seconds the run took. */
double tg_control_loop(struct tg_run *run,
		       const volatile sig_atomic_t *signalled);

/* Print the final summary. Returns 0 if no worker reported an error. */
int tg_control_summary(const struct tg_run *run, double seconds);

#endif /* TG_CONTROL_H */
