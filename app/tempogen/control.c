/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_lcore.h>

#include "control.h"

#define POLL_NS 10000000L	/* look at the workers every 10 ms */

struct port_totals {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drops;
	uint64_t flows_active;
	uint64_t flows_started;
	uint64_t flows_refused;
};

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t
load(const atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* Sum what every worker serving port `p` has counted. */
static void
port_totals(const struct tg_run *run, const struct tg_port *p,
	    struct port_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned w = 0; w < run->cfg->n_workers; w++) {
		const struct tg_worker *wk = &run->workers[w];

		for (unsigned i = 0; i < wk->n_ports; i++) {
			const struct tg_worker_counters *c =
				&wk->ports[i].counters;

			if (wk->ports[i].port != p)
				continue;
			t->packets += load(&c->packets);
			t->bytes += load(&c->bytes);
			t->drops += load(&c->drops);
			t->flows_active += load(&c->flows_active);
			t->flows_started += load(&c->flows_started);
			t->flows_refused += load(&c->flows_refused);
		}
	}
}

static bool
all_finished(const struct tg_run *run)
{
	for (unsigned w = 0; w < run->cfg->n_workers; w++)
		if (!atomic_load_explicit(&run->workers[w].finished,
					  memory_order_acquire))
			return false;
	return true;
}

static void
print_live(const struct tg_run *run, struct port_totals *last,
	   double elapsed, double interval)
{
	for (unsigned i = 0; i < run->cfg->n_ports; i++) {
		struct port_totals t;

		port_totals(run, &run->ports[i], &t);
		printf("[%7.1fs] %-10s %12.0f pkt/s %10.2f Mbit/s  "
		       "flows %8" PRIu64 "  drops %" PRIu64,
		       elapsed, run->cfg->ports[i].name,
		       (double)(t.packets - last[i].packets) / interval,
		       (double)(t.bytes - last[i].bytes) * 8e-6 / interval,
		       t.flows_active, t.drops);
		tg_capture_print_live(run->capture, i);
		putchar('\n');
		last[i] = t;
	}
	fflush(stdout);
}

double
tg_control_loop(struct tg_run *run, const volatile sig_atomic_t *signalled)
{
	struct port_totals last[TG_MAX_PORTS] = { 0 };
	const struct timespec poll = { 0, POLL_NS };
	double start = now_seconds(), next = start + run->cfg->stats_interval;
	double prev = start;

	while (!*signalled && !all_finished(run)) {
		double now;

		nanosleep(&poll, NULL);
		now = now_seconds();
		if (now >= next) {
			print_live(run, last, now - start, now - prev);
			prev = now;
			next += run->cfg->stats_interval;
		}
	}
	atomic_store_explicit(&run->stop, true, memory_order_release);
	rte_eal_mp_wait_lcore();
	return now_seconds() - start;
}

int
tg_control_summary(const struct tg_run *run, double seconds)
{
	int rc = 0;

	printf("summary: %.2f s\n", seconds);
	for (unsigned i = 0; i < run->cfg->n_ports; i++) {
		const struct tg_port_cfg *pc = &run->cfg->ports[i];
		struct port_totals t;

		port_totals(run, &run->ports[i], &t);
		printf("  %-10s packets %" PRIu64 "  bytes %" PRIu64
		       "  flows %" PRIu64 " (refused %" PRIu64 ")  drops %"
		       PRIu64 "  avg %.0f pkt/s %.2f Mbit/s\n",
		       pc->name, t.packets, t.bytes, t.flows_started,
		       t.flows_refused, t.drops,
		       seconds > 0 ? (double)t.packets / seconds : 0.0,
		       seconds > 0 ? (double)t.bytes * 8e-6 / seconds : 0.0);
	}
	for (unsigned w = 0; w < run->cfg->n_workers; w++) {
		if (run->workers[w].error[0] != '\0') {
			fprintf(stderr, "tempogen: %s\n",
				run->workers[w].error);
			rc = -1;
		}
	}
	/* The last lines name what was written, for scripts and people. */
	for (unsigned i = 0; i < run->cfg->n_ports; i++) {
		const struct tg_port_cfg *pc = &run->cfg->ports[i];
		uint64_t flows = 0;

		if (pc->labels_path[0] == '\0')
			continue;
		/* The workers are done: their writers are theirs no more. */
		for (unsigned w = 0; w < run->cfg->n_workers; w++)
			for (unsigned k = 0; k < run->workers[w].n_ports; k++)
				if (run->workers[w].ports[k].port ==
				    &run->ports[i])
					flows += run->workers[w].ports[k]
							 .labels.written;
		printf("labels written: %s (%" PRIu64 " flows)\n",
		       pc->labels_path, flows);
	}
	for (unsigned i = 0; i < run->cfg->n_ports; i++) {
		const struct tg_port_cfg *pc = &run->cfg->ports[i];
		uint64_t frames = 0;

		if (!pc->is_pcap)
			continue;
		for (unsigned w = 0; w < run->cfg->n_workers; w++)
			for (unsigned k = 0; k < run->workers[w].n_ports; k++)
				if (run->workers[w].ports[k].port ==
				    &run->ports[i])
					frames += run->workers[w].ports[k]
							  .pcap_frames;
		printf("pcap written: %s (%" PRIu64 " packets)\n",
		       pc->pcap_path, frames);
	}
	if (tg_capture_summary(run->capture) != 0)
		rc = -1;
	fflush(stdout);
	return rc;
}
