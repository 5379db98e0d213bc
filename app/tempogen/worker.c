/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include "eal_args.h"
#include "worker.h"

/* pcap outputs start at a fixed instant (2026-01-01T00:00:00Z) so that the
 * same config and seed always give the same file. */
#define PCAP_EPOCH_NS (1767225600ull * 1000000000ull)
#define TX_RETRIES 8
/* A pcap port's file: buffers a thread of the pcap writer writes, so the
 * worker synthesizes while the disk writes (measured: a reel to ext4 in
 * 5.4 to 7.1 s instead of 10.8 with write(2) on the worker). */
#define PCAP_BUFFER (1u << 20)
#define PCAP_BUFFERS 8
/* Room for the largest frame we write (jumbo frames are not generated). */
#define FRAME_BUF 2048
#define POOL_CACHE 256
#define LABEL_BURST 64
/* Counters are published every this many rounds + 1 (a few
 * microseconds at full speed: the control lcore reads them every 10 ms),
 * lateness percentiles (a walk of the histogram) more rarely. */
#define PUBLISH_MASK 15u
#define PACING_PUBLISH_MASK 1023u

static uint64_t
share_of(uint64_t total, unsigned n, unsigned i)
{
	return total / n + (i < total % n ? 1 : 0);
}

/* How fast model time runs on a device port at the start: model ns per
 * wall ns, or 0 for no schedule (unlimited, and pcap ports, whose time
 * is the model's). */
static double
speed_of(const struct tg_port_cfg *pc)
{
	if (pc->is_pcap || pc->rate.kind == TG_RATE_UNLIMITED)
		return 0;
	return pc->rate.kind == TG_RATE_MODEL ? pc->rate.time_factor : 1;
}

/* A rate target runs the model at its own pace and reaches the rate by
 * the number of sessions: as many as one session's measured output says,
 * then whatever the control lcore asks for. */
static int
plan_population(struct tg_worker_port *wp, struct tg_synth_params *params,
		char *err, size_t errlen)
{
	const struct tg_port_cfg *pc = wp->port->cfg;
	struct tg_synth_rate one;
	double per_session, want;

	wp->speed = speed_of(pc);
	wp->max_sessions = params->sessions;
	wp->sessions = params->sessions;
	if (!tg_port_has_rate_target(pc))
		goto publish;
	wp->rate_share = pc->rate.value / pc->n_workers;
	if (pc->reel)
		goto publish;	/* a reel reaches the rate by its pace */
	if (tg_synth_measure_session(params, &one, err, errlen) != 0)
		return -1;
	per_session = pc->rate.kind == TG_RATE_PPS ? one.packets : one.bits;
	want = per_session > 0 ? wp->rate_share / per_session : 1;
	wp->sessions = want < 1 ? 1
		       : want > params->sessions ? params->sessions
						 : (uint32_t)want;
	params->active_sessions = wp->sessions;
publish:
	atomic_init(&wp->setting.sessions, wp->sessions);
	atomic_init(&wp->setting.speed_ppm, TG_SPEED_ONE);
	return 0;
}

/* A reel port records its reel now. A rate target plays it faster or
 * slower than the model's pace, as the reel's own rate asks. */
static int
init_player(struct tg_worker *w, struct tg_worker_port *wp,
	    unsigned port_index, const struct tg_synth_params *params,
	    char *err, size_t errlen)
{
	const struct tg_port_cfg *pc = wp->port->cfg;
	struct tg_player *pl = &wp->player;
	char name[16];
	double per_s;
	bool dma;

	snprintf(name, sizeof(name), "p%u_w%u", port_index, wp->queue);
	/* Frames a virtual device reads need not be DPDK memory: without
	 * huge pages for EAL, the player finds them some. */
	dma = !pc->is_pcap && (rte_eal_has_hugepages() ||
			       !tg_device_is_vdev(pc->device));
	if (tg_player_init(pl, params, pc->reel, pc->is_pcap ? NULL : name,
			   (int)rte_lcore_to_socket_id(w->lcore), dma,
			   wp->port->offload,
			   pc->fresh_ciphertext,
			   pc->is_pcap || wp->port->segments,
			   pc->tx_desc + 2u * pc->burst + tg_capture_mbufs(pc),
			   tg_capture_mbufs(pc) != 0, err, errlen) != 0)
		return -1;
	per_s = pc->rate.kind == TG_RATE_PPS ? (double)pl->info.packets
					     : (double)pl->info.bytes * 8;
	per_s /= (double)pl->info.period_ns * 1e-9;
	if (tg_port_has_rate_target(pc) && per_s > 0)
		pl->pace = wp->rate_share / per_s;
	printf("reel %s/%u: %" PRIu64 " packets, %" PRIu64 " flows, %.3f s "
	       "of model time a turn, %.1f MiB of frames, pace %.3g, %s "
	       "(%.0f%% of packets end in ciphertext)%s\n",
	       pc->name, w->lcore, pl->info.packets, pl->info.flows,
	       (double)pl->info.period_ns * 1e-9,
	       (double)pl->info.arena_bytes / (1 << 20), pl->pace,
	       pl->cursor->bodies ? "fresh ciphertext bodies" : "payloads as recorded",
	       100.0 * (double)pl->info.bodies / (double)pl->info.packets,
	       pc->is_pcap ? "" : pl->carriers == NULL ? ", heads lent"
						       : ", in carriers");
	return 0;
}

static int
init_port(struct tg_worker *w, struct tg_worker_port *wp, unsigned port_index,
	  const struct tg_config *cfg, const struct tg_model *model,
	  char *err, size_t errlen)
{
	const struct tg_port_cfg *pc = wp->port->cfg;
	struct tg_synth_params params = {
		.model = model,
		.port = pc,
		.seed = cfg->seed,
		.stream = (uint64_t)port_index * TG_MAX_WORKERS + wp->queue,
		.worker_index = wp->queue,
		.n_workers = pc->n_workers,
		.max_flows = pc->max_flows,
		.sessions = share_of(pc->sessions, pc->n_workers, wp->queue),
		.offload = wp->port->offload,
		.labels = pc->labels_path[0] != '\0',
	};
	char msg[TG_WORKER_ERR_LEN];
	bool failed;

	if (plan_population(wp, &params, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "port %s, lcore %u: %s", pc->name,
			 w->lcore, msg);
		return -1;
	}
	wp->packet_limit = cfg->packets ? share_of(cfg->packets,
						   pc->n_workers, wp->queue)
					: 0;
	if (pc->reel)
		failed = init_player(w, wp, port_index, &params, msg,
				     sizeof(msg));
	else
		failed = (wp->synth = tg_synth_create(&params, msg,
						      sizeof(msg))) == NULL;
	if (failed) {
		snprintf(err, errlen, "port %s, lcore %u: %s", pc->name,
			 w->lcore, msg);
		return -1;
	}
	/* Frame buffers for live synthesis into a pcap (a reel has its
	 * own frames). */
	if (pc->is_pcap && !pc->reel && w->frames == NULL)
		w->frames = malloc((size_t)TG_WORKER_MAX_BURST * FRAME_BUF);
	if (pc->is_pcap && !pc->reel && w->frames == NULL) {
		snprintf(err, errlen, "lcore %u: out of memory", w->lcore);
		return -1;
	}
	if (pc->is_pcap) {
		wp->pcap = tg_pcap_open_async(pc->pcap_path, PCAP_BUFFER,
					      PCAP_BUFFERS, msg, sizeof(msg));
		if (wp->pcap == NULL) {
			snprintf(err, errlen, "port %s: %s", pc->name, msg);
			return -1;
		}
	}
	/* Workers are set up before any runs: the port's first worker
	 * empties the file before anyone appends. Times of pcap ports are
	 * on the pcap's clock. */
	if (params.labels &&
	    tg_labels_open(&wp->labels, pc->labels_path, pc->name, model,
			   w->lcore, pc->is_pcap ? PCAP_EPOCH_NS : 0,
			   wp->queue == 0, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "port %s: labels: %s", pc->name, msg);
		return -1;
	}
	return 0;
}

/* One pool per worker: its mbufs go to its own TX queues only (and, on a
 * captured port, to the capture writer, which frees them back). */
static int
init_pool(struct tg_worker *w, char *err, size_t errlen)
{
	unsigned n = POOL_CACHE * 2;
	char name[RTE_MEMPOOL_NAMESIZE];

	for (unsigned i = 0; i < w->n_ports; i++) {
		const struct tg_port_cfg *pc = w->ports[i].port->cfg;

		if (!pc->is_pcap)
			n += pc->tx_desc + 2u * pc->burst +
			     tg_capture_mbufs(pc);
	}
	if (n == POOL_CACHE * 2)
		return 0;	/* pcap ports only: no mbufs needed */
	snprintf(name, sizeof(name), "tx_w%u", w->lcore);
	w->pool = rte_pktmbuf_pool_create(name, n, POOL_CACHE, 0,
					  RTE_PKTMBUF_HEADROOM + FRAME_BUF,
					  (int)rte_lcore_to_socket_id(w->lcore));
	if (w->pool == NULL) {
		snprintf(err, errlen, "lcore %u: no memory for %u mbufs: %s",
			 w->lcore, n, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

int
tg_worker_init(struct tg_worker *w, unsigned lcore, struct tg_port *ports,
	       const struct tg_config *cfg,
	       const struct tg_model *const *models, const atomic_bool *stop,
	       char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->lcore = lcore;
	w->stop = stop;
	w->duration_ns = (uint64_t)(cfg->duration * 1e9);
	atomic_init(&w->finished, false);
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct tg_port_cfg *pc = &cfg->ports[i];
		struct tg_worker_port *wp;
		bool serves = false;

		for (unsigned k = 0; k < pc->n_workers; k++)
			serves |= pc->workers[k] == lcore;
		if (!serves)
			continue;
		wp = &w->ports[w->n_ports++];
		wp->port = &ports[i];
		wp->queue = tg_port_queue_of(pc, lcore);
		if (init_port(w, wp, i, cfg, models[i], err, errlen) != 0)
			return -1;
	}
	return init_pool(w, err, errlen);
}

void
tg_worker_free(struct tg_worker *w)
{
	for (unsigned i = 0; i < w->n_ports; i++) {
		tg_synth_free(w->ports[i].synth);
		tg_player_free(&w->ports[i].player);
		tg_pcap_close(w->ports[i].pcap);
		tg_labels_close(&w->ports[i].labels);
		w->ports[i].synth = NULL;
		w->ports[i].pcap = NULL;
	}
	rte_mempool_free(w->pool);
	w->pool = NULL;
	free(w->frames);
	w->frames = NULL;
}

/* How long ago (wall ns) a packet of model time ts_ns was due, at model
 * time model_ns. */
static uint64_t
late_ns(const struct tg_worker_port *wp, uint64_t model_ns, uint64_t ts_ns)
{
	if (model_ns <= ts_ns)
		return 0;
	return wp->speed == 1 ? model_ns - ts_ns
			      : (uint64_t)((double)(model_ns - ts_ns) / wp->speed);
}

/* True when a rate target's port has sent all its target allows by wall
 * time `elapsed` (a token bucket with the whole run's credit). */
static bool
at_target(const struct tg_worker_port *wp, uint64_t elapsed)
{
	const struct tg_rate *rate = &wp->port->cfg->rate;
	double allowed = (double)elapsed * 1e-9 * wp->rate_share;

	if (rate->kind == TG_RATE_PPS)
		return (double)wp->packets_done >= allowed;
	return rate->kind == TG_RATE_BPS && (double)wp->bits_sent >= allowed;
}

/* Move the port's model clock from wall time wp->elapsed_ns to `elapsed`
 * (the caller then records `elapsed`), at the configured
 * time factor or, for a rate target, at the speed the control lcore sets
 * (near 1). A rate target's clock holds while the port is at its target:
 * every flow waits alike, so no packet is ever late against the clock and
 * the rate never runs over. */
static void
advance_clock(struct tg_worker_port *wp, uint64_t elapsed)
{
	bool target = tg_port_has_rate_target(wp->port->cfg);

	if (wp->speed == 0)
		return;
	if (target)
		wp->speed = (double)atomic_load_explicit(
				    &wp->setting.speed_ppm,
				    memory_order_relaxed) / TG_SPEED_ONE;
	if (!target || !at_target(wp, elapsed))
		wp->model_ns += (uint64_t)((double)(elapsed - wp->elapsed_ns) *
					   wp->speed);
}

/* How late the synth's next packet already is: the backlog the rate
 * control watches. */
static uint64_t
backlog_ns(const struct tg_worker_port *wp)
{
	uint64_t next;

	if (wp->speed == 0 || wp->pcap != NULL)
		return 0;
	if (wp->player.reel != NULL)
		next = tg_player_next_time(&wp->player);
	else
		next = tg_synth_next_time(wp->synth);
	return next == UINT64_MAX ? 0 : late_ns(wp, wp->model_ns, next);
}

/* A reel's flows: each turn starts every flow of the reel once, so the
 * flows started are counted from the packets played (a turn's share of
 * its packets, a turn's share of its flows); live ones are the reel's
 * mean. */
static void
reel_stats(const struct tg_worker_port *wp, struct tg_synth_stats *st)
{
	const struct tg_reel_info *info = &wp->player.info;

	memset(st, 0, sizeof(*st));
	st->packets = wp->packets_done;
	st->bytes = wp->player.bytes;
	st->flows_started = (uint64_t)((double)wp->packets_done *
				       (double)info->flows /
				       (double)info->packets);
	st->flows_active = (uint64_t)(info->flows_live + 0.5);
}

static void
publish(struct tg_worker_port *wp)
{
	struct tg_synth_stats st;
	struct tg_worker_counters *c = &wp->counters;

	if (wp->player.reel != NULL)
		reel_stats(wp, &st);
	else
		tg_synth_get_stats(wp->synth, &st);
	atomic_store_explicit(&c->packets, wp->packets_done,
			      memory_order_relaxed);
	/* Made, less what the NIC refused. */
	atomic_store_explicit(&c->bytes, st.bytes - wp->bytes_refused,
			      memory_order_relaxed);
	atomic_store_explicit(&c->drops, wp->drops, memory_order_relaxed);
	atomic_store_explicit(&c->flows_active, st.flows_active,
			      memory_order_relaxed);
	atomic_store_explicit(&c->flows_started, st.flows_started,
			      memory_order_relaxed);
	atomic_store_explicit(&c->flows_refused, st.flows_refused,
			      memory_order_relaxed);
	atomic_store_explicit(&c->elapsed_ns, wp->elapsed_ns,
			      memory_order_relaxed);
	atomic_store_explicit(&c->model_ns, wp->model_ns,
			      memory_order_relaxed);
	atomic_store_explicit(&c->sessions, wp->sessions,
			      memory_order_relaxed);
	atomic_store_explicit(&c->backlog_ns, backlog_ns(wp),
			      memory_order_relaxed);
}

/* The lateness percentiles, now and then (a walk of the histogram). */
static void
publish_pacing(struct tg_worker_port *wp)
{
	struct tg_worker_counters *c = &wp->counters;

	atomic_store_explicit(&c->pacing_p50_ns,
			      tg_lateness_quantile(&wp->lateness, 0.5),
			      memory_order_relaxed);
	atomic_store_explicit(&c->pacing_p99_ns,
			      tg_lateness_quantile(&wp->lateness, 0.99),
			      memory_order_relaxed);
	atomic_store_explicit(&c->pacing_max_ns, wp->lateness.max_ns,
			      memory_order_relaxed);
}

static unsigned
burst_size(const struct tg_worker_port *wp)
{
	uint64_t n = wp->port->cfg->burst;

	if (wp->packet_limit && wp->packet_limit - wp->packets_done < n)
		n = wp->packet_limit - wp->packets_done;
	return (unsigned)n;
}

static void
labels_failed(struct tg_worker *w, struct tg_worker_port *wp)
{
	if (w->error[0] == '\0')
		snprintf(w->error, sizeof(w->error), "port %s: writing %s: %s",
			 wp->port->cfg->name, wp->labels.path,
			 strerror(errno));
	wp->finished = true;
}

/* Write the labels of the flows the last burst ended. Returns how many,
 * or -1 when the file cannot take them. */
static int
write_labels(struct tg_worker *w, struct tg_worker_port *wp)
{
	struct tg_flow_label l[LABEL_BURST];
	unsigned n, total = 0;

	if (wp->labels.buf == NULL)
		return 0;
	do {
		n = tg_synth_take_ended(wp->synth, l, LABEL_BURST);
		for (unsigned i = 0; i < n; i++) {
			if (tg_labels_add(&wp->labels, &l[i]) != 0) {
				labels_failed(w, wp);
				return -1;
			}
		}
		total += n;
	} while (n == LABEL_BURST);
	return (int)total;
}

static void
pcap_failed(struct tg_worker *w, struct tg_worker_port *wp)
{
	snprintf(w->error, sizeof(w->error), "port %s: writing %s: %s",
		 wp->port->cfg->name, wp->port->cfg->pcap_path,
		 strerror(errno));
	wp->finished = true;
}

/* Offline output: model time runs as fast as the disk takes it. At the
 * duration no flow starts any more and the live ones close, so the file
 * holds whole conversations only. */
static void
run_pcap(struct tg_worker *w, struct tg_worker_port *wp, uint8_t *bufs)
{
	struct tg_synth_pkt pkts[TG_WORKER_MAX_BURST];
	uint64_t until = w->duration_ns && !wp->draining ? w->duration_ns - 1
							 : UINT64_MAX;
	unsigned n = burst_size(wp), k;
	int labelled;

	for (unsigned i = 0; i < n; i++) {
		pkts[i].buf = bufs + (size_t)i * FRAME_BUF;
		pkts[i].cap = FRAME_BUF;
	}
	k = n ? tg_synth_burst(wp->synth, pkts, n, until) : 0;
	for (unsigned i = 0; i < k; i++) {
		if (tg_pcap_write(wp->pcap, PCAP_EPOCH_NS + pkts[i].ts_ns,
				  pkts[i].buf, pkts[i].len) != 0) {
			pcap_failed(w, wp);
			return;
		}
	}
	wp->packets_done += k;
	labelled = write_labels(w, wp);
	if (labelled < 0)
		return;
	if (k == 0 && labelled > 0)
		return;	/* the synth waited for its labels to be taken */
	if (k == 0 && n > 0 && w->duration_ns && !wp->draining) {
		tg_synth_drain(wp->synth, w->duration_ns);
		wp->draining = true;
		return;
	}
	if (k == 0 || (wp->packet_limit && wp->packets_done >= wp->packet_limit))
		wp->finished = true;
}

/* A reel to a pcap file: its turns up to the duration. A reel cannot
 * drain, so flows live at the end are cut there, as on a device port. */
static void
run_pcap_reel(struct tg_worker *w, struct tg_worker_port *wp)
{
	struct tg_reel_pkt pkts[TG_WORKER_MAX_BURST];
	struct tg_player *pl = &wp->player;
	uint64_t until = w->duration_ns ? w->duration_ns - 1 : UINT64_MAX;
	unsigned n = burst_size(wp), k;

	k = n ? tg_reel_play(pl->reel, pl->cursor, pkts, n, until) : 0;
	for (unsigned i = 0; i < k; i++) {
		const struct tg_reel_pkt *p = &pkts[i];
		/* Patched in place (nothing else reads the frame); a fresh
		 * body, from the pool, follows its head. */
		uint32_t head = tg_reel_head_len(p);

		tg_reel_patch(pl->reel, p, p->frame);
		if (tg_pcap_write_split(wp->pcap, PCAP_EPOCH_NS + p->ts_ns,
					p->frame, head, p->body,
					p->meta.len - head) != 0) {
			pcap_failed(w, wp);
			return;
		}
		pl->bytes += p->meta.len;
	}
	wp->packets_done += k;
	if (k == 0 || (wp->packet_limit && wp->packets_done >= wp->packet_limit))
		wp->finished = true;
}

/* How far the synth may go now: the model clock of the port, or no bound
 * for an unlimited one. (A rate target holds its clock at the target.) */
static uint64_t
pace(const struct tg_worker_port *wp)
{
	return wp->speed == 0 ? UINT64_MAX : wp->model_ns;
}

/* The population the control lcore asks for, from model time now_ns. */
static void
apply_setting(struct tg_worker_port *wp, uint64_t now_ns)
{
	uint32_t want = (uint32_t)atomic_load_explicit(&wp->setting.sessions,
						       memory_order_relaxed);

	if (want == wp->sessions || now_ns == UINT64_MAX ||
	    wp->player.reel != NULL)
		return;
	tg_synth_set_sessions(wp->synth, want, now_ns);
	wp->sessions = tg_synth_sessions(wp->synth);
}

/* How late each sent packet left against its schedule: one TSC read per
 * burst, after the NIC took it. */
static void
record_lateness(struct tg_worker_port *wp, const uint64_t *ts,
		unsigned sent, uint64_t start_tsc, double ns_per_tick)
{
	uint64_t now, since;

	if (wp->speed == 0 || sent == 0)
		return;
	now = (uint64_t)((double)(rte_rdtsc() - start_tsc) * ns_per_tick);
	since = now > wp->elapsed_ns ? now - wp->elapsed_ns : 0;
	for (unsigned i = 0; i < sent; i++)
		tg_lateness_record(&wp->lateness,
				   since + late_ns(wp, wp->model_ns, ts[i]));
}

/* Fill the first n mbufs of the stash from the synth, up to model time
 * `until`; ts[i] gets each packet's model time. Returns how many. */
static unsigned
fill_from_synth(struct tg_worker_port *wp, struct rte_mbuf **stash,
		uint64_t *ts, unsigned n, uint64_t until)
{
	struct tg_synth_pkt pkts[TG_WORKER_MAX_BURST];
	unsigned k;

	for (unsigned i = 0; i < n; i++) {
		pkts[i].buf = rte_pktmbuf_mtod(stash[i], uint8_t *);
		pkts[i].cap = (uint16_t)rte_pktmbuf_tailroom(stash[i]);
	}
	k = tg_synth_burst(wp->synth, pkts, n, until);
	for (unsigned i = 0; i < k; i++) {
		tg_port_tx_fields(stash[i], pkts[i].len, &pkts[i].layout,
				  pkts[i].proto, pkts[i].ip_version,
				  wp->port->offload);
		wp->bits_sent += (uint64_t)pkts[i].len * 8;
		ts[i] = pkts[i].ts_ns;
	}
	return k;
}

/* The same from the reel into `out` (a reel's frames have mbufs of their
 * own). */
static unsigned
fill_from_reel(struct tg_worker *w, struct tg_worker_port *wp,
	       struct rte_mbuf **out, uint64_t *ts, unsigned n, uint64_t until)
{
	struct tg_player *pl = &wp->player;
	uint64_t bytes = pl->bytes, drops = pl->drops;
	unsigned k = tg_player_fill(pl, out, ts, n, until, w->pool);

	wp->bits_sent += (pl->bytes - bytes) * 8;
	wp->drops += pl->drops - drops;
	return k;
}

/* The first n mbufs of the stash, allocated (false: the pool is empty
 * for now; the NIC frees mbufs). */
static bool
fill_stash(struct tg_worker *w, struct rte_mbuf **stash, unsigned *n_stash,
	   unsigned n)
{
	if (*n_stash >= n)
		return true;
	if (rte_pktmbuf_alloc_bulk(w->pool, stash + *n_stash,
				   n - *n_stash) != 0)
		return false;
	*n_stash = n;
	return true;
}

static void
run_device(struct tg_worker *w, struct tg_worker_port *wp,
	   uint64_t elapsed_ns, struct rte_mbuf **stash, unsigned *n_stash,
	   uint64_t start_tsc, double ns_per_tick)
{
	uint64_t ts[TG_WORKER_MAX_BURST];
	struct rte_mbuf *played[TG_WORKER_MAX_BURST];
	struct rte_mbuf **pkts = played;
	uint16_t port_id = wp->port->port_id;
	unsigned n = burst_size(wp), k, sent = 0;
	uint64_t until = pace(wp);

	if (w->duration_ns && elapsed_ns >= w->duration_ns) {
		wp->finished = true;
		return;
	}
	apply_setting(wp, until);
	if (n == 0)
		return;
	if (wp->player.reel != NULL) {
		k = fill_from_reel(w, wp, played, ts, n, until);
	} else {
		if (!fill_stash(w, stash, n_stash, n))
			return;
		pkts = stash;
		k = fill_from_synth(wp, stash, ts, n, until);
	}
	if (wp->tap)
		tg_tap_hold(wp->tap, pkts, k);
	for (int tries = 0; sent < k && tries < TX_RETRIES; tries++)
		sent += rte_eth_tx_burst(port_id, wp->queue, pkts + sent,
					 (uint16_t)(k - sent));
	record_lateness(wp, ts, sent, start_tsc, ns_per_tick);
	if (wp->tap)
		tg_tap_sent(wp->tap, pkts, sent);
	if (sent < k) {
		uint64_t refused = 0;

		for (unsigned i = sent; i < k; i++)
			refused += rte_pktmbuf_pkt_len(pkts[i]);
		wp->bytes_refused += refused;
		wp->bits_sent -= refused * 8;
		rte_pktmbuf_free_bulk(pkts + sent, k - sent);
		wp->drops += k - sent;
		if (wp->player.reel != NULL)
			tg_player_refused(&wp->player);
	}
	if (pkts == stash) {
		/* Keep the unfilled mbufs at the front for the next burst. */
		memmove(stash, stash + k, (*n_stash - k) * sizeof(*stash));
		*n_stash -= k;
	}
	wp->packets_done += sent;
	if (write_labels(w, wp) < 0)
		return;
	if (wp->packet_limit && wp->packets_done + wp->drops >= wp->packet_limit)
		wp->finished = true;
}

/* The run is over for this worker (drained, stopped, limit or error):
 * the labels of ended flows, then of the live flows that put packets out
 * (end "stopped"), so the file lists every flow of the output. */
static void
close_labels(struct tg_worker *w, struct tg_worker_port *wp)
{
	struct tg_flow_label l[LABEL_BURST];
	uint32_t pos = 0;
	unsigned n;

	if (wp->labels.buf == NULL)
		return;
	if (write_labels(w, wp) < 0)
		goto close;
	do {
		n = tg_synth_take_live(wp->synth, l, LABEL_BURST, &pos);
		for (unsigned i = 0; i < n; i++)
			if (tg_labels_add(&wp->labels, &l[i]) != 0) {
				labels_failed(w, wp);
				goto close;
			}
	} while (n == LABEL_BURST);
close:
	if (tg_labels_close(&wp->labels) != 0)
		labels_failed(w, wp);
}

static void
close_pcaps(struct tg_worker *w)
{
	for (unsigned i = 0; i < w->n_ports; i++) {
		struct tg_worker_port *wp = &w->ports[i];

		int flushed;

		if (wp->pcap == NULL)
			continue;
		/* What reached the disk, for the summary: after a full disk
		 * that is less than what was generated. */
		flushed = tg_pcap_flush(wp->pcap);
		wp->pcap_frames = tg_pcap_frames(wp->pcap);
		if ((tg_pcap_close(wp->pcap) != 0 || flushed != 0) &&
		    w->error[0] == '\0')
			snprintf(w->error, sizeof(w->error),
				 "port %s: writing %s: %s", wp->port->cfg->name,
				 wp->port->cfg->pcap_path, strerror(errno));
		wp->pcap = NULL;
	}
}

static uint64_t
load(const atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void
keep_worst(uint64_t *worst, const atomic_uint_fast64_t *v)
{
	*worst = RTE_MAX(*worst, load(v));
}

void
tg_counts_add(struct tg_counts *sum, const struct tg_worker_counters *c)
{
	sum->packets += load(&c->packets);
	sum->bytes += load(&c->bytes);
	sum->drops += load(&c->drops);
	sum->flows_active += load(&c->flows_active);
	sum->flows_started += load(&c->flows_started);
	sum->flows_refused += load(&c->flows_refused);
	sum->sessions += load(&c->sessions);
	keep_worst(&sum->elapsed_ns, &c->elapsed_ns);
	keep_worst(&sum->model_ns, &c->model_ns);
	keep_worst(&sum->backlog_ns, &c->backlog_ns);
	keep_worst(&sum->pacing_p50_ns, &c->pacing_p50_ns);
	keep_worst(&sum->pacing_p99_ns, &c->pacing_p99_ns);
	keep_worst(&sum->pacing_max_ns, &c->pacing_max_ns);
}

int
tg_worker_main(void *arg)
{
	struct tg_worker *w = arg;
	struct rte_mbuf *stash[TG_MAX_PORTS][TG_WORKER_MAX_BURST];
	unsigned n_stash[TG_MAX_PORTS] = { 0 };
	double ns_per_tick = 1e9 / (double)rte_get_tsc_hz();
	uint64_t start = rte_rdtsc();
	unsigned active = w->n_ports;

	while (active > 0 &&
	       !atomic_load_explicit(w->stop, memory_order_relaxed)) {
		uint64_t elapsed = (uint64_t)((double)(rte_rdtsc() - start) *
					      ns_per_tick);

		atomic_store_explicit(&w->heartbeat,
				      atomic_load_explicit(&w->heartbeat,
							   memory_order_relaxed) + 1,
				      memory_order_relaxed);
		active = 0;
		for (unsigned i = 0; i < w->n_ports; i++) {
			struct tg_worker_port *wp = &w->ports[i];

			if (wp->finished)
				continue;
			advance_clock(wp, elapsed);
			wp->elapsed_ns = elapsed;
			if (wp->pcap && wp->player.reel)
				run_pcap_reel(w, wp);
			else if (wp->pcap)
				run_pcap(w, wp, w->frames);
			else
				run_device(w, wp, elapsed, stash[i],
					   &n_stash[i], start, ns_per_tick);
			if ((++wp->loops & PUBLISH_MASK) == 0)
				publish(wp);
			if ((wp->loops & PACING_PUBLISH_MASK) == 0)
				publish_pacing(wp);
			active += !wp->finished;
		}
	}
	for (unsigned i = 0; i < w->n_ports; i++) {
		if (n_stash[i])
			rte_pktmbuf_free_bulk(stash[i], n_stash[i]);
		publish(&w->ports[i]);
		publish_pacing(&w->ports[i]);
		close_labels(w, &w->ports[i]);
	}
	close_pcaps(w);
	atomic_store_explicit(&w->finished, true, memory_order_release);
	return 0;
}
