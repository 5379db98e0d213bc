/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "capture.h"
#include "tg_clock.h"
#include "tg_mem.h"
#include "tg_pcap.h"
#include "worker.h"

/* 16384 slots: about 10 ms of a worker at 1.6 Mpps, so the writer may
 * stall for one large write(2) without a drop. */
#define TAP_RING 16384
/* The writer frees into its own mempool cache of each worker's pool:
 * up to 1.5 times the cache size (worker.c's 256) stays there. */
#define TAP_CACHE_SLACK 512
#define WRITER_BURST 512
/* 1 MiB buffers, written by the pcap writer's own thread (up to 8 MiB
 * in one call when the disk is behind) from 32 of them: a
 * write(2) stalled by the page cache or the disk (tens of ms were seen)
 * holds 32 MiB of packets instead of the mbufs of a tap ring (16,383
 * packets, ~20 ms at 1 Mpps), so it costs no capture drop. One buffer
 * written on the lcore itself dropped 17% of the packets at 0.7 Mpps
 * (docs/benchmarks.md). */
#define CAPTURE_BUFFER (1u << 20)
#define CAPTURE_BUFFERS 32
/* With every tap empty the writer naps: it may share a core (with the
 * control lcore on small machines) and a tap holds ~10 ms. */
#define IDLE_US 20
#define TS_FIELD "tempogen_dynfield_tap_tsc"

/* Written by its worker; the ring is read by the writer lcore and
 * drops_pub by whoever prints statistics. */
struct tg_tap {
	struct rte_ring *ring;
	int ts_off;			/* mbuf dynfield: TSC when sent */
	unsigned held;			/* mbufs referenced for this burst */
	uint64_t drops;			/* the worker's own count */
	atomic_uint_fast64_t drops_pub;	/* the same, published */
	unsigned port;			/* index into cfg->ports */
	const atomic_bool *producer_done;	/* the worker's finished flag */
} __rte_cache_aligned;

struct capture_file {
	struct tg_pcap_writer *pcap;	/* NULL once closed */
	const char *path;
	atomic_uint_fast64_t lost;	/* dequeued, not written (file error) */
	uint64_t accepted;		/* taken by the pcap writer */
	uint64_t frames;		/* on disk, once closed */
	uint64_t bytes;
	uint64_t direct_bytes;		/* of bytes, past the page cache */
	double write_s;			/* in write(2), once closed */
	uint64_t writes;		/* write(2) calls it took */
};

struct tg_capture {
	const struct tg_config *cfg;
	int ts_off;
	uint64_t base_tsc;		/* base_tsc is base_ns since the epoch */
	uint64_t base_ns;
	double ns_per_tick;
	struct capture_file files[TG_MAX_PORTS];
	struct tg_tap *taps;		/* n_taps, on the heap of EAL */
	unsigned n_taps;
	bool launched;
	/* The writer's figures, read once it has ended. */
	uint64_t busy_tsc;		/* time spent dequeuing and writing */
	uint64_t run_tsc;		/* its whole run */
	uint64_t longest_tsc;		/* its longest pass over the taps */
	unsigned peak;			/* most mbufs seen on one tap */
	char error[TG_PATH_LEN + 128];
};

/* --- the worker side (fast path) ----------------------------------------- */

void
tg_tap_hold(struct tg_tap *t, struct rte_mbuf **m, unsigned n)
{
	unsigned room = rte_ring_free_count(t->ring);
	uint64_t tsc = rte_rdtsc();

	/* Only this worker fills the ring: the room can only grow until
	 * tg_tap_sent, so whatever is held here fits there. */
	t->held = n < room ? n : room;
	for (unsigned i = 0; i < t->held; i++) {
		rte_pktmbuf_refcnt_update(m[i], 1);	/* every segment */
		*RTE_MBUF_DYNFIELD(m[i], t->ts_off, uint64_t *) = tsc;
	}
}

void
tg_tap_sent(struct tg_tap *t, struct rte_mbuf **m, unsigned sent)
{
	unsigned keep = sent < t->held ? sent : t->held;

	if (keep)
		rte_ring_sp_enqueue_bulk(t->ring, (void **)m, keep, NULL);
	/* Held but not sent: the NIC refused them, and the worker frees
	 * its own reference; this frees ours. */
	if (t->held > keep)
		rte_pktmbuf_free_bulk(m + keep, t->held - keep);
	if (sent > keep) {
		t->drops += sent - keep;
		atomic_store_explicit(&t->drops_pub, t->drops,
				      memory_order_relaxed);
	}
	t->held = 0;
}

uint64_t
tg_tap_drops(const struct tg_tap *t)
{
	return atomic_load_explicit(&t->drops_pub, memory_order_relaxed);
}

/* --- set-up -------------------------------------------------------------- */

unsigned
tg_capture_mbufs(const struct tg_port_cfg *pc)
{
	return pc->capture_path[0] ? TAP_RING + TAP_CACHE_SLACK : 0;
}

static int
register_ts_field(struct tg_capture *c, char *err, size_t errlen)
{
	static const struct rte_mbuf_dynfield field = {
		.name = TS_FIELD,
		.size = sizeof(uint64_t),
		.align = __alignof__(uint64_t),
	};

	c->ts_off = rte_mbuf_dynfield_register(&field);
	if (c->ts_off < 0) {
		snprintf(err, errlen, "capture: cannot register the mbuf "
			 "time-stamp field: %s", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int
check_lcore(const struct tg_config *cfg, char *err, size_t errlen)
{
	unsigned l = (unsigned)cfg->capture_lcore;

	if (rte_lcore_is_enabled(l) && l != rte_get_main_lcore())
		return 0;
	snprintf(err, errlen, "capture lcore %u is not available to EAL "
		 "(check -l/--lcores; more lcores than cores: eal.args = "
		 "[ \"--lcores\", \"0@0,1@1,%u@0\" ])", l, l);
	return -1;
}

int
tg_capture_create(const struct tg_config *cfg, struct tg_capture **out,
		  char *err, size_t errlen)
{
	struct tg_capture *c;
	char msg[TG_ERR_LEN];

	*out = NULL;
	if (cfg->capture_lcore < 0)
		return 0;	/* the config has no capture without one */
	if (check_lcore(cfg, err, errlen) != 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "capture: out of memory");
		return -1;
	}
	c->cfg = cfg;
	*out = c;
	if (register_ts_field(c, err, errlen) != 0)
		return -1;
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct tg_port_cfg *pc = &cfg->ports[i];

		if (pc->capture_path[0] == '\0')
			continue;
		c->files[i].path = pc->capture_path;
		c->files[i].pcap = tg_pcap_open_async(pc->capture_path,
						      CAPTURE_BUFFER,
						      CAPTURE_BUFFERS, msg,
						      sizeof(msg));
		if (c->files[i].pcap == NULL) {
			snprintf(err, errlen, "port %s: capture: %s", pc->name,
				 msg);
			return -1;
		}
	}
	c->base_tsc = rte_rdtsc();
	c->base_ns = tg_clock_ns(CLOCK_REALTIME);
	c->ns_per_tick = 1e9 / (double)rte_get_tsc_hz();
	return 0;
}

static int
count_taps(const struct tg_worker *workers, unsigned n)
{
	int taps = 0;

	for (unsigned w = 0; w < n; w++)
		for (unsigned i = 0; i < workers[w].n_ports; i++)
			taps += tg_capture_mbufs(workers[w].ports[i].port->cfg)
				!= 0;
	return taps;
}

static int
make_tap(struct tg_capture *c, struct tg_tap *t, struct tg_worker *w,
	 struct tg_worker_port *wp, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];

	t->port = (unsigned)(wp->port->cfg - c->cfg->ports);
	t->ts_off = c->ts_off;
	t->producer_done = &w->finished;
	atomic_init(&t->drops_pub, 0);
	snprintf(name, sizeof(name), "tap_w%u_p%u", w->lcore, t->port);
	t->ring = rte_ring_create(name, TAP_RING,
				  (int)rte_lcore_to_socket_id(w->lcore),
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (t->ring == NULL) {
		snprintf(err, errlen, "port %s, lcore %u: no memory for the "
			 "capture ring: %s", wp->port->cfg->name, w->lcore,
			 rte_strerror(rte_errno));
		return -1;
	}
	wp->tap = t;
	return 0;
}

int
tg_capture_attach(struct tg_capture *c, struct tg_worker *workers,
		  unsigned n, char *err, size_t errlen)
{
	int n_taps = count_taps(workers, n);

	c->taps = rte_zmalloc("capture_taps",
			      (size_t)n_taps * sizeof(*c->taps),
			      RTE_CACHE_LINE_SIZE);
	if (c->taps == NULL && n_taps > 0) {
		snprintf(err, errlen, "capture: out of memory");
		return -1;
	}
	for (unsigned w = 0; w < n; w++) {
		for (unsigned i = 0; i < workers[w].n_ports; i++) {
			struct tg_worker_port *wp = &workers[w].ports[i];

			if (tg_capture_mbufs(wp->port->cfg) == 0)
				continue;
			if (make_tap(c, &c->taps[c->n_taps], &workers[w], wp,
				     err, errlen) != 0)
				return -1;
			c->n_taps++;
		}
	}
	return 0;
}

/* --- the writer lcore ----------------------------------------------------- */

/* Flush and close one file; what the pcap writer took but could not
 * write (a full disk) counts as lost. */
static void
close_file(struct tg_capture *c, struct capture_file *f)
{
	int flushed = tg_pcap_flush(f->pcap);

	if (flushed != 0 && c->error[0] == '\0')
		snprintf(c->error, sizeof(c->error), "capture: writing %s: %s",
			 f->path, strerror(errno));
	f->frames = tg_pcap_frames(f->pcap);
	f->bytes = tg_pcap_file_bytes(f->pcap);
	f->direct_bytes = tg_pcap_direct_bytes(f->pcap);
	f->write_s = tg_pcap_write_seconds(f->pcap);
	f->writes = tg_pcap_write_calls(f->pcap);
	if (tg_pcap_close(f->pcap) != 0 && c->error[0] == '\0')
		snprintf(c->error, sizeof(c->error), "capture: closing %s: %s",
			 f->path, strerror(errno));
	f->pcap = NULL;
	atomic_fetch_add_explicit(&f->lost, f->accepted - f->frames,
				  memory_order_relaxed);
}

/* The mbufs a writer reads were last written by a worker's core, and
 * their frames lie in memory no cache holds: both are fetched ahead, the
 * mbufs further (their fields say where the frames are). An mbuf is
 * fetched for writing: its free changes its reference count. */
#define FETCH_MBUF_AHEAD 16
#define FETCH_FRAME_AHEAD 8

static inline void
fetch_mbuf(struct rte_mbuf *m)
{
	tg_prefetch_w(m);		/* the reference count */
	tg_prefetch(&m->next);	/* second line: next, the dynfield */
}

static inline void
fetch_frame(const struct rte_mbuf *m)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);

	tg_prefetch(frame);
	tg_prefetch(frame + RTE_CACHE_LINE_SIZE);
	if (m->next != NULL)
		tg_prefetch(rte_pktmbuf_mtod(m->next, const uint8_t *));
}

/* Write and free what one tap holds. Returns how many mbufs. */
static unsigned
drain_tap(struct tg_capture *c, struct tg_tap *t)
{
	struct rte_mbuf *m[WRITER_BURST];
	struct capture_file *f = &c->files[t->port];
	unsigned avail, n = rte_ring_sc_dequeue_burst(t->ring, (void **)m,
						      WRITER_BURST, &avail);

	if (n + avail > c->peak)
		c->peak = n + avail;
	for (unsigned i = 0; i < n && i < FETCH_MBUF_AHEAD; i++)
		fetch_mbuf(m[i]);
	for (unsigned i = 0; i < n && i < FETCH_FRAME_AHEAD; i++)
		fetch_frame(m[i]);
	for (unsigned i = 0; i < n; i++) {
		uint64_t tsc = *RTE_MBUF_DYNFIELD(m[i], c->ts_off, uint64_t *);
		int64_t dt = (int64_t)(tsc - c->base_tsc);

		/* A frame is one segment, or two: a reel's frame head and
		 * fresh body. */
		const struct rte_mbuf *body = m[i]->next;

		if (i + FETCH_MBUF_AHEAD < n)
			fetch_mbuf(m[i + FETCH_MBUF_AHEAD]);
		if (i + FETCH_FRAME_AHEAD < n)
			fetch_frame(m[i + FETCH_FRAME_AHEAD]);
		if (f->pcap != NULL &&
		    tg_pcap_write_split(
			    f->pcap, c->base_ns + (uint64_t)((double)dt *
							     c->ns_per_tick),
			    rte_pktmbuf_mtod(m[i], void *), m[i]->data_len,
			    body ? rte_pktmbuf_mtod(body, void *) : NULL,
			    body ? body->data_len : 0) == 0)
			f->accepted++;
		else if (f->pcap != NULL)
			close_file(c, f);	/* the first error ends it */
		if (f->pcap == NULL)
			atomic_fetch_add_explicit(&f->lost, 1,
						  memory_order_relaxed);
	}
	if (n)
		rte_pktmbuf_free_bulk(m, n);
	return n;
}

static bool
producers_done(const struct tg_capture *c)
{
	for (unsigned i = 0; i < c->n_taps; i++)
		if (!atomic_load_explicit(c->taps[i].producer_done,
					  memory_order_acquire))
			return false;
	return true;
}

static void
close_files(struct tg_capture *c)
{
	for (unsigned i = 0; i < TG_MAX_PORTS; i++)
		if (c->files[i].pcap != NULL)
			close_file(c, &c->files[i]);
}

/* Until every worker has finished: whatever they enqueued before setting
 * their flag is on the rings, so one empty pass after seeing all flags
 * set means everything was written. */
static int
writer_main(void *arg)
{
	struct tg_capture *c = arg;
	uint64_t start = rte_rdtsc(), t0, end;

	for (;;) {
		bool done = producers_done(c);
		unsigned got = 0;

		t0 = rte_rdtsc();
		for (unsigned i = 0; i < c->n_taps; i++)
			got += drain_tap(c, &c->taps[i]);
		if (got) {
			uint64_t pass = rte_rdtsc() - t0;

			c->busy_tsc += pass;
			if (pass > c->longest_tsc)
				c->longest_tsc = pass;
		} else if (done)
			break;
		else
			rte_delay_us_sleep(IDLE_US);
	}
	t0 = rte_rdtsc();
	close_files(c);
	end = rte_rdtsc();
	c->busy_tsc += end - t0;
	c->run_tsc = end - start;
	return 0;
}

int
tg_capture_launch(struct tg_capture *c, char *err, size_t errlen)
{
	int rc = rte_eal_remote_launch(writer_main, c,
				       (unsigned)c->cfg->capture_lcore);

	if (rc != 0) {
		snprintf(err, errlen, "cannot start capture lcore %d: %s",
			 c->cfg->capture_lcore, rte_strerror(-rc));
		return -1;
	}
	c->launched = true;
	return 0;
}

/* --- statistics and the end ---------------------------------------------- */

uint64_t
tg_capture_port_drops(const struct tg_capture *c, unsigned port)
{
	uint64_t d = 0;

	if (c == NULL)
		return 0;
	for (unsigned i = 0; i < c->n_taps; i++)
		if (c->taps[i].port == port)
			d += tg_tap_drops(&c->taps[i]);
	return d + atomic_load_explicit(&c->files[port].lost,
					memory_order_relaxed);
}

void
tg_capture_print_live(const struct tg_capture *c, unsigned port)
{
	if (c != NULL && c->files[port].path != NULL)
		printf("  capture drops %" PRIu64,
		       tg_capture_port_drops(c, port));
}

int
tg_capture_summary(const struct tg_capture *c)
{
	double hz = (double)rte_get_tsc_hz(), write_s = 0;
	uint64_t bytes = 0, direct = 0, writes = 0;

	if (c == NULL || !c->launched)
		return 0;
	for (unsigned i = 0; i < TG_MAX_PORTS; i++) {
		bytes += c->files[i].bytes;
		direct += c->files[i].direct_bytes;
		write_s += c->files[i].write_s;
		writes += c->files[i].writes;
	}
	/* For scripts/bench-capture: the lcore's speed while it had work,
	 * the speed of the write(2) calls, and how full a tap got (a full
	 * one is what drops packets). */
	printf("capture writer: %" PRIu64 " bytes in %.2f s (%.1f MB/s); "
	       "lcore busy %.2f s (%.1f MB/s), longest pass %.1f ms; "
	       "write(2) %.2f s (%.1f MB/s, %.0f%% direct, %" PRIu64
	       " calls of %.2f MiB); tap peak %u of %u\n",
	       bytes, (double)c->run_tsc / hz,
	       c->run_tsc ? (double)bytes * 1e-6 * hz / (double)c->run_tsc
			  : 0.0,
	       (double)c->busy_tsc / hz,
	       c->busy_tsc ? (double)bytes * 1e-6 * hz / (double)c->busy_tsc
			   : 0.0,
	       (double)c->longest_tsc * 1e3 / hz, write_s,
	       write_s > 0 ? (double)bytes * 1e-6 / write_s : 0.0,
	       bytes ? 100.0 * (double)direct / (double)bytes : 0.0, writes,
	       writes ? (double)bytes / (double)writes / (1 << 20) : 0.0,
	       c->peak, TAP_RING - 1);
	for (unsigned i = 0; i < TG_MAX_PORTS; i++)
		if (c->files[i].path != NULL)
			printf("capture written: %s (%" PRIu64 " packets, %"
			       PRIu64 " dropped)\n", c->files[i].path,
			       c->files[i].frames,
			       tg_capture_port_drops(c, i));
	if (c->error[0] == '\0')
		return 0;
	fprintf(stderr, "tempogen: %s\n", c->error);
	return -1;
}

void
tg_capture_free(struct tg_capture *c)
{
	struct rte_mbuf *m[WRITER_BURST];

	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->n_taps; i++) {
		unsigned n;

		/* Only when the writer never ran (a failed start). */
		while ((n = rte_ring_sc_dequeue_burst(c->taps[i].ring,
						      (void **)m, WRITER_BURST,
						      NULL)) > 0)
			rte_pktmbuf_free_bulk(m, n);
		rte_ring_free(c->taps[i].ring);
	}
	rte_free(c->taps);
	close_files(c);
	free(c);
}
