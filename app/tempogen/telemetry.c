/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "telemetry.h"

/* The published counters, by name (struct tg_counts, worker.h, says
 * how they add up over several workers). */
#define COUNTER(f) { #f, offsetof(struct tg_counts, f) }
static const struct {
	const char *name;
	size_t off;
} counters[] = {
	COUNTER(packets),
	COUNTER(bytes),
	COUNTER(drops),
	COUNTER(flows_active),
	COUNTER(flows_started),
	COUNTER(flows_refused),
	COUNTER(sessions),
	COUNTER(backlog_ns),
	COUNTER(pacing_p50_ns),
	COUNTER(pacing_p99_ns),
	COUNTER(pacing_max_ns),
};
#define N_COUNTERS (sizeof(counters) / sizeof(counters[0]))

/* rte_telemetry callbacks take no argument in DPDK 22.11: the run they
 * report is this one pointer, set by start-up once the workers are set up
 * (their ports and taps never change after; the store publishes them) and
 * cleared when the run is over (the run itself is static storage, so a
 * callback that loaded it just before stays safe). */
static _Atomic(const struct tg_run *) tel_run;

struct sums {
	struct tg_counts counts;
	uint64_t capture_drops;
};

static void
port_sums(const struct tg_run *run, unsigned port, struct sums *s)
{
	tg_run_port_counts(run, &run->ports[port], &s->counts);
	s->capture_drops = tg_capture_port_drops(run->capture, port);
}

static void
worker_sums(const struct tg_worker *wk, struct sums *s)
{
	for (unsigned i = 0; i < wk->n_ports; i++) {
		tg_counts_add(&s->counts, &wk->ports[i].counters);
		if (wk->ports[i].tap != NULL)
			s->capture_drops += tg_tap_drops(wk->ports[i].tap);
	}
}

/* Every port's: the times the worst over all ports, the capture's drops
 * with those of its files (which no tap counts). */
static void
total_sums(const struct tg_run *run, struct sums *s)
{
	for (unsigned w = 0; w < run->cfg->n_workers; w++)
		for (unsigned i = 0; i < run->workers[w].n_ports; i++)
			tg_counts_add(&s->counts,
				      &run->workers[w].ports[i].counters);
	for (unsigned p = 0; p < run->cfg->n_ports; p++)
		s->capture_drops += tg_capture_port_drops(run->capture, p);
}

static void
put_sums(struct rte_tel_data *d, const struct sums *s)
{
	for (size_t i = 0; i < N_COUNTERS; i++) {
		uint64_t v = *(const uint64_t *)((const char *)&s->counts +
						 counters[i].off);

		rte_tel_data_add_dict_u64(d, counters[i].name, v);
		if (strcmp(counters[i].name, "bytes") == 0)
			rte_tel_data_add_dict_u64(d, "bits", v * 8);
	}
	rte_tel_data_add_dict_u64(d, "capture_drops", s->capture_drops);
}

static int
one_port(const struct tg_run *run, const char *name, struct rte_tel_data *d)
{
	for (unsigned p = 0; p < run->cfg->n_ports; p++) {
		struct sums s;

		if (strcmp(run->cfg->ports[p].name, name) != 0)
			continue;
		port_sums(run, p, &s);
		rte_tel_data_add_dict_string(d, "name", name);
		put_sums(d, &s);
		return 0;
	}
	return -1;	/* telemetry answers null: no such port */
}

/* Telemetry in 22.11 nests one level only (no array of dicts in a
 * dict): like /ethdev/stats,ID, the totals come without a parameter and
 * one port's with its name. */
static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tg_run *run = atomic_load(&tel_run);
	struct sums total;

	(void)cmd;
	rte_tel_data_start_dict(d);
	if (run == NULL)
		return 0;
	if (params != NULL && params[0] != '\0')
		return one_port(run, params, d);
	memset(&total, 0, sizeof(total));
	total_sums(run, &total);
	put_sums(d, &total);
	return 0;
}

static int
cmd_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tg_run *run = atomic_load(&tel_run);
	char *end;
	unsigned long lcore;

	(void)cmd;
	rte_tel_data_start_dict(d);
	if (run == NULL || params == NULL || params[0] == '\0')
		return -1;
	lcore = strtoul(params, &end, 10);
	for (unsigned w = 0; *end == '\0' && w < run->cfg->n_workers; w++) {
		struct sums s = { 0 };

		if (run->workers[w].lcore != lcore)
			continue;
		worker_sums(&run->workers[w], &s);
		rte_tel_data_add_dict_int(d, "lcore", (int)lcore);
		put_sums(d, &s);
		return 0;
	}
	return -1;
}

static int
cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tg_run *run = atomic_load(&tel_run);

	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (unsigned p = 0; run != NULL && p < run->cfg->n_ports; p++)
		rte_tel_data_add_array_string(d, run->cfg->ports[p].name);
	return 0;
}

static int
cmd_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tg_run *run = atomic_load(&tel_run);

	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	for (unsigned w = 0; run != NULL && w < run->cfg->n_workers; w++)
		rte_tel_data_add_array_int(d, (int)run->workers[w].lcore);
	return 0;
}

int
tg_telemetry_start(const struct tg_run *run)
{
	atomic_store(&tel_run, run);
	if (rte_telemetry_register_cmd("/tempogen/stats", cmd_stats,
				       "Counters of all ports, or of one. "
				       "Parameters: none or a port name") ||
	    rte_telemetry_register_cmd("/tempogen/worker", cmd_worker,
				       "Counters of one worker. Parameters: "
				       "its lcore id") ||
	    rte_telemetry_register_cmd("/tempogen/ports", cmd_ports,
				       "Port names. Takes no parameters") ||
	    rte_telemetry_register_cmd("/tempogen/workers", cmd_workers,
				       "Worker lcores. Takes no parameters"))
		return -1;
	return 0;
}

void
tg_telemetry_end(void)
{
	atomic_store(&tel_run, NULL);
}
