/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_lcore.h>

#include "control.h"
#include "tg_clock.h"

#define POLL_NS 10000000L	/* look at the workers every 10 ms */
/* Rate targets. The worker's model clock holds whenever the port is at
 * its target, so the rate never runs over; to keep it from falling short,
 * ten times a second the speed of the clock is raised while the port is
 * behind (it acts on every flow at once), and lowered to a little above
 * the speed the clock really kept. Once a second the population follows
 * that speed (it acts slowly, as flows start and end), so that the clock
 * runs near 1 and each conversation keeps the model's inner timing. */
#define RATE_STEP_S 0.1
#define POPULATION_STEPS 10	/* speed steps per population step */
#define BEHIND_S 0.001		/* behind by more traffic than this: faster */
#define SPEED_GAIN 5.0		/* log-speed change per second behind */
#define SPEED_STEP_MAX 0.05	/* ... at most, per step */
#define SPEED_HEADROOM 1.05	/* over the speed the clock kept */
#define SPEED_MIN 0.25
#define SPEED_MAX 2.0
#define SPEED_BAND 0.1		/* the population moves outside 1 +- this */
#define POPULATION_STEP_MAX 1.25
/* After the stop, how long a worker may take to close its outputs. */
#define STOP_GRACE_S 30.0

static double
now_seconds(void)
{
	return (double)tg_clock_ns(CLOCK_MONOTONIC) * 1e-9;
}

/* Add up what every worker serving port `p` has counted. */
void
tg_run_port_counts(const struct tg_run *run, const struct tg_port *p,
		   struct tg_counts *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned w = 0; w < run->cfg->n_workers; w++) {
		const struct tg_worker *wk = &run->workers[w];

		for (unsigned i = 0; i < wk->n_ports; i++)
			if (wk->ports[i].port == p)
				tg_counts_add(sum, &wk->ports[i].counters);
	}
}

static double
clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* One correction of one worker's speed (and now and then population) for
 * its share of the port's target. */
static void
rate_step(struct tg_worker_port *wp, struct tg_rate_ctl *rc)
{
	struct tg_counts c = { 0 };
	double target = wp->rate_share;
	uint64_t sent, t, model;
	double behind_s, kept;

	tg_counts_add(&c, &wp->counters);
	sent = wp->port->cfg->rate.kind == TG_RATE_PPS ? c.packets
						       : c.bytes * 8;
	t = c.elapsed_ns;
	model = c.model_ns;

	if (rc->sessions == 0) {
		rc->sessions = (uint32_t)atomic_load_explicit(
			&wp->setting.sessions, memory_order_relaxed);
		rc->speed = 1;
		rc->kept_sum = 0;
	}
	if (target <= 0 || t <= rc->last_ns)
		return;
	kept = (double)(model - rc->last_model) / (double)(t - rc->last_ns);
	rc->last_ns = t;
	rc->last_model = model;
	behind_s = ((double)t * 1e-9 * target - (double)sent) / target;
	if (behind_s > BEHIND_S)
		rc->speed *= exp(fmin(SPEED_GAIN * behind_s, SPEED_STEP_MAX));
	else
		rc->speed = fmin(rc->speed, kept * SPEED_HEADROOM);
	rc->speed = clamp(rc->speed, SPEED_MIN, SPEED_MAX);
	atomic_store_explicit(&wp->setting.speed_ppm,
			      (uint32_t)(rc->speed * TG_SPEED_ONE),
			      memory_order_relaxed);
	rc->kept_sum += kept;
	if (++rc->steps % POPULATION_STEPS != 0)
		return;
	kept = rc->kept_sum / POPULATION_STEPS;	/* over the last second */
	rc->kept_sum = 0;
	if (fabs(kept - 1) < SPEED_BAND)
		return;
	rc->sessions = (uint32_t)clamp(
		(double)rc->sessions * clamp(kept, 1 / POPULATION_STEP_MAX,
					     POPULATION_STEP_MAX),
		1, wp->max_sessions);
	atomic_store_explicit(&wp->setting.sessions, rc->sessions,
			      memory_order_relaxed);
}

static void
steer_rates(struct tg_run *run)
{
	for (unsigned w = 0; w < run->cfg->n_workers; w++) {
		struct tg_worker *wk = &run->workers[w];

		for (unsigned i = 0; i < wk->n_ports; i++)
			if (tg_port_has_rate_target(wk->ports[i].port->cfg))
				rate_step(&wk->ports[i], &run->rate[w][i]);
	}
}

static bool
worker_finished(const struct tg_worker *w)
{
	return atomic_load_explicit(&w->finished, memory_order_acquire);
}

/* Report each worker whose loop has stood still for TG_WORKER_HUNG_S
 * (blocked in a write, or stuck): once, on stderr. Returns how many. */
static unsigned
watch_workers(struct tg_run *run, double now)
{
	for (unsigned w = 0; w < run->cfg->n_workers; w++) {
		const struct tg_worker *wk = &run->workers[w];
		struct tg_watch *wt = &run->watch[w];
		uint64_t beat = atomic_load_explicit(&wk->heartbeat,
						     memory_order_relaxed);

		if (wt->since == 0 || beat != wt->heartbeat) {
			wt->heartbeat = beat;
			wt->since = now;
			continue;
		}
		if (wt->reported || worker_finished(wk) ||
		    now - wt->since < TG_WORKER_HUNG_S)
			continue;
		fprintf(stderr, "tempogen: worker lcore %u is not responding "
			"(its loop has not moved for %.1f s); stopping the "
			"run\n", wk->lcore, now - wt->since);
		wt->reported = true;
		run->hung++;
	}
	return run->hung;
}

static bool
all_finished(const struct tg_run *run)
{
	for (unsigned w = 0; w < run->cfg->n_workers; w++)
		if (!worker_finished(&run->workers[w]))
			return false;
	return true;
}

static void
print_live(const struct tg_run *run, struct tg_counts *last,
	   double elapsed, double interval)
{
	for (unsigned i = 0; i < run->cfg->n_ports; i++) {
		struct tg_counts t;

		tg_run_port_counts(run, &run->ports[i], &t);
		printf("[%7.1fs] %-10s %12.0f pkt/s %10.2f Mbit/s  "
		       "flows %8" PRIu64 " (%.0f/s started)  drops %" PRIu64,
		       elapsed, run->cfg->ports[i].name,
		       (double)(t.packets - last[i].packets) / interval,
		       (double)(t.bytes - last[i].bytes) * 8e-6 / interval,
		       t.flows_active,
		       (double)(t.flows_started - last[i].flows_started) /
		       interval, t.drops);
		if (!run->cfg->ports[i].is_pcap)
			printf("  sessions %" PRIu64 "  late p99 %.1f us",
			       t.sessions, (double)t.pacing_p99_ns * 1e-3);
		tg_capture_print_live(run->capture, i);
		putchar('\n');
		last[i] = t;
	}
	fflush(stdout);
}

/* After the stop: wait for the workers to close their outputs. One that
 * does not within STOP_GRACE_S (TG_WORKER_HUNG_S if one hung already) is
 * reported and left behind. */
static void
wait_workers(struct tg_run *run)
{
	const struct timespec poll = { 0, POLL_NS };
	double deadline = now_seconds() +
			  (run->hung ? TG_WORKER_HUNG_S : STOP_GRACE_S);

	while (!all_finished(run) && now_seconds() < deadline)
		nanosleep(&poll, NULL);
	for (unsigned w = 0; w < run->cfg->n_workers; w++) {
		struct tg_watch *wt = &run->watch[w];

		if (worker_finished(&run->workers[w]) || wt->reported)
			continue;
		fprintf(stderr, "tempogen: worker lcore %u did not finish "
			"after the stop\n", run->workers[w].lcore);
		wt->reported = true;
		run->hung++;
	}
	if (run->hung == 0)
		rte_eal_mp_wait_lcore();
}

double
tg_control_loop(struct tg_run *run, const volatile sig_atomic_t *signalled)
{
	struct tg_counts last[TG_MAX_PORTS] = { 0 };
	const struct timespec poll = { 0, POLL_NS };
	double start = now_seconds(), next = start + run->cfg->stats_interval;
	double prev = start, next_step = start + RATE_STEP_S;

	while (!*signalled && !all_finished(run)) {
		double now;

		nanosleep(&poll, NULL);
		now = now_seconds();
		if (watch_workers(run, now) > 0)
			break;
		if (now >= next_step) {
			steer_rates(run);
			next_step += RATE_STEP_S;
		}
		if (now >= next) {
			print_live(run, last, now - start, now - prev);
			prev = now;
			next += run->cfg->stats_interval;
		}
	}
	atomic_store_explicit(&run->stop, true, memory_order_release);
	wait_workers(run);
	return now_seconds() - start;
}

/* How late the port's packets left against their schedule: the merged
 * histograms of the workers that finished (a worker left behind still
 * owns its own). */
static void
print_pacing(const struct tg_run *run, const struct tg_port *p)
{
	struct tg_lateness all;		/* 4 KiB */

	memset(&all, 0, sizeof(all));
	for (unsigned w = 0; w < run->cfg->n_workers; w++) {
		const struct tg_worker *wk = &run->workers[w];

		if (!worker_finished(wk))
			continue;
		for (unsigned i = 0; i < wk->n_ports; i++)
			if (wk->ports[i].port == p)
				tg_lateness_merge(&all, &wk->ports[i].lateness);
	}
	if (all.count == 0)
		return;
	printf("  %-10s pacing error (sent - scheduled) p50 %.1f us  p90 "
	       "%.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us\n", "",
	       tg_lateness_quantile(&all, 0.5) * 1e-3,
	       tg_lateness_quantile(&all, 0.9) * 1e-3,
	       tg_lateness_quantile(&all, 0.99) * 1e-3,
	       tg_lateness_quantile(&all, 0.999) * 1e-3, all.max_ns * 1e-3);
}

/* A rate target against what the port did over its workers' run time. */
static void
print_rate(const struct tg_port_cfg *pc, const struct tg_counts *t)
{
	bool pps = pc->rate.kind == TG_RATE_PPS;
	double seconds = (double)t->elapsed_ns * 1e-9, done;
	double sessions = (double)t->sessions;

	if (seconds <= 0)
		return;
	done = (pps ? (double)t->packets : (double)t->bytes * 8) / seconds;
	printf("  %-10s rate target %.3f %s  achieved %.3f (%+.2f%%) over "
	       "%.2f s  sessions %.0f\n", "", pc->rate.value * 1e-6,
	       pps ? "Mpps" : "Mbit/s", done * 1e-6,
	       (done / pc->rate.value - 1) * 100, seconds, sessions);
	if (done < pc->rate.value * 0.99 && sessions >= pc->sessions)
		printf("  %-10s the population reached its limit (port key "
		       "`sessions`, %u): raise it to reach the target\n", "",
		       pc->sessions);
}

/* "labels written: PATH (N flows)" or "pcap written: PATH (N packets)",
 * counted by the port's workers, which are done with their writers; or
 * "... incomplete" when one of them did not finish (it still holds its
 * writer, whose buffer never reached the file). */
static void
print_output(const struct tg_run *run, const struct tg_port *p, bool labels)
{
	const char *what = labels ? "labels" : "pcap";
	const char *path = labels ? p->cfg->labels_path : p->cfg->pcap_path;
	uint64_t n = 0;

	for (unsigned w = 0; w < run->cfg->n_workers; w++) {
		const struct tg_worker *wk = &run->workers[w];

		for (unsigned k = 0; k < wk->n_ports; k++) {
			if (wk->ports[k].port != p)
				continue;
			if (!worker_finished(wk)) {
				printf("%s incomplete: %s (worker lcore %u did "
				       "not finish)\n", what, path, wk->lcore);
				return;
			}
			n += labels ? wk->ports[k].labels.written
				    : wk->ports[k].pcap_frames;
		}
	}
	printf("%s written: %s (%" PRIu64 " %s)\n", what, path, n,
	       labels ? "flows" : "packets");
}

/* "reel NAME/LCORE: N turns, C frames copied": how often a frame was, or
 * could be, still out (a capture tap, a long TX ring, a NIC that refused
 * packets) when its turn came again (or, rarely, a body found no room in
 * the stage of a device that sends no chains); and how many packets with
 * a fresh body went out staged, in one segment (tg_reel_stage_next). */
static void
print_reels(const struct tg_run *run, const struct tg_port *p)
{
	for (unsigned w = 0; w < run->cfg->n_workers; w++) {
		const struct tg_worker *wk = &run->workers[w];

		for (unsigned k = 0; k < wk->n_ports; k++) {
			const struct tg_player *pl = &wk->ports[k].player;

			if (wk->ports[k].port != p || pl->reel == NULL)
				continue;
			printf("  reel %s/%u: %" PRIu64 " turns, %" PRIu64
			       " frames copied (maybe still out when their "
			       "turn came), %" PRIu64 " bodies staged\n",
			       p->cfg->name, wk->lcore, pl->cursor->turn,
			       pl->copies, tg_reel_staged(pl->reel));
		}
	}
}

int
tg_control_summary(const struct tg_run *run, double seconds)
{
	int rc = 0;

	printf("summary: %.2f s\n", seconds);
	for (unsigned i = 0; i < run->cfg->n_ports; i++) {
		const struct tg_port_cfg *pc = &run->cfg->ports[i];
		struct tg_counts t;

		tg_run_port_counts(run, &run->ports[i], &t);
		printf("  %-10s packets %" PRIu64 "  bytes %" PRIu64
		       "  flows %" PRIu64 " (refused %" PRIu64 ")  drops %"
		       PRIu64 "  avg %.0f pkt/s %.2f Mbit/s\n",
		       pc->name, t.packets, t.bytes, t.flows_started,
		       t.flows_refused, t.drops,
		       seconds > 0 ? (double)t.packets / seconds : 0.0,
		       seconds > 0 ? (double)t.bytes * 8e-6 / seconds : 0.0);
		if (tg_port_has_rate_target(pc))
			print_rate(pc, &t);
		print_pacing(run, &run->ports[i]);
		print_reels(run, &run->ports[i]);
	}
	for (unsigned w = 0; w < run->cfg->n_workers; w++) {
		if (run->workers[w].error[0] != '\0') {
			fprintf(stderr, "tempogen: %s\n",
				run->workers[w].error);
			rc = -1;
		}
	}
	/* The last lines name what was written, for scripts and people. */
	for (unsigned i = 0; i < run->cfg->n_ports; i++)
		if (run->cfg->ports[i].labels_path[0] != '\0')
			print_output(run, &run->ports[i], true);
	for (unsigned i = 0; i < run->cfg->n_ports; i++)
		if (run->cfg->ports[i].is_pcap)
			print_output(run, &run->ports[i], false);
	if (tg_capture_summary(run->capture) != 0)
		rc = -1;
	fflush(stdout);
	return rc;
}
