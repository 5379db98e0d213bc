/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "telemetry.h"

/* The published counters, by name: a new field of struct
 * tg_worker_counters is one more line here. Over several workers counts
 * add up; times (pacing percentiles, backlog) report the worst worker. */
#define COUNTER(f) { #f, offsetof(struct tg_worker_counters, f), false }
#define WORST(f) { #f, offsetof(struct tg_worker_counters, f), true }
static const struct {
	const char *name;
	size_t off;
	bool worst;
} counters[] = {
	COUNTER(packets),
	COUNTER(bytes),
	COUNTER(drops),
	COUNTER(flows_active),
	COUNTER(flows_started),
	COUNTER(flows_refused),
	COUNTER(sessions),
	WORST(backlog_ns),
	WORST(pacing_p50_ns),
	WORST(pacing_p99_ns),
	WORST(pacing_max_ns),
};
#define N_COUNTERS (sizeof(counters) / sizeof(counters[0]))

/* rte_telemetry callbacks take no argument in DPDK 22.11: the run they
 * report is this one pointer, set by start-up once the workers are set up
 * (their ports and taps never change after; the store publishes them) and
 * cleared when the run is over (the run itself is static storage, so a
 * callback that loaded it just before stays safe). */
static _Atomic(const struct tg_run *) tel_run;

struct sums {
	uint64_t v[N_COUNTERS];
	uint64_t capture_drops;
};

static void
add_counters(struct sums *s, const struct tg_worker_port *wp)
{
	for (size_t i = 0; i < N_COUNTERS; i++) {
		uint64_t v = atomic_load_explicit(
			(const atomic_uint_fast64_t *)((const char *)&wp->counters +
						       counters[i].off),
			memory_order_relaxed);

		if (!counters[i].worst)
			s->v[i] += v;
		else if (v > s->v[i])
			s->v[i] = v;
	}
}

static void
port_sums(const struct tg_run *run, unsigned port, struct sums *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned w = 0; w < run->cfg->n_workers; w++)
		for (unsigned i = 0; i < run->workers[w].n_ports; i++)
			if (run->workers[w].ports[i].port == &run->ports[port])
				add_counters(s, &run->workers[w].ports[i]);
	s->capture_drops = tg_capture_port_drops(run->capture, port);
}

static void
worker_sums(const struct tg_worker *wk, struct sums *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < wk->n_ports; i++) {
		add_counters(s, &wk->ports[i]);
		if (wk->ports[i].tap != NULL)
			s->capture_drops += tg_tap_drops(wk->ports[i].tap);
	}
}

static void
put_sums(struct rte_tel_data *d, const struct sums *s)
{
	for (size_t i = 0; i < N_COUNTERS; i++) {
		rte_tel_data_add_dict_u64(d, counters[i].name, s->v[i]);
		if (strcmp(counters[i].name, "bytes") == 0)
			rte_tel_data_add_dict_u64(d, "bits", s->v[i] * 8);
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
	struct sums total, s;

	(void)cmd;
	rte_tel_data_start_dict(d);
	if (run == NULL)
		return 0;
	if (params != NULL && params[0] != '\0')
		return one_port(run, params, d);
	memset(&total, 0, sizeof(total));
	for (unsigned p = 0; p < run->cfg->n_ports; p++) {
		port_sums(run, p, &s);
		for (size_t i = 0; i < N_COUNTERS; i++)
			total.v[i] += s.v[i];
		total.capture_drops += s.capture_drops;
	}
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
		struct sums s;

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
